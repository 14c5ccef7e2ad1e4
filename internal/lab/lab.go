package lab

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Sentinel errors callers act on.
var (
	// ErrExists: Up found the lab's namespaces or state already there.
	ErrExists = errors.New("lab already exists")
	// ErrNotFound: Open found no lab record in the state dir.
	ErrNotFound = errors.New("no lab in state dir")
	// ErrNotRunning: the machine or namespace to enter is gone.
	ErrNotRunning = errors.New("lab is not running")
	// ErrUnknownMachine: Exec named a machine the lab does not have.
	ErrUnknownMachine = errors.New("unknown lab machine")
	// ErrNotRoot: labs need root (namespaces, mounts).
	ErrNotRoot = errors.New("the lab needs root")
)

// Lab is a lab brought up by Up or loaded by Open. Its methods may be used
// from any process; they act on the processes and namespaces recorded in
// StateDir/lab.json.
type Lab struct {
	mu  sync.Mutex // guards rec and lab.json while Up starts machines in parallel
	rec record
}

// Open loads the record of a lab brought up with state dir stateDir.
func Open(stateDir string) (*Lab, error) {
	abs, err := filepath.Abs(stateDir)
	if err != nil {
		return nil, fmt.Errorf("open lab: %w", err)
	}
	b, err := os.ReadFile(filepath.Join(abs, recordName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, abs)
	}
	if err != nil {
		return nil, fmt.Errorf("open lab: %w", err)
	}
	var rec record
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("open lab: parse %s: %w", filepath.Join(abs, recordName), err)
	}
	if rec.Name == "" || rec.StateDir != abs {
		return nil, fmt.Errorf("open lab: %s does not describe a lab kept in %s", recordName, abs)
	}
	return &Lab{rec: rec}, nil
}

// save writes lab.json atomically.
func (l *Lab) save() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, err := json.MarshalIndent(l.rec, "", "  ")
	if err != nil {
		return fmt.Errorf("save lab record: %w", err)
	}
	path := filepath.Join(l.rec.StateDir, recordName)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("save lab record: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("save lab record: %w", err)
	}
	return nil
}

// Name is the lab's name.
func (l *Lab) Name() string { return l.rec.Name }

// StateDir is where the lab keeps its files.
func (l *Lab) StateDir() string { return l.rec.StateDir }

// SSHConfig is the path of the lab's ssh_config (a Host entry per machine).
func (l *Lab) SSHConfig() string { return filepath.Join(l.rec.StateDir, sshConfigName) }

// KnownHosts is the path of the lab's known_hosts (every machine's host key
// under its name and all its addresses).
func (l *Lab) KnownHosts() string { return filepath.Join(l.rec.StateDir, knownHostsName) }

// IdentityFile is the path of the private key root logs in with on every
// machine.
func (l *Lab) IdentityFile() string { return filepath.Join(l.rec.StateDir, identityFileName) }

// OperatorNamespace is the network namespace clients must run in.
func (l *Lab) OperatorNamespace() string { return l.rec.OperatorNamespace }

// OperatorAddresses are the operator namespace's addresses, one per subnet.
func (l *Lab) OperatorAddresses() []netip.Prefix {
	var out []netip.Prefix
	for _, ifc := range l.rec.Operator {
		out = append(out, ifc.Addresses...)
	}
	return out
}

// MachineNames are the lab's machines in spec order.
func (l *Lab) MachineNames() []string {
	out := make([]string, 0, len(l.rec.Machines))
	for _, m := range l.rec.Machines {
		out = append(out, m.Name)
	}
	return out
}

// NetnsPath returns the path of the named machine's network namespace
// (/run/netns/NAME), for tests that watch a machine from inside it.
func (l *Lab) NetnsPath(machine string) (string, error) {
	m, err := l.machine(machine)
	if err != nil {
		return "", err
	}
	return netnsPath(m.Namespace), nil
}

// OperatorNetnsPath returns the path of the operator's network namespace.
func (l *Lab) OperatorNetnsPath() string { return netnsPath(l.rec.OperatorNamespace) }

// machine returns the named machine's record.
func (l *Lab) machine(name string) (machineRecord, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range l.rec.Machines {
		if m.Name == name {
			return m, nil
		}
	}
	return machineRecord{}, fmt.Errorf("%w %q in lab %q (its machines: %s)", ErrUnknownMachine, name, l.rec.Name, strings.Join(l.MachineNames(), ", "))
}

// namespaces lists every network namespace of the lab.
func (rec record) namespaces() []string {
	out := []string{rec.BridgeNamespace, rec.OperatorNamespace}
	for _, m := range rec.Machines {
		out = append(out, m.Namespace)
	}
	return out
}

// tail returns the last n bytes of a file, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(bytes.TrimSpace(b))
}
