#!/usr/bin/env bash
# Runs every test: the GoogleTest unit tests through CTest (which also runs the planner, catalogue and
# workflow tests), then the sanitizer build and the fuzzers (scripts/sanitize.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${AXNN_BUILD_DIR:-build}
export PATH="$(pwd)/.venv/bin:$PATH"
# AXNN_TEST_EXCLUDE=REGEX leaves out the ctest tests it matches (make quick).
ctest --test-dir "$build" --output-on-failure -j "${AXNN_JOBS:-$(nproc)}" ${AXNN_TEST_EXCLUDE:+-E "$AXNN_TEST_EXCLUDE"}
# The torch-free libraries again under ASan + UBSan, and the readers' fuzz targets (AXNN_SANITIZE=0 skips).
if [[ "${AXNN_SANITIZE:-1}" != 0 ]]; then
  scripts/sanitize.sh
fi
