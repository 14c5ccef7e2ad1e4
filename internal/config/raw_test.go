package config

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

// rawConfig uses every raw attribute: each is kept as written, and each
// is flagged as unchecked by clusterctl.
const rawConfig = `
keepalived {
  raw = <<-EOT
    vrrp_garp_master_refresh 60
  EOT
  raw_blocks = <<-EOT
    static_routes {
      10.9.0.0/16 via 192.168.19.1 dev ens33
    }
  EOT
}

host "dir" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
}

host "rs1" {
  interface "ens33" {
    addresses = ["192.168.19.102/24"]
  }
}

vrrp_instance "VI_1" {
  interface         = "ens33"
  virtual_router_id = 51
  virtual_ips       = ["192.168.19.100/24"]
  raw               = <<-EOT
    garp_master_refresh 10
    garp_master_refersh_repeat 2
  EOT
  member "dir" {
    priority = 100
  }
}

virtual_server "web" {
  address    = "192.168.19.100:80"
  managed_by = "keepalived"
  directors  = [host.dir]
  raw        = "quorum 1\nhysteresis 0\n"

  real_server "rs1" {
    port = 80
  }
}
`

func TestRawLines(t *testing.T) {
	dir := writeConfig(t, map[string]string{"cluster.hcl": rawConfig})
	cfg, diags := mustLoad(t, dir, LoadOptions{})
	got := map[string]string{
		"global_defs":    cfg.Keepalived.Raw,
		"top":            cfg.Keepalived.RawBlocks,
		"vrrp_instance":  cfg.VRRPInstances["VI_1"].Raw,
		"virtual_server": cfg.VirtualServers["web"].Raw,
	}
	want := map[string]string{
		"global_defs":    "vrrp_garp_master_refresh 60\n",
		"top":            "static_routes {\n  10.9.0.0/16 via 192.168.19.1 dev ens33\n}\n",
		"vrrp_instance":  "garp_master_refresh 10\ngarp_master_refersh_repeat 2\n",
		"virtual_server": "quorum 1\nhysteresis 0\n",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("raw lines (-want +got):\n%s", d)
	}

	// One "unchecked" warning per raw attribute, on the attribute; the
	// misspelt keyword is a warning on its own line, with a suggestion.
	file := filepath.Join(dir, "cluster.hcl")
	var unchecked []int
	var unknown *hcl.Diagnostic
	for _, d := range diags {
		switch {
		case d.Severity != hcl.DiagWarning:
		case d.Summary == RawWarning:
			unchecked = append(unchecked, d.Subject.Start.Line)
			if !strings.Contains(d.Detail, "keepalived -t") {
				t.Errorf("the unchecked warning does not say who checks: %s", d.Detail)
			}
		case strings.Contains(d.Detail, "garp_master_refersh_repeat"):
			unknown = d
		}
	}
	if d := cmp.Diff([]int{3, 6, 29, 42}, unchecked); d != "" {
		t.Errorf("lines of the unchecked warnings (-want +got):\n%s\n%s", d, formatDiags(diags))
	}
	if unknown == nil {
		t.Fatalf("no warning for the misspelt raw keyword:\n%s", formatDiags(diags))
	}
	if unknown.Subject.Filename != file || unknown.Subject.Start.Line != 31 || !strings.Contains(unknown.Detail, `did you mean "garp_master_refresh_repeat"`) {
		t.Errorf("misspelt keyword warning = %s", formatDiag(unknown))
	}
}
