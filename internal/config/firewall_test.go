package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func loadSource(t *testing.T, src string) (*Config, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.hcl")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := NewLoader().Load(p, LoadOptions{})
	if diags.HasErrors() {
		return cfg, formatDiags(diags)
	}
	return cfg, ""
}

func TestFirewallBlock(t *testing.T) {
	cfg, errs := loadSource(t, `
firewall {
  manage  = true
  backend = "firewalld"
}
host "a" {
  address = "10.0.0.1"
  firewall {
    ports = ["443/tcp", "80/tcp", "53/udp", "80/tcp"]
  }
}
host "b" {
  address = "10.0.0.2"
  firewall {
    manage  = false
  }
}
host "c" {
  address = "10.0.0.3"
  firewall {
    backend = "iptables"
  }
}
host "d" {
  address = "10.0.0.4"
}
`)
	if errs != "" {
		t.Fatal(errs)
	}
	if cfg.Firewall.FirewalldZone != "" {
		t.Errorf("firewalld zone %q, want the default zone", cfg.Firewall.FirewalldZone)
	}
	if cfg.Firewall.NFTTable != "inet filter" || cfg.Firewall.NFTInput != "input" || cfg.Firewall.NFTForward != "forward" {
		t.Errorf("nftables defaults = %+v", cfg.Firewall)
	}
	if !cfg.Firewall.Manage || cfg.Firewall.Backend != FirewallFirewalld {
		t.Errorf("cluster firewall = %+v", cfg.Firewall)
	}
	if d := cmp.Diff([]Port{{80, "tcp"}, {443, "tcp"}, {53, "udp"}}, cfg.Hosts["a"].Firewall.Ports); d != "" {
		t.Errorf("ports: sorted by protocol then number, once each (-want +got):\n%s", d)
	}
	for _, tt := range []struct {
		host    string
		manage  bool
		backend string
	}{{"a", true, FirewallFirewalld}, {"b", false, FirewallFirewalld}, {"c", true, FirewallIPTables}, {"d", true, FirewallFirewalld}} {
		if m, b := cfg.FirewallFor(tt.host); m != tt.manage || b != tt.backend {
			t.Errorf("FirewallFor(%s) = %v %s, want %v %s", tt.host, m, b, tt.manage, tt.backend)
		}
	}
}

func TestFirewallDefaultLeavesItAlone(t *testing.T) {
	cfg, errs := loadSource(t, `host "a" { address = "10.0.0.1" }`)
	if errs != "" {
		t.Fatal(errs)
	}
	if m, b := cfg.FirewallFor("a"); m || b != FirewallAuto {
		t.Errorf("FirewallFor without a firewall block = %v %s, want false auto", m, b)
	}
}

func TestFirewallBlockErrors(t *testing.T) {
	for _, tt := range []struct{ name, src, want string }{
		{"backend", `firewall { backend = "nft" }`, `c.hcl:1,22-27: Unknown firewall backend: backend must be one of auto, iptables, firewalld, nftables; got "nft"`},
		{"two blocks", "firewall {}\nfirewall {}", "c.hcl:2,1-9: Duplicate firewall block"},
		{"port", `host "a" {
  address = "10.0.0.1"
  firewall { ports = ["80"] }
}`, `c.hcl:3,22-28: Invalid port: ports are written PORT/tcp or PORT/udp with PORT from 1 to 65535; got "80"`},
		{"port range", `host "a" {
  address = "10.0.0.1"
  firewall { ports = ["70000/tcp"] }
}`, `got "70000/tcp"`},
		{"host backend", `host "a" {
  address = "10.0.0.1"
  firewall { backend = "pf" }
}`, `c.hcl:3,24-28: Unknown firewall backend`},
		{"nft table", `firewall { nft_table = "filter" }`, `c.hcl:1,24-32: Invalid nftables table`},
		{"nft chain", `firewall { nft_input_chain = "in put" }`, `c.hcl:1,30-38: Invalid nftables chain`},
		{"zone", `firewall { firewalld_zone = "my zone" }`, `c.hcl:1,29-38: Invalid firewalld zone`},
		{"manage type", `firewall { manage = "yes please" }`, `c.hcl:1,21-33: Incorrect attribute value type`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := loadSource(t, tt.src)
			if !strings.Contains(errs, tt.want) {
				t.Errorf("errors = %s\nwant %q", errs, tt.want)
			}
		})
	}
}

func TestFirewallPortsWithoutManageWarns(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.hcl")
	src := "host \"a\" {\n  address = \"10.0.0.1\"\n  firewall {\n    ports = [\"80/tcp\"]\n  }\n}\n"
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, diags := mustLoad(t, p, LoadOptions{})
	if got := warningSummaries(diags); !cmp.Equal(got, []string{"Firewall ports without a managed firewall"}) {
		t.Errorf("warnings = %v", got)
	}
	if err := os.WriteFile(p, []byte("firewall {\n  manage = true\n}\n"+src), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, diags = mustLoad(t, p, LoadOptions{}); len(warningSummaries(diags)) != 0 {
		t.Errorf("warnings with a managed firewall = %v", warningSummaries(diags))
	}
}
