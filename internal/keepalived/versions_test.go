package keepalived

import (
	"os"
	"strings"
	"testing"
)

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Version
		ok   bool
	}{
		{"2.2.7", V(2, 2, 7), true},
		{"1.3.5", V(1, 3, 5), true},
		{"v2.0.20", V(2, 0, 20), true},
		{"2.1", V(2, 1, 0), true},
		{"Keepalived v2.2.7 (01/23,2022)", V(2, 2, 7), true},
		{"2.2.8+dfsg", V(2, 2, 8), true},
		{"", Version{}, false},
		{"unknown", Version{}, false},
		{"2", Version{}, false},
	} {
		got, ok := ParseVersion(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseVersion(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestVersionOrder(t *testing.T) {
	if !V(1, 3, 5).Less(V(2, 0, 0)) || V(2, 0, 11).Less(V(2, 0, 2)) || !V(2, 0, 2).Less(V(2, 0, 11)) {
		t.Error("Less orders versions wrongly")
	}
	if !(Version{}).AtLeast(V(9, 9, 9)) {
		t.Error("an unknown version must count as the newest")
	}
	if V(2, 0, 10).AtLeast(FeatureTrackProcess.Since) || !V(2, 0, 11).AtLeast(FeatureTrackProcess.Since) {
		t.Error("AtLeast is wrong at the boundary")
	}
}

func TestUnsupported(t *testing.T) {
	uses := []Use{{Feature: FeatureTrackProcess, Where: "c.hcl:3"}, {Feature: FeatureVRRPStrict}}
	got := Unsupported(V(1, 3, 5), uses)
	if len(got) != 1 || got[0].Feature != FeatureTrackProcess {
		t.Fatalf("Unsupported(1.3.5) = %v; want only track_process", got)
	}
	want := "keepalived 1.3.5 lacks track_process (vrrp_track_process, track_process, since keepalived 2.0.11), set at c.hcl:3"
	if d := got[0].Describe(V(1, 3, 5)); d != want {
		t.Errorf("Describe = %q; want %q", d, want)
	}
	if got := Unsupported(Version{}, uses); len(got) != 0 {
		t.Errorf("an unknown version must check nothing; got %v", got)
	}
}

func TestRenamedKeywords(t *testing.T) {
	for _, tc := range []struct {
		v           Version
		sgWeight, r string
	}{
		{V(1, 3, 5), "global_tracking", "nb_get_retry"},
		{V(1, 4, 0), "global_tracking", "retry"},
		{V(2, 0, 0), "sync_group_tracking_weight", "retry"},
		{V(2, 2, 7), "sync_group_tracking_weight", "retry"},
		{Version{}, "sync_group_tracking_weight", "retry"},
	} {
		if got := SyncGroupTrackingWeight(tc.v); got != tc.sgWeight {
			t.Errorf("SyncGroupTrackingWeight(%v) = %q; want %q", tc.v, got, tc.sgWeight)
		}
		if got := HTTPGetRetry(tc.v); got != tc.r {
			t.Errorf("HTTPGetRetry(%v) = %q; want %q", tc.v, got, tc.r)
		}
	}
}

// TestFeaturesDocumented keeps docs/configuration.md's table of
// supported keepalived versions in step with Features: every feature
// has a row naming its first keyword and ending in its release.
func TestFeaturesDocumented(t *testing.T) {
	b, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(b), "## Supported keepalived versions")
	if !ok {
		t.Fatal("docs/configuration.md has no section Supported keepalived versions")
	}
	rows := strings.Split(table, "\n")
	for _, f := range Features() {
		kw := strings.FieldsFunc(f.Keywords, func(r rune) bool { return strings.ContainsRune(" ,/(", r) })[0]
		found := false
		for _, r := range rows {
			if strings.HasPrefix(r, "|") && strings.HasSuffix(r, "| "+f.Since.String()+" |") && strings.Contains(r, kw) {
				found = true
			}
		}
		if !found {
			t.Errorf("docs/configuration.md has no row for %s (%s) ending in %s", f.Name, kw, f.Since)
		}
	}
}
