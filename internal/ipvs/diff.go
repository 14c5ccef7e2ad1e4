package ipvs

import (
	"net/netip"
	"strings"
)

// Op is the kind of one IPVS edit, named after the ipvsadm command it runs.
type Op string

// Edit operations.
const (
	AddService    Op = "-A"    // add Service (settings only; its destinations follow as AddDest)
	EditService   Op = "-E"    // change Service's scheduler, flags, persistence, netmask, engine or -o
	DeleteService Op = "-D"    // delete Service and, with it, all its destinations
	AddDest       Op = "-a"    // add Dest to Service
	EditDest      Op = "-e"    // change Dest's weight, thresholds, forwarding method or tunnel
	DeleteDest    Op = "-d"    // delete Dest from Service
	SetTimeouts   Op = "--set" // set the connection timeouts to Timeouts
)

// Edit is one minimal change to an IPVS table.
//
// Service always carries the key; for AddService and EditService it also
// carries the desired settings (Destinations is always nil). Dest is the
// desired destination for AddDest and EditDest, the observed one for
// DeleteDest, and zero for service operations. Before holds the observed
// settings (EditService) and BeforeDest the observed destination (EditDest),
// so a plan can show what changes; they are zero otherwise. SetTimeouts
// carries the desired Timeouts (zero fields: left alone) and the observed
// ones in BeforeTimeouts; its Service is zero.
type Edit struct {
	Op             Op
	Service        Service
	Dest           Destination
	Before         Service
	BeforeDest     Destination
	Timeouts       Timeouts
	BeforeTimeouts Timeouts
}

// Args returns the ipvsadm arguments that perform e, e.g.
// ["-a", "-t", "192.168.47.128:80", "-r", "192.168.19.102:80", "-m", "-w", "1"].
// ipvsadm -E/-e replace every setting of the entry, so EditService carries
// the complete desired settings (no -p means persistence off), and EditDest
// always states -x and -y.
func (e Edit) Args() []string {
	if e.Op == SetTimeouts {
		return timeoutArgs(e.Timeouts)
	}
	a := append([]string{string(e.Op)}, e.Service.Key.Args()...)
	switch e.Op {
	case AddService, EditService:
		a = append(a, serviceArgs(e.Service)...)
	case AddDest:
		a = append(a, destArgs(e.Dest, false)...)
	case EditDest:
		a = append(a, destArgs(e.Dest, true)...)
	case DeleteDest:
		a = append(a, "-r", e.Dest.Addr.String())
	}
	return a
}

// String returns e as one line (without newline) for an `ipvsadm -R` batch:
// ipvsadm-restore accepts -E, -e, -D and -d lines as well as -A and -a.
// Every argument is free of spaces and shell metacharacters.
func (e Edit) String() string { return strings.Join(e.Args(), " ") }

// serviceSettingsEqual compares the settings an -E can change, after
// normalisation: scheduler, scheduler flags, persistence, timeout,
// netmask, persistence engine, one-packet scheduling. It ignores the key
// (callers match keys first) and the destinations.
func serviceSettingsEqual(a, b Service) bool {
	a.Destinations, b.Destinations = nil, nil
	a.Normalize()
	b.Normalize()
	return a.Scheduler == b.Scheduler && a.Flags == b.Flags && a.Persistent == b.Persistent &&
		a.Timeout == b.Timeout && a.Netmask == b.Netmask && a.PE == b.PE && a.OnePacket == b.OnePacket
}

// timeoutsDiffer reports whether a timeout desired sets (nonzero) differs
// from the observed one.
func timeoutsDiffer(desired, observed Timeouts) bool {
	return desired.TCP != 0 && desired.TCP != observed.TCP ||
		desired.TCPFin != 0 && desired.TCPFin != observed.TCPFin ||
		desired.UDP != 0 && desired.UDP != observed.UDP
}

// destEqual compares the settings an -e can change, after normalisation:
// forwarding method, weight, upper and lower threshold, tunnel type, port
// and checksum. The address is the
// identity and is matched first; statistics are not part of Destination.
func destEqual(a, b Destination) bool {
	a.Normalize()
	b.Normalize()
	return a == b
}

// Diff returns the minimal edits that turn observed into desired, in the
// style of Seesaw and kube-proxy: services and destinations are matched by
// key, then three passes run.
//
//  1. Add/update, services in desired key order: a missing service is
//     added (AddService) followed by all its destinations (AddDest); an
//     existing one whose settings differ is edited (EditService); then its
//     new destinations are added and changed ones edited (EditDest).
//  2. Delete destinations of services that stay (DeleteDest).
//  3. Delete services that are not desired (DeleteService), which takes
//     their destinations with them.
//
// Before them, when a timeout desired sets differs from the observed one,
// one SetTimeouts edit sets them (timeouts desired leaves at zero stay as
// they are).
//
// So new capacity is in place before old capacity goes. Diff never flushes
// (-C). Comparisons use normalised values (see Normalize) and ignore nothing
// in Service or Destination. Every observed service not in desired is
// deleted: callers must restrict observed to the services clusterctl owns.
// Neither input is modified; equal tables give no edits.
func Diff(desired, observed Table) []Edit {
	var d, o Table
	d.Services = sortedServices(desired.Services)
	o.Services = sortedServices(observed.Services)

	oIndex := make(map[ServiceKey]int, len(o.Services))
	for i, s := range o.Services {
		oIndex[s.Key] = i
	}
	dKeys := make(map[ServiceKey]bool, len(d.Services))
	var edits, destDeletes []Edit
	if timeoutsDiffer(desired.Timeouts, observed.Timeouts) {
		edits = append(edits, Edit{Op: SetTimeouts, Timeouts: desired.Timeouts, BeforeTimeouts: observed.Timeouts})
	}
	var seen map[netip.AddrPort]bool
	for _, ds := range d.Services {
		dKeys[ds.Key] = true
		key := Service{Key: ds.Key}
		settings := ds
		settings.Destinations = nil
		oi, ok := oIndex[ds.Key]
		if !ok {
			edits = append(edits, Edit{Op: AddService, Service: settings})
			for _, dd := range ds.Destinations {
				edits = append(edits, Edit{Op: AddDest, Service: key, Dest: dd})
			}
			continue
		}
		os := o.Services[oi]
		if !serviceSettingsEqual(ds, os) {
			before := os
			before.Destinations = nil
			edits = append(edits, Edit{Op: EditService, Service: settings, Before: before})
		}
		// Destinations of both sides are sorted by address: merge.
		if seen == nil {
			seen = make(map[netip.AddrPort]bool)
		}
		clear(seen)
		oDests := os.Destinations
		j := 0
		for _, dd := range ds.Destinations {
			for j < len(oDests) && oDests[j].Addr.Compare(dd.Addr) < 0 {
				destDeletes = append(destDeletes, Edit{Op: DeleteDest, Service: key, Dest: oDests[j]})
				j++
			}
			if seen[dd.Addr] {
				continue // duplicate in desired: first one wins
			}
			seen[dd.Addr] = true
			if j < len(oDests) && oDests[j].Addr == dd.Addr {
				if !destEqual(dd, oDests[j]) {
					edits = append(edits, Edit{Op: EditDest, Service: key, Dest: dd, BeforeDest: oDests[j]})
				}
				j++
				continue
			}
			edits = append(edits, Edit{Op: AddDest, Service: key, Dest: dd})
		}
		for ; j < len(oDests); j++ {
			destDeletes = append(destDeletes, Edit{Op: DeleteDest, Service: key, Dest: oDests[j]})
		}
	}
	edits = append(edits, destDeletes...)
	for _, os := range o.Services {
		if !dKeys[os.Key] {
			edits = append(edits, Edit{Op: DeleteService, Service: Service{Key: os.Key}})
		}
	}
	return edits
}

// sortedServices returns the services in key order with destinations in
// address order, copying only what is out of order.
func sortedServices(in []Service) []Service {
	sorted := true
	for i := range in {
		if i > 0 && !KeyLess(in[i-1].Key, in[i].Key) {
			sorted = false
			break
		}
		if !destsSorted(in[i].Destinations) {
			sorted = false
			break
		}
	}
	if sorted {
		return in
	}
	t := Table{Services: make([]Service, len(in))}
	for i, s := range in {
		s.Destinations = append([]Destination(nil), s.Destinations...)
		t.Services[i] = s
	}
	t.Sort()
	return t.Services
}

func destsSorted(d []Destination) bool {
	for i := 1; i < len(d); i++ {
		if d[i-1].Addr.Compare(d[i].Addr) > 0 {
			return false
		}
	}
	return true
}
