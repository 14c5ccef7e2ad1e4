package plan

import (
	"net/netip"
	"testing"

	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/netfilter"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestFromFacts(t *testing.T) {
	nat, err := netfilter.ParseSave([]byte("*nat\n:POSTROUTING ACCEPT [0:0]\n:CLUSTERCTL-POSTROUTING - [0:0]\n:DOCKER - [0:0]\n" +
		"-A POSTROUTING -j CLUSTERCTL-POSTROUTING\n-A CLUSTERCTL-POSTROUTING -s 192.168.19.0/24 -j MASQUERADE\n-A DOCKER -j RETURN\nCOMMIT\n"))
	if err != nil {
		t.Fatal(err)
	}
	table, err := ipvs.ParseSave([]byte("-A -t 192.168.47.128:80 -s wlc -p 3\n"))
	if err != nil {
		t.Fatal(err)
	}
	f := &facts.Host{
		PackageManager: "apt",
		Packages:       map[string]string{"keepalived": "1:2.2.7-1", "nginx": "1.22.1"},
		Services:       map[string]facts.ServiceState{"keepalived": {Known: true, Active: true, ActiveState: "active", Enabled: true}, "nginx": {Known: true, EnabledState: "disabled"}},
		Sysctls:        map[string]string{"net.ipv4.ip_forward": "1"},
		Modules:        map[string]bool{"ip_vs": true},
		Addresses: []resource.Address{
			{Dev: "ens33", Prefix: netip.MustParsePrefix("192.168.19.101/24")},
		},
		Routes: []resource.Route{{Dst: netip.MustParsePrefix("0.0.0.0/0"), Via: netip.MustParseAddr("192.168.19.1"), Dev: "ens33"}},
		Files: map[string]facts.FileFact{
			"/usr/local/sbin/check": {Exists: true, Mode: 0o4755, Owner: "root", Group: "root", Content: []byte("x")},
			"/etc/dir":              {Exists: true, Other: true},
			"/etc/missing":          {},
			"/etc/big":              {Exists: true, Mode: 0o644, Owner: "root", Group: "adm", Size: 5 << 20, TooLarge: true},
			"/etc/unread":           {Exists: true, Error: true},
		},
		IPVS: table, IPVSStatus: facts.Status{State: facts.StatusOK},
		NAT: nat[0], NATStatus: facts.Status{State: facts.StatusOK},
		Manifest: []resource.ManifestEntry{{Kind: "file", Key: "/etc/dir"}},
	}
	got := FromFacts(f)
	want := &Observed{
		PackageManager: "apt",
		Packages:       map[string]bool{"keepalived": true, "nginx": true},
		Modules:        map[string]bool{"ip_vs": true},
		Sysctls:        map[string]string{"net.ipv4.ip_forward": "1"},
		Addresses:      f.Addresses,
		Routes:         f.Routes,
		Files: map[string]ObservedFile{
			"/usr/local/sbin/check": {Exists: true, Mode: 0o4755, Owner: "root", Group: "root", Content: []byte("x")},
			"/etc/dir":              {NotRegular: true},
			"/etc/missing":          {},
			"/etc/big":              {Exists: true, Mode: 0o644, Owner: "root", Group: "adm", Size: 5 << 20, Unread: "larger than 1048576 bytes"},
			"/etc/unread":           {Exists: true, Unread: "could not be read", NoMetadata: true},
		},
		NATChainExists: true, NATJump: true, NATRules: []string{"-s 192.168.19.0/24 -j MASQUERADE"},
		IPVS:     table,
		Services: map[string]ServiceState{"keepalived": {Active: true, Enabled: true}, "nginx": {}},
		Manifest: []resource.ManifestEntry{{Kind: "file", Key: "/etc/dir"}},
	}
	opts := cmp.Options{cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }), cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
		cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b }), cmpopts.EquateEmpty()}
	if d := cmp.Diff(want, got, opts); d != "" {
		t.Errorf("Observed (-want +got):\n%s", d)
	}
}

func TestFromFactsStatuses(t *testing.T) {
	tests := []struct {
		ipvs, nat facts.Status
		ipvsError string
		chain     bool
	}{
		{facts.Status{State: facts.StatusOK}, facts.Status{State: facts.StatusOK}, "", false},
		{facts.Status{State: facts.StatusNotLoaded, Message: "ip_vs module not loaded"}, facts.Status{State: facts.StatusOK}, "", false},
		{facts.Status{State: facts.StatusNoKernelSupport, Message: "no /proc/net/ip_vs and no ip_vs module"}, facts.Status{}, "no-kernel-support: no /proc/net/ip_vs and no ip_vs module", false},
		{facts.Status{State: facts.StatusNotInstalled, Message: "ipvsadm not found"}, facts.Status{State: facts.StatusNotInstalled}, "not-installed: ipvsadm not found", false},
		{facts.Status{State: facts.StatusError}, facts.Status{State: facts.StatusError, Message: "x"}, "error", false},
	}
	for _, tt := range tests {
		t.Run(string(tt.ipvs.State), func(t *testing.T) {
			nat, _ := netfilter.ParseSave([]byte("*nat\n:CLUSTERCTL-POSTROUTING - [0:0]\nCOMMIT\n"))
			o := FromFacts(&facts.Host{IPVSStatus: tt.ipvs, NATStatus: tt.nat, NAT: nat[0]})
			if o.IPVSError != tt.ipvsError {
				t.Errorf("IPVSError = %q, want %q", o.IPVSError, tt.ipvsError)
			}
			// The NAT chain counts only when iptables-save worked.
			if want := tt.nat.State == facts.StatusOK; o.NATChainExists != want {
				t.Errorf("NATChainExists = %v with NAT status %q", o.NATChainExists, tt.nat.State)
			}
		})
	}
}
