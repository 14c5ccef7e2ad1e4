package adopt

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strings"
)

// Services import looks at besides keepalived: the ones the clusters it
// adopts serve with.
var Services = []string{"nginx", "httpd", "apache2", "haproxy"}

// readAddrsAndServices adopts a host's interface addresses (not its
// VRRP VIPs, which keepalived holds, nor loopback's) and running
// services.
func (c *cluster) readAddrsAndServices(hm *hostModel) {
	h := hm.h
	vips := map[netip.Addr]bool{}
	for _, in := range c.instances {
		for _, v := range in.vips {
			vips[v.Addr()] = true
		}
	}
	if !h.AddrsKnown {
		c.findings = append(c.findings, Finding{Level: Lost, Host: h.Name, Msg: "its addresses were not read (no ip-addr.txt): its interface blocks are missing; add them"})
	}
	for _, a := range h.Addrs {
		if a.Dev == "lo" || vips[a.Prefix.Addr()] {
			continue
		}
		hm.interfaces[a.Dev] = append(hm.interfaces[a.Dev], a.Prefix)
	}
	for _, name := range Services {
		s, ok := h.Services[name]
		if !ok || !s.Active {
			continue
		}
		hm.services = append(hm.services, name)
		if !s.Enabled {
			c.findings = append(c.findings, Finding{Level: Change, Host: h.Name, Keyword: name,
				Msg: fmt.Sprintf("%s runs but is not enabled at boot; clusterctl keeps it enabled: the first plan enables it", name)})
		}
	}
	if h.ConfPath != "" {
		s := h.Services["keepalived"]
		switch {
		case !s.Active:
			c.findings = append(c.findings, Finding{Level: Change, Host: h.Name, Keyword: "keepalived",
				Msg: "keepalived is not running; the first plan starts it"})
		case !s.Enabled:
			c.findings = append(c.findings, Finding{Level: Change, Host: h.Name, Keyword: "keepalived",
				Msg: "keepalived runs but is not enabled at boot; clusterctl keeps it enabled: the first plan enables it"})
		}
	}
}

// mergeMembers orders each instance's members, reports ties, and keeps
// a member's state explicit only where it differs from what clusterctl
// derives; unicast peers must be the other members.
func (c *cluster) mergeMembers() {
	for _, name := range slices.Sorted(maps.Keys(c.instances)) {
		in := c.instances[name]
		sort.SliceStable(in.members, func(i, j int) bool { return in.members[i].priority > in.members[j].priority })
		for i := 1; i < len(in.members); i++ {
			if in.members[i].priority == in.members[i-1].priority {
				c.findings = append(c.findings, Finding{Level: Conflict, Host: in.members[i].host, Pos: in.members[i].pos,
					Msg: fmt.Sprintf("vrrp_instance %s: priority %d ties with %s (%s); keepalived then elects by address", name, in.members[i].priority, in.members[i-1].host, in.members[i-1].pos)})
			}
		}
		if in.authVar != "" {
			v := "vrrp_password"
			if len(c.instances) > 1 {
				v = "vrrp_password_" + hclName(name)
			}
			c.vars[v] = in.authVar
			c.varLen[v] = in.authLen
			in.authVar = v
		}
	}
	hostAddr := map[string]map[string]bool{} // host → interface → addresses
	for _, hm := range c.hosts {
		hostAddr[hm.h.Name] = map[string]bool{}
		for dev, ps := range hm.interfaces {
			for _, p := range ps {
				hostAddr[hm.h.Name][dev+" "+p.Addr().String()] = true
			}
		}
	}
	for _, pc := range c.pendingPeers {
		in := c.instances[pc.instance]
		var want []string
		known := true
		for _, m := range in.members {
			if m.host == pc.host {
				continue
			}
			found := ""
			for k := range hostAddr[m.host] {
				if strings.HasPrefix(k, in.iface+" ") {
					found = strings.TrimPrefix(k, in.iface+" ")
				}
			}
			if found == "" {
				known = false
			}
			want = append(want, found)
		}
		got := slices.Clone(pc.peers)
		slices.Sort(got)
		slices.Sort(want)
		if known && !slices.Equal(got, want) {
			c.lost(pc.host, pc.node, "vrrp_instance %s: unicast_peer %s is not the other members' addresses on %s (%s); clusterctl derives the peers from the members", pc.instance, strings.Join(got, " "), in.iface, strings.Join(want, " "))
		}
	}
}

// derivedStates is what clusterctl derives for members sorted by
// priority: the first MASTER, the rest BACKUP; every one BACKUP with
// nopreempt or preempt_delay.
func derivedState(in *instance, i int) string {
	if in.nopreempt || in.preempt > 0 || i > 0 {
		return "BACKUP"
	}
	return "MASTER"
}
