#!/usr/bin/env bash
# Regenerates scripts/python-requirements.lock from scripts/python-requirements.in: every package,
# dependencies included, at one exact version with the SHA-256 hashes of its files on PyPI, for
# CPython 3.11 on x86-64 Linux (Debian 12's Python). Uses uv (pip-installed into a throwaway venv).
#   scripts/update-python-lock.sh                 the newest versions the ranges allow
#   scripts/update-python-lock.sh --keep .venv    the versions installed in .venv wherever the ranges allow
# Then run `make test` (setup.sh installs the new lock into .venv) and commit both files.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
python3 -m venv "$tmp/uv"
"$tmp/uv/bin/pip" install -q uv
args=()
if [[ "${1:-}" == "--keep" ]]; then
  "${2:?--keep needs a venv folder}/bin/python" -m pip freeze > "$tmp/installed.txt"
  args+=(--constraint "$tmp/installed.txt")
fi
"$tmp/uv/bin/uv" pip compile scripts/python-requirements.in "${args[@]}" --generate-hashes --no-annotate \
  --no-header --quiet --python-version 3.11 --python-platform x86_64-manylinux_2_28 -o "$tmp/lock"
{
  echo "# Exact versions and hashes of every Python package axnn installs (scripts/setup.sh, with"
  echo "# pip --require-hashes). Generated from python-requirements.in by scripts/update-python-lock.sh;"
  echo "# do not edit by hand."
  cat "$tmp/lock"
} > scripts/python-requirements.lock
echo "wrote scripts/python-requirements.lock ($(grep -c '==' scripts/python-requirements.lock) packages)"
