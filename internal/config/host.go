package config

import (
	"net/netip"
	"sort"
	"strconv"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

var connectionAttrs = []hcl.AttributeSchema{
	{Name: "port"}, {Name: "user"}, {Name: "identity_file"}, {Name: "sudo"}, {Name: "bastion"},
}

var defaultsSchema = &hcl.BodySchema{Attributes: connectionAttrs}

func (d *decoder) decodeDefaults(blocks []*hcl.Block) Connection {
	blk := d.onlyOne(blocks)
	if blk == nil {
		return Connection{}
	}
	r := d.reader(blk.Body, defaultsSchema)
	c := d.readConnection(r, Connection{})
	d.done(r)
	return c
}

// readConnection reads connection attributes over the inherited values.
func (d *decoder) readConnection(r *blockReader, c Connection) Connection {
	c.Port = r.integer("port", c.Port, 1, 65535)
	if u := r.str("user", ""); u != "" {
		if !reUser.MatchString(u) {
			r.errorf(r.ranges["user"], "Invalid user name", "%q is not a valid user name.", u)
		}
		c.User = u
	}
	if f := r.str("identity_file", ""); f != "" {
		c.IdentityFile = f
	}
	c.Sudo = r.boolean("sudo", c.Sudo)
	if b := r.str("bastion", ""); b != "" {
		if !reBastion.MatchString(b) {
			r.errorf(r.ranges["bastion"], "Invalid bastion", "bastion must be [user@]host[:port], or several separated by commas; got %q.", b)
		}
		c.Bastion = b
	}
	return c
}

var hostSchema = &hcl.BodySchema{
	Attributes: append([]hcl.AttributeSchema{
		{Name: "address"}, {Name: "gateway"}, {Name: "packages"}, {Name: "services"},
	}, connectionAttrs...),
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "interface", LabelNames: []string{"name"}},
		{Type: "file", LabelNames: []string{"path"}},
		{Type: "firewall"},
	},
}

var interfaceSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "addresses", Required: true}},
}

var fileSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "content", Required: true}, {Name: "mode"}, {Name: "owner"}, {Name: "group"},
	},
}

func (d *decoder) decodeHost(blk *hcl.Block, defaults Connection) *Host {
	h := &Host{Name: blk.Labels[0], DeclRange: blk.DefRange, Files: map[string]*File{}}
	if !reName.MatchString(h.Name) {
		d.errorf(blk.LabelRanges[0].Ptr(), "Invalid host name", "Host names must match %s; got %q.", reName, h.Name)
	}
	r := d.reader(blk.Body, hostSchema)
	h.Ranges = r.ranges
	h.Connection = d.readConnection(r, defaults)
	h.Connection.Address = r.str("address", "")
	if a := h.Connection.Address; a != "" && !reHostname.MatchString(a) {
		r.errorf(r.ranges["address"], "Invalid address", "address must be an IP address or a host name; got %q.", a)
	}
	h.Gateway = r.addr("gateway")
	for _, p := range r.strings("packages") {
		if !rePackage.MatchString(p) {
			r.errorf(r.ranges["packages"], "Invalid package name", "%q is not a valid package name.", p)
			continue
		}
		h.Packages = append(h.Packages, p)
	}
	for _, s := range r.strings("services") {
		if !reService.MatchString(s) {
			r.errorf(r.ranges["services"], "Invalid service name", "%q is not a valid service name.", s)
			continue
		}
		h.Services = append(h.Services, s)
	}
	seen := map[string]hcl.Range{}
	for _, ib := range r.content.Blocks.OfType("interface") {
		name := ib.Labels[0]
		if !reInterface.MatchString(name) {
			d.errorf(ib.LabelRanges[0].Ptr(), "Invalid interface name", "%q is not a valid Linux interface name (at most 15 characters of letters, digits, '_', '.', '-', '@').", name)
		}
		if first, dup := seen[name]; dup {
			d.errorf(ib.LabelRanges[0].Ptr(), "Duplicate interface block", "Interface %q of host %q was already defined at %s.", name, h.Name, first.String())
			continue
		}
		seen[name] = ib.DefRange
		ir := d.reader(ib.Body, interfaceSchema)
		iface := Interface{Name: name, Addresses: ir.prefixes("addresses", true), DeclRange: ib.DefRange, Ranges: ir.ranges}
		d.done(ir)
		h.Interfaces = append(h.Interfaces, iface)
	}
	sort.Slice(h.Interfaces, func(i, j int) bool { return h.Interfaces[i].Name < h.Interfaces[j].Name })
	for _, fb := range r.content.Blocks.OfType("file") {
		f := d.decodeFile(fb)
		if prev, dup := h.Files[f.Path]; dup {
			d.errorf(fb.LabelRanges[0].Ptr(), "Duplicate file block", "File %q of host %q was already defined at %s.", f.Path, h.Name, prev.DeclRange.String())
			continue
		}
		h.Files[f.Path] = f
	}
	d.decodeHostFirewall(h, r.content.Blocks.OfType("firewall"))
	if h.Connection.Address == "" {
		// SSH goes to the first interface address when none is given.
		for _, i := range h.Interfaces {
			if len(i.Addresses) > 0 {
				h.Connection.Address = i.Addresses[0].Addr().String()
				break
			}
		}
	}
	if h.Connection.Address == "" && !r.has("address") {
		r.errorf(blk.DefRange, "Missing host address", "Host %q needs an address (or an interface with an address) to connect to.", h.Name)
	}
	d.done(r)
	return h
}

// MaxFileSize is the largest managed file: the size up to which facts
// gathering reads a file back (facts.MaxFileSize), so that a plan can
// compare it.
const MaxFileSize = 1 << 20

func (d *decoder) decodeFile(blk *hcl.Block) *File {
	f := &File{Path: blk.Labels[0], DeclRange: blk.DefRange, Mode: 0o644, Owner: "root", Group: "root"}
	if !validPath(f.Path) {
		d.errorf(blk.LabelRanges[0].Ptr(), "Invalid file path", "File paths must be absolute, use only letters, digits and ._+@/- and have no . or .. component; got %q.", f.Path)
	}
	r := d.reader(blk.Body, fileSchema)
	f.Ranges = r.ranges
	f.Content = r.str("content", "")
	if len(f.Content) > MaxFileSize {
		r.errorf(r.ranges["content"], "File too large", "The content of %s is %d bytes; clusterctl manages files of at most %d bytes (it could not read a larger one back to compare).", f.Path, len(f.Content), MaxFileSize)
	}
	f.Sensitive = r.usedSensitive["content"]
	if m := r.str("mode", ""); m != "" {
		v, err := strconv.ParseUint(m, 8, 32)
		if err != nil || v > 0o7777 {
			r.errorf(r.ranges["mode"], "Invalid file mode", "mode must be an octal string such as \"0644\"; got %q.", m)
		} else {
			f.Mode = uint32(v)
		}
	}
	for _, kv := range []struct {
		attr string
		dst  *string
	}{{"owner", &f.Owner}, {"group", &f.Group}} {
		if v := r.str(kv.attr, ""); v != "" {
			if !reUser.MatchString(v) {
				r.errorf(r.ranges[kv.attr], "Invalid "+kv.attr, "%q is not a valid %s name.", v, kv.attr)
			}
			*kv.dst = v
		}
	}
	d.done(r)
	return f
}

var keepalivedSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "router_id"}, {Name: "notification_email"}, {Name: "notification_email_from"},
		{Name: "smtp_server"}, {Name: "smtp_connect_timeout"},
		{Name: "enable_script_security"}, {Name: "script_user"}, {Name: "config_mode"},
		{Name: "vrrp_strict"}, {Name: "raw"}, {Name: "raw_blocks"},
		{Name: "notify_fifo"}, {Name: "notify_fifo_script"},
	},
}

func (d *decoder) decodeKeepalived(blocks []*hcl.Block) Keepalived {
	blk := d.onlyOne(blocks)
	if blk == nil {
		return Keepalived{EnableScriptSecurity: true, ScriptUser: "root", ConfigMode: 0o640}
	}
	r := d.reader(blk.Body, keepalivedSchema)
	k := Keepalived{DeclRange: blk.DefRange, Ranges: r.ranges}
	k.RouterID = r.str("router_id", "")
	if k.RouterID != "" && !reRouterID.MatchString(k.RouterID) {
		r.errorf(r.ranges["router_id"], "Invalid router_id", "router_id must be a single word of letters, digits, '_', '.', '-'; got %q.", k.RouterID)
	}
	for _, e := range r.strings("notification_email") {
		if !reEmail.MatchString(e) {
			r.errorf(r.ranges["notification_email"], "Invalid e-mail address", "%q is not a plain e-mail address.", e)
			continue
		}
		k.NotificationEmail = append(k.NotificationEmail, e)
	}
	k.NotificationEmailFrom = r.str("notification_email_from", "")
	if e := k.NotificationEmailFrom; e != "" && !reEmail.MatchString(e) {
		r.errorf(r.ranges["notification_email_from"], "Invalid e-mail address", "%q is not a plain e-mail address.", e)
	}
	k.SMTPServer = r.str("smtp_server", "")
	if s := k.SMTPServer; s != "" {
		_, err := netip.ParseAddr(s)
		switch {
		case err == nil:
		case !reHostname.MatchString(s):
			r.errorf(r.ranges["smtp_server"], "Invalid SMTP server", "smtp_server must be an IP address; got %q.", s)
		default:
			// keepalived 2.2.7: "Invalid smtp server mail 25" (exit 5)
			// when the name does not resolve as it loads the file.
			r.errorf(r.ranges["smtp_server"], "SMTP server is not an IP address",
				"keepalived 2.2.7 resolves a host name in smtp_server each time it loads its configuration, and where it does not resolve (no DNS at boot, a typo) `keepalived -t` rejects the file. Use the server's IP address (127.0.0.1 for this host); got %q.", s)
		}
	}
	k.SMTPConnectTimeout = r.integer("smtp_connect_timeout", 0, 1, 3600)
	// keepalived 2.x refuses (keepalived -t exits 6) to run scripts as
	// root unless script security is on; on by default, scripts as root.
	k.EnableScriptSecurity = r.boolean("enable_script_security", true)
	k.ScriptUser = r.str("script_user", "root")
	if u := k.ScriptUser; u != "" && !reUser.MatchString(u) {
		r.errorf(r.ranges["script_user"], "Invalid script_user", "%q is not a valid user name.", u)
	}
	// An adopted cluster's keepalived.conf keeps the mode it was found
	// with; it holds auth_pass, so it may not be writable but by root.
	k.VRRPStrict = r.boolean("vrrp_strict", false)
	k.ConfigMode = 0o640
	if m := r.str("config_mode", ""); m != "" {
		v, err := strconv.ParseUint(m, 8, 32)
		if err != nil || v > 0o777 || v&0o022 != 0 || v&0o400 == 0 {
			r.errorf(r.ranges["config_mode"], "Invalid config_mode", "config_mode is keepalived.conf's mode as an octal string, readable by its owner and writable by nobody else, such as \"0640\" (the default) or \"0644\"; got %q.", m)
		} else {
			k.ConfigMode = uint32(v)
		}
	}
	k.NotifyFIFO = r.str("notify_fifo", "")
	if f := k.NotifyFIFO; f != "" && !validPath(f) {
		r.errorf(r.ranges["notify_fifo"], "Invalid notify_fifo", "notify_fifo is the path of the FIFO keepalived writes state changes to: an absolute path (no . or .. component) of letters, digits and ._+@/-; got %q.", f)
	}
	k.NotifyFIFOScript = r.str("notify_fifo_script", "")
	if sc := k.NotifyFIFOScript; sc != "" {
		switch {
		case !validPath(sc):
			// keepalived reads the words after it as the user and group
			// to run it as, so it takes no arguments here.
			r.errorf(r.ranges["notify_fifo_script"], "Invalid notify_fifo_script", "notify_fifo_script is the path of the command keepalived starts to read the FIFO: an absolute path (no . or .. component, no arguments: keepalived reads the words after it as a user and group) of letters, digits and ._+@/-; got %q.", sc)
		case k.NotifyFIFO == "":
			// keepalived 2.2.7 ignores the script without a FIFO to read.
			r.errorf(r.ranges["notify_fifo_script"], "notify_fifo_script without notify_fifo",
				"notify_fifo_script is the command keepalived starts to read its notify FIFO; set notify_fifo to the FIFO's path too.")
		}
	}
	k.Raw = d.decodeRaw(r, "raw", rawGlobalDefs)
	k.RawBlocks = d.decodeRaw(r, "raw_blocks", rawTop)
	d.done(r)
	return k
}

// hostDecodeOrder orders host blocks so that a host referring to
// host.OTHER comes after OTHER. Blocks of the same name keep their file
// order (so duplicates cite the first one); references to undeclared
// hosts, to the host itself and cycles are left for evaluation to report,
// and such blocks come last in file order.
func hostDecodeOrder(blocks []*hcl.Block) []*hcl.Block {
	declared := map[string]bool{}
	for _, b := range blocks {
		declared[b.Labels[0]] = true
	}
	done := map[string]bool{}
	var out []*hcl.Block
	pending := blocks
	for len(pending) > 0 {
		var next []*hcl.Block
		waiting := map[string]bool{} // names with a pending earlier block
		for _, b := range pending {
			name := b.Labels[0]
			ready := !waiting[name]
			for _, dep := range hostReferences(b.Body) {
				if declared[dep] && !done[dep] {
					ready = false
				}
			}
			if !ready {
				waiting[name] = true
				next = append(next, b)
				continue
			}
			out = append(out, b)
		}
		if len(next) == len(pending) {
			return append(out, next...)
		}
		for _, b := range out {
			done[b.Labels[0]] = true
		}
		// A name is done only once all its blocks are out.
		for _, b := range next {
			delete(done, b.Labels[0])
		}
		pending = next
	}
	return out
}

// hostReferences returns the NAMEs of every host.NAME reference in body
// and its nested blocks.
func hostReferences(body hcl.Body) []string {
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return nil
	}
	var out []string
	for _, a := range sb.Attributes {
		for _, t := range a.Expr.Variables() {
			if t.RootName() != "host" || len(t) < 2 {
				continue
			}
			if attr, ok := t[1].(hcl.TraverseAttr); ok {
				out = append(out, attr.Name)
			}
		}
	}
	for _, b := range sb.Blocks {
		out = append(out, hostReferences(b.Body)...)
	}
	return out
}
