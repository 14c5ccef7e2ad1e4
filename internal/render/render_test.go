package render

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/golden"
	"github.com/clusterctl/clusterctl/internal/shell"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// netipOpts compares net/netip values by value.
func netipOpts() cmp.Option {
	return cmpopts.EquateComparable(netip.Addr{}, netip.AddrPort{}, netip.Prefix{})
}

func mustRender(t *testing.T, cfg *config.Config) map[string]*resource.Host {
	t.Helper()
	hosts, err := Render(cfg)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return hosts
}

// summary prints the non-file state of h (and the metadata of its files),
// one item a line, for the <host>.state.txt golden files.
func summary(t *testing.T, h *resource.Host) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "host %s\n", h.Name)
	for _, p := range h.Packages {
		fmt.Fprintf(&b, "package %s\n", p)
	}
	for _, m := range h.Modules {
		fmt.Fprintf(&b, "module %s\n", m)
	}
	for _, s := range h.Sysctls {
		fmt.Fprintf(&b, "sysctl %s = %s\n", s.Key, s.Value)
	}
	for _, a := range h.Addresses {
		fmt.Fprintf(&b, "address %s dev %s\n", a.Prefix, a.Dev)
	}
	for _, r := range h.Routes {
		fmt.Fprintf(&b, "route %s\n", routeArgs(r))
	}
	for _, r := range h.NATRules {
		fmt.Fprintf(&b, "nat -A %s %s\n", resource.NATChain, r)
	}
	for _, l := range strings.Split(strings.TrimSuffix(h.IPVS.Save(), "\n"), "\n") {
		if l != "" {
			fmt.Fprintf(&b, "ipvs %s\n", l)
		}
	}
	for _, s := range h.Services {
		fmt.Fprintf(&b, "service %s", s.Name)
		if s.EnableOnly {
			b.WriteString(" enable-only")
		}
		if len(s.ReloadOn) > 0 {
			fmt.Fprintf(&b, " reload-on=%s", strings.Join(s.ReloadOn, ","))
		}
		if len(s.RestartOn) > 0 {
			fmt.Fprintf(&b, " restart-on=%s", strings.Join(s.RestartOn, ","))
		}
		b.WriteString("\n")
	}
	for _, f := range h.Files {
		fmt.Fprintf(&b, "file %s %04o %s:%s", f.Path, f.Mode, f.Owner, f.Group)
		if f.Sensitive {
			b.WriteString(" sensitive")
		}
		if f.Validate != "" {
			fmt.Fprintf(&b, " validate=%s", f.Validate)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// goldenTree is every golden file of a case: <host>.state.txt and
// <host>/<absolute path of each file>.
func goldenTree(t *testing.T, hosts map[string]*resource.Host) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, h := range hosts {
		out[name+".state.txt"] = summary(t, h)
		for _, f := range h.Files {
			out[filepath.Join(name, filepath.FromSlash(f.Path))] = string(f.Content)
		}
	}
	return out
}

func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		out[rel] = string(b)
		return nil
	})
	if err != nil {
		t.Fatalf("read golden tree: %v", err)
	}
	return out
}

func TestRenderGolden(t *testing.T) {
	for name, build := range testCases() {
		t.Run(name, func(t *testing.T) {
			got := goldenTree(t, mustRender(t, build()))
			dir := filepath.Join("testdata", "golden", name)
			if golden.Update() {
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				for rel, content := range got {
					p := filepath.Join(dir, rel)
					if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			want := readTree(t, dir)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("rendered tree differs from %s (-golden +got; rerun with -update):\n%s", dir, diff)
			}
		})
	}
}

func TestRenderDeterministic(t *testing.T) {
	for name, build := range testCases() {
		t.Run(name, func(t *testing.T) {
			cfg := build()
			first := mustRender(t, cfg)
			for i := 0; i < 5; i++ {
				again := mustRender(t, cfg)
				if diff := cmp.Diff(first, again, netipOpts()); diff != "" {
					t.Fatalf("render %d differs from the first (-first +again):\n%s", i+2, diff)
				}
				if !reflect.DeepEqual(first, again) {
					t.Fatalf("render %d is not deep-equal to the first", i+2)
				}
			}
			// A fresh, equal configuration renders the same too.
			if diff := cmp.Diff(first, mustRender(t, build()), netipOpts()); diff != "" {
				t.Fatalf("equal configs render differently:\n%s", diff)
			}
		})
	}
}

// Every host gets an entry, every file has absolute path, mode and owner,
// and every list is in canonical order.
func TestRenderInvariants(t *testing.T) {
	for name, build := range testCases() {
		t.Run(name, func(t *testing.T) {
			cfg := build()
			hosts := mustRender(t, cfg)
			if got, want := sortedHostNames(hosts), cfg.HostNames(); !reflect.DeepEqual(got, want) {
				t.Fatalf("hosts = %v, want %v", got, want)
			}
			for hn, h := range hosts {
				if h.Name != hn {
					t.Errorf("host %s has Name %q", hn, h.Name)
				}
				for _, f := range h.Files {
					if !strings.HasPrefix(f.Path, "/") || f.Mode == 0 || f.Owner == "" || f.Group == "" {
						t.Errorf("%s: file %s: path/mode/owner/group not set: %+v", hn, f.Path, f)
					}
				}
				sorted := *h
				sorted.Packages = append([]string(nil), h.Packages...)
				sorted.Files = append([]resource.File(nil), h.Files...)
				sorted.Sysctls = append([]resource.Sysctl(nil), h.Sysctls...)
				sorted.Sort()
				if diff := cmp.Diff(h, &sorted, netipOpts()); diff != "" {
					t.Errorf("%s: not sorted:\n%s", hn, diff)
				}
			}
		})
	}
}

func sortedHostNames(m map[string]*resource.Host) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Lab B's director must get exactly what lvs_nat.sh did.
func TestLabBDirector(t *testing.T) {
	hosts := mustRender(t, labB())
	dir := hosts["dir"]
	wantSysctls := []resource.Sysctl{
		{Key: "net.ipv4.conf.all.send_redirects", Value: "0"},
		{Key: "net.ipv4.conf.default.send_redirects", Value: "0"},
		{Key: "net.ipv4.conf.ens33.send_redirects", Value: "0"},
		{Key: "net.ipv4.conf.ens37.send_redirects", Value: "0"},
		{Key: "net.ipv4.ip_forward", Value: "1"},
	}
	if diff := cmp.Diff(wantSysctls, dir.Sysctls); diff != "" {
		t.Errorf("sysctls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"-s 192.168.19.0/24 -j MASQUERADE"}, dir.NATRules); diff != "" {
		t.Errorf("NAT rules (-want +got):\n%s", diff)
	}
	wantIPVS := ipvs.Table{Services: []ipvs.Service{{
		Key:        ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: addrPort("192.168.47.128:80")},
		Scheduler:  "wlc",
		Persistent: true,
		Timeout:    3,
		Netmask:    addr("255.255.255.255"),
		Destinations: []ipvs.Destination{
			{Addr: addrPort("192.168.19.102:80"), Forward: ipvs.Masq, Weight: 1},
			{Addr: addrPort("192.168.19.103:80"), Forward: ipvs.Masq, Weight: 1},
		},
	}}}
	if diff := cmp.Diff(wantIPVS, dir.IPVS, netipOpts()); diff != "" {
		t.Errorf("IPVS (-want +got):\n%s", diff)
	}
	rules := string(dir.File(IPVSRulesPath).Content)
	for _, line := range []string{
		"-A -t 192.168.47.128:80 -s wlc -p 3\n",
		"-a -t 192.168.47.128:80 -r 192.168.19.102:80 -m -w 1\n",
		"-a -t 192.168.47.128:80 -r 192.168.19.103:80 -m -w 1\n",
	} {
		if !strings.Contains(rules, line) {
			t.Errorf("ipvs.rules lacks %q:\n%s", line, rules)
		}
	}
	if diff := cmp.Diff([]string{"ip_vs", "ip_vs_wlc"}, dir.Modules); diff != "" {
		t.Errorf("modules (-want +got):\n%s", diff)
	}
	for _, rs := range []struct{ name, page string }{{"rs1", "RS1------RS1\n"}, {"rs2", "RS2------RS2\n"}} {
		h := hosts[rs.name]
		want := []resource.Route{{Dst: pfx("0.0.0.0/0"), Via: addr("192.168.19.101"), Dev: "ens33"}}
		if diff := cmp.Diff(want, h.Routes, netipOpts()); diff != "" {
			t.Errorf("%s routes (-want +got):\n%s", rs.name, diff)
		}
		f := h.File("/usr/share/nginx/html/index.html")
		if f == nil || string(f.Content) != rs.page || f.Mode != 0o644 || f.Owner != "root" {
			t.Errorf("%s index.html = %+v", rs.name, f)
		}
		if len(h.Sysctls) != 0 || len(h.Addresses) != 0 || len(h.NATRules) != 0 {
			t.Errorf("%s: unexpected sysctls/addresses/NAT: %+v", rs.name, h)
		}
	}
}

func TestHealthCheckScriptOnlyOnMembers(t *testing.T) {
	cfg := labA()
	cfg.Hosts["other"] = newHost("other", iface("ens33", "192.168.19.110/24"))
	hosts := mustRender(t, cfg)
	for _, n := range []string{"web1", "web2"} {
		f := hosts[n].File("/usr/local/sbin/check_ng.sh")
		if f == nil || f.Mode != 0o755 {
			t.Errorf("%s: check script = %+v", n, f)
		}
		kc := hosts[n].File(KeepalivedConfPath)
		if kc == nil || !kc.Sensitive || kc.Validate != resource.ValidateKeepalived || kc.Mode != 0o640 {
			t.Errorf("%s: keepalived.conf = %+v", n, kc)
		}
	}
	if o := hosts["other"]; len(o.Files) != 0 || len(o.Packages) != 0 || len(o.Services) != 0 {
		t.Errorf("host in no role got state: %+v", o)
	}
	// Without auth_pass the file is not secret.
	cfg.VRRPInstances["VI_1"].AuthPass = ""
	if kc := mustRender(t, cfg)["web1"].File(KeepalivedConfPath); kc.Sensitive || strings.Contains(string(kc.Content), "authentication") {
		t.Errorf("keepalived.conf without auth_pass: sensitive=%v\n%s", kc.Sensitive, kc.Content)
	}
}

func TestUserServiceReloadsOnOwnConfig(t *testing.T) {
	hosts := mustRender(t, labHA())
	var nginx *resource.Service
	for i, s := range hosts["app2"].Services {
		if s.Name == "nginx" {
			nginx = &hosts["app2"].Services[i]
		}
	}
	if nginx == nil {
		t.Fatal("app2 has no nginx service")
	}
	if diff := cmp.Diff([]string{"/etc/nginx/conf.d/status.conf"}, nginx.ReloadOn); diff != "" {
		t.Errorf("nginx ReloadOn (-want +got):\n%s", diff)
	}
	if len(nginx.RestartOn) != 0 {
		t.Errorf("nginx RestartOn = %v", nginx.RestartOn)
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name     string
		mutate   func(c *config.Config)
		wantErr  string
		conflict bool
	}{
		{
			name:    "unknown member",
			mutate:  func(c *config.Config) { c.VRRPInstances["VI_1"].Members[1].Host = "nope" },
			wantErr: `member "nope" is not a declared host`,
		},
		{
			name:    "unknown health check",
			mutate:  func(c *config.Config) { c.VRRPInstances["VI_1"].TrackScripts = []string{"nope"} },
			wantErr: `track_script "nope" is not a declared health_check`,
		},
		{
			name:    "bad state",
			mutate:  func(c *config.Config) { c.VRRPInstances["VI_1"].Members[0].State = "MASTR" },
			wantErr: `state "MASTR"`,
		},
		{
			name:    "auth_pass with a blank is not echoed",
			mutate:  func(c *config.Config) { c.VRRPInstances["VI_1"].AuthPass = "se cret" },
			wantErr: "auth_pass: not a single keepalived word",
		},
		{
			name:    "quote in script",
			mutate:  func(c *config.Config) { c.HealthChecks["nginx"].ScriptPath = `/usr/local/sbin/x"y` },
			wantErr: "contains a double quote",
		},
		{
			name: "user file clashes with keepalived.conf",
			mutate: func(c *config.Config) {
				c.Hosts["web1"].Files = map[string]*config.File{KeepalivedConfPath: {Path: KeepalivedConfPath, Content: "x"}}
			},
			wantErr:  "declared twice",
			conflict: true,
		},
		{
			name: "unicast peer without address on the subnet",
			mutate: func(c *config.Config) {
				c.VRRPInstances["VI_1"].Unicast = true
				c.Hosts["web2"].Interfaces = []config.Interface{iface("ens33", "10.9.9.9/24")}
			},
			wantErr: "unicast: member web2 has no address on 192.168.19.0/24",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := labA()
			tt.mutate(c)
			_, err := Render(c)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Render error = %v, want one containing %q", err, tt.wantErr)
			}
			if errors.Is(err, ErrConflict) != tt.conflict {
				t.Errorf("errors.Is(err, ErrConflict) = %v, want %v", !tt.conflict, tt.conflict)
			}
			if strings.Contains(err.Error(), "se cret") {
				t.Errorf("error leaks the secret: %v", err)
			}
		})
	}
}

func TestRenderLVSErrors(t *testing.T) {
	tests := []struct {
		name     string
		build    func() *config.Config
		wantErr  string
		conflict bool
	}{
		{
			name: "NAT real server with two directors and no gateway",
			build: func() *config.Config {
				c := labB()
				c.Hosts["dir2"] = newHost("dir2", iface("ens33", "192.168.19.104/24"), iface("ens37", "192.168.47.130/24"))
				c.VirtualServers["web"].Directors = []string{"dir", "dir2"}
				return c
			},
			wantErr: "needs a gateway",
		},
		{
			name: "NAT real server off the director's subnets",
			build: func() *config.Config {
				c := labB()
				c.Hosts["dir"].Interfaces = []config.Interface{iface("ens37", "192.168.47.128/24")}
				return c
			},
			wantErr: "director dir has no address on the subnet of 192.168.19.102",
		},
		{
			name: "two NAT services route one real server two ways",
			build: func() *config.Config {
				c := labB()
				c.Hosts["dir2"] = newHost("dir2", iface("ens33", "192.168.19.104/24"), iface("ens37", "192.168.47.130/24"))
				c.VirtualServers["web2"] = &config.VirtualServer{
					Name: "web2", Address: addrPort("192.168.47.129:80"), Protocol: "tcp", Mode: config.ModeNAT,
					Scheduler: "rr", Directors: []string{"dir2"}, ManagedBy: config.ManagedByClusterctl,
					RealServers: []*config.RealServer{{Host: "rs1", Address: addr("192.168.19.102"), Port: 80, Weight: 1}},
				}
				return c
			},
			wantErr:  "route 0.0.0.0/0",
			conflict: true,
		},
		{
			name: "director cannot hold the virtual address",
			build: func() *config.Config {
				c := labDR()
				c.VirtualServers["web"].Address = addrPort("10.9.0.100:80")
				return c
			},
			wantErr: "virtual address 10.9.0.100 is on no interface subnet of the director",
		},
		{
			name: "server without scheduler",
			build: func() *config.Config {
				c := labB()
				c.VirtualServers["web"].Scheduler = ""
				return c
			},
			wantErr: "no scheduler",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Render(tt.build())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Render error = %v, want one containing %q", err, tt.wantErr)
			}
			if errors.Is(err, ErrConflict) != tt.conflict {
				t.Errorf("errors.Is(err, ErrConflict) = %v, want %v", !tt.conflict, tt.conflict)
			}
		})
	}
}

func TestSysctlConflict(t *testing.T) {
	b := &hostBuilder{sysctls: map[string]sysctlEntry{}}
	if err := b.setSysctl("net.ipv4.conf.all.rp_filter", "0", "real server of a (tun)"); err != nil {
		t.Fatal(err)
	}
	if err := b.setSysctl("net.ipv4.conf.all.rp_filter", "0", "real server of b (tun)"); err != nil {
		t.Fatalf("same value twice: %v", err)
	}
	err := b.setSysctl("net.ipv4.conf.all.rp_filter", "1", "other")
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), `real server of a (tun) needs "0" but other needs "1"`) {
		t.Fatalf("conflict error = %v", err)
	}
}

func TestShQuote(t *testing.T) {
	tests := map[string]string{
		"nginx":                           "nginx",
		"/var/log/check_ng.log":           "/var/log/check_ng.log",
		"":                                "''",
		"a b":                             "'a b'",
		"it's":                            `'it'\''s'`,
		"$(reboot)":                       "'$(reboot)'",
		"nginx down,keepalived will stop": "'nginx down,keepalived will stop'",
	}
	for in, want := range tests {
		if got := shell.Quote(in); got != want {
			t.Errorf("shell.Quote(%q) = %s, want %s", in, got, want)
		}
	}
}
