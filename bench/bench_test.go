package main

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clusterctl/clusterctl/internal/golden"

	"github.com/google/go-cmp/cmp"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/render"
)

// TestRenderConfig: the generated configuration loads and renders; the
// two variants differ in exactly the two managed files of every host.
func TestRenderConfig(t *testing.T) {
	golden.Check(t, "config-2.hcl", renderConfig(2, 0))
	dir := t.TempDir()
	load := func(n int, v variant) map[string]map[string]string {
		path := filepath.Join(dir, "c.hcl")
		if err := os.WriteFile(path, []byte(renderConfig(n, v)), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, diags := config.NewLoader().Load(path, config.LoadOptions{})
		if diags.HasErrors() {
			t.Fatalf("load: %s", diags.Error())
		}
		desired, err := render.Render(cfg)
		if err != nil {
			t.Fatal(err)
		}
		files := map[string]map[string]string{}
		for name, h := range desired {
			files[name] = map[string]string{}
			for _, f := range h.Files {
				files[name][f.Path] = string(f.Content)
			}
			if strings.Join(h.Packages, ",") != "nginx" {
				t.Errorf("%s packages = %v, want [nginx]", name, h.Packages)
			}
		}
		return files
	}
	const n = 50
	a, b := load(n, 0), load(n, 1)
	if len(a) != n {
		t.Fatalf("%d hosts, want %d", len(a), n)
	}
	for host := range a {
		for _, p := range []string{sysctlFile, appFile} {
			if a[host][p] == "" || a[host][p] == b[host][p] {
				t.Errorf("%s %s: variants %q and %q should differ", host, p, a[host][p], b[host][p])
			}
		}
	}
	if got := a[hostName(49)][sysctlFile]; got != "net.ipv4.tcp_fin_timeout = 30\n" {
		t.Errorf("sysctl drop-in = %q", got)
	}
}

func TestHostAddressing(t *testing.T) {
	if got := hostAddr(0).String(); got != "192.168.100.11" {
		t.Errorf("hostAddr(0) = %s", got)
	}
	last := hostAddr(maxHosts - 1)
	if !benchSubnet.Contains(last.Next()) || last.Next() == netip.MustParseAddr("192.168.103.255") {
		t.Errorf("hostAddr(%d) = %s leaves no room in %s", maxHosts-1, last, benchSubnet)
	}
	spec := labSpec("ccbench", "/run/x", 3)
	if err := spec.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(spec.Machines) != 4 || spec.Machines[2].Name != "m003" || spec.Machines[3].Name != rsDirector {
		t.Errorf("machines = %+v", spec.Machines)
	}
}

func TestAnsibleInventory(t *testing.T) {
	for _, s := range shapes {
		golden.Check(t, "inventory-"+string(s)+"-2.json", ansibleInventory(s, 2, "/lab/id_ed25519", "/lab/known_hosts"))
	}
}

func TestCountSSHDLog(t *testing.T) {
	log := `Server listening on 0.0.0.0 port 22.
Connection from 192.168.100.1 port 40000 on 192.168.100.11 port 22 rdomain ""
Accepted publickey for root from 192.168.100.1 port 40000 ssh2: ED25519 SHA256:x
pam_unix(sshd:session): session opened for user root(uid=0) by (uid=0)
User child is on pid 77
Starting session: command for root from 192.168.100.1 port 40000 id 0
Starting session: subsystem 'sftp' for root from 192.168.100.1 port 40000 id 1
Received disconnect from 192.168.100.1 port 40000:11: disconnected by user
Accepted publickey for root from 192.168.100.1 port 40002 ssh2: ED25519 SHA256:x
Starting session: command for root from 192.168.100.1 port 40002 id 0
`
	conns, sessions := countSSHDLog([]byte(log))
	if conns != 2 || sessions != 3 {
		t.Errorf("countSSHDLog = %d conns, %d sessions; want 2, 3", conns, sessions)
	}
}

func TestSSHDLogsSinceMark(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sshd.log")
	if err := os.WriteFile(path, []byte("Accepted publickey for root\nStarting session: command\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l := newSSHDLogs([]string{path})
	if err := l.mark(); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("Accepted publickey for root\nStarting session: command\nStarting session: command\n")
	f.Close()
	conns, sessions, err := l.count()
	if err != nil || conns != 1 || sessions != 2 {
		t.Errorf("count = %d, %d, %v; want 1, 2 (only what came after mark)", conns, sessions, err)
	}
}

func TestParseProcStatCPU(t *testing.T) {
	tests := []struct {
		line string
		want time.Duration
		err  bool
	}{
		// user nice system idle iowait irq softirq steal guest guest_nice
		{"cpu  100 5 50 9999 7 1 2 3 40 0\n", 1610 * time.Millisecond, false},
		{"cpu 1 0 1 0 0 0 0 0", 20 * time.Millisecond, false},
		{"cpu0 1 2 3 4 5 6 7 8", 0, true},
		{"cpu 1 2", 0, true},
		{"cpu 1 x 3 4 5 6 7 8", 0, true},
	}
	for _, tt := range tests {
		got, err := parseProcStatCPU(tt.line)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("parseProcStatCPU(%q) = %v, %v; want %v, error %v", tt.line, got, err, tt.want, tt.err)
		}
	}
}

func TestParseOptions(t *testing.T) {
	o, err := parseOptions([]string{"-n", "50,1,10,10", "-shapes", "files", "-runs", "2", "-peers", "openssh,clusterctl"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]int{1, 10, 50}, o.sizes); d != "" || o.runs != 2 || o.ansibleRuns != 2 || !o.peers["openssh"] || o.peers["ansible"] {
		t.Errorf("options = %+v %s", o, d)
	}
	o, err = parseOptions([]string{"-n", "500,50", "-ansible-forks", "50", "-ansible-facts", "off", "-ansible-runs", "1"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]shape{shapePairs, shapeRS}, o.shapes); d != "" || len(o.ansible) != 1 || o.ansible[0] != (ansibleVariant{Forks: 50}) || o.ansibleRuns != 1 {
		t.Errorf("options = %+v %s", o, d)
	}
	for _, bad := range [][]string{{"-n", "0"}, {"-n", "x"}, {"-n", "1001"}, {"-peers", "puppet"}, {"-runs", "0"},
		{"-n", "51"}, {"-n", "600"}, {"-shapes", "mesh"}, {"-ansible-facts", "maybe"}, {"-ansible-forks", "0"}, {"-ansible-runs", "4"}} {
		if _, err := parseOptions(bad, &bytes.Buffer{}); err == nil {
			t.Errorf("parseOptions(%q) accepted", bad)
		}
	}
}

func TestMedian(t *testing.T) {
	if got := median([]int{3, 1, 2}); got != 2 {
		t.Errorf("median odd = %d", got)
	}
	if got := median([]int{4, 1, 3, 2}); got != 2 {
		t.Errorf("median even = %d (integer mean of 2 and 3)", got)
	}
	if got := median([]int(nil)); got != 0 {
		t.Errorf("median empty = %d", got)
	}
}

// TestWriteReport renders a fixed set of samples.
func TestWriteReport(t *testing.T) {
	s := func(wall, cpu float64, rss int64, target float64, sessions int) sample {
		d := func(x float64) time.Duration { return time.Duration(x * float64(time.Second)) }
		return sample{Wall: d(wall), CPU: d(cpu), TreeCPU: d(cpu), MachineCPU: d(2 * wall), TargetCPU: d(target), MaxRSS: rss << 20, Conns: 2, Sessions: sessions}
	}
	gated := func(x sample, gate float64, waves int) sample {
		x.Gate, x.Waves = time.Duration(gate*float64(time.Second)), waves
		return x
	}
	var results []result
	add := func(n int, client, label, peer, op string, samples ...sample) {
		results = append(results, result{N: n, Shape: shapePairs, Client: client, Op: op, Key: string(shapePairs) + "/" + client + "/" + op, Label: label, Peer: peer, Samples: samples})
	}
	for _, n := range []int{2, 4} {
		k := float64(n) / 2
		add(n, clientClusterctl, "clusterctl", "clusterctl", opFirst, gated(s(5*k, 0.1, 20, 0.2, 8), 3.7, 1), gated(s(5.2*k, 0.1, 22, 0.2, 8), 3.8, 1), gated(s(4.9*k, 0.1, 21, 0.2, 8), 3.6, 1))
		add(n, clientClusterctl, "clusterctl", "clusterctl", opPlan, s(1*k, 0.1, 20, 0.1, 2), s(1.1*k, 0.1, 20, 0.1, 2), s(0.9*k, 0.1, 20, 0.1, 2))
		add(n, clientClusterctl, "clusterctl", "clusterctl", opNoop, gated(s(1.2*k, 0.1, 20, 0.12, 6), 0, 0))
		add(n, clientClusterctl, "clusterctl", "clusterctl", opImport, s(1.5*k, 0.2, 25, 0.1, 2), s(1.6*k, 0.2, 25, 0.1, 2))
		add(n, clientOpenSSH, "OpenSSH fan-out, facts script, curve25519", "openssh", opFanOut, s(1*k, 0.2, 15, 0.1, 2), s(1*k, 0.2, 15, 0.1, 2), s(1*k, 0.2, 15, 0.1, 2))
		add(n, "ansible f5-facts", "ansible-playbook, forks 5, facts on", "ansible", opPlan, s(20*k, 3, 50, 2, 30), s(22*k, 3, 50, 2, 30), s(21*k, 3, 50, 2, 30))
		add(n, "ansible f50-nofacts", "ansible-playbook, forks 50, facts off", "ansible", opPlan, s(10*k, 3, 50, 1, 20), s(12*k, 3, 50, 1, 20))
	}
	var b bytes.Buffer
	writeReport(&b, env{CPUs: 2, CPUModel: "test CPU", Kernel: "6.1", OpenSSH: "OpenSSH_9.2p1", Ansible: "ansible-playbook [core 2.14.18]", Go: "go1.26", Commit: "abc1234", LoadBefore: "1.00 1.00 1.00", LoadAfter: "2.00 1.50 1.00", Runs: 3}, results)
	golden.Check(t, "report.md", b.String())
}

func TestParseProcPIDStat(t *testing.T) {
	// pid (comm with ") x" inside) state ppid pgrp session tty tpgid flags
	// minflt cminflt majflt cmajflt utime stime cutime cstime ...
	line := "4242 (ss) x) S 17 4242 4242 0 -1 4194560 100 2000 0 0 12 3 150 35 20 0 1 0 100 1000 200\n"
	st, err := parseProcPIDStat(line)
	if err != nil {
		t.Fatal(err)
	}
	if st.ppid != 17 || st.cpu != 2*time.Second {
		t.Errorf("parseProcPIDStat = ppid %d cpu %v; want 17, 2s", st.ppid, st.cpu)
	}
	for _, bad := range []string{"", "1 (x S 1", "1 (x) S 1 2 3"} {
		if _, err := parseProcPIDStat(bad); err == nil {
			t.Errorf("parseProcPIDStat(%q) accepted", bad)
		}
	}
}

// TestFastestAnsible: the variant whose operations' medians add up to
// the least wins; a variant missing an operation does not count.
func TestFastestAnsible(t *testing.T) {
	d := func(x float64) []sample { return []sample{{Wall: time.Duration(x * float64(time.Second))}} }
	var results []result
	for _, op := range ops {
		results = append(results,
			result{N: 50, Shape: shapePairs, Client: "ansible f5-facts", Peer: "ansible", Op: op, Samples: d(10)},
			result{N: 50, Shape: shapePairs, Client: "ansible f50-nofacts", Peer: "ansible", Op: op, Samples: d(8)},
			result{N: 50, Shape: shapeRS, Client: "ansible f5-nofacts", Peer: "ansible", Op: op, Samples: d(1)},
		)
		if op != opNoop {
			results = append(results, result{N: 50, Shape: shapePairs, Client: "ansible f50-facts", Peer: "ansible", Op: op, Samples: d(1)})
		}
	}
	if got := fastestAnsible(results, 50, shapePairs); got != "ansible f50-nofacts" {
		t.Errorf("fastestAnsible = %q, want ansible f50-nofacts", got)
	}
	if got := fastestAnsible(results, 10, shapePairs); got != "" {
		t.Errorf("fastestAnsible at a size not measured = %q", got)
	}
}

func TestNeighFor(t *testing.T) {
	def := neighThresholds{128, 512, 1024}
	if got := neighFor(def, 501); got != (neighThresholds{128, 512 + 4*502, 1024 + 8*502}) {
		t.Errorf("neighFor(default, 501) = %v", got)
	}
	big := neighThresholds{128, 100000, 200000}
	if got := neighFor(big, 501); got != big {
		t.Errorf("neighFor lowered %v to %v", big, got)
	}
}
