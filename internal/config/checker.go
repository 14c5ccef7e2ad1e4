package config

import (
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// checkAttrs says which attributes of a real_server's check block apply
// to which check type; keepalived rejects the others ("Unknown keyword",
// `keepalived -t` exit 5). The connection attributes are keepalived's
// common checker keywords, which every connecting checker takes.
var checkAttrs = func() map[string][]string {
	conn := []string{"connect_ip", "connect_port", "bindto", "bind_port", "connect_timeout"}
	timing := []string{"retry", "delay_before_retry", "warmup"}
	with := func(lists ...[]string) []string {
		var out []string
		for _, l := range lists {
			out = append(out, l...)
		}
		return out
	}
	return map[string][]string{
		CheckTCP:  with(conn, timing),
		CheckHTTP: with(conn, timing, []string{"path", "status_code", "digest"}),
		CheckSSL:  with(conn, timing, []string{"path", "status_code", "digest"}),
		CheckDNS:  with(conn, timing, []string{"dns_type", "dns_name"}),
		CheckSMTP: with(conn, timing, []string{"helo_name"}),
		// An ICMP echo has no port.
		CheckPing: with([]string{"connect_ip", "bindto", "connect_timeout"}, timing),
		CheckUDP:  with(conn, timing, []string{"payload", "require_reply", "reply"}),
		CheckFile: {"track_file", "weight", "reverse"},
		CheckMisc: with(timing, []string{"misc_path"}),
		CheckBFD:  {"bfd_instance"},
	}
}()

// DNSCheckTypes are the query types keepalived's DNS_CHECK sends.
var DNSCheckTypes = []string{"A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA", "RRSIG", "DNSKEY"}

var (
	reDigest  = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)
	reHex     = regexp.MustCompile(`^[0-9a-fA-F]{2}( ?[0-9a-fA-F]{2})*$`)
	reDNSName = regexp.MustCompile(`^(\.|([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?)$`)
	reHelo    = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,253}[A-Za-z0-9])?$`)
)

func (d *decoder) decodeRealServerCheck(blk *hcl.Block) *RealServerCheck {
	r := d.reader(blk.Body, realServerCheckSchema)
	defer d.done(r)
	c := &RealServerCheck{DeclRange: blk.DefRange, Ranges: r.ranges}
	c.Type = r.str("type", "")
	allowed, ok := checkAttrs[c.Type]
	if !ok {
		r.errorf(r.ranges["type"], "Invalid check type",
			"type must be one of \"tcp\" (TCP_CHECK), \"http\" (HTTP_GET), \"ssl\" (SSL_GET), \"dns\" (DNS_CHECK), \"smtp\" (SMTP_CHECK), \"ping\" (PING_CHECK), \"udp\" (UDP_CHECK), \"file\" (FILE_CHECK), \"bfd\" (BFD_CHECK) or \"misc\" (MISC_CHECK); got %q.%s",
			c.Type, suggest(c.Type, slices.Sorted(maps.Keys(checkAttrs))))
		return c
	}
	kw := CheckKeywords[c.Type]
	for _, a := range slices.Sorted(maps.Keys(r.content.Attributes)) {
		if a == "type" || slices.Contains(allowed, a) {
			continue
		}
		r.errorf(r.ranges[a], a+" on a "+c.Type+" check",
			"keepalived's %s has no %s (`keepalived -t` rejects the file: \"Unknown keyword\"); a %s check takes %s. Remove it.", kw, a, c.Type, strings.Join(allowed, ", "))
	}
	c.ConnectTimeout = r.integer("connect_timeout", 0, 1, 3600)
	c.Retry = r.integer("retry", 0, 1, 100)
	c.DelayBeforeRetry = r.integer("delay_before_retry", 0, 1, 3600)
	c.Warmup = r.integer("warmup", 0, 1, 3600)
	c.ConnectIP = r.addr("connect_ip")
	c.BindTo = r.addr("bindto")
	if c.ConnectIP.IsValid() && c.BindTo.IsValid() && c.ConnectIP.Is6() != c.BindTo.Is6() {
		// keepalived 2.2.7: "bindto address ... does not match address
		// family of connect_ip - skipping".
		r.errorf(r.ranges["bindto"], "bindto and connect_ip of different families",
			"The checker connects from bindto %s to connect_ip %s: both must be IPv4 or both IPv6 (keepalived 2.2.7 skips bindto otherwise).", c.BindTo, c.ConnectIP)
	}
	c.ConnectPort = uint16(r.integer("connect_port", 0, 1, 65535))
	c.BindPort = uint16(r.integer("bind_port", 0, 1, 65535))

	switch c.Type {
	case CheckHTTP, CheckSSL:
		c.Path = r.str("path", "/")
		if !reURLPath.MatchString(c.Path) {
			r.errorf(r.ranges["path"], "Invalid URL path", "path must start with / and use only URL-safe characters; got %q.", c.Path)
		}
		c.Digest = strings.ToLower(r.str("digest", ""))
		if r.has("digest") && !reDigest.MatchString(c.Digest) {
			r.errorf(r.ranges["digest"], "Invalid digest", "digest is the MD5 of the page as 32 hexadecimal digits (genhash prints it); got %q.", c.Digest)
		}
		def := 200
		if c.Digest != "" {
			def = 0 // the digest alone decides
		}
		c.StatusCode = r.integer("status_code", def, 100, 599)
	case CheckDNS:
		c.DNSType = strings.ToUpper(r.str("dns_type", ""))
		if r.has("dns_type") && !slices.Contains(DNSCheckTypes, c.DNSType) {
			r.errorf(r.ranges["dns_type"], "Invalid dns_type", "dns_type must be one of %s (keepalived's DNS_CHECK types); got %q.", strings.Join(DNSCheckTypes, " "), c.DNSType)
		}
		c.DNSName = r.str("dns_name", "")
		switch n := c.DNSName; {
		case !r.has("dns_name"):
		case !reDNSName.MatchString(n) || len(n) > 253:
			r.errorf(r.ranges["dns_name"], "Invalid dns_name", "dns_name must be a domain name such as example.org (no empty label: keepalived 2.2.7 ignores such a name); got %q.", n)
		case len(n) > 1 && n[1] == '.':
			// keepalived 2.2.7 looks for an empty label by testing the
			// character after the name's start and after each dot, so a
			// one-character first label reads as empty: "DNS_CHECK name
			// 'a.b.' has empty label - ignoring", `keepalived -t` exit 5.
			r.errorf(r.ranges["dns_name"], "Invalid dns_name", "keepalived 2.2.7 takes a one-character first label for an empty one (\"DNS_CHECK name %q has empty label - ignoring\") and `keepalived -t` fails; use a longer first label.", n)
		}
	case CheckSMTP:
		c.HeloName = r.str("helo_name", "")
		if r.has("helo_name") && !reHelo.MatchString(c.HeloName) {
			r.errorf(r.ranges["helo_name"], "Invalid helo_name", "helo_name must be a host name such as mail.example.org; got %q.", c.HeloName)
		}
	case CheckUDP:
		c.Payload = d.hexAttr(r, "payload")
		c.RequireReply = r.boolean("require_reply", false)
		c.Reply = d.hexAttr(r, "reply")
		if c.Reply != "" && !c.RequireReply {
			r.errorf(r.ranges["reply"], "reply without require_reply", "reply is the answer the check requires; set require_reply = true as well.")
		}
	case CheckFile:
		name, ok := r.ref("track_file", "track_file")
		if ok {
			c.TrackFile = name.Name
			d.pendingCheckFiles = append(d.pendingCheckFiles, name)
		} else if !r.has("track_file") {
			r.errorf(blk.DefRange, "Missing track_file", "A file check reads a track_file block: set track_file = track_file.NAME.")
		}
		c.HasFileWeight = r.has("weight")
		c.FileWeight = r.integer("weight", 0, -(1<<31 - 1), 1<<31-1)
		c.FileReverse = r.boolean("reverse", false)
		if r.has("reverse") && !c.HasFileWeight {
			r.errorf(r.ranges["reverse"], "reverse without weight", "reverse is written after the check's weight (weight N reverse); set weight too, or leave both to the track_file block.")
		}
	case CheckBFD:
		if ref, ok := r.ref("bfd_instance", "bfd_instance"); ok {
			c.BFD = ref.Name
			d.pendingCheckBFDs = append(d.pendingCheckBFDs, ref)
		} else if !r.has("bfd_instance") {
			r.errorf(blk.DefRange, "Missing bfd_instance", "A bfd check follows a BFD session: set bfd_instance = bfd_instance.NAME.")
		}
	case CheckMisc:
		c.MiscPath = r.str("misc_path", "")
		if c.MiscPath != "" && !validCommand(c.MiscPath) {
			r.errorf(r.ranges["misc_path"], "Invalid misc_path", "misc_path must be an absolute path (no . or .. component) optionally followed by simple arguments; got %q.", c.MiscPath)
		}
		if c.MiscPath == "" {
			r.errorf(blk.DefRange, "Missing misc_path", "A misc check needs misc_path.")
		}
	}
	return c
}

// hexAttr reads a UDP_CHECK byte string: pairs of hexadecimal digits,
// optionally separated by single spaces.
func (d *decoder) hexAttr(r *blockReader, name string) string {
	s := strings.ToLower(r.str(name, ""))
	if !r.has(name) {
		return ""
	}
	switch {
	case !reHex.MatchString(s):
		r.errorf(r.ranges[name], "Invalid "+name, "%s is bytes as pairs of hexadecimal digits, optionally separated by spaces (\"0001 0203\"); got %q.", name, s)
		return ""
	case strings.HasSuffix(s, "ff"):
		// keepalived 2.2.7's read_hex_str takes a last byte of 0xff for
		// its own end marker: "Invalid hex string for UDP_CHECK".
		r.errorf(r.ranges[name], "Invalid "+name, "keepalived 2.2.7 rejects a %s whose last byte is ff (\"Invalid hex string for UDP_CHECK\"); end it with another byte.", name)
		return ""
	}
	return s
}
