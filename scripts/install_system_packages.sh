#!/usr/bin/env bash
# Install the Debian/Ubuntu packages aligner and its tests need, only those whose tool is missing.
# Probing tools rather than package names keeps machines whose Node.js or Python came from
# elsewhere (nodesource, pyenv) from pulling conflicting Debian packages.
set -euo pipefail
PYTHON=${PYTHON:-python3}
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

need=()
has() { command -v "$1" >/dev/null 2>&1; }
has "$PYTHON" || need+=(python3)
if has "$PYTHON"; then
  "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
  "$PYTHON" -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
    || need+=(python3-dev)
fi
has gcc || need+=(gcc)                      # C extensions: aeneas's, aligner/_kernels.c
has ffmpeg || need+=(ffmpeg)                # audio decoding (pydub), real-client checks
has espeak-ng || need+=(espeak-ng)          # speech synthesis: aeneas, sample audio
dpkg -s libespeak-ng-libespeak-dev >/dev/null 2>&1 || need+=(libespeak-ng-libespeak-dev)  # aeneas C extension
has node || need+=(nodejs)                  # W3C WebVTT parser (webvtt-parser on npm)
has npm || need+=(npm)
has chromium || need+=(chromium)            # preview page tests (Playwright drives it)
has mpv || need+=(mpv)                      # review video tests (JSON IPC)
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-noto-cjk)  # CJK in burned-in and browser subtitles

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "installing Debian packages: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
