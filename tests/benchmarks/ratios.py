#!/usr/bin/env python3
"""Ratios of medians from one axnn-bench JSON run (its default protocol: warm-up, 5 repetitions in
random interleaved order):

    AXNN_BENCH_THREADS=2 build/bin/axnn-bench --benchmark_format=json > bench.json
    python3 tests/benchmarks/ratios.py bench.json

Per shape and operand variant: the median time of BM_float (LibTorch's default convolution, oneDNN),
BM_float_nodnn (the same without oneDNN: im2col + MKL), BM_lut_ref and BM_lut with the spread of the
repetitions ((max - min) / median); lut/float against the *faster* of the two float paths (and which
it was), ref/lut and separable/float (BM_separable, the separable fast path) as ratios of medians,
and the table kernel's lookups per cycle per core (the context's clock, MHz, times the threads)."""
import json
import statistics
import sys
from collections import defaultdict


def base_name(run_name):
    """BM_lut/gemm_512/relu/real_time or .../iterations:1 -> BM_lut/gemm_512/relu."""
    return "/".join(p for p in run_name.split("/") if p != "real_time" and ":" not in p)


def repetitions(runs):
    """benchmark name -> [(real time, lookups/s)] of its individual repetitions (aggregates skipped)."""
    out = defaultdict(list)
    for b in runs["benchmarks"]:
        if b.get("run_type", "iteration") == "iteration":
            out[base_name(b["run_name"])].append((b["real_time"], b.get("lookups_per_s", 0.0)))
    return out


def summary(values):
    times = [t for t, _ in values]
    med = statistics.median(times)
    return med, (max(times) - min(times)) / med, statistics.median(r for _, r in values)


def rows(runs):
    reps = repetitions(runs)
    ctx = runs["context"]
    threads = int(ctx.get("threads", 1))
    hz = float(ctx.get("mhz_per_cpu", 0)) * 1e6
    out = []
    for name in reps:
        impl, shape, *variant = name.split("/")
        if impl != "BM_lut":
            continue
        lut = summary(reps[name])
        floats = {path: summary(reps[f"{bench}/{shape}"]) for path, bench in (("onednn", "BM_float"), ("im2col", "BM_float_nodnn"))
                  if f"{bench}/{shape}" in reps}
        faster = min(floats, key=lambda p: floats[p][0]) if floats else None
        flt = floats[faster] if faster else None
        ref_name = f"BM_lut_ref/{shape}/signed"
        ref = summary(reps[ref_name]) if ref_name in reps else None
        sep = summary(reps[f"BM_separable/{shape}"]) if f"BM_separable/{shape}" in reps else None
        out.append({"shape": shape, "operands": variant[0] if variant else "",
                    "float_ms": flt[0] if flt else float("nan"), "float_spread": flt[1] if flt else float("nan"),
                    "float_path": faster or "",
                    "onednn_ms": floats["onednn"][0] if "onednn" in floats else float("nan"),
                    "im2col_ms": floats["im2col"][0] if "im2col" in floats else float("nan"),
                    "lut_ms": lut[0], "lut_spread": lut[1],
                    "lut_float": lut[0] / flt[0] if flt else float("nan"),
                    "ref_lut": ref[0] / lut[0] if ref else float("nan"),
                    "separable_float": sep[0] / flt[0] if sep and flt else float("nan"),
                    "lookups_per_cycle_core": lut[2] / (hz * threads) if hz else float("nan"),
                    "repetitions": len(reps[name])})
    return out


def main(path):
    with open(path) as f:
        runs = json.load(f)
    ctx = runs["context"]
    print(f"threads {ctx.get('threads')}, clock {ctx.get('mhz_per_cpu')} MHz, kernel {ctx.get('cpu_kernel_isa')}; "
          f"operands: {ctx.get('operands')}")
    print("| shape | operands | float oneDNN / im2col ms | faster float ms (spread) | lut ms (spread) | "
          "lut/faster float | ref/lut | separable/float | lookups/cycle/core | reps |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows(runs):
        print(f"| {r['shape']} | {r['operands']} | {r['onednn_ms']:.2f} / {r['im2col_ms']:.2f} | "
              f"{r['float_ms']:.2f} {r['float_path']} ({r['float_spread']:.0%}) | "
              f"{r['lut_ms']:.2f} ({r['lut_spread']:.0%}) | {r['lut_float']:.2f} | {r['ref_lut']:.1f} | "
              f"{r['separable_float']:.2f} | "
              f"{r['lookups_per_cycle_core']:.2f} | {r['repetitions']} |")


if __name__ == "__main__":
    main(sys.argv[1])
