package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clusterctl/clusterctl/internal/lab"
)

// The firewall as a managed resource, proven with the door shut: every
// machine starts with a default-deny INPUT (and FORWARD) policy of its
// own, clusterctl opens exactly what the cluster needs, and a port it
// does not need stays closed.

// denyByDefault gives machine the firewall a careful administrator
// writes before anything runs on it: loopback, replies and SSH accepted,
// everything else dropped. clusterctl must open what the cluster needs
// without touching these rules.
func denyByDefault(t *testing.T, c *cluster, machine string) {
	t.Helper()
	script := `set -e
iptables -A INPUT -i lo -j ACCEPT
iptables -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
iptables -P INPUT DROP
iptables -P FORWARD DROP
iptables-save -t filter`
	if out, rc := c.exec(machine, "sh", "-c", script); rc != 0 {
		t.Fatalf("%s: default-deny: rc %d\n%s", machine, rc, out)
	}
}

// nftDenyByDefault is denyByDefault written natively in nftables, as
// Debian's /etc/nftables.conf does it: the host's own table inet filter.
func nftDenyByDefault(t *testing.T, c *cluster, machine string) {
	t.Helper()
	ruleset := `table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		iif "lo" accept
		ct state established,related accept
		tcp dport 22 accept
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
	}
}
`
	if out, rc := c.exec(machine, "sh", "-c", "printf '%s' '"+ruleset+"' | nft -f - && nft list ruleset"); rc != 0 {
		t.Fatalf("%s: nftables default-deny: rc %d\n%s", machine, rc, out)
	}
}

// withFirewall copies the ha-nginx example into a directory of its own
// with the firewall managed (backend as given, "" for the default) and
// port 80 open on both web servers (nginx: the cluster cannot infer it).
func withFirewall(t *testing.T, backend string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "fw")
	block := "firewall {\n  manage = true\n"
	if backend != "" {
		block += fmt.Sprintf("  backend = %q\n", backend)
	}
	block += "}\n\ndefaults {"
	tmp := filepath.Join(t.TempDir(), "step")
	copyConfig(t, exampleDir("ha-nginx"), tmp, "defaults {", block)
	ports := "\n  firewall {\n    ports = [\"80/tcp\"]\n  }"
	tmp2 := filepath.Join(t.TempDir(), "step2")
	copyConfig(t, tmp, tmp2, `host "web1" {`, `host "web1" {`+ports)
	copyConfig(t, tmp2, dir, `host "web2" {`, `host "web2" {`+ports)
	return dir
}

// probeClosed starts a listener on port of machine and checks that it
// answers on the machine itself, while a connection from another machine
// times out (dropped by machine's firewall); port 80, which the cluster
// needs, answers from that other machine.
func probeClosed(t *testing.T, c *cluster, machine, addr, from string, port int) {
	t.Helper()
	listen := fmt.Sprintf("cd /tmp && (python3 -m http.server %d >/dev/null 2>&1 & echo $! >/tmp/probe.pid) && sleep 1", port)
	if out, rc := c.exec(machine, "sh", "-c", listen); rc != 0 {
		t.Fatalf("%s: listener on %d: rc %d\n%s", machine, port, rc, out)
	}
	defer c.exec(machine, "sh", "-c", "kill $(cat /tmp/probe.pid)")
	url := fmt.Sprintf("http://%s:%d/", addr, port)
	if out, rc := c.exec(machine, "curl", "-s", "-o", "/dev/null", "-m", "3", url); rc != 0 {
		t.Fatalf("%s → %s itself: curl exit %d (%q): the listener is not there", machine, url, rc, out)
	}
	// 28: timed out (dropped); 7: refused (firewalld's zones reject with
	// an ICMP error). The listener answered locally, so either is the
	// firewall.
	if out, rc := c.exec(from, "curl", "-s", "-m", "3", url); rc != 28 && rc != 7 {
		t.Errorf("%s → %s: curl exit %d (%q), want 28 or 7 (dropped or rejected by %s's firewall)", from, url, rc, out, machine)
	}
	if page, rc := c.exec(from, "curl", "-s", "-m", "3", "http://"+addr+"/"); rc != 0 || !strings.Contains(page, machine) {
		t.Errorf("%s → http://%s/: exit %d, page %q", from, addr, rc, page)
	}
}

// applyFirewalled applies path and checks that it converged with web1
// holding the VIP alone (the members hear each other's adverts).
func applyFirewalled(t *testing.T, c *cluster, path string) {
	t.Helper()
	out, _, code := c.clusterctl("apply", path, "-auto-approve")
	if code != 0 {
		t.Fatalf("apply: exit %d", code)
	}
	mustContain(t, "apply", out, "Apply complete!")
	if h := c.holders("192.168.19.100", "web1", "web2"); len(h) != 1 || h[0] != "web1" {
		t.Fatalf("VIP holders after apply = %v, want [web1]", h)
	}
}

// convergedAndClosed checks the applied cluster behind its firewalls: the
// next plan is empty, verify passes, and port on machine (at addr) stays
// closed to from.
func convergedAndClosed(t *testing.T, c *cluster, path, machine, addr, from string, port int) {
	t.Helper()
	if out, _, code := c.clusterctl("plan", path, "-detailed-exitcode"); code != 0 {
		t.Fatalf("plan after apply: exit %d, want 0\n%s", code, out)
	}
	out, _, code := c.clusterctl("verify", path)
	if code != 0 {
		t.Fatalf("verify: exit %d", code)
	}
	mustContain(t, "verify", out, "5 passed, 0 failed")
	probeClosed(t, c, machine, addr, from, port)
}

// restoredAtBoot is what runs at boot: with clusterctl's rules gone from
// web2 (wipe, as a reboot forgets them), the plan shows them (planned),
// and after the restore script the plan is empty.
func restoredAtBoot(t *testing.T, c *cluster, path, wipe, planned string) {
	t.Helper()
	if out, rc := c.exec("web2", "sh", "-c", wipe); rc != 0 {
		t.Fatalf("web2: wipe: rc %d\n%s", rc, out)
	}
	out, _, code := c.clusterctl("plan", path, "-detailed-exitcode")
	if code != 2 {
		t.Fatalf("plan with web2's chain gone: exit %d, want 2", code)
	}
	mustContain(t, "plan with web2's chain gone", hostSection(out, "web2"), planned)
	if out, rc := c.exec("web2", "/usr/local/sbin/clusterctl-restore"); rc != 0 {
		t.Fatalf("web2: clusterctl-restore: rc %d\n%s", rc, out)
	}
	if out, _, code = c.clusterctl("plan", path, "-detailed-exitcode"); code != 0 {
		t.Fatalf("plan after clusterctl-restore: exit %d, want 0\n%s", code, out)
	}
}

// TestLabAFirewallDefaultDeny: lab A on Debian machines whose INPUT and
// FORWARD drop by default. Without a managed firewall the members do not
// hear each other (both take the VIP); with firewall { manage = true }
// the plan shows the rules, apply converges, verify passes, the next plan
// is empty, the host's own rules are untouched, a port the cluster does
// not need stays closed, the rules come back from the restore script
// (what runs at boot) after they are gone, and destroy removes them.
func TestLabAFirewallDefaultDeny(t *testing.T) {
	c := newCluster(t, exampleDir("ha-nginx"))
	for _, m := range []string{"web1", "web2"} {
		denyByDefault(t, c, m)
	}
	// The control: without the firewall managed, the adverts are dropped,
	// both members take the VIP, and apply's gate rolls back.
	out, errOut, code := c.clusterctl("apply", c.path, "-auto-approve")
	if code == 0 {
		t.Fatalf("apply converged although INPUT drops VRRP")
	}
	mustContain(t, "apply behind default-deny", out+errOut, "split brain: VIP 192.168.19.100 is held by web1 and web2")

	path := withFirewall(t, "")
	out, _, code = c.clusterctl("plan", path, "-detailed-exitcode")
	if code != 2 {
		t.Fatalf("plan: exit %d, want 2", code)
	}
	web1 := hostSection(out, "web1")
	mustContain(t, "web1 plan", web1,
		"+   firewall iptables CLUSTERCTL-INPUT",
		`-s 192.168.19.102/32 -d 224.0.0.18/32 -p vrrp -m comment --comment "clusterctl: vrrp VI_1 from web2" -j ACCEPT`,
		`-p tcp -m tcp --dport 80 -m comment --comment "clusterctl: port 80/tcp" -j ACCEPT`,
		"(jumped to first from INPUT)",
		"+   file /etc/clusterctl/iptables-filter.rules")
	if strings.Contains(out, "CLUSTERCTL-FORWARD") {
		t.Errorf("lab A (no NAT) plans a FORWARD chain:\n%s", out)
	}
	applyFirewalled(t, c, path)
	for _, m := range []string{"web1", "web2"} {
		s, _ := c.exec(m, "iptables-save", "-t", "filter")
		mustContain(t, m+" filter table", s,
			":INPUT DROP", ":FORWARD DROP",
			"-A INPUT -j CLUSTERCTL-INPUT\n-A INPUT -i lo -j ACCEPT",
			"-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT",
			"-A CLUSTERCTL-INPUT -m conntrack --ctstate RELATED,ESTABLISHED")
	}
	convergedAndClosed(t, c, path, "web1", "192.168.19.101", "web2", 8081)

	// What runs at boot: with clusterctl's chains gone (a reboot forgets
	// them), the restore script puts them back, and the plan is empty.
	wipe := "iptables -D INPUT -j CLUSTERCTL-INPUT && iptables -F CLUSTERCTL-INPUT && iptables -X CLUSTERCTL-INPUT"
	restoredAtBoot(t, c, path, wipe, "+   firewall iptables CLUSTERCTL-INPUT")
	// The VRRP adverts pass again: web1 keeps the VIP alone.
	time.Sleep(4 * time.Second)
	if h := c.holders("192.168.19.100", "web1", "web2"); len(h) != 1 || h[0] != "web1" {
		t.Errorf("VIP holders after restore = %v, want [web1]", h)
	}
	// destroy takes out clusterctl's chain and its jump, nothing else.
	if out, errOut, code := c.clusterctl("destroy", "-auto-approve", path); code != 0 {
		t.Fatalf("destroy: exit %d\n%s%s", code, out, errOut)
	}
	for _, m := range []string{"web1", "web2"} {
		s, _ := c.exec(m, "iptables-save", "-t", "filter")
		if strings.Contains(s, "CLUSTERCTL") || !strings.Contains(s, ":INPUT DROP") || strings.Count(s, "-A INPUT") != 3 {
			t.Errorf("%s after destroy:\n%s", m, s)
		}
	}
}

// TestLabAFirewalldManaged: lab A on Rocky 9 machines with firewalld's
// default zone public (which drops VRRP and rejects port 80). With
// firewall { manage = true } (auto: firewalld, since it runs) the plan
// shows the rich rules, apply adds them at runtime and permanently,
// verify passes, the next plan is empty and stays empty after
// firewall-cmd --reload (the permanent rules are the same), a rich rule
// clusterctl did not write stays, port 8081 stays closed, and destroy
// removes clusterctl's rules only.
func TestLabAFirewalldManaged(t *testing.T) {
	c := newClusterWith(t, exampleDir("ha-nginx"), map[string]lab.Flavour{"web1": lab.Rocky9, "web2": lab.Rocky9})
	foreign := `rule family="ipv4" source address="192.168.19.250" port port="9999" protocol="tcp" accept`
	for _, m := range []string{"web1", "web2"} {
		script := "firewall-cmd -q --set-default-zone=public && firewall-cmd -q --add-rich-rule='" + foreign + "' && firewall-cmd -q --permanent --add-rich-rule='" + foreign + "'"
		if out, rc := c.exec(m, "sh", "-c", script); rc != 0 {
			t.Fatalf("%s: %s", m, out)
		}
	}
	path := withFirewall(t, "")
	out, _, code := c.clusterctl("plan", path, "-detailed-exitcode")
	if code != 2 {
		t.Fatalf("plan: exit %d, want 2", code)
	}
	web1 := hostSection(out, "web1")
	mustContain(t, "web1 plan", web1,
		"+   firewall firewalld rich rules",
		`rule family="ipv4" source address="192.168.19.102" destination address="224.0.0.18" protocol value="vrrp" accept`,
		`rule family="ipv4" port port="80" protocol="tcp" accept`)
	if strings.Contains(out, "firewalld is running and clusterctl does not manage the firewall") || strings.Contains(out, "iptables-filter.rules") {
		t.Errorf("plan with a managed firewalld:\n%s", out)
	}
	applyFirewalled(t, c, path)
	for _, m := range []string{"web1", "web2"} {
		for _, perm := range []string{"", "--permanent"} {
			args := []string{"firewall-cmd", "--list-rich-rules"}
			if perm != "" {
				args = append(args, perm)
			}
			s, _ := c.exec(m, args...)
			mustContain(t, m+" rich rules "+perm, s, `protocol value="vrrp" accept`, `port port="80" protocol="tcp" accept`, foreign)
		}
	}
	convergedAndClosed(t, c, path, "web1", "192.168.19.101", "web2", 8081)
	// A reload drops the runtime configuration for the permanent one:
	// clusterctl's rules are in both, so nothing changes.
	for _, m := range []string{"web1", "web2"} {
		if out, rc := c.exec(m, "firewall-cmd", "-q", "--reload"); rc != 0 {
			t.Fatalf("%s: reload: %s", m, out)
		}
	}
	if out, _, code = c.clusterctl("plan", path, "-detailed-exitcode"); code != 0 {
		t.Fatalf("plan after firewall-cmd --reload: exit %d, want 0\n%s", code, out)
	}
	// destroy removes clusterctl's rich rules, runtime and permanent, and
	// keeps the operator's.
	if out, errOut, code := c.clusterctl("destroy", "-auto-approve", path); code != 0 {
		t.Fatalf("destroy: exit %d\n%s%s", code, out, errOut)
	}
	for _, m := range []string{"web1", "web2"} {
		for _, perm := range []string{"", "--permanent"} {
			args := []string{"firewall-cmd", "--list-rich-rules"}
			if perm != "" {
				args = append(args, perm)
			}
			if s, _ := c.exec(m, args...); strings.TrimSpace(s) != foreign {
				t.Errorf("%s rich rules %s after destroy = %q, want only %q", m, perm, s, foreign)
			}
		}
	}
}

// TestLabANFTablesDefaultDeny: lab A on Debian machines whose default-deny
// is a native nftables table (inet filter, input and forward policy
// drop). Without the firewall managed, apply fails on the split brain. An accept in a table of clusterctl's own would not get past the
// host's drop, so the nftables backend adds its chain to the host's table
// and jumps to it first: the plan shows the rules, apply converges,
// verify passes, the next plan is empty, the host's own rules stay, port
// 8081 stays closed, clusterctl-restore brings the chain back, and
// destroy takes it and its jump out again.
func TestLabANFTablesDefaultDeny(t *testing.T) {
	c := newCluster(t, exampleDir("ha-nginx"))
	for _, m := range []string{"web1", "web2"} {
		nftDenyByDefault(t, c, m)
	}
	out, errOut, code := c.clusterctl("apply", c.path, "-auto-approve")
	if code == 0 {
		t.Fatalf("apply converged although the nftables input chain drops VRRP")
	}
	mustContain(t, "apply behind default-deny", out+errOut, "split brain: VIP 192.168.19.100 is held by web1 and web2")
	path := withFirewall(t, "nftables")
	out, _, code = c.clusterctl("plan", path, "-detailed-exitcode")
	if code != 2 {
		t.Fatalf("plan: exit %d, want 2", code)
	}
	mustContain(t, "web1 plan", hostSection(out, "web1"),
		"+   firewall nftables inet filter clusterctl-input",
		`ip saddr 192.168.19.102 ip daddr 224.0.0.18 ip protocol vrrp accept comment "clusterctl: vrrp VI_1 from web2"`,
		`tcp dport 80 accept comment "clusterctl: port 80/tcp"`,
		"(jumped to first from input)",
		"+   file /etc/clusterctl/nftables.rules")
	if strings.Contains(out, "CLUSTERCTL-INPUT") {
		t.Errorf("nftables plan has iptables chains:\n%s", out)
	}
	applyFirewalled(t, c, path)
	for _, m := range []string{"web1", "web2"} {
		s, _ := c.exec(m, "nft", "list", "table", "inet", "filter")
		mustContain(t, m+" table inet filter", s,
			"policy drop;\n\t\tjump clusterctl-input\n\t\tiif \"lo\" accept",
			"tcp dport 22 accept", "chain clusterctl-input {")
	}
	convergedAndClosed(t, c, path, "web1", "192.168.19.101", "web2", 8081)

	// What runs at boot, after nftables.service loaded the host's own
	// ruleset without clusterctl's chain.
	wipe := "for h in $(nft -a list chain inet filter input | sed -n 's/.*jump clusterctl-input # handle //p'); do nft delete rule inet filter input handle $h; done && nft delete chain inet filter clusterctl-input"
	restoredAtBoot(t, c, path, wipe, "+   firewall nftables inet filter clusterctl-input")
	// The host's own rules are as they were: only the jump was added.
	s, _ := c.exec("web1", "nft", "list", "chain", "inet", "filter", "input")
	if n := strings.Count(s, "accept"); n != 3 || strings.Count(s, "jump clusterctl-input") != 1 {
		t.Errorf("web1's input chain:\n%s", s)
	}
	// destroy takes out clusterctl's chain and its jump, nothing else.
	if out, errOut, code := c.clusterctl("destroy", "-auto-approve", path); code != 0 {
		t.Fatalf("destroy: exit %d\n%s%s", code, out, errOut)
	}
	for _, m := range []string{"web1", "web2"} {
		s, _ := c.exec(m, "nft", "list", "table", "inet", "filter")
		if strings.Contains(s, "clusterctl") || strings.Count(s, "accept") != 3 || !strings.Contains(s, "policy drop;") {
			t.Errorf("%s after destroy:\n%s", m, s)
		}
	}
}

// TestLabAFirewallMixed: backend "auto" decides per host. web1 is a
// Debian machine with an iptables default-deny, web2 a Rocky 9 machine
// behind firewalld's public zone: web1 gets the iptables chain, web2 rich
// rules, and the pair converges and passes verify.
func TestLabAFirewallMixed(t *testing.T) {
	c := newClusterWith(t, exampleDir("ha-nginx"), map[string]lab.Flavour{"web2": lab.Rocky9})
	denyByDefault(t, c, "web1")
	if out, rc := c.exec("web2", "firewall-cmd", "-q", "--set-default-zone=public"); rc != 0 {
		t.Fatalf("web2: %s", out)
	}
	path := withFirewall(t, "auto")
	out, _, code := c.clusterctl("plan", path, "-detailed-exitcode")
	if code != 2 {
		t.Fatalf("plan: exit %d, want 2", code)
	}
	mustContain(t, "web1 plan", hostSection(out, "web1"), "+   firewall iptables CLUSTERCTL-INPUT", "+   file /etc/clusterctl/iptables-filter.rules")
	mustContain(t, "web2 plan", hostSection(out, "web2"), "+   firewall firewalld rich rules",
		`rule family="ipv4" source address="192.168.19.101" destination address="224.0.0.18" protocol value="vrrp" accept`)
	if s := hostSection(out, "web2"); strings.Contains(s, "iptables") {
		t.Errorf("web2 (firewalld) plans iptables:\n%s", s)
	}
	applyFirewalled(t, c, path)
	convergedAndClosed(t, c, path, "web2", "192.168.19.102", "web1", 8081)
}
