#!/usr/bin/env bash
# Runs every fuzz target for a bounded time from a seed corpus made of the project's own inputs
# (IDX files, tables, EvoApproxLib models, YAML configs, artifacts). A crash, a sanitizer report or an
# unexpected exception makes a target exit non-zero, and this script with it.
# Usage: run_fuzzers.sh SOURCE_DIR FUZZ_BIN_DIR SECONDS_PER_TARGET
set -euo pipefail
src=$1 bin=$2 seconds=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TMPDIR=$work
corpus() { mkdir -p "$work/corpus/$1"; echo "$work/corpus/$1"; }

# IDX: the real label files (gzipped and plain) and a tiny image file.
c=$(corpus idx)
for f in /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz; do [[ -f $f ]] && cp "$f" "$c/" && gunzip -c "$f" > "$c/labels.idx"; done
printf '\x00\x00\x08\x03\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x02\x01\x02\x03\x04' > "$c/tiny.idx"
# Tables: a CSV and an int16 .npy (the first byte selects the reader).
c=$(corpus table)
python3 - "$c" <<'PY'
import struct, sys
d = sys.argv[1]
rows = "\n".join(",".join(str((a - 128) * (w - 128)) for w in range(256)) for a in range(256)) + "\n"
open(f"{d}/csv", "wb").write(b"\0" + rows.encode())
header = "{'descr': '<i2', 'fortran_order': False, 'shape': (256, 256), }"
header += " " * (63 - (10 + len(header)) % 64) + "\n"
data = b"".join(struct.pack("<h", max(-32768, min(32767, (a - 128) * (w - 128)))) for a in range(256) for w in range(256))
open(f"{d}/npy", "wb").write(b"\1" + b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + data)
PY
# EvoApproxLib models: the shipped ones when present, else the unit tests' own.
c=$(corpus evo_header)
evo=${AXNN_EVOAPPROXLIB:-$src/../shared/evoapproxlib}
if [[ -d "$evo/multiplers" ]]; then
  while IFS= read -r f; do cp "$f" "$c/$(basename "$(dirname "$f")")-$(basename "$f")"; done \
    < <(find "$evo/multiplers" -name "*.c")
fi
printf '// MAE = 1.0\n// PDK45_PWR = 0.3 mW\n#include <stdint.h>\nint16_t mul8s_T(int8_t A, int8_t B) { return A * B; }\n' > "$c/seed.c"
# YAML: the shipped experiment and library configs.
c=$(corpus config)
cp "$src"/workflows/configs/*.yaml "$src"/tests/workflow/*.yaml "$c/"
# Artifacts: fuzz_artifact edits valid artifacts it makes itself; its inputs are edit lists.
c=$(corpus artifact)
printf '\x00\x00\x01\x01\x00' > "$c/library-attribute"
printf '\x01\x03\x03\x05\x02\x07' > "$c/dataset-shape"

findings=${AXNN_FUZZ_FINDINGS:-$bin/findings}   # inputs that failed stay here for a rerun
mkdir -p "$findings"
status=0
for target in idx table evo_header config artifact; do
  n=$(ls "$work/corpus/$target" | wc -l)
  echo "fuzz_$target: $seconds s from $n seed inputs"
  if ! "$bin/fuzz_$target" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$findings/" "$work/corpus/$target" > "$work/$target.log" 2>&1; then
    tail -40 "$work/$target.log"; echo "FAIL: fuzz_$target found a problem"; status=1
  fi
  grep -E "stat::number_of_executed_units|stat::new_units_added" "$work/$target.log" | tr '\n' ' '; echo
done
exit $status
