#!/usr/bin/env bash
# The Chronus benchmark: the reference voice workload (see BENCHMARKS.md) rendered by our engine
# (bench/chronus_bench, built in Release as shipped: no -march=native) and by SuperCollider's
# scsynth in non-real-time mode, side by side in the same run. Prints a table with the realtime
# factors, voices per core, the ratio, instructions per voice-sample and whether both bars pass.
#
# Usage: bench/run.sh                                        everything (about 3-5 minutes)
#        VOICES="1 16" REPS=1 RUN_CALLGRIND=0 bench/run.sh   a quick look
# Needs bash >= 5 (EPOCHREALTIME) and root or sudo when Debian packages are missing.
# Writes bench/results/ (git-ignored): table.md, summary.json, raw.csv, callgrind.csv,
# wavstat.txt, commands.txt, machine.txt, logs/. Exit status 0 when both bars pass.
set -euo pipefail

# ------------------------------------------------------------------ settings (override from the environment)
REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR="$REPO_DIR/bench"
BUILD_DIR="${BUILD_DIR:-$REPO_DIR/build-bench}"
RESULTS_DIR="${RESULTS_DIR:-$BENCH_DIR/results}"
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

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
[ "${BASH_VERSINFO[0]}" -ge 5 ] || { log "needs bash >= 5"; exit 2; }

# ------------------------------------------------------------------ packages
need=()
have() { command -v "$1" >/dev/null 2>&1; }
have scsynth || need+=(supercollider-server)
have valgrind || need+=(valgrind)
[ -x "$TIME_BIN" ] || need+=(time)
have "$PYTHON" || need+=(python3)
have taskset || need+=(util-linux)
have cmake || need+=(cmake)
have ninja || need+=(ninja-build)
have c++ || need+=(g++)
have pkg-config || need+=(pkg-config)
if have dpkg-query; then # the engine's build dependencies (Qt Core is needed to configure the project)
  for p in libfftw3-dev libsndfile1-dev qt6-base-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
  done
fi
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$INSTALL" != 1 ]; then log "missing packages: ${need[*]} (INSTALL=0)"; exit 2; fi
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  log "installing: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

mkdir -p "$RESULTS_DIR/logs" "$WORK_DIR"
rm -f "$RESULTS_DIR"/logs/* "$RESULTS_DIR"/raw.csv "$RESULTS_DIR"/callgrind.csv
: > "$RESULTS_DIR/commands.txt"
: > "$RESULTS_DIR/wavstat.txt"

# ------------------------------------------------------------------ build (Release, as shipped)
# CMAKE_CXX_FLAGS is set (empty by default) so that flags in the environment (CXXFLAGS) cannot
# leak in: the project's own Release flags only. The engine dispatches to AVX2 + FMA at run time
# where it has a faster path; the binary runs on any x86-64.
log "building chronus_bench in $BUILD_DIR"
{
  echo "# build"
  echo "cmake -S $REPO_DIR -B $BUILD_DIR -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS='$BENCH_CXXFLAGS' -DCHRONUS_BUILD_TESTS=OFF -DCHRONUS_BUILD_BENCH=ON -DCHRONUS_SANITIZE="
  echo "ninja -C $BUILD_DIR chronus_bench"
} >> "$RESULTS_DIR/commands.txt"
cmake -S "$REPO_DIR" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="$BENCH_CXXFLAGS" \
  -DCHRONUS_BUILD_TESTS=OFF -DCHRONUS_BUILD_BENCH=ON -DCHRONUS_SANITIZE= > "$RESULTS_DIR/logs/cmake.log" 2>&1 ||
  { log "cmake failed; see $RESULTS_DIR/logs/cmake.log"; tail -20 "$RESULTS_DIR/logs/cmake.log" >&2; exit 2; }
ninja -C "$BUILD_DIR" chronus_bench > "$RESULTS_DIR/logs/build.log" 2>&1 ||
  { log "build failed; see $RESULTS_DIR/logs/build.log"; tail -30 "$RESULTS_DIR/logs/build.log" >&2; exit 2; }
if grep -q -- '-march=\|-mtune=native\|-mavx' "$BUILD_DIR/compile_commands.json"; then
  log "the build uses machine-specific flags; the benchmark measures the build as shipped"; exit 2
fi
engine_flags=$("$PYTHON" -c 'import json, sys
for e in json.load(open(sys.argv[1])):
    if e["file"].endswith("modules/Svf.cpp"):
        print(" ".join(a for a in e["command"].split() if a.startswith(("-O", "-f", "-m", "-D", "-std"))))' \
  "$BUILD_DIR/compile_commands.json")

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
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$REPO_DIR" diff --quiet HEAD -- src bench 2>/dev/null || echo ' (with uncommitted changes in src/ or bench/)')"
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
      CMD=("$BENCH_BIN" --voices "$n" --seconds "$secs")
      if [ -n "$wav" ]; then CMD+=(--wav "$wav"); fi
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
  for n in 1 16; do
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
    for n in 1 16; do
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
exit "$rc"
