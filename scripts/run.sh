#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Install what building and running need (not the tests' tools), build,
# and run eBPFlow on its default: the console view of every process's flows
# (Ctrl-C to stop). Arguments go to ebpflow. Run as root.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF
cmake --build build -j"$(nproc)"
exec ./build/ebpflow "$@"
