#!/usr/bin/env bash
# The Chronus benchmarks. Three parts, all run by default:
#  - voice: the reference voice workload (see BENCHMARKS.md) rendered by our engine
#    (bench/chronus_bench, built in Release as shipped: no -march=native) and by SuperCollider's
#    scsynth in non-real-time mode, side by side in the same run: realtime factors, voices per
#    core, the ratio, instructions per voice-sample, and whether both bars pass.
#  - slots: the dual-slot engine (bench/chronus_slot_bench): prime time and commit latency for
#    4, 64 and 1024 modules, failover on a stalled worker, output latency, and a soak on a private
#    JACK dummy server (1 commit/s, 100 parameter changes/s) next to an idle-JACK baseline.
#  - music: the example tracks (resources/patches: dnb-175, techno-130, ambient) in the dual-slot
#    engine's default configuration (hot mirror) on a private JACK dummy server at 48 kHz / 64
#    frames: DSP load per slot, none-reads, xruns; their offline render speed (OfflineRenderer and
#    `chronus render`), the single-core load it implies and their instructions per sample
#    (callgrind); and every registered module's process() alone (bench/chronus_module_bench):
#    instructions per sample under callgrind, active and idle, next to its native time per sample.
#
# Usage: bench/run.sh [all]                                  all three parts (about 10-12 minutes)
#        bench/run.sh voice                                  the voice workload only
#        bench/run.sh slots                                  the dual-slot benchmarks only (~3 minutes)
#        bench/run.sh music                                  the tracks and the modules only (~3 minutes)
#        bench/run.sh osc                                    OSC /mod throughput and send->reply latency
#                                                            against chronus serve (~4 minutes; not in all)
#        bench/run.sh editor                                 the editor offscreen: 200 modules, 300 cables
#                                                            (frame times, add/connect, first frame; ~1 minute)
#        bench/run.sh workers                                worker processes against worker threads, side by
#                                                            side (~8 minutes; not in all): the reference voice
#                                                            workload live on the JACK dummy (engine CPU, voices
#                                                            per core, context switches, CPU outside the render,
#                                                            DSP load, none-reads), kill -9 of the
#                                                            active worker during dnb-175 (to the switch, to an
#                                                            in-step mirror), prime and commit both ways
#        bench/run.sh soak [--minutes M | SECONDS] [--workers threads|processes|both] [--ring N]
#                                                            the latency soak alone: a private JACK dummy
#                                                            server at 64 frames, 1 commit/s, 100 live
#                                                            changes/s, at the default ring target (or N),
#                                                            once per worker mode (default both), after a
#                                                            30-s idle-JACK baseline; default 30 s per mode,
#                                                            `bench/run.sh soak --minutes 10` is the 10-minute
#                                                            soak. Prints, per mode: none-reads, xruns,
#                                                            occupancy min, commits, live changes, DSP load
#                                                            and latency_ms (one `soak:` line each)
#        bench/run.sh poly                                   the reference voice as a poly patch (16 channels
#                                                            a group, N = 16, 64, 256) rendered by the shipped
#                                                            `chronus render`, against scsynth's N synths, side by
#                                                            side; bars: 5x scsynth's voices per core, <= 10
#                                                            instructions per voice-sample (N = 32 against 16)
#        VOICES="1 16" REPS=1 RUN_CALLGRIND=0 bench/run.sh voice   a quick look
# Needs bash >= 5 (EPOCHREALTIME) and root or sudo when Debian packages are missing. The soak needs
# jackd (Debian jackd2, installed with the rest when INSTALL=1); without it the soak says so and
# is skipped.
# Writes bench/results/ (git-ignored): voice part: table.md, summary.json, raw.csv, callgrind.csv,
# wavstat.txt, commands.txt, machine.txt, logs/; slots part: slots/ (table.md, one .md and .csv
# per benchmark, commands.txt, machine.txt, load.txt, logs/; `soak` writes table_soak_Ss.md,
# soak_MODE_rR_Ss.md per worker mode, soak_summary_Ss.txt (their `soak:` lines) and its own
# commands, machine and load files); music part: music/ (table.md,
# tracks.md, one .md per track, music.csv, render.csv, tracks_callgrind.csv, modules.md,
# modules.csv, modules_native.csv, commands.txt, machine.txt, load.txt, logs/); workers part:
# workers/ (table.md, voices.md, voices_hugetlb.md, kill.md, kill.csv, prime_threads.md/.csv, prime_processes.md/.csv,
# commands.txt, machine.txt, load.txt, logs/). Exit status 0
# when every bar passes (music: every track renders finite audio with no none-read, and every
# module has its callgrind figure).
set -euo pipefail

MODE="${1:-all}"
case "$MODE" in
  all|voice|slots|music) ;;
  poly) ;;
  osc|editor|workers) ;;
  soak)
    shift
    while [ $# -gt 0 ]; do
      case "$1" in
        --minutes) SOAK_SECONDS=$(awk -v m="${2:?--minutes needs a number}" 'BEGIN { printf "%d", m * 60 }'); shift 2 ;;
        --workers) SOAK_WORKERS="${2:?--workers needs threads, processes or both}"; shift 2 ;;
        --ring) SOAK_RINGS="${2:?--ring needs a number of blocks}"; shift 2 ;;
        [0-9]*) SOAK_SECONDS="$1"; shift ;;
        *) echo "usage: bench/run.sh soak [--minutes M | SECONDS] [--workers threads|processes|both] [--ring N]" >&2; exit 2 ;;
      esac
    done
    case "${SOAK_WORKERS:-both}" in
      both) SOAK_WORKERS="threads processes" ;;
      threads|processes) ;;
      *) echo "bench/run.sh soak: --workers must be threads, processes or both" >&2; exit 2 ;;
    esac
    [ "${SOAK_SECONDS:-30}" -gt 0 ] 2>/dev/null || { echo "bench/run.sh soak: the length must be at least a second" >&2; exit 2; }
    ;;
  -h|--help) sed -n '2,61p' "$0"; exit 0 ;;
  *) echo "usage: bench/run.sh [all|voice|poly|slots|music|osc|editor|workers|soak [--minutes M | SECONDS] [--workers threads|processes|both] [--ring N]]" >&2; exit 2 ;;
esac

# ------------------------------------------------------------------ settings (override from the environment)
REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR="$REPO_DIR/bench"
BUILD_DIR="${BUILD_DIR:-$REPO_DIR/build-bench}"
RESULTS_DIR="${RESULTS_DIR:-$BENCH_DIR/results}"
POLY=0
CG_VOICES="1 16"                          # the callgrind runs' voice counts (per voice: the difference)
if [ "$MODE" = poly ]; then
  POLY=1; RESULTS_DIR="$RESULTS_DIR/poly"; VOICES="${VOICES:-16 64 256}"; CG_VOICES="16 32"
  export BENCH_CG_VOICES="$CG_VOICES" BENCH_RATIO_BAR=5 BENCH_IR_BAR=10
fi
WORK_DIR="${WORK_DIR:-$RESULTS_DIR/work}"   # scsynth inputs, output-check WAVs
VOICES="${VOICES:-1 16 64 256}"
AUDIO_SECONDS="${AUDIO_SECONDS:-60}"      # per timed run
REPS="${REPS:-5}"                          # the median of this many runs is reported
VERIFY_SECONDS="${VERIFY_SECONDS:-5}"     # output check: N = 1 and 16 rendered to real WAV files
RUN_CALLGRIND="${RUN_CALLGRIND:-1}"
CG_SECONDS="${CG_SECONDS:-5}"             # callgrind runs: N = 1 and 16, this many seconds
BENCH_CPU="${BENCH_CPU:-auto}"            # core for the timed runs: auto = the faster in a calibration, '' = none
INSTALL="${INSTALL:-1}"                   # install missing Debian packages with apt-get
NULL_DEV="${NULL_DEV:-/dev/null}"
TIME_BIN="${TIME_BIN:-/usr/bin/time}"     # GNU time (Debian package "time")
PYTHON="${PYTHON:-python3}"
BENCH_CXXFLAGS="${BENCH_CXXFLAGS:-}"      # e.g. -DCHRONUS_NO_SIMD_DISPATCH: measure the baseline x86-64 paths only
SR=48000
BLOCK=64
TOOL="$BENCH_DIR/benchtool.py"
BENCH_BIN="$BUILD_DIR/bench/chronus_bench"
SLOT_BIN="$BUILD_DIR/bench/chronus_slot_bench"
SLOTS_DIR="$RESULTS_DIR/slots"
SLOT_REPS="${SLOT_REPS:-20}"              # prime/commit repetitions per patch size (median and max reported)
FAILOVER_REPS="${FAILOVER_REPS:-20}"      # stalls injected
SOAK_SECONDS="${SOAK_SECONDS:-30}"        # soak length per ring target and worker mode (bench/run.sh soak --minutes M)
# Ring targets the soak runs at: "default" (the engine's, EngineConfig::ringTargetBlocks: judged)
# and, in the slots part, 1 (shown, not judged). Worker modes: the slots part keeps to threads;
# `soak` mode runs both (SOAK_WORKERS, --workers).
if [ "$MODE" = soak ]; then SOAK_RINGS="${SOAK_RINGS:-default}"; else SOAK_RINGS="${SOAK_RINGS:-default 1}"; fi
SOAK_WORKERS="${SOAK_WORKERS:-threads}"
JACK_IDLE_SECONDS="${JACK_IDLE_SECONDS:-30}" # the idle-JACK xrun baseline next to the soak
JACKD="${JACKD:-$(command -v jackd || true)}"
LOADF="$SLOTS_DIR/load.txt"                 # load average around each dual-slot benchmark
SLOT_CMDS="$SLOTS_DIR/commands.txt"        # every dual-slot command line, as run
if [ "$MODE" = soak ]; then
  LOADF="$SLOTS_DIR/load_soak_${SOAK_SECONDS}s.txt"; SLOT_CMDS="$SLOTS_DIR/commands_soak_${SOAK_SECONDS}s.txt"
fi
MUSIC_DIR="$RESULTS_DIR/music"
MUSIC_PATCHES="${MUSIC_PATCHES:-dnb-175 techno-130 ambient}" # resources/patches/NAME.json
MUSIC_SECONDS="${MUSIC_SECONDS:-20}"      # live, per track, on the JACK dummy server
MUSIC_RENDER_SECONDS="${MUSIC_RENDER_SECONDS:-20}" # audio per offline render
MUSIC_REPS="${MUSIC_REPS:-5}"             # offline renders per track (median reported)
MUSIC_CG_SECONDS="${MUSIC_CG_SECONDS:-5}" # audio per track under callgrind
MODULE_SECONDS="${MODULE_SECONDS:-4}"     # audio per module row (after 0.5 s not measured)
MODULE_REPS="${MODULE_REPS:-5}"           # native timings per module row (median reported)
MODULE_BIN="$BUILD_DIR/bench/chronus_module_bench"
CHRONUS_BIN="$BUILD_DIR/src/chronus"

# OSC control (bench/run.sh osc): chronus_osc_bench against `chronus serve` on loopback.
OSC_DIR="$RESULTS_DIR/osc"
OSC_BIN="$BUILD_DIR/bench/chronus_osc_bench"
OSC_AUDIO="${OSC_AUDIO:-auto}"            # auto: a private JACK dummy server when jackd is there, else null
OSC_SECONDS="${OSC_SECONDS:-5}"           # per run
OSC_RATES="${OSC_RATES:-1000,5000,10000,20000,40000,max}" # paced targets in msg/s; max = unpaced
OSC_WINDOWS="${OSC_WINDOWS:-1,64}"        # runs with at most this many requests outstanding
OSC_REPS="${OSC_REPS:-3}"                 # medians of this many (each with a fresh server)
if [ "$MODE" = osc ]; then mkdir -p "$OSC_DIR/logs"; SLOT_CMDS="$OSC_DIR/commands.txt"; fi

# Worker processes against threads (bench/run.sh workers).
WORKERS_DIR="$RESULTS_DIR/workers"
WORKER_VOICES="${WORKER_VOICES:-16,128,512}"  # voice counts of the reference voice workload
WORKER_VOICE_REPS="${WORKER_VOICE_REPS:-8}"    # runs per voice count and mode (alternating; a cell moves by
                                               # +-10 % between runs on a shared VM: more runs, a steadier median)
WORKER_VOICE_SECONDS="${WORKER_VOICE_SECONDS:-4}" # measured seconds per run
WORKER_HUGETLB="${WORKER_HUGETLB:-1}"          # the voice workload again with malloc on huge pages (informational)
WORKER_HUGETLB_REPS="${WORKER_HUGETLB_REPS:-2}"
KILL_REPS="${KILL_REPS:-20}"                   # kill -9 of the active worker during dnb-175
WORKER_PRIME_REPS="${WORKER_PRIME_REPS:-10}"   # prime/commit repetitions per row, per mode
if [ "$MODE" = workers ]; then mkdir -p "$WORKERS_DIR/logs"; SLOT_CMDS="$WORKERS_DIR/commands.txt"; LOADF="$WORKERS_DIR/load.txt"; fi

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
[ "${BASH_VERSINFO[0]}" -ge 5 ] || { log "needs bash >= 5"; exit 2; }

# ------------------------------------------------------------------ packages
need=()
have() { command -v "$1" >/dev/null 2>&1; }
if [ "$MODE" = music ]; then have valgrind || need+=(valgrind); fi
if [ "$MODE" = all ] || [ "$MODE" = voice ] || [ "$MODE" = poly ]; then
  have scsynth || need+=(supercollider-server)
  have valgrind || need+=(valgrind)
  [ -x "$TIME_BIN" ] || need+=(time)
  have taskset || need+=(util-linux)
fi
if [ "$MODE" != voice ] && [ "$MODE" != poly ] && [ -z "$JACKD" ] && [ "$INSTALL" = 1 ]; then need+=(jackd2); fi
have "$PYTHON" || need+=(python3)
have cmake || need+=(cmake)
have ninja || need+=(ninja-build)
have c++ || need+=(g++)
have pkg-config || need+=(pkg-config)
if have dpkg-query; then # the engine's build dependencies (Qt Core is needed to configure the project)
  for p in libfftw3-dev libsndfile1-dev qt6-base-dev librtaudio-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
  done
fi
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$INSTALL" != 1 ]; then log "missing packages: ${need[*]} (INSTALL=0)"; exit 2; fi
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  log "installing: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  JACKD="${JACKD:-$(command -v jackd || true)}"
fi

mkdir -p "$RESULTS_DIR/logs" "$WORK_DIR" "$SLOTS_DIR/logs" "$MUSIC_DIR/logs"
if [ "$MODE" = all ] || [ "$MODE" = voice ] || [ "$MODE" = poly ]; then
  rm -f "$RESULTS_DIR"/logs/* "$RESULTS_DIR"/raw.csv "$RESULTS_DIR"/callgrind.csv
  : > "$RESULTS_DIR/commands.txt"
  : > "$RESULTS_DIR/wavstat.txt"
  CMDS="$RESULTS_DIR/commands.txt"; LOGS="$RESULTS_DIR/logs"
elif [ "$MODE" = music ]; then
  CMDS="$MUSIC_DIR/commands.txt"; LOGS="$MUSIC_DIR/logs"
  : > "$CMDS"
elif [ "$MODE" = workers ]; then
  CMDS="$SLOT_CMDS"; LOGS="$WORKERS_DIR/logs"
  : > "$CMDS"
else
  CMDS="$SLOT_CMDS"; LOGS="$SLOTS_DIR/logs"
  : > "$CMDS"
fi

# ------------------------------------------------------------------ build (Release, as shipped)
# CMAKE_CXX_FLAGS is set (empty by default) so that flags in the environment (CXXFLAGS) cannot
# leak in: the project's own Release flags only. The engine dispatches to AVX2 + FMA at run time
# where it has a faster path; the binary runs on any x86-64.
BENCH_TARGETS=(chronus_bench chronus_slot_bench chronus-slot-worker chronus_module_bench chronus)
if [ "$MODE" = workers ] || [ "$MODE" = soak ]; then BENCH_TARGETS=(chronus_slot_bench chronus-slot-worker); fi
if [ "$MODE" = poly ]; then BENCH_TARGETS=(chronus chronus-slot-worker); fi
log "building ${BENCH_TARGETS[*]} in $BUILD_DIR"
{
  echo "# build"
  echo "cmake -S $REPO_DIR -B $BUILD_DIR -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS='$BENCH_CXXFLAGS' -DCHRONUS_BUILD_TESTS=OFF -DCHRONUS_BUILD_BENCH=ON -DCHRONUS_SANITIZE="
  echo "ninja -C $BUILD_DIR ${BENCH_TARGETS[*]}"
} >> "$CMDS"
cmake -S "$REPO_DIR" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="$BENCH_CXXFLAGS" \
  -DCHRONUS_BUILD_TESTS=OFF -DCHRONUS_BUILD_BENCH=ON -DCHRONUS_SANITIZE= > "$LOGS/cmake.log" 2>&1 ||
  { log "cmake failed; see $LOGS/cmake.log"; tail -20 "$LOGS/cmake.log" >&2; exit 2; }
ninja -C "$BUILD_DIR" "${BENCH_TARGETS[@]}" > "$LOGS/build.log" 2>&1 ||
  { log "build failed; see $LOGS/build.log"; tail -30 "$LOGS/build.log" >&2; exit 2; }
if grep -q -- '-march=\|-mtune=native\|-mavx' "$BUILD_DIR/compile_commands.json"; then
  log "the build uses machine-specific flags; the benchmark measures the build as shipped"; exit 2
fi
engine_flags=$("$PYTHON" -c 'import json, sys
for e in json.load(open(sys.argv[1])):
    if e["file"].endswith("modules/Svf.cpp"):
        print(" ".join(a for a in e["command"].split() if a.startswith(("-O", "-f", "-m", "-D", "-std"))))' \
  "$BUILD_DIR/compile_commands.json")


# machine_info: the lines about this machine and tree that both parts record.
machine_info() {
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$REPO_DIR" diff --quiet HEAD -- src bench 2>/dev/null || echo ' (with uncommitted changes in src/ or bench/)')"
  # Others may be editing src/ while this runs: which tree was measured, exactly.
  local src_diff
  src_diff=$(git -C "$REPO_DIR" diff HEAD --stat -- src 2>/dev/null | tail -1 | sed 's/^ *//')
  echo "src/ uncommitted changes: ${src_diff:-none}${src_diff:+ (sha256 of the diff: $(git -C "$REPO_DIR" diff HEAD -- src | sha256sum | cut -c1-16))}; untracked files in src/: $(git -C "$REPO_DIR" ls-files --others --exclude-standard -- src 2>/dev/null | wc -l)"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "cpu id: $(awk -F': *' '/^vendor_id/{v=$2} /^cpu family/{f=$2} /^model[ \t]*:/{m=$2} /^stepping/{s=$2; exit} END{print v", family "f" model "m" stepping "s}' /proc/cpuinfo)"
  echo "cpu MHz (reported): $(grep -m1 'cpu MHz' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "cache: $(grep -m1 'cache size' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "flags (subset): $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -xE 'sse4_2|avx|avx2|fma|avx512f|hypervisor' | tr '\n' ' ')"
  echo "memory: $(free -h | awk '/^Mem:/{print $2}')"
  echo "kernel: $(uname -sr)"
  echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "compiler: $(c++ --version | head -1)"
  echo "engine compile flags (Svf.cpp): $engine_flags"
}

# ------------------------------------------------------------------ the voice workload against scsynth
run_voice() {
  # ------------------------------------------------------------------ core calibration
  # This VM's two vCPUs have differed in speed by up to 1.8x at times; the timed runs go to the
  # faster one: an awk loop of 1e7 iterations per core, best of 3.
  calibration=""
  if have taskset; then
    for c in $(seq 0 $(( $(nproc) - 1 ))); do
      best=""
      for _ in 1 2 3; do
        t0=$EPOCHREALTIME
        taskset -c "$c" awk 'BEGIN { for (i = 0; i < 1e7; i++) s += i * 0.5 }'
        t1=$EPOCHREALTIME
        best=$(awk -v b="$best" -v a="$t0" -v e="$t1" 'BEGIN { t = e - a; if (b == "" || t < b) b = t; printf "%.3f", b }')
      done
      calibration+="cpu$c ${best}s "
    done
    if [ "$BENCH_CPU" = auto ]; then
      BENCH_CPU=$(awk '{ for (i = 1; i < NF; i += 2) { t = $(i + 1); sub(/s$/, "", t)
                        if (b == "" || t + 0 < b) { b = t + 0; c = $i } } } END { sub(/^cpu/, "", c); print c }' <<< "$calibration")
    fi
  elif [ "$BENCH_CPU" = auto ]; then
    BENCH_CPU=""
  fi
  PIN=()
  if [ -n "$BENCH_CPU" ] && have taskset; then PIN=(taskset -c "$BENCH_CPU"); fi

  {
    machine_info
    echo "core calibration (awk loop of 1e7 iterations, best of 3): ${calibration:-not run}"
    echo "pinning: ${PIN[*]:-none}"
    echo "packages:"
    dpkg-query -W -f='  ${Package} ${Version}\n' supercollider-server valgrind 2>/dev/null || true
  } > "$RESULTS_DIR/machine.txt"
  log "$(sed -n 's/^cpu: //p' "$RESULTS_DIR/machine.txt"), $(nproc) cores; pinning: ${PIN[*]:-none}"

  # ------------------------------------------------------------------ commands
  # engine_cmd ENGINE N SECONDS [WAV]: sets CMD (run from $WORK_DIR) for one render; without WAV the
  # audio is discarded (ours) or written to the null device (scsynth, as in the anchor study).
  engine_cmd() {
    local eng=$1 n=$2 secs=$3 wav=${4:-}
    case "$eng" in
      chronus)
        if [ "$POLY" = 1 ]; then # the shipped command on a patch file, as a user runs it
          "$PYTHON" "$TOOL" poly-patch "$n" "$WORK_DIR/poly_n$n.json" > /dev/null
          CMD=("$CHRONUS_BIN" render "$WORK_DIR/poly_n$n.json" --seconds "$secs" --out "${wav:-$NULL_DEV}" --format float)
        else
          CMD=("$BENCH_BIN" --voices "$n" --seconds "$secs")
          if [ -n "$wav" ]; then CMD+=(--wav "$wav"); fi
        fi
        ;;
      scsynth)
        local score
        score=$("$PYTHON" "$TOOL" scsynth-inputs "$n" "$secs" "$WORK_DIR")
        CMD=(scsynth -D 0 -n 4096 -m 65536 -o 2 -i 0 -z "$BLOCK" -N "$score" _ "${wav:-$NULL_DEV}" "$SR" WAV float)
        ;;
    esac
  }
  ENGINES=(chronus scsynth)
  failures=0
  cd "$WORK_DIR"

  # ------------------------------------------------------------------ output check (not timed)
  echo "# output check (real WAV files, not timed; run in $WORK_DIR)" >> "$RESULTS_DIR/commands.txt"
  for eng in "${ENGINES[@]}"; do
    for n in $CG_VOICES; do
      wav="${eng}_n${n}_s${VERIFY_SECONDS}.wav"
      rm -f "$wav"
      engine_cmd "$eng" "$n" "$VERIFY_SECONDS" "$wav"
      echo "${CMD[*]}" >> "$RESULTS_DIR/commands.txt"
      "${CMD[@]}" > "$RESULTS_DIR/logs/verify_${eng}_n${n}.out" 2>&1 || { log "WARNING: $eng N=$n output check failed"; failures=$((failures + 1)); }
      stat=$("$PYTHON" "$TOOL" wavstat "$wav" 2>&1) || stat="unreadable: $stat"
      echo "$eng N=$n ${VERIFY_SECONDS}s: $stat" >> "$RESULTS_DIR/wavstat.txt"
      case "$stat" in *'"finite": true'*) ;; *) log "WARNING: $eng N=$n output: $stat"; failures=$((failures + 1)) ;; esac
    done
  done

  # ------------------------------------------------------------------ timed runs
  # Order: repetition, voice count, engine, with the engine order swapped every repetition, so both
  # engines' runs of one configuration sit next to each other in time and drifts of this shared
  # machine hit both alike. Wall time is taken around the whole process (start-up included, for
  # both engines); CPU time and peak RSS come from GNU time.
  echo "# timed runs (each under: $TIME_BIN -v -o LOG; run in $WORK_DIR)" >> "$RESULTS_DIR/commands.txt"
  log "timed runs: N = $VOICES, $AUDIO_SECONDS s of audio, $REPS repetitions"
  for rep in $(seq 1 "$REPS"); do
    for n in $VOICES; do
      for k in 0 1; do
        eng=${ENGINES[$(( (k + rep - 1) % 2 ))]}
        engine_cmd "$eng" "$n" "$AUDIO_SECONDS"
        tag="${eng}_n${n}_r${rep}"
        if [ "$rep" = 1 ]; then echo "${PIN[*]:+${PIN[*]} }${CMD[*]}" >> "$RESULTS_DIR/commands.txt"; fi
        t0=$EPOCHREALTIME
        "$TIME_BIN" -v -o "$RESULTS_DIR/logs/$tag.time" "${PIN[@]}" "${CMD[@]}" > "$RESULTS_DIR/logs/$tag.out" 2>&1 || true
        t1=$EPOCHREALTIME
        "$PYTHON" "$TOOL" record "$RESULTS_DIR/raw.csv" "$eng" "$n" "$AUDIO_SECONDS" "$rep" "$t0" "$t1" \
          "$RESULTS_DIR/logs/$tag.time" "$RESULTS_DIR/logs/$tag.out" >&2 || failures=$((failures + 1))
      done
    done
  done

  # ------------------------------------------------------------------ callgrind
  if [ "$RUN_CALLGRIND" = 1 ]; then
    echo "# callgrind (run in $WORK_DIR)" >> "$RESULTS_DIR/commands.txt"
    echo "engine,voices,seconds,ir" > "$RESULTS_DIR/callgrind.csv"
    for eng in "${ENGINES[@]}"; do
      for n in $CG_VOICES; do
        engine_cmd "$eng" "$n" "$CG_SECONDS"
        tag="cg_${eng}_n${n}_s${CG_SECONDS}"
        echo "valgrind --tool=callgrind --callgrind-out-file=$tag.out ${CMD[*]}" >> "$RESULTS_DIR/commands.txt"
        if valgrind --tool=callgrind --callgrind-out-file="$tag.out" "${CMD[@]}" > "$RESULTS_DIR/logs/$tag.log" 2>&1; then
          ir=$("$PYTHON" "$TOOL" callgrind-total "$tag.out")
          echo "$eng,$n,$CG_SECONDS,$ir" >> "$RESULTS_DIR/callgrind.csv"
          log "$tag: Ir $ir"
          # where the instructions go (our binary has symbols)
          if [ "$eng" = chronus ]; then
            callgrind_annotate "$tag.out" 2>/dev/null | head -40 > "$RESULTS_DIR/logs/$tag.top.txt" || true
          fi
        else
          log "WARNING: $tag failed"; failures=$((failures + 1))
        fi
        rm -f "$tag.out"
      done
    done
  fi

  # ------------------------------------------------------------------ summary
  rc=0
  "$PYTHON" "$TOOL" summarize "$RESULTS_DIR" || rc=$?
  log "results in $RESULTS_DIR (table.md); $failures warnings"
  [ "$failures" -eq 0 ] || rc=1
  return "$rc"
}

# ------------------------------------------------------------------ dual-slot engine
# slot_run NAME ARGS...: runs chronus_slot_bench ARGS, Markdown to $SLOTS_DIR/NAME.md (and the
# terminal), progress to logs/NAME.log; records the command and the load average around it.
# Exit codes: 0 pass, 1 a bar fails, 77 skipped, other: error.
slot_fail=0; slot_err=0; slot_skip=0
slot_run() {
  local name=$1; shift
  echo "$SLOT_BIN $*" >> "$SLOT_CMDS"
  echo "$name: load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$LOADF"
  local rc=0
  "$SLOT_BIN" "$@" > "$SLOTS_DIR/$name.md" 2> "$SLOTS_DIR/logs/$name.log" || rc=$?
  echo "$name: load average after:  $(cut -d' ' -f1-3 /proc/loadavg)" >> "$LOADF"
  cat "$SLOTS_DIR/$name.md"
  case "$rc" in
    0) log "$name: bars pass" ;;
    1) log "$name: a bar FAILS (see $SLOTS_DIR/$name.md)"; slot_fail=$((slot_fail + 1)) ;;
    77) log "$name: skipped"; slot_skip=$((slot_skip + 1)) ;;
    *) log "$name: ERROR (exit $rc; see $SLOTS_DIR/logs/$name.log)"; tail -5 "$SLOTS_DIR/logs/$name.log" >&2
       slot_err=$((slot_err + 1)) ;;
  esac
}

# The soak's file names: soak_<workers>_r<ring>_<seconds>s ("r" + "default" for the engine's ring).
soak_tag() { echo "soak_${1}_r${2}_${SOAK_SECONDS}s"; }

soak_runs() {
  local jackd_args=()
  if [ -n "$JACKD" ]; then jackd_args=(--jackd "$JACKD"); fi
  slot_run "jack-idle_${JACK_IDLE_SECONDS}s" jack-idle --seconds "$JACK_IDLE_SECONDS" "${jackd_args[@]}" \
    --jack-log "$SLOTS_DIR/logs/jackd_idle_${JACK_IDLE_SECONDS}s.log"
  for ring in $SOAK_RINGS; do
    for workers in $SOAK_WORKERS; do
      local tag; tag=$(soak_tag "$workers" "$ring")
      log "soak: $SOAK_SECONDS s at ring target $ring, worker $workers"
      local ring_args=()
      # A ring other than the default configuration's: shown, not judged.
      if [ "$ring" != default ]; then ring_args=(--ring-target "$ring" --info); fi
      slot_run "$tag" soak --seconds "$SOAK_SECONDS" --workers "$workers" "${ring_args[@]}" "${jackd_args[@]}" \
        --jack-log "$SLOTS_DIR/logs/jackd_$tag.log" --csv "$SLOTS_DIR/${tag}_rss.csv"
    done
  done
  # The figures side by side, one line per run (chronus_slot_bench's `soak:` line).
  log "soak summary ($SOAK_SECONDS s per run):"
  for ring in $SOAK_RINGS; do
    for workers in $SOAK_WORKERS; do
      grep -h '^soak:' "$SLOTS_DIR/$(soak_tag "$workers" "$ring").md" 2>/dev/null || echo "soak: $workers, ring $ring: no figures (see the log)"
    done
  done | tee "$SLOTS_DIR/soak_summary_${SOAK_SECONDS}s.txt"
}

run_slots() {
  cd "$REPO_DIR"
  # Clear what this run will write (a 10-minute soak's files stay until the next soak of that length).
  rm -f "$LOADF" "$SLOTS_DIR"/soak_*_"${SOAK_SECONDS}"s* "$SLOTS_DIR"/logs/*_"${SOAK_SECONDS}"s.log \
    "$SLOTS_DIR/jack-idle_${JACK_IDLE_SECONDS}s.md" "$SLOTS_DIR/logs/jack-idle_${JACK_IDLE_SECONDS}s.log"
  if [ "$MODE" != soak ]; then
    rm -f "$SLOTS_DIR"/prime.* "$SLOTS_DIR"/failover* "$SLOTS_DIR"/latency.md "$SLOTS_DIR/table.md" \
      "$SLOTS_DIR"/logs/prime.log "$SLOTS_DIR"/logs/failover* "$SLOTS_DIR"/logs/latency.log "$SLOTS_DIR"/logs/jackd_latency.log
  fi
  local machine="$SLOTS_DIR/machine.txt"
  if [ "$MODE" = soak ]; then machine="$SLOTS_DIR/machine_soak_${SOAK_SECONDS}s.txt"; fi
  if [ "$MODE" = all ]; then echo "# build: see ../commands.txt" > "$SLOT_CMDS"; fi
  echo "# dual-slot benchmarks (run in $REPO_DIR)" >> "$SLOT_CMDS"
  { machine_info; echo "jackd: ${JACKD:-not installed} $(dpkg-query -W -f='${Version}' jackd2 2>/dev/null || true)"
    echo "rtaudio: $(dpkg-query -W -f='${Version}' librtaudio6 2>/dev/null || echo unknown)"
    echo "load average at start: $(cat /proc/loadavg)"; } > "$machine"
  if [ "$MODE" != soak ]; then
    log "dual-slot: prime and commit ($SLOT_REPS repetitions per size)"
    slot_run prime prime --reps "$SLOT_REPS" --csv "$SLOTS_DIR/prime.csv"
    log "dual-slot: failover ($FAILOVER_REPS stalls)"
    slot_run failover failover --reps "$FAILOVER_REPS" --csv "$SLOTS_DIR/failover.csv"
    # The same stall with a mirror that is not in step (a knob turned between prime and commit),
    # the default configuration otherwise.
    slot_run failover_not_in_step failover --reps "$FAILOVER_REPS" --not-in-step --csv "$SLOTS_DIR/failover_not_in_step.csv"
    slot_run failover_r1 failover --reps "$FAILOVER_REPS" --ring-target 1 --csv "$SLOTS_DIR/failover_r1.csv" --info
    log "dual-slot: output latency"
    local jackd_args=()
    if [ -n "$JACKD" ]; then jackd_args=(--jackd "$JACKD"); fi
    slot_run latency latency "${jackd_args[@]}" --jack-log "$SLOTS_DIR/logs/jackd_latency.log"
  fi
  soak_runs
  # One file with every table of this run (soak mode: its own).
  local table="$SLOTS_DIR/table.md"
  if [ "$MODE" = soak ]; then table="$SLOTS_DIR/table_soak_${SOAK_SECONDS}s.md"; fi
  { echo "# Dual-slot engine benchmarks ($(date -u +%Y-%m-%dT%H:%M:%SZ))"; echo
    for f in prime failover failover_not_in_step failover_r1 latency "jack-idle_${JACK_IDLE_SECONDS}s"; do
      if { [ "$MODE" != soak ] || [ "$f" = "jack-idle_${JACK_IDLE_SECONDS}s" ]; } && [ -f "$SLOTS_DIR/$f.md" ]; then
        cat "$SLOTS_DIR/$f.md"
      fi
    done
    for ring in $SOAK_RINGS; do
      for workers in $SOAK_WORKERS; do cat "$SLOTS_DIR/$(soak_tag "$workers" "$ring").md" 2>/dev/null || true; done
    done
    echo "Load average around each benchmark (the machine is shared):"; echo; sed 's/^/    /' "$LOADF"
  } > "$table"
  log "dual-slot results in $table: $slot_fail failing, $slot_err errors, $slot_skip skipped"
  [ "$slot_err" -eq 0 ] || return 2
  [ "$slot_fail" -eq 0 ] || return 1
  return 0
}


# ------------------------------------------------------------------ music: the example tracks and every module
run_music() {
  cd "$REPO_DIR"
  local loadf="$MUSIC_DIR/load.txt" cmds="$MUSIC_DIR/commands.txt" fails=0
  rm -f "$MUSIC_DIR"/*.md "$MUSIC_DIR"/*.csv "$loadf" "$MUSIC_DIR"/logs/jackd_* "$MUSIC_DIR"/logs/music_* \
    "$MUSIC_DIR"/logs/render_* "$MUSIC_DIR"/logs/modules_* "$WORK_DIR"/cg_modules.out*
  if [ "$MODE" = all ]; then echo "# build: see ../commands.txt" > "$cmds"; fi
  echo "# music: the example tracks and every module (run in $REPO_DIR)" >> "$cmds"
  { machine_info; echo "jackd: ${JACKD:-not installed} $(dpkg-query -W -f='${Version}' jackd2 2>/dev/null || true)"
    echo "valgrind: $(valgrind --version 2>/dev/null || echo not installed)"
    echo "load average at start: $(cat /proc/loadavg)"
    echo "processes using more than 10 % CPU at start: $(ps -eo pcpu=,comm= --sort=-pcpu | awk '$1 > 10 {printf "%s (%s %%) ", $2, $1}')"
  } > "$MUSIC_DIR/machine.txt"
  local jackd_args=()
  if [ -n "$JACKD" ]; then jackd_args=(--jackd "$JACKD"); else log "music: jackd is not installed: the tracks play on the NullDriver"; fi

  # 1. The tracks: offline render speed, then live on the JACK dummy server (chronus_slot_bench music).
  for p in $MUSIC_PATCHES; do
    local patch="$REPO_DIR/resources/patches/$p.json" rc=0
    log "music: $p (offline $MUSIC_REPS x $MUSIC_RENDER_SECONDS s, then $MUSIC_SECONDS s live)"
    local cmd=("$SLOT_BIN" music --patch "$patch" --seconds "$MUSIC_SECONDS" --render-seconds "$MUSIC_RENDER_SECONDS"
               --reps "$MUSIC_REPS" "${jackd_args[@]}" --jack-log "$MUSIC_DIR/logs/jackd_$p.log" --csv "$MUSIC_DIR/music.csv")
    echo "${cmd[*]}" >> "$cmds"
    echo "$p: load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$loadf"
    "${cmd[@]}" > "$MUSIC_DIR/$p.md" 2> "$MUSIC_DIR/logs/music_$p.log" || rc=$?
    echo "$p: load average after:  $(cut -d' ' -f1-3 /proc/loadavg)" >> "$loadf"
    cat "$MUSIC_DIR/$p.md"
    case "$rc" in
      0) ;;
      1) log "music: $p: non-finite output or none-reads (see $MUSIC_DIR/$p.md)"; fails=$((fails + 1)) ;;
      *) log "music: $p: ERROR (exit $rc; see $MUSIC_DIR/logs/music_$p.log)"; tail -5 "$MUSIC_DIR/logs/music_$p.log" >&2
         fails=$((fails + 1)) ;;
    esac
  done

  # The tracks' instructions per sample: the offline render under callgrind, counted inside
  # OfflineRenderer::renderInto only (the patch's plan compiled in the first, untimed block of 64
  # frames is counted too: a few thousand instructions).
  echo "patch,seconds,ir" > "$MUSIC_DIR/tracks_callgrind.csv"
  echo "# the tracks under callgrind (offline render only)" >> "$cmds"
  for p in $MUSIC_PATCHES; do
    local out="$WORK_DIR/cg_track_$p.out"
    local cmd=(valgrind --tool=callgrind --toggle-collect='*OfflineRenderer::renderInto*' --callgrind-out-file="$out"
               "$SLOT_BIN" music --patch "$REPO_DIR/resources/patches/$p.json" --offline-only --reps 1
               --render-seconds "$MUSIC_CG_SECONDS")
    echo "${cmd[*]}" >> "$cmds"
    if "${cmd[@]}" > "$MUSIC_DIR/logs/callgrind_$p.md" 2> "$MUSIC_DIR/logs/callgrind_$p.log"; then
      echo "$p.json,$MUSIC_CG_SECONDS,$("$PYTHON" "$TOOL" callgrind-total "$out")" >> "$MUSIC_DIR/tracks_callgrind.csv"
    else
      log "music: callgrind of $p failed (see $MUSIC_DIR/logs/callgrind_$p.log)"; fails=$((fails + 1))
    fi
    rm -f "$out"
  done

  # 2. `chronus render` as users run it (the offline SlotEngine path, a WAV written): wall time.
  echo "patch,rep,audio_seconds,wall_seconds" > "$MUSIC_DIR/render.csv"
  echo "# chronus render (wall time around the process; 3 runs per track)" >> "$cmds"
  for p in $MUSIC_PATCHES; do
    for rep in 1 2 3; do
      local cmd=("$CHRONUS_BIN" render "$REPO_DIR/resources/patches/$p.json" --seconds "$MUSIC_RENDER_SECONDS"
                 --out "$WORK_DIR/music_$p.wav")
      if [ "$rep" = 1 ]; then echo "${cmd[*]}" >> "$cmds"; fi
      local t0=$EPOCHREALTIME
      if QT_QPA_PLATFORM=offscreen "${cmd[@]}" > "$MUSIC_DIR/logs/render_$p.log" 2>&1; then
        local t1=$EPOCHREALTIME
        echo "$p.json,$rep,$MUSIC_RENDER_SECONDS,$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')" >> "$MUSIC_DIR/render.csv"
      else
        log "music: chronus render $p failed (see $MUSIC_DIR/logs/render_$p.log)"; fails=$((fails + 1)); break
      fi
    done
  done
  rm -f "$WORK_DIR"/music_*.wav

  # 3. Every module alone: natively (time per sample), then under callgrind (one dump per row).
  log "music: every module, natively ($MODULE_REPS x $MODULE_SECONDS s per row)"
  local mcmd=("$MODULE_BIN" --seconds "$MODULE_SECONDS" --reps "$MODULE_REPS")
  echo "${mcmd[*]}" >> "$cmds"
  echo "modules (native): load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$loadf"
  "${mcmd[@]}" > "$MUSIC_DIR/modules_native.csv" 2> "$MUSIC_DIR/logs/modules_native.log" ||
    { log "music: chronus_module_bench failed"; return 2; }
  log "music: every module under callgrind ($MODULE_SECONDS s per row)"
  local cg=(valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file="$WORK_DIR/cg_modules.out"
            "$MODULE_BIN" --seconds "$MODULE_SECONDS" --reps 1)
  echo "${cg[*]}" >> "$cmds"
  echo "modules (callgrind): load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$loadf"
  "${cg[@]}" > "$MUSIC_DIR/logs/modules_callgrind.csv" 2> "$MUSIC_DIR/logs/modules_callgrind.log" ||
    { log "music: callgrind failed (see $MUSIC_DIR/logs/modules_callgrind.log)"; return 2; }
  echo "modules (callgrind): load average after:  $(cut -d' ' -f1-3 /proc/loadavg)" >> "$loadf"
  "$PYTHON" "$TOOL" music-summary "$MUSIC_DIR" "$WORK_DIR/cg_modules.out" > /dev/null || fails=$((fails + 1))
  rm -f "$WORK_DIR"/cg_modules.out*

  { echo "# Music: the example tracks and every module ($(date -u +%Y-%m-%dT%H:%M:%SZ))"; echo
    echo "## The tracks"; echo; cat "$MUSIC_DIR/tracks.md"; echo
    for p in $MUSIC_PATCHES; do cat "$MUSIC_DIR/$p.md" 2>/dev/null || true; done
    echo "## Every module's process() alone (48 kHz, 64-frame blocks, default parameters)"; echo
    cat "$MUSIC_DIR/modules.md"; echo
    echo "Load average around each step (the machine is shared):"; echo; sed 's/^/    /' "$loadf"
  } > "$MUSIC_DIR/table.md"
  cat "$MUSIC_DIR/tracks.md" "$MUSIC_DIR/modules.md"
  log "music results in $MUSIC_DIR/table.md: $fails failures"
  [ "$fails" -eq 0 ] || return 1
  return 0
}

# ------------------------------------------------------------------ OSC control
run_osc() {
  cd "$REPO_DIR"
  rm -f "$OSC_DIR"/logs/* "$OSC_DIR"/table.md "$OSC_DIR"/runs.csv "$OSC_DIR"/load.txt
  log "osc: building chronus and chronus_osc_bench"
  echo "ninja -C $BUILD_DIR chronus chronus_osc_bench" >> "$CMDS"
  ninja -C "$BUILD_DIR" chronus chronus_osc_bench > "$OSC_DIR/logs/build.log" 2>&1 ||
    { log "build failed; see $OSC_DIR/logs/build.log"; tail -30 "$OSC_DIR/logs/build.log" >&2; exit 2; }
  { machine_info; echo "jackd: ${JACKD:-not installed} $(dpkg-query -W -f='${Version}' jackd2 2>/dev/null || true)"
    echo "liblo: $(dpkg-query -W -f='${Version}' liblo7 2>/dev/null || echo unknown)"
    echo "load average at start: $(cat /proc/loadavg)"; } > "$OSC_DIR/machine.txt"
  local cmd=("$OSC_BIN" --chronus "$BUILD_DIR/src/chronus" --audio "$OSC_AUDIO" --seconds "$OSC_SECONDS"
             --rates "$OSC_RATES" --windows "$OSC_WINDOWS" --reps "$OSC_REPS" --log-dir "$OSC_DIR/logs"
             --csv "$OSC_DIR/runs.csv")
  if [ -n "$JACKD" ]; then cmd+=(--jackd "$JACKD"); fi
  echo "${cmd[*]}" >> "$CMDS"
  log "osc: $OSC_REPS repetitions of rates $OSC_RATES and windows $OSC_WINDOWS, $OSC_SECONDS s each"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OSC_DIR/load.txt"
  local rc=0
  "${cmd[@]}" > "$OSC_DIR/table.md" 2> "$OSC_DIR/logs/osc_bench.log" || rc=$?
  echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OSC_DIR/load.txt"
  { echo "Load average around the benchmark (the machine is shared):"; echo; sed 's/^/    /' "$OSC_DIR/load.txt"; } >> "$OSC_DIR/table.md"
  cat "$OSC_DIR/table.md"
  case "$rc" in
    0) log "osc: the bar passes (results in $OSC_DIR)" ;;
    1) log "osc: the bar FAILS (see $OSC_DIR/table.md)" ;;
    *) log "osc: ERROR (exit $rc; see $OSC_DIR/logs/osc_bench.log)"; tail -5 "$OSC_DIR/logs/osc_bench.log" >&2 ;;
  esac
  return "$rc"
}

# ------------------------------------------------------------------ the editor
# bench/chronus_editor_bench, offscreen (Qt Quick's software renderer: no GPU here), three runs.
run_editor() {
  local dir="$RESULTS_DIR/editor" rc=0 run
  mkdir -p "$dir"
  log "editor: building chronus_editor_bench"
  echo "ninja -C $BUILD_DIR chronus_editor_bench" >> "$CMDS"
  ninja -C "$BUILD_DIR" chronus_editor_bench > "$dir/build.log" 2>&1 ||
    { log "build failed; see $dir/build.log"; tail -30 "$dir/build.log" >&2; exit 2; }
  { echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')";
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"; } > "$dir/machine.txt"
  for run in 1 2 3; do
    log "editor: run $run of 3"
    QT_QPA_PLATFORM=offscreen "$BUILD_DIR/bench/chronus_editor_bench" > "$dir/run$run.md" 2> "$dir/run$run.log" || rc=1
    cat "$dir/run$run.md"
  done
  echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)" >> "$dir/machine.txt"
  cat "$dir/machine.txt"
  if [ "$rc" = 0 ]; then log "editor: the bars pass (results in $dir)"; else log "editor: a bar FAILS (see $dir)"; fi
  return "$rc"
}

# ------------------------------------------------------------------ worker processes against threads
# chronus_slot_bench with EngineConfig::workers = threads and processes in one run: the voice
# workload live (the modes alternate inside the benchmark), kill -9 of the active worker process
# during the 175 BPM example, and the prime/commit rows both ways (threads first, then processes).
# Uses slot_run (its files go to $SLOTS_DIR): the results are moved to $WORKERS_DIR.
run_workers() {
  cd "$REPO_DIR"
  rm -f "$WORKERS_DIR"/*.md "$WORKERS_DIR"/*.csv "$WORKERS_DIR"/logs/* "$LOADF"
  SLOTS_DIR="$WORKERS_DIR"
  echo "# worker processes against threads (run in $REPO_DIR)" >> "$SLOT_CMDS"
  { machine_info; echo "jackd: ${JACKD:-not installed} $(dpkg-query -W -f='${Version}' jackd2 2>/dev/null || true)"
    echo "load average at start: $(cat /proc/loadavg)"
    echo "processes using more than 10 % CPU at start: $(ps -eo pcpu=,comm= --sort=-pcpu | awk '$1 > 10 {printf "%s (%s %%) ", $2, $1}')"
  } > "$WORKERS_DIR/machine.txt"
  local jackd_args=()
  if [ -n "$JACKD" ]; then jackd_args=(--jackd "$JACKD"); else log "workers: jackd is not installed: the live parts play on the NullDriver"; fi
  log "workers: the voice workload ($WORKER_VOICES voices, $WORKER_VOICE_REPS x $WORKER_VOICE_SECONDS s per mode)"
  slot_run voices voices --voice-counts "$WORKER_VOICES" --reps "$WORKER_VOICE_REPS" --seconds "$WORKER_VOICE_SECONDS" \
    "${jackd_args[@]}" --jack-log "$WORKERS_DIR/logs/jackd_voices.log"
  # The same with glibc's malloc asking for transparent huge pages (informational: not the shipped
  # configuration; see BENCHMARKS.md, "Worker processes", for why it is measured).
  if [ "$WORKER_HUGETLB" = 1 ]; then
    log "workers: the voice workload again with GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (informational)"
    echo "# with GLIBC_TUNABLES=glibc.malloc.hugetlb=1 in the environment:" >> "$SLOT_CMDS"
    GLIBC_TUNABLES=glibc.malloc.hugetlb=1 slot_run voices_hugetlb voices --voice-counts "$WORKER_VOICES" \
      --reps "$WORKER_HUGETLB_REPS" --seconds "$WORKER_VOICE_SECONDS" "${jackd_args[@]}" \
      --jack-log "$WORKERS_DIR/logs/jackd_voices_hugetlb.log" --info
  fi
  log "workers: $KILL_REPS kills of the active worker during dnb-175"
  slot_run kill kill --patch "$REPO_DIR/resources/patches/dnb-175.json" --reps "$KILL_REPS" "${jackd_args[@]}" \
    --jack-log "$WORKERS_DIR/logs/jackd_kill.log" --csv "$WORKERS_DIR/kill.csv"
  for w in threads processes; do
    log "workers: prime and commit, $w ($WORKER_PRIME_REPS repetitions per row)"
    slot_run "prime_$w" prime --reps "$WORKER_PRIME_REPS" --workers "$w" --csv "$WORKERS_DIR/prime_$w.csv"
  done
  { echo "# Worker processes against threads ($(date -u +%Y-%m-%dT%H:%M:%SZ))"; echo
    for f in voices voices_hugetlb kill prime_threads prime_processes; do cat "$WORKERS_DIR/$f.md" 2>/dev/null || true; done
    echo "Load average around each benchmark (the machine is shared):"; echo; sed 's/^/    /' "$LOADF"
  } > "$WORKERS_DIR/table.md"
  log "workers results in $WORKERS_DIR/table.md: $slot_fail failing, $slot_err errors"
  [ "$slot_err" -eq 0 ] || return 2
  [ "$slot_fail" -eq 0 ] || return 1
  return 0
}

# ------------------------------------------------------------------ run
if [ "$MODE" = workers ]; then set +e; ( set -e; run_workers ); exit $?; fi
if [ "$MODE" = osc ]; then set +e; ( set -e; run_osc ); exit $?; fi
if [ "$MODE" = editor ]; then set +e; ( set -e; run_editor ); exit $?; fi
# Each part runs in a subshell with errexit on (a function called as `f || ...` would run with
# errexit off); its exit status is collected here.
rc=0
if [ "$MODE" = all ] || [ "$MODE" = voice ] || [ "$MODE" = poly ]; then
  set +e; ( set -e; run_voice ); rc=$?; set -e
fi
if [ "$MODE" = poly ]; then exit "$rc"; fi
if [ "$MODE" != voice ] && [ "$MODE" != music ]; then
  set +e; ( set -e; run_slots ); slots_rc=$?; set -e
  if [ "$slots_rc" -gt "$rc" ]; then rc=$slots_rc; fi
fi
if [ "$MODE" = all ] || [ "$MODE" = music ]; then
  set +e; ( set -e; run_music ); music_rc=$?; set -e
  if [ "$music_rc" -gt "$rc" ]; then rc=$music_rc; fi
fi
exit "$rc"
