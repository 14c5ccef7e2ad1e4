package e2e

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// statusDoc is the part of `status -json` the tests read.
type statusDoc struct {
	Verdict   string `json:"verdict"`
	ExitCode  int    `json:"exit_code"`
	Instances []struct {
		Name    string `json:"name"`
		Members []struct {
			Host              string `json:"host"`
			State             string `json:"state"`
			Source            string `json:"source"`
			EffectivePriority int    `json:"effective_priority"`
			LastTransition    string `json:"last_transition"`
			TrackScripts      []struct {
				Name string `json:"name"`
				OK   bool   `json:"ok"`
			} `json:"track_scripts"`
		} `json:"members"`
	} `json:"vrrp_instances"`
	Findings []struct {
		Severity string `json:"severity"`
		Message  string `json:"message"`
	} `json:"findings"`
}

// states returns "host=STATE" of VI_1's members.
func (d statusDoc) states() []string {
	var out []string
	for _, in := range d.Instances {
		for _, m := range in.Members {
			out = append(out, m.Host+"="+m.State)
		}
	}
	return out
}

// statusUntil runs `status -json` until its exit status is code and the
// members' states are states (or the timeout passes, which fails the
// test); it returns the last document and how long it took.
func (c *cluster) statusUntil(timeout time.Duration, code int, states ...string) (statusDoc, time.Duration) {
	c.t.Helper()
	start := time.Now()
	var doc statusDoc
	var got int
	for {
		out, _, exit := c.clusterctl("status", c.path, "-json")
		got = exit
		doc = statusDoc{}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			c.t.Fatalf("status -json: %v\n%s", err, out)
		}
		if doc.ExitCode != exit {
			c.t.Fatalf("status -json says exit_code %d but exited %d", doc.ExitCode, exit)
		}
		if exit == code && slices.Equal(doc.states(), states) {
			return doc, time.Since(start)
		}
		if time.Since(start) > timeout {
			c.t.Fatalf("after %s: status exit %d with %v, want exit %d with %v", timeout, got, doc.states(), code, states)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// TestStatusTruthful makes each state happen on real keepalived and checks
// that status reports it from keepalived's own view, with the verdict and
// exit status documented: healthy (0); FAULT through a failing tracked
// script (2); STOP with keepalived stopped (2); a split brain with both
// members MASTER (3). Each state is also checked from outside status (who
// holds the VIP, what keepalived logged).
func TestStatusTruthful(t *testing.T) {
	// ha-nginx, with a check that only fails (no restart of nginx, no stop
	// of keepalived): a stopped nginx puts its node in FAULT.
	dir := filepath.Join(t.TempDir(), "fault")
	copyConfig(t, exampleDir("ha-nginx"), dir, "restart         = true", "restart         = false")
	copyConfig(t, dir, dir, "stop_keepalived = true", "stop_keepalived = false")
	c := newCluster(t, dir)
	if _, _, code := c.clusterctl("apply", c.path, "-auto-approve"); code != 0 {
		t.Fatalf("apply: exit %d", code)
	}
	const vip = "192.168.19.100"
	both := []string{"web1", "web2"}

	// Healthy.
	doc, took := c.statusUntil(30*time.Second, 0, "web1=MASTER", "web2=BACKUP")
	t.Logf("healthy after %s", took)
	if doc.Verdict != "healthy" || len(doc.Findings) != 0 {
		t.Errorf("healthy: %+v", doc)
	}
	for _, m := range doc.Instances[0].Members {
		if m.Source != "keepalived" || m.LastTransition == "" || len(m.TrackScripts) != 1 || !m.TrackScripts[0].OK {
			t.Errorf("member %s not read from keepalived: %+v", m.Host, m)
		}
	}
	if h := c.holders(vip, both...); !slices.Equal(h, []string{"web1"}) {
		t.Errorf("holders = %v, want web1", h)
	}
	start := time.Now()
	out, _, code := c.clusterctl("status", c.path)
	t.Logf("one status run: %s", time.Since(start))
	if code != 0 {
		t.Fatalf("status: exit %d\n%s", code, out)
	}
	c.statusText(20*time.Second, "healthy status", 0, "web1    100       MASTER", "web2    90        BACKUP", "chk_nginx ok", "answered json+data", "Status: healthy.")
	out, _, code = c.clusterctl("graph", c.path, "--live")
	if code != 0 {
		t.Errorf("graph --live: exit %d", code)
	}
	mustContain(t, "graph --live", out, "web1 prio 100 MASTER  ◀ holds the VIPs", "web2 prio 90 BACKUP", "(live: healthy)")

	// FAULT: nginx stopped on the backup fails its tracked script.
	if out, code := c.exec("web2", "systemctl", "stop", "nginx"); code != 0 {
		t.Fatalf("stop nginx: %d %s", code, out)
	}
	doc, took = c.statusUntil(30*time.Second, 2, "web1=MASTER", "web2=FAULT")
	t.Logf("FAULT seen %s after nginx stopped", took)
	if doc.Verdict != "degraded" || !hasFinding(doc, "degraded", "web2 is in FAULT: tracked script chk_nginx is failing") {
		t.Errorf("FAULT: %+v", doc)
	}
	text := c.statusText(20*time.Second, "FAULT status", 2, "web2    90        FAULT", "chk_nginx FAILING", "Status: DEGRADED (exit 2)")
	if strings.Contains(text, "healthy") {
		t.Errorf("a degraded status mentions healthy:\n%s", text)
	}
	out, _, _ = c.clusterctl("graph", c.path, "--live", "--format", "dot")
	mustContain(t, "graph --live --format dot", out, `"host:web2" [label="web2", color=red]`, `-> "host:web1" [label="prio 100 MASTER", style=bold]`)
	if h := c.holders(vip, both...); !slices.Equal(h, []string{"web1"}) {
		t.Errorf("holders in FAULT = %v, want web1", h)
	}
	if log, _ := c.exec("web2", "sh", "-c", "cat /var/log/syslog /var/log/messages 2>/dev/null"); !strings.Contains(log, "Entering FAULT STATE") {
		t.Errorf("keepalived on web2 did not log FAULT:\n%s", log)
	}
	c.exec("web2", "systemctl", "start", "nginx")
	c.statusUntil(30*time.Second, 0, "web1=MASTER", "web2=BACKUP")

	// STOP: keepalived stopped on the backup.
	if out, code := c.exec("web2", "systemctl", "stop", "keepalived"); code != 0 {
		t.Fatalf("stop keepalived: %d %s", code, out)
	}
	doc, _ = c.statusUntil(20*time.Second, 2, "web1=MASTER", "web2=STOP")
	if !hasFinding(doc, "degraded", "web2 is STOP: keepalived is not running there") {
		t.Errorf("STOP: %+v", doc)
	}
	if n, _ := c.exec("web2", "sh", "-c", "pidof keepalived || echo none"); strings.TrimSpace(n) != "none" {
		t.Errorf("keepalived still runs on web2: %s", n)
	}
	c.exec("web2", "systemctl", "start", "keepalived")
	c.statusUntil(30*time.Second, 0, "web1=MASTER", "web2=BACKUP")

	// Split brain: the master's adverts are dropped, the backup promotes
	// itself while the master stays MASTER.
	if out, code := c.exec("web1", "iptables", "-I", "OUTPUT", "-p", "vrrp", "-j", "DROP"); code != 0 {
		t.Fatalf("iptables: %d %s", code, out)
	}
	doc, took = c.statusUntil(30*time.Second, 3, "web1=MASTER", "web2=MASTER")
	// keepalived may be caught between entering MASTER and adding the
	// VIP (then "MASTER but holds 0 of its 1 VIPs"): ask again.
	for i := 0; i < 10 && !hasFinding(doc, "broken", "192.168.19.100 is held by web1 and web2"); i++ {
		time.Sleep(time.Second)
		doc, _ = c.statusUntil(30*time.Second, 3, "web1=MASTER", "web2=MASTER")
	}
	t.Logf("split brain seen %s after the adverts were dropped", took)
	if doc.Verdict != "broken" || !hasFinding(doc, "broken", "split brain: keepalived is MASTER on web1 and web2") ||
		!hasFinding(doc, "broken", "split brain: 192.168.19.100 is held by web1 and web2") {
		t.Errorf("split brain: %+v", doc)
	}
	if h := c.holders(vip, both...); !slices.Equal(h, both) {
		t.Errorf("holders in split brain = %v, want both", h)
	}
	c.statusText(20*time.Second, "split brain status", 3, "Broken:", "split-brain  web1, web2", "Status: BROKEN (exit 3)")
	c.exec("web1", "iptables", "-D", "OUTPUT", "-p", "vrrp", "-j", "DROP")
	c.statusUntil(30*time.Second, 0, "web1=MASTER", "web2=BACKUP")

	// -watch: frames in sequence (not a terminal), the last verdict's exit.
	out, _, code = c.clusterctl("status", c.path, "-watch", "--count", "2", "--interval", "1s")
	if code != 0 || strings.Count(out, "== clusterctl status at ") != 2 {
		t.Errorf("status -watch: exit %d\n%s", code, out)
	}
}

// statusText runs the text `status` until it exits code and shows every
// one of subs, or fails the test after timeout with what it last showed.
// Asking again covers a report taken while keepalived was still writing
// its dumps on a loaded machine (status then says "answered data" and
// names what was missing); the state itself must still come round.
func (c *cluster) statusText(timeout time.Duration, what string, code int, subs ...string) string {
	c.t.Helper()
	start := time.Now()
	for {
		out, _, exit := c.clusterctl("status", c.path)
		var missing []string
		for _, sub := range subs {
			if !strings.Contains(out, sub) {
				missing = append(missing, sub)
			}
		}
		if exit == code && len(missing) == 0 {
			return out
		}
		if time.Since(start) > timeout {
			c.t.Fatalf("%s after %s: exit %d (want %d), missing %q in:\n%s", what, timeout, exit, code, missing, out)
		}
		time.Sleep(time.Second)
	}
}

func hasFinding(d statusDoc, severity, message string) bool {
	for _, f := range d.Findings {
		if f.Severity == severity && strings.Contains(f.Message, message) {
			return true
		}
	}
	return false
}
