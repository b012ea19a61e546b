# SPDX-License-Identifier: GPL-2.0-only
# A guest's boot with systemd as PID 1 (tests/vm/systemd), in place of
# boot.sh: sourced by the initramfs's /init (busybox sh, PID 1). The root is
# an overlay: an installed tree of eBPFlow ($STAGE, `cmake --install` with
# DESTDIR, set in config.sh by setup) above the host's root (read-only over
# 9p), and what systemd writes in memory; so the unit and the binaries are
# where an installation puts them, and /etc and /var are writable. A unit of
# ours runs the commands of /xchg/cmd/ as boot.sh does (same files, same
# exit-code protocol), then powers off; systemd mounts /proc, /sys, /dev and
# cgroup2 itself.
. /xchg/config.sh
setup # sets STAGE
R=/newroot

# the root: one overlay of the installed tree over the host's root, the
# writes in memory
mkdir -p /host /mem
mount_root /host ||
	off "cannot mount the host's root"
[ -d "/host$STAGE/usr" ] || off "no installed tree at $STAGE"
mount -t tmpfs -o mode=0755 tmpfs /mem
mkdir -p /mem/stage /mem/upper /mem/work
# a copy: overlayfs refuses a layer inside another layer (the host's root)
cp -a "/host$STAGE/." /mem/stage/ || off "cannot copy the installed tree"
mount -t overlay overlay -o "lowerdir=/mem/stage:/host,upperdir=/mem/upper,workdir=/mem/work" $R ||
	off "cannot mount the root's overlay"
# what the commands need of the host's /tmp and /run stays (guest.py: SCRATCH)
keep_aside /host
mount -t tmpfs -o mode=0755 tmpfs $R/run || off "cannot mount /run"
mount -t tmpfs -o mode=1777 tmpfs $R/tmp
keep_back $R
mkdir -p $R/run/ebpflow-vm
mount --bind /xchg $R/run/ebpflow-vm || off "cannot bind the exchange share"
# the machines that build eBPFlow are containers: systemd must not think it
# runs in one (it would ignore the kernel's command line, and more)
rm -f $R/.dockerenv $R/run/.containerenv

# the host's disks are not here: no fstab to wait for
: >$R/etc/fstab
mkdir -p $R/etc/systemd/system
cat >$R/etc/systemd/system/ebpflow-vm.target <<'EOF'
[Unit]
Description=eBPFlow's systemd test
Requires=basic.target ebpflow-vm-run.service
After=basic.target ebpflow-vm-run.service
AllowIsolate=yes
EOF
cat >$R/etc/systemd/system/ebpflow-vm-run.service <<'EOF'
[Unit]
Description=eBPFlow's systemd test: the commands of the exchange folder
After=basic.target

[Service]
Type=oneshot
ExecStart=/bin/sh /run/ebpflow-vm/run.sh
StandardOutput=journal+console
EOF
cat >/xchg/run.sh <<'EOF'
read -r up _ </proc/uptime
echo "$up" >/run/ebpflow-vm/started
for script in /run/ebpflow-vm/cmd/*.sh; do
	[ -f "$script" ] || continue
	n=${script%.sh}
	read -r limit <"$n.timeout"
	echo "ebpflow-vm: running ${n##*/} (at most ${limit}s)"
	read -r t0 _ </proc/uptime
	timeout -s KILL "$limit" /bin/sh "$script" </dev/null >"$n.out" 2>"$n.err"
	rc=$?
	read -r t1 _ </proc/uptime
	echo "$rc $t0 $t1" >"$n.rc"
	echo "ebpflow-vm: ${n##*/} exited $rc"
done
journalctl -b --no-pager >/run/ebpflow-vm/journal.txt 2>&1
sync
echo o >/proc/sysrq-trigger
EOF

echo "ebpflow-vm: switching to systemd"
exec switch_root $R /lib/systemd/systemd --unit=ebpflow-vm.target
