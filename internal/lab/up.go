package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// parallelMachines bounds how many machines boot at once; booting is
// CPU-bound (each process start costs 25–30 ms).
const parallelMachines = 8

// Up brings up the lab described by spec and returns it once every machine's
// sshd is running. Progress goes to log (may be nil).
//
// Up refuses (ErrExists) when a namespace the lab would create already
// exists or StateDir already holds a lab; it is not idempotent: run Down
// first. StateDir must be missing or empty. If Up fails after it started
// making things, it removes everything it made before returning the error.
func Up(ctx context.Context, spec Spec, log io.Writer) (*Lab, error) {
	if log == nil {
		log = io.Discard
	}
	start := time.Now()
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	spec.StateDir = filepath.Clean(spec.StateDir)
	rec, err := planLab(spec)
	if err != nil {
		return nil, err
	}
	if os.Geteuid() != 0 {
		return nil, ErrNotRoot
	}
	for _, t := range []string{"ip", "nsenter", "unshare", "bash", "busybox", "mount", "cp", "/usr/sbin/sshd"} {
		if _, err := exec.LookPath(t); err != nil {
			return nil, fmt.Errorf("lab needs %s: %w", t, err)
		}
	}
	if err := checkFree(rec); err != nil {
		return nil, err
	}
	// Claim the lab's name: `ip netns add` fails if the namespace exists,
	// so of two concurrent Ups only one gets past here.
	// ip runs to completion even if ctx is cancelled: a killed `ip netns add`
	// leaves a name without a namespace. Cancellation is checked between
	// steps instead.
	nc := context.WithoutCancel(ctx)
	if err := ipBatch(nc, "", []string{"netns add " + rec.BridgeNamespace}); err != nil {
		if _, ok := netnsInode(rec.BridgeNamespace); ok {
			return nil, fmt.Errorf("%w: network namespace %s exists (run: clusterctl lab down --name %s)", ErrExists, rec.BridgeNamespace, rec.Name)
		}
		return nil, err
	}
	l := &Lab{rec: rec}
	boot := spec.BootTimeout
	if boot <= 0 {
		boot = DefaultBootTimeout
	}
	if err := l.build(ctx, log, boot); err != nil {
		if derr := l.Down(context.WithoutCancel(ctx)); derr != nil {
			err = errors.Join(err, fmt.Errorf("clean up after failed up: %w", derr))
		}
		return nil, fmt.Errorf("lab %s up: %w", rec.Name, err)
	}
	fmt.Fprintf(log, "lab %s: %d machines up in %.1fs; operator namespace %s (%s)\n",
		rec.Name, len(rec.Machines), time.Since(start).Seconds(), rec.OperatorNamespace, joinPrefixes(l.OperatorAddresses()))
	return l, nil
}

// checkFree fails with ErrExists if any namespace of rec exists or the state
// dir is in use.
func checkFree(rec record) error {
	for _, ns := range rec.namespaces() {
		if _, err := os.Lstat(netnsPath(ns)); err == nil {
			return fmt.Errorf("%w: network namespace %s exists (run lab down first)", ErrExists, ns)
		}
	}
	entries, err := os.ReadDir(rec.StateDir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("state dir: %w", err)
	}
	for _, e := range entries {
		if e.Name() == recordName {
			return fmt.Errorf("%w: %s holds a lab record (run lab down first)", ErrExists, rec.StateDir)
		}
	}
	if len(entries) > 0 {
		return fmt.Errorf("%w: state dir %s is not empty", ErrInvalidSpec, rec.StateDir)
	}
	return nil
}

// build makes everything after the bridge namespace exists, giving each
// machine up to boot to report ready. The record is saved first so that
// Down, from here or another process, finds the lab.
func (l *Lab) build(ctx context.Context, log io.Writer, boot time.Duration) error {
	rec := l.rec
	nc := context.WithoutCancel(ctx) // for ip, see Up
	if err := mkdirMode(rec.StateDir, 0o700); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	if err := l.save(); err != nil {
		return err
	}
	var adds []string
	for _, ns := range rec.namespaces()[1:] {
		adds = append(adds, "netns add "+ns)
	}
	if err := ipBatch(nc, "", adds); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := ipBatch(nc, rec.BridgeNamespace, bridgeCommands(rec)); err != nil {
		return err
	}
	fmt.Fprintf(log, "lab %s: %d bridges in %s, %d namespaces\n", rec.Name, len(rec.Bridges), rec.BridgeNamespace, len(rec.Machines)+2)

	client, err := newKeyPair("clusterctl-lab-" + rec.Name)
	if err != nil {
		return err
	}
	hostKeys := make([]keyPair, len(rec.Machines))
	pubs := map[string]ssh.PublicKey{}
	for i, m := range rec.Machines {
		if hostKeys[i], err = newKeyPair("root@" + m.Name); err != nil {
			return err
		}
		pubs[m.Name] = hostKeys[i].public
	}
	if err := l.writeClientFiles(client, pubs); err != nil {
		return err
	}
	if err := writeSetupScript(rec.StateDir); err != nil {
		return err
	}
	if err := prepareFlavours(ctx, rec); err != nil {
		return err
	}
	files := machineFiles{authorizedKey: authorizedKey(client.public, "clusterctl-lab-"+rec.Name), hosts: renderHosts(rec)}

	if err := ipBatch(nc, rec.OperatorNamespace, addressCommands(rec.Operator, "")); err != nil {
		return err
	}
	return forEach(len(rec.Machines), parallelMachines, func(i int) error {
		m := rec.Machines[i]
		t0 := time.Now()
		gw := ""
		if m.Gateway.IsValid() {
			gw = m.Gateway.String()
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := ipBatch(nc, m.Namespace, addressCommands(m.Interfaces, gw)); err != nil {
			return fmt.Errorf("machine %s: %w", m.Name, err)
		}
		f := files
		f.hostKey = hostKeys[i]
		if err := prepareMachine(ctx, rec.StateDir, m, f); err != nil {
			return fmt.Errorf("machine %s: prepare: %w", m.Name, err)
		}
		sup, init, err := startMachine(ctx, rec.StateDir, m, boot)
		l.mu.Lock()
		l.rec.Machines[i].Supervisor, l.rec.Machines[i].Init = sup, init
		l.mu.Unlock()
		if serr := l.save(); serr != nil && err == nil {
			err = serr
		}
		if err != nil {
			return fmt.Errorf("machine %s: %w", m.Name, err)
		}
		fmt.Fprintf(log, "  %s: up in %.1fs (pid %d, %s)\n", m.Name, time.Since(t0).Seconds(), init.PID, joinPrefixes(interfacePrefixes(m.Interfaces)))
		return nil
	})
}

// writeClientFiles writes the client key, known_hosts and ssh_config.
func (l *Lab) writeClientFiles(client keyPair, hostKeys map[string]ssh.PublicKey) error {
	if err := writeFile(l.IdentityFile(), string(client.private), 0o600); err != nil {
		return err
	}
	if err := writeFile(l.IdentityFile()+".pub", authorizedKey(client.public, "clusterctl-lab-"+l.rec.Name), 0o644); err != nil {
		return err
	}
	if err := writeFile(l.KnownHosts(), renderKnownHosts(l.rec, hostKeys), 0o644); err != nil {
		return err
	}
	return writeFile(l.SSHConfig(), renderSSHConfig(l.rec, l.SSHConfig(), l.IdentityFile(), l.KnownHosts()), 0o644)
}

// forEach runs fn(0..n-1) with at most limit at once and joins the errors.
func forEach(n, limit int, fn func(i int) error) error {
	errs := make([]error, n)
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func interfacePrefixes(ifcs []interfaceRecord) []string {
	var out []string
	for _, ifc := range ifcs {
		for _, p := range ifc.Addresses {
			out = append(out, ifc.Name+" "+p.String())
		}
	}
	return out
}

func joinPrefixes[T any](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}
