#!/usr/bin/env bash
# Set up, build, and run the whole test suite headless. Extra arguments go to ctest.
# The slow hostile-input attacks (ctest label hostile-slow: a million fuzzed OSC datagrams, 100,000
# create/delete cycles, 8 concurrent clients, all against a real `chronus serve`) run in a stage of
# their own after the suite, not within it.
# Then, unless CHRONUS_SANITIZERS=0: the suite again under AddressSanitizer + UBSan (build-asan), with
# the hostile-input stage again (smaller), and the concurrency tests under ThreadSanitizer (build-tsan).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${CHRONUS_BUILD_DIR:-$ROOT/build}"
export QT_QPA_PLATFORM=offscreen
JOBS="$(nproc)"
# Sanitizer builds with line tables only (-g1): what the reports need (symbolized stacks with
# lines), at a fraction of full debug info's compile time (the CI budget is three builds). ASan at
# -O1 (a third of -O2's compile time for the big test sources); TSan at -O2, because its real-time
# tests need the speed. The stages run one after another: a build running beside the real-time
# tests (even at nice 19) starves their workers on a 2-core machine.
ASAN_FLAGS=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG")
TSAN_FLAGS=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG")

# run_ctest DIR ARGS...: the tests labelled "offline" (deterministic renders: no clock, no device)
# side by side on every core, then the real-time ones one at a time (two at once would starve
# each other's workers on a 2-core machine).
# The hostile-slow tests are left to run_hostile.
run_ctest() {
    local dir="$1"
    shift
    (cd "$dir" && ctest --output-on-failure -L offline -LE hostile-slow -j "$JOBS" "$@" &&
        ctest --output-on-failure -LE 'offline|hostile-slow' "$@")
}

# run_hostile DIR ARGS...: the slow hostile-input tests, one at a time (each runs serve at full tilt).
run_hostile() {
    local dir="$1"
    shift
    (cd "$dir" && ctest --output-on-failure -L hostile-slow "$@")
}

# stage NAME: a heading with the seconds since the start, so a log shows where CI's time goes.
START=$SECONDS
stage() { echo "== [$((SECONDS - START)) s] $* =="; }

stage "Build ($BUILD_DIR)"
"$ROOT/scripts/build.sh"
stage "Tests"
run_ctest "$BUILD_DIR" --timeout 300 "$@"

stage "Hostile input (the slow attacks, full size)"
run_hostile "$BUILD_DIR" --timeout 900 "$@"

if [ "${CHRONUS_SANITIZERS:-1}" != 0 ]; then
    stage "AddressSanitizer + UndefinedBehaviorSanitizer: build"
    cmake -S "$ROOT" -B "$ROOT/build-asan" -G Ninja "${ASAN_FLAGS[@]}" \
        -DCHRONUS_SANITIZE=address -DCHRONUS_BUILD_BENCH=OFF -DCHRONUS_EDITOR=OFF >/dev/null
    cmake --build "$ROOT/build-asan" --parallel "$JOBS"
    stage "AddressSanitizer + UndefinedBehaviorSanitizer: tests"
    # The editor (GUI-thread Qt code, covered by the plain run and by TSan below) is left out here.
    # CHRONUS_QUICK_SWEEP: the registry sweep runs a quarter of its rows here, the engine tests'
    # rate/block rows 3 of 12 (each rate once; blocks of 1, 37 and 4096) and the limiter's
    # oversampled true-peak check 3 of 9; the JACK run plays 8 s (16 commits, 800 live changes; 20 s
    # in the plain run); the agent walkthrough plays 30 s in real time and says nothing about memory
    # that the OSC and ctl tests do not. (The tests' signal analysis is built uninstrumented at -O2
    # here: tests/CMakeLists.txt.)
    CHRONUS_QUICK_SWEEP=1 CHRONUS_JACK_SECONDS=8 ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        run_ctest "$ROOT/build-asan" --timeout 600 -E tst_agent_walkthrough "$@"

    # ASan runs serve's request handling about 8 times slower: 200,000 datagrams (the plain stage
    # sends the million), 30 commit cycles (100), the clients for 10 s (20), 30,000 create/delete
    # cycles (100,000: the leak checker needs one cycle to see a leak; the plain stage holds the
    # memory flat over all of them). Sanitizer reports in serve's stderr and its exit status (leaks)
    # fail the tests.
    stage "Hostile input (ASan+UBSan)"
    CHRONUS_HOSTILE_DATAGRAMS=200000 CHRONUS_HOSTILE_COMMIT_CYCLES=30 CHRONUS_HOSTILE_SECONDS=10 CHRONUS_HOSTILE_CYCLES=30000 \
        ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 run_hostile "$ROOT/build-asan" --timeout 900 "$@"

    stage "ThreadSanitizer (concurrency tests): build"
    cmake -S "$ROOT" -B "$ROOT/build-tsan" -G Ninja "${TSAN_FLAGS[@]}" \
        -DCHRONUS_SANITIZE=thread -DCHRONUS_BUILD_BENCH=OFF >/dev/null
    cmake --build "$ROOT/build-tsan" --parallel "$JOBS" --target tst_spsc_queue tst_audio_ring \
        tst_audio_null_driver tst_audio_no_alloc tst_audio_open_driver tst_audio_jack tst_slot_engine tst_slot_processes tst_slot_worker \
        tst_render_command tst_frame_ring tst_input_ring tst_meter_tap tst_osc_record tst_osc_server tst_osc_fuzz tst_hostile_clients tst_editor_controller chronus
    stage "ThreadSanitizer (concurrency tests): tests"
    # The slot workers as processes: the supervisor, the callback and the control side against
    # workers that die; inside a worker, its control and render threads (tst_slot_worker). The OSC server's network and controller threads under a flood: tst_osc_server, the in-process
    # fuzzer with 20,000 datagrams (100,000 elsewhere), and serve itself (built with TSan, its reports
    # fail the test) under 8 clients for 10 s.
    (cd "$ROOT/build-tsan" && CHRONUS_OSC_FUZZ_PACKETS=20000 CHRONUS_HOSTILE_SECONDS=10 TSAN_OPTIONS=halt_on_error=1 \
        ctest --output-on-failure --timeout 600 \
        -R 'spsc|ring|tst_audio_(null_driver|no_alloc|open_driver|jack)|tst_slot_(engine|processes|worker)|tst_render_command|tst_osc_(record|server|fuzz)|tst_hostile_clients|tst_meter_tap|tst_editor_controller')
fi
stage "Done"
