package plan

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/secret"
)

// TestIPVSDisruption pins the class of every IPVS edit. Cases marked
// "measured" are rows of the VM lane's ipvs-live table
// (docs/reliability.md); the others keep the conservative class until
// measured.
func TestIPVSDisruption(t *testing.T) {
	rs1, rs2, rs4 := dest("192.168.19.102:80", 1), dest("192.168.19.103:80", 1), dest("192.168.19.104:80", 1)
	heavy := dest("192.168.19.103:80", 3)
	persist := func(s ipvs.Service, timeout int) ipvs.Service {
		s.Persistent, s.Timeout = timeout > 0, timeout
		if timeout == 0 {
			s.Netmask = netip.Addr{}
		}
		return s
	}
	tests := []struct {
		name              string
		observed, desired []ipvs.Service
		want              Disruption
		reason            string // a part of the worst IPVS change's reason
	}{
		{
			name:     "a virtual service added",
			desired:  []ipvs.Service{webService("wlc", rs1, rs2)},
			want:     DisruptionNone,
			observed: nil,
		},
		{
			name:     "measured: weight rs2 1 → 3",
			observed: []ipvs.Service{webService("wlc", rs1, rs2)},
			desired:  []ipvs.Service{webService("wlc", rs1, heavy)},
			want:     DisruptionNone,
		},
		{
			name:     "measured: a real server added",
			observed: []ipvs.Service{webService("wlc", rs1, heavy)},
			desired:  []ipvs.Service{webService("wlc", rs1, heavy, rs4)},
			want:     DisruptionNone,
		},
		{
			name:     "measured: scheduler wlc → rr",
			observed: []ipvs.Service{webService("wlc", rs1, heavy, rs4)},
			desired:  []ipvs.Service{webService("rr", rs1, heavy, rs4)},
			want:     DisruptionNone,
			reason:   "established connections stay",
		},
		{
			name:     "not measured yet: persistence 3 → 30 s",
			observed: []ipvs.Service{webService("rr", rs1, heavy, rs4)},
			desired:  []ipvs.Service{persist(webService("rr", rs1, heavy, rs4), 30)},
			want:     DisruptionDropsConnections,
			reason:   "persistence",
		},
		{
			name:     "not measured yet: persistence off",
			observed: []ipvs.Service{persist(webService("rr", rs1, heavy, rs4), 30)},
			desired:  []ipvs.Service{persist(webService("rr", rs1, heavy, rs4), 0)},
			want:     DisruptionDropsConnections,
			reason:   "persistence",
		},
		{
			name:     "not measured yet: a real server removed",
			observed: []ipvs.Service{persist(webService("rr", rs1, heavy, rs4), 0)},
			desired:  []ipvs.Service{persist(webService("rr", rs1, heavy), 0)},
			want:     DisruptionDropsConnections,
			reason:   "end",
		},
		{
			name:     "a real server drained by weight 0 in the configuration",
			observed: []ipvs.Service{webService("rr", rs1, rs2)},
			desired:  []ipvs.Service{webService("rr", rs1, dest("192.168.19.103:80", 0))},
			want:     DisruptionNone,
		},
		{
			name:     "not measured: a forwarding method changed",
			observed: []ipvs.Service{webService("rr", rs1, rs2)},
			desired:  []ipvs.Service{webService("rr", rs1, ipvs.Destination{Addr: rs2.Addr, Forward: ipvs.Route, Weight: 1})},
			want:     DisruptionDropsConnections,
			reason:   "forwarding method",
		},
		{
			name:     "not measured: a virtual service removed",
			observed: []ipvs.Service{webService("rr", rs1, rs2)},
			desired:  nil,
			want:     DisruptionDropsConnections,
			reason:   "end with it",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			desired := resource.Host{Name: "dir", IPVS: ipvs.Table{Services: tt.desired}}
			observed := Observed{IPVS: ipvs.Table{Services: tt.observed}}
			// The manifest lists the observed service: clusterctl made it.
			if len(tt.observed) > 0 {
				observed.Manifest = []resource.ManifestEntry{{Kind: resource.ManifestIPVS, Key: "-t 192.168.47.128:80"}}
			}
			hp := Diff(&desired, &observed, secret.Masker{})
			var worst Impact
			n := 0
			for _, c := range hp.Changes {
				if c.Kind != KindIPVS {
					continue
				}
				if n++; n == 1 {
					worst = c.Impact
				} else {
					worst = Worse(worst, c.Impact)
				}
			}
			if n == 0 {
				t.Fatalf("no IPVS change planned: %v", lines(hp))
			}
			if worst.Class != tt.want {
				t.Errorf("class %s (%s), want %s; changes %v", worst.Class, worst.Reason, tt.want, lines(hp))
			}
			if !strings.Contains(worst.Reason, tt.reason) {
				t.Errorf("reason %q does not say %q", worst.Reason, tt.reason)
			}
			if hw := hp.worstImpact(); hw.Class < worst.Class {
				t.Errorf("host disruption %s is below its IPVS change's %s", hw.Class, worst.Class)
			}
		})
	}
}
