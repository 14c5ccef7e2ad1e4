package facts

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

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
	r := &reader{
		h: &Host{
			Packages:       map[string]string{},
			Services:       map[string]ServiceState{},
			Sysctls:        map[string]string{},
			MissingSysctls: map[string]bool{},
			Modules:        map[string]bool{},
			Files:          map[string]FileFact{},
			Processes:      map[string]int{},
		},
		cmds: map[string]*command{}, stdout: map[string][]byte{}, contents: map[string][]byte{},
	}
	for i := range secs {
		if err := r.read(&secs[i]); err != nil {
			return nil, err
		}
	}
	if err := fileMetadata(r.h, r.cmds["stat"], r.contents); err != nil {
		return nil, err
	}
	if err := interpretServices(r.h, r.servicesHeader, r.cmds); err != nil {
		return nil, err
	}
	if err := interpret(r.h, r.cmds, r.ipvsHeader); err != nil {
		return nil, err
	}
	if err := interpretKeepalived(r.h, r.kastateHeader, r.cmds); err != nil {
		return nil, err
	}
	return r.h, nil
}

// reader gathers the sections of one output into a Host; what needs
// several sections (commands and their output, file metadata and
// contents, the IPVS and services headers) is kept until all are read.
type reader struct {
	h                          *Host
	cmds                       map[string]*command
	stdout, contents           map[string][]byte
	ipvsHeader, servicesHeader *section
	kastateHeader              *section
}

// read takes one section. Unknown kinds are ignored.
func (r *reader) read(s *section) error {
	fail := func(format string, a ...any) error {
		return &ParseError{Section: s.name(), Msg: fmt.Sprintf(format, a...)}
	}
	h := r.h
	switch s.kind {
	case "out":
		if len(s.args) != 1 {
			return fail("want NAME")
		}
		if _, dup := r.stdout[s.args[0]]; dup || r.cmds[s.args[0]] != nil {
			return fail("duplicate section")
		}
		r.stdout[s.args[0]] = s.body
	case "cmd":
		return r.command(s, fail)
	case "pkgmgr":
		if len(s.args) != 1 {
			return fail("want one value")
		}
		switch s.args[0] {
		case "apt", "dnf", "yum":
			h.PackageManager = s.args[0]
		case "none":
		default:
			return fail("unknown package manager %q", s.args[0])
		}
	case "sysctl":
		if len(s.args) != 2 {
			return fail("want KEY STATUS")
		}
		switch s.args[1] {
		case "ok":
			h.Sysctls[s.args[0]] = strings.Join(strings.Fields(string(s.body)), " ")
		case "missing":
			h.MissingSysctls[s.args[0]] = true
		default:
			return fail("invalid status %q", s.args[1])
		}
	case "ipvs":
		r.ipvsHeader = s
	case "services":
		r.servicesHeader = s
	case "kastate":
		r.kastateHeader = s
	case "file":
		if len(s.args) < 2 || !validPath(s.args[0]) {
			return fail("invalid file header")
		}
		if _, dup := h.Files[s.args[0]]; dup {
			return fail("duplicate section")
		}
		ff, err := parseFile(s)
		if err != nil {
			return fail("%v", err)
		}
		h.Files[s.args[0]] = ff
	case "content":
		if len(s.args) != 1 || !validPath(s.args[0]) {
			return fail("invalid content header")
		}
		if _, dup := r.contents[s.args[0]]; dup {
			return fail("duplicate section")
		}
		r.contents[s.args[0]] = s.body
	case "manifest":
		if len(s.args) == 1 && s.args[0] == "present" {
			m, err := resource.ParseManifest(s.body)
			var me *resource.ManifestError
			if errors.As(err, &me) {
				return &ParseError{Section: "manifest", Line: me.Line, Msg: fmt.Sprintf("want KIND KEY, got %.80q", me.Text)}
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
			return fail("want NAME COUNT")
		}
		n, err := strconv.Atoi(s.args[1])
		if err != nil || n < 0 {
			return fail("invalid count %q", s.args[1])
		}
		h.Processes[s.args[0]] = n
	}
	return nil
}

// command takes a "cmd NAME STATUS" section: the exit status and stderr
// of a command whose stdout came in an "out NAME" section before it.
func (r *reader) command(s *section, fail func(string, ...any) error) error {
	if len(s.args) != 2 {
		return fail("want NAME STATUS")
	}
	if r.cmds[s.args[0]] != nil {
		return fail("duplicate section")
	}
	c := &command{stderr: s.body}
	if s.args[1] == "missing" {
		c.missing = true
	} else if rc, ok := strings.CutPrefix(s.args[1], "rc="); ok {
		var err error
		if c.rc, err = strconv.Atoi(rc); err != nil || c.rc < 0 || c.rc > 255 {
			return fail("invalid exit status %q", rc)
		}
		c.stdout = r.stdout[s.args[0]]
	} else {
		return fail("invalid status %q", s.args[1])
	}
	r.cmds[s.args[0]] = c
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
	switch c := cmds["iptables-filter"]; {
	case c == nil:
	case c.missing:
		h.FilterStatus = Status{State: StatusNotInstalled, Message: "iptables-save not found"}
	case c.rc != 0:
		h.FilterStatus = Status{State: StatusError, Message: firstLine(c.stderr)}
	default:
		ts, err := netfilter.ParseSave(c.stdout)
		if err != nil {
			return &ParseError{Section: "cmd iptables-filter", Msg: err.Error()}
		}
		if t := ts.Get("filter"); t != nil {
			h.Filter = *t
		} else {
			h.Filter = netfilter.Table{Name: "filter"}
		}
		h.FilterStatus = Status{State: StatusOK}
	}
	switch c := cmds["nft-table"]; {
	case c == nil:
	case c.missing:
		h.NFTStatus = Status{State: StatusNotInstalled, Message: "nft not found"}
	case c.rc != 0:
		h.NFTStatus = Status{State: StatusError, Message: firstLine(c.stderr)}
	default:
		table, chains, err := netfilter.NFTChains(c.stdout)
		if err != nil {
			return &ParseError{Section: "cmd nft-table", Msg: err.Error()}
		}
		h.NFTTable, h.NFT, h.NFTStatus = table, chains, Status{State: StatusOK}
	}
	if rt, pm := ok("firewalld-runtime"), ok("firewalld-permanent"); rt != nil && pm != nil {
		h.Firewalld = true
		h.RichRules = nonEmptyLines(rt.stdout)
		h.PermanentRichRules = nonEmptyLines(pm.stdout)
	} else if cmds["firewalld-runtime"] != nil {
		return &ParseError{Section: "cmd firewalld-runtime", Msg: "firewall-cmd could not list the rich rules"}
	}
	return nil
}

// nonEmptyLines are the trimmed, non-empty lines of b.
func nonEmptyLines(b []byte) []string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(s)
}
