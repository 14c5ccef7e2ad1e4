package render

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/keepalived"
)

// TestModelledKeywordsCoverRendering checks config.ModelledKeywords, the
// keywords raw lines may not set, against what the renderer writes:
// every keyword of the blocks raw lines go into, in every golden case
// but the one with raw lines, must be listed for its block. A keyword
// added to the template without being added there would let raw lines
// set it a second time.
func TestModelledKeywordsCoverRendering(t *testing.T) {
	seen := map[string]map[string]bool{}
	see := func(context string, n *keepalived.Node, where string) {
		kw := keepalived.CanonicalKeyword(context, n.Keyword)
		if !slices.Contains(config.ModelledKeywords(context), kw) {
			t.Errorf("%s: the renderer writes %s into %s, which config.ModelledKeywords(%q) does not list", where, n.Keyword, context, context)
		}
		if seen[context] == nil {
			seen[context] = map[string]bool{}
		}
		seen[context][kw] = true
	}
	for name, build := range testCases() {
		if name == "raw-lines" {
			continue
		}
		for hn, h := range mustRender(t, build()) {
			f := h.File(KeepalivedConfPath)
			if f == nil {
				continue
			}
			nodes, err := keepalived.Parse(name+"/"+hn, []byte(f.Content))
			if err != nil {
				t.Fatalf("%s/%s: rendered keepalived.conf does not parse: %v", name, hn, err)
			}
			for _, n := range nodes {
				see("top", n, n.Pos())
				switch n.Keyword {
				case "global_defs", "vrrp_instance", "virtual_server":
					for _, c := range n.Children {
						see(n.Keyword, c, c.Pos())
					}
				}
			}
		}
	}
	// What the golden cases never render is not witnessed here; list it
	// so that a reader knows what this test covers.
	for _, context := range []string{"top", "global_defs", "vrrp_instance", "virtual_server"} {
		var unseen []string
		for _, kw := range config.ModelledKeywords(context) {
			if !seen[context][kw] {
				unseen = append(unseen, kw)
			}
		}
		sort.Strings(unseen)
		t.Logf("%s: modelled keywords no golden case renders: %s", context, strings.Join(unseen, " "))
	}
}
