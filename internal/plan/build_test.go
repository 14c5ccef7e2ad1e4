package plan

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/secret"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var testSalt = []byte("0123456789abcdef")

func TestOrder(t *testing.T) {
	tests := []struct {
		example string
		want    []RolloutHost
	}{
		{"ha-nginx", []RolloutHost{
			{Host: "web2", Role: RoleBackupDirector, Priority: 90},
			{Host: "web1", Role: RoleMasterDirector, Priority: 100},
		}},
		{"lvs-nat", []RolloutHost{
			{Host: "rs1", Role: RoleRealServer},
			{Host: "rs2", Role: RoleRealServer},
			{Host: "dir", Role: RoleMasterDirector},
		}},
		{"ha-lvs", []RolloutHost{
			{Host: "rs1", Role: RoleRealServer},
			{Host: "rs2", Role: RoleRealServer},
			{Host: "lb2", Role: RoleBackupDirector, Priority: 90},
			{Host: "lb1", Role: RoleMasterDirector, Priority: 100},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.example, func(t *testing.T) {
			cfg, _ := loadExample(t, tt.example)
			if d := cmp.Diff(tt.want, Order(cfg)); d != "" {
				t.Errorf("Order (-want +got):\n%s", d)
			}
		})
	}
}

// buildExample plans an example against empty hosts.
func buildExample(t *testing.T, example string, errs map[string]error) (*Plan, map[string]*resource.Host) {
	t.Helper()
	cfg, desired := loadExample(t, example)
	var secrets []string
	secrets = append(secrets, cfg.SensitiveValues...)
	for _, v := range cfg.VRRPInstances {
		secrets = append(secrets, v.AuthPass)
	}
	inputs := map[string]Input{}
	for name, h := range desired {
		inputs[name] = Input{Desired: h, Observed: &Observed{}, Fingerprint: "fp-" + name, Err: errs[name]}
	}
	p, err := Build(Topology{Hosts: Order(cfg), Instances: Instances(cfg)}, inputs, secret.New(secrets...), testSalt)
	if err != nil {
		t.Fatal(err)
	}
	return p, desired
}

func TestBuild(t *testing.T) {
	p, _ := buildExample(t, "ha-nginx", nil)
	if !p.Applyable() || p.Empty() {
		t.Fatalf("Applyable=%v Empty=%v", p.Applyable(), p.Empty())
	}
	var hosts []string
	for _, h := range p.Hosts {
		hosts = append(hosts, h.Host+"/"+string(h.Role)+"/"+h.Fingerprint)
	}
	want := []string{"web2/backup director/fp-web2", "web1/master director/fp-web1"}
	if d := cmp.Diff(want, hosts); d != "" {
		t.Errorf("hosts (-want +got):\n%s", d)
	}
	if p.FormatVersion != FormatVersion || p.ConfigSalt != "30313233343536373839616263646566" || len(p.ConfigDigest) != 64 {
		t.Errorf("header: %d %q %q", p.FormatVersion, p.ConfigSalt, p.ConfigDigest)
	}
	// Against empty hosts everything is created (lab A has no sysctls,
	// the one kind shown as an update of an absent key).
	n := 0
	for _, h := range p.Hosts {
		n += len(h.Changes)
	}
	if got := p.Summary(); got != (Summary{Add: n}) || n < 12 {
		t.Errorf("Summary = %+v for %d changes", got, n)
	}
}

func TestBuildHostError(t *testing.T) {
	p, _ := buildExample(t, "lvs-nat", map[string]error{"rs2": errors.New("dial rs2: connection refused (password aminglin)")})
	if p.Applyable() {
		t.Error("a plan with a host error is applyable")
	}
	want := []HostError{{Host: "rs2", Error: "dial rs2: connection refused (password aminglin)"}}
	if d := cmp.Diff(want, p.Errors); d != "" {
		t.Errorf("Errors (-want +got):\n%s", d)
	}
	if p.Host("rs1") == nil || p.Host("dir") == nil || p.Host("rs2") != nil {
		t.Errorf("planned hosts: %+v", p.Hosts)
	}
	// Errors are masked with the configuration's secrets.
	masked, err := Build(Topology{Hosts: []RolloutHost{{Host: "x"}}}, map[string]Input{"x": {Desired: &resource.Host{Name: "x"}, Err: errors.New("bad pass s3cret")}}, secret.New("s3cret"), testSalt)
	if err != nil {
		t.Fatal(err)
	}
	if got := masked.Errors[0].Error; got != "bad pass (sensitive)" {
		t.Errorf("error not masked: %q", got)
	}
	if _, err := Build(Topology{Hosts: []RolloutHost{{Host: "nobody"}}}, map[string]Input{}, secret.Masker{}, testSalt); err == nil {
		t.Error("Build without an input for a step succeeded")
	}
}

// TestBuildBlockers: a directory where a managed file goes makes the host
// an error (apply could only fail there, half-way), not a change.
func TestBuildBlockers(t *testing.T) {
	in := map[string]Input{
		"x": {Desired: &resource.Host{Name: "x", Files: []resource.File{{Path: "/etc/app.conf", Content: []byte("a\n"), Mode: 0o644, Owner: "root", Group: "root"}}},
			Observed: &Observed{Files: map[string]ObservedFile{"/etc/app.conf": {NotRegular: true}}}},
		"y": {Desired: &resource.Host{Name: "y"}, Observed: &Observed{}},
	}
	p, err := Build(Topology{Hosts: []RolloutHost{{Host: "x"}, {Host: "y"}}}, in, secret.Masker{}, testSalt)
	if err != nil {
		t.Fatal(err)
	}
	if p.Applyable() || len(p.Errors) != 1 || p.Errors[0].Host != "x" || !strings.Contains(p.Errors[0].Error, "/etc/app.conf is not a regular file") {
		t.Errorf("errors = %+v, want one for x about /etc/app.conf", p.Errors)
	}
	if p.Host("x") != nil || p.Host("y") == nil {
		t.Errorf("planned hosts: %+v", p.Hosts)
	}
}

func TestSummary(t *testing.T) {
	p := &Plan{Hosts: []HostPlan{
		{Host: "a", Changes: []Change{{Action: Create}, {Action: Create}, {Action: Update}}},
		{Host: "b", Changes: []Change{{Action: Delete}, {Action: Delete}, {Action: Update}}},
		{Host: "c"},
	}}
	if got, want := p.Summary(), (Summary{Add: 2, Change: 2, Destroy: 2}); got != want {
		t.Errorf("Summary = %+v, want %+v", got, want)
	}
	for _, tt := range []struct {
		p     Plan
		empty bool
	}{
		{Plan{}, true},
		{Plan{Hosts: []HostPlan{{Host: "a", Notes: []string{"n"}}}}, true},
		{Plan{Hosts: []HostPlan{{Host: "a", Effects: []Effect{{Service: "keepalived", Action: "reload"}}}}}, false},
		{Plan{Hosts: []HostPlan{{Host: "a", Changes: []Change{{Action: Update}}}}}, false},
	} {
		if got := tt.p.Empty(); got != tt.empty {
			t.Errorf("Empty(%+v) = %v", tt.p, got)
		}
	}
	for a, s := range map[Action]string{Create: "+", Update: "~", Delete: "-", "bogus": "?"} {
		if a.Symbol() != s {
			t.Errorf("%s.Symbol() = %q, want %q", a, a.Symbol(), s)
		}
	}
}

func TestCheckFresh(t *testing.T) {
	saved, desired := buildExample(t, "lvs-nat", nil)
	now, _ := buildExample(t, "lvs-nat", nil)
	if err := CheckFresh(saved, now); err != nil {
		t.Fatalf("identical plans: %v", err)
	}

	// The configuration changed.
	changed := *desired["rs1"]
	changed.Packages = append([]string{"curl"}, changed.Packages...)
	d2 := map[string]*resource.Host{}
	for k, v := range desired {
		d2[k] = v
	}
	d2["rs1"] = &changed
	digest, err := ConfigDigest(d2, testSalt)
	if err != nil {
		t.Fatal(err)
	}
	other := *now
	other.ConfigDigest = digest
	err = CheckFresh(saved, &other)
	if !errors.Is(err, ErrStalePlan) || !strings.Contains(err.Error(), "configuration changed") {
		t.Errorf("config change: %v", err)
	}
	if d3, _ := ConfigDigest(desired, []byte("other salt")); d3 == saved.ConfigDigest {
		t.Error("the digest does not depend on the salt")
	}

	// A host's live state changed: rs2 got nginx meanwhile.
	live := *now
	live.Hosts = append([]HostPlan(nil), now.Hosts...)
	for i := range live.Hosts {
		if live.Hosts[i].Host == "rs2" {
			h := live.Hosts[i]
			h.Fingerprint = "fp-rs2-changed"
			h.Changes = h.Changes[1:] // the package is installed now
			live.Hosts[i] = h
		}
	}
	err = CheckFresh(saved, &live)
	if !errors.Is(err, ErrStalePlan) {
		t.Fatalf("live change: %v", err)
	}
	for _, w := range []string{"rs2: live state changed", "no longer needed: create package nginx"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q: %v", w, err)
		}
	}
	if strings.Contains(err.Error(), "rs1") || strings.Contains(err.Error(), "dir:") {
		t.Errorf("error names unchanged hosts: %v", err)
	}

	// Only the fingerprint differs.
	fp := *now
	fp.Hosts = append([]HostPlan(nil), now.Hosts...)
	fp.Hosts[0].Fingerprint = "other"
	if err := CheckFresh(saved, &fp); !errors.Is(err, ErrStalePlan) || !strings.Contains(err.Error(), fp.Hosts[0].Host+": live state changed since the plan was made (facts fingerprint differs)") {
		t.Errorf("fingerprint only: %v", err)
	}

	// A host planned then but not now.
	fewer := *now
	fewer.Hosts = now.Hosts[:2]
	if err := CheckFresh(saved, &fewer); !errors.Is(err, ErrStalePlan) || !strings.Contains(err.Error(), "dir: in the saved plan but not planned now") {
		t.Errorf("missing host: %v", err)
	}
}

// ignorePayloads ignores what a saved plan does not hold: what apply
// executes.
var ignorePayloads = cmp.Options{
	cmpopts.IgnoreFields(Change{}, "Op"),
	cmpopts.IgnoreFields(HostPlan{}, "PackageManager", "ManifestBefore", "Manifest", "RunsKeepalived"),
	cmpopts.IgnoreFields(Plan{}, "Instances"),
}

func TestMarshalLoadRoundTrip(t *testing.T) {
	for _, ex := range []string{"ha-nginx", "lvs-nat", "ha-lvs"} {
		t.Run(ex, func(t *testing.T) {
			p, _ := buildExample(t, ex, nil)
			p.ConfigPath = "/etc/cluster"
			p.Targets = []string{"a"}
			p.Origin = &Origin{Lab: "ncha", Endpoints: []Endpoint{{Host: "a", Address: "root@192.168.19.101:22", HostKey: "SHA256:abc"}}}
			b, err := Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Load(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(p, got, ignorePayloads, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("round trip (-want +got):\n%s", d)
			}
			b2, _ := Marshal(got)
			if !bytes.Equal(b, b2) {
				t.Error("second Marshal differs")
			}
		})
	}
}

func TestSavedPlanHoldsNoSecret(t *testing.T) {
	p, _ := buildExample(t, "ha-nginx", nil)
	b, err := Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if secret.Appears(string(b), "aminglin") {
		t.Errorf("the saved plan contains lab A's auth_pass")
	}
	if !bytes.Contains(b, []byte("auth_pass "+secret.Mask)) {
		t.Errorf("the saved plan does not show the masked auth_pass line")
	}
	// Payloads are not serialised.
	if bytes.Contains(b, []byte(`"File"`)) || bytes.Contains(b, []byte(`"IPVS"`)) {
		t.Errorf("payloads serialised")
	}
}

func TestLoadRejects(t *testing.T) {
	p, _ := buildExample(t, "lvs-nat", nil)
	noOrigin, err := Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	p.Origin = &Origin{Endpoints: []Endpoint{}}
	good, err := Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data string
		want string
	}{
		{"unknown field", strings.Replace(string(good), `"format_version": 1,`, `"format_version": 1, "extra": true,`, 1), "unknown field"},
		{"other version", strings.Replace(string(good), `"format_version": 1,`, `"format_version": 2,`, 1), "format 2 is not supported"},
		{"truncated", string(good[:len(good)/2]), "not a clusterctl plan file"},
		{"empty", "", "not a clusterctl plan file"},
		{"not json", "Plan: 1 to add", "not a clusterctl plan file"},
		{"no origin", string(noOrigin), "does not record where it was made"},
		{"no digest", `{"format_version":1,"config_salt":"","hosts":[]}`, "no config digest"},
		{"host without fingerprint", `{"format_version":1,"config_digest":"ab","config_salt":"","hosts":[{"host":"a","role":"","fingerprint":"","changes":[]}]}`, "without name or fingerprint"},
		{"payload field", `{"format_version":1,"config_digest":"ab","config_salt":"","hosts":[{"host":"a","role":"","fingerprint":"f","changes":[{"kind":"file","key":"/x","action":"create","File":{}}]}]}`, "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func FuzzLoad(f *testing.F) {
	p := &Plan{FormatVersion: FormatVersion, ConfigDigest: "ab", ConfigSalt: "cd", Hosts: []HostPlan{{
		Host: "dir", Role: RoleMasterDirector, Fingerprint: "ef",
		Changes: []Change{{Kind: KindFile, Key: "/etc/x", Action: Update, Diff: "--- a/etc/x\n+++ b/etc/x\n", Sensitive: true}},
		Effects: []Effect{{Service: "keepalived", Action: "reload", Reason: "x"}},
		Notes:   []string{"n"},
	}}, Errors: []HostError{{Host: "rs1", Error: "e"}}}
	seed, _ := Marshal(p)
	f.Add(seed)
	f.Add([]byte(`{"format_version":1,"config_digest":"x","config_salt":"","hosts":null}`))
	f.Add([]byte(`{"format_version":2}`))
	f.Add([]byte(`[]`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Load(bytes.NewReader(data))
		if err != nil {
			return
		}
		if p.FormatVersion != FormatVersion || p.ConfigDigest == "" {
			t.Fatalf("Load accepted %+v", p)
		}
		b, err := Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Load(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("reload: %v", err)
		}
		if d := cmp.Diff(p, again, cmpopts.EquateEmpty()); d != "" {
			t.Fatalf("round trip:\n%s", d)
		}
	})
}

func TestOriginChecks(t *testing.T) {
	o := &Origin{Lab: "ncha", Endpoints: []Endpoint{{Host: "web1", Address: "root@192.168.19.101:22", HostKey: "SHA256:one"}}}
	if err := o.CheckLab("ncha"); err != nil {
		t.Errorf("same lab: %v", err)
	}
	for lab, want := range map[string]string{
		"":      `in the local lab "ncha", and this apply is not in it`,
		"other": `in the local lab "ncha", not in "other"`,
	} {
		err := o.CheckLab(lab)
		if !errors.Is(err, ErrElsewhere) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "--lab ncha") {
			t.Errorf("CheckLab(%q) = %v, want %q", lab, err, want)
		}
	}
	real := &Origin{}
	if err := real.CheckLab("ccl"); !errors.Is(err, ErrElsewhere) || !strings.Contains(err.Error(), "not in the local lab \"ccl\"") {
		t.Errorf("real plan in a lab: %v", err)
	}
	if err := o.CheckEndpoint("web1", "root@192.168.19.101:22", "SHA256:one"); err != nil {
		t.Errorf("same endpoint: %v", err)
	}
	for _, tc := range []struct{ host, addr, key, want string }{
		{"web1", "root@192.168.19.101:22", "SHA256:two", "presented host key SHA256:one when the plan was made, now SHA256:two"},
		{"web1", "root@10.0.0.1:22", "SHA256:one", "was reached at root@192.168.19.101:22, now at root@10.0.0.1:22"},
		{"web9", "root@192.168.19.109:22", "", "web9 is not among the hosts it reached (web1)"},
	} {
		err := o.CheckEndpoint(tc.host, tc.addr, tc.key)
		if !errors.Is(err, ErrElsewhere) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckEndpoint(%s, %s, %s) = %v, want %q", tc.host, tc.addr, tc.key, err, tc.want)
		}
	}
}

// TestJSONEmptyChangesIsAList: a host without changes writes
// "changes": [], never null.
func TestJSONEmptyChangesIsAList(t *testing.T) {
	b, err := Marshal(&Plan{FormatVersion: FormatVersion, ConfigDigest: "ab", Hosts: []HostPlan{{Host: "web1", Fingerprint: "f"}}, Origin: &Origin{Endpoints: []Endpoint{}}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"changes": []`)) || bytes.Contains(b, []byte("null")) {
		t.Errorf("saved plan:\n%s", b)
	}
	if _, err := Load(bytes.NewReader(b)); err != nil {
		t.Errorf("Load: %v", err)
	}
}
