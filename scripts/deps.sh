#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Installs, from Debian 12's packages, what eBPFlow needs. Run as root.
#   scripts/deps.sh          building and running it (scripts/run.sh)
#   scripts/deps.sh --test   that, and every program the tests drive
#                            (scripts/test.sh, .ci/run)
#   scripts/deps.sh --arm64  building for arm64 on this host (README: the
#                            cross build) and booting arm64 guests
# A test that needs another program adds its package to TEST_PACKAGES,
# on the line of the tests that use it.
set -eu

# compiler, BPF toolchain, libraries; file: the package target (CPack);
# libzmq3-dev: --zmq for ntopng (a build without it refuses the option)
BUILD_PACKAGES="
	build-essential cmake pkg-config clang bpftool
	libbpf-dev libelf-dev zlib1g-dev libglib2.0-dev libfixbuf-dev
	libcurl4-openssl-dev libjson-glib-dev file
	libzmq3-dev
"

# the cross compiler, and an arm64 root to build against and to boot
# (tests/vm/arm64.py): no :arm64 package is installed on the host, whose
# Multi-Arch libraries would have to move to the arm64 ones' exact versions;
# qemu-user-static runs the root's ldconfig and the build's own program
ARM64_PACKAGES="
	gcc-aarch64-linux-gnu qemu-user-static mmdebstrap qemu-system-arm
"

TEST_PACKAGES="
	python3 python3-yaml iproute2 util-linux   # the harness, namespaces, setpriv
	man-db groff-base                          # install: the man pages render
	libclang-rt-14-dev valgrind                # scripts/fuzz.sh, kernel_valgrind
	docker.io busybox-static                   # kernel_containers; vm_matrix's initramfs
	nfdump libfixbuf-tools pmacct tshark       # kernel_ipfix, kernel_collectors
	softflowd pmacct                           # bench/run's peers: what users would run instead
	lintian                                    # kernel_package
	qemu-system-x86                            # vm_matrix: Debian's own kernels in guests
	mmdebstrap                                 # userland_trixie: Debian 13's userland
	systemd                                    # vm_systemd's PID 1, install's systemd-analyze, sysusers
	containerd runc tini python3-grpcio        # kernel_cri: pods through the CRI API
	dnsmasq-base                               # kernel_dns: a DNS server of the test's own
"

case "${1:-}" in
"") packages=$BUILD_PACKAGES ;;
--test) packages="$BUILD_PACKAGES $TEST_PACKAGES $ARM64_PACKAGES" ;;
--arm64) packages="$BUILD_PACKAGES $ARM64_PACKAGES" ;;
*)
	echo "usage: $0 [--test|--arm64]" >&2
	exit 2
	;;
esac

# tshark asks whether non-root users may capture: the default (no) is right
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2046 # one word per package
apt-get install -y -q $(printf '%s\n' "$packages" | sed 's/#.*//')
