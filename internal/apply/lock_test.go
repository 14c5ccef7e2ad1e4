package apply

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/google/go-cmp/cmp"
)

// holderRE finds the holder the lock command writes.
var holderRE = regexp.MustCompile(`(?s)printf '%s' '(.*?)' > `)

// lockBehaviour makes a fake keep a lock file the way the noclobber
// command would.
func lockBehaviour(f *remote.Fake) {
	f.Handle("mkdir -p /run/lock && ( set -C;", func(cmd remote.Cmd) (remote.Result, error) {
		if held, ok := f.File(resource.LockPath); ok {
			return remote.Result{Stdout: held.Data, ExitCode: 75}, nil
		}
		m := holderRE.FindStringSubmatch(cmd.Command)
		if m == nil {
			return remote.Result{ExitCode: 2, Stderr: []byte("no holder in " + cmd.Command)}, nil
		}
		f.SetFile(resource.LockPath, []byte(strings.ReplaceAll(m[1], `'\''`, "'")), 0o600)
		return remote.Result{}, nil
	})
	f.Handle("grep -q ", func(cmd remote.Cmd) (remote.Result, error) {
		held, ok := f.File(resource.LockPath)
		id := strings.SplitN(cmd.Command, "'", 3)[1]
		if ok && strings.Contains(string(held.Data), id) {
			f.RemoveFile(resource.LockPath)
		}
		return remote.Result{}, nil
	})
	f.Handle("cat "+resource.LockPath+" 2>/dev/null; rm -f", func(remote.Cmd) (remote.Result, error) {
		held, _ := f.File(resource.LockPath)
		f.RemoveFile(resource.LockPath)
		return remote.Result{Stdout: held.Data}, nil
	})
}

func TestLock(t *testing.T) {
	c := newCluster(t, "ha-nginx")
	for _, f := range c.fakes {
		lockBehaviour(f)
	}
	info := LockInfo{ID: "abc123", Owner: "alice@laptop", PID: 42, Started: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}
	unlock, err := Lock(context.Background(), c.order(), c.hosts(), 0, info)
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range c.fakes {
		held, ok := f.File(resource.LockPath)
		if !ok || string(held.Data) != "id=abc123 owner=alice@laptop pid=42 started=2024-01-02T03:04:05Z\n" {
			t.Errorf("%s: lock = %q, %v", name, held.Data, ok)
		}
	}
	// A second apply is refused.
	if _, err := Lock(context.Background(), c.order(), c.hosts(), 0, LockInfo{ID: "zzz", Owner: "bob@ci"}); !errors.Is(err, ErrLockHeld) {
		t.Errorf("second lock: %v", err)
	}
	if err := unlock(context.Background()); err != nil {
		t.Fatal(err)
	}
	for name, f := range c.fakes {
		if _, ok := f.File(resource.LockPath); ok {
			t.Errorf("%s still locked", name)
		}
	}
	want := "run sudo: grep -q 'id=abc123 ' /run/lock/clusterctl.lock 2>/dev/null && rm -f /run/lock/clusterctl.lock; true\n"
	if tr := c.fakes["web1"].Transcript(); !strings.HasSuffix(tr, want) {
		t.Errorf("unlock command:\n%s", tr)
	}
}

func TestLockHeldReleasesOthers(t *testing.T) {
	c := newCluster(t, "ha-nginx")
	for _, f := range c.fakes {
		lockBehaviour(f)
	}
	holder := "id=old owner=bob@ci pid=7 started=2024-01-01T00:00:00Z\n"
	c.fakes["web1"].SetFile(resource.LockPath, []byte(holder), 0o600)
	unlock, err := Lock(context.Background(), c.order(), c.hosts(), 0, LockInfo{ID: "mine", Owner: "alice@laptop"})
	if !errors.Is(err, ErrLockHeld) || unlock != nil {
		t.Fatalf("err = %v", err)
	}
	for _, w := range []string{"web1", "owner=bob@ci", "pid=7", "force-unlock"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q: %v", w, err)
		}
	}
	if _, ok := c.fakes["web2"].File(resource.LockPath); ok {
		t.Error("the lock taken on web2 was not released")
	}
	if !containsCommand(c.fakes["web2"], "grep -q 'id=mine '") {
		t.Errorf("no release on web2:\n%s", c.fakes["web2"].Transcript())
	}
	if held, _ := c.fakes["web1"].File(resource.LockPath); string(held.Data) != holder {
		t.Errorf("bob's lock on web1 changed: %q", held.Data)
	}
	if containsCommand(c.fakes["web1"], "grep -q") {
		t.Error("tried to release a lock that is not ours")
	}
}

func TestForceUnlock(t *testing.T) {
	c := newCluster(t, "ha-nginx")
	for _, f := range c.fakes {
		lockBehaviour(f)
	}
	c.fakes["web1"].SetFile(resource.LockPath, []byte("id=old owner=bob@ci pid=7 started=2024-01-01T00:00:00Z\n"), 0o600)
	held, err := ForceUnlock(context.Background(), c.order(), c.hosts(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]string{"web1": "id=old owner=bob@ci pid=7 started=2024-01-01T00:00:00Z"}, held); d != "" {
		t.Errorf("held (-want +got):\n%s", d)
	}
	if _, ok := c.fakes["web1"].File(resource.LockPath); ok {
		t.Error("lock not removed")
	}
}
