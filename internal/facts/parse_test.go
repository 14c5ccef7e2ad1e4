package facts

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/facts/factstest"
	"github.com/clusterctl/clusterctl/internal/golden"
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/netfilter"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b }),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
	cmpopts.EquateEmpty(),
}

// doc builds script output: each part is either a header ("cmd ip-addr
// rc=0") or, prefixed with "=", the raw body of the header before it.
func doc(parts ...string) []byte {
	var b strings.Builder
	b.WriteString("\n" + testToken + " begin\n")
	for _, p := range parts {
		if body, ok := strings.CutPrefix(p, "="); ok {
			b.WriteString(body)
			continue
		}
		b.WriteString("\n" + testToken + " " + p + "\n")
	}
	b.WriteString("\n" + testToken + " end\n")
	return factstest.Encode(testToken, []byte(b.String()))
}

const (
	ipAddrOut = `1: lo    inet 127.0.0.1/8 scope host lo\       valid_lft forever preferred_lft forever
1: lo    inet6 ::1/128 scope host noprefixroute \       valid_lft forever preferred_lft forever
2: ens33    inet 192.168.19.101/24 brd 192.168.19.255 scope global ens33\       valid_lft forever preferred_lft forever
2: ens33    inet 192.168.19.100/24 scope global secondary ens33\       valid_lft forever preferred_lft forever
2: ens33    inet6 fe80::20c:29ff:feaa:bbcc/64 scope link \       valid_lft forever preferred_lft forever
3: tunl0    inet 10.9.9.1 peer 10.9.9.2/32 scope global tunl0\       valid_lft forever preferred_lft forever
`
	ipLinkOut = `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
2: ens33@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\    link/ether 00:0c:29:aa:bb:cc brd ff:ff:ff:ff:ff:ff link-netnsid 0
3: tunl0@NONE: <NOARP> mtu 1480 qdisc noop state DOWN mode DEFAULT group default qlen 1000\    link/ipip 0.0.0.0 brd 0.0.0.0
`
	ipRouteOut = `default via 192.168.19.101 dev ens33
192.168.19.0/24 dev ens33 proto kernel scope link src 192.168.19.102
blackhole 10.0.0.0/8
10.1.1.1 via inet6 fe80::1 dev ens33
default proto static metric 100
	nexthop via 192.168.19.1 dev ens33 weight 1
`
	ip6RouteOut = `::1 dev lo proto kernel metric 256 pref medium
fe80::/64 dev ens33 proto kernel metric 256 pref medium
multicast ff00::/8 dev ens33 table local proto kernel metric 256 pref medium
`
	ipvsSaveOut = "-A -t 192.168.47.128:80 -s wlc -p 3\n-a -t 192.168.47.128:80 -r 192.168.19.102:80 -m -w 1\n"
	ipvsListOut = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  192.168.47.128:80 wlc persistent 3
  -> 192.168.19.102:80            Masq    1      4          9
`
	ipvsThresholdsOut = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn
  -> RemoteAddress:Port
TCP  192.168.47.128:80 wlc persistent 3
  -> 192.168.19.102:80            200        20         4          9
`
	ipvsTimeoutOut = "Timeout (tcp tcpfin udp): 900 120 300\n"
	natOut         = `*nat
:PREROUTING ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:CLUSTERCTL-POSTROUTING - [0:0]
-A POSTROUTING -j CLUSTERCTL-POSTROUTING
-A CLUSTERCTL-POSTROUTING -s 192.168.19.0/24 -j MASQUERADE
COMMIT
`
)

func fullDoc() []byte {
	return doc(
		"out os-release", "=PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n", "cmd os-release rc=0",
		"out hostname", "=dir\n", "cmd hostname rc=0",
		"pkgmgr apt",
		"out pkg-dpkg", "=keepalived\t1:2.2.7-1+b2\tii \nipvsadm\t\tun \n", "cmd pkg-dpkg rc=1", "=dpkg-query: no packages found matching nginx",
		"out ip-addr", "="+ipAddrOut, "cmd ip-addr rc=0",
		"out ip-link", "="+ipLinkOut, "cmd ip-link rc=0",
		"out ip-route", "="+ipRouteOut, "cmd ip-route rc=0",
		"out ip6-route", "="+ip6RouteOut, "cmd ip6-route rc=0",
		"sysctl net.ipv4.ip_forward ok", "=1\n",
		"sysctl net.ipv4.ip_local_port_range ok", "=32768\t60999\n",
		"sysctl net.ipv4.vs.conntrack missing",
		"out sys-module", "=ip_vs\nip_vs_wlc\nipv6\n", "cmd sys-module rc=0",
		"ipvs ipvsadm=1 proc=1 moddir=1",
		"out ipvsadm-save", "="+ipvsSaveOut, "cmd ipvsadm-save rc=0",
		"out ipvsadm-thresholds", "="+ipvsThresholdsOut, "cmd ipvsadm-thresholds rc=0",
		"out ipvsadm-timeout", "="+ipvsTimeoutOut, "cmd ipvsadm-timeout rc=0",
		"out ipvsadm-list", "="+ipvsListOut, "cmd ipvsadm-list rc=0",
		"out ipvsadm-stats", "cmd ipvsadm-stats rc=0",
		"out iptables-nat", "="+natOut, "cmd iptables-nat rc=0",
		"file /etc/keepalived/keepalived.conf regular",
		"file /etc/sysctl.d/90-clusterctl.conf exists=0",
		"manifest present", "=file /etc/keepalived/keepalived.conf\n\nipvs -t 192.168.47.128:80",
		"services keepalived nginx",
		"out services", "=LoadState=loaded\nActiveState=active\nUnitFileState=enabled\n\nLoadState=loaded\nActiveState=inactive\nUnitFileState=disabled\n", "cmd services rc=0",
		"out stat", "=640 root root 12 /etc/keepalived/keepalived.conf\n", "cmd stat rc=0",
		"content /etc/keepalived/keepalived.conf", "=global_defs\n",
		"lock absent",
		"some-future-section with args", "=ignored\n",
		"proc keepalived 3", "proc nginx 0",
	)
}

func TestParse(t *testing.T) {
	h, err := Parse(append([]byte("sudo: lecture noise\n"), fullDoc()...), testToken)
	if err != nil {
		t.Fatal(err)
	}
	table, _ := ipvs.ParseSave([]byte(ipvsSaveOut))
	// ipvsadm-save has no thresholds and no timeouts: the two listings
	// add them.
	table.Services[0].Destinations[0].Upper, table.Services[0].Destinations[0].Lower = 200, 20
	table.Timeouts = ipvs.Timeouts{TCP: 900, TCPFin: 120, UDP: 300}
	stats, _ := ipvs.ParseList([]byte(ipvsListOut))
	nat, _ := netfilter.ParseSave([]byte(natOut))
	pfx := netip.MustParsePrefix
	want := &Host{
		OSID: "debian", OSVersion: "12", Hostname: "dir", PackageManager: "apt",
		Packages:          map[string]string{"keepalived": "1:2.2.7-1+b2"},
		KeepalivedVersion: "2.2.7",
		Services: map[string]ServiceState{
			"keepalived": {Known: true, Active: true, ActiveState: "active", Enabled: true, EnabledState: "enabled"},
			"nginx":      {Known: true, ActiveState: "inactive", EnabledState: "disabled"},
		},
		Addresses: []resource.Address{
			{Dev: "ens33", Prefix: pfx("192.168.19.100/24")},
			{Dev: "ens33", Prefix: pfx("192.168.19.101/24")},
			{Dev: "lo", Prefix: pfx("127.0.0.1/8")},
			{Dev: "lo", Prefix: pfx("::1/128")},
			{Dev: "tunl0", Prefix: pfx("10.9.9.1/32")},
		},
		Links: []Link{
			{Name: "ens33", Up: true, LowerUp: true, OperState: "UP"},
			{Name: "lo", Up: true, LowerUp: true, OperState: "UNKNOWN"},
			{Name: "tunl0", OperState: "DOWN"},
		},
		Routes: []resource.Route{
			{Dst: pfx("0.0.0.0/0")},
			{Dst: pfx("0.0.0.0/0"), Via: netip.MustParseAddr("192.168.19.101"), Dev: "ens33"},
			{Dst: pfx("10.1.1.1/32"), Via: netip.MustParseAddr("fe80::1"), Dev: "ens33"},
			{Dst: pfx("192.168.19.0/24"), Dev: "ens33"},
			{Dst: pfx("::1/128"), Dev: "lo"},
		},
		Sysctls:        map[string]string{"net.ipv4.ip_forward": "1", "net.ipv4.ip_local_port_range": "32768 60999"},
		MissingSysctls: map[string]bool{"net.ipv4.vs.conntrack": true},
		Modules:        map[string]bool{"ip_vs": true, "ip_vs_wlc": true, "ipv6": true},
		IPVS:           table, IPVSStatus: Status{State: StatusOK}, IPVSStats: stats,
		NAT: nat[0], NATStatus: Status{State: StatusOK},
		Files: map[string]FileFact{
			"/etc/keepalived/keepalived.conf":  {Exists: true, Mode: 0o640, Owner: "root", Group: "root", Size: 12, Content: []byte("global_defs\n")},
			"/etc/sysctl.d/90-clusterctl.conf": {},
		},
		Manifest:  []resource.ManifestEntry{{Kind: "file", Key: "/etc/keepalived/keepalived.conf"}, {Kind: "ipvs", Key: "-t 192.168.47.128:80"}},
		Processes: map[string]int{"keepalived": 3, "nginx": 0},
	}
	if d := cmp.Diff(want, h, cmpOpts); d != "" {
		t.Errorf("Parse mismatch (-want +got):\n%s", d)
	}
	if h.IPVSStats.Services[0].Destinations[0].InActConn != 9 {
		t.Errorf("stats not read: %+v", h.IPVSStats)
	}
}

func TestParseStatuses(t *testing.T) {
	tests := []struct {
		name      string
		parts     []string
		ipvs, nat State
	}{
		{"nothing installed, no kernel ipvs", []string{"ipvs ipvsadm=0 proc=0 moddir=0", "cmd iptables-nat missing"}, StatusNoKernelSupport, StatusNotInstalled},
		{"ipvsadm missing", []string{"ipvs ipvsadm=0 proc=1 moddir=1"}, StatusNotInstalled, StatusNotInstalled},
		{"module not loaded", []string{"ipvs ipvsadm=1 proc=0 moddir=1"}, StatusNotLoaded, StatusNotInstalled},
		{"can't initialize", []string{"ipvs ipvsadm=1 proc=1 moddir=0", "out ipvsadm-save", "cmd ipvsadm-save rc=1", "=Can't initialize ipvs: Protocol not available\nAre you sure that IP Virtual Server is built in the kernel or as module?",
			"out iptables-nat", "cmd iptables-nat rc=1", "=iptables-save: permission denied"}, StatusNoKernelSupport, StatusError},
		{"other ipvsadm failure", []string{"ipvs ipvsadm=1 proc=1 moddir=1", "out ipvsadm-save", "cmd ipvsadm-save rc=2", "=Memory allocation problem"}, StatusError, StatusNotInstalled},
		{"empty table", []string{"ipvs ipvsadm=1 proc=1 moddir=1", "out ipvsadm-save", "cmd ipvsadm-save rc=0", "out iptables-nat", "cmd iptables-nat rc=0"}, StatusOK, StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := Parse(doc(tt.parts...), testToken)
			if err != nil {
				t.Fatal(err)
			}
			if h.IPVSStatus.State != tt.ipvs || h.NATStatus.State != tt.nat {
				t.Errorf("statuses = %+v / %+v, want %s / %s", h.IPVSStatus, h.NATStatus, tt.ipvs, tt.nat)
			}
			if tt.ipvs != StatusOK && h.IPVSStatus.Message == "" {
				t.Errorf("IPVS status %s without message", tt.ipvs)
			}
		})
	}
}

func TestParseHexEncoding(t *testing.T) {
	// "\n<token> file /etc/x regular\n\n<token> content /etc/x\nab\n\n<token> end\n"
	// as od -An -v -tx1 prints it.
	stream := "\n" + testToken + " file /etc/x regular\n\n" + testToken + " content /etc/x\nab\n\n" + testToken + " end\n"
	var od strings.Builder
	for i := 0; i < len(stream); i++ {
		fmt.Fprintf(&od, " %02x", stream[i])
		if i%16 == 15 {
			od.WriteString("\n")
		}
	}
	out := testToken + " facts v=2 enc=hex\n" + od.String() + "\n" + testToken + " done\n"
	h, err := Parse([]byte(out), testToken)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Files["/etc/x"]; !got.Exists || !got.Error || got.Content != nil {
		t.Errorf("file without stat line = %+v, want Exists and Error without content", got)
	}
	if len(h.Files) != 1 {
		t.Errorf("files = %v", h.Files)
	}
}

// TestParseBodies: bodies are exact, whether or not they end in a newline,
// are empty or are binary.
func TestParseBodies(t *testing.T) {
	bodies := map[string]string{
		"/a": "no newline",
		"/b": "",
		"/c": "\n\n",
		"/d": "two\nlines\n",
		"/e": "\x00\xff\r\n" + "ccf_not_the_token end\n",
	}
	d := factstest.New(testToken)
	for _, p := range keys(bodies) {
		d.File(p, 0o644, bodies[p])
	}
	h, err := Parse(d.Bytes(), testToken)
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range bodies {
		if got := h.Files[p]; string(got.Content) != want || got.Content == nil || got.Size != int64(len(want)) {
			t.Errorf("file %s = %q (%+v), want %q", p, got.Content, got, want)
		}
	}
}

// TestParseHostileContent: a file whose content imitates section headers
// with another token (a stale run's, or a guess) stays content.
func TestParseHostileContent(t *testing.T) {
	other := "ccf_fedcba9876543210"
	evil := "x\n\n" + other + " end\n\n" + other + " file /etc/shadow exists=1\nAAAA\n" + other + " done\n"
	h, err := Parse(factstest.New(testToken).File("/tmp/evil", 0o600, evil).Bytes(), testToken)
	if err != nil {
		t.Fatal(err)
	}
	if string(h.Files["/tmp/evil"].Content) != evil || len(h.Files) != 1 {
		t.Errorf("files = %v", h.Files)
	}
}

func TestParseServices(t *testing.T) {
	svc := func(name, load, active, file string) factstest.Service {
		return factstest.Service{Name: name, LoadState: load, ActiveState: active, UnitFileState: file}
	}
	tests := []struct {
		name string
		doc  []byte
		want map[string]ServiceState
		err  bool
	}{
		{"states", factstest.New(testToken).Services(
			svc("a", "loaded", "active", "enabled"), svc("b", "loaded", "failed", "static"),
			svc("c", "masked", "inactive", "masked"), svc("d", "not-found", "inactive", "")).Bytes(),
			map[string]ServiceState{
				"a": {Known: true, Active: true, ActiveState: "active", Enabled: true, EnabledState: "enabled"},
				"b": {Known: true, ActiveState: "failed", Enabled: true, EnabledState: "static"},
				"c": {Known: true, ActiveState: "inactive", EnabledState: "masked"},
				"d": {Known: true, ActiveState: "inactive", EnabledState: "not-found"},
			}, false},
		{"no systemctl", factstest.New(testToken).Section("services a b", "").Missing("services").Bytes(),
			map[string]ServiceState{"a": {}, "b": {}}, false},
		{"systemd not running: is-active and is-enabled", factstest.New(testToken).Section("services a b", "").
			Cmd("services", 1, "", "System has not been booted with systemd as init system (PID 1). Can't operate.\n").
			Cmd("svc-active:a", 3, "", "System has not been booted with systemd as init system (PID 1). Can't operate.\n").
			Cmd("svc-enabled:a", 0, "enabled\n", "").
			Cmd("svc-active:b", 3, "inactive\n", "").
			Cmd("svc-enabled:b", 1, "disabled\n", "").Bytes(),
			map[string]ServiceState{
				"a": {Known: true, Enabled: true, EnabledState: "enabled"},
				"b": {Known: true, ActiveState: "inactive", EnabledState: "disabled"},
			}, false},
		{"block missing", factstest.New(testToken).Section("services a b", "").
			Cmd("services", 0, "LoadState=loaded\nActiveState=active\nUnitFileState=enabled\n", "").Bytes(), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := Parse(tt.doc, testToken)
			if tt.err {
				var pe *ParseError
				if !errors.As(err, &pe) || pe.Section != "cmd services" {
					t.Fatalf("err = %v, want a ParseError of cmd services", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, h.Services); d != "" {
				t.Errorf("services (-want +got):\n%s", d)
			}
		})
	}
}

func TestParseFileMetadata(t *testing.T) {
	h, err := Parse(factstest.New(testToken).
		Section("file /big regular", "").
		Section("file /unread regular", "").
		Section("file /gone regular", "").
		Section("file /changed regular", "").
		Cmd("stat", 0, fmt.Sprintf("644 root root %d /big\n600 root root 5 /unread\n644 root root 3 /changed\n", MaxFileSize+1), "").
		Section("content /changed", "abcd").
		Bytes(), testToken)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]FileFact{
		"/big":     {Exists: true, Mode: 0o644, Owner: "root", Group: "root", Size: MaxFileSize + 1, TooLarge: true},
		"/unread":  {Exists: true, Error: true},
		"/gone":    {Exists: true, Error: true},
		"/changed": {Exists: true, Error: true},
	}
	if d := cmp.Diff(want, h.Files); d != "" {
		t.Errorf("files (-want +got):\n%s", d)
	}
	for _, line := range []string{"644 root root 1\n", "999 root root 1 /x\n", "644 root root -1 /x\n", "644 root root 1 relative\n"} {
		_, err := Parse(factstest.New(testToken).Cmd("stat", 0, line, "").Bytes(), testToken)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Section != "cmd stat" || pe.Line != 1 {
			t.Errorf("stat line %q: err = %v, want a ParseError of cmd stat line 1", line, err)
		}
	}
}

// TestParseRPM reads rpm -q --whatprovides output as the facts script asks
// for it: epochs kept (nginx's 1:), a name provided by another package
// (EL9's iptables-nft provides iptables) recorded under the asked-for name,
// a package's own name winning over another's provide, "no package
// provides" lines skipped.
func TestParseRPM(t *testing.T) {
	out := "keepalived\t2.2.8-3.el9\tconfig(keepalived) keepalived keepalived(x86-64) \n" +
		"nginx\t1:1.20.1-14.el9_2.1\tnginx nginx(x86-64) webserver \n" +
		"iptables-nft\t1.8.10-2.el9\tiptables iptables-nft iptables-nft(x86-64) libxt_conntrack.so()(64bit) /usr/sbin/iptables \n" +
		"no package provides ipvsadm\n"
	h, err := Parse(doc("pkgmgr dnf", "out pkg-rpm", "="+out, "cmd pkg-rpm rc=1", "=no package provides ipvsadm"), testToken)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"keepalived": "2.2.8-3.el9", "nginx": "1:1.20.1-14.el9_2.1", "webserver": "1:1.20.1-14.el9_2.1",
		"iptables-nft": "1.8.10-2.el9", "iptables": "1.8.10-2.el9",
	}
	if d := cmp.Diff(want, h.Packages); d != "" {
		t.Errorf("packages (-want +got):\n%s", d)
	}
	if h.KeepalivedVersion != "2.2.8" || h.PackageManager != "dnf" {
		t.Errorf("keepalived version %q, manager %q", h.KeepalivedVersion, h.PackageManager)
	}
	// A package's own name wins over a provide of another package.
	m := parseRPM([]byte("compat\t1.0-1\tkeepalived \nkeepalived\t2.2.8-3.el9\tkeepalived \n"))
	if m["keepalived"] != "2.2.8-3.el9" {
		t.Errorf("keepalived = %q, want its own package's version", m["keepalived"])
	}
	// rpm 4.11's output of the older two-field form still reads.
	if m := parseRPM([]byte("keepalived\t1.3.5-19.el7\n")); m["keepalived"] != "1.3.5-19.el7" {
		t.Errorf("two-field line: %v", m)
	}
}

func TestUpstreamVersion(t *testing.T) {
	for in, want := range map[string]string{"1:2.2.7-1+b2": "2.2.7", "2.2.8-3.el9": "2.2.8", "1:1.20.1-14.el9_2.1": "1.20.1", "2.2.7": "2.2.7", "": "", "1:1.31-1+b1": "1.31"} {
		if got := upstreamVersion(in); got != want {
			t.Errorf("upstreamVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	valid := string(doc("pkgmgr apt"))
	enc := func(stream string) string { return string(factstest.Encode(testToken, []byte(stream))) }
	tests := []struct {
		name    string
		out     string
		section string
		line    int
		is      error
	}{
		{"truncated stream", string(factstest.New(testToken).Section("pkgmgr apt", "").Unended()), "", 0, ErrTruncated},
		{"no trailer", strings.TrimSuffix(valid, testToken+" done\n"), "", 0, ErrTruncated},
		{"cut header", enc("\n" + testToken + " pkgm"), "", 0, ErrTruncated},
		{"empty", "", "", 0, ErrTruncated},
		{"too large", strings.Repeat("a", MaxOutput+1), "", 0, ErrTooLarge},
		{"no facts header", testToken + " pkgmgr apt\n" + testToken + " done\n", "pkgmgr", 1, nil},
		{"old format", testToken + " facts v=1 enc=b64\n" + testToken + " end\n", "facts", 1, nil},
		{"bad encoding", testToken + " facts v=2 enc=rot13\n" + testToken + " done\n", "facts", 1, nil},
		{"bad base64", testToken + " facts v=2 enc=b64\nx!\n" + testToken + " done\n", "output", 0, nil},
		{"header in stream", testToken + " facts v=2 enc=b64\n" + testToken + " end\n" + testToken + " done\n", "end", 2, nil},
		{"no leading section", enc("noise\n" + testToken + " end\n"), "output", 0, nil},
		{"bad rc", string(doc("cmd hostname rc=abc")), "cmd hostname", 0, nil},
		{"duplicate cmd", string(doc("cmd hostname rc=0", "cmd hostname rc=0")), "cmd hostname", 0, nil},
		{"duplicate out", string(doc("out hostname", "out hostname")), "out hostname", 0, nil},
		{"bad file header", string(doc("file /etc/x exists=1 mode=644")), "file /etc/x", 0, nil},
		{"bad file path", string(doc("file relative exists=0")), "file relative", 0, nil},
		{"bad pkgmgr", string(doc("pkgmgr pacman")), "pkgmgr pacman", 0, nil},
		{"malformed ip addr", string(doc("out ip-addr", "=1: lo inet 127.0.0.1/8\nbogus\n", "cmd ip-addr rc=0")), "cmd ip-addr", 2, nil},
		{"bad route", string(doc("out ip-route", "=default via 192.168.19.1 dev eth0\n300.1.1.0/24 dev eth0\n", "cmd ip-route rc=0")), "cmd ip-route", 2, nil},
		{"bad link", string(doc("out ip-link", "=1: lo mtu\n", "cmd ip-link rc=0")), "cmd ip-link", 1, nil},
		{"bad manifest", string(doc("manifest present", "=file\n")), "manifest", 1, nil},
		{"bad ipvs", string(doc("ipvs ipvsadm=1 proc=1 moddir=1", "out ipvsadm-save", "=-A -t nonsense\n", "cmd ipvsadm-save rc=0")), "cmd ipvsadm-save", 0, nil},
		{"bad thresholds", string(doc("ipvs ipvsadm=1 proc=1 moddir=1", "out ipvsadm-save", "cmd ipvsadm-save rc=0", "out ipvsadm-thresholds", "=Prot LocalAddress:Port Scheduler Flags\n", "cmd ipvsadm-thresholds rc=0")), "cmd ipvsadm-thresholds", 0, nil},
		{"bad timeouts", string(doc("ipvs ipvsadm=1 proc=1 moddir=1", "out ipvsadm-save", "cmd ipvsadm-save rc=0", "out ipvsadm-timeout", "=Timeout: soon\n", "cmd ipvsadm-timeout rc=0")), "cmd ipvsadm-timeout", 0, nil},
		{"bad proc", string(doc("proc nginx -1")), "proc nginx", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.out), testToken)
			if err == nil {
				t.Fatal("Parse succeeded")
			}
			if tt.is != nil {
				if !errors.Is(err, tt.is) {
					t.Errorf("err = %v, want %v", err, tt.is)
				}
				return
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Section != tt.section || (tt.line != 0 && pe.Line != tt.line) {
				t.Errorf("err = %v (%#v), want section %q line %d", err, pe, tt.section, tt.line)
			}
		})
	}
	if _, err := Parse([]byte(valid), "bad token"); err == nil {
		t.Error("Parse accepted an invalid token")
	}
}

func TestFingerprint(t *testing.T) {
	parse := func() *Host {
		h, err := Parse(fullDoc(), testToken)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	base := Fingerprint(parse())
	if len(base) != 64 || base != Fingerprint(parse()) {
		t.Fatalf("Fingerprint not stable: %s", base)
	}
	if Fingerprint(nil) != Fingerprint(&Host{}) {
		t.Error("nil and empty host differ")
	}
	ignored := map[string]func(h *Host){
		"stats":     func(h *Host) { h.IPVSStats = ipvs.Stats{} },
		"processes": func(h *Host) { h.Processes["nginx"] = 5 },
		"lock":      func(h *Host) { h.Lock, h.LockPresent = "x", true },
		"link oper": func(h *Host) { h.Links[0].OperState = "DOWN" },
		"other nat": func(h *Host) { h.NAT.Chains[0].Rules = append(h.NAT.Chains[0].Rules, "-j DOCKER") },
		"addr order": func(h *Host) {
			h.Addresses[0], h.Addresses[1] = h.Addresses[1], h.Addresses[0]
		},
	}
	for name, mutate := range ignored {
		h := parse()
		mutate(h)
		if Fingerprint(h) != base {
			t.Errorf("%s changed the fingerprint", name)
		}
	}
	counted := map[string]func(h *Host){
		"file content": func(h *Host) {
			f := h.Files["/etc/keepalived/keepalived.conf"]
			f.Content = []byte("global_defs \n")
			h.Files["/etc/keepalived/keepalived.conf"] = f
		},
		"file mode": func(h *Host) {
			f := h.Files["/etc/keepalived/keepalived.conf"]
			f.Mode = 0o644
			h.Files["/etc/keepalived/keepalived.conf"] = f
		},
		"sysctl":   func(h *Host) { h.Sysctls["net.ipv4.ip_forward"] = "0" },
		"weight":   func(h *Host) { h.IPVS.Services[0].Destinations[0].Weight = 2 },
		"nat rule": func(h *Host) { h.NAT.Chains[2].Rules = nil },
		"address":  func(h *Host) { h.Addresses = h.Addresses[1:] },
		"route":    func(h *Host) { h.Routes = h.Routes[1:] },
		"service":  func(h *Host) { h.Services["nginx"] = ServiceState{Known: true, Active: true} },
		"package":  func(h *Host) { h.Packages["ipvsadm"] = "1:1.31-1+b1" },
		"module":   func(h *Host) { delete(h.Modules, "ip_vs_wlc") },
		"manifest": func(h *Host) { h.Manifest = h.Manifest[:1] },
		"field boundary": func(h *Host) {
			h.Sysctls = map[string]string{"net.ipv4.ip_forward1": "", "net.ipv4.ip_local_port_range": "32768 60999"}
		},
	}
	for name, mutate := range counted {
		h := parse()
		mutate(h)
		if Fingerprint(h) == base {
			t.Errorf("%s did not change the fingerprint", name)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(fullDoc())
	f.Add(doc("ipvs ipvsadm=1 proc=1 moddir=0", "out ipvsadm-save", "cmd ipvsadm-save rc=1", "=Can't initialize ipvs"))
	f.Fuzz(func(t *testing.T, out []byte) {
		h, err := Parse(out, testToken)
		if err != nil {
			return
		}
		_ = Fingerprint(h)
		for p, ff := range h.Files {
			if !validPath(p) || len(ff.Content) > MaxFileSize {
				t.Fatalf("file %q accepted with %d bytes", p, len(ff.Content))
			}
		}
	})
}

// FuzzParseStream fuzzes the decoded stream of sections: FuzzParse mostly
// meets base64 errors before it reaches the sections.
func FuzzParseStream(f *testing.F) {
	f.Add([]byte("\n" + testToken + " begin\n\n" + testToken + " file /etc/x regular\n\n" + testToken + " out stat\n644 root root 3 /etc/x\n\n" + testToken + " cmd stat rc=0\n\n" + testToken + " content /etc/x\nabc\n" + testToken + " end\n"))
	f.Add([]byte("\n" + testToken + " services a b\n\n" + testToken + " out services\nActiveState=active\n\nLoadState=not-found\n\n" + testToken + " cmd services rc=0\n\n" + testToken + " end\n"))
	f.Fuzz(func(t *testing.T, stream []byte) {
		h, err := Parse(factstest.Encode(testToken, stream), testToken)
		if err != nil {
			return
		}
		_ = Fingerprint(h)
		for p, ff := range h.Files {
			if !validPath(p) || len(ff.Content) > MaxFileSize || (ff.Error || ff.Other || ff.TooLarge) && ff.Content != nil {
				t.Fatalf("file %q accepted as %+v with %d bytes", p, ff, len(ff.Content))
			}
		}
	})
}

// TestWriteFuzzSeeds keeps the checked-in seed corpus in step with the
// test documents (go test -update rewrites it).
func TestWriteFuzzSeeds(t *testing.T) {
	seeds := map[string][]byte{
		"full":      fullDoc(),
		"hostile":   factstest.New(testToken).File("/tmp/evil", 0o600, "x\n\nccf_fedcba9876543210 end\n").Bytes(),
		"truncated": []byte(testToken + " facts v=2 enc=b64\nCmNjZl8wMTIzNDU2Nzg5YWJjZGVmIGJlZ2luCgpjY2ZfMDEyMzQ1Njc4OWFi\n"),
	}
	for name, data := range seeds {
		path := filepath.Join("testdata", "fuzz", "FuzzParse", name)
		content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		if golden.Update() {
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(content, string(got)); d != "" {
			t.Errorf("seed %s out of date (-want +got):\n%s", name, d)
		}
	}
}
