package facts

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/clusterctl/clusterctl/internal/resource"
)

const (
	// MaxFileSize is the largest file whose content is gathered; larger
	// files are reported TooLarge without content.
	MaxFileSize = 1 << 20
	// maxManifestFiles bounds how many manifest-listed files are dumped.
	maxManifestFiles = 1000
)

// Request says what to gather beyond the fixed facts (OS, network, IPVS,
// NAT, modules, manifest, lock). Every entry is checked against a strict
// pattern before it is put into the script.
type Request struct {
	// Files are absolute paths whose metadata and content are gathered.
	// Files listed in the host's manifest are gathered too, without being
	// requested.
	Files []string
	// Sysctls are dotted keys, e.g. net.ipv4.ip_forward.
	Sysctls []string
	// Services are systemd unit names whose active/enabled state is read.
	Services []string
	// Packages are package names whose installed version is read.
	Packages []string
	// Processes are process names (at most 15 characters, as in
	// /proc/PID/comm) to count; keepalived and nginx are always counted.
	Processes []string
	// ManifestPath and LockPath override resource.ManifestPath and
	// resource.LockPath (tests).
	ManifestPath string
	LockPath     string
	// Firewall asks for the host firewall's state: the filter table
	// (iptables-save -t filter) and, where firewalld runs, its default
	// zone's rich rules, runtime and permanent. Only hosts whose firewall
	// clusterctl manages ask: firewall-cmd is slow.
	Firewall bool
	// NFTTable, when set with Firewall, is the nftables table ("inet
	// filter") whose chains are read (`nft list table`).
	NFTTable string
	// FirewalldZone, when set with Firewall, is the zone whose rich rules
	// are read ("": firewalld's default zone).
	FirewalldZone string
	// Keepalived, when set, asks the running keepalived for its own view
	// of itself (see KeepalivedRequest). Only status asks: it makes
	// keepalived write its dump files, which plan must not cause.
	Keepalived *KeepalivedRequest
}

// KeepalivedRequest says which of keepalived's dumps to wait for: its
// VRRP process writes keepalived.json (builds with JSON) and
// keepalived.data, its checker process keepalived_check.data. A process
// the host's configuration does not start never writes its file, so it
// is not waited for.
type KeepalivedRequest struct {
	VRRP, Checker bool
	// PIDFiles override the pid files looked for, in order (tests);
	// default /run/keepalived.pid, /var/run/keepalived.pid.
	PIDFiles []string
}

var (
	pathRE    = regexp.MustCompile(`^/[A-Za-z0-9._/@+=,:~-]*$`)
	sysctlRE  = regexp.MustCompile(`^[a-z0-9_-]+(\.[A-Za-z0-9_@:-]+)+$`)
	serviceRE = regexp.MustCompile(`^[A-Za-z0-9_@:][A-Za-z0-9_@:.-]{0,127}$`)
	packageRE = regexp.MustCompile(`^[a-z0-9][a-z0-9+._-]{0,127}$`)
	processRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$`)
	tokenRE   = regexp.MustCompile(`^[A-Za-z0-9_]{16,64}$`)
	zoneRE    = regexp.MustCompile(`^[A-Za-z0-9_+-]{1,17}$`)
	nftRE     = regexp.MustCompile(`^(ip|ip6|inet) [A-Za-z_][A-Za-z0-9_.-]{0,63}$`)
)

// validPath reports whether p is an absolute, clean path in the safe
// character set: no "." or ".." segments, no "//", no trailing "/".
func validPath(p string) bool {
	if len(p) > 4096 || !pathRE.MatchString(p) || p == "/" || strings.HasSuffix(p, "/") || strings.Contains(p, "//") {
		return false
	}
	for _, seg := range strings.Split(p[1:], "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// validToken reports whether t can serve as a section boundary: 16 to 64
// letters, digits and underscores with at least one underscore, so it can
// never equal a line of base64 or od output.
func validToken(t string) bool {
	return tokenRE.MatchString(t) && strings.Contains(t, "_")
}

// NewToken returns a fresh random boundary token for Script and Parse.
func NewToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("boundary token: %w", err)
	}
	return "ccf_" + hex.EncodeToString(b[:]), nil
}

// validate checks every entry of r and returns the process names to count.
func (r Request) validate() ([]string, error) {
	check := func(kind string, items []string, ok func(string) bool) error {
		for _, s := range items {
			if !ok(s) {
				return fmt.Errorf("invalid %s %q", kind, s)
			}
		}
		return nil
	}
	for _, c := range []struct {
		kind  string
		items []string
		ok    func(string) bool
	}{
		{"file path", r.Files, validPath},
		{"sysctl key", r.Sysctls, func(s string) bool { return sysctlRE.MatchString(s) && len(s) <= 256 }},
		{"service name", r.Services, serviceRE.MatchString},
		{"package name", r.Packages, packageRE.MatchString},
		{"process name", r.Processes, processRE.MatchString},
	} {
		if err := check(c.kind, c.items, c.ok); err != nil {
			return nil, err
		}
	}
	if r.FirewalldZone != "" && !zoneRE.MatchString(r.FirewalldZone) {
		return nil, fmt.Errorf("invalid firewalld zone %q", r.FirewalldZone)
	}
	if r.NFTTable != "" && !nftRE.MatchString(r.NFTTable) {
		return nil, fmt.Errorf("invalid nftables table %q", r.NFTTable)
	}
	paths := []string{r.ManifestPath, r.LockPath}
	if r.Keepalived != nil {
		paths = append(paths, r.Keepalived.PIDFiles...)
	}
	for _, p := range paths {
		if p != "" && !validPath(p) {
			return nil, fmt.Errorf("invalid file path %q", p)
		}
	}
	return appendUnique([]string{"keepalived", "nginx"}, r.Processes...), nil
}

// appendUnique appends the items of add that list lacks.
func appendUnique(list []string, add ...string) []string {
	for _, s := range add {
		if !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	return list
}

// sysctlPath maps a dotted sysctl key to its /proc/sys file.
func sysctlPath(key string) string {
	return "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
}

// RequestFor says which facts to gather for a host whose desired state is
// h: its files, sysctls, services and packages, keepalived's service and
// the keepalived, nginx and firewalld processes always (a running firewalld
// drops VRRP and the services' ports unless they were opened; the plan
// notes it), and the firewall's state when clusterctl manages it.
func RequestFor(h *resource.Host) Request {
	req := Request{Processes: []string{"keepalived", "nginx", "firewalld"}}
	for _, f := range h.Files {
		req.Files = append(req.Files, f.Path)
	}
	for _, s := range h.Sysctls {
		req.Sysctls = append(req.Sysctls, s.Key)
	}
	req.Services = []string{"keepalived"}
	for _, s := range h.Services {
		if s.Name != "keepalived" {
			req.Services = append(req.Services, s.Name)
		}
	}
	req.Packages = append(req.Packages, h.Packages...)
	req.Firewall = h.Firewall != nil
	if req.Firewall && h.Firewall.Backend == resource.FirewallNFTables {
		req.NFTTable = h.Firewall.NFTTable
	}
	if req.Firewall {
		req.FirewalldZone = h.Firewall.Zone
	}
	return req
}
