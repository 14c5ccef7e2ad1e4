package hostops

import (
	"context"
	"errors"

	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// Host is what clusterctl does to one machine, one typed operation per
// method. Every method takes a context first and is safe to call from one
// goroutine at a time per Host. A write operation either completes or
// returns an error; an error does not say whether the host did the work
// (the connection may drop after it did), so callers re-read the host
// (Facts) rather than assume either way.
type Host interface {
	// Name is the host's name in the configuration.
	Name() string

	// Facts runs the facts script for req in one command and parses its
	// output (package facts).
	Facts(ctx context.Context, req facts.Request) (*facts.Host, error)
	// Addresses lists every address of the host (ip -o addr show).
	Addresses(ctx context.Context) ([]resource.Address, error)
	// ServiceActive reports whether unit is active; state is what
	// systemctl is-active printed (active, inactive, failed, ...).
	ServiceActive(ctx context.Context, unit string) (active bool, state string, err error)
	// IPVSStats lists the IPVS table with its connection counters.
	IPVSStats(ctx context.Context) (ipvs.Stats, error)

	// InstallPackages installs names with the host's package manager.
	InstallPackages(ctx context.Context, manager PackageManager, names []string) error
	// LoadModules loads kernel modules.
	LoadModules(ctx context.Context, names []string) error
	// SetSysctls sets runtime kernel parameters.
	SetSysctls(ctx context.Context, sysctls []resource.Sysctl) error
	// AddAddress adds an address to its device (brought up first when it
	// is the IPIP tunnel device); adding one that is there is not an error.
	AddAddress(ctx context.Context, a resource.Address) error
	// DeleteAddress removes an address from its device.
	DeleteAddress(ctx context.Context, a resource.Address) error
	// ReplaceRoute adds r, or replaces the route to r.Dst.
	ReplaceRoute(ctx context.Context, r resource.Route) error
	// WriteFile replaces f.Path with f atomically: upload to a private
	// temporary file in the same directory, set owner and mode, run f's
	// validator on it, keep the old file under resource.BackupDir with
	// backupSuffix, rename over the target. On any failure the temporary
	// file is removed and the old file is untouched; a rejected file
	// gives an error wrapping ErrValidation.
	WriteFile(ctx context.Context, f resource.File, backupSuffix string) error
	// RemoveFile keeps a copy of path under resource.BackupDir with
	// backupSuffix, then removes it.
	RemoveFile(ctx context.Context, path, backupSuffix string) error
	// RestoreFile puts back, atomically, the copy of path that WriteFile
	// or RemoveFile kept under resource.BackupDir with backupSuffix.
	RestoreFile(ctx context.Context, path, backupSuffix string) error
	// RestoreNATChain makes chain in the nat table hold exactly rules in
	// one iptables-restore transaction, then makes POSTROUTING jump to it
	// (once). No other chain is touched.
	RestoreNATChain(ctx context.Context, chain string, rules []string) error
	// RemoveNATChain deletes chain; jumped says POSTROUTING jumps to it
	// (the jump is removed first).
	RemoveNATChain(ctx context.Context, chain string, jumped bool) error
	// RestoreFilterChain makes chain in the filter table hold exactly
	// rules in one iptables-restore transaction, then makes from (INPUT,
	// FORWARD) jump to it first (once). No other chain is touched.
	RestoreFilterChain(ctx context.Context, from, chain string, rules []string) error
	// RemoveFilterChain deletes chain; jumped says from jumps to it (the
	// jump is removed first).
	RemoveFilterChain(ctx context.Context, from, chain string, jumped bool) error
	// RestoreNFTChain makes chain of the host's nftables table ("inet
	// filter") hold exactly rules in one `nft -f` transaction, then makes
	// base chain from jump to it first (once). Nothing else is touched.
	RestoreNFTChain(ctx context.Context, table, from, chain string, rules []string) error
	// RemoveNFTChain deletes the jumps from from to chain, then chain.
	RemoveNFTChain(ctx context.Context, table, from, chain string) error
	// RichRules adds rules to firewalld's zone ("": the default zone) and
	// removes remove from it, each at runtime and permanently.
	RichRules(ctx context.Context, zone string, add, remove []string) error
	// ApplyIPVS makes the given edits, in order; never a flush.
	ApplyIPVS(ctx context.Context, edits []ipvs.Edit) error
	// Systemctl runs one systemctl action on unit.
	Systemctl(ctx context.Context, action ServiceAction, unit string) error
	// DaemonReload makes systemd read its unit files again.
	DaemonReload(ctx context.Context) error
	// WriteManifest replaces the manifest (resource.ManifestPath)
	// atomically with entries; no entries removes it. With a
	// backupSuffix, the manifest as found is kept first under
	// resource.BackupDir like a file (an empty backup when there was
	// none), so that a rollback knows what an apply found.
	WriteManifest(ctx context.Context, entries []resource.ManifestEntry, backupSuffix string) error
	// Backups lists the backups kept under resource.BackupDir (absolute
	// paths, sorted).
	Backups(ctx context.Context) ([]string, error)

	// Lock creates the apply lock (resource.LockPath) holding holder, only
	// if there is none; a lock held by someone else gives an error
	// wrapping ErrLockHeld that says what the lock holds.
	Lock(ctx context.Context, holder string) error
	// Unlock removes the lock if it still holds id.
	Unlock(ctx context.Context, id string) error
	// LockFacts takes the lock as Lock does and, in the same command,
	// gathers facts as Facts does (after the lock is taken). A lock held
	// by someone else gives an error wrapping ErrLockHeld and no facts.
	LockFacts(ctx context.Context, holder string, req facts.Request) (*facts.Host, error)
	// FactsUnlock gathers facts as Facts does and then, in the same
	// command, removes the lock if it still holds id (whatever the facts
	// script did). Without an error, the lock is released.
	FactsUnlock(ctx context.Context, req facts.Request, id string) (*facts.Host, error)
	// BreakLock removes the lock whoever holds it and returns what it held
	// ("" when there was none).
	BreakLock(ctx context.Context) (string, error)
}

// PackageManager is a host's package manager, as facts report it.
type PackageManager string

// Package managers clusterctl installs with.
const (
	APT PackageManager = "apt"
	DNF PackageManager = "dnf"
	YUM PackageManager = "yum"
)

// ServiceAction is a systemctl verb.
type ServiceAction string

// The systemctl verbs clusterctl uses.
const (
	Start   ServiceAction = "start"
	Stop    ServiceAction = "stop"
	Reload  ServiceAction = "reload"
	Restart ServiceAction = "restart"
	Enable  ServiceAction = "enable"
	Disable ServiceAction = "disable"
)

// Errors callers act on.
var (
	// ErrCommandFailed wraps a command that ran and exited non-zero; the
	// error says which command, its exit status and its own message.
	ErrCommandFailed = errors.New("command failed")
	// ErrValidation wraps a file a host-side validator rejected.
	ErrValidation = errors.New("rejected by validation on the host")
	// ErrLockHeld wraps a lock held by someone else.
	ErrLockHeld = errors.New("cluster is locked by another apply")
)
