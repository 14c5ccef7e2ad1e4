package render

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/clusterctl/clusterctl/internal/config"
	keepalivedpkg "github.com/clusterctl/clusterctl/internal/keepalived"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/shell"
)

// writeExec writes an executable file.
func writeExec(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
}

// Every generated script parses with the system's POSIX shell.
func TestScriptsSyntax(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	for name, build := range testCases() {
		for hn, h := range mustRender(t, build()) {
			for _, f := range h.Files {
				if f.Mode&0o111 == 0 {
					continue
				}
				if !bytes.HasPrefix(f.Content, []byte("#!/bin/sh\n")) {
					t.Errorf("%s/%s %s: not a /bin/sh script", name, hn, f.Path)
				}
				p := filepath.Join(t.TempDir(), "script")
				writeExec(t, p, string(f.Content))
				if out, err := exec.Command(sh, "-n", p).CombinedOutput(); err != nil {
					t.Errorf("%s/%s %s: sh -n: %v\n%s", name, hn, f.Path, err, out)
				}
			}
		}
	}
}

// stubBin creates a directory of stub commands that append their name and
// arguments to log, and returns it.
func stubBin(t *testing.T, log string, stubs map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range stubs {
		writeExec(t, filepath.Join(dir, name), "#!/bin/sh\necho \""+name+" $*\" >> "+shell.Quote(log)+"\n"+body+"\n")
	}
	return dir
}

// runScript runs script with PATH = stubs, then the system's PATH.
func runScript(t *testing.T, script, stubs string) (int, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "script")
	writeExec(t, p, script)
	cmd := exec.Command("/bin/sh", p)
	cmd.Env = []string{"PATH=" + stubs + ":/usr/bin:/bin"}
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		t.Fatalf("run script: %v", err)
	}
	return 0, string(out)
}

func readLog(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// The generated check script behaves like the lab's check_ng.sh, with ps,
// systemctl, date and sleep replaced by stubs.
func TestCheckScriptBehaviour(t *testing.T) {
	tests := []struct {
		name       string
		running    bool // nginx runs before the check
		startWorks bool // systemctl start nginx brings it up
		wantRC     int
		wantCalls  []string
		wantLog    []string
	}{
		{name: "running", running: true, wantRC: 0, wantCalls: []string{"ps -C nginx --no-heading"}},
		{name: "restarted", startWorks: true, wantRC: 0, wantCalls: []string{
			"ps -C nginx --no-heading", "systemctl start nginx", "sleep 1", "ps -C nginx --no-heading"}},
		{name: "dead", wantRC: 1, wantCalls: []string{
			"ps -C nginx --no-heading", "systemctl start nginx", "sleep 1", "ps -C nginx --no-heading", "systemctl stop keepalived"},
			wantLog: []string{"20240102_03:04:05 nginx down,keepalived will stop"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			calls, up, logFile := filepath.Join(dir, "calls"), filepath.Join(dir, "up"), filepath.Join(dir, "check_ng.log")
			if tt.running {
				writeExec(t, up, "")
			}
			start := ""
			if tt.startWorks {
				start = `[ "$1" = start ] && : > ` + shell.Quote(up)
			}
			bin := stubBin(t, calls, map[string]string{
				"ps":        "[ -e " + shell.Quote(up) + " ] && echo ' 123 ?        00:00:00 nginx'; exit 0",
				"systemctl": start,
				"sleep":     "",
				"date":      "echo 20240102_03:04:05",
			})
			cfg := labA()
			cfg.HealthChecks["nginx"].LogFile = logFile
			script := string(mustRender(t, cfg)["web2"].File("/usr/local/sbin/check_ng.sh").Content)
			rc, out := runScript(t, script, bin)
			if rc != tt.wantRC {
				t.Errorf("exit status %d, want %d; output:\n%s", rc, tt.wantRC, out)
			}
			var gotCalls []string
			for _, c := range readLog(t, calls) {
				if !strings.HasPrefix(c, "date ") {
					gotCalls = append(gotCalls, c)
				}
			}
			if diff := cmp.Diff(tt.wantCalls, gotCalls); diff != "" {
				t.Errorf("commands (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantLog, readLog(t, logFile)); diff != "" {
				t.Errorf("log (-want +got):\n%s", diff)
			}
		})
	}
}

// The restore script re-adds state with idempotent commands and restores
// only the IPVS services that are missing, never with ipvsadm-restore.
func TestRestoreScriptBehaviour(t *testing.T) {
	cfg := labB()
	// A second service that is already present must not be re-added.
	cfg.VirtualServers["ssh"] = &config.VirtualServer{
		Name: "ssh", Address: addrPort("192.168.47.128:22"), Protocol: "tcp", Mode: config.ModeNAT,
		Scheduler: "rr", Directors: []string{"dir"}, ManagedBy: config.ManagedByClusterctl,
		RealServers: []*config.RealServer{{Host: "rs1", Address: addr("192.168.19.102"), Port: 22, Weight: 1}},
	}
	dir := mustRender(t, cfg)["dir"]
	tmp := t.TempDir()
	rules := filepath.Join(tmp, "ipvs.rules")
	if err := os.WriteFile(rules, dir.File(IPVSRulesPath).Content, 0o644); err != nil {
		t.Fatal(err)
	}
	nat := filepath.Join(tmp, "iptables-nat.rules")
	if err := os.WriteFile(nat, dir.File(NATRulesPath).Content, 0o644); err != nil {
		t.Fatal(err)
	}
	script := strings.NewReplacer(IPVSRulesPath, rules, NATRulesPath, nat).Replace(string(dir.File(RestoreScriptPath).Content))
	calls, restored := filepath.Join(tmp, "calls"), filepath.Join(tmp, "restored")
	bin := stubBin(t, calls, map[string]string{
		"sysctl":           "",
		"iptables-restore": "",
		"iptables":         `[ "$3" = -C ] && exit 1; exit 0`, // jump missing
		// ipvsadm: only the :22 service exists; -R records its input.
		"ipvsadm":         `case "$*" in "-L -n -t 192.168.47.128:22") exit 0;; "-R") cat >> ` + shell.Quote(restored) + `; exit 0;; esac; exit 1`,
		"ipvsadm-restore": "exit 1",
	})
	if rc, out := runScript(t, script, bin); rc != 0 {
		t.Fatalf("exit status %d:\n%s", rc, out)
	}
	wantCalls := []string{
		"sysctl -q -p " + SysctlDropInPath,
		"iptables-restore --noflush",
		"iptables -t nat -C POSTROUTING -j " + resource.NATChain,
		"iptables -t nat -I POSTROUTING 1 -j " + resource.NATChain,
		"ipvsadm -L -n -t 192.168.47.128:22",
		"ipvsadm -L -n -t 192.168.47.128:80",
		"ipvsadm -R",
	}
	if diff := cmp.Diff(wantCalls, readLog(t, calls)); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
	wantRestored := []string{
		"-A -t 192.168.47.128:80 -s wlc -p 3",
		"-a -t 192.168.47.128:80 -r 192.168.19.102:80 -m -w 1",
		"-a -t 192.168.47.128:80 -r 192.168.19.103:80 -m -w 1",
	}
	if diff := cmp.Diff(wantRestored, readLog(t, restored)); diff != "" {
		t.Errorf("lines fed to ipvsadm -R (-want +got):\n%s", diff)
	}
}

// keepalived itself accepts the rendered configurations. keepalived -t
// checks that interfaces exist and refuses loopback for VRRP, so it runs
// in a network namespace of its own holding veth devices with the
// configuration's interface names; no packet leaves that namespace.
func TestKeepalivedAcceptsConfig(t *testing.T) {
	keepalived, err := exec.LookPath("keepalived")
	if err != nil {
		t.Skip("keepalived not installed")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil || os.Geteuid() != 0 {
		t.Skip("needs root and unshare for a private network namespace")
	}
	check := func(t *testing.T, conf []byte, ifaces ...string) (int, string) {
		t.Helper()
		p := filepath.Join(t.TempDir(), "keepalived.conf")
		if err := os.WriteFile(p, conf, 0o640); err != nil {
			t.Fatal(err)
		}
		setup := ""
		for i, name := range ifaces {
			setup += "ip link add " + shell.Quote(name) + " type veth peer name cc-peer" + string(rune('0'+i)) + " && "
		}
		cmd := exec.Command(unshare, "--net", "sh", "-c", setup+"exec "+shell.Quote(keepalived)+" -t -f "+shell.Quote(p))
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		} else if err != nil {
			t.Fatalf("run keepalived -t: %v", err)
		}
		return 0, string(out)
	}
	script := func(t *testing.T) string {
		p := filepath.Join(t.TempDir(), "check.sh")
		writeExec(t, p, "#!/bin/sh\nexit 0\n")
		return p
	}
	// haScripts points every script of labHA (and the cases built on it)
	// at one that exists, for keepalived -t; it returns that script.
	haScripts := func(t *testing.T, cfg *config.Config) string {
		s := script(t)
		cfg.HealthChecks["lb"].Script = s
		for _, v := range cfg.VRRPInstances {
			if v.NotifyMaster != "" {
				v.NotifyMaster, v.NotifyBackup, v.NotifyFault = s+" master", s+" backup", s+" fault"
			}
		}
		cfg.VirtualServers["api"].RealServers[0].Check.MiscPath = s + " 192.168.50.21"
		return s
	}

	t.Run("lab-a", func(t *testing.T) {
		cfg := labA()
		// Scripts live in a temporary directory here, so keepalived must
		// be told which user runs them.
		cfg.Keepalived.EnableScriptSecurity, cfg.Keepalived.ScriptUser = true, "root"
		cfg.HealthChecks["nginx"].ScriptPath = filepath.Join(t.TempDir(), "check_ng.sh")
		for _, h := range []string{"web1", "web2"} {
			st := mustRender(t, cfg)[h]
			f := st.File(cfg.HealthChecks["nginx"].ScriptPath)
			writeExec(t, f.Path, string(f.Content))
			if rc, out := check(t, st.File(KeepalivedConfPath).Content, "ens33"); rc != 0 || out != "" {
				t.Errorf("%s: keepalived -t: rc %d\n%s", h, rc, out)
			}
		}
	})
	t.Run("ha-keepalived-lvs", func(t *testing.T) {
		cfg := labHA()
		haScripts(t, cfg)
		for _, h := range []string{"lb1", "lb2"} {
			if rc, out := check(t, mustRender(t, cfg)[h].File(KeepalivedConfPath).Content, "eth0", "eth1"); rc != 0 || out != "" {
				t.Errorf("%s: keepalived -t: rc %d\n%s", h, rc, out)
			}
		}
	})
	t.Run("routes-rules", func(t *testing.T) {
		cfg := labRoutesRules()
		cfg.Keepalived.NotifyFIFOScript = haScripts(t, cfg)
		cfg.Keepalived.NotifyFIFO = filepath.Join(t.TempDir(), "keepalived.fifo")
		for _, h := range []string{"lb1", "lb2"} {
			conf := mustRender(t, cfg)[h].File(KeepalivedConfPath).Content
			for _, want := range []string{
				"        src 192.168.50.100 10.9.0.0/16 via 192.168.50.254 dev eth1 table 100 metric 5 scope global\n        blackhole 10.8.0.0/16 no_track\n",
				"        from 10.9.0.0/16 fwmark 7 priority 100 table 100\n",
				"    notify_fifo " + cfg.Keepalived.NotifyFIFO + "\n",
			} {
				if !strings.Contains(string(conf), want) {
					t.Errorf("%s: no %q in:\n%s", h, want, conf)
				}
			}
			if rc, out := check(t, conf, "eth0", "eth1"); rc != 0 || out != "" {
				t.Errorf("%s: keepalived -t: rc %d\n%s", h, rc, out)
			}
		}
		// keepalived -t checks route lines: one of two families is refused.
		bad := strings.Replace(string(mustRender(t, cfg)["lb1"].File(KeepalivedConfPath).Content), "via 192.168.50.254", "via fd00::1", 1)
		if rc, out := check(t, []byte(bad), "eth0", "eth1"); rc == 0 {
			t.Errorf("keepalived -t accepted a route of two families:\n%s", out)
		}
	})
	t.Run("lvs-sync", func(t *testing.T) {
		cfg := labLVSSync()
		haScripts(t, cfg)
		for _, h := range []string{"lb1", "lb2"} {
			conf := mustRender(t, cfg)[h].File(KeepalivedConfPath).Content
			if !strings.Contains(string(conf), "    lvs_sync_daemon eth1 VI_EXT id 7 maxlen 1400 port 8849 ttl 2 group 224.0.0.82\n") {
				t.Errorf("%s: no lvs_sync_daemon line:\n%s", h, conf)
			}
			if rc, out := check(t, conf, "eth0", "eth1"); rc != 0 || out != "" {
				t.Errorf("%s: keepalived -t: rc %d\n%s", h, rc, out)
			}
		}
		// keepalived -t checks the options' ranges (config's are the
		// same: 0-255 for the id), though not the instance's name.
		bad := strings.Replace(string(mustRender(t, cfg)["lb1"].File(KeepalivedConfPath).Content), " id 7 ", " id 256 ", 1)
		if rc, out := check(t, []byte(bad), "eth0", "eth1"); rc == 0 || !strings.Contains(out, "Invalid syncid") {
			t.Errorf("keepalived -t accepted sync id 256: rc %d\n%s", rc, out)
		}
	})
	t.Run("checkers-groups", func(t *testing.T) {
		// Every checker, both kinds of virtual_server_group,
		// inhibit_on_failure, alpha and omega.
		for _, h := range []string{"lb1", "lb2"} {
			if rc, out := check(t, mustRender(t, labCheckersGroups())[h].File(KeepalivedConfPath).Content, "eth0"); rc != 0 || out != "" {
				t.Errorf("%s: keepalived -t: rc %d\n%s", h, rc, out)
			}
		}
	})
	t.Run("ipvs-options", func(t *testing.T) {
		// Scheduler flags, ops, the sip engine, GUE and GRE encapsulation.
		if rc, out := check(t, mustRender(t, labIPVSOptions())["dir"].File(KeepalivedConfPath).Content, "eth0"); rc != 0 || out != "" {
			t.Errorf("dir: keepalived -t: rc %d\n%s", rc, out)
		}
	})
	t.Run("sync-group", func(t *testing.T) {
		cfg := labSyncGroup()
		s := script(t)
		replace := func(cmd *string) {
			if *cmd != "" {
				*cmd = strings.Replace(*cmd, "/usr/local/sbin/vrrp-notify", s, 1)
			}
		}
		for _, v := range cfg.VRRPInstances {
			replace(&v.Notify)
			replace(&v.NotifyStop)
		}
		for _, g := range cfg.SyncGroups {
			for _, p := range []*string{&g.NotifyMaster, &g.NotifyBackup, &g.NotifyFault, &g.Notify, &g.NotifyStop} {
				replace(p)
			}
		}
		for _, h := range []string{"lb1", "lb2"} {
			if rc, out := check(t, mustRender(t, cfg)[h].File(KeepalivedConfPath).Content, "eth0", "eth1"); rc != 0 || out != "" {
				t.Errorf("%s: keepalived -t: rc %d\n%s", h, rc, out)
			}
		}
	})
	t.Run("sync-group for 2.2.7", func(t *testing.T) {
		// keepalived.conf written for this keepalived (2.2.7), with every
		// version-bound feature but GUE/GRE and mh-*: 2.2.7 takes it
		// silently, vrrp_track_file included.
		cfg := labSyncGroup()
		s := script(t)
		for _, v := range cfg.VRRPInstances {
			for _, cmd := range []*string{&v.Notify, &v.NotifyStop} {
				if *cmd != "" {
					*cmd = strings.Replace(*cmd, "/usr/local/sbin/vrrp-notify", s, 1)
				}
			}
		}
		for _, g := range cfg.SyncGroups {
			for _, cmd := range []*string{&g.NotifyMaster, &g.NotifyBackup, &g.NotifyFault, &g.Notify, &g.NotifyStop} {
				*cmd = strings.Replace(*cmd, "/usr/local/sbin/vrrp-notify", s, 1)
			}
		}
		hosts, err := RenderFor(cfg, nil, map[string]keepalivedpkg.Version{"lb1": bookworm, "lb2": bookworm})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range []string{"lb1", "lb2"} {
			conf := hosts[h].File(KeepalivedConfPath).Content
			if !strings.Contains(string(conf), "\nvrrp_track_file tf_maint {") || !strings.Contains(string(conf), "\n    sync_group_tracking_weight\n") {
				t.Fatalf("%s: not written for 2.2.7:\n%s", h, conf)
			}
			if rc, out := check(t, conf, "eth0", "eth1"); rc != 0 || out != "" {
				t.Errorf("%s: keepalived -t: rc %d\n%s", h, rc, out)
			}
		}
	})
	t.Run("old-directors for 2.2.7 and for 1.3.5", func(t *testing.T) {
		// Written for 2.2.7, the file passes silently; written for
		// 1.3.5 (global_tracking, nb_get_retry), 2.2.7's -t reports both
		// as deprecated and exits 5: the spelling must follow the release.
		cfg := labOldDirectors()
		haScripts(t, cfg)
		for _, tc := range []struct {
			v     keepalivedpkg.Version
			quiet bool
		}{{bookworm, true}, {centos7, false}} {
			hosts, err := RenderFor(cfg, nil, map[string]keepalivedpkg.Version{"lb1": tc.v})
			if err != nil {
				t.Fatal(err)
			}
			rc, out := check(t, hosts["lb1"].File(KeepalivedConfPath).Content, "eth0", "eth1")
			if tc.quiet && (rc != 0 || out != "") {
				t.Errorf("written for %s: keepalived -t: rc %d\n%s", tc.v, rc, out)
			}
			if !tc.quiet {
				t.Logf("written for %s: keepalived 2.2.7 -t: rc %d\n%s", tc.v, rc, out)
				if rc == 0 || !strings.Contains(out, "nb_get_retry is deprecated") || !strings.Contains(out, "global_tracking is deprecated") {
					t.Errorf("written for %s: keepalived 2.2.7 -t rc %d, want it to refuse global_tracking and nb_get_retry", tc.v, rc)
				}
			}
		}
	})
	t.Run("vrrp3-strict", func(t *testing.T) {
		for _, h := range []string{"lb1", "lb2"} {
			if rc, out := check(t, mustRender(t, labVRRP3Strict())[h].File(KeepalivedConfPath).Content, "eth0"); rc != 0 || out != "" {
				t.Errorf("%s: keepalived -t: rc %d\n%s", h, rc, out)
			}
		}
	})
	t.Run("broken config is refused", func(t *testing.T) {
		cfg := labA()
		cfg.VRRPInstances["VI_1"].VirtualRouterID = 351
		if rc, out := check(t, mustRender(t, cfg)["web1"].File(KeepalivedConfPath).Content, "ens33"); rc == 0 {
			t.Errorf("keepalived -t accepted virtual_router_id 351:\n%s", out)
		}
	})
}

// The NAT rules file loads with iptables-restore --noflush, twice without
// duplicating anything, and iptables-save prints the chain's rules exactly
// as Host.NATRules holds them (the canonical form the planner compares).
// It runs in a private network namespace.
func TestNATRulesRoundTrip(t *testing.T) {
	unshare, err := exec.LookPath("unshare")
	if err != nil || os.Geteuid() != 0 {
		t.Skip("needs root and unshare for a private network namespace")
	}
	if _, err := exec.LookPath("iptables-restore"); err != nil {
		t.Skip("iptables not installed")
	}
	for _, name := range []string{"lab-b-nat", "ha-keepalived-lvs", "fullnat"} {
		t.Run(name, func(t *testing.T) {
			build := testCases()[name]
			for hn, h := range mustRender(t, build()) {
				f := h.File(NATRulesPath)
				if f == nil {
					continue
				}
				p := filepath.Join(t.TempDir(), "nat.rules")
				if err := os.WriteFile(p, f.Content, 0o644); err != nil {
					t.Fatal(err)
				}
				load := "iptables-restore --noflush < " + shell.Quote(p)
				cmd := exec.Command(unshare, "--net", "sh", "-c", load+" && "+load+" && iptables-save -t nat")
				out, err := cmd.CombinedOutput()
				if err != nil {
					if strings.Contains(string(out), "Extension ipvs revision 0 not supported") {
						t.Skipf("%s: kernel without xt_ipvs", hn)
					}
					t.Fatalf("%s: %v\n%s", hn, err, out)
				}
				var got []string
				prefix := "-A " + resource.NATChain + " "
				for _, line := range strings.Split(string(out), "\n") {
					if strings.HasPrefix(line, prefix) {
						got = append(got, strings.TrimPrefix(line, prefix))
					}
				}
				if diff := cmp.Diff(h.NATRules, got); diff != "" {
					t.Errorf("%s: iptables-save differs from NATRules (-want +got):\n%s", hn, diff)
				}
			}
		})
	}
}
