package facts

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/golden"

	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/netfilter"
	"github.com/clusterctl/clusterctl/internal/state"
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
// rc=0") or, prefixed with "=", a body that is base64-encoded.
func doc(parts ...string) []byte {
	var b strings.Builder
	b.WriteString(testToken + " facts v=1 enc=b64\n")
	for _, p := range parts {
		if body, ok := strings.CutPrefix(p, "="); ok {
			enc := base64.StdEncoding.EncodeToString([]byte(body))
			for len(enc) > 76 {
				b.WriteString(enc[:76] + "\n")
				enc = enc[76:]
			}
			b.WriteString(enc + "\n")
			continue
		}
		b.WriteString(testToken + " " + p + "\n")
	}
	b.WriteString(testToken + " end\n")
	return []byte(b.String())
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
	natOut = `*nat
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
		"cmd os-release rc=0", "=PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n", "err os-release",
		"cmd hostname rc=0", "=dir\n", "err hostname",
		"pkgmgr apt",
		"cmd pkg-dpkg rc=1", "=keepalived\t1:2.2.7-1+b2\tii \nipvsadm\t\tun \n", "err pkg-dpkg", "=dpkg-query: no packages found matching nginx\n",
		"cmd keepalived-version rc=0", "err keepalived-version", "=Keepalived v2.2.7 (01/16,2022)\n\nCopyright(C) 2001-2022 Alexandre Cassen\n",
		"cmd svc-active:keepalived rc=0", "=active\n", "err svc-active:keepalived",
		"cmd svc-enabled:keepalived rc=0", "=enabled\n", "err svc-enabled:keepalived",
		"cmd svc-active:nginx rc=3", "=inactive\n", "err svc-active:nginx",
		"cmd svc-enabled:nginx rc=1", "=disabled\n", "err svc-enabled:nginx",
		"cmd ip-addr rc=0", "="+ipAddrOut, "err ip-addr",
		"cmd ip-link rc=0", "="+ipLinkOut, "err ip-link",
		"cmd ip-route rc=0", "="+ipRouteOut, "err ip-route",
		"cmd ip6-route rc=0", "="+ip6RouteOut, "err ip6-route",
		"sysctl net.ipv4.ip_forward ok", "=1\n",
		"sysctl net.ipv4.ip_local_port_range ok", "=32768\t60999\n",
		"sysctl net.ipv4.vs.conntrack missing",
		"cmd modules rc=0", "=ip_vs_wlc 12288 1 - Live 0x0000000000000000\nip_vs 184320 3 ip_vs_wlc, Live 0x0000000000000000\n", "err modules",
		"cmd sys-module rc=0", "=ip_vs\nipv6\n", "err sys-module",
		"ipvs ipvsadm=1 proc=1 moddir=1",
		"cmd ipvsadm-save rc=0", "="+ipvsSaveOut, "err ipvsadm-save",
		"cmd ipvsadm-list rc=0", "="+ipvsListOut, "err ipvsadm-list",
		"cmd ipvsadm-stats rc=0", "err ipvsadm-stats",
		"cmd iptables-nat rc=0", "="+natOut, "err iptables-nat",
		"file /etc/keepalived/keepalived.conf exists=1 mode=640 owner=root group=root size=12", "=global_defs\n",
		"file /etc/sysctl.d/90-clusterctl.conf exists=0",
		"manifest present", "=file /etc/keepalived/keepalived.conf\n\nipvs -t 192.168.47.128:80\n",
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
		Addresses: []state.Address{
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
		Routes: []state.Route{
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
		Manifest:  []ManifestEntry{{"file", "/etc/keepalived/keepalived.conf"}, {"ipvs", "-t 192.168.47.128:80"}},
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
		{"can't initialize", []string{"ipvs ipvsadm=1 proc=1 moddir=0", "cmd ipvsadm-save rc=1", "err ipvsadm-save", "=Can't initialize ipvs: Protocol not available\nAre you sure that IP Virtual Server is built in the kernel or as module?\n",
			"cmd iptables-nat rc=1", "err iptables-nat", "=iptables-save: permission denied\n"}, StatusNoKernelSupport, StatusError},
		{"other ipvsadm failure", []string{"ipvs ipvsadm=1 proc=1 moddir=1", "cmd ipvsadm-save rc=2", "err ipvsadm-save", "=Memory allocation problem\n"}, StatusError, StatusNotInstalled},
		{"empty table", []string{"ipvs ipvsadm=1 proc=1 moddir=1", "cmd ipvsadm-save rc=0", "err ipvsadm-save", "cmd iptables-nat rc=0"}, StatusOK, StatusOK},
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
	out := testToken + " facts v=1 enc=hex\n" + testToken + " file /etc/x exists=1 mode=644 owner=root group=root size=3\n" +
		" 61 62\n 0a\n" + testToken + " end\n"
	h, err := Parse([]byte(out), testToken)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(h.Files["/etc/x"].Content); got != "ab\n" {
		t.Errorf("hex content = %q", got)
	}
}

// TestParseHostileContent: a file whose content imitates section headers
// stays content, because bodies are encoded.
func TestParseHostileContent(t *testing.T) {
	evil := "x\n" + testToken + " end\n" + testToken + " file /etc/shadow exists=1 mode=644 owner=root group=root size=1\n"
	h, err := Parse(doc("file /tmp/evil exists=1 mode=600 owner=root group=root size=9", "="+evil), testToken)
	if err != nil {
		t.Fatal(err)
	}
	if string(h.Files["/tmp/evil"].Content) != evil || len(h.Files) != 1 {
		t.Errorf("files = %v", h.Files)
	}
}

func TestParseErrors(t *testing.T) {
	valid := string(doc("pkgmgr apt"))
	tests := []struct {
		name    string
		out     string
		section string
		line    int
		is      error
	}{
		{"truncated", strings.TrimSuffix(valid, testToken+" end\n"), "", 0, ErrTruncated},
		{"empty", "", "", 0, ErrTruncated},
		{"too large", strings.Repeat("a", MaxOutput+1), "", 0, ErrTooLarge},
		{"no facts header", testToken + " pkgmgr apt\n" + testToken + " end\n", "pkgmgr", 1, nil},
		{"bad encoding", testToken + " facts v=1 enc=rot13\n" + testToken + " end\n", "facts", 1, nil},
		{"bad base64", testToken + " facts v=1 enc=b64\n" + testToken + " cmd hostname rc=0\nx!\n" + testToken + " end\n", "cmd hostname", 2, nil},
		{"bad rc", string(doc("cmd hostname rc=abc")), "cmd hostname", 2, nil},
		{"duplicate cmd", string(doc("cmd hostname rc=0", "cmd hostname rc=0")), "cmd hostname", 3, nil},
		{"bad mode", string(doc("file /etc/x exists=1 mode=999 owner=a group=b size=1")), "file /etc/x", 2, nil},
		{"bad file path", string(doc("file relative exists=0")), "file relative", 2, nil},
		{"bad pkgmgr", string(doc("pkgmgr pacman")), "pkgmgr pacman", 2, nil},
		{"malformed ip addr", string(doc("cmd ip-addr rc=0", "=1: lo inet 127.0.0.1/8\nbogus\n")), "cmd ip-addr", 2, nil},
		{"bad route", string(doc("cmd ip-route rc=0", "=default via 192.168.19.1 dev eth0\n300.1.1.0/24 dev eth0\n")), "cmd ip-route", 2, nil},
		{"bad link", string(doc("cmd ip-link rc=0", "=1: lo mtu\n")), "cmd ip-link", 1, nil},
		{"bad manifest", string(doc("manifest present", "=file\n")), "manifest", 1, nil},
		{"bad ipvs", string(doc("ipvs ipvsadm=1 proc=1 moddir=1", "cmd ipvsadm-save rc=0", "=-A -t nonsense\n")), "cmd ipvsadm-save", 0, nil},
		{"bad proc", string(doc("proc nginx -1")), "proc nginx", 2, nil},
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
	f.Add(doc("ipvs ipvsadm=1 proc=1 moddir=0", "cmd ipvsadm-save rc=1", "err ipvsadm-save", "=Can't initialize ipvs\n"))
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

// TestWriteFuzzSeeds keeps the checked-in seed corpus in step with the
// test documents (go test -update rewrites it).
func TestWriteFuzzSeeds(t *testing.T) {
	seeds := map[string][]byte{
		"full":      fullDoc(),
		"hostile":   doc("file /tmp/evil exists=1 mode=600 owner=root group=root size=9", "=x\n"+testToken+" end\n"),
		"truncated": []byte(testToken + " facts v=1 enc=b64\n" + testToken + " cmd ip-addr rc=0\nMTogbG8g\n"),
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
