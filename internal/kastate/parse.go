package kastate

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/clusterctl/clusterctl/internal/ipvs"
)

// MaxDump bounds one dump; larger input is refused.
const MaxDump = 4 << 20

// ErrTooLarge is a dump larger than MaxDump.
var ErrTooLarge = errors.New("keepalived dump too large")

// jsonInstance is one element of keepalived.json. Only the fields used
// are declared; auth_data is deliberately absent.
type jsonInstance struct {
	Data struct {
		IName             string   `json:"iname"`
		Interface         string   `json:"ifp_ifname"`
		MasterPriority    int      `json:"master_priority"`
		LastTransition    float64  `json:"last_transition"`
		VRID              int      `json:"vrid"`
		BasePriority      int      `json:"base_priority"`
		EffectivePriority int      `json:"effective_priority"`
		State             *int     `json:"state"`
		WantState         *int     `json:"wantstate"`
		VIPs              []string `json:"vips"`
	} `json:"data"`
	Stats *Stats `json:"stats"`
}

// ParseJSON parses keepalived.json (keepalived 2.x, json_version 1: a
// top-level array; json_version 2's object with a "vrrp" array is read
// too). An instance without a name or a state is an error: the dump was
// cut short or is not keepalived's.
func ParseJSON(data []byte) ([]Instance, error) {
	if len(data) > MaxDump {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(data))
	}
	var list []jsonInstance
	if err := json.Unmarshal(data, &list); err != nil {
		var v2 struct {
			VRRP []jsonInstance `json:"vrrp"`
		}
		if err2 := json.Unmarshal(data, &v2); err2 != nil || v2.VRRP == nil {
			return nil, fmt.Errorf("keepalived.json: %w", err)
		}
		list = v2.VRRP
	}
	out := make([]Instance, 0, len(list))
	for i, j := range list {
		d := j.Data
		if d.IName == "" || d.State == nil {
			return nil, fmt.Errorf("keepalived.json: instance %d has no iname or state", i+1)
		}
		in := Instance{
			Name: d.IName, State: stateFromNumber(*d.State), VRID: d.VRID, Interface: d.Interface,
			BasePriority: d.BasePriority, EffectivePriority: d.EffectivePriority, MasterPriority: d.MasterPriority,
			LastTransition: unixFloat(d.LastTransition), Stats: j.Stats,
		}
		in.WantState = in.State
		if d.WantState != nil {
			in.WantState = stateFromNumber(*d.WantState)
		}
		for _, v := range d.VIPs {
			if f := strings.Fields(v); len(f) > 0 {
				in.VIPs = append(in.VIPs, f[0])
			}
		}
		out = append(out, in)
	}
	return out, nil
}

// unixFloat turns keepalived's seconds.micro into a time; 0 (never) and
// nonsense stay zero.
func unixFloat(f float64) time.Time {
	if f <= 0 || math.IsNaN(f) || f > 1<<40 {
		return time.Time{}
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e6))*1e3).UTC()
}

// dataLine is one "key = value" line of a data dump, with its indent.
type dataLine struct {
	indent     int
	key, value string
	raw        string
}

func splitLine(raw string) dataLine {
	t := strings.TrimLeft(raw, " \t")
	l := dataLine{indent: len(raw) - len(t), raw: strings.TrimSpace(t)}
	if k, v, ok := strings.Cut(l.raw, " = "); ok {
		l.key, l.value = strings.TrimSpace(k), strings.TrimSpace(v)
	} else {
		l.key = strings.TrimSuffix(strings.TrimSpace(strings.TrimSuffix(l.raw, "=")), " :")
	}
	return l
}

// marker returns the title of a "------< Title >------" line.
func marker(s string) (string, bool) {
	t, ok := strings.CutPrefix(s, "------<")
	if !ok {
		return "", false
	}
	t, ok = strings.CutSuffix(t, ">------")
	return strings.TrimSpace(t), ok
}

// ParseData parses keepalived.data, the VRRP process's data dump
// (keepalived 2.x): the "VRRP Topology" (instances), "VRRP Scripts" and
// "Interfaces" sections. Password lines are skipped. A dump with none of
// those sections is an error (it is not a VRRP data dump, or was cut
// before them).
func ParseData(data []byte) (*View, error) {
	if len(data) > MaxDump {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(data))
	}
	v := &View{Scripts: map[string]Script{}, Interfaces: map[string]Interface{}}
	var (
		section  string
		seen     bool
		inst     *Instance
		script   *Script
		iface    *Interface
		tracking string // "scripts", "interfaces" or "" inside an instance
	)
	flush := func() {
		if script != nil {
			v.Scripts[script.Name] = *script
			script = nil
		}
		if iface != nil {
			v.Interfaces[iface.Name] = *iface
			iface = nil
		}
		inst = nil
		tracking = ""
	}
	for _, raw := range strings.Split(string(data), "\n") {
		l := splitLine(raw)
		if l.raw == "" || strings.HasPrefix(l.key, "Password") {
			continue
		}
		if t, ok := marker(l.raw); ok {
			flush()
			section = t
			switch t {
			case "VRRP Topology", "VRRP Scripts", "Interfaces":
				seen = true
			}
			continue
		}
		switch section {
		case "VRRP Topology":
			if l.key == "VRRP Instance" && l.indent <= 1 {
				flush()
				v.Instances = append(v.Instances, Instance{Name: l.value})
				inst = &v.Instances[len(v.Instances)-1]
				continue
			}
			if inst != nil {
				tracking = readInstanceLine(inst, l, tracking)
			}
		case "VRRP Scripts":
			if l.key == "VRRP Script" && l.indent <= 1 {
				flush()
				script = &Script{Name: l.value}
				continue
			}
			if script != nil {
				switch l.key {
				case "Status":
					script.Good = l.value == "GOOD"
				case "Weight":
					script.Weight = atoiPrefix(l.value)
				case "Init state":
					script.Init = l.value
				}
			}
		case "Interfaces":
			if l.key == "Name" && l.indent <= 1 {
				flush()
				iface = &Interface{Name: l.value}
				continue
			}
			if iface != nil && l.key == "State" {
				// "UP, RUNNING, ..." or "not UP, not RUNNING".
				for _, f := range strings.Split(l.value, ",") {
					switch strings.TrimSpace(f) {
					case "UP":
						iface.Up = true
					case "RUNNING":
						iface.Running = true
					}
				}
			}
		}
	}
	flush()
	if !seen {
		return nil, errors.New("keepalived.data: no VRRP section (not a VRRP data dump, or cut short)")
	}
	return v, nil
}

// readInstanceLine applies one line inside a "VRRP Instance" block and
// returns the tracking list the following lines belong to.
func readInstanceLine(in *Instance, l dataLine, tracking string) string {
	if tracking != "" && l.indent >= 5 {
		// "ens37 weight 0" or "chk_nginx weight -20 reverse".
		f := strings.Fields(l.raw)
		if len(f) >= 3 && f[1] == "weight" {
			t := Tracked{Name: f[0], Weight: atoiPrefix(f[2])}
			if tracking == "scripts" {
				in.TrackScripts = append(in.TrackScripts, t)
			} else {
				in.TrackInterfaces = append(in.TrackInterfaces, t)
			}
			return tracking
		}
	}
	switch l.key {
	case "Tracked scripts":
		return "scripts"
	case "Tracked interfaces":
		return "interfaces"
	case "State":
		in.State = stateFromWord(l.value)
	case "Wantstate":
		in.WantState = stateFromWord(l.value)
	case "Master priority":
		in.MasterPriority = atoiPrefix(l.value)
	case "Number of interface and track script faults":
		in.Faults = atoiPrefix(l.value)
	case "Last transition":
		if f, err := strconv.ParseFloat(strings.Fields(l.value + " ")[0], 64); err == nil {
			in.LastTransition = unixFloat(f)
		}
	case "Interface":
		in.Interface = l.value
	case "Virtual Router ID":
		in.VRID = atoiPrefix(l.value)
	case "Priority":
		in.BasePriority = atoiPrefix(l.value)
	case "Effective priority":
		in.EffectivePriority = atoiPrefix(l.value)
	default:
		if l.indent >= 5 && tracking == "vips" {
			in.VIPs = append(in.VIPs, strings.Fields(l.raw)[0])
			return tracking
		}
		if strings.HasPrefix(l.key, "Virtual IP (") {
			return "vips"
		}
	}
	return ""
}

// atoiPrefix reads the leading integer of s (0 when none).
func atoiPrefix(s string) int {
	f := strings.Fields(s)
	if len(f) == 0 {
		return 0
	}
	n, err := strconv.Atoi(f[0])
	if err != nil {
		return 0
	}
	return n
}

// ParseCheck parses keepalived_check.data, the checker process's data
// dump (keepalived 2.x): every " ------< Virtual server >------" block
// with its "   ------< Real server >------" blocks. A dump without a
// "Virtual server" or "LVS Topology" marker is an error.
func ParseCheck(data []byte) ([]VirtualServer, error) {
	if len(data) > MaxDump {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(data))
	}
	var (
		out  []VirtualServer
		vs   *VirtualServer
		rs   *RealServer
		seen bool
		prot ipvs.Protocol
	)
	closeVS := func() {
		if vs == nil {
			return
		}
		if vs.Group == "" && vs.Key.Protocol == "" {
			vs.Key.Protocol = prot
		}
		if vs.Key.Protocol != "" || vs.Group != "" {
			out = append(out, *vs)
		}
		vs, rs = nil, nil
	}
	for _, raw := range strings.Split(string(data), "\n") {
		l := splitLine(raw)
		if l.raw == "" || strings.HasPrefix(l.key, "Password") {
			continue
		}
		if t, ok := marker(l.raw); ok {
			switch t {
			case "Virtual server":
				closeVS()
				seen = true
				vs, prot = &VirtualServer{}, ipvs.TCP
			case "Real server":
				if vs != nil {
					vs.RealServers = append(vs.RealServers, RealServer{})
					rs = &vs.RealServers[len(vs.RealServers)-1]
				}
			case "LVS Topology":
				seen = true
				closeVS()
			default:
				closeVS()
			}
			continue
		}
		if vs == nil {
			continue
		}
		if rs != nil {
			switch {
			case l.key == "RIP":
				readRIP(rs, l.raw)
			case l.key == "alive":
				rs.Alive = atoiPrefix(l.value) != 0
			case l.key == "num failed checkers":
				rs.FailedCheckers = atoiPrefix(l.value)
			}
			continue
		}
		switch l.key {
		case "VS VIP":
			// "VS VIP = 192.168.19.200, VPORT = 80"
			a, p := commaFields(l.raw, "VS VIP", "VPORT")
			addr, err := netip.ParseAddr(a)
			port, perr := strconv.ParseUint(p, 10, 16)
			if err == nil && perr == nil {
				vs.Key.Addr = netip.AddrPortFrom(addr.Unmap(), uint16(port))
			}
		case "VS FWMARK":
			if n, err := strconv.ParseUint(l.value, 10, 32); err == nil {
				vs.Key = ipvs.ServiceKey{Protocol: ipvs.FWMark, Mark: uint32(n)}
			}
		case "VS GROUP":
			vs.Group = l.value
		case "protocol":
			switch l.value {
			case "UDP":
				prot = ipvs.UDP
			case "TCP":
				prot = ipvs.TCP
			default:
				prot = ipvs.Protocol(strings.ToLower(l.value))
			}
			if vs.Key.Protocol != ipvs.FWMark {
				vs.Key.Protocol = prot
			}
		case "alive":
			vs.Alive = atoiPrefix(l.value) != 0
		case "quorum_state_up":
			vs.QuorumUp = atoiPrefix(l.value) != 0
		}
	}
	closeVS()
	if !seen {
		return nil, errors.New("keepalived_check.data: no virtual server section (not a checker data dump, or cut short)")
	}
	return out, nil
}

// readRIP reads "RIP = 192.168.19.102, RPORT = 80, WEIGHT = 1 EFF WEIGHT = 1".
func readRIP(rs *RealServer, line string) {
	parts := map[string]string{}
	for _, p := range strings.Split(line, ",") {
		k, v, ok := strings.Cut(p, " = ")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		v = strings.TrimSpace(v)
		if k == "WEIGHT" {
			// "1 EFF WEIGHT = 1"
			w, eff, _ := strings.Cut(v, "EFF WEIGHT =")
			parts["WEIGHT"], parts["EFF"] = strings.TrimSpace(w), strings.TrimSpace(eff)
			continue
		}
		parts[k] = v
	}
	addr, err := netip.ParseAddr(parts["RIP"])
	port, perr := strconv.ParseUint(parts["RPORT"], 10, 16)
	if err == nil && perr == nil {
		rs.Addr = netip.AddrPortFrom(addr.Unmap(), uint16(port))
	}
	rs.Weight = atoiPrefix(parts["WEIGHT"])
	rs.EffectiveWeight = atoiPrefix(parts["EFF"])
}

// commaFields reads "K1 = a, K2 = b" into a and b.
func commaFields(line, k1, k2 string) (string, string) {
	var a, b string
	for _, p := range strings.Split(line, ",") {
		k, v, ok := strings.Cut(p, " = ")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case k1:
			a = strings.TrimSpace(v)
		case k2:
			b = strings.TrimSpace(v)
		}
	}
	return a, b
}
