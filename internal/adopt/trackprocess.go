package adopt

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/clusterctl/clusterctl/internal/keepalived"
)

// trackProcess is a vrrp_track_process block.
type trackProcess struct {
	name                  string
	process               string
	weight, quorum, delay int
	host, pos             string
}

func (t *trackProcess) describe() string {
	return fmt.Sprintf("%s %d %d %d", t.process, t.weight, t.quorum, t.delay)
}

// trackProcessName is the configuration name of a vrrp_track_process:
// without clusterctl's tp_ prefix.
func trackProcessName(s string) string { return hclName(strings.TrimPrefix(s, "tp_")) }

// readTrackProcess reads a vrrp_track_process block: process, weight,
// quorum and delay (the model's); anything else is lost.
func (c *cluster) readTrackProcess(host string, n *keepalived.Node) {
	if len(n.Args) != 1 {
		c.lost(host, n, "%s needs one name", n.Keyword)
		return
	}
	t := &trackProcess{name: trackProcessName(n.Args[0]), host: host, pos: n.Pos()}
	for _, s := range n.Children {
		switch s.Keyword {
		case "process":
			if len(s.Args) != 1 {
				c.lost(host, s, "%s %s: process %s: a command name alone is expressible (no arguments)", n.Keyword, n.Args[0], strings.Join(s.Args, " "))
				continue
			}
			t.process = s.Args[0]
		case "weight", "quorum", "delay":
			v, ok := num(s.Arg(0))
			if !ok || len(s.Args) != 1 {
				c.lost(host, s, "%s %s: %s %s is not expressible (a number alone is)", n.Keyword, n.Args[0], s.Keyword, strings.Join(s.Args, " "))
				continue
			}
			switch s.Keyword {
			case "weight":
				t.weight = v
			case "quorum":
				t.quorum = v
			default:
				t.delay = v
			}
		default:
			c.lost(host, s, "%s %s: %s has no counterpart in the model", n.Keyword, n.Args[0], s.Keyword)
		}
	}
	mergeShared(c, c.trackProcs, t.name, host, n, t)
}

func (c *cluster) writeTrackProcesses(body *hclwrite.Body) {
	for _, name := range slices.Sorted(maps.Keys(c.trackProcs)) {
		t := c.trackProcs[name]
		b := body.AppendNewBlock("track_process", []string{name}).Body()
		b.SetAttributeValue("process", cty.StringVal(t.process))
		for _, kv := range []struct {
			k string
			v int
		}{{"weight", t.weight}, {"quorum", t.quorum}, {"delay", t.delay}} {
			if kv.v != 0 {
				b.SetAttributeValue(kv.k, cty.NumberIntVal(int64(kv.v)))
			}
		}
		body.AppendNewline()
	}
}

func (x *trackProcess) from() (string, string) { return x.host, x.pos }
