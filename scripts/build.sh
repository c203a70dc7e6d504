#!/usr/bin/env bash
# Installs missing dependencies, configures and builds Chronus (Release) into ./build.
# Extra arguments go to CMake's configure step, e.g. -DCHRONUS_SANITIZE=address.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${CHRONUS_BUILD_DIR:-$ROOT/build}"
"$ROOT/scripts/deps.sh"
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-Release}" "$@" >/dev/null
cmake --build "$BUILD_DIR" --parallel "$(nproc)"
