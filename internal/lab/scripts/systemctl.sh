#!/bin/bash
# systemctl stand-in of a clusterctl lab machine, which has no systemd.
# Units: keepalived, nginx, ssh (sshd), dbus and firewalld by pid file; any
# other unit with an /etc/init.d script through that script, or else by its
# unit file's ExecStart and ExecStop lines. Enabled units are symlinks in
# /etc/systemd/system/multi-user.target.wants, started by the machine's PID 1.
# Exit codes follow systemctl: is-active 0 active, 3 inactive, 4 unknown unit;
# is-enabled 0 enabled, 1 disabled; start/stop of an unknown unit 5.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
wants=/etc/systemd/system/multi-user.target.wants

log() { logger -t systemctl -- "$*" 2>/dev/null || true; }
say() { [ "$quiet" = 1 ] || echo "$@" >&2; }

pidfile() {
	case $1 in
	keepalived) echo /run/keepalived.pid ;;
	nginx) echo /run/nginx.pid ;;
	ssh) echo /run/sshd.pid ;;
	dbus) echo /run/dbus/pid ;;
	firewalld) echo /run/firewalld.pid ;;
	esac
}

# builtin reports whether the stand-in itself knows how to run a unit.
builtin() {
	case $1 in
	keepalived | nginx | ssh | dbus | firewalld) return 0 ;;
	esac
	return 1
}

# unitfile prints the unit file of a unit installed as a file, if any.
unitfile() {
	local d
	for d in /etc/systemd/system /lib/systemd/system; do
		if [ -f "$d/$1.service" ]; then
			echo "$d/$1.service"
			return 0
		fi
	done
	return 1
}

# fileunit reports whether a unit is driven by its unit file (ExecStart)
# rather than by the stand-in's built-in knowledge or an init script.
fileunit() {
	builtin "$1" && return 1
	[ ! -x "/etc/init.d/$1" ] && unitfile "$1" >/dev/null
}

# known: a unit exists when the stand-in knows it and its program is
# installed (on a RHEL-family lab machine keepalived and nginx come with
# their packages), or it has an init script or a unit file.
known() {
	case $1 in
	ssh) return 0 ;;
	keepalived | nginx | firewalld) [ -x "/usr/sbin/$1" ] ;;
	dbus) command -v dbus-daemon >/dev/null ;;
	*) [ -x "/etc/init.d/$1" ] || unitfile "$1" >/dev/null ;;
	esac
}

# mainpid prints the unit's running main pid, or fails.
mainpid() {
	local f pid
	f=$(pidfile "$1")
	[ -n "$f" ] && [ -r "$f" ] || return 1
	# firewalld writes its pid without a newline: read fails at EOF but
	# has read it.
	{ read -r pid || [ -n "$pid" ]; } <"$f" 2>/dev/null || return 1
	[ -n "$pid" ] || return 1
	local _comm state
	read -r _comm _comm state _ <"/proc/$pid/stat" 2>/dev/null || return 1
	[ "$state" != Z ] || return 1
	echo "$pid"
}

active() {
	case $1 in
	keepalived | nginx | ssh | dbus | firewalld) mainpid "$1" >/dev/null ;;
	*)
		if fileunit "$1"; then
			[ -e "/run/clusterctl-lab-units/$1.active" ]
		else
			"/etc/init.d/$1" status >/dev/null 2>&1
		fi
		;;
	esac
}

# start_fileunit runs a unit file's ExecStart lines; a oneshot with
# RemainAfterExit=yes stays active afterwards, as under systemd.
start_fileunit() {
	local f line rc=0
	f=$(unitfile "$1") || return 1
	while IFS= read -r line; do
		case $line in
		ExecStart=*) sh -c "${line#ExecStart=}" || rc=1 ;;
		esac
	done <"$f"
	[ $rc -eq 0 ] || return 1
	if grep -qi '^RemainAfterExit=yes' "$f"; then
		mkdir -p /run/clusterctl-lab-units
		: >"/run/clusterctl-lab-units/$1.active"
	fi
}

# stop_fileunit runs a unit file's ExecStop lines.
stop_fileunit() {
	local f line rc=0
	f=$(unitfile "$1") || return 0
	if grep -qi '^RemainAfterExit=yes' "$f" && [ ! -e "/run/clusterctl-lab-units/$1.active" ]; then
		return 0
	fi
	while IFS= read -r line; do
		case $line in
		ExecStop=*) sh -c "${line#ExecStop=}" || rc=1 ;;
		esac
	done <"$f"
	rm -f "/run/clusterctl-lab-units/$1.active"
	return $rc
}

# waitfor CMD... retries CMD for up to 10 s.
waitfor() {
	local i
	for ((i = 0; i < 100; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

gone() { ! active "$1"; }

# stop_pid UNIT SIG: signal the main pid and wait for it to be gone.
stop_pid() {
	local pid
	pid=$(mainpid "$1") || return 0
	kill "-$2" "$pid" 2>/dev/null
	if ! waitfor gone "$1"; then
		kill -KILL "$pid" 2>/dev/null
		sleep 0.2
	fi
	rm -f "$(pidfile "$1")"
}

fail_start() {
	echo "Job for $1.service failed because the control process exited with error code." >&2
	echo "See \"/var/log/messages\" for details." >&2
	log "$1: failed to start"
	return 1
}

do_start() {
	active "$1" && return 0
	case $1 in
	keepalived)
		local conf=/etc/keepalived/keepalived.conf DAEMON_ARGS=""
		if [ ! -s "$conf" ]; then
			log "keepalived: $conf is missing or empty; not started (ConditionFileNotEmpty)"
			return 0
		fi
		local KEEPALIVED_OPTIONS=""
		[ -r /etc/default/keepalived ] && . /etc/default/keepalived
		# A RHEL-family machine's options (its unit's EnvironmentFile).
		[ -r /etc/sysconfig/keepalived ] && . /etc/sysconfig/keepalived
		DAEMON_ARGS="$DAEMON_ARGS $KEEPALIVED_OPTIONS"
		local args=(-D -p /run/keepalived.pid)
		if [ ! -e /proc/net/ip_vs ] && grep -Eq '^[[:space:]]*virtual_server(_group)?([[:space:]]|$)' "$conf"; then
			args+=(-P)
			log "keepalived: the kernel has no IPVS (/proc/net/ip_vs is missing) and $conf has virtual_server: clusterctl lab starts keepalived with -P (VRRP only); LVS does not work in this lab"
		fi
		# shellcheck disable=SC2086
		keepalived "${args[@]}" $DAEMON_ARGS || fail_start keepalived || return 1
		waitfor active keepalived || fail_start keepalived
		;;
	nginx)
		nginx -t -q || fail_start nginx || return 1
		nginx || fail_start nginx || return 1
		waitfor active nginx || fail_start nginx
		;;
	dbus)
		mkdir -p -m 0755 /run/dbus
		dbus-daemon --system --fork || fail_start dbus || return 1
		waitfor active dbus || fail_start dbus
		;;
	firewalld)
		local FIREWALLD_ARGS=""
		[ -r /etc/sysconfig/firewalld ] && . /etc/sysconfig/firewalld
		active dbus || do_start dbus || return 1
		# shellcheck disable=SC2086
		firewalld $FIREWALLD_ARGS || fail_start firewalld || return 1
		# Ready once it answers on D-Bus (it takes a second or two).
		local i
		for ((i = 0; i < 60; i++)); do
			firewall-cmd -q --state 2>/dev/null && return 0
			active firewalld || break
			sleep 0.25
		done
		fail_start firewalld
		;;
	ssh)
		mkdir -p -m 0755 /run/sshd
		/usr/sbin/sshd -f /etc/ssh/clusterctl-lab/sshd_config -E /var/log/sshd.log || fail_start ssh || return 1
		waitfor active ssh || fail_start ssh
		;;
	*)
		if fileunit "$1"; then
			start_fileunit "$1"
		else
			"/etc/init.d/$1" start
		fi
		;;
	esac
}

do_stop() {
	case $1 in
	keepalived | ssh | dbus | firewalld) stop_pid "$1" TERM ;;
	nginx)
		active nginx && nginx -s quit 2>/dev/null
		stop_pid nginx TERM
		;;
	*)
		if fileunit "$1"; then
			stop_fileunit "$1"
		else
			"/etc/init.d/$1" stop
		fi
		;;
	esac
}

do_reload() {
	if ! active "$1"; then
		echo "$1.service is not active, cannot reload." >&2
		return 1
	fi
	case $1 in
	keepalived | ssh | firewalld | dbus) kill -HUP "$(mainpid "$1")" ;;
	nginx) nginx -t -q && nginx -s reload ;;
	*) "/etc/init.d/$1" reload ;;
	esac
}

show() {
	local u=$1 state=inactive sub=dead pid=0 load=loaded file=disabled p
	if ! known "$u"; then
		load=not-found file=""
	else
		[ -L "$wants/$u.service" ] && file=enabled
		if active "$u"; then
			state=active sub=running
			pid=$(mainpid "$u") || pid=0
		fi
	fi
	for p in "${props[@]:-Id LoadState ActiveState SubState UnitFileState MainPID}"; do
		for p in ${p//,/ }; do
			local v=
			case $p in
			Id) v=$u.service ;;
			LoadState) v=$load ;;
			ActiveState) v=$state ;;
			SubState) v=$sub ;;
			UnitFileState) v=$file ;;
			MainPID) v=$pid ;;
			*) ;;
			esac
			if [ "$value" = 1 ]; then echo "$v"; else echo "$p=$v"; fi
		done
	done
}

status() {
	local u=$1 pid file=disabled
	if ! known "$u"; then
		echo "Unit $u.service could not be found." >&2
		return 4
	fi
	[ -L "$wants/$u.service" ] && file=enabled
	echo "● $u.service - $u (clusterctl lab stand-in)"
	echo "     Loaded: loaded (/lib/systemd/system/$u.service; $file)"
	if active "$u"; then
		pid=$(mainpid "$u") || pid=
		echo "     Active: active (running)"
		[ -n "$pid" ] && echo "   Main PID: $pid"
		return 0
	fi
	echo "     Active: inactive (dead)"
	return 3
}

quiet=0 now=0 value=0 verb="" units=() props=()
while [ $# -gt 0 ]; do
	case $1 in
	-q | --quiet) quiet=1 ;;
	--now) now=1 ;;
	--value) value=1 ;;
	-p | --property)
		props+=("${2:-}")
		shift
		;;
	-p?*) props+=("${1#-p}") ;;
	--property=*) props+=("${1#--property=}") ;;
	-*) ;;
	*)
		u=${1%.service}
		[ "$u" != sshd ] || u=ssh
		if [ -z "$verb" ]; then verb=$1; else units+=("$u"); fi
		;;
	esac
	shift
done

rc=0
case $verb in
daemon-reload | daemon-reexec | reset-failed) exit 0 ;;
start | stop | restart | reload | try-restart | reload-or-restart | condrestart)
	[ "${#units[@]}" -gt 0 ] || {
		echo "Too few arguments." >&2
		exit 1
	}
	for u in "${units[@]}"; do
		if ! known "$u"; then
			case $verb in
			start | restart | reload-or-restart) echo "Failed to $verb $u.service: Unit $u.service not found." >&2 ;;
			*) echo "Failed to $verb $u.service: Unit $u.service not loaded." >&2 ;;
			esac
			rc=5
			continue
		fi
		log "$verb $u"
		# systemd runs one job per unit at a time; so does the stand-in
		# (a check script may start nginx while clusterctl does). flock -o
		# keeps the lock away from the daemons the job starts.
		if [ -z "${CLUSTERCTL_LAB_UNIT_LOCKED:-}" ]; then
			mkdir -p /run/lock
			CLUSTERCTL_LAB_UNIT_LOCKED=1 flock -o "/run/lock/systemctl-$u.lock" "$0" "$verb" "$u" || rc=$?
			continue
		fi
		case $verb in
		start) do_start "$u" || rc=1 ;;
		stop) do_stop "$u" || rc=1 ;;
		restart) { do_stop "$u" && do_start "$u"; } || rc=1 ;;
		reload) do_reload "$u" || rc=1 ;;
		try-restart | condrestart) if active "$u"; then { do_stop "$u" && do_start "$u"; } || rc=1; fi ;;
		reload-or-restart) if active "$u"; then do_reload "$u" || rc=1; else do_start "$u" || rc=1; fi ;;
		esac
	done
	;;
is-active)
	for u in "${units[@]}"; do
		if ! known "$u"; then
			[ "$quiet" = 1 ] || echo inactive
			[ $rc -ne 0 ] || rc=4
		elif active "$u"; then
			[ "$quiet" = 1 ] || echo active
		else
			[ "$quiet" = 1 ] || echo inactive
			[ $rc -ne 0 ] || rc=3
		fi
	done
	;;
is-enabled)
	for u in "${units[@]}"; do
		if ! known "$u"; then
			echo "Failed to get unit file state for $u.service: No such file or directory" >&2
			rc=1
		elif [ -L "$wants/$u.service" ]; then
			[ "$quiet" = 1 ] || echo enabled
		else
			[ "$quiet" = 1 ] || echo disabled
			rc=1
		fi
	done
	;;
enable | disable)
	for u in "${units[@]}"; do
		if ! known "$u"; then
			echo "Failed to $verb unit: Unit file $u.service does not exist." >&2
			rc=1
			continue
		fi
		if [ "$verb" = enable ]; then
			if [ ! -L "$wants/$u.service" ]; then
				mkdir -p "$wants"
				target=$(unitfile "$u") || target=/lib/systemd/system/$u.service
				ln -sf "$target" "$wants/$u.service"
				say "Created symlink $wants/$u.service → $target."
			fi
			[ "$now" = 0 ] || do_start "$u" || rc=1
		else
			if [ -L "$wants/$u.service" ]; then
				rm -f "$wants/$u.service"
				say "Removed \"$wants/$u.service\"."
			fi
			[ "$now" = 0 ] || do_stop "$u" || rc=1
		fi
	done
	;;
status)
	for u in "${units[@]}"; do
		status "$u"
		s=$?
		[ $rc -ne 0 ] || rc=$s
	done
	;;
show)
	# Like systemctl: one block per unit, blocks separated by a blank line.
	sep=0
	for u in "${units[@]}"; do
		[ "$sep" = 0 ] || echo
		sep=1
		show "$u"
	done
	;;
"")
	echo "clusterctl lab: systemctl stand-in needs a command" >&2
	exit 1
	;;
*)
	echo "Unknown command verb $verb." >&2
	exit 1
	;;
esac
exit $rc
