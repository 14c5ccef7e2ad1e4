package adopt

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"net/netip"
	"path"
	"strconv"
	"strings"

	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/keepalived"
)

// ReadScript is the POSIX sh script import runs on a live host, in one
// session: it finds the configuration keepalived's service uses (-f or
// --use-file in the options file or the unit, else the default), prints
// it and every file its include globs match (resolved on the host,
// relative to the including file), the scripts they name, the host's
// addresses, default route, IPVS table and service states. Every
// section is base64 so no content can forge a section header.
const ReadScript = `set -u
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C
section() { printf '@@ %s\n' "$1"; base64; printf '@@end\n'; }
file() {
	[ -f "$1" ] && [ -r "$1" ] || return 0
	printf '@@ file %s %s\n' "$(stat -c '%a %U %G' "$1")" "$1"
	base64 < "$1"
	printf '@@end\n'
}
opts=$(cat /etc/default/keepalived /etc/sysconfig/keepalived 2>/dev/null; systemctl cat keepalived 2>/dev/null | grep '^ExecStart')
for o in /etc/default/keepalived /etc/sysconfig/keepalived; do file "$o"; done
conf=$(printf '%s\n' "$opts" | sed -n 's/.*\(-f\|--use-file\)[= ]*"\{0,1\}\([^" ]*\).*/\2/p' | head -n 1)
[ -n "$conf" ] || conf=/etc/keepalived/keepalived.conf
printf '%s' "$conf" | section conf
queue=$conf
seen=' '
scripts=''
n=0
set -f
while [ -n "$queue" ] && [ "$n" -lt 200 ]; do
	set -- $queue
	f=$1
	shift
	queue="$*"
	case "$seen" in *" $f "*) continue ;; esac
	seen="$seen$f "
	n=$((n + 1))
	[ -f "$f" ] || continue
	file "$f"
	d=$(dirname "$f")
	for pat in $(sed -n 's/^[[:space:]]*include[[:space:]]\{1,\}"\{0,1\}\([^"[:space:]]*\).*/\1/p' "$f" 2>/dev/null); do
		case "$pat" in /*) ;; *) pat="$d/$pat" ;; esac
		set +f
		for g in $pat; do [ -f "$g" ] && queue="$queue $g"; done
		set -f
	done
	scripts="$scripts $(sed -n 's/^[[:space:]]*\(script\|notify[a-z_]*\|misc_path\)[[:space:]]\{1,\}"\{0,1\}\(\/[^"[:space:]]*\).*/\2/p' "$f" 2>/dev/null)"
done
for s in $scripts; do
	case "$seen" in *" $s "*) continue ;; esac
	seen="$seen$s "
	file "$s"
done
set +f
ip -o addr show 2>&1 | section ip-addr
ip route show default 2>&1 | section ip-route
if [ -e /proc/net/ip_vs ]; then
	out=$(ipvsadm-save -n 2>&1)
	rc=$?
else
	# No IPVS table: reading one would load ip_vs (import changes nothing).
	out='the kernel has no IPVS table (/proc/net/ip_vs is missing: ip_vs is not loaded)'
	rc=1
fi
printf '%s\n' "$out" | section "ipvs $rc"
iptables-save -t nat 2>&1 | section nat
grep -H . /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/vs/conntrack /proc/sys/net/ipv4/conf/*/send_redirects /proc/sys/net/ipv4/conf/*/arp_ignore /proc/sys/net/ipv4/conf/*/arp_announce 2>/dev/null | section sysctl
for s in keepalived nginx httpd apache2 haproxy; do
	printf '%s %s %s\n' "$s" "$(systemctl is-active "$s" 2>/dev/null || true)" "$(systemctl is-enabled "$s" 2>/dev/null || true)"
done | section services
`

// maxSection bounds one section of the script's output.
const maxSection = 4 << 20

// ParseRead reads ReadScript's output from host name (untrusted).
func ParseRead(name string, out []byte) (*Host, error) {
	h := &Host{Name: name, Files: keepalived.MapFS{}, Meta: map[string]FileMeta{}, Services: map[string]Service{}}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var conf string
	ipvsRC := -1
	var ipvsOut []byte
	for sc.Scan() {
		head, ok := strings.CutPrefix(sc.Text(), "@@ ")
		if !ok {
			continue
		}
		var b64 strings.Builder
		closed := false
		for sc.Scan() {
			if sc.Text() == "@@end" {
				closed = true
				break
			}
			b64.WriteString(sc.Text())
			if b64.Len() > maxSection*4/3+4 {
				return nil, fmt.Errorf("%s: section %.40q is larger than %d bytes", name, head, maxSection)
			}
		}
		if !closed {
			return nil, fmt.Errorf("%s: the output ends inside section %.40q", name, head)
		}
		data, err := base64.StdEncoding.DecodeString(b64.String())
		if err != nil {
			return nil, fmt.Errorf("%s: section %.40q: %w", name, head, err)
		}
		f := strings.Fields(head)
		switch {
		case f[0] == "file" && len(f) >= 5:
			mode, err := strconv.ParseUint(f[1], 8, 32)
			p := strings.SplitN(head, " ", 5)[4]
			if err != nil || !path.IsAbs(p) {
				return nil, fmt.Errorf("%s: malformed file header %.80q", name, head)
			}
			p = path.Clean(p)
			h.Files[p] = data
			h.Meta[p] = FileMeta{Mode: uint32(mode), Owner: f[2], Group: f[3]}
		case f[0] == "conf":
			conf = path.Clean(string(data))
		case f[0] == "ip-addr":
			addrs, err := facts.ParseAddrs(data)
			if err != nil {
				return nil, fmt.Errorf("%s: ip -o addr: %w", name, err)
			}
			h.Addrs, h.AddrsKnown = addrs, true
		case f[0] == "ip-route":
			fs := strings.Fields(string(data))
			for i := 0; i+1 < len(fs); i++ {
				if fs[i] == "via" {
					h.Gateway, _ = netip.ParseAddr(fs[i+1])
					break
				}
			}
		case f[0] == "ipvs" && len(f) == 2:
			ipvsRC, _ = strconv.Atoi(f[1])
			ipvsOut = data
		case f[0] == "nat":
			h.NATRules, h.NATKnown = parseNAT(data), true
		case f[0] == "sysctl":
			h.Sysctls = parseSysctls(data)
		case f[0] == "services":
			h.Services = parseServices(data)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if _, ok := h.Files[conf]; ok {
		h.ConfPath = conf
	}
	switch {
	case ipvsRC == 0:
		t, err := ipvs.ParseSave(ipvsOut)
		if err != nil {
			return nil, fmt.Errorf("%s: ipvsadm-save: %w", name, err)
		}
		h.IPVS = &t
	case ipvsRC > 0:
		h.IPVSNote = fmt.Sprintf("ipvsadm-save -n exited %d: %s", ipvsRC, firstLine(ipvsOut))
	}
	return h, nil
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

// parseNAT returns the rules of iptables-save -t nat output, but those
// of clusterctl's own chains.
func parseNAT(b []byte) []string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "-A ") && !strings.Contains(l, "CLUSTERCTL") {
			out = append(out, l)
		}
	}
	return out
}

// parseSysctls reads "/proc/sys/net/ipv4/ip_forward:1" lines (grep -H)
// into sysctl keys.
func parseSysctls(b []byte) map[string]string {
	out := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		p, v, ok := strings.Cut(l, ":")
		k, isSys := strings.CutPrefix(p, "/proc/sys/")
		if ok && isSys {
			out[strings.ReplaceAll(k, "/", ".")] = strings.TrimSpace(v)
		}
	}
	return out
}
