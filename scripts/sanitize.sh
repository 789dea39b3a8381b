#!/usr/bin/env bash
# The torch-free libraries (core, io, config, kernels, multipliers, data, method core) and their unit
# tests built with clang, AddressSanitizer and UndefinedBehaviorSanitizer, then the fuzz targets of the
# readers for AXNN_FUZZ_SECONDS (default 30) each. Any sanitizer report or fuzz finding fails.
# Environment: AXNN_ASAN_BUILD_DIR (default build-asan), AXNN_JOBS, AXNN_FUZZ_SECONDS.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${AXNN_ASAN_BUILD_DIR:-build-asan}
jobs=${AXNN_JOBS:-$(nproc)}
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  mkdir -p "$build"
  CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAXNN_TORCH=OFF -DAXNN_FUZZ=ON \
    -DAXNN_CUDA=OFF -DAXNN_BUILD_BENCHMARKS=OFF -Wno-dev > "$build/configure.log" 2>&1 \
    || { cat "$build/configure.log"; exit 1; }
fi
cmake --build "$build" -j "$jobs"
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$build" --output-on-failure -j "$jobs"
tests/fuzz/run_fuzzers.sh "$(pwd)" "$build/fuzz" "${AXNN_FUZZ_SECONDS:-30}"
