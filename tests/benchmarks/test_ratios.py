"""ratios.py on a small hand-made Google Benchmark JSON: medians over repetitions, not means or firsts."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ratios import rows  # noqa: E402


def rep(name, t, rate=0.0, run_type="iteration"):
    return {"run_name": name, "run_type": run_type, "real_time": t, "lookups_per_s": rate}


def test_ratio_of_medians_with_spread_and_lookups_per_cycle():
    runs = {"context": {"threads": "2", "mhz_per_cpu": 1000},
            "benchmarks": [rep("BM_float/c", 30.0), rep("BM_lut/c/relu", 5.0, 8e9), rep("BM_float/c/real_time", 10.0),
                           rep("BM_lut/c/relu", 7.0, 6e9), rep("BM_float/c", 12.0), rep("BM_lut/c/relu", 6.0, 4e9),
                           rep("BM_lut_ref/c/signed/iterations:1/real_time", 60.0), rep("BM_lut/c/relu", 99.0, 0, "aggregate"),
                           rep("BM_separable/c/real_time", 18.0)]}
    (r,) = rows(runs)
    assert r["shape"] == "c" and r["operands"] == "relu" and r["repetitions"] == 3
    assert r["float_ms"] == 12.0 and r["lut_ms"] == 6.0  # medians: the cold 30 ms float run does not count
    assert r["lut_float"] == 0.5 and r["ref_lut"] == 10.0 and r["separable_float"] == 1.5
    assert abs(r["float_spread"] - 20.0 / 12.0) < 1e-12 and abs(r["lut_spread"] - 2.0 / 6.0) < 1e-12
    assert r["lookups_per_cycle_core"] == 6e9 / (1e9 * 2)


def test_lut_float_is_against_the_faster_float_path():
    runs = {"context": {"threads": "1", "mhz_per_cpu": 1000},
            "benchmarks": [rep("BM_float/c", 20.0), rep("BM_float/c", 22.0), rep("BM_float/c", 21.0),
                           rep("BM_float_nodnn/c", 11.0), rep("BM_float_nodnn/c", 15.0), rep("BM_float_nodnn/c", 12.0),
                           rep("BM_lut/c/signed", 24.0), rep("BM_lut/c/signed", 24.0), rep("BM_lut/c/signed", 24.0)]}
    (r,) = rows(runs)
    assert r["onednn_ms"] == 21.0 and r["im2col_ms"] == 12.0
    assert r["float_path"] == "im2col" and r["float_ms"] == 12.0 and r["lut_float"] == 2.0
