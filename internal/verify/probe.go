package verify

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/shell"
)

// probe is what one quick look at a host shows: its addresses, whether
// keepalived runs, and process counts. It is much lighter than gathering
// facts, so it is what the failover steps poll.
type probe struct {
	Addrs []resource.Address
	// Keepalived is what `systemctl is-active keepalived` printed ("" when
	// it printed nothing, e.g. without systemctl).
	Keepalived string
	// Procs counts processes by name (/proc/PID/comm).
	Procs map[string]int
}

// keepalivedRunning reports whether keepalived runs: systemctl says the
// unit is active or a keepalived process exists (as in package status).
func (p probe) keepalivedRunning() bool {
	return p.Keepalived == "active" || p.Procs["keepalived"] > 0
}

// processRE is the shape of a process name as /proc/PID/comm holds it.
var processRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,14}$`)

// probeMarker starts the probe's own lines; `ip -o addr` lines start with
// an interface index.
const probeMarker = "@clusterctl-verify"

// probeCommand returns the shell command of a probe counting keepalived and
// procs. Every name must match processRE.
func probeCommand(procs []string) (string, error) {
	names := []string{"keepalived"}
	for _, p := range procs {
		if !processRE.MatchString(p) {
			return "", fmt.Errorf("invalid process name %q", p)
		}
		if p != "keepalived" {
			names = append(names, p)
		}
	}
	var b strings.Builder
	b.WriteString("ip -o addr show; ")
	fmt.Fprintf(&b, "printf '%s keepalived %%s\\n' \"$(systemctl is-active keepalived 2>/dev/null)\"; ", probeMarker)
	for i := range names {
		fmt.Fprintf(&b, "n%d=0; ", i)
	}
	b.WriteString(`for f in /proc/[0-9]*/comm; do IFS= read -r c <"$f" 2>/dev/null || continue; case "$c" in `)
	for i, n := range names {
		fmt.Fprintf(&b, "%s) n%d=$((n%d+1)) ;; ", shell.Quote(n), i, i)
	}
	b.WriteString("esac; done; ")
	for i, n := range names {
		fmt.Fprintf(&b, "printf '%s proc %s %%s\\n' \"$n%d\"; ", probeMarker, n, i)
	}
	return strings.TrimSuffix(b.String(), "; "), nil
}

// parseProbe reads a probe's output. Remote output is untrusted: lines
// that are neither addresses nor the probe's own are ignored, and output
// without the keepalived line (the probe did not run to the end) is an
// error.
func parseProbe(out []byte) (probe, error) {
	p := probe{Procs: map[string]int{}}
	sawMarker := false
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
		case f[0] == probeMarker:
			switch {
			case len(f) >= 2 && f[1] == "keepalived":
				sawMarker = true
				if len(f) >= 3 {
					p.Keepalived = f[2]
				}
			case len(f) == 4 && f[1] == "proc":
				n, err := strconv.Atoi(f[3])
				if err != nil || n < 0 {
					return probe{}, fmt.Errorf("probe: invalid process count %q", f[3])
				}
				p.Procs[f[2]] = n
			}
		case len(f) >= 4 && strings.HasSuffix(f[0], ":") && (f[2] == "inet" || f[2] == "inet6"):
			pfx, err := netip.ParsePrefix(f[3])
			if err != nil {
				a, aerr := netip.ParseAddr(f[3])
				if aerr != nil {
					continue
				}
				pfx = netip.PrefixFrom(a, a.BitLen())
			}
			dev := strings.TrimSuffix(f[1], ":")
			if i := strings.IndexByte(dev, '@'); i > 0 {
				dev = dev[:i]
			}
			p.Addrs = append(p.Addrs, resource.Address{Dev: dev, Prefix: pfx})
		}
	}
	if !sawMarker {
		return probe{}, fmt.Errorf("probe: incomplete output")
	}
	if len(p.Addrs) == 0 {
		return probe{}, fmt.Errorf("probe: ip -o addr show listed no address")
	}
	return p, nil
}

// observe probes hosts in parallel, counting procs besides keepalived.
func (r *runner) observe(ctx context.Context, hosts []string, procs ...string) (map[string]probe, error) {
	cmd, err := probeCommand(procs)
	if err != nil {
		return nil, err
	}
	out := make([]probe, len(hosts))
	err = remote.ForEach(ctx, hosts, len(hosts), func(ctx context.Context, i int) error {
		conn, err := r.cl.Conn(ctx, hosts[i])
		if err != nil {
			return err
		}
		res, err := conn.Run(ctx, remote.Cmd{Command: cmd})
		if err != nil {
			return err
		}
		if res.ExitCode != 0 {
			line, _, _ := strings.Cut(string(res.Stderr), "\n")
			return fmt.Errorf("probe exited %d: %s", res.ExitCode, line)
		}
		out[i], err = parseProbe(res.Stdout)
		return err
	})
	if err != nil {
		return nil, err
	}
	m := make(map[string]probe, len(hosts))
	for i, h := range hosts {
		m[h] = out[i]
	}
	return m, nil
}

// members returns the hosts of inst in priority order.
func members(inst *config.VRRPInstance) []string {
	out := make([]string, len(inst.Members))
	for i, m := range inst.Members {
		out[i] = m.Host
	}
	return out
}

// holders returns, per VIP of inst, the members holding it, sorted.
func holders(inst *config.VRRPInstance, obs map[string]probe) [][]string {
	out := make([][]string, len(inst.VirtualIPs))
	for i, vip := range inst.VirtualIPs {
		for _, m := range inst.Members {
			if p, ok := obs[m.Host]; ok && resource.HoldsVIP(p.Addrs, inst.Interface, vip.Addr()) {
				out[i] = append(out[i], m.Host)
			}
		}
		sort.Strings(out[i])
	}
	return out
}

// allHeldBy reports whether every VIP is held by exactly one member, and
// that member is in want.
func allHeldBy(hs [][]string, want ...string) bool {
	for _, h := range hs {
		if len(h) != 1 || !slices.Contains(want, h[0]) {
			return false
		}
	}
	return true
}

// describeHolders says who holds each VIP, e.g. "192.168.19.100 held by
// web1 and web2".
func describeHolders(inst *config.VRRPInstance, hs [][]string) string {
	parts := make([]string, len(hs))
	for i, h := range hs {
		who := "nobody"
		if len(h) > 0 {
			who = strings.Join(h, " and ")
		}
		parts[i] = fmt.Sprintf("%s held by %s", inst.VirtualIPs[i].Addr(), who)
	}
	return strings.Join(parts, ", ")
}
