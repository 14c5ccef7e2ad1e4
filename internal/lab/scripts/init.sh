#!/bin/bash
# PID 1 of a clusterctl lab machine: starts syslog, sshd and the enabled
# services, then stays alive reaping orphans (bash reaps every child that
# exits, known or not, whenever it waits).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LANG=C.UTF-8
cd /

busybox syslogd -O /var/log/messages
/usr/sbin/sshd -f /etc/ssh/clusterctl-lab/sshd_config -E /var/log/sshd.log ||
	echo "clusterctl-lab: sshd failed to start" >&2

for unit in /etc/systemd/system/multi-user.target.wants/*.service; do
	[ -e "$unit" ] || continue
	unit=${unit##*/}
	systemctl start "${unit%.service}" || echo "clusterctl-lab: $unit failed to start" >&2
done
# Ready means sshd accepts connections: wait (up to 5 s) until something
# listens on TCP port 22 (hex 0016, state 0A) in this namespace.
for _ in $(seq 50); do
	grep -qE '^ *[0-9]+: [0-9A-F]+:0016 [0-9A-F]+:0000 0A' /proc/net/tcp /proc/net/tcp6 2>/dev/null && break
	sleep 0.1
done
echo "$HOSTNAME" >/run/clusterctl-lab/ready

trap '' HUP INT
while :; do
	sleep infinity &
	wait $!
done
