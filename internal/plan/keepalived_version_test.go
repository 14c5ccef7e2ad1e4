package plan

import (
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/keepalived"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/secret"
)

// TestBuildKeepalivedVersion plans one director whose keepalived.conf
// uses track_process (2.0.11) and vrrp_strict (1.2.20) against fake
// installed releases: CentOS 7's 1.3.5, Debian 12's 2.2.7, none, and one
// the planner cannot read.
func TestBuildKeepalivedVersion(t *testing.T) {
	desired := &resource.Host{Name: "lb1", Files: []resource.File{{
		Path: "/etc/keepalived/keepalived.conf", Content: []byte("# conf\n"), Mode: 0o640, Owner: "root", Group: "root",
		Validate: resource.ValidateKeepalived,
	}}}
	uses := []keepalived.Use{
		{Feature: keepalived.FeatureVRRPStrict, Where: "cluster.hcl:4"},
		{Feature: keepalived.FeatureTrackProcess, Where: "cluster.hcl:9"},
	}
	plan := func(version string) *Plan {
		t.Helper()
		in := map[string]Input{"lb1": {Desired: desired, Observed: &Observed{KeepalivedVersion: version}, KeepalivedUses: uses}}
		p, err := Build(Topology{Hosts: []RolloutHost{{Host: "lb1", Role: RoleMasterDirector}}}, in, secret.Masker{}, testSalt)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	old := plan("1.3.5")
	if len(old.Errors) != 1 || len(old.Hosts) != 0 {
		t.Fatalf("keepalived 1.3.5: errors %v, planned hosts %d; want one error and no host", old.Errors, len(old.Hosts))
	}
	want := "keepalived 1.3.5 lacks track_process (vrrp_track_process, track_process, since keepalived 2.0.11), set at cluster.hcl:9; upgrade keepalived or remove the setting"
	if e := old.Errors[0]; e.Host != "lb1" || e.Error != want {
		t.Errorf("keepalived 1.3.5: error %s: %q; want lb1: %q", e.Host, e.Error, want)
	}

	cur := plan("2.2.7")
	if len(cur.Errors) != 0 || len(cur.Hosts) != 1 {
		t.Fatalf("keepalived 2.2.7: errors %v; want none", cur.Errors)
	}
	if len(cur.Hosts[0].Notes) != 0 {
		t.Errorf("keepalived 2.2.7: notes %q; want none", cur.Hosts[0].Notes)
	}

	none := plan("")
	if len(none.Errors) != 0 || len(none.Hosts) != 1 || !hasNote(none.Hosts[0].Notes, "keepalived is not installed: the keepalived.conf features") {
		t.Errorf("no keepalived: errors %v, notes %q; want no error and a note that nothing was checked", none.Errors, none.Hosts[0].Notes)
	}

	odd := plan("git-snapshot")
	if len(odd.Errors) != 0 || !hasNote(odd.Hosts[0].Notes, `keepalived version "git-snapshot" is not understood`) {
		t.Errorf("unreadable version: errors %v, notes %q", odd.Errors, odd.Hosts[0].Notes)
	}
}

// A release older than 2.0.4 that has every feature the file needs is
// planned, with a note that keepalived -t does not exist there.
func TestBuildKeepalivedWithoutConfigTest(t *testing.T) {
	desired := &resource.Host{Name: "lb1", Files: []resource.File{{
		Path: "/etc/keepalived/keepalived.conf", Content: []byte("# conf\n"), Mode: 0o640, Owner: "root", Group: "root",
		Validate: resource.ValidateKeepalived,
	}}}
	in := map[string]Input{"lb1": {Desired: desired, Observed: &Observed{KeepalivedVersion: "1.3.5"},
		KeepalivedUses: []keepalived.Use{{Feature: keepalived.FeatureVRRPStrict}}}}
	p, err := Build(Topology{Hosts: []RolloutHost{{Host: "lb1"}}}, in, secret.Masker{}, testSalt)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Errors) != 0 || !hasNote(p.Hosts[0].Notes, "keepalived 1.3.5 has no configuration test (keepalived -t came in 2.0.4)") {
		t.Errorf("errors %v, notes %q; want a plan noting the missing configuration test", p.Errors, p.Hosts[0].Notes)
	}
	// A host without keepalived.conf is not checked at all.
	in = map[string]Input{"rs1": {Desired: &resource.Host{Name: "rs1"}, Observed: &Observed{KeepalivedVersion: "1.2.2"},
		KeepalivedUses: []keepalived.Use{{Feature: keepalived.FeatureTrackProcess}}}}
	p, err = Build(Topology{Hosts: []RolloutHost{{Host: "rs1"}}}, in, secret.Masker{}, testSalt)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Errors) != 0 || len(p.Hosts[0].Notes) != 0 {
		t.Errorf("host without keepalived.conf: errors %v, notes %q; want neither", p.Errors, p.Hosts[0].Notes)
	}
}

func hasNote(notes []string, prefix string) bool {
	for _, n := range notes {
		if strings.HasPrefix(n, prefix) {
			return true
		}
	}
	return false
}
