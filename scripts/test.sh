#!/usr/bin/env bash
# Set up, build, and run the whole test suite headless. Extra arguments go to ctest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${CHRONUS_BUILD_DIR:-$ROOT/build}"
"$ROOT/scripts/build.sh"
export QT_QPA_PLATFORM=offscreen
cd "$BUILD_DIR"
ctest --output-on-failure --timeout 300 "$@"
