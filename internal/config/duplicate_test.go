package config

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// TestDuplicateCitesFirstDefinition: a second block with a name already
// in use is reported at its label, and the detail names the first
// definition as file:line, also when the two are in different files.
func TestDuplicateCitesFirstDefinition(t *testing.T) {
	const hosts = `host "web1" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
}
`
	const instance = `vrrp_instance "VI_1" {
  interface         = "ens33"
  virtual_router_id = 51
  virtual_ips       = ["192.168.19.100"]
  track_script      = [health_check.nginx]
  member "web1" {
    priority = 100
  }
}
`
	tests := []struct {
		name        string
		first       string // a.hcl, after hosts
		second      string // b.hcl
		wantSummary string
		wantFirst   string // file:line the detail must cite
		wantAt      string // file:line of the diagnostic
	}{
		{
			name:        "host",
			second:      "\nhost \"web1\" {\n  address = \"10.0.0.1\"\n}\n",
			wantSummary: "Duplicate host block", wantFirst: "a.hcl:1", wantAt: "b.hcl:2",
		},
		{
			name:        "vrrp_instance",
			first:       instance + "health_check \"nginx\" {\n  process = \"nginx\"\n}\n",
			second:      instance,
			wantSummary: "Duplicate vrrp_instance block", wantFirst: "a.hcl:6", wantAt: "b.hcl:1",
		},
		{
			name:        "health_check",
			first:       instance + "health_check \"nginx\" {\n  process = \"nginx\"\n}\n",
			second:      "# comment\nhealth_check \"nginx\" {\n  process = \"httpd\"\n}\n",
			wantSummary: "Duplicate health_check block", wantFirst: "a.hcl:15", wantAt: "b.hcl:2",
		},
		{
			name: "virtual_server",
			first: `virtual_server "web" {
  address   = "192.168.19.101:80"
  directors = [host.web1]
  real_server "192.168.19.102" {
  }
}
`,
			second: `virtual_server "web" {
  address   = "192.168.19.101:81"
  directors = [host.web1]
  real_server "192.168.19.102" {
  }
}
`,
			wantSummary: "Duplicate virtual_server block", wantFirst: "a.hcl:6", wantAt: "b.hcl:1",
		},
		{
			name:        "variable",
			first:       "variable \"v\" {\n  default = 1\n}\n",
			second:      "variable \"v\" {\n  default = 2\n}\n",
			wantSummary: "Duplicate variable block", wantFirst: "a.hcl:6", wantAt: "b.hcl:1",
		},
		{
			name:        "keepalived",
			first:       "keepalived {\n}\n",
			second:      "keepalived {\n}\n",
			wantSummary: "Duplicate keepalived block", wantFirst: "a.hcl:6", wantAt: "b.hcl:1",
		},
		{
			name:        "local",
			first:       "locals {\n  x = 1\n}\n",
			second:      "locals {\n  x = 2\n}\n",
			wantSummary: "Duplicate local value", wantFirst: "a.hcl:7", wantAt: "b.hcl:2",
		},
		{
			name: "interface",
			second: `host "web2" {
  interface "ens33" {
    addresses = ["192.168.19.102/24"]
  }
  interface "ens33" {
    addresses = ["192.168.19.112/24"]
  }
}
`,
			wantSummary: "Duplicate interface block", wantFirst: "b.hcl:2", wantAt: "b.hcl:5",
		},
		{
			name: "file",
			second: `host "web2" {
  address = "192.168.19.102"
  file "/etc/motd" {
    content = "a"
  }
  file "/etc/motd" {
    content = "b"
  }
}
`,
			wantSummary: "Duplicate file block", wantFirst: "b.hcl:3", wantAt: "b.hcl:6",
		},
		{
			name: "real_server",
			second: `virtual_server "web" {
  address   = "192.168.19.101:80"
  directors = [host.web1]
  real_server "192.168.19.102" {
  }
  real_server "192.168.19.102" {
    port = 81
  }
}
`,
			wantSummary: "Duplicate real_server block", wantFirst: "b.hcl:4", wantAt: "b.hcl:6",
		},
		{
			name: "member",
			second: `vrrp_instance "VI_9" {
  interface         = "ens33"
  virtual_router_id = 59
  virtual_ips       = ["192.168.19.109"]
  member "web1" {
    priority = 100
  }
  member "web1" {
    priority = 90
  }
}
`,
			wantSummary: "Duplicate member block", wantFirst: "b.hcl:5", wantAt: "b.hcl:8",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeConfig(t, map[string]string{
				"a.hcl": hosts + tt.first,
				"b.hcl": tt.second,
			})
			_, diags := NewLoader().Load(dir, LoadOptions{})
			var found *hcl.Diagnostic
			for _, d := range diags {
				if d.Severity == hcl.DiagError && d.Summary == tt.wantSummary {
					found = d
					break
				}
			}
			if found == nil {
				t.Fatalf("no %q error; got:\n%s", tt.wantSummary, formatDiags(diags))
			}
			if at := fmt.Sprintf("%s:%d", filepath.Base(found.Subject.Filename), found.Subject.Start.Line); at != tt.wantAt {
				t.Errorf("reported at %s, want %s", at, tt.wantAt)
			}
			if cite := filepath.Join(dir, tt.wantFirst) + ","; !strings.Contains(found.Detail, cite) {
				t.Errorf("detail %q does not cite the first definition %s", found.Detail, cite)
			}
		})
	}
}

// TestInvalidFixtureDetails checks the details (not only the summaries) of
// fixtures whose detail carries a promise: a suggestion, or a secret that
// must not be echoed.
func TestInvalidFixtureDetails(t *testing.T) {
	tests := []struct {
		fixture     string
		summary     string
		contains    []string
		notContains []string
	}{
		{
			fixture:     "auth_pass_too_long",
			summary:     "auth_pass is longer than 8 characters",
			contains:    []string{"truncates", "first 8 characters", "at most 8", "has 14"},
			notContains: []string{"aminglinux>com", "aminglin", ">com"},
		},
		{
			fixture:     "auth_pass_hash",
			summary:     "Invalid auth_pass",
			contains:    []string{"'#'"},
			notContains: []string{"pa#ss"},
		},
		{fixture: "scheduler_unknown", summary: "Unknown scheduler", contains: []string{`"wllc"`, `Did you mean "wlc"?`}},
		{fixture: "ref_track_script_unknown", summary: "Reference to undeclared health check", contains: []string{`"ngnix"`, `Did you mean "nginx"?`}},
		{fixture: "ref_director_unknown", summary: "Reference to undeclared host", contains: []string{`Did you mean "dir"?`}},
		{fixture: "ref_member_unknown", summary: "Reference to undeclared host", contains: []string{`"web3"`, `Did you mean "web1"?`}},
		{fixture: "vip_duplicate", summary: "Duplicate VIP", contains: []string{`"VI_1"`, "vip_duplicate.hcl:13,"}},
		{fixture: "vrid_same_segment", summary: "Duplicate virtual_router_id", contains: []string{"192.168.19.0/24", `"VI_1"`, "vrid_same_segment.hcl:13,"}},
		{fixture: "nat_wrong_gateway", summary: "NAT real server gateway is not the director", contains: []string{"192.168.19.101", "192.168.19.1."}},
		{fixture: "variable_without_value", summary: "No value for required variable", contains: []string{"-var vrrp_password=VALUE", "CLUSTERCTL_VAR_vrrp_password"}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			path := filepath.Join("testdata", "invalid", tt.fixture+".hcl")
			_, diags := NewLoader().Load(path, LoadOptions{})
			for _, d := range diags {
				if d.Summary != tt.summary {
					continue
				}
				for _, s := range tt.contains {
					if !strings.Contains(d.Detail, s) {
						t.Errorf("detail %q does not contain %q", d.Detail, s)
					}
				}
				for _, s := range tt.notContains {
					if strings.Contains(d.Detail, s) {
						t.Errorf("detail %q contains %q", d.Detail, s)
					}
				}
				return
			}
			t.Errorf("no %q diagnostic; got:\n%s", tt.summary, formatDiags(diags))
		})
	}
}
