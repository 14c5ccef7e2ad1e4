package ipvs

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/golden"

	"github.com/google/go-cmp/cmp"
)

var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b }),
}

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func tcp(s string) ServiceKey { return ServiceKey{Protocol: TCP, Addr: ap(s)} }

func TestParseSave(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  Table
	}{
		{
			name: "lab NAT persistent wlc (ipvsadm 1.31)",
			input: "-A -t 192.168.47.128:80 -s wlc -p 3\n" +
				"-a -t 192.168.47.128:80 -r 192.168.19.103:80 -m -w 1\n" +
				"-a -t 192.168.47.128:80 -r 192.168.19.102:80 -m -w 1\n",
			want: Table{Services: []Service{{
				Key: tcp("192.168.47.128:80"), Scheduler: "wlc", Persistent: true, Timeout: 3,
				Netmask: addr("255.255.255.255"),
				Destinations: []Destination{
					{Addr: ap("192.168.19.102:80"), Forward: Masq, Weight: 1},
					{Addr: ap("192.168.19.103:80"), Forward: Masq, Weight: 1},
				},
			}}},
		},
		{
			name:  "bare -p, netmask, DR and tunnel, thresholds, comments",
			input: "# saved\n\n-A -u 10.0.0.1:53 -s rr -p -M 255.255.255.0\n-a -u 10.0.0.1:53 -r 10.0.1.1:53 -g -w 2 -x 100 -y 10\n-a -u 10.0.0.1:53 -r 10.0.1.2:53 -i -w 0 --tun-type ipip\n",
			want: Table{Services: []Service{{
				Key: ServiceKey{Protocol: UDP, Addr: ap("10.0.0.1:53")}, Scheduler: "rr", Persistent: true,
				Timeout: 300, Netmask: addr("255.255.255.0"),
				Destinations: []Destination{
					{Addr: ap("10.0.1.1:53"), Forward: Route, Weight: 2, Upper: 100, Lower: 10},
					{Addr: ap("10.0.1.2:53"), Forward: Tunnel, Weight: 0, TunType: TunIPIP},
				},
			}}},
		},
		{
			name:  "fwmark v4 and v6, default scheduler and forwarding, port-less server",
			input: "-A -f 2 -6 -s sh\n-A -f 1\n-a -f 1 -r 10.0.1.1:0 -w 1\n-a -f 1 -r 10.0.1.2\n",
			want: Table{Services: []Service{
				{Key: ServiceKey{Protocol: FWMark, Mark: 1}, Scheduler: "wlc", Destinations: []Destination{
					{Addr: ap("10.0.1.1:0"), Forward: Route, Weight: 1},
					{Addr: ap("10.0.1.2:0"), Forward: Route, Weight: 1},
				}},
				{Key: ServiceKey{Protocol: FWMark, Mark: 2, IPv6: true}, Scheduler: "sh"},
			}},
		},
		{
			name:  "IPv6 with prefix-length netmask, engine, ops and flags, long names",
			input: "-A -t [2001:db8::1]:443 -s mh -p 60 -M 64 --pe sip -o -b mh-fallback\n--add-server --tcp-service [2001:db8::1]:443 --real-server [2001:db8::10]:443 --masquerading --weight 3\n",
			want: Table{Services: []Service{{
				Key: tcp("[2001:db8::1]:443"), Scheduler: "mh", Persistent: true, Timeout: 60,
				Netmask: addr("ffff:ffff:ffff:ffff::"), PE: "sip", OnePacket: true, Flags: SchedFlag1,
				Destinations: []Destination{{Addr: ap("[2001:db8::10]:443"), Forward: Masq, Weight: 3}},
			}}},
		},
		{
			name:  "legacy pe/ops words",
			input: "-A -t 1.2.3.4:5060 -s rr -p 300 pe sip ops\n",
			want: Table{Services: []Service{{Key: tcp("1.2.3.4:5060"), Scheduler: "rr", Persistent: true, Timeout: 300,
				Netmask: addr("255.255.255.255"), PE: "sip", OnePacket: true}}},
		},
		{
			// Lines as ipvsadm 1.31 prints them (its format strings:
			// "-A %s -s %s", " -p %u", " -M %s", " --pe %s", " -o", " -b ",
			// "-a %s -r %s %s -w %d --tun-type %s --tun-port %d %s").
			name: "ipvsadm 1.31: flags, ops, tunnel types, sctp, timeouts",
			input: "--set 900 120 300\n" +
				"-A -t 10.0.0.1:80 -s sh -b sh-fallback,sh-port\n" +
				"-a -t 10.0.0.1:80 -r 10.0.1.1:80 -i -w 1 --tun-type ipip\n" +
				"-a -t 10.0.0.1:80 -r 10.0.1.2:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-remcsum\n" +
				"-a -t 10.0.0.1:80 -r 10.0.1.3:80 -i -w 1 --tun-type gre --tun-csum\n" +
				"-a -t 10.0.0.1:80 -r 10.0.1.4:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum\n" +
				"-A -u 10.0.0.1:53 -s rr -o -b flag-3\n" +
				"-A --sctp-service 10.0.0.1:3868 -s wrr\n" +
				"-a --sctp-service 10.0.0.1:3868 -r 10.0.1.1:3868 -m -w 2\n",
			want: Table{Timeouts: Timeouts{TCP: 900, TCPFin: 120, UDP: 300}, Services: []Service{
				{Key: ServiceKey{Protocol: SCTP, Addr: ap("10.0.0.1:3868")}, Scheduler: "wrr", Destinations: []Destination{
					{Addr: ap("10.0.1.1:3868"), Forward: Masq, Weight: 2},
				}},
				{Key: tcp("10.0.0.1:80"), Scheduler: "sh", Flags: SchedFlag1 | SchedFlag2, Destinations: []Destination{
					{Addr: ap("10.0.1.1:80"), Forward: Tunnel, Weight: 1, TunType: TunIPIP},
					{Addr: ap("10.0.1.2:80"), Forward: Tunnel, Weight: 1, TunType: TunGUE, TunPort: 6080, TunCsum: TunRemCsum},
					{Addr: ap("10.0.1.3:80"), Forward: Tunnel, Weight: 1, TunType: TunGRE, TunCsum: TunCsum},
					{Addr: ap("10.0.1.4:80"), Forward: Tunnel, Weight: 1, TunType: TunGUE, TunPort: 6080},
				}},
				{Key: ServiceKey{Protocol: UDP, Addr: ap("10.0.0.1:53")}, Scheduler: "rr", OnePacket: true, Flags: SchedFlag3},
			}},
		},
		{name: "empty", input: "", want: Table{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSave([]byte(tt.input))
			if err != nil {
				t.Fatalf("ParseSave: %v", err)
			}
			if d := cmp.Diff(tt.want, got, cmpOpts); d != "" {
				t.Errorf("ParseSave mismatch (-want +got):\n%s", d)
			}
			again, err := ParseSave([]byte(got.Save()))
			if err != nil {
				t.Fatalf("ParseSave(Save): %v\n%s", err, got.Save())
			}
			if d := cmp.Diff(got, again, cmpOpts); d != "" {
				t.Errorf("round trip mismatch (-first +second):\n%s", d)
			}
		})
	}
}

func TestParseSaveErrors(t *testing.T) {
	tests := []struct {
		name, input string
		line        int
		msg         string
	}{
		{"unknown command", "-X -t 1.2.3.4:80\n", 1, "unknown command"},
		{"dest before service", "-a -t 1.2.3.4:80 -r 10.0.0.1:80 -m -w 1\n", 1, "unknown service"},
		{"duplicate service", "-A -t 1.2.3.4:80 -s rr\n-A -t 1.2.3.4:80 -s wlc\n", 2, "duplicate service"},
		{"duplicate dest", "-A -t 1.2.3.4:80 -s rr\n-a -t 1.2.3.4:80 -r 10.0.0.1:80\n-a -t 1.2.3.4:80 -r 10.0.0.1:80\n", 3, "duplicate destination"},
		{"hostname", "-A -t www.example.com:http -s rr\n", 1, "invalid service address"},
		{"missing value", "-A -t 1.2.3.4:80 -s\n", 1, "needs a value"},
		{"weight range", "-A -t 1.2.3.4:80\n-a -t 1.2.3.4:80 -r 10.0.0.1:80 -w 70000\n", 2, "invalid weight"},
		{"two methods", "-A -t 1.2.3.4:80\n-a -t 1.2.3.4:80 -r 10.0.0.1:80 -m -g\n", 2, "more than one forwarding"},
		{"no service", "-A -s rr\n", 1, "no service"},
		{"netmask without -p", "-A -t 1.2.3.4:80 -M 255.0.0.0\n", 1, "netmask without persistence"},
		{"v6 mask on v4", "-A -t 1.2.3.4:80 -p -M ffff::\n", 1, "invalid netmask"},
		{"zero mark", "-A -f 0\n", 1, "invalid fwmark"},
		{"-6 with tcp", "-A -t 1.2.3.4:80 -6\n", 1, "-6 is only valid"},
		{"unknown option", "\n\n-A -t 1.2.3.4:80 --frobnicate\n", 3, "unknown option"},
		{"zone", "-A -t [fe80::1%eth0]:80\n", 1, "zones"},
		{"service opts on dest", "-A -t 1.2.3.4:80\n-a -t 1.2.3.4:80 -r 10.0.0.1:80 -s rr\n", 2, "service options"},
		{"ops on dest", "-A -u 1.2.3.4:53\n-a -u 1.2.3.4:53 -r 10.0.0.1:53 -o\n", 2, "service options"},
		{"tunnel opts on service", "-A -t 1.2.3.4:80 --tun-type gue\n", 1, "destination options"},
		{"tunnel opts without -i", "-A -t 1.2.3.4:80\n-a -t 1.2.3.4:80 -r 10.0.0.1:80 -m --tun-type gue\n", 2, "without -i"},
		{"unknown tunnel type", "-A -t 1.2.3.4:80\n-a -t 1.2.3.4:80 -r 10.0.0.1:80 -i --tun-type vxlan\n", 2, "invalid tunnel type"},
		{"two checksums", "-A -t 1.2.3.4:80\n-a -t 1.2.3.4:80 -r 10.0.0.1:80 -i --tun-type gue --tun-port 1 --tun-csum --tun-remcsum\n", 2, "more than one tunnel checksum"},
		{"sh flag on wlc", "-A -t 1.2.3.4:80 -s wlc -b sh-port\n", 1, "needs scheduler sh"},
		{"unknown flag", "-A -t 1.2.3.4:80 -s sh -b sh-everything\n", 1, "invalid scheduler flag"},
		{"short --set", "--set 900 120\n", 1, "three timeouts"},
		{"bad timeout", "--set 900 x 300\n", 1, "invalid timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSave([]byte(tt.input))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("ParseSave error = %v, want *ParseError", err)
			}
			if pe.Line != tt.line || !strings.Contains(pe.Msg, tt.msg) {
				t.Errorf("ParseSave error = %q (line %d), want line %d containing %q", pe.Msg, pe.Line, tt.line, tt.msg)
			}
		})
	}
}

func TestParseSaveLimits(t *testing.T) {
	big := make([]byte, MaxInputBytes+1)
	if _, err := ParseSave(big); !errors.Is(err, ErrInputTooLarge) {
		t.Errorf("oversized input: err = %v, want ErrInputTooLarge", err)
	}
	lines := []byte(strings.Repeat("\n", MaxInputLines+1))
	if _, err := ParseSave(lines); !errors.Is(err, ErrInputTooLarge) {
		t.Errorf("too many lines: err = %v, want ErrInputTooLarge", err)
	}
}

// sampleTable has every kind of service and setting Save must render.
func sampleTable() Table {
	return Table{Services: []Service{
		{Key: tcp("192.168.47.128:80"), Scheduler: "wlc", Persistent: true, Timeout: 3, Destinations: []Destination{
			{Addr: ap("192.168.19.103:80"), Forward: Masq, Weight: 1},
			{Addr: ap("192.168.19.102:80"), Forward: Masq, Weight: 1},
		}},
		{Key: ServiceKey{Protocol: UDP, Addr: ap("192.168.47.128:53")}, Scheduler: "rr", Destinations: []Destination{
			{Addr: ap("192.168.19.102:53"), Weight: 5, Upper: 100, Lower: 50},
		}},
		{Key: ServiceKey{Protocol: FWMark, Mark: 7}, Scheduler: "sh", Persistent: true, Netmask: addr("255.255.255.0"), Destinations: []Destination{
			{Addr: ap("192.168.19.104:0"), Forward: Tunnel, Weight: 2},
		}},
		{Key: tcp("[2001:db8::1]:443"), Persistent: true, Timeout: 60, Netmask: addr("ffff:ffff:ffff:ffff::"), Destinations: []Destination{
			{Addr: ap("[2001:db8::10]:443"), Forward: Route, Weight: 1},
		}},
		{Key: ServiceKey{Protocol: FWMark, Mark: 7, IPv6: true}, Scheduler: "rr"},
		{Key: ServiceKey{Protocol: UDP, Addr: ap("192.168.47.128:5060")}, Scheduler: "sh", Flags: SchedFlag1 | SchedFlag2,
			Persistent: true, Timeout: 120, PE: "sip", OnePacket: true, Destinations: []Destination{
				{Addr: ap("192.168.19.105:5060"), Forward: Tunnel, Weight: 1, TunType: TunGUE, TunPort: 6080, TunCsum: TunCsum},
				{Addr: ap("192.168.19.106:5060"), Forward: Tunnel, Weight: 1, TunType: TunGRE},
			}},
		{Key: ServiceKey{Protocol: SCTP, Addr: ap("192.168.47.128:3868")}, Scheduler: "mh", Flags: SchedFlag2, Destinations: []Destination{
			{Addr: ap("192.168.19.102:3868"), Forward: Masq, Weight: 1},
		}},
	}, Timeouts: Timeouts{TCP: 7200, UDP: 60}}
}

func TestSaveGolden(t *testing.T) {
	tab := sampleTable()
	before := tab.Services[0].Destinations[0]
	got := tab.Save()
	if tab.Services[0].Destinations[0] != before || tab.Services[0].Netmask.IsValid() {
		t.Fatal("Save modified its receiver")
	}
	golden.Check(t, "save.golden", got)
	parsed, err := ParseSave([]byte(got))
	if err != nil {
		t.Fatalf("ParseSave(Save): %v", err)
	}
	norm := sampleTable()
	norm.Normalize()
	if d := cmp.Diff(norm, parsed, cmpOpts); d != "" {
		t.Errorf("ParseSave(Save(t)) != t (-want +got):\n%s", d)
	}
	if got2 := parsed.Save(); got2 != got {
		t.Errorf("Save not deterministic:\n%s\nvs\n%s", got, got2)
	}
}

func FuzzParseSave(f *testing.F) {
	f.Add([]byte(sampleTable().Save()))
	f.Add([]byte("-A -t 192.168.47.128:80 -s wlc -p 3\n-a -t 192.168.47.128:80 -r 192.168.19.102:80 -m -w 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := ParseSave(data)
		if err != nil {
			return
		}
		out := tab.Save()
		again, err := ParseSave([]byte(out))
		if err != nil {
			t.Fatalf("ParseSave(Save(t)) failed: %v\ninput %q\nsaved %q", err, data, out)
		}
		if d := cmp.Diff(tab, again, cmpOpts); d != "" {
			t.Fatalf("round trip mismatch (-first +second):\n%s", d)
		}
		if edits := Diff(tab, again); len(edits) != 0 {
			t.Fatalf("Diff of equal tables = %v", edits)
		}
	})
}

func BenchmarkParseSave10k(b *testing.B) {
	data := []byte(bigTable(1000, 10).Save())
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseSave(data); err != nil {
			b.Fatal(err)
		}
	}
}
