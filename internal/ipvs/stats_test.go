package ipvs

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const listOutput = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  192.168.47.128:80 wlc persistent 3
  -> 192.168.19.102:80            Masq    1      2          5
  -> 192.168.19.103:80            Masq    1      0          7
FWM  1 IPv6 rr
UDP  192.168.47.128:53 rr
  -> 192.168.19.102:53            Route   2      0          0
`

const statsOutput = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes
  -> RemoteAddress:Port
TCP  192.168.47.128:80                  12      340      300    22000     1234K
  -> 192.168.19.102:80                   5      140      120     9000   412345
  -> 192.168.19.103:80                   7      200      180    13000   822222
FWM  1 IPv6                              0        0        0        0        0
`

func TestParseList(t *testing.T) {
	fwm := ServiceKey{Protocol: FWMark, Mark: 1, IPv6: true}
	udp := ServiceKey{Protocol: UDP, Addr: ap("192.168.47.128:53")}
	want := Stats{Services: []ServiceStats{
		{Key: fwm, Scheduler: "rr"},
		{Key: tcp("192.168.47.128:80"), Scheduler: "wlc", Counters: Counters{12, 340, 300, 22000, 1234000},
			Destinations: []DestStats{
				{Addr: ap("192.168.19.102:80"), Forward: Masq, Weight: 1, ActiveConn: 2, InActConn: 5, Counters: Counters{5, 140, 120, 9000, 412345}},
				{Addr: ap("192.168.19.103:80"), Forward: Masq, Weight: 1, InActConn: 7, Counters: Counters{7, 200, 180, 13000, 822222}},
			}},
		{Key: udp, Scheduler: "rr", Destinations: []DestStats{{Addr: ap("192.168.19.102:53"), Forward: Route, Weight: 2}}},
	}}
	for _, in := range []string{listOutput + statsOutput, statsOutput + listOutput} {
		got, err := ParseList([]byte(in))
		if err != nil {
			t.Fatalf("ParseList: %v", err)
		}
		if d := cmp.Diff(want, got, cmpOpts); d != "" {
			t.Errorf("ParseList mismatch (-want +got):\n%s", d)
		}
		if s := got.Service(udp); s == nil || s.Destinations[0].Weight != 2 {
			t.Errorf("Service(%v) = %+v", udp, s)
		}
	}
}

func TestParseListErrors(t *testing.T) {
	tests := []struct {
		name, input string
		line        int
	}{
		{"no title", "TCP  1.2.3.4:80 wlc\n", 1},
		{"dest first", "Prot LocalAddress:Port Scheduler Flags\n  -> 1.2.3.4:80 Masq 1 0 0\n", 2},
		{"bad forward", "Prot LocalAddress:Port Scheduler Flags\nTCP  1.2.3.4:80 wlc\n  -> 1.2.3.4:80 Frob 1 0 0\n", 3},
		{"rate listing", "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n", 1},
		{"bad count", "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\nTCP  1.2.3.4:80 1 2 3 4 99999999999999999999T\n", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseList([]byte(tt.input))
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line != tt.line {
				t.Errorf("ParseList error = %v, want ParseError on line %d", err, tt.line)
			}
		})
	}
}
