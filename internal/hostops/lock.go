package hostops

import (
	"context"
	"fmt"
	"strings"

	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/shell"
)

// lockHeldExit is the exit status of the lock command when the lock
// exists.
const lockHeldExit = 75

// Lock implements Host: the shell's noclobber makes the create O_EXCL.
func (s *Shell) Lock(ctx context.Context, holder string) error {
	l := shell.Quote(resource.LockPath)
	cmd := fmt.Sprintf("mkdir -p /run/lock && ( set -C; umask 077; cat > %s ) 2>/dev/null || { cat %s; exit %d; }", l, l, lockHeldExit)
	res, err := s.conn.Run(ctx, remote.Cmd{Command: cmd, Stdin: []byte(holder), Sudo: true})
	if err != nil {
		return err
	}
	switch res.ExitCode {
	case 0:
		return nil
	case lockHeldExit:
		return fmt.Errorf("%w: %s (if that apply is dead: clusterctl force-unlock)", ErrLockHeld, strings.TrimSpace(string(res.Stdout)))
	default:
		return fmt.Errorf("take lock: exit %d: %s", res.ExitCode, strings.TrimSpace(string(res.Stderr)))
	}
}

// Unlock implements Host.
func (s *Shell) Unlock(ctx context.Context, id string) error {
	l := shell.Quote(resource.LockPath)
	cmd := fmt.Sprintf("grep -q %s %s 2>/dev/null && rm -f %s; true", shell.Quote("id="+id+" "), l, l)
	_, err := s.conn.Run(ctx, remote.Cmd{Command: cmd, Sudo: true})
	return err
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
