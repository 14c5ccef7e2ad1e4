package adopt

import (
	"net/netip"
	"strings"
	"testing"
)

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// importClean imports hosts and checks the result: no finding, every
// want in cluster.hcl, and Check finding the rendering the same as the
// hosts' files (a Change for clusterctl's own files allowed when
// ownFiles). It returns the result.
func importClean(t *testing.T, hosts []*Host, ownFiles bool, wants ...string) *Result {
	t.Helper()
	res, err := Build(hosts)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range wants {
		if !strings.Contains(string(res.HCL), want) {
			t.Errorf("cluster.hcl lacks\n%s\nin:\n%s", want, res.HCL)
		}
	}
	if len(res.Findings) != 0 {
		t.Errorf("findings: %v", res.Findings)
	}
	for _, f := range Check(writeResult(t, res), hosts, res.Values) {
		if !ownFiles || f.Level != Change || !strings.Contains(f.Msg, "clusterctl's own file") {
			t.Errorf("check: %v", f)
		}
	}
	return res
}

// importLost imports hosts and returns the result and the findings of
// level Lost whose message contains msg.
func importLost(t *testing.T, hosts []*Host, msg string) (*Result, []Finding) {
	t.Helper()
	res, err := Build(hosts)
	if err != nil {
		t.Fatal(err)
	}
	var out []Finding
	for _, f := range res.Findings {
		if f.Level == Lost && strings.Contains(f.Msg, msg) {
			out = append(out, f)
		}
	}
	return res, out
}
