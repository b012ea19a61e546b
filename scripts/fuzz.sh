#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Build the libFuzzer targets with clang (ASan + UBSan) and run each for
# SECONDS (default 10; scripts/test.sh runs this short mode). Longer runs:
#   ./scripts/fuzz.sh 3600
# New inputs go to build-fuzz/corpus/<target>; a crash, leak or hang fails
# the run and leaves its input as build-fuzz/crash-*.
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-10}
CC=clang cmake -S . -B build-fuzz -DEBPFLOW_FUZZ=ON -DBUILD_TESTING=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz_conffile fuzz_cgroup fuzz_inspect \
	fuzz_spec fuzz_collector fuzz_dns >/dev/null
for t in conffile cgroup inspect spec collector dns; do
	mkdir -p "build-fuzz/corpus/$t"
	# the shipped configuration seeds the parser's corpus from where it lives
	case $t in conffile) seeds=config ;; *) seeds= ;; esac
	if ! ./build-fuzz/tests/fuzz/fuzz_$t -max_total_time="$seconds" -timeout=5 \
		-rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
		-artifact_prefix=build-fuzz/ "build-fuzz/corpus/$t" "tests/fuzz/corpus/$t" $seeds \
		> "build-fuzz/fuzz_$t.log" 2>&1; then
		tail -40 "build-fuzz/fuzz_$t.log"
		echo "fuzz_$t: FAILED"
		exit 1
	fi
	echo "fuzz_$t: $(grep -o 'number_of_executed_units: *[0-9]*' "build-fuzz/fuzz_$t.log" | \
		grep -o '[0-9]*$') executions in ${seconds}s, no crash, leak or hang"
done
