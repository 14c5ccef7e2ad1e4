package e2e

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clusterctl/clusterctl/internal/resource"
)

// rendered returns each host's keepalived.conf as `clusterctl render`
// writes it for the configuration at path.
func (c *cluster) rendered(path string) map[string]string {
	c.t.Helper()
	out := filepath.Join(c.t.TempDir(), "rendered")
	if b, err := exec.Command(binary, "render", path, "-o", out).CombinedOutput(); err != nil {
		c.t.Fatalf("render: %v\n%s", err, b)
	}
	m := map[string]string{}
	for _, h := range c.cfg.HostNames() {
		b, err := os.ReadFile(filepath.Join(out, h, "etc", "keepalived", "keepalived.conf"))
		if err == nil {
			m[h] = string(b)
		}
	}
	return m
}

// startClusterctl starts the binary in the operator namespace and calls
// onLine with each stdout line; it returns the command (already started).
func (c *cluster) startClusterctl(ctx context.Context, onLine func(string), args ...string) (*exec.Cmd, <-chan struct{}) {
	c.t.Helper()
	argv := append([]string{binary}, args...)
	argv = append(argv, "-i", c.lab.IdentityFile(), "--known-hosts", c.lab.KnownHosts(), "--ssh-config", "none", "--no-color")
	cmd := c.lab.OperatorCommand(ctx, argv...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			onLine(sc.Text())
		}
	}()
	return cmd, done
}

// TestReliabilityKilledApply kills `clusterctl apply` with SIGKILL at
// several points of lab A's first apply. Apply looks before it locks, so
// what a kill leaves depends on what the apply had reached, and the test
// decides it from the evidence: the killed apply's complete output (a
// pipe keeps what was written before the kill) and the lock file on each
// host.
//
//   - Killed before it showed the plan (looking, or taking the lock):
//     nothing was changed. No host has a keepalived.conf; a lock, where
//     one was taken, is the killed apply's; the plan is the plan made
//     before the apply, byte for byte.
//   - Killed after it showed the plan (locked, planned, rolling out): the
//     killed apply's lock is on every host; each keepalived.conf is absent
//     or the complete new file, never partial.
//
// A lock left refuses the next apply, which names the holder's pid, and
// force-unlock clears it; with no lock left the next apply is not refused
// and converges. Either way a plan then runs, a second apply converges
// and the plan after it is empty.
func TestReliabilityKilledApply(t *testing.T) {
	points := []struct {
		name   string
		marker string        // kill when a stdout line contains this
		after  time.Duration // or after this long
	}{
		{"first facts gathered", "facts gathered", 0},
		{"web2 applying", "web2: applying", 0},
		{"web2 files done", "web2: files:", 0},
		{"web2 gate", "web2: waiting for keepalived", 0},
		{"web1 files done", "web1: files:", 0},
		{"after 1.5s", "", 1500 * time.Millisecond},
	}
	hosts := []string{"web1", "web2"}
	reached := map[string]int{}
	for _, pt := range points {
		t.Run(strings.ReplaceAll(pt.name, " ", "_"), func(t *testing.T) {
			c := newCluster(t, exampleDir("ha-nginx"))
			want := c.rendered(c.path)
			before, _, code := c.clusterctl("plan", c.path, "-detailed-exitcode")
			if code != 2 {
				t.Fatalf("plan of the fresh lab: exit %d, want 2", code)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			var once sync.Once
			var cmd *exec.Cmd
			var lines []string
			var mu sync.Mutex
			kill := func() { once.Do(func() { cmd.Process.Kill() }) }
			cmd, done := c.startClusterctl(ctx, func(line string) {
				mu.Lock()
				lines = append(lines, line)
				mu.Unlock()
				if pt.marker != "" && strings.Contains(line, pt.marker) {
					kill()
				}
			}, "apply", c.path, "-auto-approve")
			if pt.after > 0 {
				time.AfterFunc(pt.after, kill)
			}
			<-done
			err := cmd.Wait()
			output := strings.Join(lines, "\n")
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != -1 {
				// It ended before the kill: it must have converged and
				// released its lock.
				reached["ended"]++
				if err != nil {
					t.Fatalf("apply ended before the kill with %v; output:\n%s", err, output)
				}
				for _, h := range hosts {
					if l, rc := c.exec(h, "cat", resource.LockPath); rc == 0 {
						t.Errorf("%s: a finished apply left a lock: %s", h, l)
					}
				}
				if _, _, code := c.clusterctl("plan", c.path, "-detailed-exitcode"); code != 0 {
					t.Fatalf("plan after the finished apply: exit %d, want 0", code)
				}
				return
			}
			pid := "pid=" + strconv.Itoa(cmd.Process.Pid) + " "
			shown := strings.Contains(output, "Plan: ")
			var locked []string
			for _, h := range hosts {
				l, rc := c.exec(h, "cat", resource.LockPath)
				if rc != 0 {
					continue
				}
				locked = append(locked, h)
				if !strings.Contains(l+" ", pid) {
					t.Errorf("%s: the lock is not the killed apply's (%s): %s", h, strings.TrimSpace(pid), l)
				}
			}
			for _, h := range hosts {
				got, rc := c.exec(h, "cat", "/etc/keepalived/keepalived.conf")
				switch {
				case rc != 0: // absent
				case !shown:
					t.Errorf("%s: killed before the plan was shown, yet keepalived.conf was written:\n%s", h, got)
				case got != want[h]:
					t.Errorf("%s: keepalived.conf after the kill is neither absent nor the complete new file:\n%s", h, got)
				}
			}
			switch {
			case shown:
				reached["locked: plan shown"]++
				if len(locked) != len(hosts) {
					t.Errorf("killed after the plan was shown: the lock is on %v, want every host %v; output:\n%s", locked, hosts, output)
				}
			case len(locked) > 0:
				reached["taking the lock"]++
			default:
				reached["looking: no lock"]++
			}
			t.Logf("killed %s: plan shown %v, lock left on %v", pt.name, shown, locked)
			if !shown {
				after, _, _ := c.clusterctl("plan", c.path, "-detailed-exitcode")
				if after != before {
					t.Errorf("killed before the plan was shown, yet the plan changed:\nbefore:\n%s\nafter:\n%s", before, after)
				}
			}

			_, errOut, code := c.clusterctl("apply", c.path, "-auto-approve")
			if len(locked) > 0 {
				if code == 0 {
					t.Fatalf("apply after the kill succeeded although the killed apply's lock was left on %v", locked)
				}
				mustContain(t, "apply after kill", errOut, "locked by another apply", "owner=", strings.TrimSpace(pid), "force-unlock")
				if _, _, code := c.clusterctl("force-unlock", c.path, "-force"); code != 0 {
					t.Fatalf("force-unlock: exit %d", code)
				}
				if _, _, code := c.clusterctl("plan", c.path, "-detailed-exitcode"); code == 1 {
					t.Fatalf("plan after the kill: exit 1")
				}
				if _, _, code := c.clusterctl("apply", c.path, "-auto-approve"); code != 0 {
					t.Fatalf("second apply: exit %d", code)
				}
			} else {
				// No lock and, as the plan showed, nothing changed: the
				// apply just run is a first apply, and converges.
				if code != 0 {
					t.Fatalf("apply after a kill that left no lock: exit %d", code)
				}
				if strings.Contains(errOut, "locked by another apply") {
					t.Errorf("apply after a kill that left no lock was refused by a lock:\n%s", errOut)
				}
			}
			if _, _, code := c.clusterctl("plan", c.path, "-detailed-exitcode"); code != 0 {
				t.Fatalf("plan after the second apply: exit %d, want 0", code)
			}
		})
	}
	t.Logf("SIGKILL points: %d tried; what the killed applies had reached: %v", len(points), reached)
}

// TestReliabilityConcurrentApplies starts two applies at once: exactly one
// proceeds, the other is refused by the lock; the cluster converges.
func TestReliabilityConcurrentApplies(t *testing.T) {
	c := newCluster(t, exampleDir("ha-nginx"))
	type res struct {
		code int
		out  string
	}
	results := make([]res, 2)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			out, errOut, code := c.clusterctl("apply", c.path, "-auto-approve")
			results[i] = res{code, out + errOut}
		})
	}
	wg.Wait()
	ok, refused := 0, 0
	for _, r := range results {
		switch {
		case r.code == 0:
			ok++
		case strings.Contains(r.out, "locked by another apply"):
			refused++
		}
	}
	if ok != 1 || refused != 1 {
		t.Fatalf("two concurrent applies: %d succeeded, %d refused by the lock; want 1 and 1", ok, refused)
	}
	if _, _, code := c.clusterctl("plan", c.path, "-detailed-exitcode"); code != 0 {
		t.Errorf("plan after the concurrent applies: exit %d, want 0", code)
	}
}

// TestReliabilityStalePlan: a saved plan is refused when a host's live
// state changed after it was made (naming the host), and when the
// configuration changed.
func TestReliabilityStalePlan(t *testing.T) {
	c := newCluster(t, exampleDir("ha-nginx"))
	if _, _, code := c.clusterctl("apply", c.path, "-auto-approve"); code != 0 {
		t.Fatalf("apply: exit %d", code)
	}
	dir := t.TempDir()
	changed := filepath.Join(dir, "cfg")
	copyConfig(t, c.path, changed, "priority = 90", "priority = 95")

	// Live state changed after plan -out.
	p1 := filepath.Join(dir, "p1.plan")
	if _, _, code := c.clusterctl("plan", changed, "-out", p1); code != 0 {
		t.Fatalf("plan -out: exit %d", code)
	}
	c.exec("web2", "sh", "-c", "echo '# edited by hand' >> /etc/keepalived/keepalived.conf")
	_, errOut, code := c.clusterctl("apply", p1)
	if code == 0 {
		t.Fatalf("a stale saved plan was applied")
	}
	mustContain(t, "stale plan", errOut, "web2")
	if s, _ := c.exec("web2", "tail", "-n", "1", "/etc/keepalived/keepalived.conf"); !strings.Contains(s, "edited by hand") {
		t.Errorf("the refused apply changed keepalived.conf on web2")
	}

	// Configuration changed after plan -out.
	p2 := filepath.Join(dir, "p2.plan")
	if _, _, code := c.clusterctl("plan", changed, "-out", p2); code != 0 {
		t.Fatalf("plan -out: exit %d", code)
	}
	copyConfig(t, changed, changed, "priority = 95", "priority = 96")
	if _, errOut, code := c.clusterctl("apply", p2); code == 0 {
		t.Fatalf("a plan whose configuration changed was applied")
	} else {
		mustContain(t, "config changed", strings.ToLower(errOut), "configuration")
	}
}

// TestReliabilityVIPContinuity probes the VIP over HTTP every 100 ms from
// the operator namespace while an apply changes keepalived.conf on both
// directors (a reload each); the longest gap between successful probes
// must stay within one advert interval (1 s) plus the probe period.
func TestReliabilityVIPContinuity(t *testing.T) {
	c := newCluster(t, exampleDir("ha-nginx"))
	if _, _, code := c.clusterctl("apply", c.path, "-auto-approve"); code != 0 {
		t.Fatalf("apply: exit %d", code)
	}
	changed := filepath.Join(t.TempDir(), "prio")
	copyConfig(t, c.path, changed, "priority = 90", "priority = 95")
	copyConfig(t, changed, changed, "priority = 100", "priority = 110")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	probe := `while :; do t=$(date +%s%N); if curl -s -o /dev/null -m 0.5 http://192.168.19.100/; then echo "$t ok"; else echo "$t fail"; fi; sleep 0.1; done`
	var mu sync.Mutex
	var oks []int64
	fails := 0
	cmd := c.lab.OperatorCommand(ctx, "sh", "-c", probe)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) != 2 {
				continue
			}
			ns, _ := strconv.ParseInt(f[0], 10, 64)
			mu.Lock()
			if f[1] == "ok" {
				oks = append(oks, ns)
			} else {
				fails++
			}
			mu.Unlock()
		}
	}()
	time.Sleep(1500 * time.Millisecond)
	mu.Lock()
	startN := len(oks)
	mu.Unlock()
	if startN == 0 {
		t.Fatalf("the VIP does not answer before the apply")
	}
	out2, _, code := c.clusterctl("apply", changed, "-auto-approve")
	time.Sleep(1500 * time.Millisecond)
	cancel()
	cmd.Process.Kill()
	<-done
	_ = cmd.Wait()
	if code != 0 {
		t.Fatalf("apply of the priority change: exit %d", code)
	}
	mustContain(t, "continuity apply", out2, "keepalived reloaded", "Resources: 0 added, 2 changed, 0 destroyed.")
	mu.Lock()
	defer mu.Unlock()
	var longest int64
	for i := 1; i < len(oks); i++ {
		if g := oks[i] - oks[i-1]; g > longest {
			longest = g
		}
	}
	gap := time.Duration(longest)
	t.Logf("VIP continuity: %d successful probes, %d failed, longest gap between successes %s (probe period ~100 ms + curl)", len(oks), fails, gap.Round(time.Millisecond))
	if gap > 1100*time.Millisecond+300*time.Millisecond {
		t.Errorf("longest gap %s exceeds one advert interval (1 s) plus the probe period", gap)
	}
}
