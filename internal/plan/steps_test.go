package plan

import (
	"fmt"
	"slices"
	"testing"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/render"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/secret"
	"github.com/google/go-cmp/cmp"
)

// loadExample loads and renders an example of examples/lab-19.x.
func loadExample(t *testing.T, name string) (*config.Config, map[string]*resource.Host) {
	t.Helper()
	cfg, diags := config.NewLoader().Load("../../examples/lab-19.x/"+name, config.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("load %s: %s", name, diags.Error())
	}
	desired, err := render.Render(cfg)
	if err != nil {
		t.Fatalf("render %s: %v", name, err)
	}
	return cfg, desired
}

// simulate applies a host plan to o the way apply would change the host,
// including the manifest apply writes at the end.
func simulate(t *testing.T, o *Observed, desired *resource.Host, hp HostPlan) {
	t.Helper()
	if o.Packages == nil {
		o.Packages, o.Modules, o.Sysctls = map[string]bool{}, map[string]bool{}, map[string]string{}
		o.Files, o.Services = map[string]ObservedFile{}, map[string]ServiceState{}
	}
	for _, c := range hp.Changes {
		switch op := c.Op.(type) {
		case *PackageOp:
			o.Packages[op.Name] = true
		case *ModuleOp:
			o.Modules[op.Name] = true
		case *SysctlOp:
			o.Sysctls[op.Key] = op.After
		case *AddressOp:
			o.Addresses = slices.DeleteFunc(o.Addresses, func(a resource.Address) bool { return a == op.Address })
			if c.Action != Delete {
				o.Addresses = append(o.Addresses, op.Address)
			}
		case *RouteOp:
			o.Routes = slices.DeleteFunc(o.Routes, func(r resource.Route) bool { return r.Dst == op.After.Dst })
			o.Routes = append(o.Routes, op.After)
		case *FileOp:
			if c.Action == Delete {
				delete(o.Files, op.Path)
				continue
			}
			f := op.After
			o.Files[f.Path] = ObservedFile{Exists: true, Content: f.Content, Mode: f.Mode, Owner: f.Owner, Group: f.Group}
		case *NATOp:
			if c.Action == Delete {
				o.NATChainExists, o.NATJump, o.NATRules = false, false, nil
				continue
			}
			o.NATChainExists, o.NATJump, o.NATRules = true, true, slices.Clone(op.After)
		case *IPVSOp:
			applyEdit(t, &o.IPVS, op.Edit)
		case *ServiceOp:
			s := o.Services[op.Name]
			s.Enabled = s.Enabled || op.Enable
			s.Active = s.Active || op.Start
			o.Services[op.Name] = s
		default:
			t.Fatalf("%s: op %T", c.Ref(hp.Host), c.Op)
		}
		if c.Op.Kind() != c.Kind {
			t.Errorf("%s: op of kind %s", c.Ref(hp.Host), c.Op.Kind())
		}
	}
	o.Manifest = resource.Manifest(desired)
}

// applyEdit executes one IPVS edit as ipvsadm would.
func applyEdit(t *testing.T, tab *ipvs.Table, e ipvs.Edit) {
	t.Helper()
	s := tab.Service(e.Service.Key)
	if s == nil && e.Op != ipvs.AddService {
		t.Fatalf("%s: no such service", e)
	}
	switch e.Op {
	case ipvs.AddService:
		if s != nil {
			t.Fatalf("%s: service exists", e)
		}
		tab.Services = append(tab.Services, e.Service)
	case ipvs.EditService:
		d := s.Destinations
		*s = e.Service
		s.Destinations = d
	case ipvs.DeleteService:
		tab.Services = slices.DeleteFunc(tab.Services, func(x ipvs.Service) bool { return x.Key == e.Service.Key })
	case ipvs.AddDest:
		s.Destinations = append(s.Destinations, e.Dest)
	case ipvs.EditDest:
		for i := range s.Destinations {
			if s.Destinations[i].Addr == e.Dest.Addr {
				s.Destinations[i] = e.Dest
			}
		}
	case ipvs.DeleteDest:
		s.Destinations = slices.DeleteFunc(s.Destinations, func(d ipvs.Destination) bool { return d.Addr == e.Dest.Addr })
	}
	tab.Sort()
}

// TestDiffStepsConverge walks the director of lab B through a sequence of
// configurations, Seesaw style: each step's plan is applied to a simulated
// host, and the next plan against the same configuration must be empty.
func TestDiffStepsConverge(t *testing.T) {
	_, rendered := loadExample(t, "lvs-nat")
	base := rendered["dir"]
	masker := secret.Masker{}
	clone := func(h *resource.Host) *resource.Host {
		c := *h
		c.IPVS = ipvs.Table{}
		for _, s := range h.IPVS.Services {
			s.Destinations = slices.Clone(s.Destinations)
			c.IPVS.Services = append(c.IPVS.Services, s)
		}
		c.NATRules = slices.Clone(h.NATRules)
		c.Files = slices.Clone(h.Files)
		return &c
	}
	steps := []struct {
		name   string
		mutate func(h *resource.Host)
		want   []string // changes of the step (effects and notes included)
	}{
		{name: "fresh host", mutate: func(*resource.Host) {}, want: nil /* checked by count below */},
		{
			name: "scheduler rr and a heavier rs1",
			mutate: func(h *resource.Host) {
				h.IPVS.Services[0].Scheduler = "rr"
				h.IPVS.Services[0].Destinations[0].Weight = 3
			},
			want: []string{
				"~ ipvs -t 192.168.47.128:80 [-A -t 192.168.47.128:80 -s wlc -p 3 => -A -t 192.168.47.128:80 -s rr -p 3]",
				"~ ipvs -t 192.168.47.128:80 -> 192.168.19.102:80 [-a -t 192.168.47.128:80 -r 192.168.19.102:80 -m -w 1 => -e -t 192.168.47.128:80 -r 192.168.19.102:80 -m -w 3 -x 0 -y 0]",
			},
		},
		{
			name: "rs2 replaced by rs3, NAT network widened",
			mutate: func(h *resource.Host) {
				h.IPVS.Services[0].Scheduler = "rr"
				h.IPVS.Services[0].Destinations[0].Weight = 3
				h.IPVS.Services[0].Destinations[1].Addr = ap("192.168.19.104:80")
				h.NATRules = []string{"-s 192.168.0.0/16 -j MASQUERADE"}
			},
			want: []string{
				"~ iptables nat CLUSTERCTL-POSTROUTING [-s 192.168.19.0/24 -j MASQUERADE => -s 192.168.0.0/16 -j MASQUERADE]",
				"+ ipvs -t 192.168.47.128:80 -> 192.168.19.104:80 [ => -a -t 192.168.47.128:80 -r 192.168.19.104:80 -m -w 1]",
				"- ipvs -t 192.168.47.128:80 -> 192.168.19.103:80 [-d -t 192.168.47.128:80 -r 192.168.19.103:80 => ]",
			},
		},
		{
			name: "virtual service and NAT removed",
			mutate: func(h *resource.Host) {
				h.IPVS = ipvs.Table{}
				h.NATRules = nil
				h.Files = slices.DeleteFunc(h.Files, func(f resource.File) bool {
					return f.Path == render.IPVSRulesPath || f.Path == render.NATRulesPath
				})
			},
			want: []string{
				fmt.Sprintf("- file /etc/clusterctl/iptables-nat.rules [%d bytes => ]", len(base.File(render.NATRulesPath).Content)),
				fmt.Sprintf("- file /etc/clusterctl/ipvs.rules [%d bytes => ]", len(base.File(render.IPVSRulesPath).Content)),
				"- iptables nat CLUSTERCTL-POSTROUTING [-s 192.168.0.0/16 -j MASQUERADE => ]",
				"- ipvs -t 192.168.47.128:80 [-D -t 192.168.47.128:80 => ]",
			},
		},
	}
	obs := &Observed{}
	for i, st := range steps {
		desired := clone(base)
		st.mutate(desired)
		hp := Diff(desired, obs, masker)
		if i == 0 {
			if len(hp.Changes) < 15 {
				t.Fatalf("step %d (%s): only %d changes on a fresh host: %v", i+1, st.name, len(hp.Changes), lines(hp))
			}
		} else if d := cmp.Diff(st.want, lines(hp)); d != "" {
			t.Errorf("step %d (%s) (-want +got):\n%s", i+1, st.name, d)
		}
		simulate(t, obs, desired, hp)
		if again := Diff(desired, obs, masker); len(again.Changes) != 0 || len(again.Effects) != 0 {
			t.Fatalf("step %d (%s) does not converge; still:\n%v", i+1, st.name, lines(again))
		}
	}
}

func TestDiffStepsConvergeExamples(t *testing.T) {
	for _, ex := range []string{"ha-nginx", "lvs-nat", "lvs-dr", "lvs-tun", "lvs-fullnat", "ha-lvs"} {
		t.Run(ex, func(t *testing.T) {
			_, desired := loadExample(t, ex)
			for name, h := range desired {
				obs := &Observed{}
				hp := Diff(h, obs, secret.Masker{})
				simulate(t, obs, h, hp)
				if again := Diff(h, obs, secret.Masker{}); len(again.Changes) != 0 || len(again.Effects) != 0 {
					t.Errorf("%s does not converge; still:\n%v", name, lines(again))
				}
			}
		})
	}
}
