#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Install, build, run every test; then the whole suite again built with
# AddressSanitizer and UndefinedBehaviorSanitizer, and the fuzz targets for a
# short while. Run as root: the kernel tests load the real programs (without
# root they are skipped, and under CI=true they fail).
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh --test
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=ON
cmake --build build -j"$(nproc)"
(cd build && ctest --output-on-failure)

echo "== the same suite with ASan + UBSan"
cmake -S . -B build-asan -DEBPFLOW_SANITIZE=ON
cmake --build build-asan -j"$(nproc)"
# valgrind and the sanitizers do not mix; the benchmarks and the soak measure
# speed and RSS, which ASan (its quarantine holds freed memory) changes; the
# kernel matrix, the userland matrix and the systemd test check kernels,
# userlands and the unit, not memory, and cost minutes of emulation; the
# DaemonSet's test runs the image's own build, which has no sanitizer
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	ctest --output-on-failure -E "kernel_valgrind|bench_smoke|soak_short|vm_matrix|vm_systemd|userland_trixie|kernel_daemonset")

echo "== fuzzing, short"
./scripts/fuzz.sh 10
