package facts_test

import (
	"slices"
	"testing"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/render"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/google/go-cmp/cmp"
)

// render1 loads and renders an example of examples/lab-19.x.
func render1(t *testing.T, example string) map[string]*resource.Host {
	t.Helper()
	cfg, diags := config.NewLoader().Load("../../examples/lab-19.x/"+example, config.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	desired, err := render.Render(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return desired
}

func TestRequestFor(t *testing.T) {
	dir := facts.RequestFor(render1(t, "lvs-nat")["dir"])
	want := facts.Request{
		Files: []string{
			"/etc/clusterctl/iptables-nat.rules", "/etc/clusterctl/ipvs.rules", "/etc/modules-load.d/clusterctl.conf",
			"/etc/sysctl.d/90-clusterctl.conf", "/etc/systemd/system/clusterctl-restore.service", "/usr/local/sbin/clusterctl-restore",
		},
		Sysctls: []string{
			"net.ipv4.conf.all.send_redirects", "net.ipv4.conf.default.send_redirects", "net.ipv4.conf.ens33.send_redirects",
			"net.ipv4.conf.ens37.send_redirects", "net.ipv4.ip_forward",
		},
		Services:  []string{"keepalived", "clusterctl-restore"},
		Packages:  []string{"iptables", "ipvsadm"},
		Processes: []string{"keepalived", "nginx", "firewalld"},
	}
	if d := cmp.Diff(want, dir); d != "" {
		t.Errorf("Request(dir) (-want +got):\n%s", d)
	}

	labA := render1(t, "ha-nginx")
	web1 := facts.RequestFor(labA["web1"])
	if d := cmp.Diff([]string{"keepalived", "nginx"}, web1.Services); d != "" {
		t.Errorf("services: keepalived once, first (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"keepalived", "nginx"}, web1.Packages); d != "" {
		t.Errorf("packages (-want +got):\n%s", d)
	}
	if !slices.Contains(web1.Files, "/etc/keepalived/keepalived.conf") || !slices.Contains(web1.Files, "/usr/local/sbin/check_ng.sh") {
		t.Errorf("files: %v", web1.Files)
	}
	// Every request is valid for the facts script.
	for name, h := range labA {
		if _, err := facts.Script(facts.RequestFor(h), "ccf_0123456789abcdef"); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestFileSizeLimitsAgree: the configuration accepts no managed file that
// facts gathering could not read back in full.
func TestFileSizeLimitsAgree(t *testing.T) {
	if config.MaxFileSize > facts.MaxFileSize {
		t.Errorf("config.MaxFileSize %d > facts.MaxFileSize %d: a managed file could never be found converged", config.MaxFileSize, facts.MaxFileSize)
	}
}
