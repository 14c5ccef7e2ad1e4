package engine

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/facts/factstest"
	"github.com/clusterctl/clusterctl/internal/golden"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/netfilter"
	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func load(t *testing.T, example string, opts config.LoadOptions) *config.Config {
	t.Helper()
	cfg, diags := config.NewLoader().Load("../../examples/lab-19.x/"+example, opts)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return cfg
}

func TestNewSessionTargets(t *testing.T) {
	cfg := load(t, "lvs-nat", config.LoadOptions{})
	tests := []struct {
		targets []string
		want    []string
		err     string
	}{
		{nil, []string{"rs1", "rs2", "dir"}, ""},
		{[]string{"dir", "rs1"}, []string{"rs1", "dir"}, ""}, // apply order, not flag order
		{[]string{"rs2"}, []string{"rs2"}, ""},
		{[]string{"rs1", "nope"}, nil, "-target nope: no such host in the configuration"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.targets), func(t *testing.T) {
			s, err := NewSession(cfg, Options{Targets: tt.targets})
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, s.Hosts()); d != "" {
				t.Errorf("Hosts (-want +got):\n%s", d)
			}
			// Every host is rendered, targeted or not.
			if len(s.Desired) != 3 {
				t.Errorf("Desired has %d hosts", len(s.Desired))
			}
		})
	}
}

func TestMaskerFor(t *testing.T) {
	cfg := load(t, "ha-nginx", config.LoadOptions{Vars: []string{"vrrp_password=s3cret"}})
	m := MaskerFor(cfg)
	if got := m.String("auth_pass s3cret"); got != "auth_pass (sensitive)" {
		t.Errorf("auth_pass not masked: %q", got)
	}
	def := MaskerFor(load(t, "ha-nginx", config.LoadOptions{}))
	if got := def.String("auth_pass aminglin"); got != "auth_pass (sensitive)" {
		t.Errorf("default auth_pass not masked: %q", got)
	}
	if got := MaskerFor(load(t, "lvs-nat", config.LoadOptions{})).String("nothing secret"); got != "nothing secret" {
		t.Errorf("masked without secrets: %q", got)
	}
}

func TestRequest(t *testing.T) {
	s, err := NewSession(load(t, "lvs-nat", config.LoadOptions{}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := Request(s.Desired["dir"])
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
		Processes: []string{"keepalived", "nginx"},
	}
	if d := cmp.Diff(want, dir); d != "" {
		t.Errorf("Request(dir) (-want +got):\n%s", d)
	}

	a, err := NewSession(load(t, "ha-nginx", config.LoadOptions{}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	web1 := Request(a.Desired["web1"])
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
	for name, h := range a.Desired {
		if _, err := facts.Script(Request(h), "ccf_0123456789abcdef"); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestObserved(t *testing.T) {
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
		Packages: map[string]string{"keepalived": "1:2.2.7-1", "nginx": "1.22.1"},
		Services: map[string]facts.ServiceState{"keepalived": {Known: true, Active: true, ActiveState: "active", Enabled: true}, "nginx": {Known: true, EnabledState: "disabled"}},
		Sysctls:  map[string]string{"net.ipv4.ip_forward": "1"},
		Modules:  map[string]bool{"ip_vs": true},
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
	got := Observed(f)
	want := &plan.Observed{
		Packages:  map[string]bool{"keepalived": true, "nginx": true},
		Modules:   map[string]bool{"ip_vs": true},
		Sysctls:   map[string]string{"net.ipv4.ip_forward": "1"},
		Addresses: f.Addresses,
		Routes:    f.Routes,
		Files: map[string]plan.ObservedFile{
			"/usr/local/sbin/check": {Exists: true, Mode: 0o4755, Owner: "root", Group: "root", Content: []byte("x")},
			"/etc/dir":              {NotRegular: true},
			"/etc/missing":          {},
			"/etc/big":              {Exists: true, Mode: 0o644, Owner: "root", Group: "adm", Size: 5 << 20, Unread: "larger than 1048576 bytes"},
			"/etc/unread":           {Exists: true, Unread: "could not be read", NoMetadata: true},
		},
		NATChainExists: true, NATJump: true, NATRules: []string{"-s 192.168.19.0/24 -j MASQUERADE"},
		IPVS:     table,
		Services: map[string]plan.ServiceState{"keepalived": {Active: true, Enabled: true}, "nginx": {}},
		Manifest: []resource.ManifestEntry{{Kind: "file", Key: "/etc/dir"}},
	}
	opts := cmp.Options{cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }), cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
		cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b }), cmpopts.EquateEmpty()}
	if d := cmp.Diff(want, got, opts); d != "" {
		t.Errorf("Observed (-want +got):\n%s", d)
	}
}

func TestObservedStatuses(t *testing.T) {
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
			o := Observed(&facts.Host{IPVSStatus: tt.ipvs, NATStatus: tt.nat, NAT: nat[0]})
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

// factsOutput builds the output of the facts script for a host with
// nothing installed (see internal/facts/factstest).
func factsOutput(token string, files map[string]string) []byte {
	d := factstest.New(token).
		Cmd("os-release", 0, "ID=debian\nVERSION_ID=\"12\"\n", "").
		Cmd("hostname", 0, "host\n", "").
		Section("pkgmgr apt", "").
		Cmd("ip-addr", 0, "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n", "").
		Section("ipvs ipvsadm=1 proc=1 moddir=1", "").
		Cmd("ipvsadm-save", 0, "", "").
		Cmd("iptables-nat", 0, "*nat\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n", "")
	for path, content := range files {
		d.File(path, 0o644, content)
	}
	return d.Section("lock absent", "").Bytes()
}

var tokenRE = regexp.MustCompile(`ccf_[0-9a-f]{32}`)

func TestPlanOverFakes(t *testing.T) {
	cfg := load(t, "lvs-nat", config.LoadOptions{})
	fakes := map[string]*remote.Fake{}
	for _, name := range cfg.HostNames() {
		f := remote.NewFake(name)
		f.Handle("sh -s", func(cmd remote.Cmd) (remote.Result, error) {
			token := tokenRE.FindString(string(cmd.Stdin))
			if token == "" || !cmd.Sudo {
				return remote.Result{ExitCode: 2, Stderr: []byte("no token or no sudo")}, nil
			}
			return remote.Result{Stdout: factsOutput(token, map[string]string{"/var/www/html/index.html": "RS1------RS1\n"})}, nil
		})
		fakes[name] = f
	}
	fakes["rs2"].Handle("sh -s", func(remote.Cmd) (remote.Result, error) {
		return remote.Result{ExitCode: 127, Stderr: []byte("sh: 1: ip: not found\nmore\n")}, nil
	})
	dialErr := errors.New("connection refused")
	dials := map[string]int{}
	s, err := NewSession(cfg, Options{Dial: func(_ context.Context, tg remote.Target, _ remote.Options) (remote.Conn, error) {
		dials[tg.Name]++
		if tg.Name == "dir" && dials["dir"] == 1 {
			return nil, dialErr
		}
		return fakes[tg.Name], nil
	}, Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, gathered, err := s.Plan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantErrs := []plan.HostError{
		{Host: "rs2", Error: "gather facts: script exited 127: sh: 1: ip: not found"},
		{Host: "dir", Error: "connection refused"},
	}
	if d := cmp.Diff(wantErrs, p.Errors); d != "" {
		t.Errorf("Errors (-want +got):\n%s", d)
	}
	if p.Applyable() || len(p.Hosts) != 1 || p.Hosts[0].Host != "rs1" {
		t.Fatalf("plan: %+v", p)
	}
	rs1 := p.Hosts[0]
	if rs1.Fingerprint != facts.Fingerprint(gathered["rs1"].Facts) || rs1.Role != plan.RoleRealServer {
		t.Errorf("rs1: fingerprint %q role %q", rs1.Fingerprint, rs1.Role)
	}
	var keys []string
	for _, c := range rs1.Changes {
		keys = append(keys, c.Action.Symbol()+" "+string(c.Kind)+" "+c.Key)
	}
	golden.Check(t, "rs1.changes.golden", strings.Join(keys, "\n")+"\n")
	if gathered["rs1"].Facts.PackageManager != "apt" || gathered["rs2"].Err == nil {
		t.Errorf("gathered: %+v", gathered)
	}
	// One script per host, run with sudo; the connection is reused.
	if cmds := fakes["rs1"].Commands(); len(cmds) != 1 || cmds[0] != "sh -s" {
		t.Errorf("rs1 commands: %q", cmds)
	}
	if _, _, err := s.Plan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if dials["rs1"] != 1 || dials["dir"] != 2 {
		t.Errorf("dials = %v (a failed dial is retried, a good connection reused)", dials)
	}
	// A cancelled context gives no plan.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := s.Plan(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Plan: %v", err)
	}
}

func TestGatherHostBadOutput(t *testing.T) {
	cfg := load(t, "lvs-nat", config.LoadOptions{})
	f := remote.NewFake("rs1")
	f.Handle("sh -s", func(remote.Cmd) (remote.Result, error) {
		return remote.Result{Stdout: []byte("sudo: noise only\n")}, nil
	})
	s, err := NewSession(cfg, Options{Dial: func(context.Context, remote.Target, remote.Options) (remote.Conn, error) { return f, nil }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.GatherHost(context.Background(), "rs1")
	if !errors.Is(err, facts.ErrTruncated) || !strings.HasPrefix(err.Error(), "gather facts: ") {
		t.Errorf("err = %v", err)
	}
}

func TestProgressfMasks(t *testing.T) {
	var b strings.Builder
	s, err := NewSession(load(t, "ha-nginx", config.LoadOptions{}), Options{Progress: &b})
	if err != nil {
		t.Fatal(err)
	}
	s.Progressf("web1", "pass %s", "aminglin")
	if b.String() != "web1: pass (sensitive)\n" {
		t.Errorf("progress = %q", b.String())
	}
}

// TestFileSizeLimitsAgree: the configuration accepts no managed file that
// facts gathering could not read back in full.
func TestFileSizeLimitsAgree(t *testing.T) {
	if config.MaxFileSize > facts.MaxFileSize {
		t.Errorf("config.MaxFileSize %d > facts.MaxFileSize %d: a managed file could never be found converged", config.MaxFileSize, facts.MaxFileSize)
	}
}
