package ipvs

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// Stats is observed IPVS statistics, kept apart from the Table (identity
// and settings): they change all the time and are never diffed.
type Stats struct {
	Services []ServiceStats // sorted by key
}

// ServiceStats are the statistics of one virtual service.
type ServiceStats struct {
	Key       ServiceKey
	Scheduler string   // as listed by ipvsadm -L -n ("" from --stats alone)
	Counters  Counters // from --stats; zero otherwise
	// Destinations are sorted by address.
	Destinations []DestStats
}

// DestStats are the statistics of one destination.
type DestStats struct {
	Addr netip.AddrPort
	// From ipvsadm -L -n: forwarding method (Masq, Route, Tunnel; ipvsadm's
	// "Local" reads as Route), weight and connection counts.
	Forward    string
	Weight     int
	ActiveConn uint64
	InActConn  uint64
	// From ipvsadm -L -n --stats.
	Counters Counters
}

// Counters are cumulative traffic counters (ipvsadm --stats). Without
// --exact, ipvsadm rounds large values to K/M/G/T (powers of 1000); they are
// read back multiplied out.
type Counters struct {
	Conns, InPkts, OutPkts, InBytes, OutBytes uint64
}

// Service returns the statistics of service k, or nil.
func (s *Stats) Service(k ServiceKey) *ServiceStats {
	i := sort.Search(len(s.Services), func(i int) bool { return !KeyLess(s.Services[i].Key, k) })
	if i < len(s.Services) && s.Services[i].Key == k {
		return &s.Services[i]
	}
	return nil
}

// ParseList parses `ipvsadm -L -n` and/or `ipvsadm -L -n --stats [--exact]`
// output. Several listings may be concatenated (each starting with its
// "Prot LocalAddress:Port" title line); entries of the same service and
// destination are merged, so one call can read both the connection counts
// and the traffic counters. --rate and --thresholds listings are rejected.
// Limits and errors are those of ParseSave.
func ParseList(data []byte) (Stats, error) {
	if len(data) > MaxInputBytes {
		return Stats{}, fmt.Errorf("%w: %d bytes (max %d)", ErrInputTooLarge, len(data), MaxInputBytes)
	}
	if n := bytes.Count(data, []byte{'\n'}); n > MaxInputLines {
		return Stats{}, fmt.Errorf("%w: %d lines (max %d)", ErrInputTooLarge, n, MaxInputLines)
	}
	const (
		modeNone = iota
		modeList
		modeStats
	)
	mode := modeNone
	services := make(map[ServiceKey]*ServiceStats)
	var cur *ServiceStats
	lineNo := 0
	for len(data) > 0 {
		var raw []byte
		raw, data, _ = bytes.Cut(data, []byte{'\n'})
		lineNo++
		line := strings.TrimRight(string(raw), " \t\r")
		f := strings.Fields(line)
		fail := func(format string, a ...any) (Stats, error) {
			return Stats{}, &ParseError{Line: lineNo, Msg: fmt.Sprintf(format, a...)}
		}
		switch {
		case len(f) == 0, strings.HasPrefix(line, "IP Virtual Server version"):
			continue
		case f[0] == "Prot":
			switch {
			case strings.Contains(line, "Conns"):
				mode = modeStats
			case strings.Contains(line, "Scheduler"):
				mode = modeList
			default:
				return fail("unsupported listing %q (want -L -n or --stats)", line)
			}
			cur = nil
			continue
		case f[0] == "->" && len(f) >= 2 && f[1] == "RemoteAddress:Port":
			if strings.Contains(line, "CPS") || strings.Contains(line, "Uthreshold") || strings.Contains(line, "PersistConn") {
				return fail("unsupported listing %q", line)
			}
			continue
		}
		if mode == modeNone {
			return fail("entry before the listing title")
		}
		if f[0] == "->" {
			if cur == nil {
				return fail("destination before any service")
			}
			ds, err := parseDestStats(f[1:], mode == modeStats, cur.Key)
			if err != nil {
				return fail("%v", err)
			}
			mergeDest(cur, ds, mode == modeStats)
			continue
		}
		key, rest, err := parseListKey(f)
		if err != nil {
			return fail("%v", err)
		}
		s := services[key]
		if s == nil {
			s = &ServiceStats{Key: key}
			services[key] = s
		}
		cur = s
		if mode == modeList {
			if len(rest) < 1 || !validName(rest[0]) {
				return fail("service line without scheduler")
			}
			s.Scheduler = rest[0]
		} else {
			c, err := parseCounters(rest)
			if err != nil {
				return fail("%v", err)
			}
			s.Counters = c
		}
	}
	var st Stats
	for _, s := range services {
		sort.Slice(s.Destinations, func(i, j int) bool { return s.Destinations[i].Addr.Compare(s.Destinations[j].Addr) < 0 })
		st.Services = append(st.Services, *s)
	}
	sort.Slice(st.Services, func(i, j int) bool { return KeyLess(st.Services[i].Key, st.Services[j].Key) })
	return st, nil
}

func mergeDest(s *ServiceStats, d DestStats, stats bool) {
	for i := range s.Destinations {
		if s.Destinations[i].Addr == d.Addr {
			if stats {
				s.Destinations[i].Counters = d.Counters
			} else {
				c := s.Destinations[i].Counters
				s.Destinations[i] = d
				s.Destinations[i].Counters = c
			}
			return
		}
	}
	s.Destinations = append(s.Destinations, d)
}

// parseListKey parses "TCP ADDR:PORT", "UDP ADDR:PORT", "SCTP ADDR:PORT",
// "FWM MARK [IPv6]"
// and returns the remaining fields.
func parseListKey(f []string) (ServiceKey, []string, error) {
	var k ServiceKey
	if len(f) < 2 {
		return k, nil, errors.New("short service line")
	}
	switch f[0] {
	case "TCP", "UDP", "SCTP":
		k.Protocol = map[string]Protocol{"TCP": TCP, "UDP": UDP, "SCTP": SCTP}[f[0]]
		ap, err := parseAddrPort(f[1], 0, false)
		if err != nil {
			return k, nil, fmt.Errorf("invalid service address %q", f[1])
		}
		k.Addr = ap
		return k, f[2:], nil
	case "FWM":
		m, err := strconv.ParseUint(f[1], 10, 32)
		if err != nil || m == 0 {
			return k, nil, fmt.Errorf("invalid fwmark %q", f[1])
		}
		k.Protocol, k.Mark = FWMark, uint32(m)
		rest := f[2:]
		if len(rest) > 0 && rest[0] == "IPv6" {
			k.IPv6 = true
			rest = rest[1:]
		}
		return k, rest, nil
	}
	return k, nil, fmt.Errorf("unknown protocol %q", f[0])
}

var listForward = map[string]string{"Masq": Masq, "Route": Route, "Local": Route, "Tunnel": Tunnel}

func parseDestStats(f []string, stats bool, k ServiceKey) (DestStats, error) {
	var d DestStats
	if len(f) < 1 {
		return d, errors.New("short destination line")
	}
	ap, err := parseAddrPort(f[0], k.Addr.Port(), true)
	if err != nil {
		return d, fmt.Errorf("invalid destination %q", f[0])
	}
	d.Addr = ap
	if stats {
		d.Counters, err = parseCounters(f[1:])
		return d, err
	}
	if len(f) != 5 {
		return d, fmt.Errorf("destination line has %d fields, want 5", len(f))
	}
	fwd, ok := listForward[f[1]]
	if !ok {
		return d, fmt.Errorf("unknown forwarding method %q", f[1])
	}
	d.Forward = fwd
	if d.Weight, err = parseBounded(f[2], 0, 65535, "weight"); err != nil {
		return d, err
	}
	if d.ActiveConn, err = parseCount(f[3]); err != nil {
		return d, err
	}
	d.InActConn, err = parseCount(f[4])
	return d, err
}

func parseCounters(f []string) (Counters, error) {
	var c Counters
	if len(f) != 5 {
		return c, fmt.Errorf("counter line has %d values, want 5", len(f))
	}
	dst := []*uint64{&c.Conns, &c.InPkts, &c.OutPkts, &c.InBytes, &c.OutBytes}
	for i, s := range f {
		v, err := parseCount(s)
		if err != nil {
			return c, err
		}
		*dst[i] = v
	}
	return c, nil
}

// parseCount parses a decimal count with an optional K/M/G/T suffix.
func parseCount(s string) (uint64, error) {
	mult := uint64(1)
	if n := len(s); n > 1 {
		switch s[n-1] {
		case 'K':
			mult = 1e3
		case 'M':
			mult = 1e6
		case 'G':
			mult = 1e9
		case 'T':
			mult = 1e12
		}
		if mult != 1 {
			s = s[:n-1]
		}
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v > ^uint64(0)/mult {
		return 0, fmt.Errorf("invalid count %q", s)
	}
	return v * mult, nil
}
