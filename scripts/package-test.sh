#!/usr/bin/env bash
# Builds the Debian package (reusing ./build) and checks it before installing it: its Depends and
# Recommends, its files, the copyright file and changelog, the metainfo and desktop entry it ships,
# and `lintian -E -I --pedantic` (any error or hardening tag fails). Then installs it on this machine
# with apt-get and runs the INSTALLED /usr/bin/chronus: --version, an offline render of an installed
# example patch (checked with sox), `serve --audio null` with `ctl status` (its slots' workers are
# processes of the installed /usr/libexec/chronus/chronus-slot-worker; a kill -9 of the active one is
# survived: serve answers, the worker is restarted, the status says why), and the editor
# offscreen for a screenshot, whose QML imports must all come from packages the .deb depends on. The
# package stays installed (`apt-get remove chronus` removes it). Needs root or sudo.
# CHRONUS_DEB=FILE tests that package instead of building one.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${CHRONUS_BUILD_DIR:-$ROOT/build}"
START=$SECONDS

step() { echo "== [$((SECONDS - START)) s] $*"; }
fail() { echo "package-test: FAIL: $*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || fail "need root or sudo to install the package"
    SUDO="sudo"
fi

VERSION="$(sed -n 's/^project(chronus VERSION \([0-9.]*\).*/\1/p' "$ROOT/CMakeLists.txt")"
[ -n "$VERSION" ] || fail "no project(chronus VERSION ...) in CMakeLists.txt"
DEB_NAME="chronus_${VERSION}_$(dpkg --print-architecture).deb"

PKG_DIR="$BUILD_DIR/package"
if [ -n "${CHRONUS_DEB:-}" ]; then
    DEB="$(realpath "$CHRONUS_DEB")"
    [ "$(basename "$DEB")" = "$DEB_NAME" ] || fail "CHRONUS_DEB is $(basename "$DEB"), not $DEB_NAME"
    "$ROOT/scripts/deps.sh" # what the checks below need (lintian, appstreamcli, ...)
    mkdir -p "$PKG_DIR"
else
    step "build ($BUILD_DIR)"
    "$ROOT/scripts/build.sh"

    step "cpack -G DEB"
    rm -f "$PKG_DIR"/*.deb
    (cd "$BUILD_DIR" && cpack -G DEB -B "$PKG_DIR" >/dev/null)
    DEB="$PKG_DIR/$DEB_NAME"
    [ -f "$DEB" ] || fail "cpack made $(ls "$PKG_DIR"/*.deb 2>/dev/null || echo nothing), not $DEB_NAME"
fi

# The checks of the package before it is installed report every problem they find, then fail.
PROBLEMS=0
problem() { echo "package-test: $*" >&2; PROBLEMS=$((PROBLEMS + 1)); }

DEPENDS="$(dpkg-deb -f "$DEB" Depends)"
echo "$DEB_NAME: $(stat -c %s "$DEB") bytes, Section $(dpkg-deb -f "$DEB" Section)"
echo "Depends: $DEPENDS"
has_dep() { [[ ", $DEPENDS," == *", $1"[\ ,]* ]]; }
for lib in libqt6core6 libqt6gui6 libqt6quick6 librtaudio6 liblo7 libsndfile1; do
    has_dep "$lib" || problem "Depends lacks $lib (dpkg-shlibdeps did not run?)"
done
mapfile -t QML_PACKAGES < <(grep -E '^[a-z0-9]' "$ROOT/packaging/qml-modules.txt")
for pkg in "${QML_PACKAGES[@]}"; do
    has_dep "$pkg" || problem "Depends lacks $pkg"
done
RECOMMENDS="$(dpkg-deb -f "$DEB" Recommends)"
echo "Recommends: $RECOMMENDS"
[[ ", $RECOMMENDS," == *", jackd2 | pipewire-jack,"* ]] || problem "Recommends lacks 'jackd2 | pipewire-jack'"

APP_ID=io.github.chronus.Chronus
CONTENTS="$(dpkg-deb -c "$DEB" | awk '{print $6}')"
for size in 16 32 48 64 128 256 512; do
    EXPECTED+=("./usr/share/icons/hicolor/${size}x${size}/apps/chronus.png")
done
EXPECTED+=(./usr/bin/chronus ./usr/libexec/chronus/chronus-slot-worker "./usr/share/applications/$APP_ID.desktop"
    ./usr/share/icons/hicolor/scalable/apps/chronus.svg
    "./usr/share/metainfo/$APP_ID.metainfo.xml" ./usr/share/man/man1/chronus.1.gz
    ./usr/share/doc/chronus/copyright ./usr/share/doc/chronus/changelog.gz)
for patch in "$ROOT"/resources/patches/*.json; do
    EXPECTED+=("./usr/share/chronus/patches/$(basename "$patch")")
done
for path in "${EXPECTED[@]}"; do
    grep -qxF "$path" <<<"$CONTENTS" || problem "the package lacks $path"
done

step "the package's copyright, changelog, metainfo and desktop entry"
cmp -s "$ROOT/LICENSE" /usr/share/common-licenses/GPL-3 || problem "LICENSE is not the text of the GPL, version 3"
UNPACKED="$PKG_DIR/unpacked"
rm -rf "$UNPACKED"
dpkg-deb -x "$DEB" "$UNPACKED"
COPYRIGHT="$UNPACKED/usr/share/doc/chronus/copyright"
if [ -f "$COPYRIGHT" ]; then
    head -1 "$COPYRIGHT" | grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' ||
        problem "the copyright file is not in Debian's machine-readable format"
    grep -qx 'License: GPL-3+' "$COPYRIGHT" || problem "the copyright file does not give the licence, GPL-3+"
fi
CHANGELOG="$UNPACKED/usr/share/doc/chronus/changelog.gz"
if [ -f "$CHANGELOG" ]; then
    if got="$(gunzip -c "$CHANGELOG" | dpkg-parsechangelog -l - -S Version)"; then
        [ "$got" = "$VERSION" ] || problem "the changelog's newest entry is $got, the package is $VERSION"
    else
        problem "the changelog does not parse"
    fi
fi
METAINFO="$UNPACKED/usr/share/metainfo/$APP_ID.metainfo.xml"
if [ -f "$METAINFO" ]; then
    # --strict: anything above a pedantic hint fails (the hint left is the id's capital letter).
    appstreamcli validate --pedantic --strict --no-net "$METAINFO" || problem "appstreamcli validate (above)"
    cmake -DMETAINFO="$METAINFO" -DAPP_ID="$APP_ID" -DLICENSE=GPL-3.0-or-later \
        -DDESKTOP_DIR="$UNPACKED/usr/share/applications" -P "$ROOT/packaging/CheckMetainfoFields.cmake" ||
        problem "the metainfo's fields (above)"
fi
DESKTOP="$UNPACKED/usr/share/applications/$APP_ID.desktop"
if [ -f "$DESKTOP" ]; then
    out="$(desktop-file-validate "$DESKTOP" 2>&1)" && [ -z "$out" ] || problem "desktop-file-validate: $out"
fi

step "lintian -E -I --pedantic"
LINTIAN_LOG="$PKG_DIR/lintian.txt"
# --fail-on none: the exit status says only whether lintian itself ran; the tags are judged here.
lintian -E -I --pedantic --tag-display-limit 0 --fail-on none "$DEB" >"$LINTIAN_LOG" 2>"$PKG_DIR/lintian.err" ||
    { cat "$PKG_DIR/lintian.err"; fail "lintian did not run"; }
cat "$LINTIAN_LOG"
TAGS="$(grep -E '^[A-Z]: ' "$LINTIAN_LOG" | cut -d' ' -f1,3 | sort | uniq -c | paste -sd, | tr -s ' ' || true)"
echo "lintian tags:${TAGS:- none}"
! grep -qE '^E: ' "$LINTIAN_LOG" || problem "lintian reports errors (E:)"
! grep -qE '^[A-Z]: \S+: hardening-' "$LINTIAN_LOG" || problem "lintian reports a hardening tag"
# The install strips both programs of the sections strip leaves (packaging/Packaging.cmake).
! grep -qE '^[A-Z]: \S+: binary-has-unneeded-section' "$LINTIAN_LOG" || problem "lintian finds an unneeded section in a program"

[ "$PROBLEMS" -eq 0 ] || fail "$PROBLEMS problems with $DEB_NAME (above); it is not installed"

step "apt-get install ./$DEB_NAME"
# --reinstall: a rebuilt package of the same version replaces the installed one.
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y -qq --reinstall \
    --no-install-recommends "$DEB" >"$PKG_DIR/apt-get.log" 2>&1 || { cat "$PKG_DIR/apt-get.log"; fail "apt-get install"; }
[ "$(dpkg-query -W -f='${Version}' chronus)" = "$VERSION" ] || fail "chronus $VERSION is not installed"
CHRONUS=/usr/bin/chronus
[ -x "$CHRONUS" ] || fail "$CHRONUS missing"
WORKER=/usr/libexec/chronus/chronus-slot-worker # each slot's worker process, started by chronus
[ -x "$WORKER" ] || fail "$WORKER missing or not executable"

# Everything below runs the installed binary in a scratch home: no autosave, patches or recordings of
# the user's are read or written.
WORK="$(mktemp -d)"
SERVE_PID=""
cleanup() {
    [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
export HOME="$WORK/home" XDG_DATA_HOME="$WORK/home/.local/share" XDG_CONFIG_HOME="$WORK/home/.config"
mkdir -p "$HOME"
cd "$WORK"

step "chronus --version"
got="$("$CHRONUS" --version)"
[ "$got" = "chronus $VERSION" ] || fail "--version printed '$got', expected 'chronus $VERSION'"

step "chronus render dnb-175.json --seconds 4"
"$CHRONUS" render /usr/share/chronus/patches/dnb-175.json --seconds 4 --out "$WORK/dnb.wav"
[ "$(soxi -s "$WORK/dnb.wav")" = 192000 ] || fail "render: $(soxi -s "$WORK/dnb.wav") frames, expected 4 s at 48 kHz"
[ "$(soxi -c "$WORK/dnb.wav")" = 2 ] || fail "render: not stereo"
STAT="$(sox "$WORK/dnb.wav" -n stat 2>&1)"
peak="$(awk -F: '/^Maximum amplitude/ {print $2}' <<<"$STAT")"
rms="$(awk -F: '/^RMS +amplitude/ {print $2}' <<<"$STAT")"
echo "render: peak $peak, RMS $rms"
awk -v p="$peak" 'BEGIN { exit !(p < 0.999) }' || fail "render: peak $peak clips"
awk -v r="$rms" 'BEGIN { exit !(r > 0.02) }' || fail "render: RMS $rms is (near) silence"

step "chronus serve --audio null --osc-port 0, chronus ctl status"
"$CHRONUS" serve --audio null --osc-port 0 --fresh >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVE_PID=$!
PORT=""
for _ in $(seq 100); do # its first line, within 10 s
    PORT="$(sed -n 's/^chronus serve: listening on [^ ]*:\([0-9]*\) .*/\1/p' "$WORK/serve.out")"
    [ -n "$PORT" ] && break
    kill -0 "$SERVE_PID" 2>/dev/null || fail "serve exited: $(cat "$WORK/serve.err")"
    sleep 0.1
done
[ -n "$PORT" ] || fail "serve printed no port: $(cat "$WORK/serve.out" "$WORK/serve.err")"
STATUS="$("$CHRONUS" ctl --port "$PORT" status)" || fail "ctl status failed: $STATUS"
echo "$STATUS"
grep -q "^active slot .* null, 48000 Hz" <<<"$STATUS" || fail "ctl status: no active slot line"
grep -q "xruns 0" <<<"$STATUS" || fail "ctl status: no xrun count"
grep -qE "^workers: processes \(A pid [0-9]+, B pid [0-9]+\)  restarts 0$" <<<"$STATUS" ||
    fail "ctl status: the slots' workers are not processes (no 'workers: processes' line)"

step "kill -9 of the active slot's worker process; serve fails over and restarts it"
# worker_pid STATUS SLOT: the pid `ctl status` gives for slot A or B's worker.
worker_pid() { sed -n "s/^workers: processes .*$2 pid \([0-9]*\).*/\1/p" <<<"$1"; }
# is_installed_worker PID: the process runs the installed worker and is a child of the installed serve.
is_installed_worker() {
    [ "$(readlink "/proc/$1/exe")" = "$WORKER" ] && [ "$(cut -d' ' -f4 "/proc/$1/stat")" = "$SERVE_PID" ]
}
ACTIVE="$(sed -n 's/^active slot \([AB]\) .*/\1/p' <<<"$STATUS")"
KILLED="$(worker_pid "$STATUS" "$ACTIVE")"
[ -n "$ACTIVE" ] && [ -n "$KILLED" ] || fail "ctl status: no active slot or no pid for its worker"
is_installed_worker "$KILLED" || fail "slot $ACTIVE's worker (pid $KILLED) is not $WORKER run by serve"
kill -KILL "$KILLED"
RESTARTED=""
for _ in $(seq 100); do # the supervisor notices at once; the new worker rebuilds the patch: within 10 s
    sleep 0.1
    kill -0 "$SERVE_PID" 2>/dev/null || fail "serve died with its worker: $(cat "$WORK/serve.err")"
    STATUS="$("$CHRONUS" ctl --port "$PORT" status)" || fail "ctl status failed after the kill: $STATUS"
    RESTARTED="$(worker_pid "$STATUS" "$ACTIVE")"
    grep -q "  restarts 1$" <<<"$STATUS" && [ -n "$RESTARTED" ] && [ "$RESTARTED" != "$KILLED" ] && break
    RESTARTED=""
done
echo "$STATUS"
[ -n "$RESTARTED" ] || fail "no restart of slot $ACTIVE's worker within 10 s of its kill -9"
is_installed_worker "$RESTARTED" || fail "slot $ACTIVE's new worker (pid $RESTARTED) is not $WORKER run by serve"
grep -q "^slot $ACTIVE's last worker killed by SIGKILL" <<<"$STATUS" || fail "ctl status: no reason for slot $ACTIVE's restart"
kill -TERM "$SERVE_PID"
wait "$SERVE_PID" || fail "serve exited with $? on SIGTERM"
SERVE_PID=""

step "the editor, offscreen: --screenshot"
# QML_IMPORT_TRACE lists every qmldir the engine loads: each must come from a package in Depends.
QT_QPA_PLATFORM=offscreen QML_IMPORT_TRACE=1 timeout 60 \
    "$CHRONUS" --audio null --osc-port 0 --fresh --screenshot "$WORK/shot.png" >"$WORK/editor.out" 2>"$WORK/editor.err" ||
    fail "the editor exited with $?: $(tail -20 "$WORK/editor.err")"
[ -f "$WORK/shot.png" ] || fail "no screenshot"
info="$(file -b "$WORK/shot.png")"
[[ "$info" == "PNG image data, "* ]] || fail "screenshot is not a PNG: $info"
read -r width height < <(sed -n 's/^PNG image data, \([0-9]*\) x \([0-9]*\),.*/\1 \2/p' <<<"$info")
bytes="$(stat -c %s "$WORK/shot.png")"
echo "screenshot: ${width}x${height}, $bytes bytes"
[ "${width:-0}" -ge 640 ] && [ "${height:-0}" -ge 400 ] || fail "screenshot is only ${width}x${height}"
# A window of one colour compresses to a few kB; boxes, cables and text do not.
[ "$bytes" -ge 20000 ] || fail "screenshot is nearly empty ($bytes bytes)"

QML_DIR="$(qtpaths6 --query QT_INSTALL_QML)"
mapfile -t QMLDIRS < <(grep -o "loaded \"$QML_DIR/[^\"]*/qmldir\"" "$WORK/editor.err" | cut -d'"' -f2 | sort -u)
[ ${#QMLDIRS[@]} -gt 0 ] || fail "QML_IMPORT_TRACE showed no qmldir under $QML_DIR"
for qmldir in "${QMLDIRS[@]}"; do
    pkg="$(dpkg-query -S "$qmldir" | cut -d: -f1)"
    has_dep "$pkg" || fail "the editor imports ${qmldir#"$QML_DIR"/} from $pkg: add it to packaging/qml-modules.txt"
done
echo "QML modules loaded: $(printf '%s\n' "${QMLDIRS[@]}" | sed "s|$QML_DIR/||; s|/qmldir||" | paste -sd' ')"

echo "package-test: $DEB_NAME installed and working; $((SECONDS - START)) s"
