// Package hostopstest is a typed, stateful fake of hostops.Host for tests
// of apply and the pipelines: a Cluster of simulated machines that keep
// their packages, modules, sysctls, addresses, routes, files, NAT chain,
// IPVS table, services, manifest and lock, answer Facts from that state,
// and behave like a keepalived cluster (the running member of highest
// priority holds each instance's VIPs). Faults are injected per
// operation: before it takes effect, after it took effect with the reply
// lost, or as a dropped connection (every later operation fails). It
// never parses shell text; the shell commands are tested in package
// hostops against remote.Fake and in the lab.
package hostopstest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/hostops"
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/kastate"
	"github.com/clusterctl/clusterctl/internal/keepalived"
	"github.com/clusterctl/clusterctl/internal/netfilter"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// Op names an operation of hostops.Host, for logs and faults.
type Op string

// The operations, one per method of hostops.Host.
const (
	OpFacts           Op = "facts"
	OpAddresses       Op = "addresses"
	OpServiceActive   Op = "service-active"
	OpIPVSStats       Op = "ipvs-stats"
	OpInstallPackages Op = "install-packages"
	OpLoadModules     Op = "load-modules"
	OpSetSysctls      Op = "set-sysctls"
	OpAddAddress      Op = "add-address"
	OpDeleteAddress   Op = "delete-address"
	OpReplaceRoute    Op = "replace-route"
	OpWriteFile       Op = "write-file"
	OpRemoveFile      Op = "remove-file"
	OpRestoreFile     Op = "restore-file"
	OpRestoreNAT      Op = "restore-nat"
	OpRemoveNAT       Op = "remove-nat"
	OpRestoreFilter   Op = "restore-filter"
	OpRemoveFilter    Op = "remove-filter"
	OpRichRules       Op = "rich-rules"
	OpRestoreNFT      Op = "restore-nft"
	OpRemoveNFT       Op = "remove-nft"
	OpApplyIPVS       Op = "apply-ipvs"
	OpSystemctl       Op = "systemctl"
	OpDaemonReload    Op = "daemon-reload"
	OpWriteManifest   Op = "write-manifest"
	OpLock            Op = "lock"
	OpUnlock          Op = "unlock"
	OpBreakLock       Op = "break-lock"
	OpBackups         Op = "backups"
	OpLockFacts       Op = "lock-facts"
	OpFactsUnlock     Op = "facts-unlock"
)

// Mutates reports whether op changes the host.
func (o Op) Mutates() bool {
	switch o {
	case OpFacts, OpAddresses, OpServiceActive, OpIPVSStats, OpBackups:
		return false
	}
	return true
}

// FaultMode is how an injected fault fails an operation.
type FaultMode string

// Fault modes.
const (
	// Before: the operation fails without taking effect (a timeout before
	// the host got the command).
	Before FaultMode = "before"
	// After: the operation takes effect and its reply is lost.
	After FaultMode = "after"
	// Drop: the connection drops; this operation and every later one on
	// the host fail without taking effect.
	Drop FaultMode = "drop"
)

// Errors the fake returns for injected faults.
var (
	ErrDropped = errors.New("ssh: connection lost: EOF")
	ErrTimeout = errors.New("command timed out after 5m0s: context deadline exceeded")
)

// File is a file on a simulated host.
type File struct {
	Content      []byte
	Mode         uint32
	Owner, Group string
}

// Service is a unit's state.
type Service struct{ Active, Enabled bool }

// LogEntry is one operation as the fake saw it.
type LogEntry struct {
	// Seq orders the operations of the whole cluster (1, 2, ...).
	Seq    int
	Op     Op
	Detail string // e.g. the unit and verb, the path, the edits
	Err    error
}

func (e LogEntry) String() string {
	s := string(e.Op)
	if e.Detail != "" {
		s += " " + e.Detail
	}
	if e.Err != nil {
		s += " => " + e.Err.Error()
	}
	return s
}

// Host is the state of one simulated machine. Tests may set its fields
// before the first operation; after that, use the Cluster's methods.
type Host struct {
	Name       string
	Interfaces []config.Interface
	Packages   map[string]bool
	// KeepalivedVersion is the release the keepalived package reports
	// once installed; "" means Debian 12's 2.2.7, the lab's.
	KeepalivedVersion string
	Modules           map[string]bool
	Sysctls           map[string]string
	Addresses         []resource.Address
	Routes            []resource.Route
	Files             map[string]File
	// NATChain says clusterctl's chain exists, NATJump that POSTROUTING
	// jumps to it; NATRules are its rules; ForeignNAT are POSTROUTING
	// rules clusterctl did not make.
	NATChain   bool
	NATJump    bool
	NATRules   []string
	ForeignNAT []string
	// Filter holds clusterctl's filter chains that exist with their
	// rules, FilterJumps the built-in chains that jump to them ("INPUT
	// CLUSTERCTL-INPUT").
	Filter      map[string][]string
	FilterJumps map[string]bool
	// NFT is the host's nftables table (nil: none): its chains with
	// their rules, as `nft list table` prints them.
	NFT map[string][]string
	// Firewalld runs on the host; RichRules and PermanentRichRules are
	// its default zone's rules.
	Firewalld          bool
	RichRules          []string
	PermanentRichRules []string
	IPVS               ipvs.Table
	// ActiveConn answers IPVSStats for a destination (default 0).
	ActiveConn map[netip.AddrPort]uint64
	Services   map[string]Service
	// Fault puts the host's keepalived in FAULT (a tracked script that
	// fails, an interface down): it runs but never holds a VIP.
	Fault bool
	// StopNeeds maps a unit to a file its stop needs: without it, stop
	// does nothing (Debian's keepalived init script exits 0 when
	// keepalived.conf is gone), and Systemctl reports the unit still
	// active, as hostops.Shell's check does.
	StopNeeds map[string]string
	// Lock is the lock file's content ("" when absent).
	Lock string

	// loaded is the VRRP part of the keepalived.conf keepalived read at
	// its last start or reload.
	loaded map[string]*keepalived.Instance

	log       []LogEntry
	faults    map[int]FaultMode // by 1-based operation index
	droppedAt int               // 0, or the operation index the connection dropped at
}

// Cluster is a set of simulated hosts. It is safe for concurrent use.
type Cluster struct {
	mu    sync.Mutex
	hosts map[string]*Host
	seq   int
	// Validate, when set, judges files with a validator (keepalived -t);
	// an error rejects the file. By default a file validates when
	// keepalived is installed.
	Validate func(host string, f resource.File) error
	// BeforeOp, when set, runs before each operation, outside the lock
	// (to delay one host's answer).
	BeforeOp func(host string, op Op)
}

// New returns fresh Debian-like hosts for cfg: its interfaces with their
// addresses and connected routes, iptables installed, nothing of
// clusterctl's configured.
func New(cfg *config.Config) *Cluster {
	c := &Cluster{hosts: map[string]*Host{}}
	for _, name := range cfg.HostNames() {
		h := &Host{
			Name: name, Packages: map[string]bool{"iptables": true}, Modules: map[string]bool{},
			Sysctls: map[string]string{}, Files: map[string]File{}, Services: map[string]Service{}, StopNeeds: map[string]string{},
			ActiveConn: map[netip.AddrPort]uint64{}, faults: map[int]FaultMode{},
		}
		for _, i := range cfg.Hosts[name].Interfaces {
			h.Interfaces = append(h.Interfaces, i)
			for _, p := range i.Addresses {
				h.Addresses = append(h.Addresses, resource.Address{Dev: i.Name, Prefix: p})
				h.Routes = append(h.Routes, resource.Route{Dst: p.Masked(), Dev: i.Name})
			}
		}
		c.hosts[name] = h
	}
	return c
}

// Host returns the state of host name (nil when there is none). Read it
// only while no operation runs.
func (c *Cluster) Host(name string) *Host { return c.hosts[name] }

// Hosts returns the host names, sorted.
func (c *Cluster) Hosts() []string {
	var out []string
	for n := range c.hosts {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Open returns the operations of host (apply.Hosts, pipeline.Options.OpenHost).
func (c *Cluster) Open(_ context.Context, host string) (hostops.Host, error) {
	if _, ok := c.hosts[host]; !ok {
		return nil, fmt.Errorf("no host %s", host)
	}
	return &conn{c: c, name: host}, nil
}

// Fail makes the n-th operation (1-based, counted from the host's first
// operation) on host fail in mode.
func (c *Cluster) Fail(host string, n int, mode FaultMode) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hosts[host].faults[n] = mode
}

// Heal clears every fault of every host, a dropped connection included
// (the next run reconnects).
func (c *Cluster) Heal() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, h := range c.hosts {
		h.faults = map[int]FaultMode{}
		h.droppedAt = 0
	}
}

// Log returns host's operations so far.
func (c *Cluster) Log(host string) []LogEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.hosts[host].log)
}

// Ops returns how many operations host has seen.
func (c *Cluster) Ops(host string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.hosts[host].log)
}

// Mutations counts host's operations that would change it, attempted,
// whatever their outcome.
func (c *Cluster) Mutations(host string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, e := range c.hosts[host].log {
		if e.Op.Mutates() {
			n++
		}
	}
	return n
}

// do runs one operation on host: the fault check, then fn under the
// cluster's lock.
func (c *Cluster) do(host string, op Op, detail string, fn func(h *Host) error) error {
	if c.BeforeOp != nil {
		c.BeforeOp(host, op)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.hosts[host]
	n := len(h.log) + 1
	mode := h.faults[n]
	if h.droppedAt > 0 {
		mode = Drop
	}
	var err error
	switch mode {
	case Drop:
		if h.droppedAt == 0 {
			h.droppedAt = n
		}
		err = ErrDropped
	case Before:
		err = ErrTimeout
	default:
		err = fn(h)
		if mode == After && err == nil {
			err = ErrTimeout
		}
	}
	c.seq++
	h.log = append(h.log, LogEntry{Seq: c.seq, Op: op, Detail: detail, Err: err})
	return err
}

// load makes h's keepalived read its keepalived.conf (start, reload).
func (h *Host) load() {
	h.loaded = nil
	f, ok := h.Files[resource.KeepalivedConfPath]
	if !ok {
		return
	}
	nodes, err := keepalived.Parse(resource.KeepalivedConfPath, f.Content)
	if err == nil {
		h.loaded = keepalived.ReadVRRP(nodes).Instances
	}
}

// holder returns the host holding instance name's VIPs: of the hosts
// whose running keepalived has the instance, the one of highest priority
// (the first by name on a tie); "" when none runs it. The fake's
// keepalived agrees with its peers whatever they advertise: tests of
// what real keepalived does with mismatched adverts are the lab's.
func (c *Cluster) holder(name string) *Host {
	var best *Host
	for _, hn := range c.Hosts() {
		h := c.hosts[hn]
		in := h.loaded[name]
		if in == nil || !h.Services["keepalived"].Active || h.Fault {
			continue
		}
		if best == nil || in.Priority > best.loaded[name].Priority {
			best = h
		}
	}
	return best
}

// instanceNames are the instances some running keepalived has.
func (c *Cluster) instanceNames() []string {
	set := map[string]bool{}
	for _, h := range c.hosts {
		if h.Services["keepalived"].Active {
			for n := range h.loaded {
				set[n] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// addresses are h's addresses with the VIPs it holds.
func (c *Cluster) addresses(h *Host) []resource.Address {
	out := slices.Clone(h.Addresses)
	for _, name := range c.instanceNames() {
		if c.holder(name) != h {
			continue
		}
		in := h.loaded[name]
		for _, w := range in.VIPs {
			p, err := netip.ParsePrefix(strings.Fields(w)[0])
			if err != nil {
				a, aerr := netip.ParseAddr(strings.Fields(w)[0])
				if aerr != nil {
					continue
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			out = append(out, resource.Address{Dev: in.Interface, Prefix: p})
		}
	}
	sort.Slice(out, func(i, j int) bool { return resource.AddressLess(out[i], out[j]) })
	return out
}

// hasUnit reports whether a unit exists: from its package, or a unit file.
func (h *Host) hasUnit(name string) bool {
	if h.Packages[name] {
		return true
	}
	_, ok := h.Files["/etc/systemd/system/"+name+".service"]
	return ok
}

// defaultSysctl is a fresh Debian host's value of key.
func defaultSysctl(key string) string {
	switch {
	case strings.HasSuffix(key, "send_redirects"), strings.HasSuffix(key, "rp_filter"):
		return "1"
	}
	return "0"
}

// facts answers Facts from h's state.
func (c *Cluster) facts(h *Host, req facts.Request) *facts.Host {
	f := &facts.Host{
		OSID: "debian", OSVersion: "12", Hostname: h.Name, PackageManager: "apt",
		Packages: map[string]string{}, Services: map[string]facts.ServiceState{},
		Addresses: c.addresses(h), Sysctls: map[string]string{}, MissingSysctls: map[string]bool{},
		Modules: map[string]bool{}, Files: map[string]facts.FileFact{}, Processes: map[string]int{},
		Routes: slices.Clone(h.Routes), Lock: h.Lock, LockPresent: h.Lock != "",
	}
	sort.Slice(f.Routes, func(i, j int) bool { return resource.RouteLess(f.Routes[i], f.Routes[j]) })
	for _, i := range h.Interfaces {
		f.Links = append(f.Links, facts.Link{Name: i.Name, Up: true, LowerUp: true, OperState: "UP"})
	}
	for _, p := range append([]string{"keepalived"}, req.Packages...) {
		if h.Packages[p] {
			f.Packages[p] = "1.0"
			if p == "keepalived" {
				f.KeepalivedVersion = cmp.Or(h.KeepalivedVersion, "2.2.7")
				f.Packages[p] = f.KeepalivedVersion
			}
		}
	}
	for _, k := range req.Sysctls {
		v, ok := h.Sysctls[k]
		if !ok {
			v = defaultSysctl(k)
		}
		f.Sysctls[k] = v
	}
	for m := range h.Modules {
		f.Modules[m] = true
	}
	switch {
	case !h.Packages["ipvsadm"]:
		f.IPVSStatus = facts.Status{State: facts.StatusNotInstalled, Message: "ipvsadm not found"}
	case !h.Modules["ip_vs"]:
		f.IPVSStatus = facts.Status{State: facts.StatusNotLoaded, Message: "ip_vs module not loaded"}
	default:
		f.IPVS = cloneTable(h.IPVS)
		f.IPVSStatus = facts.Status{State: facts.StatusOK}
	}
	f.NAT = h.natTable()
	f.NATStatus = facts.Status{State: facts.StatusOK}
	if req.Firewall {
		f.Filter = h.filterTable()
		f.FilterStatus = facts.Status{State: facts.StatusOK}
		f.Firewalld = h.Firewalld
		if req.NFTTable != "" {
			if h.NFT == nil {
				f.NFTStatus = facts.Status{State: facts.StatusError, Message: "Error: No such file or directory"}
			} else {
				f.NFTStatus = facts.Status{State: facts.StatusOK}
				f.NFTTable = req.NFTTable
				f.NFT = map[string][]string{}
				for c, rules := range h.NFT {
					f.NFT[c] = slices.Clone(rules)
				}
			}
		}
		if h.Firewalld {
			f.RichRules, f.PermanentRichRules = slices.Clone(h.RichRules), slices.Clone(h.PermanentRichRules)
		}
	}
	paths, services := h.manifestListed(f, req)
	for _, p := range paths {
		f.Files[p] = h.fileFact(p)
	}
	for _, svc := range services {
		f.Services[svc] = h.serviceFact(svc)
	}
	for _, p := range append([]string{"keepalived", "nginx"}, req.Processes...) {
		if h.Services[p].Active {
			f.Processes[p] = 1
		} else {
			f.Processes[p] = 0
		}
	}
	if req.Keepalived != nil {
		f.Keepalived = c.keepalivedView(h)
	}
	return f
}

// keepalivedView answers a request for keepalived's own view: each
// instance its running keepalived loaded is MASTER where h holds the
// VIPs, FAULT when h.Fault, BACKUP otherwise; its tracked scripts are
// good unless h.Fault.
func (c *Cluster) keepalivedView(h *Host) *facts.Keepalived {
	if !h.Services["keepalived"].Active {
		return &facts.Keepalived{}
	}
	k := &facts.Keepalived{Running: true, PID: 100, JSON: true}
	k.View = kastate.View{Sources: []string{"json", "data"}, Scripts: map[string]kastate.Script{}, Interfaces: map[string]kastate.Interface{}}
	for _, name := range slices.Sorted(maps.Keys(h.loaded)) {
		in := h.loaded[name]
		st := kastate.StateBackup
		switch {
		case h.Fault:
			st = kastate.StateFault
		case c.holder(name) == h:
			st = kastate.StateMaster
		}
		ki := kastate.Instance{Name: name, State: st, WantState: st, VRID: in.VRID, Interface: in.Interface, BasePriority: in.Priority, EffectivePriority: in.Priority}
		for _, sc := range in.TrackScripts {
			ki.TrackScripts = append(ki.TrackScripts, kastate.Tracked{Name: sc})
			k.View.Scripts[sc] = kastate.Script{Name: sc, Good: !h.Fault}
		}
		k.View.Instances = append(k.View.Instances, ki)
		k.View.Interfaces[in.Interface] = kastate.Interface{Name: in.Interface, Up: true, Running: true}
	}
	return k
}

// manifestListed reads h's manifest into f and returns the files and
// services to report: the requested ones and those the manifest lists.
func (h *Host) manifestListed(f *facts.Host, req facts.Request) (paths, services []string) {
	paths = slices.Clone(req.Files)
	services = slices.Clone(req.Services)
	m, ok := h.Files[resource.ManifestPath]
	if !ok {
		return paths, services
	}
	entries, err := resource.ParseManifest(m.Content)
	if err == nil {
		f.Manifest = entries
	}
	for _, e := range entries {
		switch e.Kind {
		case resource.ManifestFile:
			paths = append(paths, e.Key)
		case resource.ManifestService:
			if !slices.Contains(services, e.Key) {
				services = append(services, e.Key)
			}
		}
	}
	return paths, services
}

// fileFact is what the facts script reports for path.
func (h *Host) fileFact(path string) facts.FileFact {
	file, ok := h.Files[path]
	if !ok {
		return facts.FileFact{}
	}
	return facts.FileFact{Exists: true, Mode: file.Mode, Owner: file.Owner, Group: file.Group, Size: int64(len(file.Content)), Content: slices.Clone(file.Content)}
}

// serviceFact is what systemctl reports for a unit.
func (h *Host) serviceFact(unit string) facts.ServiceState {
	st := facts.ServiceState{Known: true, ActiveState: "inactive", EnabledState: "not-found"}
	if !h.hasUnit(unit) {
		return st
	}
	s := h.Services[unit]
	st.Active, st.Enabled = s.Active, s.Enabled
	st.EnabledState = "disabled"
	if s.Active {
		st.ActiveState = "active"
	}
	if s.Enabled {
		st.EnabledState = "enabled"
	}
	return st
}

// natTable is h's nat table as iptables-save would list it.
func (h *Host) natTable() netfilter.Table {
	post := netfilter.Chain{Name: "POSTROUTING", Policy: "ACCEPT", Rules: slices.Clone(h.ForeignNAT)}
	if h.NATJump {
		post.Rules = append([]string{"-j " + resource.NATChain}, post.Rules...)
	}
	t := netfilter.Table{Name: "nat", Chains: []netfilter.Chain{
		{Name: "PREROUTING", Policy: "ACCEPT"}, {Name: "INPUT", Policy: "ACCEPT"}, {Name: "OUTPUT", Policy: "ACCEPT"}, post,
	}}
	if h.NATChain {
		t.Chains = append(t.Chains, netfilter.Chain{Name: resource.NATChain, Policy: "-", Rules: slices.Clone(h.NATRules)})
	}
	return t
}

// filterTable is h's filter table as iptables-save would list it.
func (h *Host) filterTable() netfilter.Table {
	t := netfilter.Table{Name: "filter"}
	for _, from := range []string{"INPUT", "FORWARD", "OUTPUT"} {
		c := netfilter.Chain{Name: from, Policy: "ACCEPT"}
		for _, chain := range []string{resource.FirewallInputChain, resource.FirewallForwardChain} {
			if h.FilterJumps[from+" "+chain] {
				c.Rules = append(c.Rules, "-j "+chain)
			}
		}
		t.Chains = append(t.Chains, c)
	}
	for _, chain := range slices.Sorted(maps.Keys(h.Filter)) {
		t.Chains = append(t.Chains, netfilter.Chain{Name: chain, Policy: "-", Rules: slices.Clone(h.Filter[chain])})
	}
	return t
}

func cloneTable(t ipvs.Table) ipvs.Table {
	out := ipvs.Table{Timeouts: t.Timeouts}
	for _, s := range t.Services {
		s.Destinations = slices.Clone(s.Destinations)
		out.Services = append(out.Services, s)
	}
	return out
}

// applyEdit executes one IPVS edit as ipvsadm would.
func applyEdit(t *ipvs.Table, e ipvs.Edit) error {
	if e.Op == ipvs.SetTimeouts {
		// As ipvsadm --set: a zero leaves the value alone.
		for _, v := range []struct {
			dst *int
			v   int
		}{{&t.Timeouts.TCP, e.Timeouts.TCP}, {&t.Timeouts.TCPFin, e.Timeouts.TCPFin}, {&t.Timeouts.UDP, e.Timeouts.UDP}} {
			if v.v != 0 {
				*v.dst = v.v
			}
		}
		return nil
	}
	s := t.Service(e.Service.Key)
	if s == nil && e.Op != ipvs.AddService {
		return fmt.Errorf("ipvsadm %s: No such service", e)
	}
	switch e.Op {
	case ipvs.AddService:
		if s != nil {
			return fmt.Errorf("ipvsadm %s: Service already exists", e)
		}
		svc := e.Service
		svc.Destinations = nil
		t.Services = append(t.Services, svc)
	case ipvs.EditService:
		d := s.Destinations
		*s = e.Service
		s.Destinations = d
	case ipvs.DeleteService:
		t.Services = slices.DeleteFunc(t.Services, func(x ipvs.Service) bool { return x.Key == e.Service.Key })
	case ipvs.AddDest:
		for _, d := range s.Destinations {
			if d.Addr == e.Dest.Addr {
				return fmt.Errorf("ipvsadm %s: Destination already exists", e)
			}
		}
		s.Destinations = append(s.Destinations, e.Dest)
	case ipvs.EditDest, ipvs.DeleteDest:
		i := slices.IndexFunc(s.Destinations, func(d ipvs.Destination) bool { return d.Addr == e.Dest.Addr })
		if i < 0 {
			return fmt.Errorf("ipvsadm %s: No such destination", e)
		}
		if e.Op == ipvs.EditDest {
			s.Destinations[i] = e.Dest
		} else {
			s.Destinations = slices.Delete(s.Destinations, i, i+1)
		}
	}
	t.Normalize()
	t.Sort()
	return nil
}
