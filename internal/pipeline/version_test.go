package pipeline

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/hostops/hostopstest"
	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/render"
	"github.com/google/go-cmp/cmp"
)

// TestPlanKeepalivedTooOld plans a director pair whose instance tracks a
// process (keepalived 2.0.11) when lb2 runs CentOS 7's keepalived 1.3.5
// and lb1 Debian 12's 2.2.7: lb2's plan is an error naming the host, its
// release, the feature, the release that brought it and where the
// configuration sets it; lb1 is planned, its keepalived.conf written for
// 2.2.7.
func TestPlanKeepalivedTooOld(t *testing.T) {
	cfg, diags := config.NewLoader().Load("testdata/kaver", config.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	sim := hostopstest.New(cfg)
	for _, h := range []string{"lb1", "lb2"} {
		sim.Host(h).Packages["keepalived"] = true
	}
	sim.Host("lb1").KeepalivedVersion = "2.2.7"
	sim.Host("lb2").KeepalivedVersion = "1.3.5"
	p, err := simCluster(t, cfg, sim).Plan(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []plan.HostError{{Host: "lb2", Error: "keepalived 1.3.5 lacks track_process (vrrp_track_process, track_process, since keepalived 2.0.11), set at testdata/kaver/cluster.hcl:15; upgrade keepalived or remove the setting"}}
	if d := cmp.Diff(want, p.Errors); d != "" {
		t.Errorf("plan errors (-want +got):\n%s", d)
	}
	if len(p.Hosts) != 1 || p.Hosts[0].Host != "lb1" || p.Applyable() {
		t.Fatalf("planned hosts %+v; want lb1 only, and a plan that cannot be applied", p.Hosts)
	}
	// Nothing in lb1's plan is about versions: 2.2.7 has everything.
	for _, n := range p.Hosts[0].Notes {
		if strings.Contains(n, "keepalived") {
			t.Errorf("lb1 note: %q", n)
		}
	}
}

// TestPlanKeepalivedNotInstalled: with no keepalived on the hosts, the
// plan goes ahead and says the features were not checked.
func TestPlanKeepalivedNotInstalled(t *testing.T) {
	cfg, diags := config.NewLoader().Load("testdata/kaver", config.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	p, err := simCluster(t, cfg, hostopstest.New(cfg)).Plan(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Errors) != 0 || len(p.Hosts) != 2 {
		t.Fatalf("errors %v, %d hosts planned", p.Errors, len(p.Hosts))
	}
	for _, hp := range p.Hosts {
		found := false
		for _, n := range hp.Notes {
			found = found || strings.HasPrefix(n, "keepalived is not installed: ")
		}
		if !found {
			t.Errorf("%s: notes %q lack the unchecked-version note", hp.Host, hp.Notes)
		}
	}
}

// TestPlanRendersForInstalledKeepalived: the keepalived.conf a plan
// writes uses the spelling of the host's release: an HTTP_GET's retry
// count is nb_get_retry before 1.4.0, retry from it.
func TestPlanRendersForInstalledKeepalived(t *testing.T) {
	cfg, diags := config.NewLoader().Load("testdata/kaver", config.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	// Nothing 1.3.5 lacks: no track_process; a keepalived-managed DR
	// service with an HTTP check that retries.
	cfg.VRRPInstances["VI_1"].TrackProcesses = nil
	cfg.VirtualServers["web"] = &config.VirtualServer{
		Name: "web", Address: netip.MustParseAddrPort("10.0.0.100:80"), Protocol: "tcp", Mode: config.ModeDR,
		Scheduler: "rr", Directors: []string{"lb1", "lb2"}, ManagedBy: config.ManagedByKeepalived,
		RealServers: []*config.RealServer{{Address: netip.MustParseAddr("10.0.0.21"), Port: 80, Weight: 1,
			Check: &config.RealServerCheck{Type: config.CheckHTTP, Path: "/", StatusCode: 200, Retry: 3}}},
	}
	sim := hostopstest.New(cfg)
	for _, h := range []string{"lb1", "lb2"} {
		sim.Host(h).Packages["keepalived"] = true
	}
	sim.Host("lb1").KeepalivedVersion = "2.2.7"
	sim.Host("lb2").KeepalivedVersion = "1.3.5"
	p, err := simCluster(t, cfg, sim).Plan(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Errors) != 0 || len(p.Hosts) != 2 {
		t.Fatalf("errors: %v; %d hosts planned", p.Errors, len(p.Hosts))
	}
	want := map[string]string{"lb1": "\n            retry 3\n", "lb2": "\n            nb_get_retry 3\n"}
	for _, hp := range p.Hosts {
		conf := ""
		for _, c := range hp.Changes {
			if op, ok := c.Op.(*plan.FileOp); ok && op.Path == render.KeepalivedConfPath && op.After != nil {
				conf = string(op.After.Content)
			}
		}
		if !strings.Contains(conf, want[hp.Host]) {
			t.Errorf("%s: keepalived.conf lacks %q:\n%s", hp.Host, want[hp.Host], conf)
		}
	}
}
