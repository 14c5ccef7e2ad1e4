package verify

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/clusterctl/clusterctl/internal/remote"
)

func TestRunHappyPath(t *testing.T) {
	cfg := haConfig()
	s := haSim(cfg)
	s.bodies = func(int) string { return "web1 nginx" }
	opts := fastOptions()
	opts.Client = "client"
	rec := &recorder{}
	res, err := Run(context.Background(), cfg, s, opts, rec)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"pass precondition: every VIP held once, keepalived running",
		"pass VI_1: stop nginx on web1 → health check nginx restarts it",
		"pass VI_1: stop keepalived on web1 → VIPs move to web2",
		"pass VI_1: start keepalived on web1 → VIPs return",
		"pass traffic VI_1: http://192.168.19.100:80/",
	}
	if diff := cmp.Diff(want, summary(res.Steps)); diff != "" {
		t.Errorf("steps (-want +got):\n%s\n%v", diff, res.Steps)
	}
	if diff := cmp.Diff(summary(res.Steps), summary(rec.steps)); diff != "" {
		t.Errorf("reported steps differ from the result (-result +reported):\n%s", diff)
	}
	if res.Failed() {
		t.Error("Failed() = true")
	}
	wantCmds := []string{"systemctl stop nginx", "systemctl stop keepalived", "systemctl start keepalived"}
	if diff := cmp.Diff(wantCmds, s.mutations("web1")); diff != "" {
		t.Errorf("commands on web1 (-want +got):\n%s", diff)
	}
	if got := s.mutations("web2"); len(got) != 0 {
		t.Errorf("commands on web2 = %q, want none", got)
	}
	if got := s.mutations("client"); len(got) != 4 || got[0] != "curl -s -m 3 http://192.168.19.100:80/" {
		t.Errorf("client commands = %q, want 4 curls of the VIP", got)
	}
	details := strings.Join(res.Steps[2].Details, "\n")
	if !strings.Contains(details, "VIP 192.168.19.100 moved web1 → web2 in ") {
		t.Errorf("takeover details = %q", details)
	}
	if !strings.Contains(strings.Join(res.Steps[3].Details, "\n"), "VIP 192.168.19.100 returned web2 → web1 in ") {
		t.Errorf("return details = %q", res.Steps[3].Details)
	}
	for _, op := range s.fakes["web1"].Log() {
		if strings.HasPrefix(op.Cmd.Command, "systemctl") && !op.Cmd.Sudo {
			t.Errorf("%q sent without sudo", op.Cmd.Command)
		}
	}
}

func TestRunVIPNeverMoves(t *testing.T) {
	cfg := haConfig()
	s := haSim(cfg)
	s.moveOnStop = false
	res, err := Run(context.Background(), cfg, s, withSkipTraffic(fastOptions()), &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"pass precondition: every VIP held once, keepalived running",
		"pass VI_1: stop nginx on web1 → health check nginx restarts it",
		"fail VI_1: stop keepalived on web1 → VIPs move to web2",
		"pass cleanup: start keepalived on web1",
		"skip VI_1: start keepalived on web1 → VIPs return",
		"fail traffic VI_1: http://192.168.19.100:80/",
	}
	// The cleanup runs when the instance's steps are over, after the skip.
	want[3], want[4] = want[4], want[3]
	if diff := cmp.Diff(want, summary(res.Steps)); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if !strings.Contains(strings.Join(res.Steps[2].Details, "\n"), "192.168.19.100 held by web1") {
		t.Errorf("failure details = %q, want who holds the VIP", res.Steps[2].Details)
	}
	wantCmds := []string{"systemctl stop nginx", "systemctl stop keepalived", "systemctl start keepalived"}
	if diff := cmp.Diff(wantCmds, s.mutations("web1")); diff != "" {
		t.Errorf("commands on web1 (-want +got):\n%s", diff)
	}
	if !s.keepalived["web1"] {
		t.Error("keepalived was left stopped on web1")
	}
	if !res.Failed() {
		t.Error("Failed() = false")
	}
}

// withSkipTraffic makes curl fail, so the traffic step fails quickly.
func withSkipTraffic(o Options) Options {
	o.Client = "client"
	return o
}

func TestRunCleanupAfterMidStepFailure(t *testing.T) {
	cfg := haConfig()
	s := haSim(cfg)
	stopped := false
	s.onCommand = func(host, cmd string) {
		if host == "web1" && cmd == "systemctl stop keepalived" {
			stopped = true
		}
	}
	// The first probe of web2 after keepalived stopped breaks the
	// connection: the step fails in the middle of its polling.
	failed := false
	s.fakes["web2"].FailWhen(func(op remote.Op) bool {
		if stopped && !failed && strings.HasPrefix(op.Cmd.Command, "ip -o addr show") {
			failed = true
			return true
		}
		return false
	}, errors.New("connection lost"))
	opts := fastOptions()
	opts.SkipFailover = false
	res, err := Run(context.Background(), cfg, s, opts, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	got := summary(res.Steps)
	if len(got) < 5 || got[2] != "fail VI_1: stop keepalived on web1 → VIPs move to web2" || got[4] != "pass cleanup: start keepalived on web1" {
		t.Fatalf("steps = %q", got)
	}
	if d := strings.Join(res.Steps[2].Details, "\n"); !strings.Contains(d, "connection lost") {
		t.Errorf("details = %q, want the probe error", d)
	}
	if !s.keepalived["web1"] || !slices.Contains(s.holders, "web1") {
		t.Errorf("after cleanup: keepalived on web1 %v, holders %v", s.keepalived["web1"], s.holders)
	}
}

func TestRunInterruptedRestoresKeepalived(t *testing.T) {
	cfg := haConfig()
	s := haSim(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.onCommand = func(host, cmd string) {
		if cmd == "systemctl stop keepalived" {
			cancel() // Ctrl-C while keepalived is down on the master
		}
	}
	res, err := Run(ctx, cfg, s, fastOptions(), &recorder{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	want := []string{"systemctl stop nginx", "systemctl stop keepalived", "systemctl start keepalived"}
	if diff := cmp.Diff(want, s.mutations("web1")); diff != "" {
		t.Errorf("commands on web1 (-want +got):\n%s", diff)
	}
	last := res.Steps[len(res.Steps)-1]
	if last.Name != "cleanup: start keepalived on web1" || last.Status != Pass {
		t.Errorf("last step = %+v, want the cleanup", last)
	}
	for _, st := range res.Steps {
		if strings.HasPrefix(st.Name, "traffic") {
			t.Errorf("step %q ran after the interruption", st.Name)
		}
	}
}

func TestRunNopreemptStays(t *testing.T) {
	cfg := haConfig()
	cfg.VRRPInstances["VI_1"].Nopreempt = true
	cfg.VRRPInstances["VI_1"].TrackScripts = nil
	s := haSim(cfg)
	s.holders = []string{"web2"} // came up first
	opts := fastOptions()
	opts.Client = "client"
	s.bodies = func(int) string { return "ok" }
	res, err := Run(context.Background(), cfg, s, opts, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"pass precondition: every VIP held once, keepalived running",
		"skip health check restarts the tracked service",
		"pass VI_1: stop keepalived on web2 → VIPs move to web1",
		"pass VI_1: start keepalived on web2 → VIPs stay on the new master (nopreempt)",
		"skip traffic",
	}
	if diff := cmp.Diff(want, summary(res.Steps)); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"web1"}, s.holders); diff != "" {
		t.Errorf("holders (-want +got):\n%s", diff)
	}
}

func TestRunPreconditionSplitBrain(t *testing.T) {
	cfg := haConfig()
	s := haSim(cfg)
	s.holders = []string{"web1", "web2"}
	res, err := Run(context.Background(), cfg, s, withSkipTraffic(fastOptions()), &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(res.Steps)[:2]; !cmp.Equal(got, []string{
		"fail precondition: every VIP held once, keepalived running",
		"skip failover tests",
	}) {
		t.Errorf("steps = %q", summary(res.Steps))
	}
	if d := strings.Join(res.Steps[0].Details, "\n"); !strings.Contains(d, "split brain: VIP 192.168.19.100 is held by web1 and web2") {
		t.Errorf("details = %q", d)
	}
	for _, h := range []string{"web1", "web2"} {
		if got := s.mutations(h); len(got) != 0 {
			t.Errorf("%s: commands %q sent to an unhealthy cluster", h, got)
		}
	}
}

func TestRunHealthCheckNeverRestarts(t *testing.T) {
	cfg := haConfig()
	s := haSim(cfg)
	s.nginxRestartAfter = 0
	res, err := Run(context.Background(), cfg, s, withSkipTraffic(fastOptions()), &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	got := summary(res.Steps)
	if got[1] != "fail VI_1: stop nginx on web1 → health check nginx restarts it" || got[2] != "pass cleanup: start nginx on web1" {
		t.Errorf("steps = %q", got)
	}
	if s.nginx["web1"] == 0 {
		t.Error("nginx left stopped on web1")
	}
}

func TestRunUnknownClient(t *testing.T) {
	cfg := haConfig()
	_, err := Run(context.Background(), cfg, haSim(cfg), Options{Client: "nope"}, &recorder{})
	if !errors.Is(err, ErrUnknownClient) {
		t.Errorf("err = %v, want ErrUnknownClient", err)
	}
}
