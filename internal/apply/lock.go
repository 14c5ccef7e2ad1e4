package apply

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/clusterctl/clusterctl/internal/engine"
	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/shell"
)

// ErrLockHeld is returned when another apply holds the lock of a host.
var ErrLockHeld = errors.New("cluster is locked by another apply")

// LockInfo is what a lock file records about its holder.
type LockInfo struct {
	ID      string
	Owner   string // user@machine
	PID     int
	Started time.Time
}

func (l LockInfo) String() string {
	return fmt.Sprintf("id=%s owner=%s pid=%d started=%s", l.ID, l.Owner, l.PID, l.Started.UTC().Format(time.RFC3339))
}

// NewLockInfo describes this process as a lock holder.
func NewLockInfo(now time.Time) LockInfo {
	who := "unknown"
	if u, err := user.Current(); err == nil {
		who = u.Username
	}
	hn, _ := os.Hostname()
	return LockInfo{ID: randomSuffix(), Owner: who + "@" + hn, PID: os.Getpid(), Started: now}
}

// Lock takes the lock on every host of the cluster (not only the -target
// hosts: two applies must never run on one cluster), atomically per host
// (O_EXCL via the shell's noclobber). If any host is already locked, the
// locks taken so far are released and the error names the holder.
//
// The first host (in apply order) is locked alone, before the others in
// parallel: of two applies started together, the one that wins that host
// wins them all, so exactly one proceeds instead of each taking some hosts
// and both backing off.
func Lock(ctx context.Context, s *engine.Session, info LockInfo) (unlock func(context.Context) error, err error) {
	hosts := s.ClusterHosts()
	locked := make([]bool, len(hosts))
	content := info.String() + "\n"
	err = lockOrdered(ctx, hosts, s.Parallelism(), func(ctx context.Context, i int) error {
		conn, err := s.Conn(ctx, hosts[i])
		if err != nil {
			return err
		}
		cmd := fmt.Sprintf("mkdir -p /run/lock && ( set -C; umask 077; cat > %s ) 2>/dev/null || { cat %s; exit 75; }", resource.LockPath, resource.LockPath)
		res, err := conn.Run(ctx, remote.Cmd{Command: cmd, Stdin: []byte(content), Sudo: true})
		if err != nil {
			return err
		}
		switch res.ExitCode {
		case 0:
			locked[i] = true
			return nil
		case 75:
			return fmt.Errorf("%w: %s (if that apply is dead: clusterctl force-unlock)", ErrLockHeld, strings.TrimSpace(string(res.Stdout)))
		default:
			return fmt.Errorf("take lock: exit %d: %s", res.ExitCode, strings.TrimSpace(string(res.Stderr)))
		}
	})
	unlock = func(ctx context.Context) error {
		var held []string
		for i, ok := range locked {
			if ok {
				held = append(held, hosts[i])
			}
		}
		return remote.ForEach(ctx, held, s.Parallelism(), func(ctx context.Context, i int) error {
			conn, err := s.Conn(ctx, held[i])
			if err != nil {
				return err
			}
			// Remove the lock only if it is still ours.
			cmd := fmt.Sprintf("grep -q %s %s 2>/dev/null && rm -f %s; true", shell.Quote("id="+info.ID+" "), resource.LockPath, resource.LockPath)
			_, err = conn.Run(ctx, remote.Cmd{Command: cmd, Sudo: true})
			return err
		})
	}
	if err != nil {
		_ = unlock(context.WithoutCancel(ctx))
		return nil, err
	}
	return unlock, nil
}

// lockOrdered runs take for hosts[0] first and then, if it succeeded, for
// the other hosts in parallel.
func lockOrdered(ctx context.Context, hosts []string, parallelism int, take func(ctx context.Context, i int) error) error {
	if len(hosts) == 0 {
		return nil
	}
	if err := remote.ForEach(ctx, hosts[:1], 1, take); err != nil {
		return err
	}
	rest := hosts[1:]
	return remote.ForEach(ctx, rest, parallelism, func(ctx context.Context, i int) error { return take(ctx, i+1) })
}

// ForceUnlock removes the lock on every host of the cluster, whoever holds it,
// and returns what each host's lock said.
func ForceUnlock(ctx context.Context, s *engine.Session) (map[string]string, error) {
	hosts := s.ClusterHosts()
	held := make([]string, len(hosts))
	err := remote.ForEach(ctx, hosts, s.Parallelism(), func(ctx context.Context, i int) error {
		conn, err := s.Conn(ctx, hosts[i])
		if err != nil {
			return err
		}
		res, err := conn.Run(ctx, remote.Cmd{Command: fmt.Sprintf("cat %s 2>/dev/null; rm -f %s", resource.LockPath, resource.LockPath), Sudo: true})
		if err != nil {
			return err
		}
		held[i] = strings.TrimSpace(string(res.Stdout))
		return nil
	})
	out := map[string]string{}
	for i, h := range hosts {
		if held[i] != "" {
			out[h] = held[i]
		}
	}
	return out, err
}
