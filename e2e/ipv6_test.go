package e2e

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// ipv6Instance is a second instance for lab A: an IPv6 VIP needs an
// instance of its own (one family per instance), which runs VRRP version
// 3 and so has no auth_pass.
const ipv6Instance = `
vrrp_instance "VI_6" {
  interface         = "ens33"
  virtual_router_id = 52
  advert_int        = 1
  virtual_ips       = ["fd00:19::100"]
  track_script      = [health_check.nginx]

  member "web1" {
    priority = 100
  }
  member "web2" {
    priority = 90
  }
}
`

// TestIPv6Failover: lab A with IPv6 addresses and an IPv6 VIP in an
// instance of its own, on keepalived 2.2.7's VRRPv3. apply converges, the
// next plan is empty; web1 holds both VIPs and answers on the IPv6 one;
// keepalived stopped on web1 → web2 takes the IPv6 VIP (and only web2
// holds it) and answers there; keepalived started again → web1 takes it
// back.
func TestIPv6Failover(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cfg")
	copyConfig(t, exampleDir("ha-nginx"), dir, `addresses = ["192.168.19.101/24"]`, `addresses = ["192.168.19.101/24", "fd00:19::101/64"]`)
	for _, f := range []func(string) string{
		func(s string) string {
			return strings.Replace(s, `addresses = ["192.168.19.102/24"]`, `addresses = ["192.168.19.102/24", "fd00:19::102/64"]`, 1)
		},
		func(s string) string { return s + ipv6Instance },
	} {
		p := filepath.Join(dir, "cluster.hcl")
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s := f(string(b))
		if s == string(b) {
			t.Fatal("the edit of ha-nginx's cluster.hcl found nothing to change")
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := newCluster(t, dir)
	if _, _, code := c.clusterctl("apply", c.path, "-auto-approve"); code != 0 {
		t.Fatalf("apply: exit %d", code)
	}
	if _, _, code := c.clusterctl("plan", c.path, "-detailed-exitcode"); code != 0 {
		t.Fatalf("plan after apply: exit %d, want 0 (converged)", code)
	}
	get := func() string {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, _ := c.lab.OperatorCommand(ctx, "curl", "-g", "-s", "-m", "3", "http://[fd00:19::100]/").Output()
		return strings.TrimSpace(string(out))
	}
	// wait until exactly want holds the IPv6 VIP and answers on it.
	wait := func(what, want string) {
		t.Helper()
		var h []string
		var page string
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
			h = c.holders("fd00:19::100", "web1", "web2")
			if slices.Equal(h, []string{want}) {
				if page = get(); strings.HasPrefix(page, want+" ") {
					t.Logf("%s: %s holds fd00:19::100 and answers %q", what, want, page)
					return
				}
			}
		}
		t.Fatalf("%s: holders of fd00:19::100 %v, page %q; want %s alone, answering", what, h, page, want)
	}
	wait("converged", "web1")
	if h := c.holders("192.168.19.100", "web1", "web2"); !slices.Equal(h, []string{"web1"}) {
		t.Errorf("holders of 192.168.19.100: %v, want web1", h)
	}
	if out, code := c.exec("web1", "grep", "-c", "fd00:19::100", "/etc/keepalived/keepalived.conf"); code != 0 || strings.TrimSpace(out) != "1" {
		t.Errorf("web1's keepalived.conf does not carry the IPv6 VIP once: %q", out)
	}
	if out, code := c.exec("web1", "systemctl", "stop", "keepalived"); code != 0 {
		t.Fatalf("stop keepalived on web1: %s", out)
	}
	wait("web1's keepalived stopped", "web2")
	if out, code := c.exec("web1", "systemctl", "start", "keepalived"); code != 0 {
		t.Fatalf("start keepalived on web1: %s", out)
	}
	wait("web1's keepalived started again", "web1")
}
