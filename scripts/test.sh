#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Install, build, run every test; then the whole suite again built with
# AddressSanitizer and UndefinedBehaviorSanitizer, and the fuzz targets for a
# short while. Run as root: the kernel tests load the real programs (without
# root they are skipped, and under CI=true they fail).
#
# The guests (the kernel matrix, the unit under systemd, the userland matrix)
# run in the background while the host's suites run: an emulated guest
# leaves about half of two CPUs idle (its tests mostly wait), and the three
# of them are most of the run. They run one after another among themselves
# (they share the kernel packages' cache), their output is printed at the
# end, and any failure of either side fails the run.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh --test
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=ON
cmake --build build -j"$(nproc)"

guests='^(vm_matrix|vm_systemd|userland_trixie)$'
guest_log=build/guests.log
echo "== the guests, in the background: $guest_log"
# a session of their own, whose id its shell writes down: one kill then
# reaches ctest and its qemu
rm -f build/guests.sid
setsid -w sh -c 'echo $$ >build/guests.sid; cd build && exec ctest --output-on-failure -R "$1"' \
	guests "$guests" >"$guest_log" 2>&1 &
guest_pid=$!
# a Ctrl-C or a failed step stops the guests too
trap 'sid=$(cat build/guests.sid 2>/dev/null) && kill -- "-$sid" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM

failed=""
echo "== the suite on this host"
(cd build && ctest --output-on-failure -E "$guests") || failed="$failed host"

echo "== the same suite with ASan + UBSan"
cmake -S . -B build-asan -DEBPFLOW_SANITIZE=ON
cmake --build build-asan -j"$(nproc)"
# valgrind and the sanitizers do not mix; the benchmarks and the soak measure
# speed and RSS, which ASan (its quarantine holds freed memory) changes; the
# kernel matrix, the userland matrix and the systemd test check kernels,
# userlands and the unit, not memory, and cost minutes of emulation; the
# DaemonSet's test runs the image's own build, which has no sanitizer
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	ctest --output-on-failure -E "kernel_valgrind|bench_smoke|soak_short|vm_matrix|vm_systemd|userland_trixie|kernel_daemonset") \
	|| failed="$failed asan"

echo "== fuzzing, short"
./scripts/fuzz.sh 10 || failed="$failed fuzz"

echo "== waiting for the guests"
guest_rc=0
wait "$guest_pid" || guest_rc=$?
trap - INT TERM EXIT
cat "$guest_log"
[ "$guest_rc" -eq 0 ] || failed="$failed guests"
if [ -n "$failed" ]; then
	echo "FAILED:$failed"
	exit 1
fi
echo "all passed"
