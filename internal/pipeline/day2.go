package pipeline

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/hostops"
	"github.com/clusterctl/clusterctl/internal/keepalived"
	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/render"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// Rollback is `clusterctl rollback`: each planned host goes back to the
// files of its newest generation of backups (or the one named suffix),
// as plan.RollbackDesired says.
func Rollback(suffix string) *Operation {
	var mu sync.Mutex
	gens := map[string]plan.Generation{}
	return &Operation{
		Name: "rollback",
		Prepare: func(ctx context.Context, host string, ops hostops.Host) ([]string, error) {
			backups, err := ops.Backups(ctx)
			if err != nil {
				return nil, err
			}
			g, ok := plan.Pick(plan.Generations(backups), suffix)
			switch {
			case !ok && suffix != "":
				return nil, fmt.Errorf("no generation %s in %s", suffix, resource.BackupDir)
			case !ok:
				return nil, fmt.Errorf("nothing to roll back: no backups in %s", resource.BackupDir)
			}
			mu.Lock()
			gens[host] = g
			mu.Unlock()
			return g.BackupFiles(), nil
		},
		Desired: func(host string, rendered *resource.Host, observed *plan.Observed) (*resource.Host, []string, error) {
			mu.Lock()
			g := gens[host]
			mu.Unlock()
			return plan.RollbackDesired(rendered, observed, g)
		},
		GateOnFiles: true,
	}
}

// Destroy is `clusterctl destroy`: each planned host is brought to
// plan.DestroyDesired, directors first.
func Destroy() *Operation {
	return &Operation{
		Name: "destroy",
		Desired: func(host string, _ *resource.Host, _ *plan.Observed) (*resource.Host, []string, error) {
			return plan.DestroyDesired(host), nil, nil
		},
		GateOnFiles:    true,
		DirectorsFirst: true,
	}
}

// SetMarks is drain, undrain and failover: each planned host is
// rendered from the configuration with its marks (resource.Marks of its
// manifest) as edit changes them; the manifest then keeps them, so later
// plans and applies keep the state.
func SetMarks(cfg *config.Config, name string, edit func(host string, marks []resource.ManifestEntry) []resource.ManifestEntry) *Operation {
	return &Operation{
		Name: name,
		Desired: func(host string, _ *resource.Host, observed *plan.Observed) (*resource.Host, []string, error) {
			marks := edit(host, resource.Marks(observed.Manifest))
			e := render.HostEnv{Firewall: FirewallBackend(cfg, host, observed.Firewalld)}
			e.Keepalived, _ = keepalived.ParseVersion(observed.KeepalivedVersion)
			d, err := render.RenderEnv(cfg, map[string][]resource.ManifestEntry{host: marks}, map[string]render.HostEnv{host: e})
			if err != nil {
				return nil, nil, err
			}
			return d[host], nil, nil
		},
		GateOnFiles: true,
	}
}

// DrainTarget resolves what `clusterctl drain NAME` names: a host that
// is a real server, or a real server's address. It returns the mark's
// key, the directors that carry it and the virtual servers it is in.
func DrainTarget(cfg *config.Config, name string) (key string, directors []string, vss []*config.VirtualServer, err error) {
	key = name
	if a, perr := netip.ParseAddr(name); perr == nil {
		key = a.String()
	}
	for _, vn := range cfg.VirtualServerNames() {
		vs := cfg.VirtualServers[vn]
		if !slices.ContainsFunc(vs.RealServers, func(rs *config.RealServer) bool {
			return rs.Host != "" && rs.Host == key || rs.Address.String() == key
		}) {
			continue
		}
		vss = append(vss, vs)
		for _, d := range vs.Directors {
			if !slices.Contains(directors, d) {
				directors = append(directors, d)
			}
		}
	}
	if len(vss) == 0 {
		return "", nil, nil, fmt.Errorf("%s is not a real server of any virtual_server (name a host that is one, or a real server's address)", name)
	}
	return key, directors, vss, nil
}

// Drain is `clusterctl drain` (undrain with drain false): the mark
// resource.ManifestDrain for key on every director that carries it.
func Drain(cfg *config.Config, key string, drain bool) *Operation {
	mark := resource.ManifestEntry{Kind: resource.ManifestDrain, Key: key}
	name := "drain"
	if !drain {
		name = "undrain"
	}
	return SetMarks(cfg, name, func(_ string, marks []resource.ManifestEntry) []resource.ManifestEntry {
		marks = slices.DeleteFunc(marks, func(m resource.ManifestEntry) bool { return m == mark })
		if drain {
			marks = append(marks, mark)
		}
		return marks
	})
}

// FailoverTarget checks `clusterctl failover INSTANCE [--to HOST]` and
// returns the member the instance moves to (by default the
// highest-priority member after the configured master) and the members.
func FailoverTarget(cfg *config.Config, instance, to string) (string, []string, error) {
	v := cfg.VRRPInstances[instance]
	if v == nil {
		return "", nil, fmt.Errorf("no vrrp_instance %q in the configuration", instance)
	}
	var members []string
	for _, m := range v.Members {
		members = append(members, m.Host)
	}
	if to == "" {
		if len(v.Members) < 2 {
			return "", nil, fmt.Errorf("vrrp_instance %s has one member: there is nowhere to fail over to", instance)
		}
		to = v.Members[1].Host
	}
	if v.MemberFor(to) == nil {
		return "", nil, fmt.Errorf("%s is not a member of vrrp_instance %s (members: %s)", to, instance, strings.Join(members, ", "))
	}
	if _, ok := render.FailoverPriority(v, to); !ok {
		return "", nil, fmt.Errorf("%s cannot outrank its peers in %s: a peer has priority 254 already (255 is reserved for the address owner)", to, instance)
	}
	if v.Nopreempt || v.PreemptDelay > 0 {
		return "", nil, fmt.Errorf("vrrp_instance %s has nopreempt or preempt_delay: a higher priority does not take the VIPs over, so failover cannot move them (stop keepalived on the holder instead)", instance)
	}
	return to, members, nil
}

// Failover is `clusterctl failover`: the mark resource.ManifestFailover
// for instance on to, and on no other member; with release (to ""), on
// none.
func Failover(cfg *config.Config, instance, to string) *Operation {
	mark := resource.ManifestEntry{Kind: resource.ManifestFailover, Key: instance}
	name := "failover"
	if to == "" {
		name = "failover --release"
	}
	return SetMarks(cfg, name, func(host string, marks []resource.ManifestEntry) []resource.ManifestEntry {
		marks = slices.DeleteFunc(marks, func(m resource.ManifestEntry) bool { return m == mark })
		if host == to {
			marks = append(marks, mark)
		}
		return marks
	})
}

// DrainProgress is one look at a drained real server on a director.
type DrainProgress struct {
	Host               string
	Active, Inactive   uint64
	QuietFor, Persists time.Duration // how long it has had no connection; the persistence timeout it waits out
}

// WaitDrained waits until no director of vss has a connection to the
// real server key on any of them and, where a virtual server has
// persistence, no connection for its persistence timeout either (its
// templates have then expired: IPVS ends a template once it controls no
// connection and its timeout has passed). It polls every second for up
// to timeout, telling progress each look, and returns an error naming
// what is left when time is up.
func WaitDrained(ctx context.Context, c *Cluster, key string, directors []string, vss []*config.VirtualServer, timeout time.Duration, now func() time.Time, sleep func(context.Context, time.Duration), progress func([]DrainProgress)) error {
	persist := time.Duration(0)
	addrs := map[netip.AddrPort]bool{}
	for _, vs := range vss {
		persist = max(persist, time.Duration(vs.Persistence)*time.Second)
		for _, rs := range vs.RealServers {
			if rs.Host == key || rs.Address.String() == key {
				addrs[rs.AddrPort()] = true
			}
		}
	}
	start := now()
	quiet := map[string]time.Time{}
	for {
		var looks []DrainProgress
		done := true
		for _, d := range directors {
			ops, err := c.Open(ctx, d)
			if err != nil {
				return fmt.Errorf("%s: %w", d, err)
			}
			st, err := ops.IPVSStats(ctx)
			if err != nil {
				return fmt.Errorf("%s: %w", d, err)
			}
			p := DrainProgress{Host: d, Persists: persist}
			for _, s := range st.Services {
				for _, ds := range s.Destinations {
					if addrs[ds.Addr] {
						p.Active += ds.ActiveConn
						p.Inactive += ds.InActConn
					}
				}
			}
			t := now()
			if p.Active+p.Inactive > 0 {
				delete(quiet, d)
			} else if _, ok := quiet[d]; !ok {
				quiet[d] = t
			}
			if q, ok := quiet[d]; ok {
				p.QuietFor = t.Sub(q)
			}
			if p.Active+p.Inactive > 0 || p.QuietFor < persist {
				done = false
			}
			looks = append(looks, p)
		}
		if progress != nil {
			progress(looks)
		}
		if done {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if now().Sub(start) >= timeout {
			var left []string
			for _, p := range looks {
				left = append(left, fmt.Sprintf("%s: %d active, %d inactive connections, quiet for %s of %s", p.Host, p.Active, p.Inactive, p.QuietFor.Round(time.Second), p.Persists))
			}
			return fmt.Errorf("%s is drained (weight 0) but not idle after %s: %s", key, timeout, strings.Join(left, "; "))
		}
		sleep(ctx, time.Second)
	}
}
