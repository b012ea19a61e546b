# SPDX-License-Identifier: GPL-2.0-only
# Second stage of a guest's boot, sourced by the initramfs's /init (busybox sh)
# from the exchange share: mount the host's root read-only with writable
# scratch space and the kernel's file systems on it, then run each command of
# /xchg/cmd/ in a chroot there, its output, exit code and times kept in
# /xchg/cmd/. guest.py writes /xchg/config.sh (mount_root over 9p or virtio-fs, and setup(), run
# after the standard mounts: the place for a caller's extra mounts).
. /xchg/config.sh
R=/newroot

mount_root $R ||
	off "cannot mount the host's root"
# the root is read-only: everything that is written goes to memory, but what
# the commands need of the host's /tmp, /run, /var/tmp stays (guest.py: SCRATCH)
keep_aside $R
for d in tmp run var/tmp; do
	mount -t tmpfs -o mode=1777 tmpfs $R/$d
done
keep_back $R
mount -t proc proc $R/proc
mount -t sysfs sys $R/sys
mount -t devtmpfs dev $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts $R/dev/pts
mount -t tmpfs -o mode=1777 tmpfs $R/dev/shm
mount -t cgroup2 cgroup2 $R/sys/fs/cgroup
mount -t bpf bpf $R/sys/fs/bpf
mount -t debugfs debugfs $R/sys/kernel/debug
mount -t tracefs tracefs $R/sys/kernel/tracing
# the commands may leave files for the host here too
mkdir -p $R/run/ebpflow-vm
mount --bind /xchg $R/run/ebpflow-vm
ip link set lo up
setup

read -r up _ </proc/uptime
echo "$up" >/xchg/started
for script in /xchg/cmd/*.sh; do
	[ -f "$script" ] || continue
	n=${script%.sh}
	read -r limit <"$n.timeout"
	echo "ebpflow-vm: running ${n##*/} (at most ${limit}s)"
	read -r t0 _ </proc/uptime
	# busybox's timeout kills the command, not what it started: the guest
	# powers off after the last command anyway
	timeout -s KILL "$limit" chroot $R /bin/sh "/run/ebpflow-vm/cmd/${n##*/}.sh" \
		<"/dev/null" >"$n.out" 2>"$n.err"
	rc=$?
	read -r t1 _ </proc/uptime
	echo "$rc $t0 $t1" >"$n.rc"
	echo "ebpflow-vm: ${n##*/} exited $rc"
done
off "done"
