package keepalived

import (
	"slices"
	"sort"
	"strconv"
	"strings"
)

// VRRP is the VRRP part of a configuration: what decides how the members
// of each instance recognise each other's adverts and who holds the VIPs.
type VRRP struct {
	// SkipCheckAdvAddr is global_defs' vrrp_skip_check_adv_addr: adverts
	// whose address list differs from the receiver's are accepted.
	SkipCheckAdvAddr bool
	// Strict is global_defs' vrrp_strict.
	Strict bool
	// Instances by name.
	Instances map[string]*Instance
}

// Instance is one vrrp_instance as a member's configuration states it.
type Instance struct {
	Name         string
	State        string // MASTER or BACKUP, as written
	Interface    string
	VRID         int
	Priority     int // 100 when not written (keepalived's default)
	AdvertInt    float64
	Version      int // 2 when not written
	AuthType     string
	AuthPass     string
	VIPs         []string // address words as written, sorted
	UnicastSrc   string
	UnicastPeers []string // sorted
	Nopreempt    bool
	PreemptDelay int
	TrackScripts []string // sorted
	TrackIfaces  []string // sorted
	// Other holds every other keyword of the block with its arguments,
	// as written ("notify_master /path", "garp_master_delay 5"), sorted.
	Other []string
}

// ReadVRRP returns the VRRP part of parsed statements.
func ReadVRRP(nodes []*Node) VRRP {
	v := VRRP{Instances: map[string]*Instance{}}
	for _, n := range nodes {
		switch n.Keyword {
		case "global_defs":
			v.SkipCheckAdvAddr = v.SkipCheckAdvAddr || n.Child("vrrp_skip_check_adv_addr") != nil
			v.Strict = v.Strict || n.Child("vrrp_strict") != nil
		case "vrrp_instance":
			in := readInstance(n)
			v.Instances[in.Name] = in
		}
	}
	return v
}

func readInstance(n *Node) *Instance {
	in := &Instance{Name: n.Arg(0), Priority: 100, AdvertInt: 1, Version: 2}
	words := func(c *Node) []string {
		var out []string
		for _, w := range c.Children {
			out = append(out, strings.Join(append([]string{w.Keyword}, w.Args...), " "))
		}
		sort.Strings(out)
		return out
	}
	for _, c := range n.Children {
		switch c.Keyword {
		case "state":
			in.State = c.Arg(0)
		case "interface":
			in.Interface = c.Arg(0)
		case "virtual_router_id":
			in.VRID, _ = strconv.Atoi(c.Arg(0))
		case "priority":
			in.Priority, _ = strconv.Atoi(c.Arg(0))
		case "advert_int":
			in.AdvertInt, _ = strconv.ParseFloat(c.Arg(0), 64)
		case "version":
			in.Version, _ = strconv.Atoi(c.Arg(0))
		case "authentication":
			in.AuthType = c.Child("auth_type").Arg(0)
			in.AuthPass = c.Child("auth_pass").Arg(0)
		case "virtual_ipaddress":
			in.VIPs = words(c)
		case "unicast_src_ip":
			in.UnicastSrc = c.Arg(0)
		case "unicast_peer":
			in.UnicastPeers = words(c)
		case "nopreempt":
			in.Nopreempt = true
		case "preempt_delay":
			in.PreemptDelay, _ = strconv.Atoi(c.Arg(0))
		case "track_script":
			in.TrackScripts = words(c)
		case "track_interface":
			in.TrackIfaces = words(c)
		default:
			in.Other = append(in.Other, strings.Join(append([]string{c.Keyword}, c.Args...), " "))
		}
	}
	sort.Strings(in.Other)
	return in
}

// AdvertChanges names what differs between a and b in what the members
// of an instance put in or check on each other's adverts: the VIP set
// (checked unless vrrp_skip_check_adv_addr), the VRID, the advert
// interval, the authentication, unicast addressing, the VRRP version and
// the interface. A member whose configuration differs from its peers'
// in one of these discards their adverts (or they its): reloading the
// members one at a time can then make two of them MASTER, or none.
func AdvertChanges(a, b *Instance) []string {
	var out []string
	if !slices.Equal(a.VIPs, b.VIPs) {
		out = append(out, "virtual_ipaddress")
	}
	if a.VRID != b.VRID {
		out = append(out, "virtual_router_id")
	}
	if a.AdvertInt != b.AdvertInt {
		out = append(out, "advert_int")
	}
	if a.AuthType != b.AuthType || a.AuthPass != b.AuthPass {
		out = append(out, "authentication")
	}
	if a.UnicastSrc != b.UnicastSrc || !slices.Equal(a.UnicastPeers, b.UnicastPeers) {
		out = append(out, "unicast")
	}
	if a.Version != b.Version {
		out = append(out, "version")
	}
	if a.Interface != b.Interface {
		out = append(out, "interface")
	}
	return out
}

// LocalChanges names what differs between a and b that a member decides
// on its own: priority, initial state, preemption, tracking and other
// keywords.
func LocalChanges(a, b *Instance) []string {
	var out []string
	if a.Priority != b.Priority {
		out = append(out, "priority")
	}
	if a.State != b.State {
		out = append(out, "state")
	}
	if a.Nopreempt != b.Nopreempt || a.PreemptDelay != b.PreemptDelay {
		out = append(out, "preemption")
	}
	if !slices.Equal(a.TrackScripts, b.TrackScripts) || !slices.Equal(a.TrackIfaces, b.TrackIfaces) {
		out = append(out, "tracking")
	}
	if !slices.Equal(a.Other, b.Other) {
		out = append(out, "other settings")
	}
	return out
}
