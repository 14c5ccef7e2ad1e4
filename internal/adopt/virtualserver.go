package adopt

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/keepalived"
)

type virtualServer struct {
	addr        netip.AddrPort
	fwmark      uint32
	group       string // virtual_server_group name; "" none
	alpha       bool
	omega       bool
	protocol    string // tcp or udp
	mode        string
	scheduler   string
	persistence int
	netmask     string
	managedBy   string // keepalived or clusterctl
	sorry       string
	delayLoop   int
	// flags are the scheduler flags (flag-N, sh-*, mh-*), onePacket ops,
	// and tunType, tunPort, tunCsum lvs_method TUN's encapsulation.
	flags     []string
	onePacket bool
	tunType   string
	tunPort   int
	tunCsum   string
	directors []string
	reals     []realServer
	raw       []string // statements the model lacks, as raw lines
	settings  string   // the shared settings, for conflicts
	first     string
	firstPos  string
}

type realServer struct {
	addr         netip.Addr
	port         uint16
	weight       int
	upper, lower int
	inhibit      bool
	check        *rsCheck
}

type rsCheck struct {
	typ                                             string
	connectTimeout, retry, delayBeforeRetry, warmup int
	connectPort, bindPort                           int
	connectIP, bindTo                               string
	path, digest                                    string
	status                                          int
	misc                                            string
	dnsType, dnsName, helo                          string
	payload, reply                                  string
	requireReply                                    bool
	trackFile                                       string // the track_file's configuration name
	bfd                                             string // the bfd_instance's name
	fileWeight                                      *int
	reverse                                         bool
}

// checkTypes maps keepalived's checker keywords to the check types of
// the configuration (config.CheckKeywords the other way round).
var checkTypes = func() map[string]string {
	m := map[string]string{}
	for typ, kw := range config.CheckKeywords {
		m[kw] = typ
	}
	return m
}()

func (vs *virtualServer) key() string {
	if vs.group != "" {
		return "group " + vs.group + " " + vs.protocol
	}
	if vs.fwmark != 0 {
		return "fwmark " + strconv.FormatUint(uint64(vs.fwmark), 10)
	}
	return vs.protocol + " " + vs.addr.String()
}

func (vs *virtualServer) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s p%d %s %s %d a%t o%t f%v ops%t tun%s/%d/%s", vs.mode, vs.scheduler, vs.managedBy, vs.persistence, vs.netmask, vs.sorry, vs.delayLoop, vs.alpha, vs.omega, vs.flags, vs.onePacket, vs.tunType, vs.tunPort, vs.tunCsum)
	for _, r := range vs.reals {
		fmt.Fprintf(&b, " [%s:%d w%d %d %d i%t", r.addr, r.port, r.weight, r.upper, r.lower, r.inhibit)
		if ck := r.check; ck != nil {
			fw := "-"
			if ck.fileWeight != nil {
				fw = strconv.Itoa(*ck.fileWeight)
			}
			c := *ck
			c.fileWeight = nil
			fmt.Fprintf(&b, " %+v fw%s", c, fw)
		}
		b.WriteString("]")
	}
	fmt.Fprintf(&b, " raw %q", vs.raw)
	return b.String()
}

// addServer merges one host's view of a virtual server.
func (c *cluster) addServer(host, pos string, vs *virtualServer) {
	slices.SortFunc(vs.reals, func(a, b realServer) int {
		return netip.AddrPortFrom(a.addr, a.port).Compare(netip.AddrPortFrom(b.addr, b.port))
	})
	vs.settings, vs.first, vs.firstPos = vs.describe(), host, pos
	old, ok := c.servers[vs.key()]
	if !ok {
		vs.directors = []string{host}
		c.servers[vs.key()] = vs
		return
	}
	if old.settings != vs.settings {
		c.findings = append(c.findings, Finding{Level: Conflict, Host: host, Pos: pos,
			Msg: fmt.Sprintf("virtual server %s differs from %s's (%s); the configuration keeps %s's", vs.key(), old.first, old.firstPos, old.first)})
	}
	old.directors = append(old.directors, host)
}

func num(s string) (int, bool) {
	v, err := strconv.Atoi(s)
	return v, err == nil
}

// readVirtualServer reads a keepalived virtual_server block.
func (c *cluster) readVirtualServer(hm *hostModel, n *keepalived.Node) {
	host := hm.h.Name
	vs := &virtualServer{managedBy: "keepalived", protocol: "tcp", mode: "nat"}
	switch {
	case len(n.Args) == 2 && n.Args[0] == "group":
		vs.group = groupName(n.Args[1])
	case len(n.Args) == 2 && n.Args[0] == "fwmark":
		m, err := strconv.ParseUint(n.Args[1], 10, 32)
		if err != nil || m == 0 {
			c.lost(host, n, "virtual_server fwmark %q is not a mark", n.Args[1])
			return
		}
		vs.fwmark = uint32(m)
	case len(n.Args) == 2:
		a, err := netip.ParseAddr(n.Args[0])
		p, perr := strconv.ParseUint(n.Args[1], 10, 16)
		if err != nil || perr != nil {
			c.lost(host, n, "virtual_server %s: only an address and port, or a fwmark, are expressible", strings.Join(n.Args, " "))
			return
		}
		vs.addr = netip.AddrPortFrom(a, uint16(p))
	default:
		c.lost(host, n, "virtual_server %s: only an address and port, a fwmark or a group are expressible", strings.Join(n.Args, " "))
		return
	}
	for _, s := range n.Children {
		kw := keepalived.CanonicalKeyword("virtual_server", s.Keyword)
		switch kw {
		case "lvs_sched":
			vs.scheduler = strings.ToLower(s.Arg(0))
		case "lvs_method":
			switch strings.ToUpper(s.Arg(0)) {
			case "NAT":
				vs.mode = "nat"
			case "DR":
				vs.mode = "dr"
			case "TUN":
				vs.mode = "tun"
				if err := vs.readTunnel(s.Args[1:]); err != nil {
					c.lost(host, s, "lvs_method %s: %v", strings.Join(s.Args, " "), err)
				}
			default:
				c.lost(host, s, "lvs_method %s is not expressible", s.Arg(0))
			}
			if strings.ToUpper(s.Arg(0)) != "TUN" && len(s.Args) > 1 {
				c.lost(host, s, "lvs_method %s: only TUN takes options", strings.Join(s.Args, " "))
			}
		case "flag-1", "flag-2", "flag-3", "sh-port", "sh-fallback", "mh-port", "mh-fallback":
			vs.flags = append(vs.flags, kw)
		case "ops":
			vs.onePacket = true
		case "protocol":
			p := strings.ToLower(s.Arg(0))
			if p != "tcp" && p != "udp" {
				c.lost(host, s, "protocol %s: tcp and udp are expressible", s.Arg(0))
				continue
			}
			vs.protocol = p
		case "persistence_timeout":
			if v, ok := num(s.Arg(0)); ok {
				vs.persistence = v
			} else {
				c.lost(host, s, "persistence_timeout %q is not a number", s.Arg(0))
			}
		case "persistence_granularity":
			vs.netmask = s.Arg(0)
		case "delay_loop":
			if v, ok := num(s.Arg(0)); ok {
				vs.delayLoop = v
			} else {
				c.lost(host, s, "delay_loop %q is not a whole number", s.Arg(0))
			}
		case "sorry_server":
			if a, err := netip.ParseAddr(s.Arg(0)); err == nil && len(s.Args) == 2 {
				vs.sorry = netip.AddrPortFrom(a, uint16(mustPort(s.Arg(1)))).String()
			} else {
				c.lost(host, s, "sorry_server %s is not expressible", strings.Join(s.Args, " "))
			}
		case "alpha":
			vs.alpha = true
		case "omega":
			vs.omega = true
		case "real_server":
			if rs, ok := c.readRealServer(hm, s); ok {
				vs.reals = append(vs.reals, rs)
			}
		default:
			if lines, ok := rawLines("virtual_server", s); ok {
				vs.raw = append(vs.raw, lines...)
				c.findings = append(c.findings, Finding{Level: Info, Host: host, Pos: s.Pos(), Keyword: s.Keyword,
					Msg: fmt.Sprintf("virtual_server %s: %s has no counterpart in clusterctl's model: kept in raw, which clusterctl passes through unchecked (keepalived -t checks it)", strings.Join(n.Args, " "), kw)})
				continue
			}
			c.lost(host, s, "virtual_server %s: %s has no counterpart in clusterctl's model", strings.Join(n.Args, " "), kw)
		}
	}
	c.addServer(host, n.Pos(), vs)
}

// readTunnel reads lvs_method TUN's options: type ipip|gue|gre, port N
// (GUE), and nocsum|csum|remcsum.
func (vs *virtualServer) readTunnel(words []string) error {
	for i := 0; i < len(words); i++ {
		switch w := strings.ToLower(words[i]); w {
		case "type", "port":
			if i+1 >= len(words) {
				return fmt.Errorf("%s has no value", w)
			}
			i++
			if w == "type" {
				vs.tunType = strings.ToLower(words[i])
				if !slices.Contains([]string{"ipip", "gue", "gre"}, vs.tunType) {
					return fmt.Errorf("tunnel type %q is not expressible", words[i])
				}
				continue
			}
			p, err := strconv.ParseUint(words[i], 10, 16)
			if err != nil || p == 0 {
				return fmt.Errorf("tunnel port %q is not a port", words[i])
			}
			vs.tunPort = int(p)
		case "nocsum", "csum", "remcsum":
			vs.tunCsum = w
		default:
			return fmt.Errorf("%q is not expressible", words[i])
		}
	}
	if vs.tunType == "ipip" {
		vs.tunType = "" // the default
	}
	return nil
}

func mustPort(s string) int {
	v, _ := strconv.Atoi(s)
	return v
}

func (c *cluster) readRealServer(hm *hostModel, n *keepalived.Node) (realServer, bool) {
	host := hm.h.Name
	a, err := netip.ParseAddr(n.Arg(0))
	var p uint64
	var perr error
	if len(n.Args) == 2 {
		p, perr = strconv.ParseUint(n.Arg(1), 10, 16)
	}
	if err != nil || perr != nil || len(n.Args) < 1 || len(n.Args) > 2 {
		c.lost(host, n, "real_server %s: an address and a port (none for a fwmark service) are expressible", strings.Join(n.Args, " "))
		return realServer{}, false
	}
	rs := realServer{addr: a, port: uint16(p), weight: 1}
	for _, s := range n.Children {
		kw := keepalived.CanonicalKeyword("real_server", s.Keyword)
		switch kw {
		case "weight", "uthreshold", "lthreshold":
			v, ok := num(s.Arg(0))
			if !ok {
				c.lost(host, s, "%s %q is not a whole number", kw, s.Arg(0))
				continue
			}
			switch kw {
			case "weight":
				rs.weight = v
			case "uthreshold":
				rs.upper = v
			default:
				rs.lower = v
			}
		case "inhibit_on_failure":
			rs.inhibit = true
		case "TCP_CHECK", "HTTP_GET", "SSL_GET", "DNS_CHECK", "SMTP_CHECK", "PING_CHECK", "UDP_CHECK", "FILE_CHECK", "BFD_CHECK", "MISC_CHECK":
			if rs.check != nil {
				c.lost(host, s, "a second checker is not expressible (one check per real server)")
				continue
			}
			rs.check = c.readCheck(hm, s)
		default:
			c.lost(host, s, "real_server %s: %s has no counterpart in clusterctl's model", strings.Join(n.Args, " "), kw)
		}
	}
	return rs, true
}

func (c *cluster) readCheck(hm *hostModel, n *keepalived.Node) *rsCheck {
	host := hm.h.Name
	ck := &rsCheck{typ: checkTypes[n.Keyword]}
	for _, s := range n.Children {
		kw := keepalived.CanonicalKeyword(n.Keyword, s.Keyword)
		switch kw {
		case "connect_timeout", "retry", "delay_before_retry", "warmup", "connect_port", "bind_port":
			v, ok := num(s.Arg(0))
			if !ok || len(s.Args) != 1 {
				c.lost(host, s, "%s %q is not a whole number", kw, strings.Join(s.Args, " "))
				continue
			}
			*map[string]*int{"connect_timeout": &ck.connectTimeout, "retry": &ck.retry, "delay_before_retry": &ck.delayBeforeRetry,
				"warmup": &ck.warmup, "connect_port": &ck.connectPort, "bind_port": &ck.bindPort}[kw] = v
		case "connect_ip", "bindto":
			a, err := netip.ParseAddr(s.Arg(0))
			if err != nil || len(s.Args) != 1 {
				c.lost(host, s, "%s %q is not an IP address", kw, strings.Join(s.Args, " "))
				continue
			}
			if kw == "connect_ip" {
				ck.connectIP = a.String()
			} else {
				ck.bindTo = a.String()
			}
		case "url":
			for _, u := range s.Children {
				switch u.Keyword {
				case "path":
					ck.path = u.Arg(0)
				case "digest":
					ck.digest = strings.ToLower(u.Arg(0))
				case "status_code":
					ck.status, _ = num(u.Arg(0))
				default:
					c.lost(host, u, "url %s is not expressible", u.Keyword)
				}
			}
		case "type", "name", "helo_name", "track_file":
			if n.Keyword == "BFD_CHECK" && kw == "name" && len(s.Args) == 1 {
				ck.bfd = s.Arg(0)
				continue
			}
			if len(s.Args) != 1 || n.Keyword == "DNS_CHECK" && kw != "type" && kw != "name" ||
				n.Keyword == "SMTP_CHECK" && kw != "helo_name" || n.Keyword == "FILE_CHECK" && kw != "track_file" {
				c.lost(host, s, "%s %s %s is not expressible", n.Keyword, kw, strings.Join(s.Args, " "))
				continue
			}
			switch kw {
			case "type":
				ck.dnsType = strings.ToUpper(s.Arg(0))
			case "name":
				ck.dnsName = s.Arg(0)
			case "helo_name":
				ck.helo = s.Arg(0)
			default:
				ck.trackFile = trackFileName(s.Arg(0))
			}
		case "payload":
			ck.payload = strings.ToLower(strings.Join(s.Args, " "))
		case "require_reply":
			ck.requireReply = true
			ck.reply = strings.ToLower(strings.Join(s.Args, " "))
		case "weight":
			v, ok := num(s.Arg(0))
			if n.Keyword != "FILE_CHECK" || !ok || len(s.Args) > 2 || len(s.Args) == 2 && s.Args[1] != "reverse" && s.Args[1] != "noreverse" {
				c.lost(host, s, "%s weight %s is not expressible", n.Keyword, strings.Join(s.Args, " "))
				continue
			}
			ck.fileWeight = &v
			ck.reverse = len(s.Args) == 2 && s.Args[1] == "reverse"
		case "misc_path":
			ck.misc = strings.Join(s.Args, " ")
			c.adoptScript(hm, s, s.Args)
		default:
			c.lost(host, s, "%s %s has no counterpart in the model's check", n.Keyword, kw)
		}
	}
	return ck
}

// trackFileName is the configuration name of a keepalived track_file
// block: its name without the tf_ prefix clusterctl renders.
func trackFileName(s string) string { return hclName(strings.TrimPrefix(s, "tf_")) }

// readIPVS adopts the services of a host's live IPVS table that its
// keepalived does not manage, as virtual servers clusterctl manages.
func (c *cluster) readIPVS(hm *hostModel) {
	h := hm.h
	if h.IPVS == nil {
		if h.IPVSNote != "" {
			c.findings = append(c.findings, Finding{Level: Info, Host: h.Name, Msg: "the IPVS table was not read: " + h.IPVSNote})
		}
		return
	}
	for _, s := range h.IPVS.Services {
		vs := &virtualServer{managedBy: "clusterctl", scheduler: s.Scheduler}
		switch s.Key.Protocol {
		case ipvs.TCP, ipvs.UDP:
			vs.protocol, vs.addr = string(s.Key.Protocol), s.Key.Addr
		case ipvs.FWMark:
			vs.fwmark, vs.protocol = s.Key.Mark, "tcp"
		}
		if old, ok := c.servers[vs.key()]; ok && old.managedBy == "keepalived" && slices.Contains(old.directors, h.Name) {
			continue // keepalived's own entry
		}
		if s.Persistent {
			vs.persistence = s.Timeout
			if s.Netmask.IsValid() && s.Netmask.String() != "255.255.255.255" {
				vs.netmask = s.Netmask.String()
			}
		}
		modes := map[string]bool{}
		for _, d := range s.Destinations {
			modes[d.Forward] = true
			vs.reals = append(vs.reals, realServer{addr: d.Addr.Addr(), port: d.Addr.Port(), weight: d.Weight, upper: d.Upper, lower: d.Lower})
		}
		switch {
		case len(modes) > 1:
			c.findings = append(c.findings, Finding{Level: Lost, Host: h.Name, Msg: fmt.Sprintf("IPVS service %s mixes forwarding methods; the model has one mode per virtual server", vs.key())})
			continue
		case modes[ipvs.Route]:
			vs.mode = "dr"
		case modes[ipvs.Tunnel]:
			vs.mode = "tun"
		default:
			vs.mode = "nat"
		}
		c.addServer(h.Name, "ipvsadm-save", vs)
	}
}
