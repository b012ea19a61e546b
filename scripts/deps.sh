#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Installs, from Debian 12's packages, what eBPFlow needs to build, run and
# test (qemu-system-x86 boots Debian's other kernels for tests/vm). Run as root.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q \
	build-essential cmake pkg-config clang libclang-rt-14-dev bpftool \
	libbpf-dev libelf-dev zlib1g-dev libglib2.0-dev libfixbuf-dev \
	libcurl4-openssl-dev libjson-glib-dev \
	libfixbuf-tools nfdump docker.io busybox-static qemu-system-x86 \
	python3 iproute2 util-linux man-db groff-base valgrind
