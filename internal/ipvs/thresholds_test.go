package ipvs

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// thresholdsListing is `ipvsadm -L -n --thresholds` as ipvsadm 1.31 lays
// it out ("%-33s %-10s %-10s %-10s %-10s" title, "  -> %-28s %-10u
// %-10u %-10u %-10u" destinations).
const thresholdsListing = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn
  -> RemoteAddress:Port
TCP  192.168.47.128:80 wlc persistent 3
  -> 192.168.19.102:80            100        10         0          0
  -> 192.168.19.103:80            0          0          4          1
SCTP 10.0.0.1:3868 sh (sh-fallback,sh-port)
  -> 10.0.1.1:3868                7          0          0          0
FWM  7 IPv6 rr
  -> [2001:db8::10]:0             5          2          0          0
`

func TestParseThresholds(t *testing.T) {
	got, err := ParseThresholds([]byte(thresholdsListing))
	if err != nil {
		t.Fatal(err)
	}
	want := map[DestKey]Thresholds{
		{tcp("192.168.47.128:80"), ap("192.168.19.102:80")}:                          {100, 10},
		{tcp("192.168.47.128:80"), ap("192.168.19.103:80")}:                          {0, 0},
		{ServiceKey{Protocol: SCTP, Addr: ap("10.0.0.1:3868")}, ap("10.0.1.1:3868")}: {7, 0},
		{ServiceKey{Protocol: FWMark, Mark: 7, IPv6: true}, ap("[2001:db8::10]:0")}:  {5, 2},
	}
	if d := cmp.Diff(want, got, cmpOpts); d != "" {
		t.Errorf("ParseThresholds (-want +got):\n%s", d)
	}

	// Merged into a table read by ParseSave (which has none), the table
	// diffs clean against the desired one with thresholds.
	live, err := ParseSave([]byte("-A -t 192.168.47.128:80 -s wlc -p 3\n-a -t 192.168.47.128:80 -r 192.168.19.102:80 -m -w 1\n-a -t 192.168.47.128:80 -r 192.168.19.103:80 -m -w 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	desired := live
	desired.Services = []Service{live.Services[0]}
	desired.Services[0].Destinations = []Destination{
		{Addr: ap("192.168.19.102:80"), Forward: Masq, Weight: 1, Upper: 100, Lower: 10},
		{Addr: ap("192.168.19.103:80"), Forward: Masq, Weight: 1},
	}
	if e := Diff(desired, live); len(e) != 1 || e[0].Op != EditDest {
		t.Fatalf("before read-back: Diff = %v, want one -e", e)
	}
	live.SetThresholds(got)
	if e := Diff(desired, live); len(e) != 0 {
		t.Errorf("after read-back: Diff = %v, want none", e)
	}
}

func TestParseThresholdsErrors(t *testing.T) {
	for _, tt := range []struct{ name, in, msg string }{
		{"plain list", "Prot LocalAddress:Port Scheduler Flags\n", "not a --thresholds listing"},
		{"dest first", "Prot LocalAddress:Port Uthreshold Lthreshold ActiveConn InActConn\n  -> 1.2.3.4:80 1 0 0 0\n", "before any service"},
		{"short", "Prot LocalAddress:Port Uthreshold Lthreshold ActiveConn InActConn\nTCP 1.2.3.4:80 rr\n  -> 1.2.3.4:80 1 0\n", "want 6"},
		{"negative", "Prot LocalAddress:Port Uthreshold Lthreshold ActiveConn InActConn\nTCP 1.2.3.4:80 rr\n  -> 1.2.3.4:80 -1 0 0 0\n", "upper threshold"},
		{"untitled", "TCP 1.2.3.4:80 rr\n", "before the listing title"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseThresholds([]byte(tt.in))
			var pe *ParseError
			if !errors.As(err, &pe) || !strings.Contains(pe.Msg, tt.msg) {
				t.Errorf("err = %v, want a ParseError containing %q", err, tt.msg)
			}
		})
	}
}

func TestParseTimeouts(t *testing.T) {
	got, err := ParseTimeouts([]byte("Timeout (tcp tcpfin udp): 900 120 300\n"))
	if err != nil || got != (Timeouts{900, 120, 300}) {
		t.Errorf("ParseTimeouts = %v, %v", got, err)
	}
	for _, bad := range []string{"", "Timeout (tcp tcpfin udp): 900 120\n", "Timeout (tcp tcpfin udp): 1 2 3\nmore\n", "garbage"} {
		if _, err := ParseTimeouts([]byte(bad)); err == nil {
			t.Errorf("ParseTimeouts(%q) succeeded", bad)
		}
	}
}

func TestDiffTimeoutsAndSettings(t *testing.T) {
	svc := Service{Key: tcp("10.0.0.1:80"), Scheduler: "sh", Destinations: []Destination{{Addr: ap("10.0.1.1:80"), Forward: Tunnel, Weight: 1}}}
	live := Table{Services: []Service{svc}, Timeouts: Timeouts{900, 120, 300}}
	for _, tt := range []struct {
		name   string
		change func(*Table)
		want   []string
	}{
		{"timeouts equal where set", func(d *Table) { d.Timeouts = Timeouts{TCP: 900} }, nil},
		{"timeouts differ", func(d *Table) { d.Timeouts = Timeouts{TCP: 7200, UDP: 300} }, []string{"--set 7200 0 300"}},
		{"sched flags", func(d *Table) { d.Services[0].Flags = SchedFlag1 | SchedFlag2 }, []string{"-E -t 10.0.0.1:80 -s sh -b sh-fallback,sh-port"}},
		{"one-packet", func(d *Table) { d.Services[0].OnePacket = true }, []string{"-E -t 10.0.0.1:80 -s sh -o"}},
		{"persistence engine", func(d *Table) { d.Services[0].Persistent, d.Services[0].PE = true, "sip" }, []string{"-E -t 10.0.0.1:80 -s sh -p 300 --pe sip"}},
		{"engine without persistence is nothing", func(d *Table) { d.Services[0].PE = "sip" }, nil},
		{"tunnel type", func(d *Table) {
			d.Services[0].Destinations[0].TunType, d.Services[0].Destinations[0].TunPort = TunGUE, 6080
		}, []string{"-e -t 10.0.0.1:80 -r 10.0.1.1:80 -i -w 1 -x 0 -y 0 --tun-type gue --tun-port 6080"}},
		{"tunnel checksum", func(d *Table) {
			d.Services[0].Destinations[0].TunType, d.Services[0].Destinations[0].TunCsum = TunGRE, TunCsum
		}, []string{"-e -t 10.0.0.1:80 -r 10.0.1.1:80 -i -w 1 -x 0 -y 0 --tun-type gre --tun-csum"}},
		{"explicit ipip is the default", func(d *Table) { d.Services[0].Destinations[0].TunType = TunIPIP }, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			desired := Table{Services: []Service{svc}}
			desired.Services[0].Destinations = append([]Destination(nil), svc.Destinations...)
			tt.change(&desired)
			var got []string
			for _, e := range Diff(desired, live) {
				got = append(got, e.String())
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("Diff (-want +got):\n%s", d)
			}
		})
	}
}
