#!/usr/bin/env bash
# Runs every test: the GoogleTest unit tests through CTest (which also runs the workflow tests).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${AXNN_BUILD_DIR:-build}
export PATH="$(pwd)/.venv/bin:$PATH"
ctest --test-dir "$build" --output-on-failure -j "${AXNN_JOBS:-$(nproc)}"
