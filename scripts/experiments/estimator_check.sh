#!/usr/bin/env bash
# A quick check of the method on one network, the programs run by hand (no workflow): baseline, QAT,
# noise, sample, match (every estimator recorded), deploy with and without BatchNorm adaptation, one
# retraining epoch; then every estimator's predicted error std against the std measured on the sampled
# operands, for each layer's choice and for every candidate multiplier, and against the std measured on
# operands of 128 other images (a second sample, seed 1): does the prediction hold beyond its sample?
#   scripts/experiments/estimator_check.sh ARCH LIBRARY.h5 OUT_DIR [TRAIN_IMAGES] [LAMBDA]
# LIBRARY.h5 from `axnn-mult build` (built-in) or `axnn-mult import-evoapprox` (EvoApproxLib mul8s).
# Fashion-MNIST from Debian's dataset-fashion-mnist; 2,000 test images.
set -euo pipefail
arch=$1 lib=$2 out=$3 n=${4:-6000} lambda=${5:-0.3}
bin=${AXNN_BIN:-build/bin}
py=${AXNN_PYTHON:-.venv/bin/python}
mkdir -p "$out"
run() { echo "+ $*" >&2; "$@" --log-level warn; }
[[ -f "$out/data.h5" ]] || run "$bin/axnn-data" fashion-mnist /usr/share/datasets/fashion-mnist --limit-train "$n" --limit-test 2000 -o "$out/data.h5"
[[ -f "$out/base.h5" ]] || run "$bin/axnn-train" -d "$out/data.h5" --arch "$arch" --set epochs=4 --set optimizer.lr=0.05 --set scheduler.name=cosine -o "$out/base.h5"
[[ -f "$out/quant.h5" ]] || run "$bin/axnn-train" -d "$out/data.h5" --from "$out/base.h5" --mode quant --set epochs=1 --set optimizer.lr=0.001 -o "$out/quant.h5"
[[ -f "$out/noise.h5" ]] || run "$bin/axnn-noise" -d "$out/data.h5" -m "$out/quant.h5" --set lambda="$lambda" --set epochs=2 --set optimizer.lr=0.005 -o "$out/noise.h5"
run "$bin/axnn-sample" -d "$out/data.h5" -m "$out/noise.h5" --set images=128 -o "$out/refs.h5"
run "$bin/axnn-sample" -d "$out/data.h5" -m "$out/noise.h5" --set images=128 --seed 1 -o "$out/refs-heldout.h5"
run "$bin/axnn-match" -r "$out/refs-heldout.h5" -l "$lib" -o "$out/match-heldout.h5"
for e in agn channel sampled; do
  run "$bin/axnn-match" -r "$out/refs.h5" -l "$lib" --set estimator="$e" -o "$out/match-$e.h5"
  run "$bin/axnn-deploy" -m "$out/noise.h5" --matching "$out/match-$e.h5" -l "$lib" -d "$out/data.h5" -o "$out/deploy-$e.h5"
  run "$bin/axnn-retrain" -d "$out/data.h5" -m "$out/deploy-$e.h5" --set epochs=1 --set optimizer.lr=0.001 -o "$out/retrain-$e.h5"
done
"$py" - "$out" <<'PY'
import json, sys
import h5py, numpy as np
out = sys.argv[1]
def cfg(path):
    with h5py.File(path) as f:
        v = f.attrs["config"]
        return json.loads(v.decode() if isinstance(v, bytes) else v)
print(f"quant model {cfg(out + '/quant.h5')['test_accuracy']:.2f}, noise model {cfg(out + '/noise.h5')['test_accuracy']:.2f}")
with h5py.File(f"{out}/match-heldout.h5") as f:
    heldout = f["sampled_std"][()]
for e in ("agn", "channel", "sampled"):
    with h5py.File(f"{out}/match-{e}.h5") as f:
        names = json.loads(f.attrs["layer_names"])
        est = json.loads(f.attrs["estimators"])[e]
        rel = f["relative_power"][()]
        pred, meas = f[f"{e}_std"][()] if e != "sampled" else f["sampled_std"][()], f["sampled_std"][()]
        chosen = [int(f[f"layers/{n}"].attrs["multiplier_index"]) for n in names]
        max_std = [float(f[f"layers/{n}"].attrs["max_std"]) for n in names]
        mults = json.loads(f.attrs["multipliers"])
    a = cfg(f"{out}/deploy-{e}.h5")["bn_adaptation"]
    r = cfg(f"{out}/retrain-{e}.h5")["test_accuracy"]
    print(f"\n{e}: E_rel {est['relative_energy']:.3f}, violations {est['violations']}, deployed "
          f"{a.get('test_accuracy_before', float('nan')):.2f} -> adapted {a.get('test_accuracy_after', float('nan')):.2f}, "
          f"retrained (1 epoch) {r:.2f}")
    for i, n in enumerate(names):
        c = chosen[i]
        ok = meas[i] > 0
        ratio = pred[i][ok] / meas[i][ok]
        hok = heldout[i] > 0
        hratio = pred[i][hok] / heldout[i][hok]
        print(f"  {n:22s} {mults[c]:14s} predicted {pred[i][c]:9.1f} measured {meas[i][c]:9.1f} "
              f"max_std {max_std[i]:9.1f} ratio {pred[i][c] / meas[i][c] if meas[i][c] else float('nan'):5.2f} | "
              f"all: {ratio.min():.2f}..{ratio.max():.2f}, {np.mean(np.abs(ratio - 1) <= 0.25) * 100:.0f}% within 25% | "
              f"held-out {heldout[i][c]:9.1f} ratio {pred[i][c] / heldout[i][c] if heldout[i][c] else float('nan'):5.2f} "
              f"(all: {hratio.min():.2f}..{hratio.max():.2f})")
PY
