#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Install, build, run every test. Run as root: the kernel tests load the real
# programs (without root they are skipped, and under CI=true they fail).
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"
cd build
ctest --output-on-failure
