#!/usr/bin/env bash
# Installs what axnn needs and is missing; fast and silent when everything is there.
#   1. Debian packages listed in scripts/debian-packages.txt, and with --test also those of
#      scripts/debian-packages-test.txt (needs root and Debian's archive);
#   2. a project-local virtual environment .venv with the exact versions of
#      scripts/python-requirements.lock, checked against their hashes (pip --require-hashes). A torch
#      that is already importable (e.g. on an offline GPU machine) is reused, not downloaded; the rest
#      of the lock is installed beside it.
# Environment: AXNN_VENV (default .venv); AXNN_SKIP_APT=1 skips step 1 and AXNN_SKIP_VENV=1 step 2
# (e.g. in the conda environment of environment.yml, with AXNN_VENV=$CONDA_PREFIX).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
venv=${AXNN_VENV:-$root/.venv}
log() { echo "[setup] $*" >&2; }
tier=demo
case "${1:-}" in
  --test) tier=test ;;
  "") ;;
  *) echo "usage: scripts/setup.sh [--test]" >&2; exit 2 ;;
esac

install_debian_packages() {
  [[ "${AXNN_SKIP_APT:-0}" == 1 ]] && return
  local lists=(scripts/debian-packages.txt)
  [[ "$tier" == test ]] && lists+=(scripts/debian-packages-test.txt)
  mapfile -t wanted < <(grep -hvE '^\s*(#|$)' "${lists[@]}")
  local missing=()
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && return
  log "installing Debian packages: ${missing[*]}"
  local sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { log "not root and no sudo: install these first: ${missing[*]}"; exit 1; }
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# A python3 outside the venv that can already import torch, if any.
python_with_torch() {
  for py in "${AXNN_PYTHON:-}" python3 /usr/bin/python3; do
    [[ -n "$py" ]] && command -v "$py" >/dev/null && "$py" -c "import torch" 2>/dev/null && { command -v "$py"; return; }
  done
  return 0
}

# The lock without torch and the CUDA packages only torch needs (when a system torch is reused).
lock_without_torch() {
  python3 - "$1" <<'PY'
import re, sys
skip = re.compile(r"^(torch|triton|nvidia-[a-z0-9-]+|cuda-[a-z0-9-]+)==")
keep = True
for line in open(sys.argv[1]):
    if line[:1].isalnum():
        keep = not skip.match(line)
    if keep:
        sys.stdout.write(line)
PY
}

setup_venv() {
  [[ "${AXNN_SKIP_VENV:-0}" == 1 ]] && return
  local lock=scripts/python-requirements.lock stamp="$venv/.axnn-requirements"
  if [[ -x "$venv/bin/python" && -f "$stamp" ]] && cmp -s "$lock" "$stamp" \
     && "$venv/bin/python" -c "import torch, h5py, matplotlib, yaml, jsonschema" 2>/dev/null; then
    return
  fi
  local base_py system_torch
  system_torch=$(python_with_torch)
  if [[ -n "$system_torch" ]]; then
    log "reusing the torch importable from $system_torch"
    base_py=$system_torch
    [[ -x "$venv/bin/python" ]] || "$base_py" -m venv --system-site-packages "$venv"
  else
    base_py=$(command -v python3)
    [[ -x "$venv/bin/python" ]] || "$base_py" -m venv "$venv"
  fi
  log "installing the pinned Python packages of $lock into $venv (torch is a large download the first time)"
  "$venv/bin/python" -m pip install -q --upgrade pip
  if [[ -n "$system_torch" ]]; then
    lock_without_torch "$lock" > "$venv/.requirements-no-torch"
    "$venv/bin/python" -m pip install -q --require-hashes --no-deps -r "$venv/.requirements-no-torch"
  else
    "$venv/bin/python" -m pip install -q --require-hashes -r "$lock"
  fi
  cp "$lock" "$stamp"
}

install_debian_packages
setup_venv
