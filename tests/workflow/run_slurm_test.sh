#!/usr/bin/env bash
# SLURM workflow test: the tiny workflow through workflows/profiles/slurm on a real single-node SLURM
# that scripts/slurm/local-cluster.sh starts (slurmctld, slurmd, slurmdbd on MariaDB, munge) and stops
# again, by pid, however the test ends.
#   - the sbatch arguments of a GPU step with two data-parallel tasks (a stand-in sbatch records them);
#   - the tiny config (its baseline trains on two MPI ranks started by srun) runs end to end: every job
#     COMPLETED in sacct, every job's log present, a training step and the short steps after it are one
#     job, and the summary equals a local run's.
# Usage: run_slurm_test.sh SOURCE_DIR BIN_DIR   (as root; needs slurm-wlm, slurmdbd, munge, mariadb-server)
set -euo pipefail
src=$1
export AXNN_BIN=$2
cd "$src"
snakemake=${SNAKEMAKE:-$src/.venv/bin/snakemake}
out=$(mktemp -d /tmp/axnn-slurm.XXXXXX)
state=$out/cluster
cleanup() {
  scripts/slurm/local-cluster.sh stop "$state" > /dev/null 2>&1 || true
  rm -rf "$out"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }
tiny=tests/workflow/tiny.yaml
# Status checks every 2 s at first (the executor's default waits 40 s before the first one).
slurm_args=(--profile workflows/profiles/slurm --default-resources slurm_partition=main slurm_account=axnn
            --slurm-init-seconds-before-status-checks 2 --slurm-keep-successful-logs)

eval "$(scripts/slurm/local-cluster.sh start "$state")"

# sbatch arguments of a GPU step: a stand-in sbatch first on PATH records them and refuses the job
# (its data set is imported locally first, so that the GPU step is the first job submitted).
mkdir -p "$out/fake"
cat > "$out/fake/sbatch" <<EOF
#!/bin/sh
printf '%s\n' "\$@" > "$out/sbatch-args.txt"
exit 1
EOF
chmod +x "$out/fake/sbatch"
sed -e 's/    tasks: 2  #.*/    tasks: 2\n    gpu: 1\n    gpu_model: h100\n    mem_mb: 8000\n    runtime: 30/' \
    -e '0,/    threads: 1/s//    threads: 3/' $tiny > "$out/gpu.yaml"
"$snakemake" --cores 1 --configfile "$out/gpu.yaml" --config results_root="$out/gpu" -- "$out/gpu/tiny/dataset.h5" \
  > "$out/gpu.txt" 2>&1 || { cat "$out/gpu.txt"; fail "importing the data set for the GPU step"; }
if PATH="$out/fake:$PATH" "$snakemake" "${slurm_args[@]}" --configfile "$out/gpu.yaml" --config results_root="$out/gpu" \
     --slurm-logdir "$out/gpu-logs" -- "$out/gpu/tiny/base/baseline.h5" > "$out/gpu.txt" 2>&1; then
  fail "the stand-in sbatch refused the job, yet snakemake succeeded"
fi
[[ -s "$out/sbatch-args.txt" ]] || { cat "$out/gpu.txt"; fail "sbatch was never called"; }
for want in "--gpus=h100:1" "--cpus-per-task=3" "--mem" "8000" "-t" "30" "-p" "main" "-A" "axnn" "--nodes=1" \
            "--ntasks-per-gpu=2" "--ntasks=2"; do
  grep -qxF -- "$want" "$out/sbatch-args.txt" || { cat "$out/sbatch-args.txt"; fail "sbatch was not given $want"; }
done
echo "GPU step: sbatch $(tr '\n' ' ' < "$out/sbatch-args.txt" | grep -oE -- '(-p|-A|-t|--mem) [^ ]+|--(gpus|cpus-per-task|nodes|ntasks[a-z-]*)=[^ ]+' | tr '\n' ' ')"

# The tiny workflow on the cluster.
since=$(date +%Y-%m-%dT%H:%M:%S)
t0=$(date +%s)
"$snakemake" "${slurm_args[@]}" --configfile $tiny --config results_root="$out/slurm" --slurm-logdir "$out/slurm-logs" \
  > "$out/slurm.txt" 2>&1 || { cat "$out/slurm.txt"; fail "the tiny workflow on SLURM"; }
wall=$(( $(date +%s) - t0 ))
sacct -X -n -P -S "$since" -o JobID,JobName,State > "$out/sacct.txt"
jobs=$(wc -l < "$out/sacct.txt")
(( jobs > 0 )) || fail "sacct lists no job"
if grep -v "|COMPLETED$" "$out/sacct.txt"; then fail "a job did not end COMPLETED"; fi
while IFS='|' read -r id _ _; do
  compgen -G "$out/slurm-logs/*/$id.log" > /dev/null || fail "no log for SLURM job $id"
done < "$out/sacct.txt"
# One job per training step and sweep point (10 in the tiny config: baseline, quant, rank, finetune, and
# noise, retrain, retrain_b at two points each) plus the data set and the library.
(( jobs == 12 )) || { cat "$out/sacct.txt"; fail "$jobs SLURM jobs, expected 12 (short steps grouped)"; }
# The baseline's two ranks were started by srun inside its job.
grep -q "starting 2 ranks with srun" "$out/slurm/tiny/base/logs/baseline.log" || fail "the baseline did not run on 2 srun ranks"
for f in logs/build_library.log noise.lambda-0.2/logs/match.log assign.budget-0.6/logs/retrain_b.log; do
  [[ -s "$out/slurm/tiny/$f" ]] || fail "missing the step log $f"
done
echo "tiny workflow on SLURM: $jobs jobs, all COMPLETED, ${wall}s"

# The same config locally: the same summary.
"$snakemake" --cores 2 --configfile $tiny --config results_root="$out/local" > "$out/local.txt" 2>&1 \
  || { cat "$out/local.txt"; fail "the tiny workflow locally"; }
cmp "$out/slurm/tiny/summary.csv" "$out/local/tiny/summary.csv" \
  || { diff "$out/slurm/tiny/summary.csv" "$out/local/tiny/summary.csv"; fail "the SLURM and local summaries differ"; }
echo "SLURM workflow test: passed"
