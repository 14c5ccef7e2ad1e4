package config_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// configGen writes random configurations over the whole model: hosts
// with interfaces on shared segments, the keepalived block, health checks,
// VRRP instances and virtual servers with real servers and checks, with
// values drawn from the edges of each range (min and max priorities, VRIDs
// 1 and 255, the longest names ...). Most configurations it writes are
// valid; some break a rule on purpose (invalidRate), and random choices
// break others by accident, so that validate's rejections are exercised
// too.
//
// Commands (health check scripts, notify scripts, misc_path) live under
// scriptDirs, or are system binaries; the property test's sandbox creates
// the ones a configuration names.
type configGen struct {
	r *rand.Rand
	b strings.Builder

	// The configuration being written.
	segments  []segment
	hosts     []genHost
	instances []genInstance
	checks    []string // health_check names
	vids      map[string]map[int]bool
	// usedVIPs holds every VIP and host address handed out.
	usedAddrs map[netip.Addr]bool
	// broken names the rule a configuration breaks on purpose ("" for
	// none); the property test counts these apart.
	broken string
	// extra are top-level blocks written after the virtual servers
	// (the track_file blocks file checks read).
	extra     strings.Builder
	fileCheck int
}

// scriptDirs are where generated configurations put their commands; the
// sandbox mounts a tmpfs over each.
var scriptDirs = []string{"/usr/local/sbin", "/usr/local/bin", "/etc/keepalived", "/opt"}

// systemCommands exist on every test machine, owned by root.
var systemCommands = []string{"/bin/true", "/usr/bin/true", "/usr/bin/logger"}

// invalidRate is the share of configurations that break a rule on purpose.
const invalidRate = 0.12

// segment is a layer-2 network: an interface name every host on it uses,
// an IPv4 subnet and sometimes an IPv6 one.
type segment struct {
	ifname string
	v4     netip.Prefix
	v6     netip.Prefix // invalid: none
	hosts  []int        // indexes into configGen.hosts
}

type genHost struct {
	name     string
	segments []int // indexes into configGen.segments
	num      int   // host number: its address on every segment
}

type genInstance struct {
	name    string
	segment int
	members []int
	vips    []netip.Addr
}

// interfacePool are the interface names segments use: the lab's, common
// ones and the edges of the pattern (one character, 15 characters, dots,
// '@', a leading digit). Now and then a segment is the loopback.
var interfacePool = []string{"ens33", "ens37", "eth0", "eth1", "bond0", "br-lan", "eth0.100", "abcdefghijklmno", "e", "0ab", "lan_1", "veth@x"}

func newConfigGen(seed uint64) *configGen {
	return &configGen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// chance returns true with probability p.
func (g *configGen) chance(p float64) bool { return g.r.Float64() < p }

// pick returns one of xs.
func pick[T any](g *configGen, xs ...T) T { return xs[g.r.IntN(len(xs))] }

// edgeInt returns lo or hi often, else a value in [lo, hi].
func (g *configGen) edgeInt(lo, hi int) int {
	switch g.r.IntN(6) {
	case 0:
		return lo
	case 1:
		return hi
	case 2:
		return min(lo+1, hi)
	}
	return lo + g.r.IntN(hi-lo+1)
}

// name returns an identifier that matches the name pattern, sometimes
// the longest one allowed (63 characters).
func (g *configGen) name(prefix string, i int) string {
	base := fmt.Sprintf("%s%d", prefix, i)
	switch g.r.IntN(8) {
	case 0:
		long := base + "_" + strings.Repeat("x", 63)
		return long[:63]
	case 1:
		return "_" + base + "-A"
	}
	return base
}

func (g *configGen) word(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.r.IntN(len(alphabet))]
	}
	return string(b)
}

const (
	lower  = "abcdefghijklmnopqrstuvwxyz"
	alnum  = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	passwd = alnum + "%&()*+,-./:;<=>?@[]^_|~"
)

func (g *configGen) printf(format string, args ...any) { fmt.Fprintf(&g.b, format, args...) }

// q quotes s for HCL. The generator never writes "${" or "%{", so only
// quotes and backslashes need escaping.
func q(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func qlist(xs []string) string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = q(x)
	}
	return "[" + strings.Join(out, ", ") + "]"
}

// Generate writes one configuration and returns its HCL and the rule it
// breaks on purpose ("" for none).
func (g *configGen) Generate() (string, string) {
	g.b.Reset()
	g.segments, g.hosts, g.instances, g.checks = nil, nil, nil, nil
	g.extra.Reset()
	g.fileCheck = 0
	g.vids = map[string]map[int]bool{}
	g.usedAddrs = map[netip.Addr]bool{}
	g.broken = ""
	if g.chance(invalidRate) {
		g.broken = pick(g, "priority 255", "duplicate VRID", "VIP is a host address", "inverted thresholds",
			"MASTER with nopreempt", "equal priorities", "track own interface", "auth_pass too long", "member without interface",
			"check attribute of another type")
	}

	g.network()
	g.keepalivedBlock()
	g.healthChecks()
	g.vrrpInstances()
	g.virtualServers()
	g.b.WriteString(g.extra.String())
	broken, written := strings.CutSuffix(g.broken, " (written)")
	if !written {
		broken = "" // nothing in this configuration could carry the break
	}
	return g.b.String(), broken
}

// network declares the segments and the hosts on them.
func (g *configGen) network() {
	names := append([]string(nil), interfacePool...)
	g.r.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	if g.chance(0.03) {
		names[g.r.IntN(3)] = "lo"
	}
	nseg := 1 + g.r.IntN(3)
	for s := 0; s < nseg; s++ {
		seg := segment{ifname: names[s], v4: netip.MustParsePrefix(fmt.Sprintf("10.%d.0.0/%d", 10+s, pick(g, 24, 24, 24, 16, 25)))}
		if g.chance(0.25) {
			seg.v6 = netip.MustParsePrefix(fmt.Sprintf("fd00:%d::/64", 10+s))
		}
		g.segments = append(g.segments, seg)
	}
	nhost := 1 + g.r.IntN(5)
	for i := 0; i < nhost; i++ {
		h := genHost{name: g.name("h", i), num: 10 + i}
		for s := range g.segments {
			if s == 0 || g.chance(0.6) {
				h.segments = append(h.segments, s)
				g.segments[s].hosts = append(g.segments[s].hosts, i)
			}
		}
		g.hosts = append(g.hosts, h)
	}
	for i, h := range g.hosts {
		g.printf("host %s {\n", q(h.name))
		for _, s := range h.segments {
			seg := g.segments[s]
			addrs := []string{g.hostAddr(i, s).String() + "/" + strconv.Itoa(seg.v4.Bits())}
			g.usedAddrs[g.hostAddr(i, s)] = true
			if seg.v6.IsValid() {
				a := g.hostAddr6(i, s)
				addrs = append(addrs, a.String()+"/64")
				g.usedAddrs[a] = true
			}
			g.printf("  interface %s {\n    addresses = %s\n  }\n", q(seg.ifname), qlist(addrs))
		}
		g.printf("}\n\n")
	}
}

func (g *configGen) hostAddr(host, seg int) netip.Addr {
	b := g.segments[seg].v4.Addr().As4()
	b[3] = byte(g.hosts[host].num)
	return netip.AddrFrom4(b)
}

func (g *configGen) hostAddr6(host, seg int) netip.Addr {
	b := g.segments[seg].v6.Addr().As16()
	b[15] = byte(g.hosts[host].num)
	return netip.AddrFrom16(b)
}

// freeAddr returns an unused address of the segment's subnet (family 6
// when v6 is set and the segment has IPv6) between from and from+49.
func (g *configGen) freeAddr(seg int, from int, v6 bool) netip.Addr {
	for {
		n := from + g.r.IntN(50)
		var a netip.Addr
		if v6 && g.segments[seg].v6.IsValid() {
			b := g.segments[seg].v6.Addr().As16()
			b[15] = byte(n)
			a = netip.AddrFrom16(b)
		} else {
			b := g.segments[seg].v4.Addr().As4()
			b[3] = byte(n)
			a = netip.AddrFrom4(b)
		}
		if !g.usedAddrs[a] {
			g.usedAddrs[a] = true
			return a
		}
	}
}

func (g *configGen) keepalivedBlock() {
	if g.chance(0.3) {
		return
	}
	g.printf("keepalived {\n")
	if g.chance(0.5) {
		g.printf("  router_id = %s\n", q(g.word(alnum+"_.-", g.edgeInt(1, 64))))
	}
	if g.chance(0.4) {
		var mails []string
		for i := 0; i < 1+g.r.IntN(3); i++ {
			mails = append(mails, g.word(alnum+"._%+-", 1+g.r.IntN(12))+"@"+pick(g, "example.com", "mail.example.org", "x", "a-b.c"))
		}
		g.printf("  notification_email = %s\n", qlist(mails))
	}
	if g.chance(0.4) {
		g.printf("  notification_email_from = %s\n", q("root@"+pick(g, "example.com", "localhost")))
	}
	if g.chance(0.4) {
		smtp := pick(g, "127.0.0.1", "::1", "10.10.0.25", "fd00::25")
		if g.chance(0.05) {
			smtp = pick(g, "smtp.example.com", "mail") // keepalived resolves names
		}
		g.printf("  smtp_server = %s\n", q(smtp))
	}
	if g.chance(0.3) {
		g.printf("  smtp_connect_timeout = %d\n", g.edgeInt(1, 3600))
	}
	if g.chance(0.2) {
		g.printf("  enable_script_security = %t\n", g.chance(0.8))
	}
	if g.chance(0.2) {
		user := "root"
		if g.chance(0.3) {
			user = pick(g, "nobody", "daemon")
		}
		g.printf("  script_user = %s\n", q(user))
	}
	g.printf("}\n\n")
}

// command returns a command line: a path under scriptDirs (sometimes in
// a subdirectory, sometimes long) or a system binary, with simple
// arguments.
func (g *configGen) command() string {
	var path string
	switch g.r.IntN(5) {
	case 0:
		path = pick(g, systemCommands...)
	case 1:
		path = pick(g, scriptDirs...) + "/cc-" + g.word(lower, 4) + "/" + g.word(alnum+"._+@-", 1+g.r.IntN(20))
	case 2:
		path = pick(g, scriptDirs...) + "/" + strings.Repeat("p", 200)
	default:
		path = pick(g, scriptDirs...) + "/" + g.word(lower, 1+g.r.IntN(10)) + pick(g, ".sh", "", ".py")
	}
	for i := g.r.IntN(4); i > 0; i-- {
		path += " " + g.word(alnum+"._+@/=:,-", 1+g.r.IntN(12))
	}
	return path
}

func (g *configGen) healthChecks() {
	n := g.r.IntN(4)
	for i := 0; i < n; i++ {
		name := g.name("c", i)
		g.checks = append(g.checks, name)
		g.printf("health_check %s {\n", q(name))
		if g.chance(0.5) {
			g.printf("  process = %s\n", q(pick(g, "nginx", "haproxy", g.word(lower+"_.+-", g.edgeInt(1, 15)))))
			if g.chance(0.3) {
				g.printf("  service = %s\n", q(pick(g, "nginx", "nginx.service", "my@x")))
			}
			if g.chance(0.3) {
				g.printf("  restart = %t\n", g.chance(0.5))
			}
			if g.chance(0.3) {
				g.printf("  stop_keepalived = %t\n", g.chance(0.5))
			}
			if g.chance(0.3) {
				g.printf("  script_path = %s\n", q(pick(g, scriptDirs...)+"/check-"+g.word(lower, 5)+".sh"))
			}
			if g.chance(0.3) {
				g.printf("  log_file = %s\n", q("/var/log/"+g.word(lower, 6)+".log"))
			}
		} else {
			g.printf("  script = %s\n", q(g.command()))
		}
		if g.chance(0.5) {
			g.printf("  interval = %d\n", g.edgeInt(1, 3600))
		}
		if g.chance(0.5) {
			g.printf("  weight = %d\n", g.edgeInt(-253, 253))
		}
		if g.chance(0.3) {
			g.printf("  fall = %d\n", g.edgeInt(1, 255))
		}
		if g.chance(0.3) {
			g.printf("  rise = %d\n", g.edgeInt(1, 255))
		}
		if g.chance(0.3) {
			g.printf("  timeout = %d\n", g.edgeInt(1, 3600))
		}
		g.printf("}\n\n")
	}
}

func (g *configGen) vrrpInstances() {
	n := g.r.IntN(4)
	for i := 0; i < n; i++ {
		s := g.r.IntN(len(g.segments))
		seg := g.segments[s]
		if len(seg.hosts) == 0 {
			continue
		}
		inst := genInstance{name: g.name("VI_", i), segment: s}
		members := append([]int(nil), seg.hosts...)
		g.r.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
		inst.members = members[:1+g.r.IntN(len(members))]

		g.printf("vrrp_instance %s {\n", q(inst.name))
		g.printf("  interface = %s\n", q(seg.ifname))
		vid := g.vrid(seg.ifname)
		if g.broken == "duplicate VRID" && len(g.vids[seg.ifname]) > 0 {
			for v := range g.vids[seg.ifname] {
				vid = v
				break
			}
			g.broken = "duplicate VRID (written)"
		}
		g.vids[seg.ifname][vid] = true
		g.printf("  virtual_router_id = %d\n", vid)
		nvip := 1 + g.r.IntN(3)
		v6 := seg.v6.IsValid() && g.chance(0.4)
		for j := 0; j < nvip; j++ {
			mixed := seg.v6.IsValid() && j > 0 && g.chance(0.05)
			a := g.freeAddr(s, 100, v6 != mixed)
			if !v6 && g.chance(0.05) {
				// On no member's subnet (validate warns).
				a = netip.AddrFrom4([4]byte{192, 0, 2, byte(1 + len(g.usedAddrs)%250)})
				g.usedAddrs[a] = true
			}
			inst.vips = append(inst.vips, a)
		}
		vips := make([]string, len(inst.vips))
		for j, a := range inst.vips {
			vips[j] = a.String()
			if g.chance(0.2) {
				vips[j] += "/" + strconv.Itoa(map[bool]int{true: 64, false: 24}[a.Is6()])
			}
		}
		if g.broken == "VIP is a host address" {
			vips = append(vips, g.hostAddr(inst.members[0], s).String())
			g.broken += " (written)"
		}
		g.printf("  virtual_ips = %s\n", qlist(vips))
		if g.chance(0.5) {
			hi := 255
			if v6 && g.chance(0.9) {
				hi = 40 // VRRP version 3
			}
			g.printf("  advert_int = %d\n", g.edgeInt(1, hi))
		}
		if g.chance(0.6) && (!v6 || g.chance(0.05)) {
			n := g.edgeInt(1, 8)
			if g.broken == "auth_pass too long" {
				n = 9 + g.r.IntN(4)
				g.broken += " (written)"
			}
			g.printf("  auth_pass = %s\n", q(g.word(passwd, n)))
		}
		nopreempt := g.chance(0.25)
		if nopreempt {
			g.printf("  nopreempt = true\n")
		} else if g.chance(0.25) {
			g.printf("  preempt_delay = %d\n", g.edgeInt(0, 1000))
		}
		if g.chance(0.3) && (len(inst.members) > 1 || g.chance(0.1)) {
			g.printf("  unicast = true\n")
		}
		for _, kw := range []string{"notify_master", "notify_backup", "notify_fault"} {
			if g.chance(0.2) {
				g.printf("  %s = %s\n", kw, q(g.command()))
			}
		}
		if len(g.checks) > 0 && g.chance(0.6) {
			var refs []string
			for _, c := range g.checks {
				if g.chance(0.6) {
					refs = append(refs, "health_check."+c)
				}
			}
			if len(refs) > 0 {
				g.printf("  track_script = [%s]\n", strings.Join(refs, ", "))
			}
		}
		if tracked := g.trackInterfaces(inst); len(tracked) > 0 {
			g.printf("  track_interface = %s\n", qlist(tracked))
		}
		if g.chance(0.25) {
			g.printf("  garp_master_delay = %d\n", g.edgeInt(0, 255))
		}
		g.members(inst, nopreempt)
		g.printf("}\n\n")
		g.instances = append(g.instances, inst)
	}
	if g.broken == "member without interface" && len(g.segments) > 1 {
		// A host that is not on the last segment joins an instance there.
		last := len(g.segments) - 1
		for i, h := range g.hosts {
			if !contains(h.segments, last) {
				g.printf("vrrp_instance \"VI_stray\" {\n  interface = %s\n  virtual_router_id = %d\n  virtual_ips = [%s]\n  member %s {\n    priority = 100\n  }\n}\n\n",
					q(g.segments[last].ifname), g.vrid(g.segments[last].ifname), q(g.freeAddr(last, 150, false).String()), q(g.hosts[i].name))
				g.broken += " (written)"
				break
			}
		}
	}
}

func contains[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// vrid returns a VRID not yet used on the segment, often 1 or 255.
func (g *configGen) vrid(ifname string) int {
	if g.vids[ifname] == nil {
		g.vids[ifname] = map[int]bool{}
	}
	for {
		v := g.edgeInt(1, 255)
		if !g.vids[ifname][v] {
			return v
		}
	}
}

// trackInterfaces returns interfaces of the members other than the
// instance's own, sometimes one no member declares.
func (g *configGen) trackInterfaces(inst genInstance) []string {
	if !g.chance(0.3) {
		if g.broken == "track own interface" {
			g.broken += " (written)"
			return []string{g.segments[inst.segment].ifname}
		}
		return nil
	}
	var out []string
	seen := map[string]bool{g.segments[inst.segment].ifname: true}
	for _, m := range inst.members {
		for _, s := range g.hosts[m].segments {
			if n := g.segments[s].ifname; !seen[n] && g.chance(0.7) {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	if g.chance(0.15) {
		out = append(out, "trk"+g.word(lower, 3))
	}
	if g.broken == "track own interface" {
		out = append(out, g.segments[inst.segment].ifname)
		g.broken += " (written)"
	}
	return out
}

func (g *configGen) members(inst genInstance, nopreempt bool) {
	prios := map[int]bool{}
	explicitMaster := false
	for k, m := range inst.members {
		p := g.edgeInt(1, 254)
		for prios[p] {
			p = g.edgeInt(1, 254)
		}
		if g.broken == "priority 255" {
			p = 255
			g.broken += " (written)"
		} else if g.broken == "equal priorities" && k > 0 {
			for q := range prios {
				p = q
			}
			g.broken += " (written)"
		}
		prios[p] = true
		g.printf("  member %s {\n    priority = %d\n", q(g.hosts[m].name), p)
		switch {
		case g.broken == "MASTER with nopreempt" && nopreempt:
			g.printf("    state = \"MASTER\"\n")
			g.broken += " (written)"
		case !nopreempt && !explicitMaster && g.chance(0.15):
			g.printf("    state = \"MASTER\"\n")
			explicitMaster = true
		case g.chance(0.15):
			g.printf("    state = \"BACKUP\"\n")
		}
		g.printf("  }\n")
	}
}

func (g *configGen) virtualServers() {
	n := g.r.IntN(4)
	marks := map[int]bool{}
	for i := 0; i < n; i++ {
		// The directors: an instance's members (sharing its VIP), or any
		// one host.
		var directors []int
		var vip netip.Addr
		seg := 0
		if len(g.instances) > 0 && g.chance(0.7) {
			inst := g.instances[g.r.IntN(len(g.instances))]
			seg, vip = inst.segment, inst.vips[0]
			directors = inst.members
			if len(directors) > 2 {
				directors = directors[:2]
			}
		} else {
			h := g.r.IntN(len(g.hosts))
			directors = []int{h}
			seg = g.hosts[h].segments[g.r.IntN(len(g.hosts[h].segments))]
			vip = g.hostAddr(h, seg)
		}
		mode := pick(g, "nat", "dr", "tun", "fullnat")
		if mode == "fullnat" && vip.Is6() && g.chance(0.9) {
			mode = pick(g, "nat", "dr", "tun") // fullnat is IPv4 only
		}
		fwmark := g.chance(0.2)
		// A keepalived-managed fwmark service is a virtual_server_group
		// of marks; an address service is sometimes a group of addresses.
		markGroup := fwmark && g.chance(0.5)
		keepalived := markGroup || g.chance(0.75) && (!fwmark || g.chance(0.05))
		addrGroup := keepalived && !fwmark && g.chance(0.2)
		six := vip.Is6() && !fwmark // a fwmark service is IPv4

		port := pick(g, 80, 443, 1, 65535, 53, 8080)
		newMark := func() int {
			m := g.edgeInt(1, 1<<31-1)
			for marks[m] {
				m = g.edgeInt(1, 1<<31-1)
			}
			marks[m] = true
			return m
		}
		var group string
		switch {
		case markGroup:
			group = g.name("vsg", i)
			ms := []string{strconv.Itoa(newMark())}
			if g.chance(0.5) {
				ms = append(ms, strconv.Itoa(newMark()))
			}
			g.printf("virtual_server_group %s {\n  fwmarks = [%s]\n}\n\n", q(group), strings.Join(ms, ", "))
		case addrGroup:
			group = g.name("vsg", i)
			entries := []string{q(netip.AddrPortFrom(vip, uint16(port)).String())}
			// Group addresses on the directors' segment (clusterctl adds
			// them to the directors there).
			inSeg := func(a netip.Addr) bool {
				if a.Is6() {
					return g.segments[seg].v6.Masked().Contains(a)
				}
				return g.segments[seg].v4.Masked().Contains(a)
			}
			if other := g.freeAddr(seg, 60, six); g.chance(0.5) && inSeg(other) {
				g.usedAddrs[other] = true
				entries = append(entries, q(netip.AddrPortFrom(other, uint16(port)).String()))
			}
			if !six && g.chance(0.5) {
				// A range of the last octet, when its addresses are free.
				first := g.freeAddr(seg, 60, false)
				b := first.As4()
				second, third := first.Next(), first.Next().Next()
				if b[3] < 250 && inSeg(third) && !g.usedAddrs[second] && !g.usedAddrs[third] {
					g.usedAddrs[first], g.usedAddrs[second], g.usedAddrs[third] = true, true, true
					entries = append(entries, q(fmt.Sprintf("%s-%d:%d", first, third.As4()[3], port)))
				}
			}
			g.printf("virtual_server_group %s {\n  addresses = [%s]\n}\n\n", q(group), strings.Join(entries, ", "))
		}

		if group != "" && mode == "fullnat" && g.chance(0.9) {
			mode = pick(g, "nat", "dr", "tun") // clusterctl's SNAT rule is per address
		}
		g.printf("virtual_server %s {\n", q(g.name("vs", i)))
		switch {
		case group != "":
			g.printf("  group = virtual_server_group.%s\n", group)
			if fwmark {
				port = 0
			}
		case fwmark:
			g.printf("  fwmark = %d\n", newMark())
			port = 0
		default:
			g.printf("  address = %s\n", q(netip.AddrPortFrom(vip, uint16(port)).String()))
		}
		if g.chance(0.3) && (!fwmark || g.chance(0.1)) {
			g.printf("  protocol = %s\n", q(pick(g, "tcp", "udp")))
		}
		g.printf("  mode = %s\n", q(mode))
		if g.chance(0.6) {
			sched := make([]string, 0, len(schedulers))
			for s := range schedulers {
				sched = append(sched, s)
			}
			sort.Strings(sched)
			g.printf("  scheduler = %s\n", q(pick(g, sched...)))
		}
		if g.chance(0.3) {
			hi := 31536000
			if keepalived && g.chance(0.9) {
				hi = 2678400 // keepalived's maximum
			}
			g.printf("  persistence = %d\n", g.edgeInt(1, hi))
			if g.chance(0.4) && (!six || g.chance(0.1)) {
				g.printf("  persistence_netmask = %s\n", q(pick(g, "255.255.255.0", "255.255.0.0", "255.255.255.255", "0.0.0.0", "255.255.255.254", "255.0.255.0")))
			}
		}
		refs := make([]string, len(directors))
		for j, d := range directors {
			refs[j] = "host." + g.hosts[d].name
		}
		g.printf("  directors = [%s]\n", strings.Join(refs, ", "))
		if keepalived {
			g.printf("  managed_by = \"keepalived\"\n")
			if g.chance(0.15) {
				g.printf("  alpha = true\n")
			}
			if g.chance(0.15) {
				g.printf("  omega = true\n")
			}
			if g.chance(0.3) && (group == "" || g.chance(0.05)) {
				sorryPort := pick(g, 80, 8080)
				if (mode == "dr" || mode == "tun") && !fwmark && g.chance(0.9) {
					sorryPort = port // DR and TUN forward unchanged
				}
				g.printf("  sorry_server = %s\n", q(netip.AddrPortFrom(g.freeAddr(seg, 150, six != g.chance(0.05)), uint16(sorryPort)).String()))
			}
			if g.chance(0.4) {
				g.printf("  delay_loop = %d\n", g.edgeInt(1, 3600))
			}
		}
		if mode == "fullnat" && g.chance(0.4) {
			g.printf("  snat_address = %s\n", q(g.hostAddr(directors[0], seg).String()))
		}
		labels := map[string]bool{}
		nrs := 1 + g.r.IntN(3)
		for j := 0; j < nrs; j++ {
			g.realServer(rsSpec{seg: seg, six: six, keepalived: keepalived, directors: directors,
				fwmark: fwmark, markGroup: markGroup, addrGroup: addrGroup, mode: mode, port: port}, labels)
		}
		g.printf("}\n\n")
	}
}

// rsSpec is what a real server must fit: its virtual server.
type rsSpec struct {
	seg        int
	six        bool
	keepalived bool
	fwmark     bool
	markGroup  bool // a virtual_server_group of marks: no real server port
	addrGroup  bool // a virtual_server_group of addresses: a port is required
	directors  []int
	mode       string
	port       int // the virtual port; 0 for fwmark
}

var schedulers = map[string]bool{"rr": true, "wrr": true, "lc": true, "wlc": true, "lblc": true, "lblcr": true, "dh": true, "sh": true, "sed": true, "nq": true, "mh": true, "fo": true, "ovf": true, "twos": true}

// realServer writes a real server on the directors' segment: a bare
// address, or a host that is not a director.
func (g *configGen) realServer(vs rsSpec, labels map[string]bool) {
	label := ""
	// A NAT host needs a gateway through several directors: bare
	// addresses there.
	if vs.mode != "nat" || len(vs.directors) == 1 {
		for _, h := range g.segments[vs.seg].hosts {
			if name := g.hosts[h].name; !contains(vs.directors, h) && !labels[name] && g.chance(0.3) {
				label = name
				break
			}
		}
	}
	if label == "" {
		label = g.freeAddr(vs.seg, 50, vs.six != g.chance(0.03)).String()
	}
	labels[label] = true
	g.printf("  real_server %s {\n", q(label))
	sameOnly := (vs.mode == "dr" || vs.mode == "tun") && !vs.fwmark
	switch {
	case vs.markGroup:
		if g.chance(0.05) {
			g.printf("    port = %d\n", pick(g, 80, 8080)) // keepalived ignores it: rejected
		}
	case vs.addrGroup && sameOnly && g.chance(0.9):
		g.printf("    port = %d\n", vs.port) // a group has no default port
	case sameOnly && g.chance(0.9):
		if g.chance(0.3) {
			g.printf("    port = %d\n", vs.port) // DR and TUN forward unchanged
		}
	case vs.fwmark || vs.addrGroup || g.chance(0.5):
		g.printf("    port = %d\n", pick(g, 80, 8080, 1, 65535))
	}
	if g.chance(0.5) {
		w := g.edgeInt(1, 65535)
		if g.chance(0.15) {
			w = 0
		}
		g.printf("    weight = %d\n", w)
	}
	if g.chance(0.2) {
		up := g.edgeInt(1, pick(g, 100000, 1<<31-1))
		lo := g.edgeInt(0, up)
		if g.broken == "inverted thresholds" {
			lo = up + 1
			g.broken += " (written)"
		}
		g.printf("    upper_threshold = %d\n    lower_threshold = %d\n", up, lo)
	}
	if vs.keepalived && g.chance(0.1) {
		g.printf("    inhibit_on_failure = true\n")
	}
	if vs.keepalived && g.chance(0.6) {
		g.check(vs)
	}
	g.printf("  }\n")
}

// check writes a real server's check block: any checker type with its
// own attributes and the common ones it takes.
func (g *configGen) check(vs rsSpec) {
	g.printf("    check {\n")
	typ := pick(g, "tcp", "http", "misc", "ssl", "dns", "smtp", "ping", "udp", "file", "bfd")
	g.printf("      type = %s\n", q(typ))
	switch typ {
	case "http", "ssl":
		if g.chance(0.5) {
			g.printf("      path = %s\n", q("/"+g.word(alnum+"._~%/?=&+-", g.r.IntN(30))))
		}
		if g.chance(0.5) {
			g.printf("      status_code = %d\n", g.edgeInt(100, 599))
		}
		if g.chance(0.3) {
			g.printf("      digest = %s\n", q(g.word("0123456789abcdef", 32)))
		}
	case "misc":
		g.printf("      misc_path = %s\n", q(g.command()))
	case "dns":
		if g.chance(0.6) {
			g.printf("      dns_type = %s\n", q(pick(g, "A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA", "RRSIG", "DNSKEY", "aaaa")))
		}
		if g.chance(0.6) {
			g.printf("      dns_name = %s\n", q(pick(g, "example.org", ".", "a.b.c.", "localhost", "x-1.example")))
		}
	case "smtp":
		if g.chance(0.6) {
			g.printf("      helo_name = %s\n", q(pick(g, "lb.example.org", "localhost", "a")))
		}
	case "udp":
		hex := func() string {
			w := g.word("0123456789abcdef", 2*(1+g.r.IntN(6)))
			return w[:len(w)-2] + pick(g, "00", "0a", "fe", "7f")
		}
		if g.chance(0.5) {
			g.printf("      payload = %s\n", q(hex()))
		}
		if g.chance(0.5) {
			g.printf("      require_reply = true\n")
			if g.chance(0.5) {
				g.printf("      reply = %s\n", q(hex()))
			}
		}
	case "bfd":
		g.fileCheck++
		name := fmt.Sprintf("bfd%d", g.fileCheck)
		g.printf("      bfd_instance = bfd_instance.%s\n", name)
		fmt.Fprintf(&g.extra, "bfd_instance %s {\n  neighbor_ip = %s\n", q(name), q(g.freeAddr(vs.seg, 50, vs.six).String()))
		for _, kv := range []struct {
			k      string
			lo, hi int
		}{{"min_rx", 1, 10000}, {"min_tx", 1, 10000}, {"idle_tx", 1000, 10000}, {"multiplier", 1, 255}} {
			if g.chance(0.3) {
				fmt.Fprintf(&g.extra, "  %s = %d\n", kv.k, g.edgeInt(kv.lo, kv.hi))
			}
		}
		if g.chance(0.2) {
			g.extra.WriteString("  passive = true\n")
		}
		g.extra.WriteString("}\n\n")
	case "file":
		g.fileCheck++
		name := fmt.Sprintf("cf%d", g.fileCheck)
		g.printf("      track_file = track_file.%s\n", name)
		fmt.Fprintf(&g.extra, "track_file %s {\n  file = %s\n", q(name), q("/run/cc-"+g.word(lower, 6)))
		if g.chance(0.5) {
			fmt.Fprintf(&g.extra, "  weight = %d\n", g.edgeInt(-254, 254))
		}
		g.extra.WriteString("}\n\n")
		if g.chance(0.5) {
			g.printf("      weight = %d\n", g.edgeInt(-1000, 1000))
			if g.chance(0.5) {
				g.printf("      reverse = true\n")
			}
		}
	}
	if g.broken == "check attribute of another type" {
		attr := map[string]string{"tcp": "helo_name = \"x\"", "http": "payload = \"01\"", "ssl": "dns_type = \"A\"",
			"dns": "path = \"/\"", "smtp": "digest = \"0123456789abcdef0123456789abcdef\"", "ping": "connect_port = 80",
			"udp": "status_code = 200", "file": "retry = 1", "misc": "connect_timeout = 3", "bfd": "warmup = 1"}[typ]
		g.printf("      %s\n", attr)
		g.broken += " (written)"
	}
	connecting := typ != "misc" && typ != "file" && typ != "bfd"
	if connecting && g.chance(0.4) {
		g.printf("      connect_timeout = %d\n", g.edgeInt(1, 3600))
	}
	if connecting && typ != "ping" && g.chance(0.3) {
		g.printf("      connect_port = %d\n", pick(g, 80, 443, 1, 65535, 53))
	}
	if connecting && typ != "ping" && g.chance(0.1) {
		g.printf("      bind_port = %d\n", g.edgeInt(1024, 65535))
	}
	if typ != "file" && typ != "bfd" {
		if g.chance(0.4) {
			g.printf("      retry = %d\n", g.edgeInt(1, 100))
		}
		if g.chance(0.4) {
			g.printf("      delay_before_retry = %d\n", g.edgeInt(1, 3600))
		}
		if g.chance(0.2) {
			g.printf("      warmup = %d\n", g.edgeInt(1, 3600))
		}
	}
	g.printf("    }\n")
}
