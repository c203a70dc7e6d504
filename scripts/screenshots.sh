#!/usr/bin/env bash
# Renders the editor offscreen with the 175 BPM example track (21 modules) committed and playing on
# the null driver, and writes PNGs into docs/ (the README shows docs/editor.png).
# Usage: scripts/screenshots.sh [OUT_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/docs}"
BUILD_DIR="${CHRONUS_BUILD_DIR:-$ROOT/build}"
"$ROOT/scripts/build.sh" >/dev/null
mkdir -p "$OUT"
export QT_QPA_PLATFORM=offscreen
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT
# A scratch HOME: the user's autosave, recent files and settings stay untouched.
run() { HOME="$SCRATCH" XDG_CONFIG_HOME="$SCRATCH/config" XDG_DATA_HOME="$SCRATCH/data" "$BUILD_DIR/src/chronus" "$@"; }
run "$ROOT/resources/patches/dnb-175.json" --commit --audio null --no-osc --fresh --size 1920x1080 --screenshot "$OUT/editor.png"
run --audio null --no-osc --fresh --screenshot "$OUT/editor-demo.png"
echo "screenshots in $OUT"
