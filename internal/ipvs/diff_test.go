package ipvs

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// apply executes edits against a copy of t the way ipvsadm would, so step
// tests can check that Diff's output really reaches the desired table.
func apply(t *testing.T, tab Table, edits []Edit) Table {
	t.Helper()
	var out Table
	for _, s := range tab.Services {
		s.Destinations = append([]Destination(nil), s.Destinations...)
		out.Services = append(out.Services, s)
	}
	for _, e := range edits {
		s := out.Service(e.Service.Key)
		switch e.Op {
		case AddService:
			if s != nil {
				t.Fatalf("%s: service exists", e)
			}
			out.Services = append(out.Services, e.Service)
		case EditService:
			if s == nil {
				t.Fatalf("%s: no service", e)
			}
			d := s.Destinations
			*s = e.Service
			s.Destinations = d
		case DeleteService:
			if s == nil {
				t.Fatalf("%s: no service", e)
			}
			for i := range out.Services {
				if out.Services[i].Key == e.Service.Key {
					out.Services = append(out.Services[:i], out.Services[i+1:]...)
					break
				}
			}
		case AddDest, EditDest, DeleteDest:
			if s == nil {
				t.Fatalf("%s: no service", e)
			}
			j := -1
			for k := range s.Destinations {
				if s.Destinations[k].Addr == e.Dest.Addr {
					j = k
				}
			}
			switch {
			case e.Op == AddDest && j < 0:
				s.Destinations = append(s.Destinations, e.Dest)
			case e.Op == EditDest && j >= 0:
				s.Destinations[j] = e.Dest
			case e.Op == DeleteDest && j >= 0:
				s.Destinations = append(s.Destinations[:j], s.Destinations[j+1:]...)
			default:
				t.Fatalf("%s: destination state wrong", e)
			}
		}
	}
	out.Normalize()
	if len(out.Services) == 0 {
		out.Services = nil
	}
	return out
}

func edits(es []Edit) []string {
	var s []string
	for _, e := range es {
		s = append(s, e.String())
	}
	return s
}

// TestDiffSteps walks a table through states 1..N (Seesaw style); each
// step gives the desired table and the exact edits expected from the
// previous state, then applies them and checks the result.
func TestDiffSteps(t *testing.T) {
	const vip = "192.168.47.128:80"
	web := func(sched string, dests ...Destination) Service {
		return Service{Key: tcp(vip), Scheduler: sched, Persistent: true, Timeout: 3, Destinations: dests}
	}
	rs := func(host string, w int) Destination {
		return Destination{Addr: ap(host + ":80"), Forward: Masq, Weight: w}
	}
	dns := Service{Key: ServiceKey{Protocol: UDP, Addr: ap("192.168.47.128:53")}, Scheduler: "rr",
		Destinations: []Destination{{Addr: ap("192.168.19.102:53"), Forward: Masq, Weight: 1}}}
	steps := []struct {
		name    string
		desired Table
		want    []string
	}{
		{"1 create", Table{Services: []Service{web("wlc", rs("192.168.19.102", 1), rs("192.168.19.103", 1))}}, []string{
			"-A -t 192.168.47.128:80 -s wlc -p 3",
			"-a -t 192.168.47.128:80 -r 192.168.19.102:80 -m -w 1",
			"-a -t 192.168.47.128:80 -r 192.168.19.103:80 -m -w 1",
		}},
		{"2 no change", Table{Services: []Service{web("wlc", rs("192.168.19.103", 1), rs("192.168.19.102", 1))}}, nil},
		{"3 weight change is one edit", Table{Services: []Service{web("wlc", rs("192.168.19.102", 1), rs("192.168.19.103", 3))}}, []string{
			"-e -t 192.168.47.128:80 -r 192.168.19.103:80 -m -w 3 -x 0 -y 0",
		}},
		{"4 scheduler change, add rs3, drop rs2, add udp service", Table{Services: []Service{
			web("rr", rs("192.168.19.103", 3), rs("192.168.19.104", 1)), dns}}, []string{
			"-E -t 192.168.47.128:80 -s rr -p 3",
			"-a -t 192.168.47.128:80 -r 192.168.19.104:80 -m -w 1",
			"-A -u 192.168.47.128:53 -s rr",
			"-a -u 192.168.47.128:53 -r 192.168.19.102:53 -m -w 1",
			"-d -t 192.168.47.128:80 -r 192.168.19.102:80",
		}},
		{"5 forwarding method change needs -e", Table{Services: []Service{
			web("rr", Destination{Addr: ap("192.168.19.103:80"), Forward: Route, Weight: 3}, rs("192.168.19.104", 1)), dns}}, []string{
			"-e -t 192.168.47.128:80 -r 192.168.19.103:80 -g -w 3 -x 0 -y 0",
		}},
		{"6 persistence off, delete udp service", Table{Services: []Service{{Key: tcp(vip), Scheduler: "rr",
			Destinations: []Destination{{Addr: ap("192.168.19.103:80"), Forward: Route, Weight: 3}, rs("192.168.19.104", 1)}}}}, []string{
			"-E -t 192.168.47.128:80 -s rr",
			"-D -u 192.168.47.128:53",
		}},
		{"7 destroy", Table{}, []string{"-D -t 192.168.47.128:80"}},
	}
	var observed Table
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			got := Diff(st.desired, observed)
			if d := cmp.Diff(st.want, edits(got)); d != "" {
				t.Fatalf("Diff edits (-want +got):\n%s", d)
			}
			observed = apply(t, observed, got)
			want := st.desired
			want.Normalize()
			if d := cmp.Diff(want, observed, cmpOpts); d != "" {
				t.Fatalf("table after edits (-want +got):\n%s", d)
			}
			if again := Diff(st.desired, observed); len(again) != 0 {
				t.Errorf("second Diff not empty: %v", edits(again))
			}
		})
	}
}

func TestDiffWeightChangeExactlyOneEdit(t *testing.T) {
	observed := bigTable(100, 10)
	desired := bigTable(100, 10)
	desired.Services[42].Destinations[7].Weight = 9
	got := Diff(desired, observed)
	if len(got) != 1 {
		t.Fatalf("Diff = %d edits, want 1: %v", len(got), edits(got))
	}
	e := got[0]
	if e.Op != EditDest || e.Dest.Weight != 9 || e.BeforeDest.Weight != 1 || e.Service.Key != observed.Services[42].Key {
		t.Errorf("Diff edit = %+v", e)
	}
}

func TestDiffNormalisesDefaults(t *testing.T) {
	observed, err := ParseSave([]byte("-A -t 10.0.0.1:80 -s wlc -p 300\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -g -w 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	desired := Table{Services: []Service{{Key: ServiceKey{Protocol: TCP, Addr: ap("10.0.0.1:80")}, Persistent: true,
		Destinations: []Destination{{Addr: ap("10.0.1.1:80"), Weight: 1}}}}}
	if got := Diff(desired, observed); len(got) != 0 {
		t.Errorf("Diff with defaults left implicit = %v, want none", edits(got))
	}
}

func TestEditArgs(t *testing.T) {
	k6 := ServiceKey{Protocol: FWMark, Mark: 3, IPv6: true}
	tests := []struct {
		e    Edit
		want string
	}{
		{Edit{Op: AddDest, Service: Service{Key: tcp("192.168.47.128:80")}, Dest: Destination{Addr: ap("192.168.19.102:80"), Forward: Masq, Weight: 1}},
			"-a -t 192.168.47.128:80 -r 192.168.19.102:80 -m -w 1"},
		{Edit{Op: AddDest, Service: Service{Key: k6}, Dest: Destination{Addr: ap("[2001:db8::2]:0"), Forward: Tunnel, Weight: 1, Upper: 5}},
			"-a -f 3 -6 -r [2001:db8::2]:0 -i -w 1 -x 5 -y 0"},
		{Edit{Op: AddService, Service: Service{Key: k6, Persistent: true, Netmask: addr("ffff:ffff::")}},
			"-A -f 3 -6 -s wlc -p 300 -M 32"},
		{Edit{Op: EditService, Service: Service{Key: tcp("1.2.3.4:80"), Scheduler: "sh", Persistent: true, Timeout: 10, Netmask: addr("255.255.0.0")}},
			"-E -t 1.2.3.4:80 -s sh -p 10 -M 255.255.0.0"},
		{Edit{Op: DeleteDest, Service: Service{Key: tcp("1.2.3.4:80")}, Dest: Destination{Addr: ap("10.0.0.1:8080")}},
			"-d -t 1.2.3.4:80 -r 10.0.0.1:8080"},
		{Edit{Op: DeleteService, Service: Service{Key: ServiceKey{Protocol: UDP, Addr: ap("1.2.3.4:53")}}}, "-D -u 1.2.3.4:53"},
	}
	for _, tt := range tests {
		if got := tt.e.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
		if got := strings.Join(tt.e.Args(), " "); got != tt.want {
			t.Errorf("Args() = %q, want %q", got, tt.want)
		}
	}
}

// bigTable has n TCP services with m masquerading destinations each.
func bigTable(n, m int) Table {
	var t Table
	for i := range n {
		s := Service{Key: ServiceKey{Protocol: TCP, Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 80)},
			Scheduler: "wlc"}
		for j := range m {
			s.Destinations = append(s.Destinations, Destination{
				Addr:    netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 2, byte(j >> 8), byte(j)}), 8080),
				Forward: Masq, Weight: 1})
		}
		t.Services = append(t.Services, s)
	}
	t.Normalize()
	return t
}

func BenchmarkDiff10k(b *testing.B) {
	observed := bigTable(1000, 10)
	for _, changed := range []int{1, 100, 10000} {
		desired := bigTable(1000, 10)
		n := 0
		for i := range desired.Services {
			for j := range desired.Services[i].Destinations {
				if n < changed {
					desired.Services[i].Destinations[j].Weight = 2
					n++
				}
			}
		}
		b.Run(fmt.Sprintf("changed=%d", changed), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if got := Diff(desired, observed); len(got) != changed {
					b.Fatalf("Diff = %d edits, want %d", len(got), changed)
				}
			}
		})
	}
}
