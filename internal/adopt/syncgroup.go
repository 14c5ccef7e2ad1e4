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

// syncGroup is a vrrp_sync_group block.
type syncGroup struct {
	name      string
	instances []string
	notify    map[string]string // notify_master... → the command
	tracking  bool              // global_tracking / sync_group_tracking_weight
	host, pos string
	node      *keepalived.Node
}

func (g *syncGroup) describe() string {
	return fmt.Sprint(g.instances, g.tracking, g.notify)
}

// readSyncGroup reads one host's vrrp_sync_group: its instances, its
// notify scripts and whether it tracks weights.
func (c *cluster) readSyncGroup(hm *hostModel, n *keepalived.Node) {
	host := hm.h.Name
	if len(n.Args) != 1 {
		c.lost(host, n, "vrrp_sync_group needs one name")
		return
	}
	g := &syncGroup{name: n.Args[0], notify: map[string]string{}, host: host, pos: n.Pos(), node: n}
	for _, s := range n.Children {
		switch kw := keepalived.CanonicalKeyword("vrrp_sync_group", s.Keyword); kw {
		case "group":
			for _, i := range s.Children {
				g.instances = append(g.instances, i.Words()...)
			}
		case "notify_master", "notify_backup", "notify_fault", "notify", "notify_stop":
			g.notify[kw] = strings.Join(s.Args, " ")
			c.adoptScript(hm, s, s.Args)
		case "sync_group_tracking_weight", "global_tracking":
			g.tracking = true
		default:
			c.lost(host, s, "vrrp_sync_group %s: %s has no counterpart in clusterctl's model", g.name, s.Keyword)
		}
	}
	slices.Sort(g.instances)
	mergeShared(c, c.syncGroups, g.name, host, n, g)
}

// writeSyncGroups writes the sync groups whose instances were all
// adopted; one naming an instance that was not is lost.
func (c *cluster) writeSyncGroups(body *hclwrite.Body) {
	for _, name := range slices.Sorted(maps.Keys(c.syncGroups)) {
		g := c.syncGroups[name]
		if i := slices.IndexFunc(g.instances, func(n string) bool { return c.instances[n] == nil }); i >= 0 {
			c.lost(g.host, g.node, "vrrp_sync_group %s names vrrp_instance %s, which was not adopted: the group is not in the configuration", g.name, g.instances[i])
			continue
		}
		b := body.AppendNewBlock("vrrp_sync_group", []string{g.name}).Body()
		b.SetAttributeRaw("instances", refs("vrrp_instance", g.instances))
		if g.tracking {
			b.SetAttributeValue("tracking_weight", cty.True)
		}
		for _, k := range []string{"notify_master", "notify_backup", "notify_fault", "notify", "notify_stop"} {
			if v, ok := g.notify[k]; ok {
				b.SetAttributeValue(k, cty.StringVal(v))
			}
		}
		body.AppendNewline()
	}
}

func (x *syncGroup) from() (string, string) { return x.host, x.pos }
