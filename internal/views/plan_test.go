package views

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/golden"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/render"
	"github.com/clusterctl/clusterctl/internal/secret"
	"github.com/google/go-cmp/cmp"
)

// examplePlan plans an example of examples/lab-19.x against empty hosts;
// errs marks hosts that could not be reached.
func examplePlan(t *testing.T, example string, errs map[string]error) *plan.Plan {
	t.Helper()
	cfg, diags := config.NewLoader().Load("../../examples/lab-19.x/"+example, config.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	desired, err := render.Render(cfg)
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string]plan.Input{}
	for name, h := range desired {
		inputs[name] = plan.Input{Desired: h, Observed: &plan.Observed{}, Fingerprint: "fingerprint-of-" + name, Err: errs[name]}
	}
	topo, err := plan.TopologyOf(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(topo, inputs, secret.New(cfg.Secrets()...), []byte("fixed salt"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func human(t *testing.T, p *plan.Plan, color bool) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := PlanHuman(&b, p, color); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func machine(t *testing.T, p *plan.Plan) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := PlanMachine(&b, p); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestPlanGolden(t *testing.T) {
	labA := examplePlan(t, "ha-nginx", nil)
	labB := examplePlan(t, "lvs-nat", nil)

	noChanges := &plan.Plan{FormatVersion: plan.FormatVersion, ConfigDigest: "d", Hosts: []plan.HostPlan{
		{Host: "rs1", Role: plan.RoleRealServer, Fingerprint: "f1"},
		{Host: "dir", Role: plan.RoleMasterDirector, Fingerprint: "f2", Notes: []string{"IPVS service -t 10.0.0.1:443 is not managed by clusterctl; left alone"}},
	}}

	targeted := examplePlan(t, "lvs-nat", nil)
	targeted.Targets = []string{"rs1"}
	targeted.Hosts = targeted.Hosts[:1]

	withErrors := examplePlan(t, "ha-nginx", map[string]error{"web1": errors.New("dial web1: ssh: handshake failed: knownhosts: key mismatch")})

	onlyErrors := &plan.Plan{FormatVersion: plan.FormatVersion, ConfigDigest: "d",
		Errors: []plan.HostError{{Host: "web1", Error: "dial web1: connection refused"}}}

	mixed := &plan.Plan{FormatVersion: plan.FormatVersion, ConfigDigest: "d", Hosts: []plan.HostPlan{{
		Host: "lb1", Role: plan.RoleMasterDirector, Fingerprint: "f",
		Changes: []plan.Change{
			{Kind: plan.KindSysctl, Key: "net.ipv4.ip_forward", Action: plan.Update, Before: "0", After: "1"},
			{Kind: plan.KindFile, Key: "/etc/keepalived/keepalived.conf", Action: plan.Update, Sensitive: true, Detail: "a sensitive value changed",
				Impact: plan.Impact{Class: plan.DisruptionVIPMove, Reason: "VI_1's VIPs move from lb1 to lb2", Seconds: 1.5}},
			{Kind: plan.KindFile, Key: "/etc/old", Action: plan.Delete, Before: "12 bytes"},
			{Kind: plan.KindNAT, Key: "nat CLUSTERCTL-POSTROUTING", Action: plan.Update, Before: "-s 10.0.0.0/8 -j MASQUERADE\n(no jump from POSTROUTING)", After: "-s 192.168.19.0/24 -j MASQUERADE"},
			{Kind: plan.KindIPVS, Key: "-t 192.168.47.128:80", Action: plan.Update, Before: "-A -t 192.168.47.128:80 -s rr", After: "-A -t 192.168.47.128:80 -s wlc"},
			{Kind: plan.KindIPVS, Key: "-t 192.168.47.128:80 -> 192.168.19.104:80", Action: plan.Delete, Before: "-d -t 192.168.47.128:80 -r 192.168.19.104:80",
				Impact: plan.Impact{Class: plan.DisruptionDropsConnections, Reason: "connections to 192.168.19.104:80 end"}},
		},
		Disruption: plan.Impact{Class: plan.DisruptionDropsConnections, Reason: "connections to 192.168.19.104:80 end"},
		Effects:    []plan.Effect{{Service: "keepalived", Action: "reload", Reason: "/etc/keepalived/keepalived.conf changed"}},
		Notes:      []string{"IPVS service -t 10.0.0.1:443 is not managed by clusterctl; left alone"},
	}}}

	tests := []struct {
		name string
		out  []byte
	}{
		{"lab_a.golden", human(t, labA, false)},
		{"lab_a_color.golden", human(t, labA, true)},
		{"lab_b.golden", human(t, labB, false)},
		{"lab_a.json.golden", machine(t, labA)},
		{"lab_b.json.golden", machine(t, labB)},
		{"no_changes.golden", human(t, noChanges, false)},
		{"no_changes.json.golden", machine(t, noChanges)},
		{"target.golden", human(t, targeted, false)},
		{"host_errors.golden", human(t, withErrors, false)},
		{"only_errors.golden", human(t, onlyErrors, false)},
		{"only_errors.json.golden", machine(t, onlyErrors)},
		{"mixed.golden", human(t, mixed, false)},
		{"mixed.json.golden", machine(t, mixed)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { golden.Check(t, tt.name, tt.out) })
	}
}

func TestPlanHumanProperties(t *testing.T) {
	labA := examplePlan(t, "ha-nginx", nil)
	plain := string(human(t, labA, false))
	colored := string(human(t, labA, true))
	if strings.Contains(plain, "\x1b[") {
		t.Error("escape sequences without colour")
	}
	if !strings.Contains(colored, "\x1b[32m+") {
		t.Error("no green + with colour")
	}
	// Stripping the colours gives the plain output.
	stripped := colored
	for _, code := range []string{"\x1b[32m", "\x1b[33m", "\x1b[31m", "\x1b[36m", "\x1b[1m", "\x1b[2m", "\x1b[0m"} {
		stripped = strings.ReplaceAll(stripped, code, "")
	}
	if stripped != plain {
		t.Errorf("coloured output differs from plain beyond colours:\n%s", cmp.Diff(plain, stripped))
	}
	for _, out := range []string{plain, colored, string(machine(t, labA))} {
		if secret.Appears(out, "aminglin") {
			t.Error("lab A's auth_pass in the output")
		}
	}
	if s := labA.Summary(); !strings.Contains(plain, fmt.Sprintf("\nPlan: %d to add, 0 to change, 0 to destroy.\nDisruption: none.\nRollout: ", s.Add)) || !strings.HasSuffix(plain, "\n  wave 1: web2+web1\n") {
		t.Errorf("summary line missing:\n%s", plain[len(plain)-200:])
	}
}

func TestPlanMachineFields(t *testing.T) {
	p := examplePlan(t, "lvs-nat", nil)
	var got map[string]any
	if err := json.Unmarshal(machine(t, p), &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"format_version", "config_digest", "config_salt", "hosts", "summary", "disruption", "no_changes"} {
		if _, ok := got[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	if got["no_changes"] != false {
		t.Errorf("no_changes = %v", got["no_changes"])
	}
	s := got["summary"].(map[string]any)
	if s["add"].(float64) == 0 || s["destroy"].(float64) != 0 {
		t.Errorf("summary = %v", s)
	}
}
