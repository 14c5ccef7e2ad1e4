package lab

import (
	"fmt"
	"net/netip"
	"path/filepath"
)

// record is everything the lab made, as written to StateDir/lab.json. It is
// planned from the Spec before anything is created, so Down can remove a lab
// that Up left half made.
type record struct {
	Name              string `json:"name"`
	StateDir          string `json:"state_dir"`
	BridgeNamespace   string `json:"bridge_namespace"`
	OperatorNamespace string `json:"operator_namespace"`
	// Bridges are the L2 segments, in the bridge namespace.
	Bridges []bridgeRecord `json:"bridges"`
	// Operator are the operator namespace's interfaces, one per bridge.
	Operator []interfaceRecord `json:"operator"`
	Machines []machineRecord   `json:"machines"`
}

// bridgeRecord is one L2 segment.
type bridgeRecord struct {
	Name    string         `json:"name"`    // in the bridge namespace, e.g. br0
	Subnets []netip.Prefix `json:"subnets"` // masked; the first one named the bridge
}

// interfaceRecord is one interface of a machine or of the operator: Name in
// the machine's namespace, its veth peer Veth on Bridge in the bridge
// namespace.
type interfaceRecord struct {
	Name      string         `json:"name"`
	Veth      string         `json:"veth"`
	Bridge    string         `json:"bridge"`
	Addresses []netip.Prefix `json:"addresses"`
}

// machineRecord is one machine and, once started, its processes.
type machineRecord struct {
	Name       string            `json:"name"`
	Namespace  string            `json:"namespace"`
	Interfaces []interfaceRecord `json:"interfaces"`
	Gateway    netip.Addr        `json:"gateway,omitzero"`
	// Flavour is the machine's userland; "" for the host's (Debian).
	Flavour Flavour `json:"flavour,omitempty"`
	// Supervisor is the unshare process holding the machine: killing it
	// kills PID 1 (--kill-child) and with it the whole PID namespace.
	Supervisor process `json:"supervisor,omitzero"`
	// Init is the machine's PID 1, as seen from the host.
	Init process `json:"init,omitzero"`
}

// process identifies a process across pid reuse: a pid is only acted on if
// its start time (clock ticks since boot) still matches.
type process struct {
	PID   int    `json:"pid"`
	Start uint64 `json:"start"`
}

// dir returns the machine's directory under the state dir.
func (m machineRecord) dir(stateDir string) string {
	return filepath.Join(stateDir, "machines", m.Name)
}

// planLab turns a valid spec into the record of what Up will create.
func planLab(s Spec) (record, error) {
	rec := record{
		Name:              s.Name,
		StateDir:          filepath.Clean(s.StateDir),
		BridgeNamespace:   s.Name + "-br",
		OperatorNamespace: s.Name + "-op",
	}
	bridgeOf := map[netip.Prefix]int{} // subnet -> index in rec.Bridges
	// Bridges come from first addresses, so a subnet seen only as a
	// secondary address never creates a segment of its own.
	for _, m := range s.Machines {
		for _, ifc := range m.Interfaces {
			sn := ifc.Addresses[0].Masked()
			if _, ok := bridgeOf[sn]; !ok {
				bridgeOf[sn] = len(rec.Bridges)
				rec.Bridges = append(rec.Bridges, bridgeRecord{Name: fmt.Sprintf("br%d", len(rec.Bridges)), Subnets: []netip.Prefix{sn}})
			}
		}
	}
	used := map[netip.Addr]bool{}
	for _, a := range s.Reserved {
		used[a] = true
	}
	for mi, m := range s.Machines {
		if m.Gateway.IsValid() {
			used[m.Gateway] = true
		}
		mr := machineRecord{Name: m.Name, Namespace: s.Name + "-" + m.Name, Gateway: m.Gateway, Flavour: m.Flavour.recorded()}
		for ii, ifc := range m.Interfaces {
			b := bridgeOf[ifc.Addresses[0].Masked()]
			for _, p := range ifc.Addresses {
				used[p.Addr()] = true
				if _, ok := bridgeOf[p.Masked()]; !ok {
					bridgeOf[p.Masked()] = b
					rec.Bridges[b].Subnets = append(rec.Bridges[b].Subnets, p.Masked())
				}
			}
			mr.Interfaces = append(mr.Interfaces, interfaceRecord{
				Name:      ifc.Name,
				Veth:      fmt.Sprintf("m%dv%d", mi, ii),
				Bridge:    rec.Bridges[b].Name,
				Addresses: append([]netip.Prefix(nil), ifc.Addresses...),
			})
		}
		rec.Machines = append(rec.Machines, mr)
	}
	for bi, br := range rec.Bridges {
		op := interfaceRecord{Name: fmt.Sprintf("lab%d", bi), Veth: fmt.Sprintf("op%d", bi), Bridge: br.Name}
		for _, sn := range br.Subnets {
			a, ok := freeFromTop(sn, used)
			if !ok {
				return record{}, fmt.Errorf("%w: subnet %s has no free address left for the operator", ErrInvalidSpec, sn)
			}
			used[a] = true
			op.Addresses = append(op.Addresses, netip.PrefixFrom(a, sn.Bits()))
		}
		rec.Operator = append(rec.Operator, op)
	}
	return rec, nil
}

// freeFromTop returns the highest host address of subnet sn that is not in
// used, skipping the IPv4 broadcast address.
func freeFromTop(sn netip.Prefix, used map[netip.Addr]bool) (netip.Addr, bool) {
	a := lastAddr(sn)
	// Look at a bounded number of candidates; a lab has far fewer machines.
	for range 1 << 16 {
		if !sn.Contains(a) {
			break
		}
		if isHostAddress(netip.PrefixFrom(a, sn.Bits())) && !used[a] {
			return a, true
		}
		a = a.Prev()
		if !a.IsValid() {
			break
		}
	}
	return netip.Addr{}, false
}
