#!/usr/bin/env bash
# MIDI note-on to sound onset on a real JACK server: jackd's dummy backend (48 kHz, 64-frame
# periods), jack_midiseq playing two notes per 24007 frames (not a multiple of the period, so the
# notes fall on every offset inside a period in turn) into `chronus play bench/midi/midi-voice.json
# --midi-in seq` (midi_in -> saw -> vca, the gate itself on the right channel) and, beside it,
# jack_midisine (jackd2's reference MIDI synth). midi_latency_probe, a JACK client of its own,
# stamps each note-on and each onset with the server's frame time and prints latency and jitter.
#
# bench/midi/latency.sh [BUILD_DIR] [SECONDS] [WORKERS]     (defaults: build 20 processes)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${1:-build}
seconds=${2:-20}
workers=${3:-processes}
export JACK_DEFAULT_SERVER=chronus-midi-bench-$$ JACK_NO_AUDIO_RESERVATION=1
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

jackd -n "$JACK_DEFAULT_SERVER" -d dummy -r 48000 -p 64 >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do jack_lsp >/dev/null 2>&1 && break; sleep 0.1; done
jack_midiseq seq 24007 0 60 6000 12003 64 6000 >/dev/null 2>&1 &
pids+=($!)
jack_midisine >/dev/null 2>&1 &
pids+=($!)
"$build/src/chronus" play "$here/midi-voice.json" --audio jack --midi-in seq --workers "$workers" \
    --seconds $((seconds + 10)) >/dev/null 2>"$build/midi-latency-chronus.log" &
pids+=($!)
for _ in $(seq 100); do
    jack_lsp 2>/dev/null | grep -q '^chronus:' && jack_lsp 2>/dev/null | grep -q '^midisine:audio_out' && break
    sleep 0.1
done
jack_connect seq:out midisine:midi_in
sleep 2 # the patch committed and playing
left=$(jack_lsp 2>/dev/null | grep '^chronus:' | sed -n 1p)
right=$(jack_lsp 2>/dev/null | grep '^chronus:' | sed -n 2p)
"$build/bench/midi_latency_probe" "$seconds" seq:out "chronus-saw=$left" "chronus-gate=$right" midisine=midisine:audio_out
echo "chronus play said (xruns, failovers): $build/midi-latency-chronus.log" >&2
