package pipeline

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/facts/factstest"
	"github.com/clusterctl/clusterctl/internal/golden"
	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/google/go-cmp/cmp"
)

func load(t *testing.T, example string, opts config.LoadOptions) *config.Config {
	t.Helper()
	cfg, diags := config.NewLoader().Load("../../examples/lab-19.x/"+example, opts)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return cfg
}

func TestOpenTargets(t *testing.T) {
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
			s, err := Open(cfg, Options{Targets: tt.targets})
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

func TestMasker(t *testing.T) {
	cfg := load(t, "ha-nginx", config.LoadOptions{Vars: []string{"vrrp_password=s3cret"}})
	m := open(t, cfg, Options{}).Masker
	if got := m.String("auth_pass s3cret"); got != "auth_pass (sensitive)" {
		t.Errorf("auth_pass not masked: %q", got)
	}
	def := open(t, load(t, "ha-nginx", config.LoadOptions{}), Options{}).Masker
	if got := def.String("auth_pass aminglin"); got != "auth_pass (sensitive)" {
		t.Errorf("default auth_pass not masked: %q", got)
	}
	if got := open(t, load(t, "lvs-nat", config.LoadOptions{}), Options{}).Masker.String("nothing secret"); got != "nothing secret" {
		t.Errorf("masked without secrets: %q", got)
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
	s, err := Open(cfg, Options{Dial: func(_ context.Context, tg remote.Target, _ remote.Options) (remote.Conn, error) {
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
	p, err := s.Plan(context.Background(), nil)
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
	// A second gather reuses the good connections and dials dir again.
	gathered := s.Gather(context.Background())
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
	// One script per host and gather, run with sudo.
	if cmds := fakes["rs1"].Commands(); len(cmds) != 2 || cmds[0] != "sh -s" {
		t.Errorf("rs1 commands: %q", cmds)
	}
	if dials["rs1"] != 1 || dials["dir"] != 2 {
		t.Errorf("dials = %v (a failed dial is retried, a good connection reused)", dials)
	}
	// A cancelled context gives no plan.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Plan(ctx, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Plan: %v", err)
	}
}

func TestGatherHostBadOutput(t *testing.T) {
	cfg := load(t, "lvs-nat", config.LoadOptions{})
	f := remote.NewFake("rs1")
	f.Handle("sh -s", func(remote.Cmd) (remote.Result, error) {
		return remote.Result{Stdout: []byte("sudo: noise only\n")}, nil
	})
	s, err := Open(cfg, Options{Dial: func(context.Context, remote.Target, remote.Options) (remote.Conn, error) { return f, nil }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.GatherHost(context.Background(), "rs1")
	if !errors.Is(err, facts.ErrTruncated) || !strings.HasPrefix(err.Error(), "gather facts: ") {
		t.Errorf("err = %v", err)
	}
}

func open(t *testing.T, cfg *config.Config, opts Options) *Cluster {
	t.Helper()
	c, err := Open(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
