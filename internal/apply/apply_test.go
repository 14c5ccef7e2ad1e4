package apply

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/clusterctl/clusterctl/internal/golden"
	"github.com/clusterctl/clusterctl/internal/hostops"

	"github.com/clusterctl/clusterctl/internal/secret"

	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/google/go-cmp/cmp"
)

func TestApplyTranscripts(t *testing.T) {
	tests := []struct {
		example string
		hosts   []string // in apply order
	}{
		{"ha-nginx", []string{"web2", "web1"}},
		{"lvs-nat", []string{"rs1", "rs2", "dir"}},
	}
	for _, tt := range tests {
		t.Run(tt.example, func(t *testing.T) {
			c := newCluster(t, tt.example)
			p := c.planFresh()
			rec := &recorder{}
			opts := c.options()
			opts.Reporter = rec
			res, err := Run(context.Background(), p, c.hosts(), opts)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if d := cmp.Diff(tt.hosts, res.Done); tt.example == "ha-nginx" && d != "" {
				t.Errorf("Done (-want +got):\n%s", d)
			}
			if len(res.Done) != len(tt.hosts) || res.Failed != "" || len(res.NotStarted) != 0 {
				t.Errorf("Result = %+v", res)
			}
			if res.Summary != p.Summary() {
				t.Errorf("Result.Summary = %+v, plan says %+v", res.Summary, p.Summary())
			}
			golden.Check(t, tt.example+".transcript.golden", c.transcript(tt.hosts...))
			for _, e := range rec.events {
				if secret.Appears(e.Message, "aminglin") {
					t.Errorf("secret in event %+v", e)
				}
			}
			// Every file went, in one command, through a private temporary
			// file and a rename; nothing used SFTP (one more session).
			for _, h := range tt.hosts {
				for _, op := range c.fakes[h].Log() {
					switch {
					case op.Kind != remote.OpRun:
						t.Errorf("%s: %s", h, op)
					case strings.HasPrefix(op.Cmd.Command, "t="):
						if !strings.Contains(op.Cmd.Command, `( umask 077; set -C; cat > "$t" )`) || !strings.Contains(op.Cmd.Command, `mv -f "$t" "$p"`) {
							t.Errorf("%s: not a private upload and a rename: %s", h, op.Cmd.Command)
						}
					}
				}
			}
		})
	}
}

// TestApplyLabAGates checks the rollout of lab A from nothing: no member
// runs keepalived yet, so both are applied, their keepalived started at
// the same moment, and gated together, in one wave.
func TestApplyLabAGates(t *testing.T) {
	c := newCluster(t, "ha-nginx")
	p := c.planFresh()
	if got := fmt.Sprint(p.Waves); got != "[{[web2+web1]}]" {
		t.Fatalf("waves = %s, want one step of both members", got)
	}
	rec := &recorder{}
	opts := c.options()
	opts.Reporter = rec
	if _, err := Run(context.Background(), p, c.hosts(), opts); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range rec.events {
		switch {
		case e.Step == "apply" || e.Step == "gate" || e.Step == "wave":
			got = append(got, e.Host+" "+e.Step+" "+e.Status)
		case strings.HasPrefix(e.Message, "keepalived started"):
			got = append(got, e.Host+" "+e.Message)
		}
	}
	want := []string{
		" wave start",
		"web2 apply start", "web2 apply done", "web1 apply start", "web1 apply done",
		"web2 keepalived started together with web1", "web1 keepalived started together with web2",
		"web2 gate start", "web1 gate start", "web2 gate done", "web1 gate done",
		" wave done",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("events (-want +got):\n%s", d)
	}
}

func TestApplyKeepalivedRejects(t *testing.T) {
	c := newCluster(t, "ha-nginx")
	const msg = "(/etc/keepalived/.clusterctl-keepalived.conf.tmp: Line 24) number '351' outside range [1, 255]"
	c.fakes["web2"].Handle("t=/etc/keepalived/.clusterctl-keepalived.conf.", func(remote.Cmd) (remote.Result, error) {
		// What hostops' WriteFile command says when keepalived -t rejects
		// the file (tested on a real shell in hostops).
		return remote.Result{Stderr: []byte(msg + "\nclusterctl: validator exited 5\n"), ExitCode: 73}, nil
	})
	p := c.planFresh()
	res, err := Run(context.Background(), p, c.hosts(), c.options())
	if !errors.Is(err, ErrValidation) {
		t.Fatalf("err = %v, want ErrValidation", err)
	}
	var verr *hostops.ValidationError
	if !errors.As(err, &verr) || verr.ExitCode != 5 || verr.Output != msg {
		t.Errorf("validation error = %#v", verr)
	}
	for _, w := range []string{"web2", "files", "/etc/keepalived/keepalived.conf", msg, "exited 5", "untouched"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q: %v", w, err)
		}
	}
	if res.Failed != "web2" || len(res.Done) != 0 || fmt.Sprint(res.NotStarted) != "[web1]" {
		t.Errorf("Result = %+v", res)
	}
	web2 := c.fakes["web2"]
	if _, ok := web2.File("/etc/keepalived/keepalived.conf"); ok {
		t.Error("the rejected keepalived.conf is in place")
	}
	if containsCommand(web2, "systemctl") {
		t.Errorf("the services step ran after a failed validation:\n%s", strings.Join(web2.Commands(), "\n"))
	}
	// The check script (not validated) went first and is in place.
	if _, ok := web2.File("/usr/local/sbin/check_ng.sh"); !ok {
		t.Error("check_ng.sh not in place before keepalived.conf was checked")
	}
	if log := c.fakes["web1"].Log(); len(log) != 0 {
		t.Errorf("web1 was touched: %s", c.fakes["web1"].Transcript())
	}
}

// TestApplyUploadFails: a file whose upload fails (the directory cannot
// be made), and one whose reply is lost, stop the host at the files step
// with an error naming the step, the file and the stage; nothing after
// runs, and the hosts after it are not started.
func TestApplyUploadFails(t *testing.T) {
	for _, tt := range []struct {
		name string
		arm  func(f *remote.Fake)
		want []string
	}{
		{"upload stage", func(f *remote.Fake) {
			f.Handle("t=/usr/local/sbin/.clusterctl-check_ng.sh.", func(remote.Cmd) (remote.Result, error) {
				return remote.Result{Stderr: []byte("mkdir: cannot create directory '/usr/local/sbin': Read-only file system\n"), ExitCode: 71}, nil
			})
		}, []string{"web2", "files: /usr/local/sbin/check_ng.sh: upload: command failed (exit 71): mkdir: cannot create directory"}},
		{"lost reply", func(f *remote.Fake) {
			f.FailWhen(func(op remote.Op) bool { return strings.HasPrefix(op.Cmd.Command, "t=/usr/local/sbin/") }, errors.New("ssh: connection lost"))
		}, []string{"web2", "files: /usr/local/sbin/check_ng.sh: write file: ssh: connection lost"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t, "ha-nginx")
			tt.arm(c.fakes["web2"])
			p := c.planFresh()
			res, err := Run(context.Background(), p, c.hosts(), c.options())
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want %q", err, w)
				}
			}
			if errors.Is(err, ErrValidation) {
				t.Errorf("reported as a rejection: %v", err)
			}
			web2 := c.fakes["web2"]
			if containsCommand(web2, "t=/etc/keepalived/") || containsCommand(web2, "systemctl") {
				t.Errorf("the host went on after the failed file:\n%s", strings.Join(commands(web2), "\n"))
			}
			if res.Failed != "web2" || fmt.Sprint(res.NotStarted) != "[web1]" {
				t.Errorf("Result = %+v", res)
			}
		})
	}
}

func TestApplyGateTimeout(t *testing.T) {
	c := newCluster(t, "ha-nginx")
	c.vipNever = true
	p := c.planFresh()
	opts := c.options()
	opts.GateTimeout = 3 * time.Second
	start := time.Now()
	res, err := Run(context.Background(), p, c.hosts(), opts)
	if !errors.Is(err, ErrGate) {
		t.Fatalf("err = %v, want ErrGate", err)
	}
	// The timeout counts from when a state could prove anything: the
	// settle window (a master-down interval and an advert interval after
	// keepalived started) and the stability interval come on top.
	in := p.Instances[0]
	wait := 3*time.Second + time.Duration(in.SettleSeconds()*float64(time.Second)) + time.Second
	for _, w := range []string{"web2, web1: stopped the rollout after these directors", "cluster did not settle after", "VI_1: no node holds VIP 192.168.19.100"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q: %v", w, err)
		}
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("the gate waited in real time")
	}
	if c.clock.slept < wait || c.clock.slept > wait+500*time.Millisecond {
		t.Errorf("slept %s in %d sleeps, want %s", c.clock.slept, c.clock.sleeps, wait)
	}
	// Both members were started together, gated together and rolled
	// back: keepalived stopped again, files removed.
	if fmt.Sprint(res.RolledBack) != "[web2 web1]" || !res.RollbackSettled || len(res.NotStarted) != 0 {
		t.Errorf("Result = %+v", res)
	}
	for _, h := range []string{"web1", "web2"} {
		if !containsCommand(c.fakes[h], "systemctl stop keepalived") {
			t.Errorf("%s: keepalived not stopped by the rollback:\n%s", h, c.fakes[h].Transcript())
		}
	}
}

// A VIP on lo (a director that is also a DR real server) does not make its
// host a VRRP holder: the gate decides as status and verify do.
func TestApplyGateIgnoresVIPOnLo(t *testing.T) {
	c := newCluster(t, "ha-nginx")
	c.vipOnLo = map[string]bool{"web2": true}
	p := c.planFresh()
	if _, err := Run(context.Background(), p, c.hosts(), c.options()); err != nil {
		t.Fatalf("a VIP on lo was taken for a second holder: %v", err)
	}
}

func TestApplySplitBrainGate(t *testing.T) {
	c := newCluster(t, "ha-nginx")
	// web1 already holds the VIP (an old keepalived) while web2 starts.
	c.running["web1"] = true
	c.fakes["web1"].Handle("ip -o addr show", func(remote.Cmd) (remote.Result, error) {
		return remote.Result{Stdout: []byte("2: ens33    inet 192.168.19.100/32 scope global ens33\n")}, nil
	})
	c.fakes["web2"].Handle("ip -o addr show", func(remote.Cmd) (remote.Result, error) {
		return remote.Result{Stdout: []byte("2: ens33    inet 192.168.19.100/32 scope global ens33\n")}, nil
	})
	p := c.planFresh()
	_, err := Run(context.Background(), p, c.hosts(), c.options())
	if !errors.Is(err, ErrGate) || !strings.Contains(err.Error(), "split brain: VIP 192.168.19.100 is held by web1 and web2") {
		t.Fatalf("err = %v", err)
	}
}

func TestApplyCancelBetweenSteps(t *testing.T) {
	c := newCluster(t, "ha-nginx")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.fakes["web2"].Handle("DEBIAN_FRONTEND=", func(remote.Cmd) (remote.Result, error) {
		cancel() // Ctrl-C while packages install
		return remote.Result{}, nil
	})
	p := c.planFresh()
	res, err := Run(ctx, p, c.hosts(), c.options())
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "interrupted before files") {
		t.Fatalf("err = %v", err)
	}
	web2 := c.fakes["web2"]
	for _, op := range web2.Log() {
		if op.Kind == remote.OpWrite || op.Kind == remote.OpRename {
			t.Errorf("a step ran after the cancel: %s", op)
		}
	}
	if got := len(web2.Commands()); got != 1 {
		t.Errorf("%d commands on web2, want only the package install:\n%s", got, web2.Transcript())
	}
	if res.Failed != "web2" || fmt.Sprint(res.NotStarted) != "[web1]" || len(c.fakes["web1"].Log()) != 0 {
		t.Errorf("Result = %+v; web1: %s", res, c.fakes["web1"].Transcript())
	}
}

func TestApplyRefusesPlanWithErrors(t *testing.T) {
	c := newCluster(t, "ha-nginx")
	p := c.planFresh()
	p.Errors = []plan.HostError{{Host: "web1", Error: "unreachable"}}
	if _, err := Run(context.Background(), p, c.hosts(), c.options()); err == nil {
		t.Fatal("a plan with errors was applied")
	}
	for h, f := range c.fakes {
		if len(f.Log()) != 0 {
			t.Errorf("%s touched", h)
		}
	}
}

// ipvsPlan is a plan for lab B's director with only the given IPVS edits.
func ipvsPlan(edits ...ipvs.Edit) *plan.Plan {
	hp := plan.HostPlan{Host: "dir", Role: plan.RoleMasterDirector, Fingerprint: "f"}
	for _, e := range edits {
		hp.Changes = append(hp.Changes, plan.Change{Kind: plan.KindIPVS, Key: e.Service.Key.String(), Action: plan.Update, Op: &plan.IPVSOp{Edit: e}})
	}
	p := &plan.Plan{FormatVersion: plan.FormatVersion, ConfigDigest: "d", Hosts: []plan.HostPlan{hp}}
	p.PlanWaves(nil)
	return p
}

var webKey = ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: netip.MustParseAddrPort("192.168.47.128:80")}

func realServer(i int) ipvs.Destination {
	return ipvs.Destination{Addr: netip.MustParseAddrPort(fmt.Sprintf("192.168.19.%d:80", 100+i)), Forward: ipvs.Masq, Weight: 1}
}

func TestApplyIPVSBatch(t *testing.T) {
	for _, n := range []int{hostops.IPVSBatchThreshold, hostops.IPVSBatchThreshold + 1} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			c := newCluster(t, "lvs-nat")
			edits := []ipvs.Edit{{Op: ipvs.AddService, Service: ipvs.Service{Key: webKey, Scheduler: "wlc"}}}
			for i := 1; i < n; i++ {
				edits = append(edits, ipvs.Edit{Op: ipvs.AddDest, Service: ipvs.Service{Key: webKey}, Dest: realServer(i)})
			}
			p := ipvsPlan(edits...)
			res, err := Run(context.Background(), p, c.hosts(), c.options())
			if err != nil {
				t.Fatal(err)
			}
			if res.Summary.Change != n {
				t.Errorf("Summary = %+v", res.Summary)
			}
			var ipvsCmds []remote.Op
			for _, op := range c.fakes["dir"].Log() {
				if op.Kind == remote.OpRun && strings.HasPrefix(op.Cmd.Command, "ipvsadm") {
					ipvsCmds = append(ipvsCmds, op)
				}
			}
			var want []string
			for _, e := range edits {
				want = append(want, e.String())
			}
			if n <= hostops.IPVSBatchThreshold {
				var got []string
				for _, op := range ipvsCmds {
					got = append(got, strings.TrimPrefix(op.Cmd.Command, "ipvsadm "))
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("one command per edit (-want +got):\n%s", d)
				}
				return
			}
			if len(ipvsCmds) != 1 || ipvsCmds[0].Cmd.Command != "ipvsadm -R" || !ipvsCmds[0].Cmd.Sudo {
				t.Fatalf("want one sudo ipvsadm -R, got %v", ipvsCmds)
			}
			if d := cmp.Diff(strings.Join(want, "\n")+"\n", string(ipvsCmds[0].Cmd.Stdin)); d != "" {
				t.Errorf("ipvsadm -R input (-want +got):\n%s", d)
			}
		})
	}
}

// listOut is `ipvsadm -L -n` with rs4 at the given active connections.
func listOut(active int) string {
	return fmt.Sprintf(`IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  192.168.47.128:80 wlc persistent 3
  -> 192.168.19.102:80            Masq    1      4          9
  -> 192.168.19.104:80            Masq    0      %d          2
`, active)
}

func TestApplyDrain(t *testing.T) {
	tests := []struct {
		name    string
		active  []int // ActiveConn reported by successive listings
		timeout time.Duration
		lists   int
		info    string
	}{
		{"drains to zero", []int{3, 1, 0}, 10 * time.Second, 3, ""},
		{"times out and deletes", []int{5}, 3 * time.Second, 4, "drain of 192.168.19.104:80 timed out with 5 active connections; deleting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t, "lvs-nat")
			calls := 0
			c.fakes["dir"].Handle("ipvsadm -L -n", func(remote.Cmd) (remote.Result, error) {
				a := tt.active[min(calls, len(tt.active)-1)]
				calls++
				return remote.Result{Stdout: []byte(listOut(a))}, nil
			})
			rs4 := realServer(4)
			p := ipvsPlan(ipvs.Edit{Op: ipvs.DeleteDest, Service: ipvs.Service{Key: webKey}, Dest: rs4})
			rec := &recorder{}
			opts := c.options()
			opts.DrainTimeout = tt.timeout
			opts.Reporter = rec
			if _, err := Run(context.Background(), p, c.hosts(), opts); err != nil {
				t.Fatal(err)
			}
			want := []string{"ipvsadm -e -t 192.168.47.128:80 -r 192.168.19.104:80 -m -w 0 -x 0 -y 0"}
			for i := 0; i < tt.lists; i++ {
				want = append(want, "ipvsadm -L -n")
			}
			want = append(want, "ipvsadm -d -t 192.168.47.128:80 -r 192.168.19.104:80")
			var got []string
			for _, cmd := range c.fakes["dir"].Commands() {
				if strings.HasPrefix(cmd, "ipvsadm") {
					got = append(got, cmd)
				}
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("commands (-want +got):\n%s", d)
			}
			var infos []string
			for _, e := range rec.events {
				if e.Status == StatusInfo && e.Step == "ipvs" {
					infos = append(infos, e.Message)
				}
			}
			if tt.info != "" && (len(infos) != 1 || infos[0] != tt.info) {
				t.Errorf("info events = %q, want %q", infos, tt.info)
			}
			if tt.info == "" && len(infos) != 0 {
				t.Errorf("info events = %q", infos)
			}
		})
	}
}

func TestApplyNoDrainWithoutTimeout(t *testing.T) {
	c := newCluster(t, "lvs-nat")
	p := ipvsPlan(ipvs.Edit{Op: ipvs.DeleteDest, Service: ipvs.Service{Key: webKey}, Dest: realServer(4)})
	if _, err := Run(context.Background(), p, c.hosts(), c.options()); err != nil {
		t.Fatal(err)
	}
	want := []string{"ipvsadm -d -t 192.168.47.128:80 -r 192.168.19.104:80"}
	var got []string
	for _, cmd := range c.fakes["dir"].Commands() {
		if strings.HasPrefix(cmd, "ipvsadm") {
			got = append(got, cmd)
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("commands (-want +got):\n%s", d)
	}
}

func TestApplyEffectsOnly(t *testing.T) {
	// A plan whose only consequence is a reload still runs the services step.
	c := newCluster(t, "ha-nginx")
	p := &plan.Plan{FormatVersion: plan.FormatVersion, ConfigDigest: "d", Hosts: []plan.HostPlan{
		{Host: "web2", Role: plan.RoleBackupDirector, Fingerprint: "f", Effects: []plan.Effect{{Service: "keepalived", Action: "reload", Reason: "x changed"}}},
		{Host: "web1", Role: plan.RoleMasterDirector, Fingerprint: "f"},
	}}
	p.PlanWaves(nil)
	c.running["web1"], c.running["web2"] = true, true
	res, err := Run(context.Background(), p, c.hosts(), c.options())
	if err != nil {
		t.Fatal(err)
	}
	if !containsCommand(c.fakes["web2"], "systemctl reload keepalived") {
		t.Errorf("no reload:\n%s", c.fakes["web2"].Transcript())
	}
	if containsCommand(c.fakes["web1"], "systemctl") {
		t.Errorf("web1 (no changes) got systemctl:\n%s", c.fakes["web1"].Transcript())
	}
	if fmt.Sprint(res.Done) != "[web1 web2]" { // web1 had nothing to do
		t.Errorf("Done = %v", res.Done)
	}
}
