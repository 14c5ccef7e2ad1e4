package verify

import (
	"net/netip"
	"os/exec"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/golden"

	"github.com/google/go-cmp/cmp"

	"github.com/clusterctl/clusterctl/internal/resource"
)

func TestProbeCommandGolden(t *testing.T) {
	cmd, err := probeCommand([]string{"nginx", "keepalived", "php-fpm7.4"})
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "probe.sh", strings.ReplaceAll(cmd, "; ", ";\n")+"\n")
}

func TestProbeCommandRejects(t *testing.T) {
	for _, name := range []string{"", "a b", "x;reboot", "$(id)", "averyveryverylongname", "*"} {
		if _, err := probeCommand([]string{name}); err == nil {
			t.Errorf("probeCommand(%q) accepted", name)
		}
	}
}

// TestProbeCommandRuns runs the probe in this machine's shell: it only
// reads (addresses, a unit's state, /proc), and checks that its output
// parses.
func TestProbeCommandRuns(t *testing.T) {
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("ip not installed")
	}
	cmd, err := probeCommand([]string{"nginx"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("sh", "-c", cmd).Output()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	p, err := parseProbe(out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	lo := false
	for _, a := range p.Addrs {
		lo = lo || (a.Dev == "lo" && a.Prefix.Addr() == netip.MustParseAddr("127.0.0.1"))
	}
	if !lo {
		t.Errorf("no 127.0.0.1 on lo in %v", p.Addrs)
	}
	if _, ok := p.Procs["nginx"]; !ok {
		t.Errorf("no nginx count in %v", p.Procs)
	}
}

func TestParseProbe(t *testing.T) {
	cases := []struct {
		name string
		out  string
		want probe
		err  string
	}{
		{
			name: "master",
			out: `1: lo    inet 127.0.0.1/8 scope host lo\       valid_lft forever preferred_lft forever
1: lo    inet6 ::1/128 scope host \       valid_lft forever preferred_lft forever
2: ens33@if7    inet 192.168.19.101/24 brd 192.168.19.255 scope global ens33\       valid_lft forever preferred_lft forever
2: ens33@if7    inet 192.168.19.100/32 scope global ens33\       valid_lft forever preferred_lft forever
3: tun0    inet 10.0.0.1 peer 10.0.0.2/32 scope global tun0
@clusterctl-verify keepalived active
@clusterctl-verify proc keepalived 3
@clusterctl-verify proc nginx 2
`,
			want: probe{
				Addrs: []resource.Address{
					{Dev: "lo", Prefix: netip.MustParsePrefix("127.0.0.1/8")},
					{Dev: "lo", Prefix: netip.MustParsePrefix("::1/128")},
					{Dev: "ens33", Prefix: netip.MustParsePrefix("192.168.19.101/24")},
					{Dev: "ens33", Prefix: netip.MustParsePrefix("192.168.19.100/32")},
					{Dev: "tun0", Prefix: netip.MustParsePrefix("10.0.0.1/32")},
				},
				Keepalived: "active",
				Procs:      map[string]int{"keepalived": 3, "nginx": 2},
			},
		},
		{
			name: "no systemctl, garbage lines ignored",
			out: `1: lo    inet 127.0.0.1/8 scope host lo
some noise from a login script
2: eth0    inet not-an-address
@clusterctl-verify keepalived
@clusterctl-verify proc keepalived 0
`,
			want: probe{
				Addrs: []resource.Address{{Dev: "lo", Prefix: netip.MustParsePrefix("127.0.0.1/8")}},
				Procs: map[string]int{"keepalived": 0},
			},
		},
		{name: "cut short", out: "1: lo    inet 127.0.0.1/8 scope host lo\n", err: "incomplete output"},
		{name: "no addresses", out: "@clusterctl-verify keepalived active\n", err: "listed no address"},
		{name: "bad count", out: "1: lo    inet 127.0.0.1/8 scope host lo\n@clusterctl-verify keepalived active\n@clusterctl-verify proc nginx -1\n", err: "invalid process count"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseProbe([]byte(tc.out))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
