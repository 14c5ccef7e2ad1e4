package lab

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// killTimeout bounds how long Down waits for killed processes to go.
const killTimeout = 10 * time.Second

// Down removes everything the lab made: it kills every process in the lab's
// network namespaces (which includes each machine's supervisor and PID 1,
// and so every process of the machines), deletes the namespaces (taking the
// bridges and veths with them), unmounts anything left under StateDir and
// removes StateDir. It works on a partial lab and may be called again.
func (l *Lab) Down(ctx context.Context) error {
	l.mu.Lock()
	rec := l.rec
	l.mu.Unlock()
	var errs []error

	inodes := map[uint64]bool{}
	var present []string
	for _, ns := range rec.namespaces() {
		if ino, ok := netnsInode(ns); ok {
			inodes[ino] = true
			present = append(present, ns)
		} else if _, err := os.Lstat(netnsPath(ns)); err == nil {
			// A name without a namespace: `ip netns add` was interrupted
			// between creating the file and mounting the namespace on it.
			_ = unix.Unmount(netnsPath(ns), unix.MNT_DETACH)
			if err := os.Remove(netnsPath(ns)); err != nil {
				errs = append(errs, fmt.Errorf("remove stale %s: %w", netnsPath(ns), err))
			}
		}
	}
	var victims []process
	for _, m := range rec.Machines {
		victims = append(victims, m.Supervisor, m.Init)
	}
	victims = append(victims, processesInNetns(inodes)...)
	for _, p := range victims {
		p.kill()
	}
	deadline := time.Now().Add(killTimeout)
	for {
		var left []int
		for _, p := range append(victims, processesInNetns(inodes)...) {
			if p.alive() {
				p.kill()
				left = append(left, p.PID)
			}
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			errs = append(errs, fmt.Errorf("processes still running: %v", left))
			break
		}
		time.Sleep(20 * time.Millisecond)
	}

	if len(present) > 0 {
		var dels []string
		for _, ns := range present {
			dels = append(dels, "netns del "+ns)
		}
		// -force: keep deleting the others if one fails.
		if err := runIP(context.WithoutCancel(ctx), []string{"-force", "-batch", "-"}, dels); err != nil {
			errs = append(errs, err)
		}
	}
	if err := unmountUnder(rec.StateDir); err != nil {
		errs = append(errs, err)
	}
	if rec.StateDir != "" && rec.StateDir != "/" {
		if err := os.RemoveAll(rec.StateDir); err != nil {
			errs = append(errs, fmt.Errorf("remove state dir: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("lab %s down: %w", rec.Name, err)
	}
	return nil
}

// unmountUnder detaches every mount of this mount namespace at or below
// dir, deepest first.
func unmountUnder(dir string) error {
	mounts, err := mountPoints()
	if err != nil {
		return err
	}
	var under []string
	for _, mp := range mounts {
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			under = append(under, mp)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(under)))
	var errs []error
	for _, mp := range under {
		if err := unix.Unmount(mp, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", mp, err))
		}
	}
	return errors.Join(errs...)
}

// mountPoints lists the mount points of this process's mount namespace.
func mountPoints() ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		out = append(out, filepath.Clean(unescapeMountinfo(fields[4])))
	}
	return out, sc.Err()
}

// unescapeMountinfo undoes the octal escapes (\040 for space) of mountinfo.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
