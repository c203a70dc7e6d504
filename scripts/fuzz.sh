#!/usr/bin/env bash
# Fuzzes the patch-file parser with libFuzzer under ASan + UBSan (clang), seeded with the test corpus.
# Usage: scripts/fuzz.sh [SECONDS]   (default 60). Crashes land in build-fuzz/crashes/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="$ROOT/build-fuzz"
"$ROOT/scripts/deps.sh"
command -v clang++ >/dev/null && [ -n "$(ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a 2>/dev/null)" ] || {
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq clang libclang-rt-14-dev >/dev/null
}
CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCHRONUS_FUZZ=ON -DCHRONUS_SANITIZE=address -DCHRONUS_BUILD_BENCH=OFF >/dev/null
cmake --build "$BUILD_DIR" --target fuzz_patch_file
mkdir -p "$BUILD_DIR/corpus" "$BUILD_DIR/crashes"
cp "$ROOT"/tests/data/patches/* "$ROOT"/tests/data/fuzz-corpus/* "$ROOT"/resources/patches/* "$BUILD_DIR/corpus/"
"$BUILD_DIR/tests/fuzz/fuzz_patch_file" -max_total_time="${1:-60}" -max_len=65536 \
    -artifact_prefix="$BUILD_DIR/crashes/" "$BUILD_DIR/corpus"
