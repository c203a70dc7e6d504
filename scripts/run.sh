#!/usr/bin/env bash
# The main job: set up, build, then render the example patch to a WAV file and report its levels.
# Usage: scripts/run.sh [PATCH.json] [SECONDS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${CHRONUS_BUILD_DIR:-$ROOT/build}"
"$ROOT/scripts/build.sh"
PATCH="${1:-$ROOT/resources/patches/pulse-bass.json}"
SECONDS_TO_RENDER="${2:-16}"
OUT="$BUILD_DIR/$(basename "${PATCH%.json}").wav"
"$BUILD_DIR/src/app/chronus" render "$PATCH" --seconds "$SECONDS_TO_RENDER" --out "$OUT"
echo "listen: play $OUT   (or measure: sox $OUT -n stat)"
