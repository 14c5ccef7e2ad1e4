package adopt

import (
	"fmt"
	"maps"
	"net/netip"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/clusterctl/clusterctl/internal/keepalived"
)

// Result is an imported configuration.
type Result struct {
	// HCL is cluster.hcl, formatted as `clusterctl fmt` writes it.
	HCL []byte
	// Files are the files cluster.hcl reads with file(), by path
	// relative to it ("files/web1/usr/local/sbin/check_ng.sh").
	Files map[string][]byte
	// Findings is the report, hosts in order.
	Findings []Finding
	// Variables are the sensitive variables the configuration declares
	// without a value, and Values what the live hosts use (never
	// written anywhere; Check passes them to the loader).
	Variables []string
	Values    map[string]string
	// Lengths are the lengths of the values as the hosts write them
	// (keepalived uses the first 8 characters).
	Lengths map[string]int
	// Secrets are every secret read from the hosts, for masking.
	Secrets []string
}

// cluster is the reconciled model, before it is written.
type cluster struct {
	hosts     []*hostModel
	global    map[string]globalValue // keepalived {} attribute → value
	checks    map[string]*healthCheck
	instances map[string]*instance
	servers   map[string]*virtualServer
	// groups are the virtual_server_group blocks and trackFiles the
	// track_file blocks, by configuration name.
	groups     map[string]*serverGroup
	trackFiles map[string]*trackFile
	// syncGroups are the vrrp_sync_group blocks, trackProcs the
	// vrrp_track_process ones.
	syncGroups map[string]*syncGroup
	trackProcs map[string]*trackProcess
	bfds       map[string]*bfdInstance
	confMode   map[uint32][]string // keepalived.conf mode → hosts
	findings   []Finding
	vars       map[string]string // variable → live value
	varLen     map[string]int    // variable → length of the value as written
	// pendingPeers are unicast peer lists, checked against the members.
	pendingPeers []peerCheck
	// syncLines are the hosts' global lvs_sync_daemon lines, attached to
	// their instances once every host is read.
	syncLines []syncLine
}

type globalValue struct {
	value any // string, int or []string
	host  string
	pos   string
}

type hostModel struct {
	h          *Host
	interfaces map[string][]netip.Prefix
	services   []string
	files      []fileModel
}

type fileModel struct {
	path    string
	side    string // relative path of the side file
	mode    uint32
	owner   string
	group   string
	hasMeta bool
}

type healthCheck struct {
	name     string
	vrrpName string
	script   string
	ints     map[string]int // interval, weight, fall, rise, timeout
	host     string
	pos      string
}

type instance struct {
	name      string
	first     string // host that defined it first, with pos
	firstPos  string
	shared    map[string]string // canonical shared settings, for conflicts
	iface     string
	vrid      int
	advert    int
	authVar   string
	authLen   int // the length of auth_pass as written
	vips      []netip.Prefix
	nopreempt bool
	preempt   int
	unicast   bool
	notify    map[string]string
	track     []string // health check names
	trackIf   []string
	// trackFiles are the track_file blocks it tracks (names in the
	// configuration), each with the line that named it.
	trackFiles  []string
	trackFileAt []*keepalived.Node
	// trackProcs likewise for track_process blocks.
	trackProcs  []string
	trackProcAt []*keepalived.Node
	garpDelay   int
	// raw are the statements the model lacks, as raw lines.
	raw     []string
	members []member
	// sync is the instance's lvs_sync_daemon, nil for none; syncHosts
	// are the members whose keepalived.conf runs it.
	sync      *syncDaemon
	syncHosts []string
	// routes and rules are its virtual_routes and virtual_rules lines.
	routes []route
	rules  []rule
}

type member struct {
	host     string
	priority int
	state    string
	pos      string
}

// Build reconciles what was read from hosts into one configuration.
func Build(hosts []*Host) (*Result, error) {
	c := &cluster{global: map[string]globalValue{}, checks: map[string]*healthCheck{},
		instances: map[string]*instance{}, servers: map[string]*virtualServer{},
		groups: map[string]*serverGroup{}, trackFiles: map[string]*trackFile{}, syncGroups: map[string]*syncGroup{}, trackProcs: map[string]*trackProcess{}, bfds: map[string]*bfdInstance{},
		confMode: map[uint32][]string{}, vars: map[string]string{}, varLen: map[string]int{}}
	res := &Result{Files: map[string][]byte{}, Values: map[string]string{}, Lengths: map[string]int{}}
	for _, h := range hosts {
		hm := &hostModel{h: h, interfaces: map[string][]netip.Prefix{}}
		c.hosts = append(c.hosts, hm)
		if h.ConfPath == "" {
			continue
		}
		kc, err := keepalived.Load(h.Files, h.ConfPath)
		if err != nil {
			pos := ""
			if e, ok := err.(*keepalived.Error); ok {
				pos = fmt.Sprintf("%s:%d", e.File, e.Line)
				err = fmt.Errorf("%s", e.Msg)
			}
			c.findings = append(c.findings, Finding{Level: Lost, Host: h.Name, Pos: pos, Msg: fmt.Sprintf("keepalived's configuration does not parse (%v): nothing of it was imported", err)})
			continue
		}
		for _, p := range append(kc.Problems, keepalived.Check(kc.Nodes)...) {
			lvl, msg := Lost, p.Msg
			if p.Warning {
				lvl = Info
			}
			if p.Suggestion != "" {
				msg += fmt.Sprintf(" (did you mean %q?); keepalived ignores it, and so does the import", p.Suggestion)
			}
			c.findings = append(c.findings, Finding{Level: lvl, Host: h.Name, Pos: fmt.Sprintf("%s:%d", p.File, p.Line), Keyword: p.Keyword, Msg: msg})
		}
		if m, ok := h.Meta[h.ConfPath]; ok {
			c.confMode[m.Mode] = append(c.confMode[m.Mode], h.Name)
		}
		c.readHost(hm, kc.Nodes)
	}
	for _, hm := range c.hosts {
		c.readIPVS(hm)
	}
	for _, hm := range c.hosts {
		c.readAddrsAndServices(hm)
	}
	c.attachSync()
	c.mergeMembers()
	c.dropDanglingRefs()
	for _, hm := range c.hosts {
		for _, f := range hm.files {
			res.Files[f.side] = hm.h.Files[f.path]
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.vars)) {
		res.Variables = append(res.Variables, name)
		res.Values[name] = c.vars[name]
		res.Lengths[name] = c.varLen[name]
		res.Secrets = append(res.Secrets, c.vars[name])
	}
	for _, h := range hosts {
		for _, p := range slices.Sorted(maps.Keys(h.Files)) {
			for _, s := range authPasses(h.Files[p]) {
				if !slices.Contains(res.Secrets, s) {
					res.Secrets = append(res.Secrets, s)
				}
			}
		}
	}
	c.dropSecretRaw(res.Secrets)
	res.HCL = c.write()
	res.Findings = c.findings
	return res, nil
}

var authPassRE = regexp.MustCompile(`(?m)^[ \t]*auth_pass[ \t]+"?([^\s"]+)"?`)

func authPasses(b []byte) []string {
	var out []string
	for _, m := range authPassRE.FindAllSubmatch(b, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

func (c *cluster) lost(h string, n *keepalived.Node, format string, args ...any) {
	c.findings = append(c.findings, Finding{Level: Lost, Host: h, Pos: n.Pos(), Keyword: n.Keyword, Msg: fmt.Sprintf(format, args...)})
}

func (c *cluster) conflict(h string, n *keepalived.Node, format string, args ...any) {
	pos := ""
	if n != nil {
		pos = n.Pos()
	}
	c.findings = append(c.findings, Finding{Level: Conflict, Host: h, Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// readHost reads one host's keepalived statements into the model.
func (c *cluster) readHost(hm *hostModel, nodes []*keepalived.Node) {
	host := hm.h.Name
	for _, n := range nodes {
		switch n.Keyword {
		case "global_defs":
			c.readGlobal(host, n)
		case "vrrp_script":
			c.readScript(hm, n)
		}
	}
	var rawBlocks []string // top-level blocks the model lacks, as raw lines
	var rawAt *keepalived.Node
	for _, n := range nodes {
		switch n.Keyword {
		case "global_defs", "vrrp_script":
		case "vrrp_instance":
			c.readInstance(hm, n)
		case "virtual_server":
			c.readVirtualServer(hm, n)
		case "virtual_server_group":
			c.readServerGroup(host, n)
		case "track_file", "vrrp_track_file":
			c.readTrackFile(host, n)
		case "bfd_instance":
			c.readBFD(host, n)
		case "vrrp_sync_group":
			c.readSyncGroup(hm, n)
		case "vrrp_track_process":
			c.readTrackProcess(host, n)
		case "include":
		default:
			if lines, ok := rawLines("top", n); ok {
				if len(rawBlocks) == 0 {
					rawAt = n
				}
				rawBlocks = append(rawBlocks, lines...)
				c.findings = append(c.findings, Finding{Level: Info, Host: host, Pos: n.Pos(), Keyword: n.Keyword,
					Msg: fmt.Sprintf("%s has no counterpart in clusterctl's model: kept in keepalived's raw_blocks, which clusterctl passes through unchecked (keepalived -t checks it)", n.Keyword)})
				continue
			}
			if keepalived.Known("top", n.Keyword) {
				c.lost(host, n, "%s has no counterpart in clusterctl's model: it is not in the configuration", n.Keyword)
			}
		}
	}
	if len(rawBlocks) > 0 {
		// As for global_defs' raw lines: hosts that differ are a
		// conflict, a host without any is caught by Check.
		c.setGlobal(host, rawAt, "raw_blocks", strings.Join(rawBlocks, "\n"))
	}
}

func (c *cluster) setGlobal(host string, n *keepalived.Node, attr string, v any) {
	if old, ok := c.global[attr]; ok {
		if fmt.Sprint(old.value) != fmt.Sprint(v) {
			c.conflict(host, n, "global_defs %s is %v here and %v on %s (%s); the configuration has one keepalived block for every host, and keeps %s's", n.Keyword, v, old.value, old.host, old.pos, old.host)
		}
		return
	}
	c.global[attr] = globalValue{value: v, host: host, pos: n.Pos()}
}

func (c *cluster) readGlobal(host string, g *keepalived.Node) {
	var raw []string // statements the model lacks, as raw lines
	for _, n := range g.Children {
		kw := keepalived.CanonicalKeyword("global_defs", n.Keyword)
		switch kw {
		case "notify_fifo", "notify_fifo_script":
			if len(n.Args) != 1 {
				c.lost(host, n, "%s %s: only the path is expressible (not a user or group to run as)", kw, strings.Join(n.Args, " "))
				continue
			}
			c.setGlobal(host, n, kw, n.Args[0])
		case "router_id", "notification_email_from", "smtp_server":
			if len(n.Args) != 1 {
				c.lost(host, n, "%s takes one value", kw)
				continue
			}
			c.setGlobal(host, n, kw, n.Args[0])
		case "smtp_connect_timeout":
			v, err := strconv.Atoi(n.Arg(0))
			if err != nil {
				c.lost(host, n, "smtp_connect_timeout %q is not a number of seconds", n.Arg(0))
				continue
			}
			c.setGlobal(host, n, kw, v)
		case "notification_email":
			var list []string
			for _, e := range n.Children {
				list = append(list, e.Words()...)
			}
			c.setGlobal(host, n, kw, list)
		case "lvs_sync_daemon":
			if l, ok := c.parseSyncLine(host, n); ok {
				c.syncLines = append(c.syncLines, l)
			}
		case "enable_script_security":
		case "script_user":
			if n.Arg(0) != "root" {
				c.lost(host, n, "script_user %s: clusterctl runs scripts as root", strings.Join(n.Args, " "))
			}
		default:
			if lines, ok := rawLines("global_defs", n); ok {
				raw = append(raw, lines...)
				c.findings = append(c.findings, Finding{Level: Info, Host: host, Pos: n.Pos(), Keyword: n.Keyword,
					Msg: fmt.Sprintf("global_defs %s has no counterpart in clusterctl's model: kept in keepalived's raw, which clusterctl passes through unchecked (keepalived -t checks it)", kw)})
				continue
			}
			if keepalived.Known("global_defs", n.Keyword) {
				c.lost(host, n, "global_defs %s has no counterpart in clusterctl's model", kw)
			}
		}
	}
	if len(raw) > 0 {
		// Hosts whose raw lines differ are a conflict here; a host
		// without any, while others have some, is caught by Check.
		c.setGlobal(host, g, "raw", strings.Join(raw, "\n"))
	}
}

var reName = regexp.MustCompile(`[^a-z0-9_]+`)

// hclName makes a keepalived name a configuration label.
func hclName(s string) string {
	n := strings.Trim(reName.ReplaceAllString(strings.ToLower(s), "_"), "_")
	if n == "" || n[0] >= '0' && n[0] <= '9' {
		n = "x" + n
	}
	return n
}

func (c *cluster) readScript(hm *hostModel, n *keepalived.Node) {
	host := hm.h.Name
	if len(n.Args) != 1 {
		c.lost(host, n, "vrrp_script needs one name")
		return
	}
	name := hclName(strings.TrimPrefix(n.Args[0], "chk_"))
	hc := &healthCheck{name: name, vrrpName: n.Args[0], ints: map[string]int{}, host: host, pos: n.Pos()}
	for _, s := range n.Children {
		switch s.Keyword {
		case "script":
			hc.script = strings.Join(s.Args, " ")
			c.adoptScript(hm, s, s.Args)
		case "interval", "weight", "fall", "rise", "timeout":
			v, err := strconv.Atoi(s.Arg(0))
			if err != nil || len(s.Args) != 1 {
				c.lost(host, s, "%s %q is not a whole number", s.Keyword, strings.Join(s.Args, " "))
				continue
			}
			hc.ints[s.Keyword] = v
		default:
			c.lost(host, s, "vrrp_script %s: %s has no counterpart in health_check", n.Args[0], s.Keyword)
		}
	}
	if old, ok := c.checks[name]; ok {
		if old.script != hc.script || !maps.Equal(old.ints, hc.ints) {
			c.conflict(host, n, "vrrp_script %s differs from %s's (%s); the configuration keeps %s's", n.Args[0], old.host, old.pos, old.host)
		}
		return
	}
	c.checks[name] = hc
}

// adoptScript makes the file a script statement runs a managed file of
// the host, when it was read.
func (c *cluster) adoptScript(hm *hostModel, n *keepalived.Node, args []string) {
	if len(args) == 0 {
		return
	}
	p := strings.Fields(args[0])
	if len(p) == 0 || !path.IsAbs(p[0]) {
		return
	}
	file := path.Clean(p[0])
	for _, f := range hm.files {
		if f.path == file {
			return
		}
	}
	if _, ok := hm.h.Files[file]; !ok {
		c.findings = append(c.findings, Finding{Level: Info, Host: hm.h.Name, Pos: n.Pos(), Keyword: n.Keyword,
			Msg: fmt.Sprintf("%s was not read from the host; it stays as it is and is not managed", file)})
		return
	}
	fm := fileModel{path: file, side: path.Join("files", hm.h.Name, strings.TrimPrefix(file, "/")), owner: "root", group: "root"}
	if m, ok := hm.h.Meta[file]; ok {
		fm.mode, fm.owner, fm.group, fm.hasMeta = m.Mode, m.Owner, m.Group, true
		if m.Mode&0o022 != 0 || m.Owner != "root" {
			c.findings = append(c.findings, Finding{Level: Lost, Host: hm.h.Name, Pos: n.Pos(), Keyword: n.Keyword,
				Msg: fmt.Sprintf("%s (mode %04o, owner %s) can be changed by a user other than root: keepalived with script security (which clusterctl turns on) refuses to run it", file, m.Mode, m.Owner)})
		}
	} else {
		fm.mode = 0o755
		c.findings = append(c.findings, Finding{Level: Change, Host: hm.h.Name, Pos: n.Pos(), Keyword: n.Keyword,
			Msg: fmt.Sprintf("the mode and owner of %s are not known; the configuration sets 0755 root:root", file)})
	}
	hm.files = append(hm.files, fm)
}

// sharedBlock is a top-level block every host that has it must agree on
// (a server group, track_file, track_process, bfd_instance, sync group).
type sharedBlock interface {
	describe() string
	// from is the host, and the position there, it was first read from.
	from() (host, pos string)
}

// mergeShared keeps v under name unless a block of that name was read
// before; one that differs from it is a conflict at n.
func mergeShared[T sharedBlock](c *cluster, m map[string]T, name, host string, n *keepalived.Node, v T) {
	if old, ok := m[name]; ok {
		if old.describe() != v.describe() {
			h, pos := old.from()
			c.conflict(host, n, "%s %s differs from %s's (%s); the configuration keeps %s's", n.Keyword, n.Args[0], h, pos, h)
		}
		return
	}
	m[name] = v
}
