#!/usr/bin/env bash
# Pruning and approximation on one network, the programs run by hand (no workflow): LeGR ranking of a
# quantized model, then per MAC target: prune, fine-tune (QAT), noise, sample, match, deploy (BatchNorm
# adaptation), retrain; prints per target the MAC fraction kept, E_rel, E_total = MAC fraction x E_rel
# and the test accuracy after every stage, and the ranking's time next to one fine-tuning epoch.
#   scripts/experiments/legr_check.sh ARCH LIBRARY.h5 OUT_DIR "TARGETS" [QUANT_MODEL DATASET]
# Without QUANT_MODEL and DATASET it imports the full Fashion-MNIST (Debian's dataset-fashion-mnist),
# trains a baseline (10 epochs) and quantizes it (2 epochs). Settings: LAMBDA (0.8), FINETUNE_EPOCHS (3),
# RETRAIN_EPOCHS (2), RANK_SETTINGS (extra --set arguments for axnn-rank).
set -euo pipefail
arch=$1 lib=$2 out=$3 targets=$4
bin=${AXNN_BIN:-build/bin}
py=${AXNN_PYTHON:-.venv/bin/python}
lambda=${LAMBDA:-0.8} finetune=${FINETUNE_EPOCHS:-3} retrain=${RETRAIN_EPOCHS:-2}
mkdir -p "$out"
run() { echo "+ $*" >&2; "$@" --log-level warn; }
if [[ $# -ge 6 ]]; then
  quant=$5 data=$6
else
  data=$out/data.h5 quant=$out/quant.h5
  [[ -f "$data" ]] || run "$bin/axnn-data" fashion-mnist /usr/share/datasets/fashion-mnist -o "$data"
  [[ -f "$out/base.h5" ]] || run "$bin/axnn-train" -d "$data" --arch "$arch" --set epochs=10 --set optimizer.lr=0.05 \
    --set optimizer.weight_decay=1e-4 --set scheduler.name=cosine -o "$out/base.h5"
  [[ -f "$quant" ]] || run "$bin/axnn-train" -d "$data" --from "$out/base.h5" --mode quant --set epochs=2 \
    --set calibration_epochs=1 --set optimizer.lr=0.001 -o "$quant"
fi
if [[ ! -f "$out/ranking.h5" ]]; then
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  run "$bin/axnn-rank" -d "$data" -m "$quant" ${RANK_SETTINGS:-} -o "$out/ranking.h5"
  echo "$(date +%s.%N) - $start" | bc > "$out/ranking.seconds"
fi
for t in $targets; do
  d=$out/target-$t
  mkdir -p "$d"
  [[ -f "$d/pruned.h5" ]] || run "$bin/axnn-prune" -m "$quant" -r "$out/ranking.h5" --set target="$t" -o "$d/pruned.h5"
  [[ -f "$d/pruned.json" ]] || run "$bin/axnn-eval" -m "$d/pruned.h5" -d "$data" --json "$d/pruned.json"
  [[ -f "$d/finetuned.h5" ]] || run "$bin/axnn-train" -d "$data" --from "$d/pruned.h5" --mode quant --set epochs="$finetune" \
    --set optimizer.lr=0.01 --set scheduler.name=cosine -o "$d/finetuned.h5"
  [[ -f "$d/noise.h5" ]] || run "$bin/axnn-noise" -d "$data" -m "$d/finetuned.h5" --set lambda="$lambda" --set epochs=2 \
    --set optimizer.lr=0.005 -o "$d/noise.h5"
  [[ -f "$d/refs.h5" ]] || run "$bin/axnn-sample" -d "$data" -m "$d/noise.h5" --set images=128 -o "$d/refs.h5"
  [[ -f "$d/match.h5" ]] || run "$bin/axnn-match" -r "$d/refs.h5" -l "$lib" -o "$d/match.h5"
  [[ -f "$d/deploy.h5" ]] || run "$bin/axnn-deploy" -m "$d/noise.h5" --matching "$d/match.h5" -l "$lib" -d "$data" \
    --set bn_adaptation.images=2000 -o "$d/deploy.h5"
  [[ -f "$d/retrain.h5" ]] || run "$bin/axnn-retrain" -d "$data" -m "$d/deploy.h5" --set epochs="$retrain" \
    --set optimizer.lr=0.001 --set scheduler.name=cosine -o "$d/retrain.h5"
done
"$py" - "$out" "$quant" $targets <<'PY'
import json, sys
import h5py
out, quant, targets = sys.argv[1], sys.argv[2], sys.argv[3:]
def attr(path, name):
    with h5py.File(path) as f:
        v = f.attrs[name]
        return json.loads(v.decode() if isinstance(v, bytes) else v)
acc = lambda p: attr(p, "config")["test_accuracy"]
q = acc(quant)
print(f"dense QAT model: {q:.2f} %")
rank_s = float(open(f"{out}/ranking.seconds").read())
with h5py.File(f"{out}/ranking.h5") as f:
    n = len(json.loads(f.attrs["history"]))
print(f"ranking: {rank_s:.0f} s for {n} candidates")
print("| target | MAC fraction | pruned | fine-tuned | noise | deployed (adapted BN) | retrained | vs QAT | E_rel | E_total |")
print("|---|---|---|---|---|---|---|---|---|---|")
for t in targets:
    d = f"{out}/target-{t}"
    p = attr(f"{d}/finetuned.h5", "pruning")
    with h5py.File(f"{d}/match.h5") as f:
        e_rel = float(f.attrs["relative_energy"])
    epoch_s = [h["time_s"] for h in attr(f"{d}/finetuned.h5", "history")]
    dep = attr(f"{d}/deploy.h5", "config")["bn_adaptation"]["test_accuracy_after"]
    r = acc(f"{d}/retrain.h5")
    pruned = json.load(open(f"{d}/pruned.json"))["accuracy"]
    print(f"| {t} | {p['mac_fraction']:.3f} | {pruned:.2f} | {acc(d + '/finetuned.h5'):.2f} | {acc(d + '/noise.h5'):.2f} | {dep:.2f} | "
          f"{r:.2f} | {r - q:+.2f} | {e_rel:.3f} | {p['mac_fraction'] * e_rel:.3f} |  (fine-tune epoch {min(epoch_s):.0f}-{max(epoch_s):.0f} s)")
PY
