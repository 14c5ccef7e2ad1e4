package cli

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clusterctl/clusterctl/internal/apply"
	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/hostops/hostopstest"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/secret"
)

// runAt is runOn with the virtual clock starting at start: each apply's
// generation of backups is named by its start.
func runAt(t *testing.T, sim *hostopstest.Cluster, start time.Time, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	var mu sync.Mutex
	now := start
	clock := &apply.Options{
		Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
		Sleep: func(_ context.Context, d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			now = now.Add(d)
		},
	}
	a := &app{args: args, streams: Streams{In: strings.NewReader(stdin), Out: &out, Err: &errOut}, environ: []string{"NO_COLOR=1"}, openHost: sim.Open, clock: clock}
	code := run(a)
	for _, s := range []string{out.String(), errOut.String()} {
		if secret.Appears(s, labASecret) {
			t.Errorf("clusterctl %s printed the secret:\n%s", strings.Join(args, " "), s)
		}
	}
	return code, out.String(), errOut.String()
}

// labAVariant writes lab A with edit applied to its cluster.hcl into a
// temporary directory and returns the directory.
func labAVariant(t *testing.T, edit func(string) string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(labA, "cluster.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	out := edit(string(src))
	if out == string(src) {
		t.Fatal("the edit changed nothing")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cluster.hcl"), []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// vipHolders is who holds lab A's VIP in sim.
func vipHolders(sim *hostopstest.Cluster) []string {
	return sim.VIPs()[netip.MustParseAddr("192.168.19.100")]
}

var day0 = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

func TestRollbackCommand(t *testing.T) {
	sim := fakeCluster(t)
	if code, out, errOut := runAt(t, sim, day0, "", "apply", "-auto-approve", labA); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	web2Conf := sim.Host("web2").Files[resource.KeepalivedConfPath].Content
	// The second apply: web2 outranks web1 (the VIP moves), its page
	// changes, and it gets a new file.
	v2 := labAVariant(t, func(s string) string {
		s = strings.Replace(s, "priority = 90", "priority = 110", 1)
		s = strings.Replace(s, `content = "web2 192.168.19.102\n"`, `content = "web2 v2\n"`, 1)
		return strings.Replace(s, `host "web2" {`, "host \"web2\" {\n  file \"/etc/cluster-motd\" {\n    content = \"v2\\n\"\n  }", 1)
	})
	if code, out, errOut := runAt(t, sim, day0.Add(time.Hour), "", "apply", "-auto-approve", v2); code != 0 {
		t.Fatalf("apply v2: exit %d\n%s%s", code, out, errOut)
	}
	if got := vipHolders(sim); !slices.Equal(got, []string{"web2"}) {
		t.Fatalf("after v2 the VIP is on %v, want web2", got)
	}

	if code, _, errOut := runAt(t, sim, day0.Add(2*time.Hour), "", "rollback", "-c", v2); code == 0 || !strings.Contains(errOut, "name the hosts to roll back, or pass --all") {
		t.Errorf("rollback without hosts: exit %d: %s", code, errOut)
	}
	// Answering no changes nothing.
	code, out, errOut := runAt(t, sim, day0.Add(2*time.Hour), "no\n", "rollback", "-c", v2, "--all")
	if code != 1 || !strings.Contains(out, "Rollback cancelled.") {
		t.Fatalf("rollback answered no: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"rolls back to the files as they were before the apply of 20261201T090000Z",
		"/etc/cluster-motd was created by the apply of 20261201T090000Z: removed",
		"-   file /etc/cluster-motd (3 bytes)",
		"-web2 v2",
		"+web2 192.168.19.102",
		"-    priority 110",
		"+    priority 90",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("rollback preview lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "-    state BACKUP") || !strings.Contains(out, "# web1 (master director)") {
		t.Errorf("web1's keepalived.conf (its state line) goes back too:\n%s", out)
	}

	code, out, errOut = runAt(t, sim, day0.Add(2*time.Hour), "yes\n", "rollback", "-c", v2, "--all")
	if code != 0 || !strings.Contains(out, "Rollback complete! Resources: 0 added, 3 changed, 1 destroyed.") {
		t.Fatalf("rollback: exit %d\n%s%s", code, out, errOut)
	}
	web2 := sim.Host("web2")
	if !bytes.Equal(web2.Files[resource.KeepalivedConfPath].Content, web2Conf) {
		t.Error("web2's keepalived.conf is not the one of the first apply")
	}
	if got := string(web2.Files["/var/www/html/index.html"].Content); got != "web2 192.168.19.102\n" {
		t.Errorf("web2's page: %q", got)
	}
	if _, ok := web2.Files["/etc/cluster-motd"]; ok {
		t.Error("the file the rolled-back apply created is still there")
	}
	if got := vipHolders(sim); !slices.Equal(got, []string{"web1"}) {
		t.Errorf("after the rollback the VIP is on %v, want web1", got)
	}
	// The hosts match the first configuration again; the second one is
	// one apply away.
	if code, out, _ := runAt(t, sim, day0.Add(3*time.Hour), "", "plan", "-detailed-exitcode", labA); code != 0 {
		t.Errorf("plan of the first configuration after the rollback: exit %d\n%s", code, out)
	}
	if code, _, _ := runAt(t, sim, day0.Add(3*time.Hour), "", "plan", "-detailed-exitcode", v2); code != 2 {
		t.Errorf("plan of the second configuration after the rollback: exit %d, want 2", code)
	}
	// Rolling back the rollback returns to v2.
	code, out, errOut = runAt(t, sim, day0.Add(4*time.Hour), "", "rollback", "-c", v2, "--all", "-auto-approve")
	if code != 0 {
		t.Fatalf("second rollback: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := runAt(t, sim, day0.Add(5*time.Hour), "", "plan", "-detailed-exitcode", v2); code != 0 {
		t.Errorf("after rolling back the rollback the hosts should match v2: exit %d\n%s", code, out)
	}
	// An older generation by name; one that does not exist is refused.
	code, out, errOut = runAt(t, sim, day0.Add(6*time.Hour), "", "rollback", "-c", v2, "web2", "--generation", "20261201T080000Z", "-auto-approve")
	if code != 0 {
		t.Fatalf("rollback --generation: exit %d\n%s%s", code, out, errOut)
	}
	if _, ok := sim.Host("web2").Files[resource.KeepalivedConfPath]; ok {
		t.Error("the first apply created keepalived.conf; rolling back its generation must remove it")
	}
	code, out, errOut = runAt(t, sim, day0.Add(7*time.Hour), "", "rollback", "-c", v2, "web2", "--generation", "20990101T000000Z", "-auto-approve")
	if code != 1 || !strings.Contains(out+errOut, "no generation 20990101T000000Z in /var/lib/clusterctl/backup") {
		t.Errorf("rollback to a missing generation: exit %d\n%s%s", code, out, errOut)
	}
}

func TestDestroyCommand(t *testing.T) {
	sim := fakeCluster(t)
	if code, out, errOut := runAt(t, sim, day0, "", "apply", "-auto-approve", labA); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := runAt(t, sim, day0.Add(time.Hour), "no\n", "destroy", labA)
	if code != 1 || !strings.Contains(out, "Destroy cancelled.") || !strings.Contains(out, "-   file /etc/keepalived/keepalived.conf (667 bytes)") {
		t.Fatalf("destroy answered no: exit %d\n%s%s", code, out, errOut)
	}
	// One host: web1 keeps the VIP, web2 is bare.
	code, out, errOut = runAt(t, sim, day0.Add(time.Hour), "", "destroy", "-target", "web2", "-auto-approve", labA)
	if code != 0 || !strings.Contains(out, "Destroy complete!") {
		t.Fatalf("destroy -target web2: exit %d\n%s%s", code, out, errOut)
	}
	web2 := sim.Host("web2")
	for p := range web2.Files {
		if !strings.HasPrefix(p, resource.BackupDir+"/") {
			t.Errorf("web2 still has %s", p)
		}
	}
	for _, s := range []string{"keepalived", "nginx", "clusterctl-restore"} {
		if st := web2.Services[s]; st.Active || st.Enabled {
			t.Errorf("web2: %s is %+v after destroy", s, st)
		}
	}
	if got := vipHolders(sim); !slices.Equal(got, []string{"web1"}) {
		t.Errorf("after destroying web2 the VIP is on %v, want web1", got)
	}
	if _, ok := sim.Host("web1").Files[resource.KeepalivedConfPath]; !ok {
		t.Error("destroy -target web2 touched web1")
	}
	// The rest; a plan then creates everything again.
	code, out, errOut = runAt(t, sim, day0.Add(2*time.Hour), "yes\n", "destroy", labA)
	if code != 0 || !strings.Contains(out, "Destroy complete!") {
		t.Fatalf("destroy: exit %d\n%s%s", code, out, errOut)
	}
	if got := vipHolders(sim); len(got) != 0 {
		t.Errorf("after destroy the VIP is on %v", got)
	}
	if _, ok := sim.Host("web1").Files[resource.ManifestPath]; ok {
		t.Error("web1 keeps its manifest after destroy")
	}
	code, out, _ = runAt(t, sim, day0.Add(3*time.Hour), "", "destroy", "-auto-approve", labA)
	if code != 0 || !strings.Contains(out, "No changes. Nothing to destroy.") {
		t.Errorf("destroy of a destroyed cluster: exit %d\n%s", code, out)
	}
	// A destroyed host comes back with rollback.
	code, out, errOut = runAt(t, sim, day0.Add(4*time.Hour), "", "rollback", "-c", labA, "--all", "-auto-approve")
	if code != 0 {
		t.Fatalf("rollback of the destroy: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := runAt(t, sim, day0.Add(5*time.Hour), "", "plan", "-detailed-exitcode", labA); code != 0 {
		t.Errorf("after rolling back the destroy the cluster should match: exit %d\n%s", code, out)
	}
}

func TestDestroyDirectorsFirst(t *testing.T) {
	cfg, diags := config.NewLoader().Load("../../examples/lab-19.x/lvs-nat", config.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	sim := hostopstest.New(cfg)
	path := "../../examples/lab-19.x/lvs-nat"
	if code, out, errOut := runAt(t, sim, day0, "", "apply", "-auto-approve", path); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	before := map[string]int{}
	for _, h := range sim.Hosts() {
		before[h] = sim.Ops(h)
	}
	code, out, errOut := runAt(t, sim, day0.Add(time.Hour), "", "destroy", "-auto-approve", path)
	if code != 0 {
		t.Fatalf("destroy: exit %d\n%s%s", code, out, errOut)
	}
	firstChange := func(h string) int {
		for _, e := range sim.Log(h)[before[h]:] {
			if e.Op.Mutates() && e.Op != hostopstest.OpLock {
				return e.Seq
			}
		}
		t.Fatalf("%s: nothing changed", h)
		return 0
	}
	lastChange := func(h string) int {
		last := 0
		for _, e := range sim.Log(h)[before[h]:] {
			if e.Op.Mutates() && e.Op != hostopstest.OpUnlock {
				last = e.Seq
			}
		}
		return last
	}
	for _, rs := range []string{"rs1", "rs2"} {
		if firstChange(rs) < lastChange("dir") {
			t.Errorf("%s was changed before the director was done", rs)
		}
	}
	dir := sim.Host("dir")
	if len(dir.IPVS.Services) != 0 || dir.NATChain || dir.NATJump {
		t.Errorf("director keeps IPVS %v or its NAT chain (%v, %v)", dir.IPVS.Services, dir.NATChain, dir.NATJump)
	}
}

func TestFailoverCommand(t *testing.T) {
	sim := fakeCluster(t)
	if code, out, errOut := runAt(t, sim, day0, "", "apply", "-auto-approve", labA); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	for _, bad := range [][]string{{"VI_9"}, {"VI_1", "--to", "nosuch"}, {"VI_1", "--to", "web2", "--release"}} {
		if code, _, errOut := runAt(t, sim, day0, "", append([]string{"failover", "-c", labA, "-auto-approve"}, bad...)...); code == 0 || errOut == "" {
			t.Errorf("failover %v: exit %d, %q", bad, code, errOut)
		}
	}
	code, out, errOut := runAt(t, sim, day0.Add(time.Hour), "", "failover", "-c", labA, "VI_1", "-auto-approve")
	if code != 0 {
		t.Fatalf("failover: exit %d\n%s%s", code, out, errOut)
	}
	mustContainAll(t, "failover", out, "-    priority 90", "+    priority 101", "VI_1 is failed over to this host", "web2: keepalived running, each VIP held by one node", "Failover complete!")
	if got := vipHolders(sim); !slices.Equal(got, []string{"web2"}) {
		t.Fatalf("after failover the VIP is on %v, want web2", got)
	}
	// Plan and apply keep it.
	code, out, _ = runAt(t, sim, day0.Add(2*time.Hour), "", "plan", "-detailed-exitcode", labA)
	if code != 0 || !strings.Contains(out, "VI_1 is failed over to this host (priority above its peers) by clusterctl failover") {
		t.Errorf("plan after failover: exit %d\n%s", code, out)
	}
	_, out, _ = runAt(t, sim, day0.Add(2*time.Hour), "", "plan", "-json", labA)
	if !strings.Contains(out, `"marks": [`) || !strings.Contains(out, `"failover VI_1"`) {
		t.Errorf("plan -json lacks the mark:\n%s", out)
	}
	if code, out, errOut := runAt(t, sim, day0.Add(3*time.Hour), "", "apply", "-auto-approve", labA); code != 0 || !slices.Equal(vipHolders(sim), []string{"web2"}) {
		t.Errorf("apply after failover: exit %d, VIP on %v\n%s%s", code, vipHolders(sim), out, errOut)
	}
	code, out, errOut = runAt(t, sim, day0.Add(4*time.Hour), "", "failover", "-c", labA, "VI_1", "--release", "-auto-approve")
	if code != 0 {
		t.Fatalf("failover --release: exit %d\n%s%s", code, out, errOut)
	}
	if got := vipHolders(sim); !slices.Equal(got, []string{"web1"}) {
		t.Errorf("after --release the VIP is on %v, want web1", got)
	}
	if code, out, _ := runAt(t, sim, day0.Add(5*time.Hour), "", "plan", "-detailed-exitcode", labA); code != 0 || strings.Contains(out, "failed over") {
		t.Errorf("plan after --release: exit %d\n%s", code, out)
	}
}

func mustContainAll(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s: missing %q in:\n%s", what, sub, s)
		}
	}
}

func loadSim(t *testing.T, path string) *hostopstest.Cluster {
	t.Helper()
	cfg, diags := config.NewLoader().Load(path, config.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return hostopstest.New(cfg)
}

// TestDrainStaticTable drains a real server of a director whose IPVS
// table clusterctl manages: weight 0 in the table and its persisted
// rules, kept by plan and apply, waited for, undone by undrain.
func TestDrainStaticTable(t *testing.T) {
	path := "../../examples/lab-19.x/lvs-nat"
	sim := loadSim(t, path)
	if code, out, errOut := runAt(t, sim, day0, "", "apply", "-auto-approve", path); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := runAt(t, sim, day0, "", "drain", "-c", path, "nosuch", "-auto-approve"); code == 0 || !strings.Contains(errOut, "nosuch is not a real server of any virtual_server") {
		t.Errorf("drain of no real server: exit %d: %s", code, errOut)
	}
	dir := sim.Host("dir")
	rs1 := dir.IPVS.Services[0].Destinations[0].Addr
	weight := func() int {
		for _, d := range sim.Host("dir").IPVS.Services[0].Destinations {
			if d.Addr == rs1 {
				return d.Weight
			}
		}
		return -1
	}
	// Two connections that end after the third look; the service's
	// persistence (3 s) is then waited out.
	dir.ActiveConn[rs1] = 2
	looks := 0
	sim.BeforeOp = func(host string, op hostopstest.Op) {
		if host == "dir" && op == hostopstest.OpIPVSStats {
			if looks++; looks > 3 {
				sim.Host("dir").ActiveConn[rs1] = 0
			}
		}
	}
	code, out, errOut := runAt(t, sim, day0.Add(time.Hour), "", "drain", "-c", path, "rs1", "-auto-approve", "--wait", "--timeout", "1m")
	if code != 0 {
		t.Fatalf("drain: exit %d\n%s%s", code, out, errOut)
	}
	mustContainAll(t, "drain", out, "-e -t 192.168.47.128:80 -r "+rs1.String()+" -m -w 0", "dir: rs1: 2 active, 0 inactive connections",
		"dir: rs1: 0 active, 0 inactive connections; idle for 3s of the 3s persistence timeout", "rs1 is drained: no connection left on dir.")
	if weight() != 0 {
		t.Fatalf("rs1's weight on dir: %d", weight())
	}
	if !strings.Contains(string(dir.Files["/etc/clusterctl/ipvs.rules"].Content), "-r "+rs1.String()+" -m -w 0") {
		t.Errorf("the persisted rules do not keep the drain:\n%s", dir.Files["/etc/clusterctl/ipvs.rules"].Content)
	}
	sim.BeforeOp = nil
	code, out, _ = runAt(t, sim, day0.Add(2*time.Hour), "", "plan", "-detailed-exitcode", path)
	if code != 0 || !strings.Contains(out, "rs1 is drained here (weight 0) by clusterctl drain") {
		t.Errorf("plan after drain: exit %d\n%s", code, out)
	}
	if code, _, _ := runAt(t, sim, day0.Add(3*time.Hour), "", "apply", "-auto-approve", path); code != 0 || weight() != 0 {
		t.Errorf("apply after drain: exit %d, weight %d", code, weight())
	}
	// A --wait that runs out of time says what is left; the drain stays.
	dir.ActiveConn[rs1] = 5
	code, out, errOut = runAt(t, sim, day0.Add(4*time.Hour), "", "drain", "-c", path, "rs1", "-auto-approve", "--wait", "--timeout", "3s")
	if code != 1 || !strings.Contains(errOut, "rs1 is drained (weight 0) but not idle after 3s: dir: 5 active") {
		t.Errorf("drain --wait timing out: exit %d\n%s%s", code, out, errOut)
	}
	dir.ActiveConn[rs1] = 0
	if code, out, errOut := runAt(t, sim, day0.Add(5*time.Hour), "", "undrain", "-c", path, "rs1", "-auto-approve"); code != 0 || weight() != 1 {
		t.Fatalf("undrain: exit %d, weight %d\n%s%s", code, weight(), out, errOut)
	}
	if code, out, _ := runAt(t, sim, day0.Add(6*time.Hour), "", "plan", "-detailed-exitcode", path); code != 0 || strings.Contains(out, "drained") {
		t.Errorf("plan after undrain: exit %d\n%s", code, out)
	}
}

// TestDrainKeepalivedTable drains a real server of directors whose
// table keepalived manages: weight 0 in both directors' keepalived.conf,
// reloaded one director at a time with the gates.
func TestDrainKeepalivedTable(t *testing.T) {
	path := "../../examples/lab-19.x/ha-lvs"
	sim := loadSim(t, path)
	if code, out, errOut := runAt(t, sim, day0, "", "apply", "-auto-approve", path); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := runAt(t, sim, day0.Add(time.Hour), "", "drain", "-c", path, "rs1", "-auto-approve")
	if code != 0 {
		t.Fatalf("drain: exit %d\n%s%s", code, out, errOut)
	}
	mustContainAll(t, "drain", out, "# lb1", "# lb2", "↻ service keepalived: reload", "Drain complete!")
	for _, lb := range []string{"lb1", "lb2"} {
		conf := string(sim.Host(lb).Files[resource.KeepalivedConfPath].Content)
		i := strings.Index(conf, "real_server 192.168.19.102")
		if i < 0 || !strings.Contains(conf[i:i+120], "weight 0") {
			t.Errorf("%s: rs1 is not at weight 0:\n%s", lb, conf)
		}
	}
	if code, out, _ := runAt(t, sim, day0.Add(2*time.Hour), "", "plan", "-detailed-exitcode", path); code != 0 || strings.Count(out, "rs1 is drained here") != 2 {
		t.Errorf("plan after drain: exit %d\n%s", code, out)
	}
	if code, out, errOut := runAt(t, sim, day0.Add(3*time.Hour), "", "undrain", "-c", path, "rs1", "-auto-approve"); code != 0 {
		t.Fatalf("undrain: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := runAt(t, sim, day0.Add(4*time.Hour), "", "plan", "-detailed-exitcode", path); code != 0 {
		t.Errorf("plan after undrain: exit %d\n%s", code, out)
	}
}
