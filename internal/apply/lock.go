package apply

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/user"
	"sync"
	"time"

	"github.com/clusterctl/clusterctl/internal/hostops"
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

// Lock takes the apply lock on every one of hosts with hostops.Host.Lock
// (see LockWith) and returns the function that releases it.
func Lock(ctx context.Context, hosts []string, open Hosts, parallelism int, info LockInfo) (unlock func(context.Context) error, err error) {
	l, err := LockWith(ctx, hosts, open, parallelism, info, nil)
	if err != nil {
		return nil, err
	}
	return l.Release, nil
}

// TakeLock takes the lock on one host for holder: ops.Lock, or
// ops.LockFacts keeping the facts it gathers in the same command.
type TakeLock func(ctx context.Context, host string, ops hostops.Host, holder string) error

// Locks is the apply lock held on the hosts of a cluster.
type Locks struct {
	info        LockInfo
	hosts       []string
	open        Hosts
	parallelism int

	mu   sync.Mutex
	held map[string]bool
}

// ID is the lock's id, which hostops.Host.Unlock and FactsUnlock take.
func (l *Locks) ID() string { return l.info.ID }

// Released records that host's lock was released by other means (a
// FactsUnlock that succeeded); Release skips it.
func (l *Locks) Released(host string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.held, host)
}

// Release removes the lock from every host still holding it, in
// parallel, and returns the errors of those it could not release, joined
// in host order. A host released is not released again.
func (l *Locks) Release(ctx context.Context) error {
	l.mu.Lock()
	var held []string
	for _, h := range l.hosts {
		if l.held[h] {
			held = append(held, h)
		}
	}
	l.mu.Unlock()
	return remote.ForEach(ctx, held, l.parallelism, func(ctx context.Context, i int) error {
		ops, err := l.open.Open(ctx, held[i])
		if err != nil {
			return err
		}
		if err := ops.Unlock(ctx, l.info.ID); err != nil {
			return err
		}
		l.Released(held[i])
		return nil
	})
}

// LockWith takes the apply lock on every one of hosts — every host of the
// cluster, not only the -target ones: two applies must never run on one
// cluster — with take on each (hostops.Host.Lock when nil). If any host
// is already locked, the locks taken so far are released and the error
// (wrapping ErrLockHeld) names the holder.
//
// The first host is locked alone, before the others in parallel: of two
// applies started together, the one that wins that host wins them all, so
// exactly one proceeds instead of each taking some hosts and both backing
// off.
func LockWith(ctx context.Context, hosts []string, open Hosts, parallelism int, info LockInfo, take TakeLock) (*Locks, error) {
	if take == nil {
		take = func(ctx context.Context, _ string, ops hostops.Host, holder string) error {
			return ops.Lock(ctx, holder)
		}
	}
	l := &Locks{info: info, hosts: hosts, open: open, parallelism: parallelism, held: map[string]bool{}}
	holder := info.String() + "\n"
	lock := func(ctx context.Context, i int) error {
		ops, err := open.Open(ctx, hosts[i])
		if err != nil {
			return err
		}
		if err := take(ctx, hosts[i], ops, holder); err != nil {
			return err
		}
		l.mu.Lock()
		l.held[hosts[i]] = true
		l.mu.Unlock()
		return nil
	}
	var err error
	if len(hosts) > 0 {
		err = remote.ForEach(ctx, hosts[:1], 1, lock)
		if err == nil {
			err = remote.ForEach(ctx, hosts[1:], parallelism, func(ctx context.Context, i int) error { return lock(ctx, i+1) })
		}
	}
	if err != nil {
		_ = l.Release(context.WithoutCancel(ctx))
		return nil, err
	}
	return l, nil
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
