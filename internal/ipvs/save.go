package ipvs

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Limits on untrusted ipvsadm output. A larger input is rejected with
// ErrInputTooLarge rather than parsed.
const (
	MaxInputBytes = 8 << 20 // 8 MiB
	MaxInputLines = 100_000
)

// ErrInputTooLarge is returned when ipvsadm output exceeds MaxInputBytes or
// MaxInputLines.
var ErrInputTooLarge = errors.New("ipvsadm output too large")

// ParseError is a syntax error on one line of ipvsadm output.
type ParseError struct {
	Line int // 1-based
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// ParseSave parses the output of `ipvsadm-save -n` (equivalently
// `ipvsadm -S -n`): lines `-A SERVICE [options]` adding a virtual service and
// `-a SERVICE -r SERVER [options]` adding a destination to it, where
// SERVICE is `-t ADDR:PORT`, `-u ADDR:PORT`, `--sctp-service ADDR:PORT` or
// `-f MARK [-6]`; and a `--set TCP TCPFIN UDP` line (Save writes one when
// the table has timeouts; ipvsadm-save never does). Long option names
// (--add-service, --tcp-service, ...) are accepted too. Blank lines and
// lines starting with '#' are skipped.
//
// Every setting ipvsadm 1.31 saves is kept: scheduler, persistence,
// netmask, persistence engine (--pe, "pe"), one-packet scheduling (-o,
// "ops"), scheduler flags (-b), forwarding method, weight, and tunnel
// encapsulation (--tun-type, --tun-port, --tun-nocsum, --tun-csum,
// --tun-remcsum). ipvsadm-save does not write thresholds (-x, -y); they
// are parsed when present and read from `ipvsadm -L -n --thresholds` (see
// ParseThresholds) otherwise. The result is normalised (see
// Table.Normalize) and sorted. Hostnames and service names (output
// without -n) are rejected.
//
// Input is untrusted: its size is bounded (ErrInputTooLarge) and every
// syntax error is a *ParseError naming the line.
func ParseSave(data []byte) (Table, error) {
	if len(data) > MaxInputBytes {
		return Table{}, fmt.Errorf("%w: %d bytes (max %d)", ErrInputTooLarge, len(data), MaxInputBytes)
	}
	if n := bytes.Count(data, []byte{'\n'}); n > MaxInputLines {
		return Table{}, fmt.Errorf("%w: %d lines (max %d)", ErrInputTooLarge, n, MaxInputLines)
	}
	var t Table
	index := make(map[ServiceKey]int)
	dests := make(map[ServiceKey]map[netip.AddrPort]bool)
	lineNo := 0
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		lineNo++
		s := strings.TrimSpace(string(line))
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		r, err := parseRule(strings.Fields(s))
		if err != nil {
			return Table{}, &ParseError{Line: lineNo, Msg: err.Error()}
		}
		switch r.cmd {
		case "--set":
			t.Timeouts = r.timeouts
		case "-A":
			if _, dup := index[r.svc.Key]; dup {
				return Table{}, &ParseError{Line: lineNo, Msg: fmt.Sprintf("duplicate service %s", r.svc.Key)}
			}
			index[r.svc.Key] = len(t.Services)
			dests[r.svc.Key] = make(map[netip.AddrPort]bool)
			t.Services = append(t.Services, r.svc)
		case "-a":
			i, ok := index[r.svc.Key]
			if !ok {
				return Table{}, &ParseError{Line: lineNo, Msg: fmt.Sprintf("destination for unknown service %s", r.svc.Key)}
			}
			if dests[r.svc.Key][r.dest.Addr] {
				return Table{}, &ParseError{Line: lineNo, Msg: fmt.Sprintf("duplicate destination %s in service %s", r.dest.Addr, r.svc.Key)}
			}
			dests[r.svc.Key][r.dest.Addr] = true
			t.Services[i].Destinations = append(t.Services[i].Destinations, r.dest)
		default:
			return Table{}, &ParseError{Line: lineNo, Msg: fmt.Sprintf("unexpected command %q in save output", r.cmd)}
		}
	}
	t.Normalize()
	return t, nil
}

// rule is one parsed ipvsadm command line.
type rule struct {
	cmd      string // -A -E -D -a -e -d --set
	svc      Service
	dest     Destination
	timeouts Timeouts // --set
}

var commandNames = map[string]string{
	"-A": "-A", "--add-service": "-A",
	"-E": "-E", "--edit-service": "-E",
	"-D": "-D", "--delete-service": "-D",
	"-a": "-a", "--add-server": "-a",
	"-e": "-e", "--edit-server": "-e",
	"-d": "-d", "--delete-server": "-d",
	"--set": "--set",
}

// parseRule parses the fields of one ipvsadm command line.
func parseRule(f []string) (rule, error) {
	var r rule
	cmd, ok := commandNames[f[0]]
	if !ok {
		return r, fmt.Errorf("unknown command %q", f[0])
	}
	r.cmd = cmd
	if cmd == "--set" {
		return parseSetTimeouts(r, f[1:])
	}
	isDest := cmd == "-a" || cmd == "-e" || cmd == "-d"
	var (
		keySet, v6, rSet, fwdSet bool
		netmask, server, flags   string
		svcOpts, tunOpts         []string // options given, for misplacement errors
	)
	r.dest.Weight = 1 // ipvsadm's default
	next := func(i *int, opt string) (string, error) {
		if *i+1 >= len(f) {
			return "", fmt.Errorf("option %s needs a value", opt)
		}
		*i++
		return f[*i], nil
	}
	setKey := func(p Protocol, v string) error {
		if keySet {
			return errors.New("more than one service given")
		}
		keySet = true
		r.svc.Key.Protocol = p
		if p == FWMark {
			m, err := strconv.ParseUint(v, 10, 32)
			if err != nil || m == 0 {
				return fmt.Errorf("invalid fwmark %q", v)
			}
			r.svc.Key.Mark = uint32(m)
			return nil
		}
		ap, err := parseAddrPort(v, 0, false)
		if err != nil {
			return fmt.Errorf("invalid service address %q: %w", v, err)
		}
		r.svc.Key.Addr = ap
		return nil
	}
	for i := 1; i < len(f); i++ {
		opt := f[i]
		var err error
		var v string
		switch opt {
		case "-t", "--tcp-service", "-u", "--udp-service", "--sctp-service", "-f", "--fwmark-service":
			if v, err = next(&i, opt); err == nil {
				p := map[string]Protocol{"-t": TCP, "--tcp-service": TCP, "-u": UDP, "--udp-service": UDP, "--sctp-service": SCTP}[opt]
				if p == "" {
					p = FWMark
				}
				err = setKey(p, v)
			}
		case "-6", "--ipv6":
			v6 = true
		case "-s", "--scheduler":
			if v, err = next(&i, opt); err == nil {
				if !validName(v) {
					err = fmt.Errorf("invalid scheduler %q", v)
				}
				r.svc.Scheduler = v
			}
		case "-p", "--persistent":
			r.svc.Persistent = true
			if i+1 < len(f) && !strings.HasPrefix(f[i+1], "-") {
				if n, perr := strconv.ParseUint(f[i+1], 10, 31); perr == nil {
					if n == 0 {
						err = errors.New("persistence timeout 0")
					}
					r.svc.Timeout = int(n)
					i++
				}
			}
		case "-M", "--netmask":
			netmask, err = next(&i, opt)
		case "-r", "--real-server":
			server, err = next(&i, opt)
			rSet = true
		case "-g", "--gatewaying", "-i", "--ipip", "-m", "--masquerading":
			if fwdSet {
				err = errors.New("more than one forwarding method given")
			}
			fwdSet = true
			r.dest.Forward = map[string]string{"-g": Route, "--gatewaying": Route, "-i": Tunnel, "--ipip": Tunnel, "-m": Masq, "--masquerading": Masq}[opt]
		case "-w", "--weight":
			if v, err = next(&i, opt); err == nil {
				r.dest.Weight, err = parseBounded(v, 0, 65535, "weight")
			}
		case "-x", "--u-threshold":
			if v, err = next(&i, opt); err == nil {
				r.dest.Upper, err = parseBounded(v, 0, 1<<31-1, "upper threshold")
			}
		case "-y", "--l-threshold":
			if v, err = next(&i, opt); err == nil {
				r.dest.Lower, err = parseBounded(v, 0, 1<<31-1, "lower threshold")
			}
		case "-o", "--ops", "ops":
			r.svc.OnePacket = true
			svcOpts = append(svcOpts, opt)
		case "--pe", "pe":
			if v, err = next(&i, opt); err == nil {
				if !validName(v) {
					err = fmt.Errorf("invalid persistence engine %q", v)
				}
				r.svc.PE = v
				svcOpts = append(svcOpts, opt)
			}
		case "-b", "--sched-flags":
			if flags, err = next(&i, opt); err == nil {
				svcOpts = append(svcOpts, opt)
			}
		case "--tun-type":
			if v, err = next(&i, opt); err == nil {
				switch v {
				case TunIPIP, TunGUE, TunGRE:
					r.dest.TunType = v
				default:
					err = fmt.Errorf("invalid tunnel type %q", v)
				}
				tunOpts = append(tunOpts, opt)
			}
		case "--tun-port":
			if v, err = next(&i, opt); err == nil {
				var p int
				p, err = parseBounded(v, 1, 65535, "tunnel port")
				r.dest.TunPort = uint16(p)
				tunOpts = append(tunOpts, opt)
			}
		case "--tun-nocsum", "--tun-csum", "--tun-remcsum":
			if r.dest.TunCsum != "" {
				err = errors.New("more than one tunnel checksum option given")
			}
			r.dest.TunCsum = map[string]string{"--tun-nocsum": "nocsum", "--tun-csum": TunCsum, "--tun-remcsum": TunRemCsum}[opt]
			tunOpts = append(tunOpts, opt)
		default:
			err = fmt.Errorf("unknown option %q", opt)
		}
		if err != nil {
			return r, err
		}
	}
	if !keySet {
		return r, errors.New("no service (-t, -u or -f) given")
	}
	if v6 {
		if r.svc.Key.Protocol != FWMark {
			return r, errors.New("-6 is only valid with -f")
		}
		r.svc.Key.IPv6 = true
	}
	if isDest {
		if !rSet {
			return r, errors.New("destination without -r")
		}
		if r.svc.Scheduler != "" || r.svc.Persistent || netmask != "" || len(svcOpts) > 0 {
			return r, errors.New("service options on a destination line")
		}
		if len(tunOpts) > 0 && r.dest.Forward != Tunnel {
			return r, fmt.Errorf("tunnel option %s without -i", tunOpts[0])
		}
		ap, err := parseAddrPort(server, r.svc.Key.Addr.Port(), true)
		if err != nil {
			return r, fmt.Errorf("invalid real server %q: %w", server, err)
		}
		r.dest.Addr = ap
		r.dest.Normalize()
		return r, nil
	}
	if rSet || fwdSet || len(tunOpts) > 0 {
		return r, errors.New("destination options on a service line")
	}
	if flags != "" {
		sched := r.svc.Scheduler
		if sched == "" {
			sched = DefaultScheduler
		}
		fl, err := ParseSchedFlags(sched, flags)
		if err != nil {
			return r, err
		}
		r.svc.Flags = fl
	}
	if netmask != "" {
		if !r.svc.Persistent {
			return r, errors.New("netmask without persistence")
		}
		m, err := parseNetmask(netmask, r.svc.Key.IsIPv6())
		if err != nil {
			return r, err
		}
		r.svc.Netmask = m
	}
	r.svc.Normalize()
	return r, nil
}

// parseSetTimeouts parses the three values of `--set TCP TCPFIN UDP`.
func parseSetTimeouts(r rule, f []string) (rule, error) {
	if len(f) != 3 {
		return r, errors.New("--set needs three timeouts (tcp tcpfin udp)")
	}
	dst := []*int{&r.timeouts.TCP, &r.timeouts.TCPFin, &r.timeouts.UDP}
	for i, v := range f {
		n, err := parseBounded(v, 0, maxTimeout, "timeout")
		if err != nil {
			return r, err
		}
		*dst[i] = n
	}
	return r, nil
}

// maxTimeout is the largest timeout ipvsadm --set takes (INT_MAX).
const maxTimeout = 1<<31 - 1

// validName reports whether s is a plausible scheduler name.
func validName(s string) bool {
	if s == "" || len(s) > 16 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func parseBounded(s string, lo, hi int, what string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("invalid %s %q (want %d..%d)", what, s, lo, hi)
	}
	return n, nil
}

// parseAddrPort parses ADDR:PORT or [ADDR6]:PORT; when portOptional, a bare
// address (or [ADDR6]) takes defPort. Zones are rejected.
func parseAddrPort(s string, defPort uint16, portOptional bool) (netip.AddrPort, error) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		if !portOptional {
			return netip.AddrPort{}, err
		}
		a, aerr := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
		if aerr != nil {
			return netip.AddrPort{}, err
		}
		ap = netip.AddrPortFrom(a, defPort)
	}
	if ap.Addr().Zone() != "" {
		return netip.AddrPort{}, errors.New("address zones are not supported")
	}
	return ap, nil
}

// parseNetmask parses -M: a dotted IPv4 mask, or a prefix length.
func parseNetmask(s string, ipv6 bool) (netip.Addr, error) {
	if n, err := strconv.Atoi(s); err == nil {
		max := 32
		if ipv6 {
			max = 128
		}
		if n < 0 || n > max {
			return netip.Addr{}, fmt.Errorf("invalid netmask %q", s)
		}
		return maskFromBits(n, ipv6), nil
	}
	m, err := netip.ParseAddr(s)
	if err != nil || m.Is6() != ipv6 || m.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("invalid netmask %q", s)
	}
	if ipv6 && maskBits(m) < 0 {
		return netip.Addr{}, fmt.Errorf("non-contiguous IPv6 netmask %q", s)
	}
	return m, nil
}

// String formats a key as ipvsadm names it on the command line, e.g.
// "-t 192.168.47.128:80" or "-f 1 -6".
func (k ServiceKey) String() string { return strings.Join(k.Args(), " ") }

// Args returns the arguments that select k on ipvsadm's command line:
// ["-t", "192.168.47.128:80"], ["-u", ...], ["-f", "1"] or ["-f", "1", "-6"].
func (k ServiceKey) Args() []string {
	switch k.Protocol {
	case TCP:
		return []string{"-t", k.Addr.String()}
	case UDP:
		return []string{"-u", k.Addr.String()}
	case SCTP:
		return []string{"--sctp-service", k.Addr.String()}
	case FWMark:
		if k.IPv6 {
			return []string{"-f", strconv.FormatUint(uint64(k.Mark), 10), "-6"}
		}
		return []string{"-f", strconv.FormatUint(uint64(k.Mark), 10)}
	}
	return []string{"-?", string(k.Protocol)}
}

// serviceArgs returns the settings arguments of s (-s, -p, -M, --pe, -o,
// -b), normalised, in the order ipvsadm-save writes them.
func serviceArgs(s Service) []string {
	s.Destinations = nil
	s.Normalize()
	a := []string{"-s", s.Scheduler}
	if s.Persistent {
		a = append(a, "-p", strconv.Itoa(s.Timeout))
		if s.Netmask != fullMask(s.Key.IsIPv6()) {
			if s.Key.IsIPv6() {
				a = append(a, "-M", strconv.Itoa(maskBits(s.Netmask)))
			} else {
				a = append(a, "-M", s.Netmask.String())
			}
		}
		if s.PE != "" {
			a = append(a, "--pe", s.PE)
		}
	}
	if s.OnePacket {
		a = append(a, "-o")
	}
	if s.Flags != 0 {
		a = append(a, "-b", s.Flags.Arg(s.Scheduler))
	}
	return a
}

var forwardFlags = map[string]string{Masq: "-m", Route: "-g", Tunnel: "-i"}

// destArgs returns -r ADDR FWD -w W, plus -x/-y when nonzero or always,
// plus the tunnel options of a GUE or GRE destination (ipip, the
// default, is not written, so that an ipvsadm older than 1.30, which
// has no --tun-type, can still load the line).
func destArgs(d Destination, thresholds bool) []string {
	d.Normalize()
	fwd, ok := forwardFlags[d.Forward]
	if !ok {
		fwd = "-g"
	}
	a := []string{"-r", d.Addr.String(), fwd, "-w", strconv.Itoa(d.Weight)}
	if thresholds || d.Upper != 0 || d.Lower != 0 {
		a = append(a, "-x", strconv.Itoa(d.Upper), "-y", strconv.Itoa(d.Lower))
	}
	if d.Forward == Tunnel && d.TunType != TunIPIP {
		a = append(a, "--tun-type", d.TunType)
		if d.TunPort != 0 {
			a = append(a, "--tun-port", strconv.Itoa(int(d.TunPort)))
		}
		switch d.TunCsum {
		case TunCsum:
			a = append(a, "--tun-csum")
		case TunRemCsum:
			a = append(a, "--tun-remcsum")
		}
	}
	return a
}

// timeoutArgs returns the arguments of `ipvsadm --set` for t.
func timeoutArgs(t Timeouts) []string {
	return []string{"--set", strconv.Itoa(t.TCP), strconv.Itoa(t.TCPFin), strconv.Itoa(t.UDP)}
}

// Save renders t as ipvsadm-restore input in the syntax of `ipvsadm-save
// -n`: a `--set TCP TCPFIN UDP` line when t has timeouts, then services
// in key order, each followed by its destinations in address order, all
// normalised. Destination thresholds are written (-x U -y L) only when one
// is nonzero; ipvsadm-save itself never writes them. The output is
// deterministic and ParseSave(Save(t)) equals t normalised. t is not
// modified.
func (t Table) Save() string {
	var c Table
	c.Services = make([]Service, len(t.Services))
	for i, s := range t.Services {
		s.Destinations = append([]Destination(nil), s.Destinations...)
		c.Services[i] = s
	}
	c.Normalize()
	var b strings.Builder
	if !t.Timeouts.IsZero() {
		b.WriteString(strings.Join(timeoutArgs(t.Timeouts), " ") + "\n")
	}
	for _, s := range c.Services {
		k := s.Key.Args()
		b.WriteString("-A " + strings.Join(k, " ") + " " + strings.Join(serviceArgs(s), " ") + "\n")
		for _, d := range s.Destinations {
			b.WriteString("-a " + strings.Join(k, " ") + " " + strings.Join(destArgs(d, false), " ") + "\n")
		}
	}
	return b.String()
}
