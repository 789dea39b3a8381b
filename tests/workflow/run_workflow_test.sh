#!/usr/bin/env bash
# Workflow test: the real programs through Snakemake on a tiny config.
#   - every shipped config builds a DAG (dry run) and the workflow passes snakemake --lint;
#   - bad configs (a negative seed, a retrain step before deploy, a bad step setting) are rejected
#     with the key named, before any job runs;
#   - the tiny config (two lambda values) runs end to end: every intermediate artifact, the summary
#     and the report (tests/workflow/test_report.py, then Snakemake's --report); lambda branches share
#     the baseline; a second run does nothing; deleting a middle artifact re-runs only what depends
#     on it; a killed job leaves no finished-looking file.
# Usage: run_workflow_test.sh SOURCE_DIR BIN_DIR
set -euo pipefail
src=$1
export AXNN_BIN=$2
cd "$src"
snakemake=${SNAKEMAKE:-$src/.venv/bin/snakemake}
python=${PYTHON:-$src/.venv/bin/python}
out=$(mktemp -d)
# AXNN_KEEP_WORKFLOW_OUT=1 keeps the results for a look (or for test_report.py with AXNN_TINY_RESULTS).
if [[ -n "${AXNN_KEEP_WORKFLOW_OUT:-}" ]]; then echo "results kept in $out"; else trap 'rm -rf "$out"' EXIT; fi
fail() { echo "FAIL: $*" >&2; exit 1; }
sm() { "$snakemake" --cores 2 --config results_root="$out" "$@"; }
tiny=tests/workflow/tiny.yaml

# EvoApproxLib's models (the configs that use them): $AXNN_EVOAPPROXLIB, else ../shared/evoapproxlib.
evo=${AXNN_EVOAPPROXLIB:-$src/../shared/evoapproxlib}
for cfg in workflows/configs/*.yaml; do
  if grep -q "evoapprox:" "$cfg"; then
    [[ -d "$evo/multiplers" ]] || { echo "skipped $cfg: no EvoApproxLib at $evo"; continue; }
    export AXNN_EVOAPPROXLIB=$evo
  fi
  sm -n --quiet --configfile "$cfg" > "$out/dry.txt" 2>&1 || { cat "$out/dry.txt"; fail "dry run of $cfg"; }
done
# Without --configfile the default experiment runs; a config of one's own is never merged into it: a
# step list with no noise step and no sweep plans on its own.
sm -n > "$out/dry.txt" 2>&1 || { cat "$out/dry.txt"; fail "dry run of the default experiment"; }
grep -q "step_noise" "$out/dry.txt" || fail "the default experiment was not used without --configfile"
cat > "$out/own.yaml" <<EOF
experiment: own
steps:
  - {name: baseline, kind: baseline}
  - {name: quant, kind: quantize}
  - {name: sens, kind: sensitivity}
  - {name: sample, kind: sample}
  - {name: match, kind: match}
  - {name: assign, kind: assign, config: {budget: 0.5}}
  - {name: deploy, kind: deploy}
EOF
sm -n --configfile "$out/own.yaml" > "$out/dry.txt" 2>&1 || { cat "$out/dry.txt"; fail "dry run of a config of one's own"; }
if grep -q "step_noise" "$out/dry.txt"; then fail "a config of one's own was merged with the default"; fi
# Lints other than "use conda/containers" fail the test (axnn's programs come from its own build).
# snakemake --lint exits 1 when it reports lints and 0 when there are none; any other exit, a 1
# without a lint report, or a traceback means the lint itself failed, which fails the test too.
lint_rc=0
"$snakemake" --lint --configfile workflows/configs/lenet5-fmnist.yaml > "$out/lint.txt" 2>&1 || lint_rc=$?
if (( lint_rc > 1 )) || { (( lint_rc == 1 )) && ! grep -q "^Lints for" "$out/lint.txt"; } || grep -q Traceback "$out/lint.txt"; then
  cat "$out/lint.txt"; fail "snakemake --lint did not run (exit $lint_rc)"
fi
if grep "^    \* " "$out/lint.txt" | grep -v "conda environment or container" | grep -q .; then
  cat "$out/lint.txt"; fail "snakemake --lint"
fi

# Bad configs: rejected before any job runs, naming what is wrong.
rejects() {  # rejects NAME EXPECTED_TEXT CONFIG_FILE [--config ...]: names the file and the key, no traceback
  local name=$1 text=$2 cfg=$3; shift 3
  if sm -n --configfile "$cfg" "$@" > "$out/bad.txt" 2>&1; then fail "$name was accepted"; fi
  grep -qF -- "$text" "$out/bad.txt" || { cat "$out/bad.txt"; fail "$name: the error does not say '$text'"; }
  grep -qF -- "$cfg" "$out/bad.txt" || { cat "$out/bad.txt"; fail "$name: the error does not name $cfg"; }
  if grep -q "Traceback" "$out/bad.txt"; then cat "$out/bad.txt"; fail "$name: a traceback"; fi
}
rejects "a negative seed" "seed" $tiny --config seed=-1 results_root="$out"
sed 's/kind: deploy/kind: retrain/' $tiny > "$out/retrain-first.yaml"
rejects "a retrain step before deploy" "needs a deploy step" "$out/retrain-first.yaml"
sed 's/noise.lambda: \[0.2, 0.5\]/noise.lambda: [0.2, -1]/' $tiny > "$out/bad-lambda.yaml"
rejects "a negative lambda in the sweep" "lambda" "$out/bad-lambda.yaml"
sed 's/noise.lambda: \[0.2, 0.5\]/nosie.lambda: [0.2]/' $tiny > "$out/bad-sweep.yaml"
rejects "a sweep key of no step" "sweep.nosie.lambda" "$out/bad-sweep.yaml"
sed 's/config: {images: 32, max_rows: 2048}/config: {imges: 32}/' $tiny > "$out/bad-key.yaml"
rejects "an unknown step setting" "imges" "$out/bad-key.yaml"
sed 's/noise.lambda: \[0.2, 0.5\]/noise.lambda: []/' $tiny > "$out/empty-sweep.yaml"
rejects "an empty sweep list" "sweep.noise.lambda: empty list of values" "$out/empty-sweep.yaml"
sed 's|builtin: tests/workflow/tiny-library.yaml|evoapprox: /nonexistent/evo|' $tiny > "$out/no-evo.yaml"
rejects "a library folder that does not exist" "library.sources[0].evoapprox: '/nonexistent/evo' does not exist" "$out/no-evo.yaml"

sm --configfile $tiny > "$out/run1.txt" 2>&1 || { cat "$out/run1.txt"; fail "first run"; }
t="$out/tiny"
for f in dataset.h5 library.h5 library.txt environment.json experiment.json summary.csv summary.md report.html \
         plots/pareto.png plots/times.png \
         base/baseline.h5 base/quant.h5 base/baseline.metrics.json base/quant.metrics.json \
         logs/build_library.log logs/import_dataset.log base/benchmarks/baseline.tsv; do
  [[ -s "$t/$f" ]] || fail "missing $f"
done
for lam in 0.2 0.5; do
  for f in noise.h5 sample.h5 match.h5 deploy.h5 retrain.h5 noise.metrics.json deploy.metrics.json \
           retrain.metrics.json logs/retrain.log; do
    [[ -s "$t/noise.lambda-$lam/$f" ]] || fail "missing noise.lambda-$lam/$f"
  done
done
for f in sensitivity.h5 sample_q.h5 match_q.h5 search.h5 deploy_s.h5 deploy_s.metrics.json rank.h5 prune.h5 \
         prune.metrics.json finetune.h5 deploy_p.h5 deploy_p.metrics.json; do [[ -s "$t/base/$f" ]] || fail "missing base/$f"; done
# Pruning: the ranking and the pruned model show in axnn-inspect; the fine-tuned and deployed models keep the record.
"$AXNN_BIN/axnn-inspect" "$t/base/rank.h5" | grep -q "LeGR ranking of a lenet5" || fail "inspect ranking"
"$AXNN_BIN/axnn-inspect" "$t/base/deploy_p.h5" | grep -q "pruned (LeGR) to target 0.6" || fail "inspect: deploy_p lost the pruning record"
for b in 0.6 0.9; do
  for f in assign.h5 deploy_b.h5 retrain_b.h5 retrain_b.metrics.json; do
    [[ -s "$t/assign.budget-$b/$f" ]] || fail "missing assign.budget-$b/$f"
  done
done
[[ $(grep -c "rule step_baseline:" "$out/run1.txt") == 1 ]] || fail "the sweep branches did not share the baseline"
[[ $(grep -c "rule step_noise:" "$out/run1.txt") == 2 ]] || fail "the budget sweep re-ran the noise step"
"$AXNN_BIN/axnn-inspect" "$t/base/sensitivity.h5" | grep -q "Tr(H_y)" || fail "inspect sensitivity"
"$AXNN_BIN/axnn-inspect" "$t/dataset.h5" | grep -q "/train/images .*(270, 1, 28, 28)" \
  || fail "dataset split sizes (270 train of 300 with val_fraction 0.1)"
"$AXNN_BIN/axnn-inspect" "$t/noise.lambda-0.2/match.h5" | grep -q "kind: matching" || fail "inspect matching"
"$AXNN_BIN/axnn-inspect" "$t/noise.lambda-0.2/sample.h5" | grep -q "max_std" || fail "inspect refs"
"$AXNN_BIN/axnn-inspect" "$t/noise.lambda-0.2/deploy.h5" | grep -q "fc1 .* mean " || fail "the deployed model shows no bias compensation"
if "$AXNN_BIN/axnn-inspect" "$t/assign.budget-0.6/deploy_b.h5" | grep -q " mean "; then fail "deploy_b compensated without being asked"; fi
"$AXNN_BIN/axnn-inspect" "$t/noise.lambda-0.2/deploy.h5" | grep -A2 "BatchNorm adaptation" | grep -qE "^  2 +200 " \
  || fail "the deployed model shows no BatchNorm adaptation of its 2 layers on 200 images"
# The summary: one row per sweep point with the required columns; the matching measured its choices.
"$python" - "$t" <<'PY' || fail "summary / matching content"
import csv, sys, h5py
t = sys.argv[1]
rows = list(csv.DictReader(open(f"{t}/summary.csv")))
need = "experiment point lambda seed baseline_acc quant_acc noise_acc deployed_acc retrained_acc relative_energy".split()
assert len(rows) == 4 and all(c in rows[0] for c in need), rows
assert sorted(float(r["lambda"]) for r in rows) == [0.2, 0.2, 0.5, 0.5], rows
for r in rows:
    assert 0 < float(r["relative_energy"]) <= 1 and 0 <= float(r["retrained_acc"]) <= 100, r
    assert float(r["deploy_b.relative_energy"]) <= float(r["deploy_b.budget"]) + 1e-12, r
    assert 0 <= float(r["deploy_b.retrained_acc"]) <= 100, r
    assert float(r["deploy_s.relative_energy"]) <= 0.7 + 1e-12, r
    # BatchNorm adaptation: the accuracy before it is reported where the deploy step adapted (not deploy_s).
    assert 0 <= float(r["deployed_unadapted_acc"]) <= 100 and 0 <= float(r["deploy_b.deployed_unadapted_acc"]) <= 100, r
    assert "deploy_s.deployed_unadapted_acc" not in r or r["deploy_s.deployed_unadapted_acc"] == "", r
    # The noise branch's matching chose with the sampled estimator, which no layer's measured error
    # exceeds; the paper's agn estimate is reported next to it.
    assert r["estimator"] == "sampled" and r["sampled.violations"] == "0", r
    assert int(r["agn.violations"]) >= 0 and 0 < float(r["agn.relative_energy"]) <= 1, r
    # The noise branch is dense; deploy_p's network is pruned to 60 % of the MACs: E_total = fraction x E_rel.
    assert r["mac_fraction"] == "1.0000" and r["total_energy"] == r["relative_energy"], r
    frac, e_rel = float(r["deploy_p.mac_fraction"]), float(r["deploy_p.relative_energy"])
    assert 0 < frac <= 0.6 and abs(float(r["deploy_p.total_energy"]) - frac * e_rel) < 1e-4, r
    assert 0 <= float(r["prune_acc"]) <= 100 and 0 <= float(r["finetune_acc"]) <= 100, r
# The search: up to 3 candidates under E_rel 0.7, evaluated on val; the kept one is the lowest val loss
# and is what deploy_s deployed.
import json
with h5py.File(f"{t}/base/search.h5") as f:
    a = json.loads(f.attrs["assignment"])
    s, chosen = a["search"], [f["layers"][n].attrs["multiplier"] for n in json.loads(f.attrs["layer_names"])]
    chosen = [c.decode() if isinstance(c, bytes) else c for c in chosen]
    assert s["split"] == "val" and 1 <= len(s["evaluated"]) <= 3, s
    losses = [e["val_loss"] for e in s["evaluated"]]
    assert all(e["relative_energy"] <= 0.7 + 1e-12 for e in s["evaluated"]), s
    assert losses[s["selected"]] == min(losses) and s["evaluated"][s["selected"]]["multipliers"] == chosen, s
    assert abs(f.attrs["relative_energy"] - s["evaluated"][s["selected"]]["relative_energy"]) < 1e-9
assert "search candidates of deploy_s" in open(f"{t}/summary.md").read()
with h5py.File(f"{t}/noise.lambda-0.5/match.h5") as f:
    assert all("measured_std" in f["layers"][n].attrs for n in f["layers"]), "no measured std"
    assert f["sampled_std"].shape == f["agn_std"].shape == f["predicted_std"].shape
PY

# The report: what it gathers, damaged and missing files, Chromium at 1280 and 600 px, a 300-point sweep.
AXNN_TINY_RESULTS=$t "$python" -m pytest -q -s -p no:cacheprovider tests/workflow/test_report.py \
  || fail "the report (tests/workflow/test_report.py)"
# Snakemake's own report carries the summary, axnn's report and the plots.
sm --configfile $tiny --report "$out/snakemake-report.zip" > "$out/smreport.txt" 2>&1 \
  || { cat "$out/smreport.txt"; fail "snakemake --report"; }
"$python" - "$out/snakemake-report.zip" <<'PY' || fail "snakemake --report: the results are not in it"
import sys, zipfile
names = {n.rsplit("/", 1)[-1] for n in zipfile.ZipFile(sys.argv[1]).namelist()}
want = {"report.html", "summary.csv", "pareto.png", "layers.png", "curves.png", "times.png"}
assert want <= names, sorted(want - names)
PY

sm --configfile $tiny > "$out/run2.txt" 2>&1 || fail "second run"
grep -q "Nothing to be done" "$out/run2.txt" || { cat "$out/run2.txt"; fail "second run did work"; }

# Reproducible, and independent of the kernel path: a second, independent run of the whole tiny workflow
# on the portable table kernels (AXNN_KERNELS=portable: no AVX-512) gives artifacts of the same content
# (axnn-diff: provenance and timings aside) and the same summary; the artifacts say which path made them.
AXNN_KERNELS=portable "$snakemake" --cores 2 --config results_root="$out/again" --configfile $tiny > "$out/again.txt" 2>&1 \
  || { cat "$out/again.txt"; fail "independent second run"; }
# (inspect's output goes to a file first: grep -q would stop reading early and fail the pipe.)
"$AXNN_BIN/axnn-inspect" "$out/again/tiny/noise.lambda-0.2/retrain.h5" > "$out/inspect.txt"
grep -q "table_kernels: portable" "$out/inspect.txt" || fail "the portable run's artifacts do not record the portable kernel path"
if grep -q avx512vbmi /proc/cpuinfo; then
  "$AXNN_BIN/axnn-inspect" "$t/noise.lambda-0.2/retrain.h5" > "$out/inspect.txt"
  grep -q "table_kernels: avx512-vbmi" "$out/inspect.txt" || fail "the first run's artifacts do not record the AVX-512 kernel path"
fi
n=0
while IFS= read -r f; do
  rel=${f#"$t/"}
  "$AXNN_BIN/axnn-diff" "$f" "$out/again/tiny/$rel" > "$out/diff.txt" 2>&1 || { cat "$out/diff.txt"; fail "$rel differs between two runs"; }
  n=$((n + 1))
done < <(find "$t" -name "*.h5" | sort)
(( n >= 23 )) || fail "only $n artifacts compared"
cmp -s "$t/summary.csv" "$out/again/tiny/summary.csv" || fail "the summaries of two runs differ"
echo "two runs: $n artifacts with the same content"

# Shell metacharacters and spaces in every path a config carries reach the programs as one argument
# each and run nothing: results_root, the data set's folder, a library source.
weird="$out/we ird;\$(touch $out/PWNED)\`touch $out/PWNED2\`'q"
mkdir -p "$weird"
ln -s /usr/share/datasets/fashion-mnist "$weird/fm data"
cp tests/workflow/tiny-library.yaml "$weird/lib rary.yaml"
cat > "$out/weird.yaml" <<EOF
experiment: weird
dataset: {source: "$weird/fm data", limit_train: 100, limit_test: 50}
library: {sources: [{builtin: "$weird/lib rary.yaml"}]}
steps: [{name: baseline, kind: baseline}]
EOF
"$snakemake" --cores 2 --configfile "$out/weird.yaml" --config results_root="$weird/res" -- \
  "$weird/res/weird/library.h5" "$weird/res/weird/dataset.h5" > "$out/weird.txt" 2>&1 \
  || { cat "$out/weird.txt"; fail "paths with shell metacharacters"; }
[[ -s "$weird/res/weird/library.h5" && -s "$weird/res/weird/dataset.h5" ]] || fail "weird paths: outputs missing"
[[ ! -e "$out/PWNED" && ! -e "$out/PWNED2" ]] || fail "a config value was run by the shell"

# Changing a step's settings re-runs that step and what depends on it, nothing upstream.
sed 's/optimizer: {lr: 0.01}, lambda: 0.2}/optimizer: {lr: 0.02}, lambda: 0.2}/' $tiny > "$out/tiny-lr.yaml"
sm -n --configfile "$out/tiny-lr.yaml" > "$out/dry.txt" 2>&1 || { cat "$out/dry.txt"; fail "dry run with a changed setting"; }
grep -q "rule step_noise:" "$out/dry.txt" || { cat "$out/dry.txt"; fail "a changed noise setting did not re-run the noise step"; }
if grep -qE "rule (step_baseline|step_quant|step_sensitivity|build_library):" "$out/dry.txt"; then
  fail "a changed noise setting re-ran an upstream step"
fi

# Changing a library source rebuilds the library and everything after it.
cp tests/workflow/tiny-library.yaml "$out/lib-copy.yaml"
sed "s|builtin: tests/workflow/tiny-library.yaml|builtin: $out/lib-copy.yaml|" $tiny > "$out/tiny-copy.yaml"
sm -n --configfile "$out/tiny-copy.yaml" > "$out/dry.txt" 2>&1 || { cat "$out/dry.txt"; fail "dry run with a copied source"; }
grep -q "build_library" "$out/dry.txt" || fail "a changed library source (another file) did not rebuild the library"
grep -q "step_match" "$out/dry.txt" || fail "a changed library source did not re-run the matching"

# Deleting a middle artifact re-runs what depends on it, and nothing upstream or in the other branch.
rm "$t/noise.lambda-0.5/match.h5"
sm --configfile $tiny > "$out/run3.txt" 2>&1 || { cat "$out/run3.txt"; fail "third run"; }
for r in step_match step_deploy step_retrain report; do grep -q "rule $r:" "$out/run3.txt" || fail "$r did not re-run"; done
if grep -q "rule step_deploy_b:" "$out/run3.txt"; then fail "the budget branch re-ran for a noise-branch change"; fi
if grep -qE "rule (step_baseline|step_quant|step_noise|step_sample|build_library|import_dataset):" "$out/run3.txt"; then
  fail "an upstream rule re-ran needlessly"
fi
[[ $(grep -c "rule step_match:" "$out/run3.txt") == 1 ]] || fail "the other lambda branch re-ran"

# A job killed mid-way (SIGKILL, no chance to clean up) leaves no artifact that looks finished: the
# programs write a hidden temporary file and rename it only when complete.
"$AXNN_BIN/axnn-train" -d "$t/dataset.h5" --arch lenet5 --set epochs=200 -o "$out/killed.h5" > "$out/kill.log" 2>&1 &
pid=$!
sleep 4
kill -KILL $pid
wait $pid 2> /dev/null || true
[[ ! -e "$out/killed.h5" ]] || fail "a killed axnn-train left killed.h5"
echo "workflow test: passed"
