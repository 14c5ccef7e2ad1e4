package resource

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHoldsVIP(t *testing.T) {
	vip := netip.MustParseAddr("192.168.19.100")
	addr := func(dev, p string) Address { return Address{Dev: dev, Prefix: netip.MustParsePrefix(p)} }
	tests := []struct {
		name  string
		addrs []Address
		iface string
		want  bool
	}{
		{"on the instance's interface", []Address{addr("ens33", "192.168.19.100/32")}, "ens33", true},
		{"prefix length ignored", []Address{addr("ens33", "192.168.19.100/24")}, "ens33", true},
		{"DR real server's copy on lo", []Address{addr("lo", "192.168.19.100/32")}, "ens33", false},
		{"on another interface", []Address{addr("ens37", "192.168.19.100/32")}, "ens33", false},
		{"no interface named: any but lo", []Address{addr("ens37", "192.168.19.100/32")}, "", true},
		{"no interface named: lo does not count", []Address{addr("lo", "192.168.19.100/32")}, "", false},
		{"another address", []Address{addr("ens33", "192.168.19.101/24")}, "ens33", false},
		{"no addresses", nil, "ens33", false},
	}
	for _, tt := range tests {
		if got := HoldsVIP(tt.addrs, tt.iface, vip); got != tt.want {
			t.Errorf("%s: HoldsVIP = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestManifestRoundTrip(t *testing.T) {
	h := &Host{
		Files:     []File{{Path: "/etc/keepalived/keepalived.conf"}},
		Addresses: []Address{{Dev: "lo", Prefix: netip.MustParsePrefix("192.168.19.100/32")}},
		NATRules:  []string{"-A X -j MASQUERADE"},
		Services:  []Service{{Name: "keepalived"}},
	}
	want := Manifest(h)
	got, err := ParseManifest(FormatManifest(want))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	if got[0].Kind != ManifestAddress || got[0].Key != "lo 192.168.19.100/32" {
		t.Errorf("first entry = %+v, want the address sorted first with key DEV PREFIX", got[0])
	}
}

func TestParseManifestStrict(t *testing.T) {
	got, err := ParseManifest([]byte("# comment\n\nfile /a\nfuture-kind some key\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []ManifestEntry{{Kind: ManifestFile, Key: "/a"}, {Kind: "future-kind", Key: "some key"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}
	empty, err := ParseManifest(nil)
	if err != nil || empty == nil || len(empty) != 0 {
		t.Errorf("empty manifest = %#v, %v; want an empty non-nil list", empty, err)
	}
	_, err = ParseManifest([]byte("file /a\nlonely\n"))
	var me *ManifestError
	if !errors.As(err, &me) || me.Line != 2 {
		t.Errorf("malformed line: err = %v, want a ManifestError on line 2", err)
	}
}
