#!/usr/bin/env python3
"""Ratios from one axnn-bench JSON run: lut vs float and lut_ref vs lut per shape.

    build/bin/axnn-bench --benchmark_format=json > bench.json
    python3 tests/benchmarks/ratios.py bench.json
"""
import json
import sys


def main(path):
    with open(path) as f:
        runs = json.load(f)
    times, rates = {}, {}
    for b in runs["benchmarks"]:
        impl, shape = b["run_name"].split("/")[0][3:], b["run_name"].split("/")[1]
        times[(impl, shape)] = b["real_time"]
        rates[(impl, shape)] = b.get("lookups_per_s", 0.0)
    ctx = runs["context"]
    print(f"threads {ctx.get('threads')}, operands: {ctx.get('operands')}, kernel: {ctx.get('cpu_kernel_isa')}")
    print(f"{'shape':<16} {'float ms':>9} {'lut_ref ms':>11} {'lut ms':>8} {'lut/float':>10} {'ref/lut':>8} {'lut Glookups/s':>15}")
    for shape in dict.fromkeys(s for _, s in times):
        f, r, l = (times.get((i, shape), float("nan")) for i in ("float", "lut_ref", "lut"))
        print(f"{shape:<16} {f:9.2f} {r:11.1f} {l:8.2f} {l / f:10.2f} {r / l:8.1f} {rates.get(('lut', shape), 0) / 1e9:15.2f}")


if __name__ == "__main__":
    main(sys.argv[1])
