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
	"github.com/clusterctl/clusterctl/internal/resource"
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

// section is one header with its raw body.
type section struct {
	kind string
	args []string
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

// Parse reads the output of Script(req, token). Lines before the facts
// header are ignored (sudo or login noise). The header names the encoding
// of the stream that follows, up to the trailer line; the decoded stream is
// a sequence of sections, each a header line that starts with the token,
// then the raw body. Unknown sections are ignored. A stream without its end
// section, or output without the trailer, is ErrTruncated; malformed
// sections are a *ParseError.
//
// Bodies are raw, so content could forge a section only by containing the
// token: NewToken's tokens are random per run (128 bits), and the script
// never prints the token except in headers.
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
	stdout := map[string][]byte{}
	contents := map[string][]byte{}
	var ipvsHeader, servicesHeader *section
	for i := range secs {
		s := &secs[i]
		fail := func(format string, a ...any) error {
			return &ParseError{Section: s.name(), Msg: fmt.Sprintf(format, a...)}
		}
		switch s.kind {
		case "out":
			if len(s.args) != 1 {
				return nil, fail("want NAME")
			}
			if _, dup := stdout[s.args[0]]; dup || cmds[s.args[0]] != nil {
				return nil, fail("duplicate section")
			}
			stdout[s.args[0]] = s.body
		case "cmd":
			if len(s.args) != 2 {
				return nil, fail("want NAME STATUS")
			}
			if cmds[s.args[0]] != nil {
				return nil, fail("duplicate section")
			}
			c := &command{stderr: s.body}
			if s.args[1] == "missing" {
				c.missing = true
			} else if rc, ok := strings.CutPrefix(s.args[1], "rc="); ok {
				if c.rc, err = strconv.Atoi(rc); err != nil || c.rc < 0 || c.rc > 255 {
					return nil, fail("invalid exit status %q", rc)
				}
				c.stdout = stdout[s.args[0]]
			} else {
				return nil, fail("invalid status %q", s.args[1])
			}
			cmds[s.args[0]] = c
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
		case "services":
			servicesHeader = s
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
		case "content":
			if len(s.args) != 1 || !validPath(s.args[0]) {
				return nil, fail("invalid content header")
			}
			if _, dup := contents[s.args[0]]; dup {
				return nil, fail("duplicate section")
			}
			contents[s.args[0]] = s.body
		case "manifest":
			if len(s.args) == 1 && s.args[0] == "present" {
				m, err := resource.ParseManifest(s.body)
				if err != nil {
					var me *resource.ManifestError
					errors.As(err, &me)
					return nil, &ParseError{Section: "manifest", Line: me.Line, Msg: fmt.Sprintf("want KIND KEY, got %.80q", me.Text)}
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
	if err := fileMetadata(h, cmds["stat"], contents); err != nil {
		return nil, err
	}
	if err := interpretServices(h, servicesHeader, cmds); err != nil {
		return nil, err
	}
	if err := interpret(h, cmds, ipvsHeader); err != nil {
		return nil, err
	}
	return h, nil
}

// split finds the facts header, decodes the stream up to the trailer and
// cuts it into sections.
func split(out []byte, token string) ([]section, error) {
	prefix := []byte(token + " ")
	header := func(line []byte) []string {
		if !bytes.HasPrefix(line, prefix) {
			return nil
		}
		return strings.Fields(string(line[len(prefix):]))
	}
	lineNo := 0
	next := func() []byte {
		var line []byte
		line, out, _ = bytes.Cut(out, []byte{'\n'})
		lineNo++
		return line
	}
	var enc string
	for enc == "" {
		if len(out) == 0 {
			return nil, ErrTruncated
		}
		line := next()
		if len(line) > maxLine {
			return nil, &ParseError{Section: "output", Line: lineNo, Msg: "line too long"}
		}
		f := header(line)
		if f == nil {
			continue
		}
		if len(f) != 3 || f[0] != "facts" || f[1] != "v=2" {
			return nil, &ParseError{Section: f0(f), Line: lineNo, Msg: "output does not start with the facts v=2 header"}
		}
		enc = strings.TrimPrefix(f[2], "enc=")
		if enc != "b64" && enc != "hex" {
			return nil, &ParseError{Section: "facts", Line: lineNo, Msg: fmt.Sprintf("unknown encoding %q", f[2])}
		}
	}
	var encoded []byte
	for {
		if len(out) == 0 {
			return nil, ErrTruncated
		}
		line := next()
		if len(line) > maxLine {
			return nil, &ParseError{Section: "output", Line: lineNo, Msg: "line too long"}
		}
		if f := header(line); f != nil {
			if len(f) == 1 && f[0] == "done" {
				break
			}
			return nil, &ParseError{Section: f0(f), Line: lineNo, Msg: "header inside the encoded stream"}
		}
		encoded = append(encoded, bytes.TrimSpace(line)...)
	}
	stream, err := decode(encoded, enc)
	if err != nil {
		return nil, &ParseError{Section: "output", Msg: err.Error()}
	}
	return sections(stream, token)
}

// f0 is the first header field, for naming a section in an error.
func f0(f []string) string {
	if len(f) == 0 {
		return "output"
	}
	return f[0]
}

// sections cuts the decoded stream into sections. Every header is
// preceded by a newline that belongs to no body, so a body ends right
// before "\n" + token + " ".
func sections(stream []byte, token string) ([]section, error) {
	sep := []byte("\n" + token + " ")
	if !bytes.HasPrefix(stream, sep) {
		return nil, &ParseError{Section: "output", Msg: "stream does not start with a section"}
	}
	var secs []section
	for rest := stream; len(rest) > 0; {
		hdr, body, ok := bytes.Cut(rest[len(sep):], []byte{'\n'})
		if !ok {
			return nil, ErrTruncated
		}
		if len(hdr) > maxLine {
			return nil, &ParseError{Section: "output", Msg: "header too long"}
		}
		f := strings.Fields(string(hdr))
		if len(f) == 0 {
			return nil, &ParseError{Section: "output", Msg: "empty header"}
		}
		rest = nil
		if i := bytes.Index(body, sep); i >= 0 {
			body, rest = body[:i], body[i:]
		}
		s := section{kind: f[0], args: f[1:], body: body}
		if len(body) > maxSection {
			return nil, &ParseError{Section: s.name(), Msg: "section too large"}
		}
		if s.kind == "end" {
			return secs, nil
		}
		secs = append(secs, s)
	}
	return nil, ErrTruncated
}

// decode decodes the stream (whitespace already removed line by line).
func decode(body []byte, enc string) ([]byte, error) {
	if len(body) == 0 {
		return nil, nil
	}
	if enc == "hex" {
		s := strings.Join(strings.Fields(string(body)), "")
		b, err := hex.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("bad hex stream: %v", err)
		}
		return b, nil
	}
	b := make([]byte, base64.StdEncoding.DecodedLen(len(body)))
	n, err := base64.StdEncoding.Decode(b, body)
	if err != nil {
		return nil, fmt.Errorf("bad base64 stream: %v", err)
	}
	return b[:n], nil
}

// parseFile reads a file header ("PATH exists=0", "PATH type=other",
// "PATH regular"); the metadata and content of a regular file come later,
// from fileMetadata.
func parseFile(s *section) (FileFact, error) {
	switch args := s.args[1:]; {
	case len(args) == 1 && args[0] == "exists=0":
		return FileFact{}, nil
	case len(args) == 1 && args[0] == "type=other":
		return FileFact{Exists: true, Other: true}, nil
	case len(args) == 1 && args[0] == "regular":
		// Error until fileMetadata finds its stat line and content.
		return FileFact{Exists: true, Error: true}, nil
	default:
		return FileFact{}, fmt.Errorf("invalid file header %q", strings.Join(args, " "))
	}
}

// fileMetadata completes the regular files with the stat command's "MODE
// OWNER GROUP SIZE PATH" lines and their contents. A file larger than
// MaxFileSize is TooLarge (its content is not read). A file without a stat
// line, or whose content was not read in full or differs in length from
// what stat said (it changed in between), stays Error, without content.
func fileMetadata(h *Host, c *command, contents map[string][]byte) error {
	meta := map[string]FileFact{}
	if c != nil && !c.missing {
		for i, line := range strings.Split(string(c.stdout), "\n") {
			if line == "" {
				continue
			}
			fail := func(format string, a ...any) error {
				return &ParseError{Section: "cmd stat", Line: i + 1, Msg: fmt.Sprintf(format, a...)}
			}
			f := strings.Fields(line)
			if len(f) != 5 || !validPath(f[4]) {
				return fail("want MODE OWNER GROUP SIZE PATH, got %.80q", line)
			}
			mode, err := strconv.ParseUint(f[0], 8, 32)
			if err != nil || mode > 0o7777 {
				return fail("invalid mode %q", f[0])
			}
			size, err := strconv.ParseInt(f[3], 10, 64)
			if err != nil || size < 0 {
				return fail("invalid size %q", f[3])
			}
			meta[f[4]] = FileFact{Exists: true, Mode: uint32(mode), Owner: f[1], Group: f[2], Size: size}
		}
	}
	for p, ff := range h.Files {
		if !ff.Error {
			continue
		}
		m, ok := meta[p]
		content, read := contents[p]
		switch {
		case !ok:
		case m.Size > MaxFileSize:
			m.TooLarge = true
			h.Files[p] = m
		case read && int64(len(content)) == m.Size:
			m.Content = content
			if m.Content == nil {
				m.Content = []byte{}
			}
			h.Files[p] = m
		}
	}
	return nil
}

// interpretServices reads the services' states: from the blocks of the
// one `systemctl show` call, mapped in order to the services the header
// names, or, where show failed (no systemd running), from the per-service
// is-active and is-enabled the script then ran. Without systemctl every
// service is unknown.
func interpretServices(h *Host, hdr *section, cmds map[string]*command) error {
	if hdr == nil || len(hdr.args) == 0 {
		return nil
	}
	c := cmds["services"]
	if c == nil || c.missing {
		for _, name := range hdr.args {
			h.Services[name] = ServiceState{}
		}
		return nil
	}
	var blocks []map[string]string
	if c.rc == 0 {
		for _, block := range strings.Split(strings.TrimSpace(string(c.stdout)), "\n\n") {
			props := map[string]string{}
			for _, line := range strings.Split(block, "\n") {
				if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
					props[k] = v
				}
			}
			blocks = append(blocks, props)
		}
		if len(blocks) != len(hdr.args) {
			return &ParseError{Section: "cmd services", Msg: fmt.Sprintf("systemctl show printed %d blocks for %d services", len(blocks), len(hdr.args))}
		}
	}
	for i, name := range hdr.args {
		var st ServiceState
		if blocks != nil {
			st = ServiceState{Known: true, ActiveState: blocks[i]["ActiveState"], EnabledState: blocks[i]["UnitFileState"]}
			if blocks[i]["LoadState"] == "not-found" && st.EnabledState == "" {
				st.EnabledState = "not-found"
			}
		} else if a := cmds["svc-active:"+name]; a != nil && !a.missing {
			st = ServiceState{Known: true, ActiveState: firstLine(a.stdout)}
			if e := cmds["svc-enabled:"+name]; e != nil && !e.missing {
				st.EnabledState = firstLine(e.stdout)
			}
		}
		st.Active = st.ActiveState == "active"
		switch st.EnabledState {
		case "enabled", "enabled-runtime", "static", "alias", "generated":
			st.Enabled = true
		}
		h.Services[name] = st
	}
	return nil
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
	h.KeepalivedVersion = upstreamVersion(h.Packages["keepalived"])
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
		if len(msg) > 80 {
			msg = msg[:80] + "..."
		}
		h.IPVSStatus = Status{State: state, Message: msg}
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

// upstreamVersion is the upstream part of a package version: "2.2.7"
// for dpkg's "1:2.2.7-1+b2" or rpm's "2.2.7-3.el9"; "" for "".
func upstreamVersion(v string) string {
	if _, after, ok := strings.Cut(v, ":"); ok {
		v = after
	}
	if i := strings.LastIndex(v, "-"); i > 0 {
		v = v[:i]
	}
	return v
}
