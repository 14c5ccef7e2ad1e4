package facts

import (
	"errors"
	"fmt"
	"strings"

	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/shell"
)

// scriptHead defines the helpers every facts script uses. B is the
// boundary token. Everything the script reports goes, raw, into one stream
// of sections that a single encoder (base64, or od hex where base64 is
// missing) turns into text: one encoder process per run, not one per
// section. h starts a section: a newline, then the header line, so a
// body that lacks a final newline still ends before the next header (the
// parser drops exactly that one newline). run runs a command with stdin
// from /dev/null (the script itself arrives on stdin): its stdout goes
// straight into the stream as section "out NAME"; section "cmd NAME rc=N"
// follows with its stderr (captured by the command substitution, which in
// dash and busybox sh costs no extra process: the shell execs the command
// in the forked child; bash forks once more). rd copies a small text file
// with shell builtins only; rf reports such a file the way run reports a
// command. f notes one path: what is there, and for a regular file a
// "regular" header; the files' metadata and contents come later (see
// Script). sc reads one sysctl's value (its first line).
const scriptHead = `set -f
LC_ALL=C
export LC_ALL
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
umask 077
if command -v base64 >/dev/null 2>&1; then
	ENC=b64
	enc() { base64; }
else
	ENC=hex
	enc() { od -An -v -tx1; }
fi
h() { printf '\n%s %s\n' "$B" "$*"; }
run() {
	_n=$1
	shift
	if ! command -v "$1" >/dev/null 2>&1; then
		h cmd "$_n" missing
		_rc=127
		return
	fi
	h out "$_n"
	_e=$("$@" 2>&1 >&3 3>&- </dev/null)
	_rc=$?
	h cmd "$_n" "rc=$_rc"
	printf '%s' "$_e"
}
rd() {
	while IFS= read -r _l || [ -n "$_l" ]; do
		printf '%s\n' "$_l"
	done <"$1"
}
rf() {
	if [ -f "$2" ]; then
		h out "$1"
		rd "$2" 2>/dev/null
		h cmd "$1" "rc=$?"
	else
		h cmd "$1" rc=1
		printf '%s: not a regular file\n' "$2"
	fi
}
SEEN=
FL=
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
	h file "$1" regular
	FL="$FL $1"
}
sc() {
	_v=
	if [ -f "$2" ] && { IFS= read -r _v <"$2" || [ -n "$_v" ]; } 2>/dev/null; then
		h sysctl "$1" ok
		printf '%s\n' "$_v"
	else
		h sysctl "$1" missing
	fi
}
`

// dpkgStatusAWK prints "NAME\tVERSION\tSTATUS-ABBREV" (as dpkg-query's
// ${Package}\t${Version}\t${db:Status-Abbrev}) for the packages named in
// the awk variable pkgs, from the stanzas of dpkg's status file. It holds
// no single quote (it is single-quoted in the script).
const dpkgStatusAWK = `BEGIN {
	RS = ""
	n = split(pkgs, a, " ")
	for (i = 1; i <= n; i++) want[a[i]] = 1
	W["unknown"] = "u"; W["install"] = "i"; W["hold"] = "h"; W["deinstall"] = "r"; W["purge"] = "p"
	S["not-installed"] = "n"; S["config-files"] = "c"; S["half-installed"] = "H"; S["unpacked"] = "U"
	S["half-configured"] = "F"; S["triggers-awaited"] = "W"; S["triggers-pending"] = "t"; S["installed"] = "i"
}
substr($0, 1, 9) == "Package: " {
	e = index($0, "\n")
	p = e ? substr($0, 10, e - 10) : substr($0, 10)
	if (!(p in want)) next
	v = ""; st = ""
	m = split($0, l, "\n")
	for (i = 2; i <= m; i++) {
		if (substr(l[i], 1, 9) == "Version: ") v = substr(l[i], 10)
		else if (substr(l[i], 1, 8) == "Status: ") st = substr(l[i], 9)
	}
	split(st, f, " ")
	printf "%s\t%s\t%s%s%s\n", p, v, W[f[1]], S[f[3]], (f[2] == "ok" ? " " : "R")
}`

// rpmQueryFormat prints "NAME\tEVR\tPROVIDES" per package, EVR with the
// epoch only when the package has one ("1:1.20.1-14.el9", "2.2.8-3.el9"),
// PROVIDES the names it provides, space-separated. It works with rpm 4.11
// (EL7) and later.
const rpmQueryFormat = `%{NAME}\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\t[%{PROVIDENAME} ]\n`

// Script returns the POSIX sh script that gathers the facts of one host,
// to be run as `sh -s` (possibly through `sudo -n`) with the script on
// stdin; it works with dash, bash and busybox sh. token is the section
// boundary (see NewToken); the same request and token always give the same
// script, so it can be golden-tested. Parse reads its output.
//
// The script is read-only on the host and creates no files. It runs
// ipvsadm only when /proc/net/ip_vs exists, so gathering facts never loads
// the ip_vs module as a side effect. It starts few processes, because on
// a busy fleet the targets' CPU bounds how fast a plan is: small files
// (os-release, hostname, sysctls) are read with shell builtins, every
// service's state comes from one systemctl call, every file's metadata
// from one stat, and one encoder serves the whole output.
func Script(req Request, token string) (string, error) {
	if !validToken(token) {
		return "", errors.New("invalid boundary token")
	}
	procs, err := req.validate()
	if err != nil {
		return "", err
	}
	b := &scriptBuilder{}
	b.printf("# clusterctl facts script v2 (generated)\nB=%s\n", token)
	b.WriteString(scriptHead)
	// The outer document: a header naming the encoding, the encoded
	// stream, and a trailer, so that a stream cut short is told apart
	// from noise.
	b.WriteString("printf '%s facts v=2 enc=%s\\n' \"$B\" \"$ENC\"\n{\nexec 3>&1\nh begin\n")
	b.system(req)
	b.packages(req)
	b.network(req)
	b.ipvsAndNAT()
	b.firewall(req)
	b.manifest(req)
	b.services()
	b.files()
	b.lock(req)
	b.processes(procs)
	b.keepalived(req)
	b.WriteString("h end\n} | enc\nprintf '%s done\\n' \"$B\"\n")
	return b.String(), nil
}

// scriptBuilder writes the facts script, one part per concern, in the
// order the parts must run (files are listed by earlier parts and read by
// a later one).
type scriptBuilder struct{ strings.Builder }

func (b *scriptBuilder) printf(format string, a ...any) { fmt.Fprintf(b, format, a...) }

// system: the OS and the package manager.
func (b *scriptBuilder) system(Request) {
	b.WriteString("rf os-release /etc/os-release\n")
	b.WriteString("rf hostname /proc/sys/kernel/hostname\n")
	b.WriteString(`PM=none
if command -v apt-get >/dev/null 2>&1; then PM=apt
elif command -v dnf >/dev/null 2>&1; then PM=dnf
elif command -v yum >/dev/null 2>&1; then PM=yum
fi
h pkgmgr "$PM"
`)
}

// packages: the asked-for packages and their versions, from dpkg or rpm.
func (b *scriptBuilder) packages(req Request) {
	// keepalived is always asked for: its version comes from the package.
	pkgList := appendUnique([]string{"keepalived"}, req.Packages...)
	pkgs := shell.Join(pkgList...)
	// dpkg-query parses the whole status database: 7 ms on a host with
	// 800 packages. awk picks the asked-for stanzas out of the status
	// file in a quarter of that and prints what dpkg-query would. Pending
	// journal entries (updates/, left by an interrupted dpkg) are only
	// merged by dpkg-query, which is then used.
	b.printf(`if command -v dpkg-query >/dev/null 2>&1; then
	DU=0
	set +f
	for _u in /var/lib/dpkg/updates/[0-9]*; do
		[ -e "$_u" ] && DU=1
		break
	done
	set -f
	if [ $DU = 0 ] && [ -r /var/lib/dpkg/status ] && command -v awk >/dev/null 2>&1; then
		run pkg-dpkg awk -v %s '%s' /var/lib/dpkg/status
	else
		run pkg-dpkg dpkg-query -W -f '${Package}\t${Version}\t${db:Status-Abbrev}\n' %s
	fi
`, shell.Quote("pkgs="+strings.Join(pkgList, " ")), dpkgStatusAWK, pkgs)
	// rpm: --whatprovides, because on EL9 a name such as iptables is
	// provided by another package (iptables-nft): rpm -q iptables says
	// "not installed" there while dnf install iptables says "already
	// installed". Each line names the package, its epoch:version-release
	// (the epoch only when it has one, as dnf prints it) and what it
	// provides, so the parser maps every asked-for name to its package.
	b.printf("elif command -v rpm >/dev/null 2>&1; then\n\trun pkg-rpm rpm -q --whatprovides --qf %s %s\nfi\n", shell.Quote(rpmQueryFormat), pkgs)
}

// network: addresses, links, routes and the asked-for sysctls.
func (b *scriptBuilder) network(req Request) {
	b.WriteString("run ip-addr ip -o addr show\nrun ip-link ip -o link show\n")
	b.WriteString("run ip-route ip route show table main\nrun ip6-route ip -6 route show table main\n")
	for _, k := range req.Sysctls {
		b.printf("sc %s %s\n", k, shell.Quote(sysctlPath(k)))
	}
}

// ipvsAndNAT: loaded modules, the IPVS table (only when the kernel has
// it loaded) and the nat table.
func (b *scriptBuilder) ipvsAndNAT() {
	// /sys/module lists every loaded module (and the built-in ones that
	// have parameters): a glob, not a process.
	b.WriteString(`h out sys-module
set +f
for _m in /sys/module/*; do
	[ -e "$_m" ] && printf '%s\n' "${_m##*/}"
done
set -f
h cmd sys-module rc=0
IV=0; command -v ipvsadm >/dev/null 2>&1 && IV=1
PR=0; [ -e /proc/net/ip_vs ] && PR=1
KR=; [ -r /proc/sys/kernel/osrelease ] && read -r KR </proc/sys/kernel/osrelease
MD=0; [ -d "/lib/modules/$KR/kernel/net/netfilter/ipvs" ] && MD=1
h ipvs "ipvsadm=$IV" "proc=$PR" "moddir=$MD"
if [ $IV = 1 ] && [ $PR = 1 ]; then
	run ipvsadm-save ipvsadm -S -n
	run ipvsadm-thresholds ipvsadm -L -n --thresholds
	run ipvsadm-timeout ipvsadm -L -n --timeout
	run ipvsadm-list ipvsadm -L -n
	run ipvsadm-stats ipvsadm -L -n --stats --exact
fi
run iptables-nat iptables-save -t nat
`)
}

// firewall: the filter table and firewalld's rich rules of its default
// zone (runtime, then permanent), only when asked and, for firewalld,
// when it answers.
func (b *scriptBuilder) firewall(req Request) {
	if !req.Firewall {
		return
	}
	if req.NFTTable != "" {
		b.printf("run nft-table nft list table %s\n", req.NFTTable)
	}
	zone := ""
	if req.FirewalldZone != "" {
		zone = " --zone=" + req.FirewalldZone
	}
	b.printf(`run iptables-filter iptables-save -t filter
if command -v firewall-cmd >/dev/null 2>&1 && firewall-cmd --state >/dev/null 2>&1; then
	run firewalld-runtime firewall-cmd%s --list-rich-rules
	run firewalld-permanent firewall-cmd --permanent%s --list-rich-rules
fi
`, zone, zone)
}

// manifest: the asked-for files, then the manifest, which adds the
// files and services it lists.
func (b *scriptBuilder) manifest(req Request) {
	manifest := req.ManifestPath
	if manifest == "" {
		manifest = resource.ManifestPath
	}
	for _, p := range req.Files {
		b.printf("f %s\n", shell.Quote(p))
	}
	// SV: the services to ask systemctl about: the requested ones, then
	// those the manifest lists (clusterctl manages or managed them), each
	// once.
	b.printf("SV=%s\n", shell.Quote(" "+strings.Join(req.Services, " ")+" "))
	b.printf("M=%s\n", shell.Quote(manifest))
	b.printf(`if [ -f "$M" ]; then
	h manifest present
	head -c %d "$M" 2>/dev/null </dev/null
	_c=0
	while IFS=' ' read -r _k _p || [ -n "$_k" ]; do
		if [ "$_k" = service ]; then
			case "$_p" in "" | -* | *[!A-Za-z0-9_@:.-]*) continue ;; esac
			case "$SV" in *" $_p "*) continue ;; esac
			SV="$SV$_p "
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
}

// services: the state of every service named so far.
func (b *scriptBuilder) services() {
	// One systemctl call for all services; "services" names them in the
	// order of systemctl's blocks. SV holds only checked names: unquoted,
	// it splits into one argument per service (set -f is on). Where
	// systemd does not run (a container, a chroot) show fails, while
	// is-active and is-enabled still answer from the unit files: they are
	// then asked service by service.
	b.WriteString(`h services $SV
set -- $SV
if [ $# -gt 0 ]; then
	run services systemctl show -p LoadState -p ActiveState -p UnitFileState "$@"
	if [ "$_rc" != 0 ] && [ "$_rc" != 127 ]; then
		for _s in "$@"; do
			run "svc-active:$_s" systemctl is-active "$_s"
			run "svc-enabled:$_s" systemctl is-enabled "$_s"
		done
	fi
fi
`)
}

// files: metadata and content of every regular file named so far.
func (b *scriptBuilder) files() {
	// The regular files: one stat for all of them, then the content of
	// each that is not too large. FL and the stat output hold checked
	// paths only (no whitespace), so both split into words.
	b.printf(`set -- $FL
if [ $# -gt 0 ]; then
	h out stat
	_st=$(stat -L -c '%%a %%U %%G %%s %%n' "$@" 2>/dev/null </dev/null)
	_rc=$?
	printf '%%s\n' "$_st"
	h cmd stat "rc=$_rc"
	set -- $_st
	while [ $# -ge 5 ]; do
		if [ "$4" -le %d ] 2>/dev/null; then
			h content "$5"
			head -c %d "$5" 2>/dev/null </dev/null
		fi
		shift 5
	done
fi
`, MaxFileSize, MaxFileSize+1)
}

// lock: the apply lock.
func (b *scriptBuilder) lock(req Request) {
	lock := req.LockPath
	if lock == "" {
		lock = resource.LockPath
	}
	b.printf("L=%s\n", shell.Quote(lock))
	b.WriteString(`if [ -f "$L" ]; then
	h lock present
	head -c 65536 "$L" 2>/dev/null </dev/null
else
	h lock absent
fi
`)
}

// processes: how many processes of each asked-for name run.
func (b *scriptBuilder) processes(procs []string) {
	for i := range procs {
		b.printf("P%d=0\n", i)
	}
	b.WriteString("set +f\nfor _f in /proc/[0-9]*/comm; do\n\tIFS= read -r _c 2>/dev/null <\"$_f\" || continue\n\tcase \"$_c\" in\n")
	for i, p := range procs {
		b.printf("\t%s) P%d=$((P%d + 1)) ;;\n", shell.Quote(p), i, i)
	}
	b.WriteString("\tesac\ndone\nset -f\n")
	for i, p := range procs {
		b.printf("h proc %s \"$P%d\"\n", p, i)
	}
}
