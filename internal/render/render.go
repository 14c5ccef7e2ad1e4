package render

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"text/template"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/keepalived"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/templates"
)

// ErrConflict is returned when two roles of a host need different values
// for the same thing (a sysctl, the default route, a file path).
var ErrConflict = errors.New("conflicting desired state")

// Render computes the desired state of every host of cfg, keyed by host
// name. cfg must be validated; inconsistencies that validation should have
// caught (a member that is not a host, an unknown health check, a NAT real
// server with no way to reach its director) are returned as errors.
// Every returned Host is sorted, and rendering the same cfg twice gives
// deep-equal results.
func Render(cfg *config.Config) (map[string]*resource.Host, error) {
	out, _, err := renderAll(cfg, nil, nil)
	return out, err
}

// HostEnv is what rendering a host takes from the host itself: its
// keepalived release (keepalived.conf's spellings) and its firewall
// backend once "auto" is resolved (config.FirewallIPTables or
// config.FirewallFirewalld; "" when not known, rendered as iptables).
type HostEnv struct {
	Keepalived keepalived.Version
	Firewall   string
}

// renderAll renders every host of cfg with its marks in force and its
// keepalived.conf written for its keepalived release (versions; a host
// not in it gets the spellings of an unknown release), and returns what
// each host's keepalived.conf needs of keepalived (KeepalivedUses).
func renderAll(cfg *config.Config, marks map[string][]resource.ManifestEntry, versions map[string]keepalived.Version) (map[string]*resource.Host, map[string][]keepalived.Use, error) {
	env := map[string]HostEnv{}
	for h, v := range versions {
		env[h] = HostEnv{Keepalived: v}
	}
	return renderEnv(cfg, marks, env)
}

// renderEnv is renderAll with each host's environment.
func renderEnv(cfg *config.Config, marks map[string][]resource.ManifestEntry, env map[string]HostEnv) (map[string]*resource.Host, map[string][]keepalived.Use, error) {
	if cfg == nil {
		return nil, nil, errors.New("render: nil configuration")
	}
	tmpl, err := template.New("").Option("missingkey=error").ParseFS(templates.FS, "*.tmpl")
	if err != nil {
		return nil, nil, fmt.Errorf("parse templates: %w", err)
	}
	if err := checkReferences(cfg); err != nil {
		return nil, nil, err
	}
	out := make(map[string]*resource.Host, len(cfg.Hosts))
	uses := map[string][]keepalived.Use{}
	for _, name := range cfg.HostNames() {
		b := newHostBuilder(cfg, tmpl, name, env[name].Keepalived, marks[name]...)
		b.firewallBackend = env[name].Firewall
		h, err := b.render()
		if err != nil {
			return nil, nil, fmt.Errorf("host %s: %w", name, err)
		}
		out[name] = h
		if len(b.uses) > 0 {
			uses[name] = b.uses
		}
	}
	return out, uses, nil
}

// checkReferences makes sure every host name used by an instance or a
// virtual server is a declared host.
func checkReferences(cfg *config.Config) error {
	for _, name := range cfg.VRRPInstanceNames() {
		for _, m := range cfg.VRRPInstances[name].Members {
			if cfg.Hosts[m.Host] == nil {
				return fmt.Errorf("vrrp_instance %s: member %q is not a declared host", name, m.Host)
			}
		}
	}
	for _, name := range cfg.VirtualServerNames() {
		vs := cfg.VirtualServers[name]
		for _, d := range vs.Directors {
			if cfg.Hosts[d] == nil {
				return fmt.Errorf("virtual_server %s: director %q is not a declared host", name, d)
			}
		}
		for _, rs := range vs.RealServers {
			if rs.Host != "" && cfg.Hosts[rs.Host] == nil {
				return fmt.Errorf("virtual_server %s: real server %q is not a declared host", name, rs.Host)
			}
		}
	}
	return nil
}

// RenderMarked computes the desired state of every host of cfg with the
// operator's marks in force on each (resource.ManifestDrain: the real
// server at weight 0 on that director; resource.ManifestFailover: that
// member's priority above its peers'). A mark that names nothing the
// host has under the configuration is dropped. Hosts without marks
// render as Render renders them.
func RenderMarked(cfg *config.Config, marks map[string][]resource.ManifestEntry) (map[string]*resource.Host, error) {
	out, _, err := renderAll(cfg, marks, nil)
	return out, err
}

// RenderFor is RenderMarked with each host's keepalived.conf written for
// the keepalived release versions names for it: keywords renamed across
// releases (keepalived.SyncGroupTrackingWeight, HTTPGetRetry) get that
// release's spelling. A host not in versions is
// rendered as Render renders it.
func RenderFor(cfg *config.Config, marks map[string][]resource.ManifestEntry, versions map[string]keepalived.Version) (map[string]*resource.Host, error) {
	out, _, err := renderAll(cfg, marks, versions)
	return out, err
}

// RenderEnv is RenderFor with each host's whole environment (HostEnv):
// its keepalived release and its resolved firewall backend.
func RenderEnv(cfg *config.Config, marks map[string][]resource.ManifestEntry, env map[string]HostEnv) (map[string]*resource.Host, error) {
	out, _, err := renderEnv(cfg, marks, env)
	return out, err
}

// FailoverPriority is the priority a member of v gets while a failover
// mark moves v to it: one above the highest of its peers (at most 254;
// 255 means address owner). ok is false when no such priority exists
// (a peer at 254 already) or host is no member.
func FailoverPriority(v *config.VRRPInstance, host string) (prio int, ok bool) {
	m := v.MemberFor(host)
	if m == nil {
		return 0, false
	}
	top := 0
	for _, o := range v.Members {
		if o.Host != host {
			top = max(top, o.Priority)
		}
	}
	switch {
	case m.Priority > top:
		return m.Priority, true
	case top >= 254:
		return 0, false
	}
	return top + 1, true
}

// drained reports whether rs is drained on this host by a mark.
func (b *hostBuilder) drained(rs *config.RealServer) bool {
	for _, m := range b.marks {
		if m.Kind == resource.ManifestDrain && (m.Key == rs.Host && rs.Host != "" || m.Key == rs.Address.String()) {
			b.usedMarks[m] = true
			return true
		}
	}
	return false
}

// weight is rs's weight on this host: 0 while it is drained.
func (b *hostBuilder) weight(rs *config.RealServer) int {
	if b.drained(rs) {
		return 0
	}
	return rs.Weight
}

// priority is this host's priority in v, raised while a failover mark
// moves v to it.
func (b *hostBuilder) priority(v *config.VRRPInstance, m *config.Member) int {
	for _, mk := range b.marks {
		if mk.Kind == resource.ManifestFailover && mk.Key == v.Name {
			if p, ok := FailoverPriority(v, m.Host); ok {
				b.usedMarks[mk] = true
				return p
			}
		}
	}
	return m.Priority
}

func newHostBuilder(cfg *config.Config, tmpl *template.Template, name string, version keepalived.Version, marks ...resource.ManifestEntry) *hostBuilder {
	return &hostBuilder{
		version:   version,
		marks:     marks,
		usedMarks: map[resource.ManifestEntry]bool{},
		cfg:       cfg,
		tmpl:      tmpl,
		host:      cfg.Hosts[name],
		packages:  map[string]bool{},
		modules:   map[string]bool{},
		sysctls:   map[string]sysctlEntry{},
		files:     map[string]resource.File{},
		services:  map[string]*resource.Service{},
	}
}

// render computes the host's desired state.
func (b *hostBuilder) render() (*resource.Host, error) {
	steps := []func() error{
		b.addUserDeclared,
		b.addKeepalived,
		b.addDirector,
		b.addRealServer,
		b.addGateway,
		b.addFirewall,
		b.addPersistence,
		b.addServiceReloads,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return b.build(), nil
}

// hostBuilder accumulates the desired state of one host; sets dedupe what
// several roles ask for, and conflicting requests are errors.
type hostBuilder struct {
	cfg  *config.Config
	tmpl *template.Template
	host *config.Host
	// firewallBackend is the host's resolved firewall backend ("" when
	// not known); firewall what addFirewall rendered (nil: unmanaged).
	firewallBackend string
	firewall        *resource.Firewall
	// version is the keepalived release keepalived.conf is written for;
	// zero when not known.
	version keepalived.Version
	// uses are the version-bound features keepalived.conf needs.
	uses []keepalived.Use
	// marks are the operator's marks in force (RenderMarked); usedMarks
	// those that applied to something.
	marks     []resource.ManifestEntry
	usedMarks map[resource.ManifestEntry]bool

	packages  map[string]bool
	modules   map[string]bool
	sysctls   map[string]sysctlEntry
	addresses []resource.Address
	routes    []resource.Route
	files     map[string]resource.File
	natRules  []string
	ipvs      []ipvs.Service
	// ipvsTimeouts are the IPVS timeouts of a director (zero: unmanaged).
	ipvsTimeouts ipvs.Timeouts
	services     map[string]*resource.Service
}

// sysctlEntry is a wanted sysctl value and the role that wants it, for
// conflict messages.
type sysctlEntry struct {
	value, reason string
}

func (b *hostBuilder) addPackage(names ...string) {
	for _, n := range names {
		b.packages[n] = true
	}
}

func (b *hostBuilder) addModule(names ...string) {
	for _, n := range names {
		b.modules[n] = true
	}
}

func (b *hostBuilder) setSysctl(key, value, reason string) error {
	if old, ok := b.sysctls[key]; ok && old.value != value {
		return fmt.Errorf("sysctl %s: %s needs %q but %s needs %q: %w", key, old.reason, old.value, reason, value, ErrConflict)
	}
	if _, ok := b.sysctls[key]; !ok {
		b.sysctls[key] = sysctlEntry{value: value, reason: reason}
	}
	return nil
}

func (b *hostBuilder) addAddress(a resource.Address) {
	for _, x := range b.addresses {
		if x == a {
			return
		}
	}
	b.addresses = append(b.addresses, a)
}

// addRoute adds r; a second route to the same destination through another
// gateway or device is a conflict.
func (b *hostBuilder) addRoute(r resource.Route, reason string) error {
	for _, x := range b.routes {
		if x.Dst != r.Dst {
			continue
		}
		if x == r {
			return nil
		}
		return fmt.Errorf("route %s: via %s dev %q and, for %s, via %s dev %q: %w", r.Dst, x.Via, x.Dev, reason, r.Via, r.Dev, ErrConflict)
	}
	b.routes = append(b.routes, r)
	return nil
}

func (b *hostBuilder) addFile(f resource.File) error {
	if !strings.HasPrefix(f.Path, "/") {
		return fmt.Errorf("file %q: path is not absolute", f.Path)
	}
	if _, ok := b.files[f.Path]; ok {
		return fmt.Errorf("file %s: declared twice: %w", f.Path, ErrConflict)
	}
	b.files[f.Path] = f
	return nil
}

// addNATRule appends a rule of resource.NATChain unless it is already there.
func (b *hostBuilder) addNATRule(rule string) {
	for _, r := range b.natRules {
		if r == rule {
			return
		}
	}
	b.natRules = append(b.natRules, rule)
}

func (b *hostBuilder) service(name string) *resource.Service {
	s := b.services[name]
	if s == nil {
		s = &resource.Service{Name: name}
		b.services[name] = s
	}
	return s
}

// execute runs the named template with view.
func (b *hostBuilder) execute(name string, view any) ([]byte, error) {
	var buf bytes.Buffer
	if err := b.tmpl.ExecuteTemplate(&buf, name, view); err != nil {
		return nil, fmt.Errorf("execute template %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// rootFile is a managed file owned by root.
func rootFile(path string, mode uint32, content []byte) resource.File {
	return resource.File{Path: path, Content: content, Mode: mode, Owner: "root", Group: "root"}
}

func (b *hostBuilder) build() *resource.Host {
	h := &resource.Host{Name: b.host.Name}
	for p := range b.packages {
		h.Packages = append(h.Packages, p)
	}
	for m := range b.modules {
		h.Modules = append(h.Modules, m)
	}
	for k, v := range b.sysctls {
		h.Sysctls = append(h.Sysctls, resource.Sysctl{Key: k, Value: v.value})
	}
	h.Addresses = append(h.Addresses, b.addresses...)
	h.Routes = append(h.Routes, b.routes...)
	for _, f := range b.files {
		h.Files = append(h.Files, f)
	}
	h.NATRules = append(h.NATRules, b.natRules...)
	h.Firewall = b.firewall
	h.IPVS.Services = append(h.IPVS.Services, b.ipvs...)
	h.IPVS.Timeouts = b.ipvsTimeouts
	h.IPVS.Normalize()
	for _, s := range b.services {
		sort.Strings(s.ReloadOn)
		sort.Strings(s.RestartOn)
		h.Services = append(h.Services, *s)
	}
	for _, m := range b.marks {
		if b.usedMarks[m] && !slices.Contains(h.Marks, m) {
			h.Marks = append(h.Marks, m)
		}
	}
	resource.SortManifest(h.Marks)
	h.Sort()
	return h
}

// sortedSysctls returns the wanted sysctls ordered by key.
func (b *hostBuilder) sortedSysctls() []resource.Sysctl {
	out := make([]resource.Sysctl, 0, len(b.sysctls))
	for k, v := range b.sysctls {
		out = append(out, resource.Sysctl{Key: k, Value: v.value})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// hostAddrOn returns the address of h on the subnet that contains a.
func hostAddrOn(h *config.Host, a netip.Addr) (netip.Addr, string, bool) {
	iface, p, ok := h.InterfaceFor(a)
	if !ok {
		return netip.Addr{}, "", false
	}
	return p.Addr(), iface.Name, true
}
