#!/bin/bash
# Boots a clusterctl lab machine. Runs as PID 1 of a fresh PID namespace, in
# fresh mount/UTS/IPC namespaces and the machine's network namespace (see
# nsenter/unshare in machine.go), still on the host's root file system.
#   $1 machine dir (upper/, work/, root/, skel/{dev,run} to copy)   $2 host name
#   $3 the lab's state dir, hidden inside the machine
set -euo pipefail
dir=$1 name=$2 state=$3
r=$dir/root

mount -t overlay overlay -o "lowerdir=/,upperdir=$dir/upper,workdir=$dir/work" "$r"
if [ -d "$r$state" ]; then
	mount -t tmpfs -o ro,mode=0755,size=4k lab-hidden "$r$state"
fi
mount -t proc -o nosuid,nodev,noexec proc "$r/proc"
mount -t sysfs -o nosuid,nodev,noexec sysfs "$r/sys"
mount -t tmpfs -o nosuid,nodev,mode=0755 run "$r/run"
mount -t tmpfs -o nosuid,nodev,mode=1777 tmp "$r/tmp"
mount -t tmpfs -o nosuid,mode=0755 dev "$r/dev"
cp -a "$dir/skel/dev/." "$r/dev/"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$r/dev/pts"
mount -t tmpfs -o nosuid,nodev,mode=1777 shm "$r/dev/shm"
cp -a "$dir/skel/run/." "$r/run/"
echo "$name" >/proc/sys/kernel/hostname

cd "$r"
pivot_root . .
umount -l .
cd /
exec /usr/local/lib/clusterctl-lab/init
