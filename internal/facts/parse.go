package facts

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/netfilter"
)

// Limits on the untrusted script output.
const (
	// MaxOutput bounds the whole output; larger output is ErrTooLarge.
	MaxOutput = 16 << 20
	// maxSection bounds one section's encoded body.
	maxSection = 12 << 20
	maxLine    = 1 << 20
)

// ErrTooLarge is returned when the output exceeds MaxOutput.
var ErrTooLarge = errors.New("facts output too large")

// ErrTruncated is returned when the output lacks the final end section
// (the script was cut short).
var ErrTruncated = errors.New("facts output truncated")

// ParseError is malformed facts output, located by section and line. Line
// counts within the section's decoded content, or within the whole output
// for header lines.
type ParseError struct {
	Section string
	Line    int
	Msg     string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("facts section %s line %d: %s", e.Section, e.Line, e.Msg)
	}
	return fmt.Sprintf("facts section %s: %s", e.Section, e.Msg)
}

// section is one header with its decoded body.
type section struct {
	kind string
	args []string
	line int // output line of the header
	body []byte
}

// name is how errors name the section.
func (s *section) name() string {
	if len(s.args) > 0 {
		return s.kind + " " + s.args[0]
	}
	return s.kind
}

// command is the outcome of one `run` in the script.
type command struct {
	missing        bool
	rc             int
	stdout, stderr []byte
}

// Parse reads the output of Script(req, token). Lines before the first
// header are ignored (sudo or login noise), as are unknown sections; a
// header line is any line that starts with the token and a space. The
// output must start with the facts header and end with the end header
// (ErrTruncated otherwise). Malformed sections are a *ParseError.
func Parse(out []byte, token string) (*Host, error) {
	if !validToken(token) {
		return nil, errors.New("invalid boundary token")
	}
	if len(out) > MaxOutput {
		return nil, fmt.Errorf("%w: %d bytes (max %d)", ErrTooLarge, len(out), MaxOutput)
	}
	secs, err := split(out, token)
	if err != nil {
		return nil, err
	}
	h := &Host{
		Packages:       map[string]string{},
		Services:       map[string]ServiceState{},
		Sysctls:        map[string]string{},
		MissingSysctls: map[string]bool{},
		Modules:        map[string]bool{},
		Files:          map[string]FileFact{},
		Processes:      map[string]int{},
	}
	cmds := map[string]*command{}
	var ipvsHeader *section
	for i := range secs {
		s := &secs[i]
		fail := func(format string, a ...any) error {
			return &ParseError{Section: s.name(), Line: s.line, Msg: fmt.Sprintf(format, a...)}
		}
		switch s.kind {
		case "cmd":
			if len(s.args) != 2 {
				return nil, fail("want NAME STATUS")
			}
			if cmds[s.args[0]] != nil {
				return nil, fail("duplicate section")
			}
			c := &command{}
			if s.args[1] == "missing" {
				c.missing = true
			} else if rc, ok := strings.CutPrefix(s.args[1], "rc="); ok {
				if c.rc, err = strconv.Atoi(rc); err != nil || c.rc < 0 || c.rc > 255 {
					return nil, fail("invalid exit status %q", rc)
				}
				c.stdout = s.body
			} else {
				return nil, fail("invalid status %q", s.args[1])
			}
			cmds[s.args[0]] = c
		case "err":
			if len(s.args) != 1 || cmds[s.args[0]] == nil {
				return nil, fail("stderr without its command")
			}
			cmds[s.args[0]].stderr = s.body
		case "pkgmgr":
			if len(s.args) != 1 {
				return nil, fail("want one value")
			}
			switch s.args[0] {
			case "apt", "dnf", "yum":
				h.PackageManager = s.args[0]
			case "none":
			default:
				return nil, fail("unknown package manager %q", s.args[0])
			}
		case "sysctl":
			if len(s.args) != 2 {
				return nil, fail("want KEY STATUS")
			}
			switch s.args[1] {
			case "ok":
				h.Sysctls[s.args[0]] = strings.Join(strings.Fields(string(s.body)), " ")
			case "missing":
				h.MissingSysctls[s.args[0]] = true
			default:
				return nil, fail("invalid status %q", s.args[1])
			}
		case "ipvs":
			ipvsHeader = s
		case "file":
			if len(s.args) < 2 || !validPath(s.args[0]) {
				return nil, fail("invalid file header")
			}
			if _, dup := h.Files[s.args[0]]; dup {
				return nil, fail("duplicate section")
			}
			ff, err := parseFile(s)
			if err != nil {
				return nil, fail("%v", err)
			}
			h.Files[s.args[0]] = ff
		case "manifest":
			if len(s.args) == 1 && s.args[0] == "present" {
				m, err := parseManifest(s.body)
				if err != nil {
					return nil, err
				}
				h.Manifest = m
			}
		case "lock":
			if len(s.args) == 1 && s.args[0] == "present" {
				h.LockPresent = true
				h.Lock = string(s.body)
			}
		case "proc":
			if len(s.args) != 2 {
				return nil, fail("want NAME COUNT")
			}
			n, err := strconv.Atoi(s.args[1])
			if err != nil || n < 0 {
				return nil, fail("invalid count %q", s.args[1])
			}
			h.Processes[s.args[0]] = n
		}
	}
	if err := interpret(h, cmds, ipvsHeader); err != nil {
		return nil, err
	}
	return h, nil
}

// split cuts the output into sections and decodes their bodies.
func split(out []byte, token string) ([]section, error) {
	prefix := []byte(token + " ")
	var secs []section
	var cur *section
	var enc string
	var body []byte
	finish := func() error {
		if cur == nil {
			return nil
		}
		var err error
		cur.body, err = decode(body, enc)
		if err != nil {
			return &ParseError{Section: cur.name(), Line: cur.line, Msg: err.Error()}
		}
		body = body[:0]
		return nil
	}
	lineNo, ended := 0, false
	for len(out) > 0 && !ended {
		var line []byte
		line, out, _ = bytes.Cut(out, []byte{'\n'})
		lineNo++
		if len(line) > maxLine {
			return nil, &ParseError{Section: "output", Line: lineNo, Msg: "line too long"}
		}
		if !bytes.HasPrefix(line, prefix) {
			if cur != nil {
				body = append(body, bytes.TrimSpace(line)...)
				if len(body) > maxSection {
					return nil, &ParseError{Section: cur.name(), Line: cur.line, Msg: "section too large"}
				}
			}
			continue
		}
		if err := finish(); err != nil {
			return nil, err
		}
		f := strings.Fields(string(line[len(prefix):]))
		if len(f) == 0 {
			return nil, &ParseError{Section: "output", Line: lineNo, Msg: "empty header"}
		}
		if secs == nil {
			if f[0] != "facts" || len(f) != 3 || f[1] != "v=1" {
				return nil, &ParseError{Section: f[0], Line: lineNo, Msg: "output does not start with the facts v=1 header"}
			}
			enc = strings.TrimPrefix(f[2], "enc=")
			if enc != "b64" && enc != "hex" {
				return nil, &ParseError{Section: "facts", Line: lineNo, Msg: fmt.Sprintf("unknown encoding %q", f[2])}
			}
		}
		ended = f[0] == "end"
		secs = append(secs, section{kind: f[0], args: f[1:], line: lineNo})
		cur = &secs[len(secs)-1]
	}
	if !ended {
		return nil, ErrTruncated
	}
	return secs, finish()
}

// decode decodes a section body (whitespace already removed line by line).
func decode(body []byte, enc string) ([]byte, error) {
	if len(body) == 0 {
		return nil, nil
	}
	if enc == "hex" {
		s := strings.Join(strings.Fields(string(body)), "")
		b, err := hex.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("bad hex body: %v", err)
		}
		return b, nil
	}
	b := make([]byte, base64.StdEncoding.DecodedLen(len(body)))
	n, err := base64.StdEncoding.Decode(b, body)
	if err != nil {
		return nil, fmt.Errorf("bad base64 body: %v", err)
	}
	return b[:n], nil
}

// parseFile reads a file header ("PATH exists=0", "PATH type=other", "PATH
// error", "PATH exists=1 mode=M owner=O group=G size=N [toolarge]").
func parseFile(s *section) (FileFact, error) {
	var ff FileFact
	args := s.args[1:]
	switch {
	case len(args) == 1 && args[0] == "exists=0":
		return ff, nil
	case len(args) == 1 && args[0] == "type=other":
		return FileFact{Exists: true, Other: true}, nil
	case len(args) == 1 && args[0] == "error":
		return FileFact{Exists: true, Error: true}, nil
	case len(args) < 5 || args[0] != "exists=1":
		return ff, fmt.Errorf("invalid file header %q", strings.Join(args, " "))
	}
	ff.Exists = true
	kv := map[string]string{}
	for _, a := range args[1:5] {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return ff, fmt.Errorf("invalid field %q", a)
		}
		kv[k] = v
	}
	mode, err := strconv.ParseUint(kv["mode"], 8, 32)
	if err != nil || mode > 0o7777 {
		return ff, fmt.Errorf("invalid mode %q", kv["mode"])
	}
	size, err := strconv.ParseInt(kv["size"], 10, 64)
	if err != nil || size < 0 {
		return ff, fmt.Errorf("invalid size %q", kv["size"])
	}
	if kv["owner"] == "" || kv["group"] == "" {
		return ff, errors.New("missing owner or group")
	}
	ff.Mode, ff.Owner, ff.Group, ff.Size = uint32(mode), kv["owner"], kv["group"], size
	if len(args) == 6 && args[5] == "toolarge" || len(s.body) > MaxFileSize {
		ff.TooLarge = true
		return ff, nil
	}
	ff.Content = s.body
	if ff.Content == nil {
		ff.Content = []byte{}
	}
	return ff, nil
}

// parseManifest reads "KIND KEY" lines; blank lines and # comments are
// skipped.
func parseManifest(b []byte) ([]ManifestEntry, error) {
	var m []ManifestEntry
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		kind, key, ok := strings.Cut(line, " ")
		key = strings.TrimSpace(key)
		if !ok || kind == "" || key == "" {
			return nil, &ParseError{Section: "manifest", Line: i + 1, Msg: fmt.Sprintf("want KIND KEY, got %q", truncate(line))}
		}
		m = append(m, ManifestEntry{Kind: kind, Key: key})
	}
	if m == nil {
		m = []ManifestEntry{}
	}
	return m, nil
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// interpret turns command outputs into typed facts.
func interpret(h *Host, cmds map[string]*command, ipvsHeader *section) error {
	ok := func(name string) *command {
		if c := cmds[name]; c != nil && !c.missing && c.rc == 0 {
			return c
		}
		return nil
	}
	if c := ok("os-release"); c != nil {
		h.OSID, h.OSVersion = parseOSRelease(c.stdout)
	}
	if c := ok("hostname"); c != nil {
		h.Hostname = strings.TrimSpace(string(c.stdout))
	}
	// dpkg-query and rpm exit non-zero when some package is unknown or
	// not installed; the lines for the others are still valid.
	if c := cmds["pkg-dpkg"]; c != nil && !c.missing {
		h.Packages = parseDpkg(c.stdout)
	} else if c := cmds["pkg-rpm"]; c != nil && !c.missing {
		h.Packages = parseRPM(c.stdout)
	}
	if c := cmds["keepalived-version"]; c != nil && !c.missing {
		h.KeepalivedVersion = parseKeepalivedVersion(c.stdout, c.stderr)
	}
	for name, c := range cmds {
		svc, isActive := strings.CutPrefix(name, "svc-active:")
		if !isActive {
			continue
		}
		var st ServiceState
		if !c.missing {
			st.Known = true
			st.ActiveState = firstLine(c.stdout)
			st.Active = st.ActiveState == "active"
			if e := cmds["svc-enabled:"+svc]; e != nil && !e.missing {
				st.EnabledState = firstLine(e.stdout)
				switch st.EnabledState {
				case "enabled", "enabled-runtime", "static", "alias", "generated":
					st.Enabled = true
				}
			}
		}
		h.Services[svc] = st
	}
	var err error
	if c := ok("ip-addr"); c != nil {
		if h.Addresses, err = parseAddrs(c.stdout); err != nil {
			return err
		}
	}
	if c := ok("ip-link"); c != nil {
		if h.Links, err = parseLinks(c.stdout); err != nil {
			return err
		}
	}
	for _, name := range []string{"ip-route", "ip6-route"} {
		if c := ok(name); c != nil {
			r, err := parseRoutes(name, c.stdout, name == "ip6-route")
			if err != nil {
				return err
			}
			h.Routes = append(h.Routes, r...)
		}
	}
	sortRoutes(h.Routes)
	if c := ok("modules"); c != nil {
		for _, line := range strings.Split(string(c.stdout), "\n") {
			if f := strings.Fields(line); len(f) > 0 {
				h.Modules[f[0]] = true
			}
		}
	}
	if c := ok("sys-module"); c != nil {
		for _, name := range strings.Fields(string(c.stdout)) {
			h.Modules[name] = true
		}
	}
	if err := interpretIPVS(h, cmds, ipvsHeader); err != nil {
		return err
	}
	switch c := cmds["iptables-nat"]; {
	case c == nil || c.missing:
		h.NATStatus = Status{State: StatusNotInstalled, Message: "iptables-save not found"}
	case c.rc != 0:
		h.NATStatus = Status{State: StatusError, Message: firstLine(c.stderr)}
	default:
		ts, err := netfilter.ParseSave(c.stdout)
		if err != nil {
			return &ParseError{Section: "cmd iptables-nat", Msg: err.Error()}
		}
		if t := ts.Get("nat"); t != nil {
			h.NAT = *t
		} else {
			h.NAT = netfilter.Table{Name: "nat"}
		}
		h.NATStatus = Status{State: StatusOK}
	}
	return nil
}

// interpretIPVS classifies IPVS availability and reads the table. Kernel
// support is judged first (nothing can be fixed by installing a package
// there), then the ipvsadm command, then the module being loaded.
func interpretIPVS(h *Host, cmds map[string]*command, hdr *section) error {
	if hdr == nil {
		h.IPVSStatus = Status{State: StatusError, Message: "no ipvs section"}
		return nil
	}
	flags := map[string]string{}
	for _, a := range hdr.args {
		k, v, _ := strings.Cut(a, "=")
		flags[k] = v
	}
	switch {
	case flags["proc"] != "1" && flags["moddir"] != "1":
		h.IPVSStatus = Status{State: StatusNoKernelSupport, Message: "no /proc/net/ip_vs and no ip_vs module"}
		return nil
	case flags["ipvsadm"] != "1":
		h.IPVSStatus = Status{State: StatusNotInstalled, Message: "ipvsadm not found"}
		return nil
	case flags["proc"] != "1":
		h.IPVSStatus = Status{State: StatusNotLoaded, Message: "ip_vs module not loaded"}
		return nil
	}
	c := cmds["ipvsadm-save"]
	switch {
	case c == nil || c.missing:
		h.IPVSStatus = Status{State: StatusNotInstalled, Message: "ipvsadm not found"}
		return nil
	case c.rc != 0:
		msg := strings.TrimSpace(string(c.stderr))
		state := StatusError
		if strings.Contains(msg, "Can't initialize ipvs") || strings.Contains(msg, "Protocol not available") {
			state = StatusNoKernelSupport
		}
		h.IPVSStatus = Status{State: state, Message: truncate(msg)}
		return nil
	}
	t, err := ipvs.ParseSave(c.stdout)
	if err != nil {
		return &ParseError{Section: "cmd ipvsadm-save", Msg: err.Error()}
	}
	h.IPVS = t
	h.IPVSStatus = Status{State: StatusOK}
	var list []byte
	for _, name := range []string{"ipvsadm-list", "ipvsadm-stats"} {
		if c := cmds[name]; c != nil && !c.missing && c.rc == 0 {
			list = append(list, c.stdout...)
		}
	}
	if st, err := ipvs.ParseList(list); err != nil {
		h.IPVSStatsError = err.Error()
	} else {
		h.IPVSStats = st
	}
	return nil
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(s)
}

// parseOSRelease returns ID and VERSION_ID, unquoted.
func parseOSRelease(b []byte) (id, version string) {
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"'`)
		switch k {
		case "ID":
			id = v
		case "VERSION_ID":
			version = v
		}
	}
	return id, version
}

// parseDpkg reads "NAME\tVERSION\tSTATUS" lines; a package is installed
// when the second status letter is 'i'.
func parseDpkg(b []byte) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 || len(f[2]) < 2 || f[2][1] != 'i' || f[0] == "" {
			continue
		}
		m[f[0]] = f[1]
	}
	return m
}

// parseRPM reads "NAME\tVERSION-RELEASE" lines; "package X is not
// installed" lines have no tab and are skipped.
func parseRPM(b []byte) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		name, ver, ok := strings.Cut(line, "\t")
		if ok && name != "" && !strings.Contains(name, " ") {
			m[name] = strings.TrimSpace(ver)
		}
	}
	return m
}

// parseKeepalivedVersion finds "Keepalived v2.2.7 (...)" on stdout or,
// where keepalived prints it, stderr.
func parseKeepalivedVersion(stdout, stderr []byte) string {
	for _, b := range [][]byte{stdout, stderr} {
		f := strings.Fields(firstLine(b))
		if len(f) >= 2 && strings.EqualFold(f[0], "keepalived") && strings.HasPrefix(f[1], "v") {
			return strings.TrimPrefix(f[1], "v")
		}
	}
	return ""
}
