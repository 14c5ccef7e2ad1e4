package apply

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/user"
	"time"

	"github.com/clusterctl/clusterctl/internal/remote"
)

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

// NewLockInfo describes this process as a lock holder, with a random id.
func NewLockInfo(now time.Time) LockInfo {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	who := "unknown"
	if u, err := user.Current(); err == nil {
		who = u.Username
	}
	hn, _ := os.Hostname()
	return LockInfo{ID: id, Owner: who + "@" + hn, PID: os.Getpid(), Started: now}
}

// Lock takes the apply lock on every one of hosts — every host of the
// cluster, not only the -target ones: two applies must never run on one
// cluster. If any host is already locked, the locks taken so far are
// released and the error (wrapping ErrLockHeld) names the holder.
//
// The first host is locked alone, before the others in parallel: of two
// applies started together, the one that wins that host wins them all, so
// exactly one proceeds instead of each taking some hosts and both backing
// off.
func Lock(ctx context.Context, hosts []string, open Hosts, parallelism int, info LockInfo) (unlock func(context.Context) error, err error) {
	locked := make([]bool, len(hosts))
	holder := info.String() + "\n"
	take := func(ctx context.Context, i int) error {
		ops, err := open.Open(ctx, hosts[i])
		if err != nil {
			return err
		}
		if err := ops.Lock(ctx, holder); err != nil {
			return err
		}
		locked[i] = true
		return nil
	}
	if len(hosts) > 0 {
		err = remote.ForEach(ctx, hosts[:1], 1, take)
		if err == nil {
			err = remote.ForEach(ctx, hosts[1:], parallelism, func(ctx context.Context, i int) error { return take(ctx, i+1) })
		}
	}
	unlock = func(ctx context.Context) error {
		var held []string
		for i, ok := range locked {
			if ok {
				held = append(held, hosts[i])
			}
		}
		return remote.ForEach(ctx, held, parallelism, func(ctx context.Context, i int) error {
			ops, err := open.Open(ctx, held[i])
			if err != nil {
				return err
			}
			return ops.Unlock(ctx, info.ID)
		})
	}
	if err != nil {
		_ = unlock(context.WithoutCancel(ctx))
		return nil, err
	}
	return unlock, nil
}

// ForceUnlock removes the lock on every one of hosts, whoever holds it,
// and returns what each host's lock said.
func ForceUnlock(ctx context.Context, hosts []string, open Hosts, parallelism int) (map[string]string, error) {
	held := make([]string, len(hosts))
	err := remote.ForEach(ctx, hosts, parallelism, func(ctx context.Context, i int) error {
		ops, err := open.Open(ctx, hosts[i])
		if err != nil {
			return err
		}
		held[i], err = ops.BreakLock(ctx)
		return err
	})
	out := map[string]string{}
	for i, h := range hosts {
		if held[i] != "" {
			out[h] = held[i]
		}
	}
	return out, err
}
