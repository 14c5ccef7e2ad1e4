package main

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/clusterctl/clusterctl/internal/apply"
	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/facts/factstest"
	"github.com/clusterctl/clusterctl/internal/hostops"
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/secret"
)

// The director of the IPVS-at-scale benchmarks: 1,000 virtual services
// with 10 real servers each, 10,000 destinations.
const (
	scaleServices = 1000
	scaleDests    = 10
	factsToken    = "benchtoken_0123456789abcdef"
)

// directorTable has n TCP NAT services (10.1.x.y:80, wlc) with m real
// servers each (10.2.0.j:8080, weight 1).
func directorTable(n, m int) ipvs.Table {
	var t ipvs.Table
	for i := range n {
		s := ipvs.Service{
			Key:       ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 80)},
			Scheduler: "wlc",
		}
		for j := range m {
			s.Destinations = append(s.Destinations, ipvs.Destination{
				Addr:    netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 2, byte(j >> 8), byte(j)}), 8080),
				Forward: ipvs.Masq, Weight: 1,
			})
		}
		t.Services = append(t.Services, s)
	}
	t.Normalize()
	return t
}

// withChangedWeights returns t with the weight of its first k
// destinations (service by service) set to 2.
func withChangedWeights(t ipvs.Table, k int) ipvs.Table {
	out := ipvs.Table{Services: make([]ipvs.Service, len(t.Services))}
	for i, s := range t.Services {
		s.Destinations = append([]ipvs.Destination(nil), s.Destinations...)
		for j := range s.Destinations {
			if k > 0 {
				s.Destinations[j].Weight = 2
				k--
			}
		}
		out.Services[i] = s
	}
	return out
}

// factsOutput is what the facts script prints on a director whose live
// IPVS table is t (only the sections the IPVS path reads).
func factsOutput(t ipvs.Table) []byte {
	return factstest.New(factsToken).
		Section("ipvs ipvsadm=1 proc=1 moddir=1", "").
		Cmd("ipvsadm-save", 0, t.Save(), "").
		Bytes()
}

// planIPVS is the planner's path for one director: parse the facts,
// convert them to what the planner compares, diff against desired.
func planIPVS(tb testing.TB, out []byte, desired *resource.Host) plan.HostPlan {
	f, err := facts.Parse(out, factsToken)
	if err != nil {
		tb.Fatal(err)
	}
	if f.IPVSStatus.State != facts.StatusOK {
		tb.Fatalf("IPVS status %+v", f.IPVSStatus)
	}
	return plan.Diff(desired, plan.FromFacts(f), secret.New())
}

func ipvsChanges(hp plan.HostPlan) []plan.Change {
	var out []plan.Change
	for _, c := range hp.Changes {
		if c.Kind == plan.KindIPVS {
			out = append(out, c)
		}
	}
	return out
}

// TestOneDestinationOneEdit: on a 10,000-destination director, changing
// one thing yields exactly one IPVS change in the plan, of the right kind.
func TestOneDestinationOneEdit(t *testing.T) {
	live := directorTable(scaleServices, scaleDests)
	out := factsOutput(live)
	tests := []struct {
		name   string
		edit   func(*ipvs.Table)
		want   ipvs.Op
		action plan.Action
	}{
		{"weight", func(t *ipvs.Table) { t.Services[500].Destinations[3].Weight = 5 }, ipvs.EditDest, plan.Update},
		{"forwarding method", func(t *ipvs.Table) { t.Services[0].Destinations[0].Forward = ipvs.Route }, ipvs.EditDest, plan.Update},
		{"new real server", func(t *ipvs.Table) {
			s := &t.Services[999]
			s.Destinations = append(s.Destinations, ipvs.Destination{Addr: netip.MustParseAddrPort("10.2.0.200:8080"), Forward: ipvs.Masq, Weight: 1})
		}, ipvs.AddDest, plan.Create},
		{"removed real server", func(t *ipvs.Table) {
			s := &t.Services[42]
			s.Destinations = s.Destinations[1:]
		}, ipvs.DeleteDest, plan.Delete},
		{"scheduler", func(t *ipvs.Table) { t.Services[7].Scheduler = "rr" }, ipvs.EditService, plan.Update},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := withChangedWeights(live, 0)
			tt.edit(&want)
			want.Normalize()
			got := ipvsChanges(planIPVS(t, out, &resource.Host{Name: "dir", IPVS: want}))
			if len(got) != 1 {
				t.Fatalf("%d IPVS changes, want exactly 1: %v", len(got), got)
			}
			op := got[0].Op.(*plan.IPVSOp)
			if op.Edit.Op != tt.want || got[0].Action != tt.action {
				t.Errorf("change = %s %s (%s), want %s %s", got[0].Action, got[0].Key, op.Edit.Op, tt.action, tt.want)
			}
		})
	}
	t.Run("unchanged", func(t *testing.T) {
		if got := ipvsChanges(planIPVS(t, out, &resource.Host{Name: "dir", IPVS: live})); len(got) != 0 {
			t.Errorf("%d IPVS changes for an identical table, want 0", len(got))
		}
	})
}

// TestChangedDestinationsCount: k changed destinations give k edits.
func TestChangedDestinationsCount(t *testing.T) {
	live := directorTable(scaleServices, scaleDests)
	out := factsOutput(live)
	for _, k := range []int{1, 100, scaleServices * scaleDests} {
		got := ipvsChanges(planIPVS(t, out, &resource.Host{Name: "dir", IPVS: withChangedWeights(live, k)}))
		if len(got) != k {
			t.Errorf("%d changed destinations: %d IPVS changes", k, len(got))
		}
	}
}

// BenchmarkPlanIPVS10k is the planner's whole path for a director of
// 1,000 services × 10 real servers whose desired table differs in 1, 100
// or all 10,000 destinations: parse the facts output (the IPVS part),
// convert, and plan.Diff. "diff" is plan.Diff alone on parsed facts.
func BenchmarkPlanIPVS10k(b *testing.B) {
	live := directorTable(scaleServices, scaleDests)
	out := factsOutput(live)
	f, err := facts.Parse(out, factsToken)
	if err != nil {
		b.Fatal(err)
	}
	observed := plan.FromFacts(f)
	for _, k := range []int{1, 100, scaleServices * scaleDests} {
		desired := &resource.Host{Name: "dir", IPVS: withChangedWeights(live, k)}
		b.Run(fmt.Sprintf("parse+diff/changed=%d", k), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(out)))
			for b.Loop() {
				if got := len(ipvsChanges(planIPVS(b, out, desired))); got != k {
					b.Fatalf("%d changes, want %d", got, k)
				}
			}
		})
		b.Run(fmt.Sprintf("diff/changed=%d", k), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if got := len(plan.Diff(desired, observed, secret.New()).Changes); got != k {
					b.Fatalf("%d changes, want %d", got, k)
				}
			}
		})
	}
}

// BenchmarkParseFacts10k is facts.Parse alone of a 10,000-destination
// director's output.
func BenchmarkParseFacts10k(b *testing.B) {
	out := factsOutput(directorTable(scaleServices, scaleDests))
	b.ReportAllocs()
	b.SetBytes(int64(len(out)))
	for b.Loop() {
		if _, err := facts.Parse(out, factsToken); err != nil {
			b.Fatal(err)
		}
	}
}

// applyIPVSEdits applies k weight edits to one plain host through
// apply.Run against a remote.Fake and returns the IPVS commands issued and
// the lines fed to ipvsadm -R.
func applyIPVSEdits(t *testing.T, k int) (commands []string, restoreLines int) {
	t.Helper()
	fake := remote.NewFake("dir")
	fake.HandleDefault(func(remote.Cmd) (remote.Result, error) { return remote.Result{}, nil })
	hosts := apply.HostsFunc(func(context.Context, string) (hostops.Host, error) { return hostops.New(fake), nil })
	live := directorTable(scaleServices, scaleDests)
	want := withChangedWeights(live, k)
	var changes []plan.Change
	for _, e := range ipvs.Diff(want, live) {
		changes = append(changes, plan.Change{Kind: plan.KindIPVS, Action: plan.Update, Key: e.String(), Op: &plan.IPVSOp{Edit: e}})
	}
	if len(changes) != k {
		t.Fatalf("ipvs.Diff: %d edits, want %d", len(changes), k)
	}
	p := &plan.Plan{FormatVersion: plan.FormatVersion, Hosts: []plan.HostPlan{{Host: "dir", Role: plan.RoleHost, Changes: changes}}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := apply.Run(ctx, p, hosts, apply.Options{}); err != nil {
		t.Fatalf("apply: %v", err)
	}
	for _, op := range fake.Log() {
		if op.Kind == remote.OpRun && strings.HasPrefix(op.Cmd.Command, "ipvsadm") {
			commands = append(commands, op.Cmd.Command)
			if op.Cmd.Command == "ipvsadm -R" {
				restoreLines += strings.Count(string(op.Cmd.Stdin), "\n")
			}
		}
	}
	return commands, restoreLines
}

// TestApplyBatchSize counts the commands apply issues for k IPVS edits:
// one ipvsadm each up to 8, one `ipvsadm -R` stream above.
func TestApplyBatchSize(t *testing.T) {
	tests := []struct {
		edits        int
		wantCommands int
		wantRestore  bool
	}{
		{1, 1, false},
		{8, 8, false},
		{9, 1, true},
		{100, 1, true},
		{10000, 1, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.edits), func(t *testing.T) {
			cmds, lines := applyIPVSEdits(t, tt.edits)
			if len(cmds) != tt.wantCommands {
				t.Fatalf("%d IPVS commands, want %d: %.200q", len(cmds), tt.wantCommands, cmds)
			}
			if tt.wantRestore {
				if cmds[0] != "ipvsadm -R" || lines != tt.edits {
					t.Errorf("commands %q with %d restore lines, want one ipvsadm -R of %d lines", cmds, lines, tt.edits)
				}
			} else if lines != 0 {
				t.Errorf("ipvsadm -R used for %d edits", tt.edits)
			}
			t.Logf("%d edits: %d IPVS commands", tt.edits, len(cmds))
		})
	}
}
