#!/usr/bin/env bash
# Installs the Debian 12 packages Chronus needs to build, run and test, if any are missing.
# Safe to run again: it does nothing when everything is there.
set -euo pipefail

PACKAGES=(
    # toolchain
    g++ cmake ninja-build pkg-config
    # Qt 6 and the QML modules the UI and the QML tests import
    qt6-base-dev qt6-declarative-dev libgl-dev
    qml6-module-qtquick qml6-module-qtquick-controls qml6-module-qtquick-layouts
    qml6-module-qtquick-shapes qml6-module-qtquick-window qml6-module-qtquick-templates
    qml6-module-qtqml-workerscript qml6-module-qttest
    # the file dialogs (their non-native implementation lists folders with FolderListModel)
    qml6-module-qtquick-dialogs qml6-module-qt-labs-folderlistmodel
    # audio I/O, OSC, files, spectra
    librtaudio-dev liblo-dev liblo-tools libsndfile1-dev libfftw3-dev jackd2
    # measuring what we hear
    sox
)

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
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
