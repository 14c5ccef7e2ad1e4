package config_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/golden"
	"github.com/clusterctl/clusterctl/internal/keepalived"
	"github.com/clusterctl/clusterctl/internal/lab/labtest"
	"github.com/clusterctl/clusterctl/internal/render"
)

// featuresDir holds one example configuration per major keepalived/LVS
// feature (issue 15 item 6).
var featuresDir = filepath.Join("..", "..", "examples", "features")

// featureExamples returns the example directories, sorted.
func featureExamples(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(featuresDir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	if len(out) == 0 {
		t.Fatalf("no examples under %s", featuresDir)
	}
	return out
}

// TestFeatureExamplesRender loads every example under examples/features,
// which must validate without a diagnostic, and compares each host's
// rendered keepalived.conf with its golden file
// (testdata/examples/NAME/HOST.keepalived.conf; -update rewrites them).
func TestFeatureExamplesRender(t *testing.T) {
	for _, name := range featureExamples(t) {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(featuresDir, name)
			if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
				t.Errorf("example %s has no README.md: %v", name, err)
			}
			cfg, diags := config.NewLoader().Load(dir, config.LoadOptions{})
			if len(diags) > 0 {
				t.Fatalf("example %s: %s", name, diags.Error())
			}
			out, err := render.Render(cfg)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, host := range cfg.HostNames() {
				conf := fileAt(out[host], render.KeepalivedConfPath)
				if conf == nil {
					continue
				}
				n++
				golden.Check(t, filepath.Join("examples", name, host+".keepalived.conf"), string(conf.Content))
			}
			if n == 0 {
				t.Fatalf("example %s renders no keepalived.conf", name)
			}
		})
	}
}

// TestFeatureExamplesKeepalivedAccepts has keepalived itself check every
// host's keepalived.conf of every example: `keepalived -t -f FILE` in a
// sandbox holding the host's interfaces and scripts (keepalivedSandbox)
// must exit 0 without printing a line. Lab test (root,
// CLUSTERCTL_LAB_TESTS=1).
func TestFeatureExamplesKeepalivedAccepts(t *testing.T) {
	labtest.Require(t)
	sb := newKeepalivedSandbox(t)
	for _, name := range featureExamples(t) {
		cfg, diags := config.NewLoader().Load(filepath.Join(featuresDir, name), config.LoadOptions{})
		if diags.HasErrors() {
			t.Errorf("example %s: %s", name, diags.Error())
			continue
		}
		hosts, err := rendered(cfg)
		if err != nil {
			t.Errorf("example %s: %v", name, err)
			continue
		}
		results, err := sb.Check(hosts)
		if err != nil {
			t.Fatalf("example %s: %v", name, err)
		}
		for i, res := range results {
			if res.ExitCode != 0 || res.Output != "" {
				t.Errorf("example %s, host %s: keepalived -t exit %d:\n%s\n--- keepalived.conf:\n%s", name, res.Host, res.ExitCode, res.Output, hosts[i].Conf)
				continue
			}
			t.Logf("example %s, host %s: keepalived -t accepts it", name, res.Host)
		}
	}
}

// TestFeatureExamplesVersions checks what the checkers example asks of
// a director's keepalived release: 2.0.20 lacks PING_CHECK, UDP_CHECK,
// FILE_CHECK and UDP_CHECK's payload, each reported at the line of the
// configuration that sets it; 2.1.0 lacks only the payload; 2.2.7 has
// everything.
func TestFeatureExamplesVersions(t *testing.T) {
	dir := filepath.Join(featuresDir, "checkers")
	cfg, diags := config.NewLoader().Load(dir, config.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	uses, err := render.KeepalivedUses(cfg)
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(dir, "cluster.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(src), "\n")
	lineOf := func(where string) string {
		_, n, _ := strings.Cut(where, ".hcl:")
		i, err := strconv.Atoi(n)
		if err != nil || i < 1 || i > len(lines) {
			return ""
		}
		return strings.TrimSpace(lines[i-1])
	}
	for _, tc := range []struct {
		version keepalived.Version
		want    map[string]string // feature name → the line that sets it
	}{
		{keepalived.V(2, 0, 20), map[string]string{
			keepalived.FeatureUDPCheck.Name:   `type          = "udp"`,
			keepalived.FeatureUDPPayload.Name: `payload       = "0001 0203"`,
			keepalived.FeaturePingCheck.Name:  `type            = "ping"`,
			keepalived.FeatureFileCheck.Name:  `type       = "file"`,
		}},
		{keepalived.V(2, 1, 0), map[string]string{keepalived.FeatureUDPPayload.Name: `payload       = "0001 0203"`}},
		{keepalived.V(2, 2, 7), map[string]string{}},
	} {
		for _, host := range []string{"lb1", "lb2"} {
			got := map[string]string{}
			for _, u := range keepalived.Unsupported(tc.version, uses[host]) {
				got[u.Feature.Name] = lineOf(u.Where)
			}
			if len(got) != len(tc.want) {
				t.Errorf("%s with keepalived %s lacks %v; want %v", host, tc.version, got, tc.want)
				continue
			}
			for f, line := range tc.want {
				if got[f] != line {
					t.Errorf("%s with keepalived %s: %s is reported at %q; want the line %q", host, tc.version, f, got[f], line)
				}
			}
		}
	}
}
