package hostopstest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/hostops"
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// conn is one host's operations.
type conn struct {
	c    *Cluster
	name string
}

var _ hostops.Host = (*conn)(nil)

func (o *conn) Name() string { return o.name }

func (o *conn) Facts(_ context.Context, req facts.Request) (*facts.Host, error) {
	var f *facts.Host
	err := o.c.do(o.name, OpFacts, "", func(h *Host) error {
		f = o.c.facts(h, req)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("gather facts: %w", err)
	}
	return f, nil
}

func (o *conn) Addresses(context.Context) ([]resource.Address, error) {
	var out []resource.Address
	err := o.c.do(o.name, OpAddresses, "", func(h *Host) error {
		out = o.c.addresses(h)
		return nil
	})
	return out, err
}

func (o *conn) ServiceActive(_ context.Context, unit string) (bool, string, error) {
	var active bool
	err := o.c.do(o.name, OpServiceActive, unit, func(h *Host) error {
		active = h.hasUnit(unit) && h.Services[unit].Active
		return nil
	})
	state := "inactive"
	if active {
		state = "active"
	}
	return active, state, err
}

func (o *conn) IPVSStats(context.Context) (ipvs.Stats, error) {
	var st ipvs.Stats
	err := o.c.do(o.name, OpIPVSStats, "", func(h *Host) error {
		if err := h.ipvsUsable(); err != nil {
			return err
		}
		for _, s := range h.IPVS.Services {
			ss := ipvs.ServiceStats{Key: s.Key, Scheduler: s.Scheduler}
			for _, d := range s.Destinations {
				ss.Destinations = append(ss.Destinations, ipvs.DestStats{Addr: d.Addr, Forward: string(d.Forward), Weight: d.Weight, ActiveConn: h.ActiveConn[d.Addr]})
			}
			st.Services = append(st.Services, ss)
		}
		return nil
	})
	return st, err
}

func (h *Host) ipvsUsable() error {
	if !h.Packages["ipvsadm"] {
		return fmt.Errorf("ipvsadm: %w (exit 127): ipvsadm: not found", hostops.ErrCommandFailed)
	}
	if !h.Modules["ip_vs"] {
		return fmt.Errorf("ipvsadm: %w (exit 2): Can't initialize ipvs: Protocol not available", hostops.ErrCommandFailed)
	}
	return nil
}

func (o *conn) InstallPackages(_ context.Context, manager hostops.PackageManager, names []string) error {
	return o.c.do(o.name, OpInstallPackages, strings.Join(names, " "), func(h *Host) error {
		if manager != hostops.APT {
			return fmt.Errorf("cannot install %s: no supported package manager (apt, dnf, yum) found", strings.Join(names, ", "))
		}
		for _, n := range names {
			h.Packages[n] = true
		}
		return nil
	})
}

func (o *conn) LoadModules(_ context.Context, names []string) error {
	return o.c.do(o.name, OpLoadModules, strings.Join(names, " "), func(h *Host) error {
		for _, n := range names {
			h.Modules[n] = true
		}
		return nil
	})
}

func (o *conn) SetSysctls(_ context.Context, sysctls []resource.Sysctl) error {
	var kv []string
	for _, s := range sysctls {
		kv = append(kv, s.Key+"="+s.Value)
	}
	return o.c.do(o.name, OpSetSysctls, strings.Join(kv, " "), func(h *Host) error {
		for _, s := range sysctls {
			h.Sysctls[s.Key] = s.Value
		}
		return nil
	})
}

func (o *conn) AddAddress(_ context.Context, a resource.Address) error {
	return o.c.do(o.name, OpAddAddress, a.Key(), func(h *Host) error {
		if !slices.Contains(h.Addresses, a) {
			h.Addresses = append(h.Addresses, a)
		}
		return nil
	})
}

func (o *conn) DeleteAddress(_ context.Context, a resource.Address) error {
	return o.c.do(o.name, OpDeleteAddress, a.Key(), func(h *Host) error {
		if !slices.Contains(h.Addresses, a) {
			return fmt.Errorf("ip addr del: %w (exit 2): RTNETLINK answers: Cannot assign requested address", hostops.ErrCommandFailed)
		}
		h.Addresses = slices.DeleteFunc(h.Addresses, func(x resource.Address) bool { return x == a })
		return nil
	})
}

func (o *conn) ReplaceRoute(_ context.Context, r resource.Route) error {
	return o.c.do(o.name, OpReplaceRoute, r.Dst.String(), func(h *Host) error {
		h.Routes = slices.DeleteFunc(h.Routes, func(x resource.Route) bool { return x.Dst == r.Dst })
		h.Routes = append(h.Routes, r)
		return nil
	})
}

func (o *conn) WriteFile(_ context.Context, f resource.File, backupSuffix string) error {
	return o.c.do(o.name, OpWriteFile, f.Path, func(h *Host) error {
		if f.Validate == resource.ValidateKeepalived {
			var err error
			switch {
			case o.c.Validate != nil:
				err = o.c.Validate(o.name, f)
			case !h.Packages["keepalived"]:
				err = errors.New("keepalived: not found")
			}
			if err != nil {
				return &hostops.ValidationError{Path: f.Path, Validator: "keepalived -t -f", ExitCode: 1, Output: err.Error()}
			}
		}
		h.backup(f.Path, backupSuffix)
		h.Files[f.Path] = File{Content: slices.Clone(f.Content), Mode: f.Mode, Owner: f.Owner, Group: f.Group}
		return nil
	})
}

// backup keeps path's current version under resource.BackupDir.
func (h *Host) backup(path, suffix string) {
	if old, ok := h.Files[path]; ok {
		h.Files[resource.BackupDir+path+"."+suffix] = old
	}
}

func (o *conn) RemoveFile(_ context.Context, path, backupSuffix string) error {
	return o.c.do(o.name, OpRemoveFile, path, func(h *Host) error {
		h.backup(path, backupSuffix)
		delete(h.Files, path)
		return nil
	})
}

func (o *conn) RestoreFile(_ context.Context, path, backupSuffix string) error {
	return o.c.do(o.name, OpRestoreFile, path, func(h *Host) error {
		b, ok := h.Files[resource.BackupDir+path+"."+backupSuffix]
		if !ok {
			return fmt.Errorf("restore %s: %w (exit 1): cp: cannot stat backup", path, hostops.ErrCommandFailed)
		}
		h.Files[path] = b
		return nil
	})
}

func (o *conn) RestoreNATChain(_ context.Context, chain string, rules []string) error {
	return o.c.do(o.name, OpRestoreNAT, chain, func(h *Host) error {
		if chain != resource.NATChain {
			return fmt.Errorf("the fake keeps only %s, not %s", resource.NATChain, chain)
		}
		h.NATChain, h.NATRules, h.NATJump = true, slices.Clone(rules), true
		return nil
	})
}

func (o *conn) RemoveNATChain(_ context.Context, chain string, jumped bool) error {
	return o.c.do(o.name, OpRemoveNAT, chain, func(h *Host) error {
		if jumped != h.NATJump {
			return fmt.Errorf("iptables-restore: %w (exit 1): line 2 failed", hostops.ErrCommandFailed)
		}
		h.NATChain, h.NATRules, h.NATJump = false, nil, false
		return nil
	})
}

func (o *conn) RestoreFilterChain(_ context.Context, from, chain string, rules []string) error {
	return o.c.do(o.name, OpRestoreFilter, chain, func(h *Host) error {
		if h.Filter == nil {
			h.Filter, h.FilterJumps = map[string][]string{}, map[string]bool{}
		}
		h.Filter[chain] = slices.Clone(rules)
		h.FilterJumps[from+" "+chain] = true
		return nil
	})
}

func (o *conn) RemoveFilterChain(_ context.Context, from, chain string, jumped bool) error {
	return o.c.do(o.name, OpRemoveFilter, chain, func(h *Host) error {
		if jumped != h.FilterJumps[from+" "+chain] {
			return fmt.Errorf("iptables-restore: %w (exit 1): line 2 failed", hostops.ErrCommandFailed)
		}
		delete(h.Filter, chain)
		delete(h.FilterJumps, from+" "+chain)
		return nil
	})
}

func (o *conn) RestoreNFTChain(_ context.Context, table, from, chain string, rules []string) error {
	return o.c.do(o.name, OpRestoreNFT, table+" "+chain, func(h *Host) error {
		base, ok := h.NFT[from]
		if !ok {
			return fmt.Errorf("nft: %w (exit 1): Error: No such file or directory; did you mean chain ‘%s’ in table %s?", hostops.ErrCommandFailed, from, table)
		}
		h.NFT[chain] = slices.Clone(rules)
		if !slices.Contains(base, "jump "+chain) {
			h.NFT[from] = append([]string{"jump " + chain}, base...)
		}
		return nil
	})
}

func (o *conn) RemoveNFTChain(_ context.Context, table, from, chain string) error {
	return o.c.do(o.name, OpRemoveNFT, table+" "+chain, func(h *Host) error {
		if from != "" {
			h.NFT[from] = slices.DeleteFunc(h.NFT[from], func(r string) bool { return r == "jump "+chain })
		}
		delete(h.NFT, chain)
		return nil
	})
}

func (o *conn) RichRules(_ context.Context, _ string, add, remove []string) error {
	return o.c.do(o.name, OpRichRules, strings.Join(add, "; "), func(h *Host) error {
		if !h.Firewalld {
			return fmt.Errorf("firewall-cmd: %w (exit 252): FirewallD is not running", hostops.ErrCommandFailed)
		}
		for _, list := range []*[]string{&h.RichRules, &h.PermanentRichRules} {
			*list = slices.DeleteFunc(*list, func(r string) bool { return slices.Contains(remove, r) })
			for _, r := range add {
				if !slices.Contains(*list, r) {
					*list = append(*list, r)
				}
			}
		}
		return nil
	})
}

func (o *conn) ApplyIPVS(_ context.Context, edits []ipvs.Edit) error {
	var lines []string
	for _, e := range edits {
		lines = append(lines, e.String())
	}
	return o.c.do(o.name, OpApplyIPVS, strings.Join(lines, "; "), func(h *Host) error {
		if err := h.ipvsUsable(); err != nil {
			return err
		}
		// ipvsadm -R stops at the first failing line; edits one by one
		// likewise.
		for _, e := range edits {
			if err := applyEdit(&h.IPVS, e); err != nil {
				return fmt.Errorf("%w (exit 2): %w", hostops.ErrCommandFailed, err)
			}
		}
		return nil
	})
}

func (o *conn) Systemctl(_ context.Context, action hostops.ServiceAction, unit string) error {
	return o.c.do(o.name, OpSystemctl, string(action)+" "+unit, func(h *Host) error {
		if !h.hasUnit(unit) {
			return fmt.Errorf("systemctl %s %s: %w (exit 5): Unit %s.service not found", action, unit, hostops.ErrCommandFailed, unit)
		}
		s := h.Services[unit]
		switch action {
		case hostops.Start, hostops.Restart:
			s.Active = true
			if unit == "keepalived" {
				h.load()
			}
		case hostops.Stop:
			if need, ok := h.StopNeeds[unit]; ok && s.Active {
				if _, there := h.Files[need]; !there {
					return fmt.Errorf("systemctl stop %s: %w (exit 1): %s is still active after systemctl stop", unit, hostops.ErrCommandFailed, unit)
				}
			}
			s.Active = false
		case hostops.Reload:
			if !s.Active {
				return fmt.Errorf("systemctl reload %s: %w (exit 1): %s is not active, cannot reload", unit, hostops.ErrCommandFailed, unit)
			}
			if unit == "keepalived" {
				h.load()
			}
		case hostops.Enable:
			s.Enabled = true
		case hostops.Disable:
			s.Enabled = false
		default:
			return fmt.Errorf("systemctl %s: not simulated", action)
		}
		h.Services[unit] = s
		return nil
	})
}

func (o *conn) DaemonReload(context.Context) error {
	return o.c.do(o.name, OpDaemonReload, "", func(*Host) error { return nil })
}

func (o *conn) WriteManifest(_ context.Context, entries []resource.ManifestEntry, backupSuffix string) error {
	return o.c.do(o.name, OpWriteManifest, fmt.Sprintf("%d entries", len(entries)), func(h *Host) error {
		if backupSuffix != "" {
			old, ok := h.Files[resource.ManifestPath]
			if !ok {
				old = File{Mode: 0o644, Owner: "root", Group: "root"}
			}
			h.Files[resource.BackupDir+resource.ManifestPath+"."+backupSuffix] = old
		}
		if len(entries) == 0 {
			delete(h.Files, resource.ManifestPath)
			return nil
		}
		h.Files[resource.ManifestPath] = File{Content: resource.FormatManifest(entries), Mode: 0o644, Owner: "root", Group: "root"}
		return nil
	})
}

func (o *conn) Backups(context.Context) ([]string, error) {
	var out []string
	err := o.c.do(o.name, OpBackups, "", func(h *Host) error {
		for p := range h.Files {
			if strings.HasPrefix(p, resource.BackupDir+"/") {
				out = append(out, p)
			}
		}
		sort.Strings(out)
		return nil
	})
	return out, err
}

func (o *conn) Lock(_ context.Context, holder string) error {
	return o.c.do(o.name, OpLock, "", func(h *Host) error {
		if h.Lock != "" {
			return fmt.Errorf("%w: %s (if that apply is dead: clusterctl force-unlock)", hostops.ErrLockHeld, strings.TrimSpace(h.Lock))
		}
		h.Lock = holder
		return nil
	})
}

func (o *conn) Unlock(_ context.Context, id string) error {
	return o.c.do(o.name, OpUnlock, id, func(h *Host) error {
		if strings.Contains(h.Lock, "id="+id+" ") {
			h.Lock = ""
		}
		return nil
	})
}

// LockFacts is one operation: the lock taken, then the facts (which show
// it).
func (o *conn) LockFacts(_ context.Context, holder string, req facts.Request) (*facts.Host, error) {
	var f *facts.Host
	err := o.c.do(o.name, OpLockFacts, "", func(h *Host) error {
		if h.Lock != "" {
			return fmt.Errorf("%w: %s (if that apply is dead: clusterctl force-unlock)", hostops.ErrLockHeld, strings.TrimSpace(h.Lock))
		}
		h.Lock = holder
		f = o.c.facts(h, req)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// FactsUnlock is one operation: the facts, then the lock released if it
// holds id.
func (o *conn) FactsUnlock(_ context.Context, req facts.Request, id string) (*facts.Host, error) {
	var f *facts.Host
	err := o.c.do(o.name, OpFactsUnlock, id, func(h *Host) error {
		f = o.c.facts(h, req)
		if strings.Contains(h.Lock, "id="+id+" ") {
			h.Lock = ""
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("gather facts: %w", err)
	}
	return f, nil
}

func (o *conn) BreakLock(context.Context) (string, error) {
	var held string
	err := o.c.do(o.name, OpBreakLock, "", func(h *Host) error {
		held, h.Lock = strings.TrimSpace(h.Lock), ""
		return nil
	})
	return held, err
}

// VIPs returns who holds each VIP of the cluster now (for assertions).
func (c *Cluster) VIPs() map[netip.Addr][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[netip.Addr][]string{}
	for _, hn := range c.Hosts() {
		h := c.hosts[hn]
		for _, a := range c.addresses(h) {
			if !slices.Contains(h.Addresses, a) {
				out[a.Prefix.Addr()] = append(out[a.Prefix.Addr()], hn)
			}
		}
	}
	return out
}
