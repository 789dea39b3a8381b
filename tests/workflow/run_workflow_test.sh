#!/usr/bin/env bash
# Workflow test: the real programs through Snakemake on a tiny config.
#   - every shipped config builds a DAG (dry run) and the workflow passes snakemake --lint;
#   - a bad config is rejected with the key named, before any job runs;
#   - the tiny config runs end to end, a second run does nothing, and deleting an output re-runs
#     only what depends on it.
# Usage: run_workflow_test.sh SOURCE_DIR BIN_DIR
set -euo pipefail
src=$1
export AXNN_BIN=$2
cd "$src"
snakemake=${SNAKEMAKE:-$src/.venv/bin/snakemake}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
sm() { "$snakemake" --cores 2 --config results_root="$out" "$@"; }

for cfg in workflows/configs/*.yaml; do
  sm -n --quiet --configfile "$cfg" > /dev/null || fail "dry run of $cfg"
done
# Lints other than "use conda/containers" fail the test (axnn's programs come from its own build).
"$snakemake" --lint --configfile workflows/configs/lenet5-fmnist.yaml > "$out/lint.txt" 2>&1 || true
if grep "^    \* " "$out/lint.txt" | grep -v "conda environment or container" | grep -q .; then
  cat "$out/lint.txt"; fail "snakemake --lint"
fi

if sm -n --configfile tests/workflow/tiny.yaml --config seed=-1 results_root="$out" > "$out/bad.txt" 2>&1; then
  fail "a negative seed was accepted"
fi
grep -q "seed" "$out/bad.txt" || { cat "$out/bad.txt"; fail "the schema error does not name the key"; }

sm --configfile tests/workflow/tiny.yaml > "$out/run1.txt" 2>&1 || { cat "$out/run1.txt"; fail "first run"; }
for f in dataset.h5 library.h5 library.txt logs/build_library.log logs/import_dataset.log benchmarks/build_library.tsv; do
  [[ -s "$out/tiny/$f" ]] || fail "missing $f"
done
grep -q "trunc6" "$out/tiny/library.txt" || fail "library listing lacks trunc6"
"$AXNN_BIN/axnn-inspect" "$out/tiny/dataset.h5" | grep -q "train (270, 1, 28, 28)\|/train/images .*(270, 1, 28, 28)" \
  || fail "dataset split sizes (270 train of 300 with val_fraction 0.1)"
"$AXNN_BIN/axnn-inspect" "$out/tiny/library.h5" | grep -q "kind: multipliers" || fail "inspect"

sm --configfile tests/workflow/tiny.yaml > "$out/run2.txt" 2>&1 || fail "second run"
grep -q "Nothing to be done" "$out/run2.txt" || { cat "$out/run2.txt"; fail "second run did work"; }

rm "$out/tiny/library.txt"
sm --configfile tests/workflow/tiny.yaml > "$out/run3.txt" 2>&1 || fail "third run"
grep -q "list_library" "$out/run3.txt" || fail "list_library did not re-run"
if grep -qE "rule (build_library|import_dataset)" "$out/run3.txt"; then fail "an upstream rule re-ran needlessly"; fi
echo "workflow test: 1 passed, 0 failed"
