package facts

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/clusterctl/clusterctl/internal/resource"
)

// Fingerprint returns a stable SHA-256 (hex) over the observed state the
// planner uses: OS, hostname, package manager and packages, keepalived
// version, service states (Known/Active/Enabled), addresses, links (name,
// up), routes, sysctls and missing sysctls, modules, the IPVS table and its
// status, the rules of resource.NATChain with whether POSTROUTING jumps to it
// and the NAT status, files (existence, mode, owner, group, size, content
// hash, too-large) and the manifest. A saved plan whose fingerprint no
// longer matches is stale.
//
// It excludes what changes without anyone changing the configuration or
// what the planner does not read: IPVS statistics, process counts, the
// lock, the raw systemctl state strings, link carrier/oper state, other
// nat chains (docker and kube-proxy rewrite them constantly) and status
// messages. A nil host hashes like an empty one.
func Fingerprint(h *Host) string {
	if h == nil {
		h = &Host{}
	}
	d := sha256.New()
	w := func(fields ...any) {
		for _, f := range fields {
			// Length-prefixed quoting keeps field boundaries unambiguous.
			s := fmt.Sprint(f)
			fmt.Fprintf(d, "%d:%s,", len(s), s)
		}
		d.Write([]byte{'\n'})
	}
	w("fingerprint", 1)
	w("os", h.OSID, h.OSVersion, h.Hostname, h.PackageManager, h.KeepalivedVersion)
	for _, k := range slices.Sorted(maps.Keys(h.Packages)) {
		w("package", k, h.Packages[k])
	}
	for _, k := range slices.Sorted(maps.Keys(h.Services)) {
		s := h.Services[k]
		w("service", k, s.Known, s.Active, s.Enabled)
	}
	addrs := append([]resource.Address(nil), h.Addresses...)
	sort.Slice(addrs, func(i, j int) bool { return resource.AddressLess(addrs[i], addrs[j]) })
	for _, a := range addrs {
		w("address", a.Dev, a.Prefix)
	}
	links := append([]Link(nil), h.Links...)
	sort.Slice(links, func(i, j int) bool { return links[i].Name < links[j].Name })
	for _, l := range links {
		w("link", l.Name, l.Up)
	}
	routes := append([]resource.Route(nil), h.Routes...)
	sortRoutes(routes)
	for _, r := range routes {
		w("route", r.Dst, r.Via, r.Dev)
	}
	for _, k := range slices.Sorted(maps.Keys(h.Sysctls)) {
		w("sysctl", k, h.Sysctls[k])
	}
	for _, k := range slices.Sorted(maps.Keys(h.MissingSysctls)) {
		w("sysctl-missing", k, h.MissingSysctls[k])
	}
	for _, k := range slices.Sorted(maps.Keys(h.Modules)) {
		w("module", k, h.Modules[k])
	}
	w("ipvs", h.IPVSStatus.State, h.IPVS.Save())
	w("nat", h.NATStatus.State, h.NAT.Exists(resource.NATChain), h.NAT.Jumps("POSTROUTING", resource.NATChain))
	for _, r := range h.NAT.Chain(resource.NATChain) {
		w("nat-rule", r)
	}
	w("filter", h.FilterStatus.State)
	for _, c := range []string{"INPUT", "FORWARD"} {
		for _, r := range h.Filter.Chain(c) {
			if strings.Contains(r, resource.FirewallInputChain) || strings.Contains(r, resource.FirewallForwardChain) {
				w("filter-jump", c, r)
			}
		}
	}
	for _, c := range []string{resource.FirewallInputChain, resource.FirewallForwardChain} {
		w("filter-chain", c, h.Filter.Exists(c))
		for _, r := range h.Filter.Chain(c) {
			w("filter-rule", c, r)
		}
	}
	w("nft", h.NFTStatus.State, h.NFTTable)
	for _, c := range slices.Sorted(maps.Keys(h.NFT)) {
		for _, r := range h.NFT[c] {
			if strings.HasPrefix(c, "clusterctl-") || strings.Contains(r, "clusterctl-") {
				w("nft-rule", c, r)
			}
		}
	}
	w("firewalld", h.Firewalld)
	for _, r := range h.RichRules {
		w("rich-rule", r)
	}
	for _, r := range h.PermanentRichRules {
		w("rich-rule-permanent", r)
	}
	for _, k := range slices.Sorted(maps.Keys(h.Files)) {
		f := h.Files[k]
		w("file", k, f.Exists, f.Other, f.Error, strconv.FormatUint(uint64(f.Mode), 8), f.Owner, f.Group, f.Size, f.TooLarge, f.Content != nil, sum(sha256.New(), f.Content))
	}
	w("manifest", h.Manifest != nil)
	for _, m := range h.Manifest {
		w("manifest-entry", m.Kind, m.Key)
	}
	return hex.EncodeToString(d.Sum(nil))
}

func sum(d hash.Hash, b []byte) string {
	d.Write(b)
	return hex.EncodeToString(d.Sum(nil))
}
