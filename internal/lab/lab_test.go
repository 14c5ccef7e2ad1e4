package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clusterctl/clusterctl/internal/lab/labtest"
)

// hostLinks lists the host namespace's interfaces.
func hostLinks(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("ip", "-o", "link", "show").Output()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Fields(line); len(f) > 1 {
			names = append(names, f[1])
		}
	}
	return strings.Join(names, " ")
}

// run runs argv in machine and returns its stdout, stderr and exit code.
func run(t *testing.T, l *Lab, machine string, argv ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := l.Exec(ctx, machine, argv, nil, &stdout, &stderr)
	var ee *exec.ExitError
	switch {
	case err == nil:
		return stdout.String(), stderr.String(), 0
	case errors.As(err, &ee):
		return stdout.String(), stderr.String(), ee.ExitCode()
	}
	t.Fatalf("exec %v in %s: %v", argv, machine, err)
	return "", "", -1
}

// operator runs argv in the operator namespace.
func operator(t *testing.T, l *Lab, argv ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := l.OperatorCommand(ctx, argv...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

func TestLab(t *testing.T) {
	labtest.Require(t)
	name := labtest.UniqueName(t)
	stateDir := filepath.Join(t.TempDir(), "lab")
	linksBefore := hostLinks(t)
	var log bytes.Buffer
	start := time.Now()
	l, err := Up(context.Background(), seedSpec(name, stateDir), &log)
	if err != nil {
		t.Fatalf("Up: %v\n%s", err, log.String())
	}
	t.Logf("up in %v:\n%s", time.Since(start), log.String())
	t.Cleanup(func() {
		if err := l.Down(context.Background()); err != nil {
			t.Errorf("Down: %v", err)
		}
	})

	t.Run("nothing in the host namespace", func(t *testing.T) {
		if got := hostLinks(t); got != linksBefore {
			t.Errorf("host links changed:\nbefore %s\nafter  %s", linksBefore, got)
		}
	})

	t.Run("status", func(t *testing.T) {
		st, err := l.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(st) != 3 {
			t.Fatalf("Status has %d machines, want 3", len(st))
		}
		for i, want := range []string{"dir", "rs1", "rs2"} {
			if st[i].Name != want || !st[i].Running || !st[i].SSHD || st[i].PID == 0 || st[i].Namespace != name+"-"+want {
				t.Errorf("status[%d] = %+v, want %s running with sshd", i, st[i], want)
			}
		}
	})

	t.Run("ssh from the operator namespace", func(t *testing.T) {
		for _, target := range []string{"dir", "rs1", "rs2", "192.168.19.103", "192.168.47.128"} {
			want := map[string]string{"192.168.19.103": "rs2", "192.168.47.128": "dir"}[target]
			if want == "" {
				want = target
			}
			out, errOut, err := operator(t, l, "ssh", "-F", l.SSHConfig(), "-o", "BatchMode=yes", target, "hostname")
			if err != nil || strings.TrimSpace(out) != want {
				t.Errorf("ssh %s hostname = %q, %v (%s), want %q", target, out, err, errOut, want)
			}
		}
	})

	t.Run("host key checking", func(t *testing.T) {
		kh, err := os.ReadFile(l.KnownHosts())
		if err != nil {
			t.Fatal(err)
		}
		// rs1 listed with rs2's key, and an empty known_hosts.
		var rs1, rs2 string
		for _, line := range strings.Split(string(kh), "\n") {
			if f := strings.Fields(line); len(f) == 3 {
				switch {
				case strings.HasPrefix(f[0], "rs1,"):
					rs1 = f[0]
				case strings.HasPrefix(f[0], "rs2,"):
					rs2 = f[1] + " " + f[2]
				}
			}
		}
		if rs1 == "" || rs2 == "" {
			t.Fatalf("known_hosts lacks rs1 or rs2:\n%s", kh)
		}
		for name, content := range map[string]string{"wrong key": rs1 + " " + rs2 + "\n", "unknown host": ""} {
			bad := filepath.Join(t.TempDir(), "known_hosts")
			if err := os.WriteFile(bad, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			out, errOut, err := operator(t, l, "ssh", "-F", l.SSHConfig(), "-o", "BatchMode=yes", "-o", "UserKnownHostsFile="+bad, "rs1", "hostname")
			if err == nil || !strings.Contains(errOut, "Host key verification failed") {
				t.Errorf("%s: ssh = %q, %v, stderr %q; want host key verification to fail", name, out, err, errOut)
			}
		}
	})

	t.Run("interface names", func(t *testing.T) {
		for machine, want := range map[string]string{"dir": "ens33 ens37 lo", "rs1": "ens33 lo"} {
			out, _, rc := run(t, l, machine, "ls", "/sys/class/net")
			if got := strings.Join(strings.Fields(out), " "); rc != 0 || got != want {
				t.Errorf("%s: interfaces %q (rc %d), want %q", machine, got, rc, want)
			}
		}
		out, _, _ := run(t, l, "rs1", "ip", "route", "show", "default")
		if !strings.Contains(out, "default via 192.168.19.101 dev ens33") {
			t.Errorf("rs1 default route = %q", out)
		}
	})

	t.Run("operator has no route out", func(t *testing.T) {
		for _, dst := range []string{"8.8.8.8", "10.0.0.1"} {
			_, errOut, err := operator(t, l, "ip", "route", "get", dst)
			if err == nil || !strings.Contains(errOut, "unreachable") {
				t.Errorf("ip route get %s: %v %q, want network unreachable", dst, err, errOut)
			}
		}
	})

	t.Run("systemctl nginx", func(t *testing.T) {
		if _, errOut, rc := run(t, l, "rs1", "systemctl", "start", "nginx"); rc != 0 {
			t.Fatalf("systemctl start nginx: rc %d: %s", rc, errOut)
		}
		if out, _, rc := run(t, l, "rs1", "systemctl", "is-active", "nginx"); rc != 0 || out != "active\n" {
			t.Errorf("is-active after start = %q rc %d, want active rc 0", out, rc)
		}
		out, errOut, err := operator(t, l, "curl", "-sS", "-m", "5", "http://192.168.19.102/")
		if err != nil || !strings.Contains(out, "Welcome to nginx") {
			t.Errorf("curl rs1 = %q, %v, %s", out, err, errOut)
		}
		// nginx on rs2 too: each machine's ps sees only its own.
		if _, errOut, rc := run(t, l, "rs2", "systemctl", "start", "nginx"); rc != 0 {
			t.Fatalf("systemctl start nginx on rs2: rc %d: %s", rc, errOut)
		}
		count := func(machine string) int {
			out, _, _ := run(t, l, machine, "ps", "-C", "nginx", "-o", "pid=")
			return len(strings.Fields(out))
		}
		n1, n2 := count("rs1"), count("rs2")
		hostOut, _ := exec.Command("ps", "-C", "nginx", "-o", "pid=").Output()
		if n1 < 2 || n1 != n2 || len(strings.Fields(string(hostOut))) < n1+n2 {
			t.Errorf("ps -C nginx: rs1 %d, rs2 %d, host %d: want rs1 = rs2 >= 2 and host >= both", n1, n2, len(strings.Fields(string(hostOut))))
		}
		if _, errOut, rc := run(t, l, "rs1", "systemctl", "stop", "nginx"); rc != 0 {
			t.Errorf("systemctl stop nginx: rc %d: %s", rc, errOut)
		}
		if out, _, rc := run(t, l, "rs1", "systemctl", "is-active", "nginx"); rc != 3 || out != "inactive\n" {
			t.Errorf("is-active after stop = %q rc %d, want inactive rc 3", out, rc)
		}
		if n := count("rs1"); n != 0 {
			t.Errorf("%d nginx processes left on rs1 after stop", n)
		}
		if _, _, err := operator(t, l, "curl", "-sS", "-m", "5", "http://192.168.19.102/"); err == nil {
			t.Errorf("curl rs1 succeeded after nginx stop")
		}
	})

	t.Run("systemctl exit codes", func(t *testing.T) {
		tests := []struct {
			argv   []string
			rc     int
			stdout string
		}{
			{[]string{"systemctl", "is-enabled", "nginx"}, 1, "disabled\n"},
			{[]string{"systemctl", "enable", "nginx.service"}, 0, ""},
			{[]string{"systemctl", "is-enabled", "nginx"}, 0, "enabled\n"},
			{[]string{"systemctl", "show", "-p", "UnitFileState", "--value", "nginx"}, 0, "enabled\n"},
			// The facts script's one call for all services.
			{[]string{"systemctl", "show", "-p", "LoadState", "-p", "ActiveState", "-p", "UnitFileState", "nginx", "nosuch"}, 0,
				"LoadState=loaded\nActiveState=inactive\nUnitFileState=enabled\n\nLoadState=not-found\nActiveState=inactive\nUnitFileState=\n"},
			{[]string{"systemctl", "disable", "nginx"}, 0, ""},
			{[]string{"systemctl", "is-enabled", "nginx"}, 1, "disabled\n"},
			{[]string{"systemctl", "is-active", "nosuch"}, 4, "inactive\n"},
			{[]string{"systemctl", "start", "nosuch"}, 5, ""},
			{[]string{"systemctl", "status", "nginx"}, 3, ""},
			{[]string{"systemctl", "daemon-reload"}, 0, ""},
			{[]string{"systemctl", "is-active", "sshd"}, 0, "active\n"},
		}
		for _, tt := range tests {
			out, errOut, rc := run(t, l, "rs1", tt.argv...)
			if rc != tt.rc || (tt.stdout != "" && out != tt.stdout) {
				t.Errorf("%v = %q rc %d (stderr %q), want %q rc %d", tt.argv, out, rc, errOut, tt.stdout, tt.rc)
			}
		}
	})

	t.Run("keepalived VRRP", func(t *testing.T) {
		conf := `vrrp_instance VI_1 {
  state MASTER
  interface ens33
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress { 192.168.19.200/24 }
}
virtual_server 192.168.19.200 80 {
  lb_algo rr
  lb_kind DR
  protocol TCP
  real_server 192.168.19.102 80 { weight 1 }
}
`
		var stderr bytes.Buffer
		err := l.Exec(context.Background(), "dir", []string{"sh", "-c", "mkdir -p /etc/keepalived && cat >/etc/keepalived/keepalived.conf"}, strings.NewReader(conf), nil, &stderr)
		if err != nil {
			t.Fatalf("write config: %v %s", err, stderr.String())
		}
		if _, errOut, rc := run(t, l, "dir", "systemctl", "start", "keepalived"); rc != 0 {
			t.Fatalf("systemctl start keepalived: rc %d: %s", rc, errOut)
		}
		deadline := time.Now().Add(15 * time.Second)
		for {
			out, _, _ := run(t, l, "dir", "ip", "-o", "addr", "show", "ens33")
			if strings.Contains(out, "192.168.19.200/24") {
				break
			}
			if time.Now().After(deadline) {
				msgs, _, _ := run(t, l, "dir", "cat", "/var/log/messages")
				t.Fatalf("VIP never appeared on dir; messages:\n%s", msgs)
			}
			time.Sleep(200 * time.Millisecond)
		}
		if _, err := os.Stat("/proc/net/ip_vs"); err != nil {
			msgs, _, _ := run(t, l, "dir", "cat", "/var/log/messages")
			if !strings.Contains(msgs, "VRRP only") {
				t.Errorf("no IPVS here, but messages do not say keepalived runs VRRP only:\n%s", msgs)
			}
		}
		if _, errOut, rc := run(t, l, "dir", "systemctl", "stop", "keepalived"); rc != 0 {
			t.Errorf("systemctl stop keepalived: rc %d: %s", rc, errOut)
		}
		if out, _, rc := run(t, l, "dir", "systemctl", "is-active", "keepalived"); rc != 3 {
			t.Errorf("is-active after stop = %q rc %d, want rc 3", out, rc)
		}
	})

	t.Run("PID 1 reaps orphans", func(t *testing.T) {
		run(t, l, "rs1", "bash", "-c", "(sleep 0.1 &); (sleep 0.1 &); exit 0")
		deadline := time.Now().Add(5 * time.Second)
		for {
			out, _, _ := run(t, l, "rs1", "ps", "-eo", "stat=,pid=,comm=")
			var zombies []string
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(line, "Z") {
					zombies = append(zombies, line)
				}
			}
			if len(zombies) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("zombies are not reaped: %v", zombies)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("exec errors", func(t *testing.T) {
		if _, _, rc := run(t, l, "rs1", "sh", "-c", "exit 7"); rc != 7 {
			t.Errorf("exit code = %d, want 7", rc)
		}
		if err := l.Exec(context.Background(), "nosuch", []string{"true"}, nil, nil, nil); !errors.Is(err, ErrUnknownMachine) {
			t.Errorf("Exec on unknown machine = %v, want ErrUnknownMachine", err)
		}
	})

	t.Run("second up is refused", func(t *testing.T) {
		_, err := Up(context.Background(), seedSpec(name, filepath.Join(t.TempDir(), "other")), nil)
		if !errors.Is(err, ErrExists) {
			t.Errorf("second Up = %v, want ErrExists", err)
		}
		_, err = Up(context.Background(), seedSpec(labtest.UniqueName(t), stateDir), nil)
		if !errors.Is(err, ErrExists) {
			t.Errorf("Up into a used state dir = %v, want ErrExists", err)
		}
	})

	// Down from a second handle, as `clusterctl lab down` would.
	opened, err := Open(stateDir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if diff := strings.Join(opened.MachineNames(), ","); diff != "dir,rs1,rs2" {
		t.Errorf("opened lab machines = %s", diff)
	}
	start = time.Now()
	if err := opened.Down(context.Background()); err != nil {
		t.Fatalf("Down: %v", err)
	}
	t.Logf("down in %v", time.Since(start))
	labtest.AssertNothingLeft(t, name, stateDir)
	if got := hostLinks(t); got != linksBefore {
		t.Errorf("host links changed after down:\nbefore %s\nafter  %s", linksBefore, got)
	}
	if err := l.Down(context.Background()); err != nil {
		t.Errorf("second Down = %v, want nil", err)
	}
	if _, _, err := operator(t, l, "true"); !errors.Is(err, ErrNotRunning) {
		t.Errorf("OperatorCommand after Down = %v, want ErrNotRunning", err)
	}
	if _, err := Open(stateDir); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open after Down = %v, want ErrNotFound", err)
	}
}

func TestUpFailureLeavesNothing(t *testing.T) {
	labtest.Require(t)
	t.Run("invalid spec", func(t *testing.T) {
		for name, edit := range map[string]func(*Spec){
			"duplicate machine":  func(s *Spec) { s.Machines[2].Name = "rs1" },
			"long interface":     func(s *Spec) { s.Machines[0].Interfaces[1].Name = "ens37-too-long-name" },
			"gateway off subnet": func(s *Spec) { s.Machines[1].Gateway = addr("10.9.9.9") },
		} {
			lab := labtest.UniqueName(t)
			stateDir := filepath.Join(t.TempDir(), "lab")
			s := seedSpec(lab, stateDir)
			edit(&s)
			if _, err := Up(context.Background(), s, nil); !errors.Is(err, ErrInvalidSpec) {
				t.Errorf("%s: Up = %v, want ErrInvalidSpec", name, err)
			}
			labtest.AssertNothingLeft(t, lab, stateDir)
		}
	})
	// Cancel Up at different points: whatever it made must be gone.
	for _, after := range []time.Duration{2 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond, 70 * time.Millisecond, 100 * time.Millisecond} {
		t.Run(fmt.Sprintf("cancelled after %v", after), func(t *testing.T) {
			lab := labtest.UniqueName(t)
			stateDir := filepath.Join(t.TempDir(), "lab")
			ctx, cancel := context.WithTimeout(context.Background(), after)
			defer cancel()
			l, err := Up(ctx, seedSpec(lab, stateDir), nil)
			t.Logf("Up: %v", err)
			if err == nil {
				t.Logf("Up finished within %v", after)
				if err := l.Down(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			labtest.AssertNothingLeft(t, lab, stateDir)
		})
	}
}
