#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-only
# /init of the guests' initramfs (busybox only): load the modules that 9p
# (or virtio-fs) needs (the guest cannot modprobe: the host has no modules for
# its kernel), mount the exchange share and run the boot script the host put
# there. That script decides everything else, so one initramfs per kernel
# serves every kind of boot. Whatever happens, the guest powers off: qemu runs
# with -no-reboot and the kernel with panic=-1.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev

off() {
	echo "ebpflow-vm: $*"
	sync
	echo o >/proc/sysrq-trigger
	sleep 60
}

while read -r m; do
	insmod "/modules/$m.ko" || echo "ebpflow-vm: insmod $m failed"
done </modules/order

# 9p, or virtio-fs on kernels built without 9p (Debian's cloud flavour)
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 xchg /xchg 2>/dev/null ||
	mount -t virtiofs xchg /xchg ||
	off "cannot mount the exchange share"
[ -f /xchg/boot.sh ] || off "no /xchg/boot.sh"
. /xchg/boot.sh
off "boot script returned"
