#!/usr/bin/env bash
# MIDI clock in to step onsets on a real JACK server: jackd's dummy backend (48 kHz, 64-frame
# periods), midi_clock_probe (a JACK client of its own) sending start and a timing clock at BPM, then
# BPM2 for the second half, into `chronus play bench/midi/midi-clock.json --midi-in clock-probe` (a
# clock following MIDI, its sixteenth steps on the left), and timing each step's rising edge
# against its tick with the server's frame time: latency and jitter, steps lost or doubled.
#
# bench/midi/clock.sh [BUILD_DIR] [SECONDS] [WORKERS] [BPM] [BPM2]   (defaults: build 20 processes 120 175)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${1:-build}
seconds=${2:-20}
workers=${3:-processes}
bpm=${4:-120}
bpm2=${5:-175}
export JACK_DEFAULT_SERVER=chronus-clock-bench-$$ JACK_NO_AUDIO_RESERVATION=1
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

jackd -n "$JACK_DEFAULT_SERVER" -d dummy -r 48000 -p 64 >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do jack_lsp >/dev/null 2>&1 && break; sleep 0.1; done
"$build/src/chronus" play "$here/midi-clock.json" --audio jack --midi-in clock-probe --workers "$workers" \
    --seconds $((seconds + 15)) >/dev/null 2>"$build/midi-clock-chronus.log" &
pids+=($!)
for _ in $(seq 100); do jack_lsp 2>/dev/null | grep -q '^chronus:' && break; sleep 0.1; done
sleep 2 # the patch committed and playing
left=$(jack_lsp 2>/dev/null | grep '^chronus:' | sed -n 1p)
# The probe's MIDI port appears when it starts and chronus's MIDI input connects to it; the probe
# sends its start in the first period after that connection.
"$build/bench/midi_clock_probe" "$seconds" "$bpm" "$bpm2" "$left"
echo "chronus play said (xruns, failovers): $build/midi-clock-chronus.log" >&2
