package apply

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/netfilter"
	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/shell"
)

// ipvsBatchThreshold is the number of IPVS edits above which they are sent
// as one `ipvsadm -R` stream instead of one command each.
const ipvsBatchThreshold = 8

// hostApplier applies one host's plan, step by step in kind order.
type hostApplier struct {
	a        *applier
	host     string
	run      runner
	hp       *plan.HostPlan
	desired  *resource.Host
	observed *facts.Host
	// counts of what was done, for the final summary.
	done plan.Summary
}

// stepFunc applies the changes of one kind.
type stepFunc func(ctx context.Context, changes []plan.Change) error

// apply runs the host's steps in order: packages → modules → sysctls →
// addresses/routes → files → iptables → IPVS → services (and the reloads
// they cause) → manifest. Between steps it stops if ctx was cancelled; a
// step that started runs to its end (bounded by the command timeout).
func (h *hostApplier) apply(ctx context.Context) error {
	steps := []struct {
		kinds []plan.Kind
		name  string
		fn    stepFunc
	}{
		{[]plan.Kind{plan.KindPackage}, "packages", h.packages},
		{[]plan.Kind{plan.KindModule}, "kernel modules", h.modules},
		{[]plan.Kind{plan.KindSysctl}, "sysctls", h.sysctls},
		{[]plan.Kind{plan.KindAddress, plan.KindRoute}, "addresses and routes", h.network},
		{[]plan.Kind{plan.KindFile}, "files", h.files},
		{[]plan.Kind{plan.KindNAT}, "iptables", h.nat},
		{[]plan.Kind{plan.KindIPVS}, "ipvs", h.ipvs},
		{[]plan.Kind{plan.KindService}, "services", h.services},
	}
	intent := false
	for _, st := range steps {
		changes := h.changesOf(st.kinds...)
		if len(changes) == 0 && !(st.name == "services" && len(h.hp.Effects) > 0) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("interrupted before %s: %w", st.name, err)
		}
		// Before the first step that creates something the manifest
		// tracks, record it, so that a failure part way (a dropped
		// connection, a kill) never leaves a created resource unrecorded.
		if !intent && tracked(st.kinds) {
			intent = true
			if err := h.recordIntent(context.WithoutCancel(ctx)); err != nil {
				return err
			}
		}
		start := time.Now()
		h.a.report(Event{Host: h.host, Step: st.name, Status: StatusStart, Count: len(changes)})
		stepCtx := context.WithoutCancel(ctx)
		if err := st.fn(stepCtx, changes); err != nil {
			h.a.report(Event{Host: h.host, Step: st.name, Status: StatusFailed, Elapsed: time.Since(start), Message: err.Error()})
			return fmt.Errorf("%s: %w", st.name, err)
		}
		h.a.report(Event{Host: h.host, Step: st.name, Status: StatusDone, Elapsed: time.Since(start), Count: len(changes)})
	}
	return h.manifest(context.WithoutCancel(ctx))
}

func (h *hostApplier) changesOf(kinds ...plan.Kind) []plan.Change {
	var out []plan.Change
	for _, c := range h.hp.Changes {
		for _, k := range kinds {
			if c.Kind == k {
				out = append(out, c)
			}
		}
	}
	return out
}

func (h *hostApplier) count(c plan.Change) {
	switch c.Action {
	case plan.Create:
		h.done.Add++
	case plan.Update:
		h.done.Change++
	case plan.Delete:
		h.done.Destroy++
	case plan.Replace:
		h.done.Add++
		h.done.Destroy++
	}
}

func (h *hostApplier) packages(ctx context.Context, changes []plan.Change) error {
	var names []string
	for _, c := range changes {
		names = append(names, c.Package)
	}
	var install string
	switch h.observed.PackageManager {
	case "apt":
		install = "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends " + shell.Join(names...) +
			" || { DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends " + shell.Join(names...) + "; }"
	case "dnf", "yum":
		install = h.observed.PackageManager + " install -y " + shell.Join(names...)
	default:
		return fmt.Errorf("cannot install %s: no supported package manager (apt, dnf, yum) found", strings.Join(names, ", "))
	}
	if _, err := h.run.sh(ctx, nil, install); err != nil {
		return err
	}
	for _, c := range changes {
		h.count(c)
	}
	return nil
}

func (h *hostApplier) modules(ctx context.Context, changes []plan.Change) error {
	argv := []string{"modprobe", "-a"}
	for _, c := range changes {
		argv = append(argv, c.Module)
	}
	if _, err := h.run.run(ctx, argv...); err != nil {
		return err
	}
	for _, c := range changes {
		h.count(c)
	}
	return nil
}

func (h *hostApplier) sysctls(ctx context.Context, changes []plan.Change) error {
	argv := []string{"sysctl", "-q", "-w"}
	for _, c := range changes {
		argv = append(argv, c.Sysctl.Key+"="+c.Sysctl.Value)
	}
	if _, err := h.run.run(ctx, argv...); err != nil {
		return err
	}
	for _, c := range changes {
		h.count(c)
	}
	return nil
}

func (h *hostApplier) network(ctx context.Context, changes []plan.Change) error {
	for _, c := range changes {
		var err error
		switch {
		case c.Kind == plan.KindAddress && c.Action == plan.Delete:
			_, err = h.run.run(ctx, "ip", "addr", "del", c.Address.Prefix.String(), "dev", c.Address.Dev)
		case c.Kind == plan.KindAddress:
			cmd := shell.Join("ip", "addr", "replace", c.Address.Prefix.String(), "dev", c.Address.Dev)
			if c.Address.Dev == "tunl0" {
				cmd = "ip link set tunl0 up && " + cmd
			}
			_, err = h.run.sh(ctx, nil, cmd)
		case c.Kind == plan.KindRoute:
			argv := []string{"ip", "route", "replace", routeDst(c.Route.Dst.String(), c.Route.Dst.Bits())}
			if c.Route.Via.IsValid() {
				argv = append(argv, "via", c.Route.Via.String())
			}
			if c.Route.Dev != "" {
				argv = append(argv, "dev", c.Route.Dev)
			}
			_, err = h.run.run(ctx, argv...)
		}
		if err != nil {
			return err
		}
		h.count(c)
	}
	return nil
}

func routeDst(s string, bits int) string {
	if bits == 0 {
		return "default"
	}
	return s
}

// files replaces each file atomically: upload to a temporary file in the
// same directory, set owner and mode, validate it on the host, keep the
// old version under resource.BackupDir, then rename over the target. A failed
// validation removes the temporary file and leaves the old one in place.
func (h *hostApplier) files(ctx context.Context, changes []plan.Change) error {
	// Files a validator checks go last: keepalived -t checks that the
	// scripts its configuration names exist.
	ordered := make([]plan.Change, 0, len(changes))
	for _, validated := range []bool{false, true} {
		for _, c := range changes {
			if (c.File != nil && c.File.Validate != "") == validated {
				ordered = append(ordered, c)
			}
		}
	}
	for _, c := range ordered {
		if err := h.file(ctx, c); err != nil {
			return fmt.Errorf("%s: %w", c.Key, err)
		}
		h.count(c)
	}
	return nil
}

func (h *hostApplier) file(ctx context.Context, c plan.Change) error {
	p := c.Key
	backup := resource.BackupDir + p + "." + h.a.now().UTC().Format("20060102T150405Z")
	backupCmd := fmt.Sprintf("if [ -e %[1]s ]; then mkdir -p %[2]s && cp -p %[1]s %[3]s; fi", q(p), q(path.Dir(backup)), q(backup))
	if c.Action == plan.Delete {
		_, err := h.run.sh(ctx, nil, backupCmd+" && rm -f "+q(p))
		return err
	}
	f := c.File
	dir := path.Dir(p)
	tmp := path.Join(dir, ".clusterctl-"+path.Base(p)+"."+randomSuffix()+".tmp")
	if _, err := h.run.run(ctx, "mkdir", "-p", dir); err != nil {
		return err
	}
	// Secrets never sit in a world-readable temporary file: upload with
	// 0600, and set the final mode only after chown.
	if err := h.run.conn.WriteFile(ctx, tmp, f.Content, fs.FileMode(0o600)); err != nil {
		h.cleanup(ctx, tmp)
		return fmt.Errorf("upload: %w", err)
	}
	if _, err := h.run.sh(ctx, nil, fmt.Sprintf("chown %s:%s %s && chmod %s %s", q(f.Owner), q(f.Group), q(tmp), config.FormatMode(f.Mode), q(tmp))); err != nil {
		h.cleanup(ctx, tmp)
		return err
	}
	if f.Validate == resource.ValidateKeepalived {
		if err := h.validateKeepalived(ctx, tmp); err != nil {
			h.cleanup(ctx, tmp)
			return err
		}
	}
	if _, err := h.run.sh(ctx, nil, backupCmd+" && { sync "+q(tmp)+" 2>/dev/null || sync; }"); err != nil {
		h.cleanup(ctx, tmp)
		return err
	}
	if err := h.run.conn.Rename(ctx, tmp, p); err != nil {
		h.cleanup(ctx, tmp)
		return fmt.Errorf("rename into place: %w", err)
	}
	return nil
}

// ErrValidation is returned when a host-side validator rejects a file.
var ErrValidation = errors.New("rejected by validation on the host")

// validateKeepalived runs keepalived's own check on the uploaded file.
// keepalived 2.2.7 exits 0 for a missing file, so existence is checked
// first; it checks that interfaces and scripts exist, so it must run on
// the host itself.
func (h *hostApplier) validateKeepalived(ctx context.Context, tmp string) error {
	res, err := h.run.conn.Run(ctx, remote.Cmd{Command: "test -s " + q(tmp) + " && keepalived -t -f " + q(tmp), Sudo: true})
	if err != nil {
		return fmt.Errorf("keepalived -t: %w", err)
	}
	if res.ExitCode != 0 {
		msg := strings.TrimSpace(string(res.Stderr) + "\n" + string(res.Stdout))
		if msg == "" {
			msg = fmt.Sprintf("exit %d", res.ExitCode)
		}
		return fmt.Errorf("%w: keepalived -t -f (new keepalived.conf) exited %d; the old file and the running keepalived are untouched:\n%s",
			ErrValidation, res.ExitCode, h.run.mask.String(msg))
	}
	return nil
}

func (h *hostApplier) cleanup(ctx context.Context, tmp string) {
	_, _ = h.run.run(ctx, "rm", "-f", tmp)
}

func q(s string) string { return shell.Quote(s) }

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (h *hostApplier) nat(ctx context.Context, changes []plan.Change) error {
	hasJump := false
	if h.observed.NATStatus.State == facts.StatusOK {
		hasJump = h.observed.NAT.Jumps("POSTROUTING", resource.NATChain)
	}
	for _, c := range changes {
		var input string
		var err error
		if c.Action == plan.Delete {
			from := ""
			if hasJump {
				from = "POSTROUTING"
			}
			input, err = netfilter.RemoveChain("nat", resource.NATChain, from)
		} else {
			input, err = netfilter.RestoreChain("nat", resource.NATChain, c.NAT, "")
		}
		if err != nil {
			return err
		}
		if _, err := h.run.sh(ctx, []byte(input), "iptables-restore --noflush"); err != nil {
			return err
		}
		if c.Action != plan.Delete {
			check, insert := netfilter.JumpArgs("nat", "POSTROUTING", resource.NATChain)
			if _, err := h.run.sh(ctx, nil, "iptables "+shell.Join(check...)+" 2>/dev/null || iptables "+shell.Join(insert...)); err != nil {
				return err
			}
		}
		h.count(c)
	}
	return nil
}

// ipvs applies the minimal IPVS edits: one command each, or one
// `ipvsadm -R` stream when there are many. It never flushes the table.
// With a drain timeout, a destination to delete is first set to weight 0
// and deleted once its active connections reach 0 (or the timeout passes).
func (h *hostApplier) ipvs(ctx context.Context, changes []plan.Change) error {
	var edits []ipvs.Edit
	for _, c := range changes {
		edits = append(edits, *c.IPVS)
	}
	if h.a.opts.DrainTimeout > 0 {
		for _, e := range edits {
			if e.Op == ipvs.DeleteDest {
				if err := h.drain(ctx, e); err != nil {
					return err
				}
			}
		}
	}
	if len(edits) > ipvsBatchThreshold {
		var b bytes.Buffer
		for _, e := range edits {
			b.WriteString(e.String())
			b.WriteByte('\n')
		}
		if _, err := h.run.sh(ctx, b.Bytes(), "ipvsadm -R"); err != nil {
			return err
		}
	} else {
		for _, e := range edits {
			if _, err := h.run.run(ctx, append([]string{"ipvsadm"}, e.Args()...)...); err != nil {
				return err
			}
		}
	}
	for _, c := range changes {
		h.count(c)
	}
	return nil
}

func (h *hostApplier) drain(ctx context.Context, e ipvs.Edit) error {
	zero := ipvs.Edit{Op: ipvs.EditDest, Service: e.Service, Dest: e.Dest}
	zero.Dest.Weight = 0
	if _, err := h.run.run(ctx, append([]string{"ipvsadm"}, zero.Args()...)...); err != nil {
		return err
	}
	deadline := h.a.now().Add(h.a.opts.DrainTimeout)
	for {
		out, err := h.run.run(ctx, "ipvsadm", "-L", "-n")
		if err != nil {
			return err
		}
		stats, err := ipvs.ParseList([]byte(out))
		if err != nil {
			return fmt.Errorf("drain %s: %w", e.Dest.Addr, err)
		}
		active := uint64(0)
		if s := stats.Service(e.Service.Key); s != nil {
			for _, d := range s.Destinations {
				if d.Addr == e.Dest.Addr {
					active = d.ActiveConn
				}
			}
		}
		if active == 0 {
			return nil
		}
		if !h.a.now().Before(deadline) {
			h.a.report(Event{Host: h.host, Step: "ipvs", Status: StatusInfo, Message: fmt.Sprintf("drain of %s timed out with %d active connections; deleting", e.Dest.Addr, active)})
			return nil
		}
		h.a.sleep(ctx, time.Second)
	}
}

func (h *hostApplier) services(ctx context.Context, changes []plan.Change) error {
	// keepalived goes last: its health checks track the other services.
	ordered := make([]plan.Change, 0, len(changes))
	for _, last := range []bool{false, true} {
		for _, c := range changes {
			if (c.Key == "keepalived") == last {
				ordered = append(ordered, c)
			}
		}
	}
	if h.unitFilesChanged() {
		if _, err := h.run.run(ctx, "systemctl", "daemon-reload"); err != nil {
			return err
		}
	}
	for _, c := range ordered {
		sc := c.Service
		if sc.Stop {
			if _, err := h.run.run(ctx, "systemctl", "stop", sc.Name); err != nil {
				return err
			}
		}
		if sc.Disable {
			if _, err := h.run.run(ctx, "systemctl", "disable", sc.Name); err != nil {
				return err
			}
		}
		if sc.Enable {
			if _, err := h.run.run(ctx, "systemctl", "enable", sc.Name); err != nil {
				return err
			}
		}
		if sc.Start {
			if _, err := h.run.run(ctx, "systemctl", "start", sc.Name); err != nil {
				return err
			}
		}
		h.count(c)
	}
	for _, e := range h.hp.Effects {
		if _, err := h.run.run(ctx, "systemctl", e.Action, e.Service); err != nil {
			return err
		}
		h.a.report(Event{Host: h.host, Step: "services", Status: StatusInfo, Message: e.Service + " " + e.Action + "ed (" + e.Reason + ")"})
	}
	return nil
}

// unitFilesChanged reports whether a systemd unit file is among the
// host's file changes: systemd reads unit files only on daemon-reload.
func (h *hostApplier) unitFilesChanged() bool {
	for _, c := range h.hp.Changes {
		if c.Kind == plan.KindFile && (strings.HasPrefix(c.Key, "/etc/systemd/system/") || strings.HasPrefix(c.Key, "/lib/systemd/system/")) {
			return true
		}
	}
	return false
}

// manifest records what clusterctl manages on the host when that changed.
func (h *hostApplier) manifest(ctx context.Context) error {
	want := resource.FormatManifest(resource.Manifest(h.desired))
	var have []resource.ManifestEntry
	for _, e := range h.observed.Manifest {
		have = append(have, resource.ManifestEntry{Kind: e.Kind, Key: e.Key})
	}
	if bytes.Equal(resource.FormatManifest(have), want) && len(h.hp.Changes) == 0 {
		return nil
	}
	dir := path.Dir(resource.ManifestPath)
	tmp := resource.ManifestPath + "." + randomSuffix() + ".tmp"
	if _, err := h.run.run(ctx, "mkdir", "-p", dir); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	if err := h.run.conn.WriteFile(ctx, tmp, want, 0o644); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	if err := h.run.conn.Rename(ctx, tmp, resource.ManifestPath); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	return nil
}

// recordIntent writes, before any change, a manifest listing what the host
// has under management now and everything the desired state adds, when
// the observed manifest lacks some of the latter. An apply interrupted
// later (a dropped connection, a kill) thus never leaves a resource it
// created unrecorded; the final manifest write trims the list.
func (h *hostApplier) recordIntent(ctx context.Context) error {
	have := map[resource.ManifestEntry]bool{}
	var union []resource.ManifestEntry
	for _, e := range h.observed.Manifest {
		me := resource.ManifestEntry{Kind: e.Kind, Key: e.Key}
		if !have[me] {
			have[me] = true
			union = append(union, me)
		}
	}
	missing := false
	for _, e := range resource.Manifest(h.desired) {
		if !have[e] {
			have[e] = true
			missing = true
			union = append(union, e)
		}
	}
	if !missing {
		return nil
	}
	sort.Slice(union, func(i, j int) bool {
		if union[i].Kind != union[j].Kind {
			return union[i].Kind < union[j].Kind
		}
		return union[i].Key < union[j].Key
	})
	// One round trip; mv within the directory is a rename(2).
	dir := path.Dir(resource.ManifestPath)
	tmp := resource.ManifestPath + "." + randomSuffix() + ".tmp"
	cmd := fmt.Sprintf("mkdir -p %s && ( umask 022; cat > %s ) && mv -f %s %s", q(dir), q(tmp), q(tmp), q(resource.ManifestPath))
	if _, err := h.run.sh(ctx, resource.FormatManifest(union), cmd); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	return nil
}

// tracked reports whether kinds include one the manifest records.
func tracked(kinds []plan.Kind) bool {
	for _, k := range kinds {
		switch k {
		case plan.KindAddress, plan.KindFile, plan.KindNAT, plan.KindIPVS:
			return true
		}
	}
	return false
}
