#!/usr/bin/env bash
# Installs the Debian 12 packages Chronus needs to build, run and test, if any are missing.
# Safe to run again: it does nothing when everything is there.
set -euo pipefail

PACKAGES=(
    # toolchain
    g++ cmake ninja-build pkg-config
    # Qt 6, and the QML module the QML tests import (the editor's are in packaging/qml-modules.txt)
    qt6-base-dev qt6-declarative-dev libgl-dev qml6-module-qttest
    # audio I/O, OSC, files, spectra, loudness (EBU R128)
    librtaudio-dev libasound2-dev liblo-dev liblo-tools libsndfile1-dev libfftw3-dev libebur128-dev jackd2
    # analysis: pitch, onsets and tempo
    libaubio-dev
    # MIDI input: RtMidi (ALSA sequencer), libjack (JACK MIDI with frame times)
    librtmidi-dev libjack-jackd2-dev
    # measuring what we hear
    sox
    # packaging: shlibdeps for the .deb, the PNG icons, checks of the metainfo, desktop entry and package
    dpkg-dev file librsvg2-bin appstream desktop-file-utils lintian
)
# The QML modules the editor imports at run time: one list for this script and the .deb's Depends.
mapfile -t -O ${#PACKAGES[@]} PACKAGES < <(grep -E '^[a-z0-9]' "$(dirname "${BASH_SOURCE[0]}")/../packaging/qml-modules.txt")

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "chronus: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    SUDO="sudo"
fi
echo "chronus: installing ${#missing[@]} missing packages: ${missing[*]}" >&2
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
