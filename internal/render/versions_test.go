package render

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/golden"
	"github.com/clusterctl/clusterctl/internal/keepalived"
)

// Fake releases: CentOS 7's keepalived, Ubuntu 20.04's, and Debian 12's
// (the lab's and this machine's).
var (
	centos7  = keepalived.V(1, 3, 5)
	focal    = keepalived.V(2, 0, 19)
	bookworm = keepalived.V(2, 2, 7)
)

// labOldDirectors is labHA as a keepalived 1.3.5 director pair can run
// it: its two instances in a sync group that keeps tracking weights, and
// an HTTP_GET with a retry count (the keywords whose spelling changed).
func labOldDirectors() *config.Config {
	c := labHA()
	c.SyncGroups = map[string]*config.SyncGroup{"VG": {Name: "VG", Instances: []string{"VI_EXT", "VI_MGMT"}, TrackingWeight: true}}
	for _, rs := range c.VirtualServers["web"].RealServers {
		if rs.Check != nil && rs.Check.Type == config.CheckHTTP {
			rs.Check.Retry = 2
		}
	}
	return c
}

// TestRenderForVersionGolden renders keepalived.conf for given keepalived
// releases; testdata/versions/CASE@VERSION/HOST.keepalived.conf hold
// the results (rerun with -update).
func TestRenderForVersionGolden(t *testing.T) {
	for _, tc := range []struct {
		name    string
		build   func() *config.Config
		version keepalived.Version
	}{
		{"old-directors", labOldDirectors, centos7},
		{"old-directors", labOldDirectors, bookworm},
	} {
		t.Run(tc.name+"@"+tc.version.String(), func(t *testing.T) {
			cfg := tc.build()
			versions := map[string]keepalived.Version{}
			for _, h := range cfg.HostNames() {
				versions[h] = tc.version
			}
			hosts, err := RenderFor(cfg, nil, versions)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"lb1", "lb2"} {
				f := hosts[name].File(KeepalivedConfPath)
				if f == nil {
					t.Fatalf("%s has no keepalived.conf", name)
				}
				golden.Check(t, filepath.Join("versions", tc.name+"@"+tc.version.String(), name+".keepalived.conf"), string(f.Content))
			}
		})
	}
}

// TestRenderForSpellings checks the renamed keywords directly, so that a
// golden file rewritten by mistake cannot hide a wrong spelling.
func TestRenderForSpellings(t *testing.T) {
	conf := func(build func() *config.Config, v keepalived.Version) string {
		t.Helper()
		cfg := build()
		hosts, err := RenderFor(cfg, nil, map[string]keepalived.Version{"lb1": v})
		if err != nil {
			t.Fatal(err)
		}
		return string(hosts["lb1"].File(KeepalivedConfPath).Content)
	}
	for _, tc := range []struct {
		build         func() *config.Config
		v             keepalived.Version
		want, notWant []string
	}{
		{labOldDirectors, centos7, []string{"\n    global_tracking\n", "\n            nb_get_retry 2\n"}, []string{"sync_group_tracking_weight", "\n            retry 2"}},
		{labOldDirectors, bookworm, []string{"\n    sync_group_tracking_weight\n", "\n            retry 2\n"}, []string{"global_tracking", "nb_get_retry"}},
		{labOldDirectors, keepalived.Version{}, []string{"\n    sync_group_tracking_weight\n", "\n            retry 2\n"}, []string{"global_tracking", "nb_get_retry"}},
		// vrrp_track_file for every release: 2.1.0 and later take it as
		// a synonym of track_file, 2.0.x know only it.
		{labSyncGroup, focal, []string{"\nvrrp_track_file tf_maint {\n"}, []string{"\ntrack_file tf_maint {"}},
		{labSyncGroup, bookworm, []string{"\nvrrp_track_file tf_maint {\n"}, []string{"\ntrack_file tf_maint {"}},
		{labSyncGroup, keepalived.Version{}, []string{"\nvrrp_track_file tf_maint {\n"}, nil},
	} {
		got := conf(tc.build, tc.v)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("keepalived %v: keepalived.conf lacks %q:\n%s", tc.v, w, got)
			}
		}
		for _, w := range tc.notWant {
			if strings.Contains(got, w) {
				t.Errorf("keepalived %v: keepalived.conf has %q:\n%s", tc.v, w, got)
			}
		}
	}
}

func TestKeepalivedUses(t *testing.T) {
	cfg := labSyncGroup()
	cfg.TrackProcesses["haproxy"].DeclRange = hcl.Range{Filename: "cluster.hcl", Start: hcl.Pos{Line: 12}}
	uses, err := KeepalivedUses(cfg)
	if err != nil {
		t.Fatal(err)
	}
	names := func(us []keepalived.Use) []string {
		var out []string
		for _, u := range us {
			out = append(out, u.Feature.Name)
		}
		return out
	}
	got := names(keepalived.Unsupported(centos7, uses["lb1"]))
	want := []string{"vrrp_sync_group notify_stop", "track_process", "track_file"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("features keepalived 1.3.5 lacks on lb1 = %q; want %q", got, want)
	}
	if got := keepalived.Unsupported(bookworm, uses["lb1"]); len(got) != 0 {
		t.Errorf("keepalived 2.2.7 lacks %q; want nothing", names(got))
	}
	for _, u := range uses["lb1"] {
		if u.Feature == keepalived.FeatureTrackProcess && u.Where != "cluster.hcl:12" {
			t.Errorf("track_process is set at %q; want cluster.hcl:12", u.Where)
		}
	}
	if _, ok := uses["app1"]; ok {
		t.Errorf("a host without keepalived.conf has uses: %v", uses["app1"])
	}

	opts, err := KeepalivedUses(labIPVSOptions())
	if err != nil {
		t.Fatal(err)
	}
	got = names(keepalived.Unsupported(keepalived.V(2, 0, 17), opts["dir"]))
	want = []string{"virtual_server one_packet", "virtual_server persistence_engine", "virtual_server scheduler_flags (sh-*, flag-N)", "virtual_server scheduler_flags (mh-*)", "virtual_server tun_type gue/gre"}
	// one_packet, persistence_engine and sh-* are older than 2.0.17.
	want = want[3:]
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("features keepalived 2.0.17 lacks on dir = %q; want %q", got, want)
	}
}
