package lab

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/clusterctl/clusterctl/internal/golden"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"
)

// fixedKey is a deterministic ed25519 public key for golden files.
func fixedKey(t *testing.T, seed byte) ssh.PublicKey {
	t.Helper()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	kp, err := keyPairFrom(priv, "test")
	if err != nil {
		t.Fatal(err)
	}
	return kp.public
}

func TestPlanSeedLab(t *testing.T) {
	rec, err := planLab(seedSpec("ccl", "/var/lib/clusterctl/lab"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "seed-lab.json", string(b)+"\n")

	hostKeys := map[string]ssh.PublicKey{}
	for i, m := range rec.Machines {
		hostKeys[m.Name] = fixedKey(t, byte(i+1))
	}
	golden.Check(t, "seed-known_hosts", renderKnownHosts(rec, hostKeys))
	golden.Check(t, "seed-ssh_config", renderSSHConfig(rec, "/var/lib/clusterctl/lab/ssh_config", "/var/lib/clusterctl/lab/id_ed25519", "/var/lib/clusterctl/lab/known_hosts"))
	golden.Check(t, "seed-hosts", renderHosts(rec))
	golden.Check(t, "seed-bridge.batch", joinLines(bridgeCommands(rec)))
	golden.Check(t, "seed-dir.batch", joinLines(addressCommands(rec.Machines[0].Interfaces, "")))
	golden.Check(t, "seed-rs1.batch", joinLines(addressCommands(rec.Machines[1].Interfaces, rec.Machines[1].Gateway.String())))
}

func joinLines(lines []string) string {
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	return b.String()
}

func TestOperatorAddresses(t *testing.T) {
	one := func(prefix string, gw string) Machine {
		m := Machine{Name: "m", Interfaces: []Interface{{Name: "eth0", Addresses: []netip.Prefix{pfx(prefix)}}}}
		if gw != "" {
			m.Gateway = addr(gw)
		}
		return m
	}
	tests := []struct {
		name     string
		machine  Machine
		reserved []string
		want     string // operator address; "" means planning fails
	}{
		{name: "top of a /24", machine: one("10.1.2.3/24", ""), want: "10.1.2.254/24"},
		{name: "skips reserved", machine: one("10.1.2.3/24", ""), reserved: []string{"10.1.2.254", "10.1.2.253"}, want: "10.1.2.252/24"},
		{name: "skips gateway and machine", machine: one("10.1.2.253/24", "10.1.2.254"), want: "10.1.2.252/24"},
		{name: "a /30 has two hosts", machine: one("10.1.2.1/30", ""), want: "10.1.2.2/30"},
		{name: "a /31 has both", machine: one("10.1.2.0/31", ""), want: "10.1.2.1/31"},
		{name: "a /32 has no room", machine: one("10.1.2.1/32", ""), want: ""},
		{name: "ipv6", machine: one("fd00::1/64", ""), want: "fd00::ffff:ffff:ffff:ffff/64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Spec{Name: "t", StateDir: "/x", Machines: []Machine{tt.machine}}
			for _, r := range tt.reserved {
				s.Reserved = append(s.Reserved, addr(r))
			}
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			rec, err := planLab(s)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("planLab succeeded with operator %v, want an error", rec.Operator)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := rec.Operator[0].Addresses[0].String(); got != tt.want {
				t.Errorf("operator address = %s, want %s", got, tt.want)
			}
		})
	}
}

// A subnet seen only as a secondary address rides on its interface's
// bridge; the operator gets an address in it there.
func TestPlanSecondarySubnet(t *testing.T) {
	s := Spec{Name: "t", StateDir: "/x", Machines: []Machine{
		{Name: "a", Interfaces: []Interface{{Name: "eth0", Addresses: []netip.Prefix{pfx("10.0.0.1/24"), pfx("10.9.0.1/24")}}}},
		{Name: "b", Interfaces: []Interface{{Name: "eth0", Addresses: []netip.Prefix{pfx("10.0.1.1/24")}}}},
	}}
	rec, err := planLab(s)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]netip.Prefix{}
	for _, op := range rec.Operator {
		got[op.Bridge] = op.Addresses
	}
	want := map[string][]netip.Prefix{
		"br0": {pfx("10.0.0.254/24"), pfx("10.9.0.254/24")},
		"br1": {pfx("10.0.1.254/24")},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("operator addresses (-want +got):\n%s", diff)
	}
}
