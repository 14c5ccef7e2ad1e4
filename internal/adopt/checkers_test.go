package adopt

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/golden"
	"github.com/clusterctl/clusterctl/internal/render"
)

// TestImportCheckersAndGroups: the keepalived.conf clusterctl renders
// for the examples with every checker, virtual_server_group (addresses,
// a range, marks), inhibit_on_failure, alpha and omega imports without a
// finding into a configuration holding them as attributes, not raw
// lines, and that configuration renders the same keepalived
// configuration on every director (Check).
func TestImportCheckersAndGroups(t *testing.T) {
	for _, example := range []struct{ name, lb1, lb2 string }{
		{"checkers", "192.168.60.11/24", "192.168.60.12/24"},
		{"server-group-fwmark", "192.168.61.11/24", "192.168.61.12/24"},
	} {
		t.Run(example.name, func(t *testing.T) {
			cfg, diags := config.NewLoader().Load(filepath.Join("..", "..", "examples", "features", example.name), config.LoadOptions{})
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			out, err := render.Render(cfg)
			if err != nil {
				t.Fatal(err)
			}
			var hosts []*Host
			for _, h := range []struct{ name, addr string }{{"lb1", example.lb1}, {"lb2", example.lb2}} {
				conf := out[h.name].File(render.KeepalivedConfPath)
				hosts = append(hosts, fileHost(h.name, h.addr, map[string]string{
					render.KeepalivedConfPath:   string(conf.Content),
					"/usr/local/sbin/check-web": "#!/bin/sh\nexit 0\n", // the misc check's command
				}))
			}
			res, err := Build(hosts)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range res.Findings {
				t.Errorf("finding: %s", f)
			}
			hcl := string(res.HCL)
			if strings.Contains(hcl, "raw") {
				t.Errorf("modelled statements were kept as raw lines:\n%s", hcl)
			}
			golden.Check(t, "import-"+example.name+".hcl.golden", hcl)
			for _, f := range Check(writeResult(t, res), hosts, res.Values) {
				if f.Level != Change {
					t.Errorf("check: %s", f)
				}
			}
		})
	}
}

// TestImportDanglingRefs: a virtual server of a group the import could
// not adopt, and a FILE_CHECK of a track_file it could not adopt, are
// reported lost instead of referring to nothing (which would not load).
func TestImportDanglingRefs(t *testing.T) {
	conf := `virtual_server_group g {
  fwmark 1
  10.0.0.100 80
}
track_file tf_x {
  file /run/x
  weight 1 reverse
}
virtual_server group g {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 10.0.0.21 80 {
    weight 1
  }
}
virtual_server 10.0.0.100 81 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 10.0.0.21 81 {
    weight 1
    FILE_CHECK {
      track_file tf_missing
    }
  }
}
`
	res, err := Build([]*Host{fileHost("a", "10.0.0.1/24", map[string]string{render.KeepalivedConfPath: conf})})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.String())
	}
	for _, want := range []string{
		"virtual_server_group g mixes addresses and marks",
		"weight 1 reverse is not expressible",
		"virtual_server group g: the group was not adopted, so neither is the virtual server",
		"FILE_CHECK reads a track_file that was not adopted; the check is left out",
	} {
		if !strings.Contains(strings.Join(got, "\n"), want) {
			t.Errorf("no finding %q in:\n%s", want, strings.Join(got, "\n"))
		}
	}
	hcl := string(res.HCL)
	if strings.Contains(hcl, "virtual_server_group.g") || strings.Contains(hcl, "track_file.missing") {
		t.Errorf("the configuration refers to what was not adopted:\n%s", hcl)
	}
	if _, diags := config.NewLoader().Load(writeResult(t, res), config.LoadOptions{Vars: []string{}}); diags.HasErrors() {
		t.Errorf("the imported configuration does not load: %s\n%s", diags.Error(), hcl)
	}
}
