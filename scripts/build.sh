#!/usr/bin/env bash
# Configures (once) and builds axnn with CMake, LibTorch taken from the project's virtual environment.
# Environment: AXNN_BUILD_DIR (default build), AXNN_BUILD_TYPE (default Release), AXNN_CUDA (AUTO/ON/OFF),
# AXNN_JOBS (default: number of cores), AXNN_VENV (default .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${AXNN_BUILD_DIR:-build}
venv=${AXNN_VENV:-$(pwd)/.venv}
jobs=${AXNN_JOBS:-$(nproc)}
prefix=$("$venv/bin/python" -c 'import torch; print(torch.utils.cmake_prefix_path)')
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  mkdir -p "$build"
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE="${AXNN_BUILD_TYPE:-Release}" -DAXNN_CUDA="${AXNN_CUDA:-AUTO}" \
    -DCMAKE_PREFIX_PATH="$prefix" -Wno-dev > "$build/configure.log" 2>&1 \
    || { cat "$build/configure.log"; exit 1; }
  grep -E "^-- axnn" "$build/configure.log" || true
fi
cmake --build "$build" -j "$jobs"
