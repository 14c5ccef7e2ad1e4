package hostops

import (
	"context"
	"fmt"
	"strings"

	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/shell"
)

// lockHeldExit is the exit status of the lock command when the lock
// exists.
const lockHeldExit = 75

// lockCommand creates the lock holding holder only if there is none (the
// shell's noclobber makes the create O_EXCL); if there is one, it prints
// it and exits lockHeldExit. It reads nothing from stdin.
func lockCommand(holder string) string {
	l := shell.Quote(resource.LockPath)
	return fmt.Sprintf("mkdir -p /run/lock && ( set -C; umask 077; printf '%%s' %s > %s ) 2>/dev/null || { cat %s; exit %d; }", shell.Quote(holder), l, l, lockHeldExit)
}

// unlockCommand removes the lock if it holds id.
func unlockCommand(id string) string {
	l := shell.Quote(resource.LockPath)
	return fmt.Sprintf("grep -q %s %s 2>/dev/null && rm -f %s; true", shell.Quote("id="+id+" "), l, l)
}

// lockError is the error of a lock command that ended with res.
func lockError(res remote.Result) error {
	switch res.ExitCode {
	case 0:
		return nil
	case lockHeldExit:
		return fmt.Errorf("%w: %s (if that apply is dead: clusterctl force-unlock)", ErrLockHeld, strings.TrimSpace(string(res.Stdout)))
	default:
		return fmt.Errorf("take lock: exit %d: %s", res.ExitCode, strings.TrimSpace(string(res.Stderr)))
	}
}

// Lock implements Host.
func (s *Shell) Lock(ctx context.Context, holder string) error {
	res, err := s.conn.Run(ctx, remote.Cmd{Command: lockCommand(holder), Sudo: true})
	if err != nil {
		return err
	}
	return lockError(res)
}

// LockFacts implements Host: the lock command, then the facts script, in
// one `sh -s`.
func (s *Shell) LockFacts(ctx context.Context, holder string, req facts.Request) (*facts.Host, error) {
	f, res, err := s.factsWith(ctx, req, lockCommand(holder)+"\n", "")
	if err != nil {
		return nil, err
	}
	if err := lockError(res); err != nil {
		return nil, err
	}
	return f, nil
}

// Unlock implements Host.
func (s *Shell) Unlock(ctx context.Context, id string) error {
	_, err := s.conn.Run(ctx, remote.Cmd{Command: unlockCommand(id), Sudo: true})
	return err
}

// FactsUnlock implements Host: the facts script, then the unlock command,
// in one `sh -s`. The unlock runs whatever the facts script did.
func (s *Shell) FactsUnlock(ctx context.Context, req facts.Request, id string) (*facts.Host, error) {
	f, _, err := s.factsWith(ctx, req, "", unlockCommand(id))
	return f, err
}

// BreakLock implements Host.
func (s *Shell) BreakLock(ctx context.Context) (string, error) {
	l := shell.Quote(resource.LockPath)
	res, err := s.conn.Run(ctx, remote.Cmd{Command: fmt.Sprintf("cat %s 2>/dev/null; rm -f %s", l, l), Sudo: true})
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(res.Stdout)), nil
}
