package adopt

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/clusterctl/clusterctl/internal/keepalived"
)

// syncDaemon is keepalived's lvs_sync_daemon as the model holds it: on
// the instance whose state the IPVS sync daemon follows. Unset numbers
// are -1 (sync id) or 0.
type syncDaemon struct {
	iface             string
	id                int
	maxlen, port, ttl int
	group             string
}

// String is the daemon's settings in one canonical line, for conflicts.
func (s syncDaemon) String() string {
	return fmt.Sprintf("%s id=%d maxlen=%d port=%d ttl=%d group=%s", s.iface, s.id, s.maxlen, s.port, s.ttl, s.group)
}

// syncLine is one host's global lvs_sync_daemon line.
type syncLine struct {
	host     string
	instance string
	d        syncDaemon
	node     *keepalived.Node
}

// parseSyncLine reads "lvs_sync_daemon IFACE INSTANCE [id N] [maxlen N]
// [port N] [ttl N] [group ADDR]".
func (c *cluster) parseSyncLine(host string, n *keepalived.Node) (syncLine, bool) {
	if len(n.Args) < 2 {
		c.lost(host, n, "lvs_sync_daemon needs an interface and a vrrp_instance")
		return syncLine{}, false
	}
	l := syncLine{host: host, instance: n.Args[1], node: n, d: syncDaemon{iface: n.Args[0], id: -1}}
	opts := n.Args[2:]
	for i := 0; i < len(opts); i += 2 {
		kw := opts[i]
		if i+1 >= len(opts) {
			c.lost(host, n, "lvs_sync_daemon: %s has no value", kw)
			return syncLine{}, false
		}
		val := opts[i+1]
		if kw == "group" {
			a, err := netip.ParseAddr(val)
			if err != nil || !a.IsMulticast() {
				c.lost(host, n, "lvs_sync_daemon: group %q is not a multicast address", val)
				return syncLine{}, false
			}
			l.d.group = a.String()
			continue
		}
		v, err := strconv.Atoi(val)
		if err != nil || v < 0 {
			c.lost(host, n, "lvs_sync_daemon: %s %q is not a whole number", kw, val)
			return syncLine{}, false
		}
		switch strings.ToLower(kw) {
		case "id":
			l.d.id = v
		case "maxlen":
			l.d.maxlen = v
		case "port":
			l.d.port = v
		case "ttl":
			l.d.ttl = v
		default:
			c.lost(host, n, "lvs_sync_daemon: unknown option %q", kw)
			return syncLine{}, false
		}
	}
	return l, true
}

// attachSync puts each host's lvs_sync_daemon on the instance it follows.
// The configuration renders it on every member of that instance, so the
// members must agree, and every member must run it.
func (c *cluster) attachSync() {
	for _, l := range c.syncLines {
		in, ok := c.instances[l.instance]
		if !ok {
			c.lost(l.host, l.node, "lvs_sync_daemon follows vrrp_instance %s, which this host does not run", l.instance)
			continue
		}
		member := false
		for _, m := range in.members {
			member = member || m.host == l.host
		}
		if !member {
			c.lost(l.host, l.node, "lvs_sync_daemon follows vrrp_instance %s, which this host does not run", l.instance)
			continue
		}
		if in.sync == nil {
			d := l.d
			in.sync = &d
		} else if in.sync.String() != l.d.String() {
			c.conflict(l.host, l.node, "lvs_sync_daemon %s here differs from %s on %s; the configuration keeps the first", l.d, in.sync, strings.Join(in.syncHosts, ", "))
			continue
		}
		in.syncHosts = append(in.syncHosts, l.host)
	}
	for _, name := range slices.Sorted(maps.Keys(c.instances)) {
		in := c.instances[name]
		if in.sync == nil {
			continue
		}
		for _, m := range in.members {
			if !slices.Contains(in.syncHosts, m.host) {
				c.findings = append(c.findings, Finding{Level: Info, Host: m.host, Pos: m.pos, Keyword: "lvs_sync_daemon",
					Msg: fmt.Sprintf("vrrp_instance %s: this member runs no lvs_sync_daemon while %s do; the configuration runs it on every member (apply adds it here)", name, strings.Join(in.syncHosts, ", "))})
			}
		}
	}
}
