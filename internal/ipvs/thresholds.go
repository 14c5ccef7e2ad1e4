package ipvs

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
)

// Thresholds are a destination's connection limits (-x, -y).
type Thresholds struct {
	Upper, Lower int
}

// DestKey names one destination of one service.
type DestKey struct {
	Service ServiceKey
	Addr    netip.AddrPort
}

// ParseThresholds parses `ipvsadm -L -n --thresholds`: a title line
// "Prot LocalAddress:Port  Uthreshold Lthreshold ActiveConn InActConn",
// "  -> RemoteAddress:Port", then each service line (as in -L -n) and its
// destination lines "  -> ADDR:PORT UPPER LOWER ACTIVE INACTIVE".
// ipvsadm-save does not write thresholds; this listing is where they are
// read back from. Limits and errors are those of ParseSave.
func ParseThresholds(data []byte) (map[DestKey]Thresholds, error) {
	if len(data) > MaxInputBytes {
		return nil, fmt.Errorf("%w: %d bytes (max %d)", ErrInputTooLarge, len(data), MaxInputBytes)
	}
	if n := bytes.Count(data, []byte{'\n'}); n > MaxInputLines {
		return nil, fmt.Errorf("%w: %d lines (max %d)", ErrInputTooLarge, n, MaxInputLines)
	}
	out := map[DestKey]Thresholds{}
	var cur *ServiceKey
	titled := false
	lineNo := 0
	for len(data) > 0 {
		var raw []byte
		raw, data, _ = bytes.Cut(data, []byte{'\n'})
		lineNo++
		line := strings.TrimRight(string(raw), " \t\r")
		f := strings.Fields(line)
		fail := func(format string, a ...any) (map[DestKey]Thresholds, error) {
			return nil, &ParseError{Line: lineNo, Msg: fmt.Sprintf(format, a...)}
		}
		switch {
		case len(f) == 0, strings.HasPrefix(line, "IP Virtual Server version"):
			continue
		case f[0] == "Prot":
			if !strings.Contains(line, "Uthreshold") {
				return fail("not a --thresholds listing: %q", line)
			}
			titled, cur = true, nil
			continue
		case f[0] == "->" && len(f) >= 2 && f[1] == "RemoteAddress:Port":
			continue
		case !titled:
			return fail("entry before the listing title")
		case f[0] == "->":
			if cur == nil {
				return fail("destination before any service")
			}
			if len(f) != 6 {
				return fail("destination line has %d fields, want 6", len(f))
			}
			a, err := parseAddrPort(f[1], cur.Addr.Port(), true)
			if err != nil {
				return fail("invalid destination %q", f[1])
			}
			var t Thresholds
			if t.Upper, err = parseBounded(f[2], 0, 1<<31-1, "upper threshold"); err != nil {
				return fail("%v", err)
			}
			if t.Lower, err = parseBounded(f[3], 0, 1<<31-1, "lower threshold"); err != nil {
				return fail("%v", err)
			}
			k := DestKey{*cur, a}
			if _, dup := out[k]; dup {
				return fail("duplicate destination %s in service %s", a, *cur)
			}
			out[k] = t
			continue
		}
		key, _, err := parseListKey(f)
		if err != nil {
			return fail("%v", err)
		}
		cur = &key
	}
	return out, nil
}

// SetThresholds sets the thresholds of every destination of t listed in
// th (read with ParseThresholds); destinations not listed keep theirs.
func (t *Table) SetThresholds(th map[DestKey]Thresholds) {
	for i := range t.Services {
		s := &t.Services[i]
		for j := range s.Destinations {
			d := &s.Destinations[j]
			if v, ok := th[DestKey{s.Key, d.Addr}]; ok {
				d.Upper, d.Lower = v.Upper, v.Lower
			}
		}
	}
}
