// Package graph draws a cluster's topology: VRRP instances with their VIPs
// and members, virtual services with their directors, forwarding mode and
// real servers. Build is a pure function of the configuration and,
// optionally, a status report (the live overlay: who holds each VIP, each
// member's state, which real servers can take traffic); DOT, SVG and Text
// are its three drawings. Nothing here does I/O.
package graph

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/status"
)

// Graph is a cluster's topology, ready to draw.
type Graph struct {
	// Live is true when a status report was overlaid.
	Live      bool
	Instances []Instance
	Services  []Service
	// Verdict is the live report's verdict ("" without --live).
	Verdict string
}

// Instance is a VRRP instance.
type Instance struct {
	Name      string
	VRID      int
	Interface string
	VIPs      []string
	Members   []Member
}

// Member is a member of an instance.
type Member struct {
	Host     string
	Priority int
	// State and Holds are live: keepalived's state and whether the member
	// holds the VIPs ("" and false without the overlay).
	State string
	Holds bool
}

// Service is a virtual service.
type Service struct {
	Name      string
	Address   string // "tcp 192.168.47.128:80", "fwmark 1"
	Mode      string // nat, dr, tun, fullnat
	Scheduler string
	ManagedBy string
	Directors []string
	Real      []RealServer
}

// RealServer is one real server of a service.
type RealServer struct {
	Host    string // configuration host, or "" for a bare address
	Address string // ADDR:PORT
	Weight  int
	// Up is live: in some director's table with a weight above 0 and not
	// failed by keepalived's checker; Known is false without the overlay
	// or when no director's table could be read.
	Up, Known bool
}

// Build builds the graph of cfg; r, when not nil, is overlaid.
func Build(cfg *config.Config, r *status.Report) Graph {
	g := Graph{Live: r != nil}
	if r != nil {
		g.Verdict = string(r.Verdict)
	}
	for _, name := range cfg.VRRPInstanceNames() {
		v := cfg.VRRPInstances[name]
		in := Instance{Name: v.Name, VRID: v.VirtualRouterID, Interface: v.Interface}
		for _, p := range v.VirtualIPs {
			in.VIPs = append(in.VIPs, p.Addr().String())
		}
		var live *status.Instance
		if r != nil {
			for i := range r.Instances {
				if r.Instances[i].Name == v.Name {
					live = &r.Instances[i]
				}
			}
		}
		for _, m := range v.Members {
			mem := Member{Host: m.Host, Priority: m.Priority}
			if live != nil {
				for _, lm := range live.Members {
					if lm.Host == m.Host {
						mem.State, mem.Holds = lm.State, lm.HoldsVIPs > 0
					}
				}
			}
			in.Members = append(in.Members, mem)
		}
		g.Instances = append(g.Instances, in)
	}
	for _, name := range cfg.VirtualServerNames() {
		vs := cfg.VirtualServers[name]
		s := Service{Name: vs.Name, Address: vs.AddressString(), Mode: string(vs.Mode), Scheduler: vs.Scheduler, ManagedBy: vs.ManagedBy, Directors: append([]string(nil), vs.Directors...)}
		var live *status.VirtualServer
		if r != nil {
			for i := range r.VirtualServers {
				if r.VirtualServers[i].Name == vs.Name {
					live = &r.VirtualServers[i]
				}
			}
		}
		for _, rs := range vs.RealServers {
			out := RealServer{Host: rs.Host, Address: rs.AddrPort().String(), Weight: rs.Weight}
			if live != nil {
				for _, d := range live.Directors {
					if !d.Available {
						continue
					}
					out.Known = true
					for _, lr := range d.RealServers {
						if lr.Address == out.Address && lr.InTable && lr.Weight > 0 && lr.Health != "failed" {
							out.Up = true
						}
					}
				}
			}
			s.Real = append(s.Real, out)
		}
		sort.SliceStable(s.Real, func(i, j int) bool { return s.Real[i].Address < s.Real[j].Address })
		g.Services = append(g.Services, s)
	}
	return g
}

// label of a member: "web1 (100)" and, live, its state.
func (m Member) label() string {
	s := m.Host + " prio " + strconv.Itoa(m.Priority)
	if m.State != "" {
		s += " " + m.State
	}
	return s
}

// label of a real server: its address, host and weight.
func (r RealServer) label() string {
	s := r.Address
	if r.Host != "" {
		s = r.Host + " " + s
	}
	return s + " w" + strconv.Itoa(r.Weight)
}

// liveWord is a real server's live word: "up", "DOWN" or "".
func (r RealServer) liveWord(live bool) string {
	switch {
	case !live:
		return ""
	case !r.Known:
		return "unknown"
	case r.Up:
		return "up"
	}
	return "DOWN"
}

// serviceLabel is "web: tcp 192.168.47.128:80 nat/wlc".
func (s Service) label() string {
	return fmt.Sprintf("%s: %s %s/%s", s.Name, s.Address, s.Mode, s.Scheduler)
}
