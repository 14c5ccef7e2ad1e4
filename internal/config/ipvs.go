package config

import (
	"maps"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// IPVS holds the host-wide IPVS settings of every director: connection
// timeouts (ipvsadm --set) and net.ipv4.vs.* sysctls.
type IPVS struct {
	// Timeouts in seconds; 0 leaves the kernel's value alone.
	TimeoutTCP, TimeoutTCPFin, TimeoutUDP int
	// Sysctls maps a net.ipv4.vs setting (without the prefix, e.g.
	// "expire_nodest_conn") to its value.
	Sysctls   map[string]int
	DeclRange hcl.Range
	Ranges    Ranges
	// SysctlRanges says where each key of sysctls was written.
	SysctlRanges Ranges
}

// IPVSSysctlPrefix is the sysctl prefix of IPVS settings.
const IPVSSysctlPrefix = "net.ipv4.vs."

// ipvsSysctl is one settable net.ipv4.vs sysctl: its range and what it
// does (Documentation/networking/ipvs-sysctl.rst).
type ipvsSysctl struct {
	lo, hi int
	doc    string
}

// IPVSSysctls are the net.ipv4.vs settings the ipvs block may set. Those
// that take other than one integer (sync_threshold, est_cpulist) are left
// out.
var IPVSSysctls = map[string]ipvsSysctl{
	"am_droprate":               {0, 1 << 30, "rate of the drop defence modes"},
	"amemthresh":                {0, 1 << 30, "free memory (pages) below which the defence modes start"},
	"backup_only":               {0, 1, "a backup sync daemon's host does not direct traffic"},
	"cache_bypass":              {0, 1, "forward to the original destination when no cache server is there"},
	"conn_reuse_mode":           {0, 3, "how a reused connection entry is rescheduled (1: new connection on reuse)"},
	"conntrack":                 {0, 1, "keep netfilter connection tracking entries for IPVS connections (needed by SNAT, FULLNAT)"},
	"drop_entry":                {0, 3, "drop connection entries at random under memory pressure"},
	"drop_packet":               {0, 3, "drop packets at random under memory pressure"},
	"expire_nodest_conn":        {0, 1, "expire a connection at once when its real server is deleted"},
	"expire_quiescent_template": {0, 1, "expire persistence templates of a real server whose weight is 0"},
	"ignore_tunneled":           {0, 1, "ignore tunnelled packets (for IPVS behind a tunnel)"},
	"nat_icmp_send":             {0, 1, "send ICMP errors for NAT connections that have no real server"},
	"pmtu_disc":                 {0, 1, "path MTU discovery for tunnelled packets"},
	"run_estimation":            {0, 1, "compute rate estimates (ipvsadm --rate)"},
	"schedule_icmp":             {0, 1, "schedule ICMP packets of a virtual service"},
	"secure_tcp":                {0, 3, "the TCP state table defence"},
	"sloppy_sctp":               {0, 1, "pick up SCTP associations mid-stream (after a director failover)"},
	"sloppy_tcp":                {0, 1, "pick up TCP connections from any packet, not only SYN (after a director failover)"},
	"snat_reroute":              {0, 1, "re-route SNATed replies from a real server"},
	"sync_persist_mode":         {0, 1, "sync daemon: sync persistence templates only"},
	"sync_ports":                {1, 128, "sync daemon: number of threads and ports"},
	"sync_qlen_max":             {1, 1 << 30, "sync daemon: most queued sync messages"},
	"sync_refresh_period":       {0, 1 << 30, "sync daemon: seconds between resyncs of a connection whose state did not change"},
	"sync_retries":              {0, 3, "sync daemon: retries of a sync message"},
	"sync_sock_size":            {0, 1 << 30, "sync daemon: socket buffer size"},
	"sync_version":              {0, 1, "sync daemon: protocol version (1 carries IPv6 and persistence engines)"},
}

var ipvsSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "timeout_tcp"}, {Name: "timeout_tcpfin"}, {Name: "timeout_udp"}, {Name: "sysctls"},
	},
}

// maxIPVSTimeout is the largest timeout ipvsadm --set takes: 2^31-1
// seconds overflows the kernel's jiffies; a day is far above any use.
const maxIPVSTimeout = 31 * 24 * 3600

func (d *decoder) decodeIPVS(blocks []*hcl.Block) IPVS {
	blk := d.onlyOne(blocks)
	if blk == nil {
		return IPVS{}
	}
	r := d.reader(blk.Body, ipvsSchema)
	s := IPVS{DeclRange: blk.DefRange, Ranges: r.ranges, SysctlRanges: Ranges{}}
	s.TimeoutTCP = r.integer("timeout_tcp", 0, 1, maxIPVSTimeout)
	s.TimeoutTCPFin = r.integer("timeout_tcpfin", 0, 1, maxIPVSTimeout)
	s.TimeoutUDP = r.integer("timeout_udp", 0, 1, maxIPVSTimeout)
	if v, ok := r.value("sysctls", cty.Map(cty.Number)); ok {
		keyAt := map[string]hcl.Range{}
		if a := r.content.Attributes["sysctls"]; a != nil {
			if pairs, diags := hcl.ExprMap(a.Expr); !diags.HasErrors() {
				for _, p := range pairs {
					if k, diags := p.Key.Value(nil); !diags.HasErrors() && k.Type() == cty.String {
						keyAt[k.AsString()] = p.Key.Range()
					}
				}
			}
		}
		s.Sysctls = map[string]int{}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			name := k.AsString()
			rng, ok := keyAt[name]
			if !ok {
				rng = r.ranges["sysctls"]
			}
			s.SysctlRanges[name] = rng
			def, known := IPVSSysctls[name]
			if !known {
				r.errorf(rng, "Unknown IPVS sysctl", "%q is not a net.ipv4.vs setting clusterctl knows.%s Known: %v.", name, suggest(name, slices.Sorted(maps.Keys(IPVSSysctls))), slices.Sorted(maps.Keys(IPVSSysctls)))
				continue
			}
			if e.IsNull() {
				r.errorf(rng, "Invalid value", "sysctls[%q] must be a number.", name)
				continue
			}
			bf := e.AsBigFloat()
			n, acc := bf.Int64()
			if !bf.IsInt() || acc != 0 || n < int64(def.lo) || n > int64(def.hi) {
				r.errorf(rng, "Value out of range", "net.ipv4.vs.%s (%s) must be a whole number between %d and %d; got %s.", name, def.doc, def.lo, def.hi, bf.Text('g', -1))
				continue
			}
			s.Sysctls[name] = int(n)
		}
	}
	d.done(r)
	return s
}
