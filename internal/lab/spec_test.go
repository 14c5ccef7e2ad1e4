package lab

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func addr(s string) netip.Addr  { return netip.MustParseAddr(s) }

// seedSpec is the three machines of the classic 192.168.19.x lab.
func seedSpec(name, stateDir string) Spec {
	return Spec{
		Name:     name,
		StateDir: stateDir,
		Machines: []Machine{
			{Name: "dir", Interfaces: []Interface{
				{Name: "ens33", Addresses: []netip.Prefix{pfx("192.168.19.101/24")}},
				{Name: "ens37", Addresses: []netip.Prefix{pfx("192.168.47.128/24")}},
			}},
			{Name: "rs1", Gateway: addr("192.168.19.101"), Interfaces: []Interface{
				{Name: "ens33", Addresses: []netip.Prefix{pfx("192.168.19.102/24")}},
			}},
			{Name: "rs2", Gateway: addr("192.168.19.101"), Interfaces: []Interface{
				{Name: "ens33", Addresses: []netip.Prefix{pfx("192.168.19.103/24")}},
			}},
		},
		Reserved: []netip.Addr{addr("192.168.19.200")},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(s *Spec)
		errors []string // substrings of the error, in any order; none: valid
	}{
		{name: "seed lab is valid", edit: func(*Spec) {}},
		{name: "bad lab name", edit: func(s *Spec) { s.Name = "Lab_1" }, errors: []string{`lab name "Lab_1"`}},
		{name: "lab name too long", edit: func(s *Spec) { s.Name = "abcdefghijklm" }, errors: []string{`lab name "abcdefghijklm"`}},
		{name: "relative state dir", edit: func(s *Spec) { s.StateDir = "lab" }, errors: []string{`state dir "lab"`}},
		{name: "root state dir", edit: func(s *Spec) { s.StateDir = "/" }, errors: []string{`state dir "/"`}},
		{name: "no machines", edit: func(s *Spec) { s.Machines = nil }, errors: []string{"at least one machine"}},
		{name: "duplicate machine", edit: func(s *Spec) { s.Machines[2].Name = "rs1" }, errors: []string{`machine "rs1" is defined twice`}},
		{name: "reserved machine name", edit: func(s *Spec) { s.Machines[1].Name = "op" }, errors: []string{`"op" is reserved`}},
		{name: "bad machine name", edit: func(s *Spec) { s.Machines[1].Name = "RS1" }, errors: []string{`machine name "RS1"`}},
		{name: "interface name too long", edit: func(s *Spec) { s.Machines[0].Interfaces[0].Name = "ens33456789012345" }, errors: []string{`interface name "ens33456789012345"`}},
		{name: "interface lo", edit: func(s *Spec) { s.Machines[1].Interfaces[0].Name = "lo" }, errors: []string{"loopback"}},
		{name: "interface all", edit: func(s *Spec) { s.Machines[1].Interfaces[0].Name = "all" }, errors: []string{`refuses interface name "all"`}},
		{name: "duplicate interface", edit: func(s *Spec) { s.Machines[0].Interfaces[1].Name = "ens33" }, errors: []string{`interface "ens33" is defined twice`}},
		{name: "interface without address", edit: func(s *Spec) { s.Machines[1].Interfaces[0].Addresses = nil }, errors: []string{"at least one address", "gateway 192.168.19.101 is in none"}},
		{name: "network address", edit: func(s *Spec) { s.Machines[1].Interfaces[0].Addresses[0] = pfx("192.168.19.0/24") }, errors: []string{"192.168.19.0/24 is not a host address"}},
		{name: "broadcast address", edit: func(s *Spec) { s.Machines[1].Interfaces[0].Addresses[0] = pfx("192.168.19.255/24") }, errors: []string{"192.168.19.255/24 is not a host address"}},
		{name: "duplicate address", edit: func(s *Spec) { s.Machines[2].Interfaces[0].Addresses[0] = pfx("192.168.19.102/24") }, errors: []string{"192.168.19.102 is already used by rs1/ens33"}},
		{name: "gateway off link", edit: func(s *Spec) { s.Machines[1].Gateway = addr("10.0.0.1") }, errors: []string{"gateway 10.0.0.1 is in none"}},
		{name: "gateway is self", edit: func(s *Spec) { s.Machines[1].Gateway = addr("192.168.19.102") }, errors: []string{"own address"}},
		{name: "overlapping subnets", edit: func(s *Spec) { s.Machines[2].Interfaces[0].Addresses[0] = pfx("192.168.19.103/16") }, errors: []string{"overlap"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := seedSpec("ccl", "/var/lib/clusterctl/lab")
			tt.edit(&s)
			err := s.Validate()
			if len(tt.errors) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidSpec) {
				t.Fatalf("Validate = %v, want ErrInvalidSpec", err)
			}
			for _, want := range tt.errors {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}
