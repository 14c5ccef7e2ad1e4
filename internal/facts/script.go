package facts

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// scriptHead defines the helpers every facts script uses. B is the
// boundary token; h prints a section header; enc encodes stdin (base64, or
// od hex where base64 is missing); run runs a command with stdin from
// /dev/null (the script itself arrives on stdin) and prints its stdout and
// stderr as two sections, not starting an encoder for an empty one (an
// empty body either way; it saves a process per section, most stderrs are
// empty); f dumps one regular file.
const scriptHead = `set -f
LC_ALL=C
export LC_ALL
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
umask 077
h() { printf '%s %s\n' "$B" "$*"; }
if command -v base64 >/dev/null 2>&1; then
	ENC=b64
	enc() { base64; }
else
	ENC=hex
	enc() { od -An -v -tx1; }
fi
T=$(mktemp -d 2>/dev/null)
if [ -z "$T" ]; then
	T=/tmp/clusterctl-facts.$$
	mkdir -m 700 "$T" || exit 1
fi
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM
run() {
	_n=$1
	shift
	if ! command -v "$1" >/dev/null 2>&1; then
		h cmd "$_n" missing
		return
	fi
	"$@" >"$T/o" 2>"$T/e" </dev/null
	_rc=$?
	h cmd "$_n" "rc=$_rc"
	[ ! -s "$T/o" ] || enc <"$T/o"
	h err "$_n"
	[ ! -s "$T/e" ] || enc <"$T/e"
}
SEEN=
f() {
	case " $SEEN " in *" $1 "*) return ;; esac
	SEEN="$SEEN $1"
	if [ ! -e "$1" ]; then
		h file "$1" exists=0
		return
	fi
	if [ ! -f "$1" ]; then
		h file "$1" type=other
		return
	fi
	_s=$(stat -L -c '%a %U %G %s' "$1" 2>/dev/null </dev/null) || _s=
	set -- "$1" $_s
	if [ $# -ne 5 ]; then
		h file "$1" error
		return
	fi
	if [ "$5" -gt MAXSIZE ] 2>/dev/null; then
		h file "$1" exists=1 "mode=$2" "owner=$3" "group=$4" "size=$5" toolarge
		return
	fi
	if cat "$1" >"$T/o" 2>/dev/null </dev/null; then
		h file "$1" exists=1 "mode=$2" "owner=$3" "group=$4" "size=$5"
		enc <"$T/o"
	else
		h file "$1" error
	fi
}
sc() {
	if cat "$2" >"$T/o" 2>/dev/null </dev/null; then
		h sysctl "$1" ok
		enc <"$T/o"
	else
		h sysctl "$1" missing
	fi
}
`

// Script returns the POSIX sh script that gathers the facts of one host,
// to be run as `sh -s` (possibly through `sudo -n`) with the script on
// stdin; it works with dash, bash and busybox sh. token is the section
// boundary (see NewToken); the same request and token always give the same
// script, so it can be golden-tested. Parse reads its output.
//
// The script is read-only on the host apart from a private temporary
// directory it removes on exit. It runs ipvsadm only when /proc/net/ip_vs
// exists, so gathering facts never loads the ip_vs module as a side effect.
func Script(req Request, token string) (string, error) {
	if !validToken(token) {
		return "", errors.New("invalid boundary token")
	}
	procs, err := req.validate()
	if err != nil {
		return "", err
	}
	manifest, lock := req.ManifestPath, req.LockPath
	if manifest == "" {
		manifest = DefaultManifestPath
	}
	if lock == "" {
		lock = DefaultLockPath
	}
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("# clusterctl facts script v1 (generated)\nB=%s\n", token)
	b.WriteString(strings.Replace(scriptHead, "MAXSIZE", strconv.Itoa(MaxFileSize), 1))
	w("h facts v=1 \"enc=$ENC\"\n")

	b.WriteString("run os-release cat /etc/os-release\n")
	b.WriteString("run hostname uname -n\n")
	b.WriteString(`PM=none
if command -v apt-get >/dev/null 2>&1; then PM=apt
elif command -v dnf >/dev/null 2>&1; then PM=dnf
elif command -v yum >/dev/null 2>&1; then PM=yum
fi
h pkgmgr "$PM"
`)
	if len(req.Packages) > 0 {
		pk := quoteAll(req.Packages)
		w("if command -v dpkg-query >/dev/null 2>&1; then\n\trun pkg-dpkg dpkg-query -W -f '${Package}\\t${Version}\\t${db:Status-Abbrev}\\n' %s\n", pk)
		w("elif command -v rpm >/dev/null 2>&1; then\n\trun pkg-rpm rpm -q --qf '%%{NAME}\\t%%{VERSION}-%%{RELEASE}\\n' %s\nfi\n", pk)
	}
	b.WriteString("run keepalived-version keepalived -v\n")
	for _, s := range req.Services {
		q := shQuote(s)
		w("run svc-active:%s systemctl is-active %s\nrun svc-enabled:%s systemctl is-enabled %s\n", s, q, s, q)
	}
	// SV: the services read above; the manifest loop skips them (a section
	// appears once).
	w("SV=%s\n", shQuote(" "+strings.Join(req.Services, " ")+" "))
	b.WriteString("run ip-addr ip -o addr show\nrun ip-link ip -o link show\n")
	b.WriteString("run ip-route ip route show table main\nrun ip6-route ip -6 route show table main\n")
	for _, k := range req.Sysctls {
		w("sc %s %s\n", k, shQuote(sysctlPath(k)))
	}
	b.WriteString("run modules cat /proc/modules\nrun sys-module ls /sys/module\n")
	b.WriteString(`IV=0; command -v ipvsadm >/dev/null 2>&1 && IV=1
PR=0; [ -e /proc/net/ip_vs ] && PR=1
MD=0; [ -d "/lib/modules/$(uname -r)/kernel/net/netfilter/ipvs" ] && MD=1
h ipvs "ipvsadm=$IV" "proc=$PR" "moddir=$MD"
if [ $IV = 1 ] && [ $PR = 1 ]; then
	run ipvsadm-save ipvsadm -S -n
	run ipvsadm-list ipvsadm -L -n
	run ipvsadm-stats ipvsadm -L -n --stats --exact
fi
run iptables-nat iptables-save -t nat
`)
	for _, p := range req.Files {
		w("f %s\n", shQuote(p))
	}
	w("M=%s\n", shQuote(manifest))
	w(`if [ -f "$M" ]; then
	h manifest present
	dd bs=%d count=1 2>/dev/null <"$M" | enc
	_c=0
	while IFS=' ' read -r _k _p || [ -n "$_k" ]; do
		if [ "$_k" = service ]; then
			# A service clusterctl manages(d): its state, to stop it once
			# the configuration no longer asks for it.
			case "$_p" in "" | -* | *[!A-Za-z0-9_@:.-]*) continue ;; esac
			case "$SV" in *" $_p "*) continue ;; esac
			SV="$SV$_p "
			run "svc-active:$_p" systemctl is-active "$_p"
			run "svc-enabled:$_p" systemctl is-enabled "$_p"
			continue
		fi
		[ "$_k" = file ] || continue
		_c=$((_c + 1))
		[ $_c -le %d ] || break
		case "$_p" in /*) ;; *) continue ;; esac
		case "$_p" in *[!A-Za-z0-9._/@+=,:~-]* | */../* | */.. | */./* | */. | *//* | */) continue ;; esac
		f "$_p"
	done <"$M"
else
	h manifest absent
fi
`, MaxFileSize, maxManifestFiles)
	w("L=%s\n", shQuote(lock))
	b.WriteString(`if [ -f "$L" ]; then
	h lock present
	dd bs=65536 count=1 2>/dev/null <"$L" | enc
else
	h lock absent
fi
`)
	for i := range procs {
		w("P%d=0\n", i)
	}
	b.WriteString("set +f\nfor _f in /proc/[0-9]*/comm; do\n\tIFS= read -r _c 2>/dev/null <\"$_f\" || continue\n\tcase \"$_c\" in\n")
	for i, p := range procs {
		w("\t%s) P%d=$((P%d + 1)) ;;\n", shQuote(p), i, i)
	}
	b.WriteString("\tesac\ndone\nset -f\n")
	for i, p := range procs {
		w("h proc %s \"$P%d\"\n", p, i)
	}
	b.WriteString("h end\n")
	return b.String(), nil
}

// shQuote quotes s for sh. Every value is validated before it gets here;
// quoting is a second line of defence.
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func quoteAll(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = shQuote(s)
	}
	return strings.Join(q, " ")
}
