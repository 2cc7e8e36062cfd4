#!/usr/bin/env bash
# Install what libavps needs on a fresh Debian 12 machine (apt only).
# Usage: scripts/deps.sh [extra packages...]
set -euo pipefail

pkgs=(cmake make gcc g++ clang libcmocka-dev libfdt-dev device-tree-compiler binutils pkg-config doxygen python3 cppcheck clang-tidy lcov liburing-dev "$@")
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "== installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
