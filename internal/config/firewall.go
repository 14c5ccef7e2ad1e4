package config

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Firewall backends (the firewall block's backend).
const (
	FirewallAuto      = "auto"
	FirewallIPTables  = "iptables"
	FirewallFirewalld = "firewalld"
	FirewallNFTables  = "nftables"
)

// FirewallBackends are the backends the firewall block accepts.
var FirewallBackends = []string{FirewallAuto, FirewallIPTables, FirewallFirewalld, FirewallNFTables}

// Firewall says whether and how clusterctl opens the host firewall for
// what the cluster needs (VRRP between members, the virtual services on
// directors, the real servers' ports, NAT's forwarded replies, and the
// ports hosts list). The zero value leaves every firewall alone.
type Firewall struct {
	// Manage is false by default: clusterctl then never touches a
	// firewall (the plan notes a running firewalld).
	Manage bool
	// Backend is FirewallAuto (firewalld where it runs, iptables
	// otherwise), FirewallIPTables, FirewallFirewalld or
	// FirewallNFTables.
	Backend string
	// NFTTable is the host's own nftables table clusterctl adds its
	// chains to ("inet filter"), NFTInput and NFTForward the base chains
	// of that table that jump to them (nftables backend).
	NFTTable, NFTInput, NFTForward string
	// FirewalldZone is the zone clusterctl adds its rich rules to
	// (firewalld backend); "" for firewalld's default zone.
	FirewalldZone string
	DeclRange     hcl.Range
	Ranges        Ranges
}

// HostFirewall is a host's own firewall block: ports the host serves
// that clusterctl cannot infer (a web server of its own), and an
// override of the cluster's manage and backend.
type HostFirewall struct {
	// Manage overrides Firewall.Manage when not nil.
	Manage *bool
	// Backend overrides Firewall.Backend when not "".
	Backend string
	// Ports are opened to anyone: "80/tcp", "53/udp".
	Ports     []Port
	DeclRange hcl.Range
	Ranges    Ranges
}

// Port is a port and its transport protocol.
type Port struct {
	Number int
	Proto  string // "tcp" or "udp"
}

func (p Port) String() string { return strconv.Itoa(p.Number) + "/" + p.Proto }

var firewallSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "manage"}, {Name: "backend"}, {Name: "nft_table"}, {Name: "nft_input_chain"}, {Name: "nft_forward_chain"}, {Name: "firewalld_zone"}},
}

var (
	nftTableRE = regexp.MustCompile(`^(ip|ip6|inet) [A-Za-z_][A-Za-z0-9_.-]{0,63}$`)
	nftChainRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,63}$`)
	zoneRE     = regexp.MustCompile(`^[A-Za-z0-9_+-]{1,17}$`)
)

var hostFirewallSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "manage"}, {Name: "backend"}, {Name: "ports"}},
}

var portRE = regexp.MustCompile(`^([0-9]{1,5})/(tcp|udp)$`)

func (d *decoder) decodeFirewall(blocks []*hcl.Block) Firewall {
	blk := d.onlyOne(blocks)
	if blk == nil {
		return Firewall{Backend: FirewallAuto, NFTTable: "inet filter", NFTInput: "input", NFTForward: "forward"}
	}
	r := d.reader(blk.Body, firewallSchema)
	fw := Firewall{DeclRange: blk.DefRange, Ranges: r.ranges}
	fw.Manage = r.boolean("manage", false)
	fw.Backend = r.str("backend", FirewallAuto)
	if !slices.Contains(FirewallBackends, fw.Backend) {
		r.errorf(r.ranges["backend"], "Unknown firewall backend", "backend must be one of %s; got %q.", strings.Join(FirewallBackends, ", "), fw.Backend)
		fw.Backend = FirewallAuto
	}
	fw.NFTTable = r.str("nft_table", "inet filter")
	if !nftTableRE.MatchString(fw.NFTTable) {
		r.errorf(r.ranges["nft_table"], "Invalid nftables table", "nft_table is FAMILY NAME with FAMILY ip, ip6 or inet, e.g. \"inet filter\"; got %q.", fw.NFTTable)
	}
	fw.NFTInput = r.str("nft_input_chain", "input")
	fw.NFTForward = r.str("nft_forward_chain", "forward")
	for _, a := range []string{"nft_input_chain", "nft_forward_chain"} {
		if v := r.str(a, "x"); !nftChainRE.MatchString(v) {
			r.errorf(r.ranges[a], "Invalid nftables chain", "%s must be a chain name (letters, digits, _ . -); got %q.", a, v)
		}
	}
	fw.FirewalldZone = r.str("firewalld_zone", "")
	if r.has("firewalld_zone") && !zoneRE.MatchString(fw.FirewalldZone) {
		r.errorf(r.ranges["firewalld_zone"], "Invalid firewalld zone", "firewalld_zone is a zone name of 1 to 17 letters, digits, _ + -; got %q.", fw.FirewalldZone)
	}
	d.done(r)
	return fw
}

func (d *decoder) decodeHostFirewall(h *Host, blocks []*hcl.Block) {
	blk := d.onlyOne(blocks)
	if blk == nil {
		return
	}
	r := d.reader(blk.Body, hostFirewallSchema)
	fw := &HostFirewall{DeclRange: blk.DefRange, Ranges: r.ranges}
	if r.has("manage") {
		m := r.boolean("manage", false)
		fw.Manage = &m
	}
	fw.Backend = r.str("backend", "")
	if fw.Backend != "" && !slices.Contains(FirewallBackends, fw.Backend) {
		r.errorf(r.ranges["backend"], "Unknown firewall backend", "backend must be one of %s; got %q.", strings.Join(FirewallBackends, ", "), fw.Backend)
		fw.Backend = ""
	}
	seen := map[Port]bool{}
	for _, s := range r.strings("ports") {
		m := portRE.FindStringSubmatch(s)
		n := 0
		if m != nil {
			n, _ = strconv.Atoi(m[1])
		}
		if m == nil || n < 1 || n > 65535 {
			r.errorf(r.ranges["ports"], "Invalid port", "ports are written PORT/tcp or PORT/udp with PORT from 1 to 65535; got %q.", s)
			continue
		}
		p := Port{Number: n, Proto: m[2]}
		if !seen[p] {
			seen[p] = true
			fw.Ports = append(fw.Ports, p)
		}
	}
	slices.SortFunc(fw.Ports, func(a, b Port) int {
		if a.Proto != b.Proto {
			return strings.Compare(a.Proto, b.Proto)
		}
		return a.Number - b.Number
	})
	d.done(r)
	h.Firewall = fw
}

// FirewallFor returns whether clusterctl manages host's firewall and with
// which backend (FirewallAuto until facts resolve it), the host's block
// overriding the cluster's.
func (c *Config) FirewallFor(host string) (manage bool, backend string) {
	manage, backend = c.Firewall.Manage, c.Firewall.Backend
	if backend == "" {
		backend = FirewallAuto
	}
	if h := c.Hosts[host]; h != nil && h.Firewall != nil {
		if h.Firewall.Manage != nil {
			manage = *h.Firewall.Manage
		}
		if h.Firewall.Backend != "" {
			backend = h.Firewall.Backend
		}
	}
	return manage, backend
}
