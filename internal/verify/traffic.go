package verify

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/remote"
)

// trafficTests sends requests through every virtual server and, for
// VRRP-only clusters, to the VIPs of instances whose members serve nginx.
//
// The VRRP-only rule: a VIP is tested on port 80 when no virtual_server
// uses VIP:80 and nginx is mentioned for the instance — a tracked
// health_check whose process or service is "nginx", or a member with the
// service "nginx". Other VIPs are not tested: nothing says what they
// serve.
func (r *runner) trafficTests(ctx context.Context) {
	tested := 0
	for _, name := range r.cfg.VirtualServerNames() {
		if ctx.Err() != nil {
			return
		}
		vs := r.cfg.VirtualServers[name]
		r.step(ctx, fmt.Sprintf("traffic %s: %s", name, vs.AddressString()), func(ctx context.Context, st *Step) error {
			return r.virtualServerTraffic(ctx, st, vs)
		})
		tested++
	}
	for _, name := range r.cfg.VRRPInstanceNames() {
		inst := r.cfg.VRRPInstances[name]
		if !mentionsNginx(r.cfg, inst) {
			continue
		}
		for _, vip := range inst.VirtualIPs {
			addr := netip.AddrPortFrom(vip.Addr(), 80)
			if r.servedByVirtualServer(addr) || ctx.Err() != nil {
				continue
			}
			r.step(ctx, fmt.Sprintf("traffic %s: http://%s/", name, addr), func(ctx context.Context, st *Step) error {
				return r.vipTraffic(ctx, st, inst, addr)
			})
			tested++
		}
	}
	if tested == 0 {
		r.skipStep("traffic", "no virtual_server, and no vrrp_instance whose members run nginx (a tracked health_check or a host service named nginx)")
	}
}

// mentionsNginx reports whether inst's members serve nginx, by the rule of
// trafficTests.
func mentionsNginx(cfg *config.Config, inst *config.VRRPInstance) bool {
	for _, name := range inst.TrackScripts {
		if hc := cfg.HealthChecks[name]; hc != nil && (hc.Process == "nginx" || hc.Service == "nginx") {
			return true
		}
	}
	for _, m := range inst.Members {
		if h := cfg.Hosts[m.Host]; h != nil && slices.Contains(h.Services, "nginx") {
			return true
		}
	}
	return false
}

func (r *runner) servedByVirtualServer(addr netip.AddrPort) bool {
	for _, vs := range r.cfg.VirtualServers {
		if vs.FWMark == 0 && vs.Address == addr {
			return true
		}
		if vs.Group == nil {
			continue
		}
		for _, e := range vs.Group.Entries {
			if e.Port == addr.Port() && slices.Contains(e.Addrs(), addr.Addr()) {
				return true
			}
		}
	}
	return false
}

// send sends Requests requests to addr and returns the bodies of those
// answered and the errors of the others.
func (r *runner) send(ctx context.Context, addr netip.AddrPort) (bodies []string, errs []error) {
	fetch := r.fetcher()
	for i := 0; i < r.opts.Requests && ctx.Err() == nil; i++ {
		body, err := fetch(ctx, addr)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		bodies = append(bodies, strings.TrimSpace(body))
	}
	return bodies, errs
}

// vipTraffic checks that a VIP answers every request; whoever holds it
// serves them, so nothing is said about which member answered.
func (r *runner) vipTraffic(ctx context.Context, st *Step, inst *config.VRRPInstance, addr netip.AddrPort) error {
	bodies, errs := r.send(ctx, addr)
	if err := ctx.Err(); err != nil {
		return err
	}
	st.detailf("%d of %d requests from %s answered", len(bodies), r.opts.Requests, r.opts.Client)
	if len(errs) > 0 {
		return fmt.Errorf("%d requests failed; first: %w", len(errs), errs[0])
	}
	for _, b := range distinct(bodies) {
		st.detailf("response %s", shortBody(b))
	}
	return nil
}

// virtualServerTraffic sends requests to a virtual server and checks that
// every real server with a weight answered. Which real server answered is
// told by the response body when the real servers serve different
// content (the lab's "RS1------RS1" / "RS2------RS2"), else by the
// directors' IPVS connection counters before and after. With persistence,
// one client sticks to one real server for the timeout, so the test then
// passes when all responses came from a single real server; it does not
// wait the timeout out to see the others.
func (r *runner) virtualServerTraffic(ctx context.Context, st *Step, vs *config.VirtualServer) error {
	switch {
	case vs.Group != nil:
		st.skip("virtual_server_group: verify sends requests to a virtual server's single address only")
		return nil
	case vs.FWMark != 0:
		st.skip("fwmark service: no single address to send requests to")
		return nil
	case vs.Protocol == "udp":
		st.skip("UDP service: verify sends HTTP requests over TCP only")
		return nil
	}
	key, _ := vs.IPVSKey()
	before, usable := r.directorStats(ctx, st, vs, key)
	if err := ctx.Err(); err != nil {
		return err
	}
	if !usable {
		return nil // skipped or failed with the reason in st
	}
	bodies, errs := r.send(ctx, vs.Address)
	if err := ctx.Err(); err != nil {
		return err
	}
	st.detailf("%d of %d requests from %s answered", len(bodies), r.opts.Requests, r.opts.Client)
	if len(errs) > 0 {
		return fmt.Errorf("%d requests failed; first: %w", len(errs), errs[0])
	}
	weighted := map[netip.AddrPort]string{} // real servers with weight > 0 → label
	for _, rs := range vs.RealServers {
		if rs.Weight > 0 {
			weighted[rs.AddrPort()] = rsLabel(rs)
		}
	}
	answered, how, err := r.whoAnswered(ctx, vs, key, bodies, before, len(weighted))
	if err != nil {
		return err
	}
	st.detailf("told apart by %s", how)
	var labels []string
	for _, a := range answered {
		labels = append(labels, a.label)
		st.detailf("%s answered %d", a.label, a.count)
	}
	if vs.Persistence > 0 {
		if len(answered) != 1 {
			return fmt.Errorf("persistence %ds: one client should stick to one real server, but %d answered: %s", vs.Persistence, len(answered), strings.Join(labels, ", "))
		}
		st.detailf("persistence %ds: one client sticks to one real server for the timeout; the sticky destination is %s", vs.Persistence, labels[0])
		return nil
	}
	got := map[netip.AddrPort]bool{}
	for _, a := range answered {
		if !a.addr.IsValid() {
			return nil // distinct bodies, at least one per weighted real server
		}
		got[a.addr] = true
	}
	var missing []string
	for addr, label := range weighted {
		if !got[addr] {
			missing = append(missing, label)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		return fmt.Errorf("no answer from %s", strings.Join(missing, ", "))
	}
	return nil
}

// answer is a real server that answered, with how many requests.
type answer struct {
	addr  netip.AddrPort // invalid when told apart by an unmapped body
	label string
	count int
}

// whoAnswered tells which real servers answered: by body when the bodies
// differ (or each maps to a real server's managed file), else by the
// IPVS counters.
func (r *runner) whoAnswered(ctx context.Context, vs *config.VirtualServer, key ipvs.ServiceKey, bodies []string, before map[netip.AddrPort]uint64, weighted int) ([]answer, string, error) {
	owners := bodyOwners(r.cfg, vs)
	counts := map[string]int{}
	for _, b := range bodies {
		counts[b]++
	}
	allMapped := len(bodies) > 0
	for b := range counts {
		if _, ok := owners[b]; !ok {
			allMapped = false
		}
	}
	var out []answer
	switch {
	case allMapped:
		for b, n := range counts {
			rs := owners[b]
			out = append(out, answer{addr: rs.AddrPort(), label: rsLabel(rs), count: n})
		}
	case vs.Persistence == 0 && len(counts) >= weighted:
		for b, n := range counts {
			out = append(out, answer{label: "the server answering " + shortBody(b), count: n})
		}
	case before == nil:
		return nil, "", fmt.Errorf("cannot tell the real servers apart: the responses do not say and no director listed the service's IPVS counters before the requests")
	default:
		after, err := r.gatherCounters(ctx, vs, key)
		if err != nil {
			return nil, "", fmt.Errorf("cannot tell the real servers apart: the responses do not say and the IPVS counters could not be read after the requests: %w", err)
		}
		for _, rs := range vs.RealServers {
			a, b := after[rs.AddrPort()], before[rs.AddrPort()]
			if a > b {
				out = append(out, answer{addr: rs.AddrPort(), label: rsLabel(rs), count: int(a - b)})
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].label < out[j].label })
		return out, "the directors' IPVS connection counters", nil
	}
	sort.Slice(out, func(i, j int) bool { return out[i].label < out[j].label })
	return out, "response body", nil
}

// bodyOwners maps the content of a managed file of each real server host
// (trimmed) to that real server, leaving out content shared by several.
func bodyOwners(cfg *config.Config, vs *config.VirtualServer) map[string]*config.RealServer {
	out := map[string]*config.RealServer{}
	shared := map[string]bool{}
	for _, rs := range vs.RealServers {
		h := cfg.Hosts[rs.Host]
		if h == nil {
			continue
		}
		for _, f := range h.Files {
			c := strings.TrimSpace(f.Content)
			if c == "" || f.Sensitive || len(c) > maxBody {
				continue
			}
			if prev, ok := out[c]; ok && prev != rs {
				shared[c] = true
			}
			out[c] = rs
		}
	}
	for c := range shared {
		delete(out, c)
	}
	return out
}

func rsLabel(rs *config.RealServer) string {
	if rs.Host != "" {
		return fmt.Sprintf("%s (%s)", rs.Host, rs.AddrPort())
	}
	return rs.AddrPort().String()
}

// directorStats gathers the directors' facts before the requests. It
// returns the connection counters per destination summed over the
// directors, and whether to go on: when no director's kernel has IPVS the
// step is skipped (the virtual server cannot work there).
func (r *runner) directorStats(ctx context.Context, st *Step, vs *config.VirtualServer, key ipvs.ServiceKey) (map[netip.AddrPort]uint64, bool) {
	gathered := r.gatherDirectors(ctx, vs)
	noKernel := 0
	for i, d := range vs.Directors {
		g := gathered[i]
		switch {
		case g.err != nil:
			st.detailf("director %s: facts not gathered: %v", d, g.err)
		case g.facts.IPVSStatus.State == facts.StatusNoKernelSupport:
			noKernel++
			st.detailf("director %s: the kernel has no IPVS (%s)", d, g.facts.IPVSStatus.Message)
		case g.facts.IPVSStatus.State != facts.StatusOK:
			st.detailf("director %s: IPVS %s: %s", d, g.facts.IPVSStatus.State, g.facts.IPVSStatus.Message)
		}
	}
	if len(vs.Directors) > 0 && noKernel == len(vs.Directors) {
		st.skip("no director's kernel supports IPVS, so the virtual server cannot work here")
		return nil, false
	}
	return sumCounters(gathered, key), true
}

type gatheredHost struct {
	facts *facts.Host
	err   error
}

func (r *runner) gatherDirectors(ctx context.Context, vs *config.VirtualServer) []gatheredHost {
	out := make([]gatheredHost, len(vs.Directors))
	_ = remote.ForEach(ctx, vs.Directors, len(vs.Directors), func(ctx context.Context, i int) error {
		f, err := r.cl.GatherHost(ctx, vs.Directors[i])
		out[i] = gatheredHost{facts: f, err: err}
		return err
	})
	return out
}

// gatherCounters reads the directors' counters after the requests.
func (r *runner) gatherCounters(ctx context.Context, vs *config.VirtualServer, key ipvs.ServiceKey) (map[netip.AddrPort]uint64, error) {
	gathered := r.gatherDirectors(ctx, vs)
	var reasons []string
	found := false
	for i, g := range gathered {
		switch {
		case g.err != nil:
			reasons = append(reasons, fmt.Sprintf("%s: %v", vs.Directors[i], g.err))
		case g.facts.IPVSStatsError != "":
			reasons = append(reasons, fmt.Sprintf("%s: %s", vs.Directors[i], g.facts.IPVSStatsError))
		case g.facts.IPVSStats.Service(key) != nil:
			found = true
		}
	}
	if !found {
		if len(reasons) == 0 {
			reasons = append(reasons, "the service is in no director's IPVS table")
		}
		return nil, fmt.Errorf("%s", strings.Join(reasons, "; "))
	}
	return sumCounters(gathered, key), nil
}

// sumCounters adds up the connection counters of each destination of key
// over the directors gathered (only the active one carries traffic). It
// returns nil when no director listed the service.
func sumCounters(gathered []gatheredHost, key ipvs.ServiceKey) map[netip.AddrPort]uint64 {
	var out map[netip.AddrPort]uint64
	for _, g := range gathered {
		if g.err != nil || g.facts == nil {
			continue
		}
		if s := g.facts.IPVSStats.Service(key); s != nil {
			if out == nil {
				out = map[netip.AddrPort]uint64{}
			}
			for _, d := range s.Destinations {
				out[d.Addr] += d.Counters.Conns
			}
		}
	}
	return out
}

// distinct returns the distinct strings of list, sorted.
func distinct(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
