#!/usr/bin/env bash
# The main job, on a fresh Debian 12 machine: install what is needed, build
# libavps and run the demo, which plays a spec-written guest driver against
# the device-side virtqueue engines and prints what happened.
# (When the vhost-user port lands, this boots a real Linux guest instead.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build-demo -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAVPS_BUILD_TESTS=OFF >/dev/null
cmake --build build-demo -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
exec ./build-demo/avps-vq-demo
