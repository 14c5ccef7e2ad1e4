package render

import (
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/netfilter"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/shell"
)

// natRulesView is what iptables-nat.rules.tmpl renders.
type natRulesView struct {
	Path  string
	Chain string
	Rules []string
}

// filterRulesView is what iptables-filter.rules.tmpl renders.
type filterRulesView struct {
	Path   string
	Chains []filterChain
}

type filterChain struct {
	Name  string
	Rules []string
}

// restoreView is what clusterctl-restore.sh.tmpl renders; every string is
// already quoted for the shell.
type restoreView struct {
	TunnelUp   bool
	SysctlFile string
	Addresses  []string // `ip addr replace` arguments
	Routes     []string // `ip route replace` arguments
	NATFile    string
	NATChain   string
	// FilterFile is the firewall's rules file (iptables backend) and
	// FilterJumps the built-in chains to jump from with their chains.
	FilterFile  string
	FilterJumps [][2]string
	// NFTFile is the firewall's nft -f file (nftables backend) and
	// NFTJumps the commands that add the jumps to its chains.
	NFTFile      string
	NFTJumps     []string
	IPVSFile     string
	IPVSServices []string // ipvsadm service selectors: "-t 192.168.47.128:80"
	IPVSTimeouts string   // `ipvsadm --set` arguments; "" to leave them
}

// addPersistence writes the files that make the runtime state survive a
// reboot: the sysctl and modules drop-ins, the NAT and IPVS rule files, and
// the clusterctl-restore script with its oneshot unit.
func (b *hostBuilder) addPersistence() error {
	sysctls := b.sortedSysctls()
	if len(sysctls) > 0 {
		content, err := b.execute("sysctl.conf.tmpl", sysctls)
		if err != nil {
			return err
		}
		if err := b.addFile(rootFile(SysctlDropInPath, 0o644, content)); err != nil {
			return err
		}
	}
	if len(b.modules) > 0 {
		content, err := b.execute("modules-load.conf.tmpl", slices.Sorted(maps.Keys(b.modules)))
		if err != nil {
			return err
		}
		if err := b.addFile(rootFile(ModulesLoadPath, 0o644, content)); err != nil {
			return err
		}
	}
	if len(b.natRules) > 0 {
		b.addPackage("iptables")
		content, err := b.execute("iptables-nat.rules.tmpl", natRulesView{Path: NATRulesPath, Chain: resource.NATChain, Rules: b.natRules})
		if err != nil {
			return err
		}
		if err := b.addFile(rootFile(NATRulesPath, 0o644, content)); err != nil {
			return err
		}
	}
	fwFile := b.firewall != nil && b.firewall.Backend == resource.FirewallIPTables && len(b.firewall.Input)+len(b.firewall.Forward) > 0
	var jumps [][2]string
	if fwFile {
		view := filterRulesView{Path: FilterRulesPath}
		for _, c := range []struct {
			from, chain string
			rules       []string
		}{{"INPUT", resource.FirewallInputChain, b.firewall.Input}, {"FORWARD", resource.FirewallForwardChain, b.firewall.Forward}} {
			if len(c.rules) > 0 {
				view.Chains = append(view.Chains, filterChain{Name: c.chain, Rules: c.rules})
				jumps = append(jumps, [2]string{c.from, c.chain})
			}
		}
		content, err := b.execute("iptables-filter.rules.tmpl", view)
		if err != nil {
			return err
		}
		if err := b.addFile(rootFile(FilterRulesPath, 0o644, content)); err != nil {
			return err
		}
	}
	nftFile := b.firewall != nil && b.firewall.Backend == resource.FirewallNFTables && len(b.firewall.Input)+len(b.firewall.Forward) > 0
	var nftJumps [][2]string
	if nftFile {
		fw := b.firewall
		var body strings.Builder
		for _, c := range []struct {
			from, chain string
			rules       []string
		}{{fw.NFTInput, resource.NFTInputChain, fw.Input}, {fw.NFTForward, resource.NFTForwardChain, fw.Forward}} {
			if len(c.rules) == 0 {
				continue
			}
			in, err := netfilter.NFTRestoreChain(fw.NFTTable, c.chain, c.rules)
			if err != nil {
				return err
			}
			body.WriteString(in)
			jump, err := netfilter.NFTJumpScript(fw.NFTTable, c.from, c.chain)
			if err != nil {
				return err
			}
			nftJumps = append(nftJumps, [2]string{c.from, jump})
		}
		content, err := b.execute("nftables.rules.tmpl", struct{ Path, Table, Body string }{NFTRulesPath, fw.NFTTable, body.String()})
		if err != nil {
			return err
		}
		if err := b.addFile(rootFile(NFTRulesPath, 0o644, content)); err != nil {
			return err
		}
	}
	table := ipvs.Table{Services: append([]ipvs.Service(nil), b.ipvs...), Timeouts: b.ipvsTimeouts}
	table.Normalize()
	var selectors []string
	if len(table.Services) > 0 || !table.Timeouts.IsZero() {
		content, err := b.execute("ipvs.rules.tmpl", table.Save())
		if err != nil {
			return err
		}
		if err := b.addFile(rootFile(IPVSRulesPath, 0o644, content)); err != nil {
			return err
		}
		for _, s := range table.Services {
			selectors = append(selectors, shell.Join(s.Key.Args()...))
		}
	}
	if len(sysctls) == 0 && len(b.addresses) == 0 && len(b.routes) == 0 && len(b.natRules) == 0 && !fwFile && !nftFile && len(table.Services) == 0 && table.Timeouts.IsZero() {
		return nil
	}
	view := restoreView{IPVSServices: selectors}
	if !table.Timeouts.IsZero() {
		view.IPVSTimeouts = ipvs.Edit{Op: ipvs.SetTimeouts, Timeouts: table.Timeouts}.String()
	}
	if len(sysctls) > 0 {
		view.SysctlFile = SysctlDropInPath
	}
	addrs := append([]resource.Address(nil), b.addresses...)
	sort.Slice(addrs, func(i, j int) bool { return resource.AddressLess(addrs[i], addrs[j]) })
	for _, a := range addrs {
		view.Addresses = append(view.Addresses, a.Prefix.String()+" dev "+shell.Quote(a.Dev))
		view.TunnelUp = view.TunnelUp || a.Dev == tunnelDev
	}
	routes := append([]resource.Route(nil), b.routes...)
	sort.Slice(routes, func(i, j int) bool { return resource.RouteLess(routes[i], routes[j]) })
	for _, r := range routes {
		view.Routes = append(view.Routes, routeArgs(r))
	}
	if len(b.natRules) > 0 {
		view.NATFile = NATRulesPath
		view.NATChain = resource.NATChain
	}
	if fwFile {
		view.FilterFile = FilterRulesPath
		view.FilterJumps = jumps
	}
	if nftFile {
		view.NFTFile = NFTRulesPath
		for _, j := range nftJumps {
			view.NFTJumps = append(view.NFTJumps, j[1])
		}
	}
	if len(table.Services) > 0 {
		view.IPVSFile = IPVSRulesPath
	}
	script, err := b.execute("clusterctl-restore.sh.tmpl", view)
	if err != nil {
		return err
	}
	// With a firewall, after the host's own rules are loaded: a full
	// iptables-restore would flush clusterctl's chains.
	unit, err := b.execute("clusterctl-restore.service.tmpl", struct {
		Script   string
		Firewall bool
	}{RestoreScriptPath, fwFile || nftFile})
	if err != nil {
		return err
	}
	if err := b.addFile(rootFile(RestoreScriptPath, 0o755, script)); err != nil {
		return err
	}
	if err := b.addFile(rootFile(RestoreUnitPath, 0o644, unit)); err != nil {
		return err
	}
	b.service(RestoreServiceName).EnableOnly = true
	return nil
}

// routeArgs are the `ip route replace` arguments for r.
func routeArgs(r resource.Route) string {
	dst := r.Dst.String()
	if r.Dst.Bits() == 0 && r.Dst.Addr().IsUnspecified() {
		dst = "default"
	}
	s := dst
	if r.Via.IsValid() {
		s += " via " + r.Via.String()
	}
	if r.Dev != "" {
		s += " dev " + shell.Quote(r.Dev)
	}
	return s
}
