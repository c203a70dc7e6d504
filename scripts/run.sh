#!/usr/bin/env bash
# The main job: set up, build, then open the editor (`chronus`), with the audio device it finds
# (or the null driver, which it says in the window). Arguments go to chronus: a patch file,
# --audio jack, or a command (scripts/run.sh render PATCH.json --seconds 8 --out x.wav).
# With no display, chronus says so in one line and points at `chronus serve`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${CHRONUS_BUILD_DIR:-$ROOT/build}"
"$ROOT/scripts/build.sh"
exec "$BUILD_DIR/src/chronus" "$@"
