package status

import (
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/clusterctl/clusterctl/internal/golden"

	"github.com/google/go-cmp/cmp"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/kastate"
	"github.com/clusterctl/clusterctl/internal/resource"
)

var at = time.Date(2026, 12, 1, 8, 10, 0, 0, time.UTC)

// testConfig is lab A (two nginx nodes sharing a VIP, nginx managed on
// both) plus a director of lab B with two real servers.
func testConfig() *config.Config {
	vip := netip.MustParsePrefix("192.168.19.100/32")
	return &config.Config{
		Hosts: map[string]*config.Host{
			"web1": {Name: "web1", Services: []string{"nginx"}}, "web2": {Name: "web2", Services: []string{"nginx"}}, "dir": {Name: "dir"},
		},
		VRRPInstances: map[string]*config.VRRPInstance{
			"VI_1": {
				Name: "VI_1", Interface: "ens33", AdvertInt: 1, VirtualRouterID: 51, VirtualIPs: []netip.Prefix{vip},
				Members: []*config.Member{{Host: "web1", Priority: 100}, {Host: "web2", Priority: 90}},
			},
		},
		VirtualServers: map[string]*config.VirtualServer{
			"web": {
				Name: "web", Address: netip.MustParseAddrPort("192.168.47.128:80"), Protocol: "tcp",
				Mode: config.ModeNAT, Scheduler: "wlc", Persistence: 3, ManagedBy: config.ManagedByClusterctl,
				Directors: []string{"dir"},
				RealServers: []*config.RealServer{
					{Host: "rs1", Address: netip.MustParseAddr("192.168.19.102"), Port: 80, Weight: 1},
					{Host: "rs2", Address: netip.MustParseAddr("192.168.19.103"), Port: 80, Weight: 1},
				},
			},
		},
	}
}

func addrs(list ...string) []resource.Address {
	var out []resource.Address
	for _, s := range list {
		dev, p, _ := strings.Cut(s, " ")
		out = append(out, resource.Address{Dev: dev, Prefix: netip.MustParsePrefix(p)})
	}
	return out
}

const vip = "192.168.19.100/32"

// member is a VRRP member as keepalived reports it: its state for VI_1,
// whether its tracked script chk_nginx is good, and whether it holds the
// VIP on ens33. State "" means keepalived is not running; "?" that it runs
// but did not answer the dump signal.
func member(state kastate.State, scriptGood, holds bool) *facts.Host {
	running := state != ""
	n := map[bool]int{true: 1}[running]
	word := map[bool]string{true: "active", false: "inactive"}[running]
	f := &facts.Host{
		Addresses: addrs("ens33 192.168.19.101/24"),
		Processes: map[string]int{"keepalived": n, "nginx": 2},
		Services: map[string]facts.ServiceState{
			"keepalived": {Known: true, Active: running, ActiveState: word, Enabled: true, EnabledState: "enabled"},
			"nginx":      {Known: true, Active: true, ActiveState: "active", Enabled: true, EnabledState: "enabled"},
		},
		Keepalived: &facts.Keepalived{},
	}
	if holds {
		f.Addresses = append(f.Addresses, addrs("ens33 "+vip)...)
	}
	switch state {
	case "":
		return f
	case "?":
		f.Keepalived = &facts.Keepalived{Running: true, PID: 42, Problems: []string{"keepalived.data: not written within 3.0s of the signal"}}
		return f
	}
	// Priorities are left 0 (not reported): the view then shows the
	// configured ones; a test that needs them sets them.
	f.Keepalived = &facts.Keepalived{
		Running: true, PID: 42, JSON: true,
		View: kastate.View{
			Sources: []string{"json", "data"},
			Instances: []kastate.Instance{{
				Name: "VI_1", State: state, WantState: state, VRID: 51, Interface: "ens33",
				LastTransition: at.Add(-90 * time.Second),
				TrackScripts:   []kastate.Tracked{{Name: "chk_nginx"}},
				Stats:          &kastate.Stats{AdvertSent: 9},
			}},
			Scripts:    map[string]kastate.Script{"chk_nginx": {Name: "chk_nginx", Good: scriptGood}},
			Interfaces: map[string]kastate.Interface{"ens33": {Name: "ens33", Up: true, Running: true}},
		},
	}
	return f
}

var (
	rs1 = netip.MustParseAddrPort("192.168.19.102:80")
	rs2 = netip.MustParseAddrPort("192.168.19.103:80")
	vsk = ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: netip.MustParseAddrPort("192.168.47.128:80")}
)

// director returns the facts of a director whose table holds the lab's
// service with both configured real servers.
func director() *facts.Host {
	return &facts.Host{
		Addresses:  addrs("ens37 192.168.47.128/24"),
		Processes:  map[string]int{},
		Services:   map[string]facts.ServiceState{},
		IPVSStatus: facts.Status{State: facts.StatusOK},
		IPVS: ipvs.Table{Services: []ipvs.Service{{
			Key: vsk, Scheduler: "wlc", Persistent: true, Timeout: 3,
			Destinations: []ipvs.Destination{{Addr: rs1, Forward: ipvs.Masq, Weight: 1}, {Addr: rs2, Forward: ipvs.Masq, Weight: 1}},
		}}},
		IPVSStats: ipvs.Stats{Services: []ipvs.ServiceStats{{
			Key: vsk, Scheduler: "wlc", Counters: ipvs.Counters{Conns: 12, InPkts: 80, OutPkts: 70},
			Destinations: []ipvs.DestStats{
				{Addr: rs1, Forward: ipvs.Masq, Weight: 1, ActiveConn: 3, InActConn: 7, Counters: ipvs.Counters{Conns: 10}},
				{Addr: rs2, Forward: ipvs.Masq, Weight: 1, Counters: ipvs.Counters{Conns: 2}},
			},
		}}},
	}
}

func healthyFacts() map[string]*facts.Host {
	return map[string]*facts.Host{
		"web1": member(kastate.StateMaster, true, true),
		"web2": member(kastate.StateBackup, true, false),
		"dir":  director(),
	}
}

func TestBuildReport(t *testing.T) {
	cases := []struct {
		name    string
		edit    func(f map[string]*facts.Host, errs map[string]error)
		verdict Verdict
		// findings are the findings' texts, in order.
		findings []string
		states   []string
		vip      VIP
	}{
		{
			name:    "healthy",
			verdict: Healthy, findings: []string{},
			states: []string{"MASTER", "BACKUP"},
			vip:    VIP{Address: vip, State: VIPOK, Holders: []string{"web1"}},
		},
		{
			name: "FAULT: a failing track script on the backup",
			edit: func(f map[string]*facts.Host, _ map[string]error) {
				f["web2"] = member(kastate.StateFault, false, false)
			},
			verdict:  Degraded,
			findings: []string{"VI_1: web2 is in FAULT: tracked script chk_nginx is failing"},
			states:   []string{"MASTER", "FAULT"},
			vip:      VIP{Address: vip, State: VIPOK, Holders: []string{"web1"}},
		},
		{
			name: "FAULT on the master: the backup took over",
			edit: func(f map[string]*facts.Host, _ map[string]error) {
				f["web1"] = member(kastate.StateFault, false, false)
				f["web2"] = member(kastate.StateMaster, true, true)
			},
			verdict: Degraded,
			findings: []string{
				"VI_1: web1 is in FAULT: tracked script chk_nginx is failing",
				"VI_1: 192.168.19.100 is held by web2, not by the expected master web1",
			},
			states: []string{"FAULT", "MASTER"},
			vip:    VIP{Address: vip, State: VIPOK, Holders: []string{"web2"}},
		},
		{
			name: "STOP: keepalived stopped on the backup",
			edit: func(f map[string]*facts.Host, _ map[string]error) {
				f["web2"] = member("", false, false)
			},
			verdict:  Degraded,
			findings: []string{"VI_1: web2 is STOP: keepalived is not running there"},
			states:   []string{"MASTER", "STOP"},
			vip:      VIP{Address: vip, State: VIPOK, Holders: []string{"web1"}},
		},
		{
			name: "split brain: both MASTER, both hold the VIP",
			edit: func(f map[string]*facts.Host, _ map[string]error) {
				f["web2"] = member(kastate.StateMaster, true, true)
			},
			verdict: Broken,
			findings: []string{
				"VI_1: split brain: keepalived is MASTER on web1 and web2",
				"VI_1: split brain: 192.168.19.100 is held by web1 and web2",
			},
			states: []string{"MASTER", "MASTER"},
			vip:    VIP{Address: vip, State: VIPSplitBrain, Holders: []string{"web1", "web2"}},
		},
		{
			name: "stale VIP after a crash is a split brain",
			edit: func(f map[string]*facts.Host, _ map[string]error) {
				f["web1"] = member("", false, true)
				f["web2"] = member(kastate.StateMaster, true, true)
			},
			verdict: Broken,
			findings: []string{
				"VI_1: split brain: 192.168.19.100 is held by web1 and web2",
				"VI_1: web1 holds a VIP but keepalived is not running there (stale address after a crash?)",
				"VI_1: web1 is STOP: keepalived is not running there",
			},
			states: []string{"STOP", "MASTER"},
			vip:    VIP{Address: vip, State: VIPSplitBrain, Holders: []string{"web1", "web2"}},
		},
		{
			name: "VIP down: keepalived stopped everywhere",
			edit: func(f map[string]*facts.Host, _ map[string]error) {
				f["web1"], f["web2"] = member("", false, false), member("", false, false)
			},
			verdict: Broken,
			findings: []string{
				"VI_1: 192.168.19.100 is down: no member holds it",
				"VI_1: web1 is STOP: keepalived is not running there",
				"VI_1: web2 is STOP: keepalived is not running there",
			},
			states: []string{"STOP", "STOP"},
			vip:    VIP{Address: vip, State: VIPDown, Holders: []string{}},
		},
		{
			name: "MASTER without its VIP",
			edit: func(f map[string]*facts.Host, _ map[string]error) {
				f["web1"] = member(kastate.StateMaster, true, false)
			},
			verdict: Broken,
			findings: []string{
				"VI_1: web1 is MASTER but holds 0 of its 1 VIPs on ens33",
				"VI_1: 192.168.19.100 is down: no member holds it",
			},
			states: []string{"MASTER", "BACKUP"},
			vip:    VIP{Address: vip, State: VIPDown, Holders: []string{}},
		},
		{
			name: "a weighted track script failing on the backup: still BACKUP, not healthy",
			edit: func(f map[string]*facts.Host, _ map[string]error) {
				f["web2"] = member(kastate.StateBackup, false, false)
				f["web2"].Keepalived.View.Instances[0].TrackScripts[0].Weight = -20
				f["web2"].Keepalived.View.Instances[0].EffectivePriority = 70
			},
			verdict:  Degraded,
			findings: []string{"VI_1: web2: tracked script chk_nginx is failing (weight -20, priority 70 of 90)"},
			states:   []string{"MASTER", "BACKUP"},
			vip:      VIP{Address: vip, State: VIPOK, Holders: []string{"web1"}},
		},
		{
			name: "keepalived runs but does not answer",
			edit: func(f map[string]*facts.Host, _ map[string]error) {
				f["web2"] = member("?", false, false)
			},
			verdict:  Degraded,
			findings: []string{"web2: keepalived's own view is incomplete: keepalived.data: not written within 3.0s of the signal"},
			states:   []string{"MASTER", "UNKNOWN"},
			vip:      VIP{Address: vip, State: VIPOK, Holders: []string{"web1"}},
		},
		{
			name: "unreachable backup",
			edit: func(f map[string]*facts.Host, errs map[string]error) {
				delete(f, "web2")
				errs["web2"] = errors.New("dial tcp 192.168.19.102:22: connect: no route to host")
			},
			verdict:  Degraded,
			findings: []string{"web2: unreachable: dial tcp 192.168.19.102:22: connect: no route to host"},
			states:   []string{"MASTER", "UNKNOWN"},
			vip:      VIP{Address: vip, State: VIPOK, Holders: []string{"web1"}},
		},
		{
			name: "unreachable master, nobody else holds the VIP",
			edit: func(f map[string]*facts.Host, errs map[string]error) {
				delete(f, "web1")
				errs["web1"] = errors.New("timeout")
			},
			verdict: Broken,
			findings: []string{
				"VI_1: 192.168.19.100 is not held by any member that could be reached",
				"web1: unreachable: timeout",
			},
			states: []string{"UNKNOWN", "BACKUP"},
			vip:    VIP{Address: vip, State: VIPUnknown, Holders: []string{}},
		},
		{
			name: "a managed service down is not healthy",
			edit: func(f map[string]*facts.Host, _ map[string]error) {
				f["web2"].Services["nginx"] = facts.ServiceState{Known: true, ActiveState: "failed", Enabled: true, EnabledState: "enabled"}
			},
			verdict:  Degraded,
			findings: []string{"web2: service nginx is failed"},
			states:   []string{"MASTER", "BACKUP"},
			vip:      VIP{Address: vip, State: VIPOK, Holders: []string{"web1"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, errs := healthyFacts(), map[string]error{}
			if tc.edit != nil {
				tc.edit(f, errs)
			}
			r := BuildReport(testConfig(), f, errs, at)
			if r.Verdict != tc.verdict || r.ExitCode != tc.verdict.ExitCode() {
				t.Errorf("verdict = %s (exit %d), want %s", r.Verdict, r.ExitCode, tc.verdict)
			}
			var got []string
			for _, fd := range r.Findings {
				got = append(got, fd.String())
			}
			if got == nil {
				got = []string{}
			}
			if diff := cmp.Diff(tc.findings, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			var states []string
			for _, m := range r.Instances[0].Members {
				states = append(states, m.State)
			}
			if diff := cmp.Diff(tc.states, states); diff != "" {
				t.Errorf("states (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.vip, r.Instances[0].VIPs[0]); diff != "" {
				t.Errorf("VIP (-want +got):\n%s", diff)
			}
			// A report with a finding is never healthy, and the broken
			// findings come first.
			if len(r.Findings) > 0 && r.Verdict == Healthy {
				t.Error("findings under a healthy verdict")
			}
			for i := 1; i < len(r.Findings); i++ {
				if r.Findings[i].Severity.worse(r.Findings[i-1].Severity) {
					t.Errorf("finding %d (%s) is worse than the one before it", i, r.Findings[i].Severity)
				}
			}
		})
	}
}

func TestMemberDetails(t *testing.T) {
	r := BuildReport(testConfig(), healthyFacts(), nil, at)
	m := r.Instances[0].Members[0]
	want := Member{
		Host: "web1", Priority: 100, State: "MASTER", Source: SourceKeepalived,
		HoldsVIPs: 1, Keepalived: "running", TrackScripts: []Track{{Name: "chk_nginx", OK: true}},
		Adverts: &Adverts{Sent: 9},
	}
	lt := at.Add(-90 * time.Second)
	want.LastTransition = &lt
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("member (-want +got):\n%s", diff)
	}
	if h := r.Hosts[1]; h.Name != "web1" || h.Keepalived != "running (pid 42)" || len(h.KeepalivedSources) != 2 {
		t.Errorf("host = %+v", h)
	}
}

func TestBuildReportDirectors(t *testing.T) {
	keepalivedManaged := func(alive1, alive2 bool) (*config.Config, *facts.Host) {
		cfg := testConfig()
		cfg.VirtualServers["web"].ManagedBy = config.ManagedByKeepalived
		d := director()
		d.Processes["keepalived"] = 1
		d.Keepalived = &facts.Keepalived{Running: true, PID: 7, View: kastate.View{
			Sources: []string{"check"},
			VirtualServers: []kastate.VirtualServer{{Key: vsk, Alive: true, QuorumUp: true, RealServers: []kastate.RealServer{
				{Addr: rs1, Weight: 1, EffectiveWeight: 1, Alive: alive1, FailedCheckers: map[bool]int{false: 1}[alive1]},
				{Addr: rs2, Weight: 1, EffectiveWeight: 1, Alive: alive2, FailedCheckers: map[bool]int{false: 1}[alive2]},
			}}},
		}}
		if !alive2 {
			// keepalived took the failed real server out of the table.
			d.IPVS.Services[0].Destinations = d.IPVS.Services[0].Destinations[:1]
		}
		if !alive1 {
			d.IPVS.Services[0].Destinations = nil
		}
		return cfg, d
	}
	cases := []struct {
		name     string
		cfg      *config.Config
		dir      *facts.Host
		err      error
		verdict  Verdict
		findings []string
		want     func(Director) string
	}{
		{
			name: "table with counts", cfg: testConfig(), dir: director(), verdict: Healthy, findings: []string{},
			want: func(d Director) string {
				if !d.Present || d.Counters == nil || d.Counters.Conns != 12 || d.RealServers[0].ActiveConn != 3 || d.RealServers[0].Counters.Conns != 10 {
					return "counters missing"
				}
				return ""
			},
		},
		{
			name: "no kernel support", cfg: testConfig(),
			dir:     &facts.Host{IPVSStatus: facts.Status{State: facts.StatusNoKernelSupport, Message: "no /proc/net/ip_vs and no ip_vs module"}},
			verdict: Broken,
			findings: []string{
				"web: tcp 192.168.47.128:80 is not served by any director",
				"web: IPVS is not available on dir (no-kernel-support: no /proc/net/ip_vs and no ip_vs module)",
			},
		},
		{
			name: "real server removed by keepalived's checker", verdict: Degraded,
			findings: []string{"web: real server 192.168.19.103:80 is not in dir's table (keepalived's check failed it: 1 checkers failing)"},
			want: func(d Director) string {
				if d.Checker != "reported" || d.RealServers[0].Health != "alive" || d.RealServers[1].Health != "failed" {
					return "health not reported"
				}
				return ""
			},
		},
		{
			name: "every real server failed", verdict: Broken,
			findings: []string{
				"web: no real server can take traffic on dir",
				"web: real server 192.168.19.102:80 is not in dir's table (keepalived's check failed it: 1 checkers failing)",
				"web: real server 192.168.19.103:80 is not in dir's table (keepalived's check failed it: 1 checkers failing)",
			},
		},
		{
			name: "unreachable", cfg: testConfig(), err: errors.New("timeout"), verdict: Broken,
			findings: []string{"web: tcp 192.168.47.128:80 is not served by any director", "dir: unreachable: timeout"},
		},
	}
	cases[2].cfg, cases[2].dir = keepalivedManaged(true, false)
	cases[3].cfg, cases[3].dir = keepalivedManaged(false, false)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := healthyFacts()
			errs := map[string]error{}
			if tc.err != nil {
				delete(f, "dir")
				errs["dir"] = tc.err
			} else {
				f["dir"] = tc.dir
			}
			r := BuildReport(tc.cfg, f, errs, at)
			var got []string
			for _, fd := range r.Findings {
				got = append(got, fd.String())
			}
			if got == nil {
				got = []string{}
			}
			if diff := cmp.Diff(tc.findings, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if r.Verdict != tc.verdict {
				t.Errorf("verdict = %s, want %s", r.Verdict, tc.verdict)
			}
			if tc.want != nil {
				if msg := tc.want(r.VirtualServers[0].Directors[0]); msg != "" {
					t.Errorf("%s: %+v", msg, r.VirtualServers[0].Directors[0])
				}
			}
		})
	}
}

func TestKeepalivedRequest(t *testing.T) {
	cfg := testConfig()
	if r := KeepalivedRequest(cfg, "web1"); !r.VRRP || r.Checker {
		t.Errorf("web1: %+v", r)
	}
	if r := KeepalivedRequest(cfg, "dir"); r.VRRP || r.Checker {
		t.Errorf("dir (clusterctl-managed IPVS): %+v", r)
	}
	cfg.VirtualServers["web"].ManagedBy = config.ManagedByKeepalived
	if r := KeepalivedRequest(cfg, "dir"); !r.Checker {
		t.Errorf("dir (keepalived-managed): %+v", r)
	}
}

func TestVerdictExitCodes(t *testing.T) {
	for v, want := range map[Verdict]int{Healthy: 0, Degraded: 2, Broken: 3} {
		if got := v.ExitCode(); got != want {
			t.Errorf("%s: exit %d, want %d", v, got, want)
		}
	}
}

// TestReportGolden keeps testdata/*.report.json, the reports the views
// tests (package views) render, equal to what BuildReport builds.
func TestReportGolden(t *testing.T) {
	fault := healthyFacts()
	fault["web2"] = member(kastate.StateFault, false, false)
	split := healthyFacts()
	split["web2"] = member(kastate.StateMaster, true, true)
	delete(split, "dir")
	cases := map[string]Report{
		"healthy":  BuildReport(testConfig(), healthyFacts(), nil, at),
		"degraded": BuildReport(testConfig(), fault, nil, at),
		"broken":   BuildReport(testConfig(), split, map[string]error{"dir": errors.New("ssh: handshake failed: password s3cret rejected")}, at),
	}
	for name, r := range cases {
		data, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		golden.Check(t, name+".report.json", append(data, '\n'))
	}
}

// TestBuildReportServerGroup: a virtual server that is a
// virtual_server_group is one IPVS service per entry; the first entry's
// service is reported in full and each other one found missing is a
// finding, so the group is not taken for an absent service.
func TestBuildReportServerGroup(t *testing.T) {
	group := func() *config.Config {
		cfg := testConfig()
		vs := cfg.VirtualServers["web"]
		vs.ManagedBy = config.ManagedByKeepalived
		vs.Address = netip.AddrPort{}
		vs.Group = &config.ServerGroup{Name: "web", Entries: []config.GroupEntry{
			{Addr: vsk.Addr.Addr(), Port: 80},
			{Addr: netip.MustParseAddr("192.168.47.130"), Last: netip.MustParseAddr("192.168.47.131"), Port: 80},
		}}
		return cfg
	}
	withServices := func(addrs ...string) *facts.Host {
		d := director()
		for _, a := range addrs {
			s := d.IPVS.Services[0]
			s.Key = ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: netip.MustParseAddrPort(a)}
			d.IPVS.Services = append(d.IPVS.Services, s)
		}
		return d
	}
	for _, tc := range []struct {
		name     string
		dir      *facts.Host
		findings []string
	}{
		{"every entry in the table", withServices("192.168.47.130:80", "192.168.47.131:80"), []string{"dir: keepalived is not running"}},
		{"one entry missing", withServices("192.168.47.130:80"), []string{"dir: keepalived is not running", "web: -t 192.168.47.131:80 of group web is not in the IPVS table of dir"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := healthyFacts()
			f["dir"] = tc.dir
			r := BuildReport(group(), f, map[string]error{}, at)
			got := []string{}
			for _, fd := range r.Findings {
				got = append(got, fd.String())
			}
			if diff := cmp.Diff(tc.findings, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if d := r.VirtualServers[0].Directors[0]; !d.Present || len(d.RealServers) != 2 {
				t.Errorf("the group's first service is not reported: %+v", d)
			}
		})
	}
}
