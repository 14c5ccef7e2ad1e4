package apply_test

// Fault injection for apply: a simulated cluster of remote.Fake hosts
// (faultSim) that answers every command clusterctl sends — facts, lock,
// packages, modules, sysctls, addresses, routes, files, iptables, IPVS,
// services, the gate — and keeps the resulting state, so a plan made after
// a fault describes what really remains. TestApplyFaultEveryOperation
// fails each remote operation of a fresh-host apply in turn and checks the
// guarantees of docs/reliability.md after each.

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clusterctl/clusterctl/internal/apply"
	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/engine"
	"github.com/clusterctl/clusterctl/internal/facts/factstest"
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// faultHost is the simulated state of one machine beyond its files, which
// the Fake itself holds.
type faultHost struct {
	name   string
	fake   *remote.Fake
	ifaces []config.Interface
	// noPackageManager: apt-get is missing.
	pkgs     map[string]bool
	services map[string][2]bool // active, enabled
	sysctls  map[string]string
	modules  map[string]bool
	addrs    []string // "dev prefix"
	routes   []string // "dst via dev" lines as `ip route` prints them
	ipvsSave []string // ipvsadm-save lines
	natRules []string // rules of the CLUSTERCTL chain
	natChain bool
	natJump  bool
	// foreignNAT are iptables-save lines of rules clusterctl did not make.
	foreignNAT []string
	// factsHook, when set, replaces the facts answer.
	factsHook func(token string) (remote.Result, error)
	// mutations counts commands that change state (for NotStarted checks).
	mutations int
}

// faultSim is a cluster of simulated hosts.
type faultSim struct {
	t     *testing.T
	cfg   *config.Config
	mu    sync.Mutex
	hosts map[string]*faultHost
	// drop, when non-zero, is the 1-based apply-operation index on
	// dropHost from which every operation fails (a dropped connection).
	dropHost string
	dropFrom atomic.Int64
	opCount  map[string]*atomic.Int64
	// beforeCmd, when set, runs before each command, outside the lock
	// (to delay one host's answer).
	beforeCmd func(host string, cmd remote.Cmd)
}

func faultLoad(t *testing.T, dir string) *config.Config {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join("..", "..", "examples", "lab-19.x", dir))
	if err != nil {
		t.Fatal(err)
	}
	cfg, diags := config.NewLoader().Load(abs, config.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("load %s: %s", dir, diags.Error())
	}
	return cfg
}

// newFaultSim makes fresh Debian-like hosts for cfg: interfaces with their
// addresses, nothing of clusterctl's installed or configured.
func newFaultSim(t *testing.T, cfg *config.Config) *faultSim {
	s := &faultSim{t: t, cfg: cfg, hosts: map[string]*faultHost{}, opCount: map[string]*atomic.Int64{}}
	for _, hn := range cfg.HostNames() {
		h := &faultHost{
			name: hn, fake: remote.NewFake(hn), pkgs: map[string]bool{"iptables": true},
			services: map[string][2]bool{}, modules: map[string]bool{},
			sysctls: map[string]string{},
		}
		for _, i := range cfg.Hosts[hn].Interfaces {
			h.ifaces = append(h.ifaces, i)
			for _, p := range i.Addresses {
				h.addrs = append(h.addrs, i.Name+" "+p.String())
				h.routes = append(h.routes, fmt.Sprintf("%s dev %s proto kernel scope link src %s", p.Masked(), i.Name, p.Addr()))
			}
		}
		s.opCount[hn] = &atomic.Int64{}
		h.fake.HandleDefault(func(cmd remote.Cmd) (remote.Result, error) {
			if s.beforeCmd != nil {
				s.beforeCmd(h.name, cmd)
			}
			return s.handle(h, cmd)
		})
		s.hosts[hn] = h
	}
	return s
}

// countFaults counts the operations of host and fails those from the
// drop point on.
func (s *faultSim) installDrop(host string) {
	n := s.opCount[host]
	s.hosts[host].fake.FailWhen(func(remote.Op) bool {
		i := n.Add(1)
		from := s.dropFrom.Load()
		return s.dropHost == host && from > 0 && i >= from
	}, errFaultDrop)
}

var (
	errFaultDrop    = fmt.Errorf("ssh: connection lost: %w", errors.New("EOF"))
	errFaultTimeout = fmt.Errorf("command timed out after 5m0s: %w", context.DeadlineExceeded)
)

func (s *faultSim) dial(_ context.Context, t remote.Target, _ remote.Options) (remote.Conn, error) {
	h, ok := s.hosts[t.Name]
	if !ok {
		return nil, fmt.Errorf("no host %s", t.Name)
	}
	return h.fake, nil
}

func (s *faultSim) session(t *testing.T) *engine.Session {
	t.Helper()
	ss, err := engine.NewSession(s.cfg, engine.Options{Dial: s.dial})
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

// faultWords splits a simple command line (quoteArgv output) into words.
func faultWords(s string) []string {
	var words []string
	var cur strings.Builder
	in := false
	quote := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case quote == '"':
			if c == '"' {
				quote = 0
			} else if c == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0 {
				i++
				cur.WriteByte(s[i])
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			in = true
		case c == ' ' || c == '\t' || c == '\n':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

var (
	faultBackupRE = regexp.MustCompile(`^if \[ -e (\S+) \]; then mkdir -p \S+ && cp -p \S+ (\S+); fi && (.*)$`)
	faultTokenRE  = regexp.MustCompile(`(?m)^B=([A-Za-z0-9_]+)$`)
	faultIntentRE = regexp.MustCompile(`^mkdir -p \S+ && \( umask 022; cat > (\S+) \) && mv -f \S+ (\S+)$`)
)

func faultOK(out string) (remote.Result, error) { return remote.Result{Stdout: []byte(out)}, nil }

func faultExit(code int, stderr string) (remote.Result, error) {
	return remote.Result{ExitCode: code, Stderr: []byte(stderr)}, nil
}

// handle answers one command on h.
func (s *faultSim) handle(h *faultHost, cmd remote.Cmd) (remote.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := cmd.Command
	switch {
	case c == "sh -s":
		m := faultTokenRE.FindSubmatch(cmd.Stdin)
		if m == nil {
			return faultExit(2, "no token")
		}
		if h.factsHook != nil {
			return h.factsHook(string(m[1]))
		}
		return faultOK(s.facts(h, string(m[1])))
	case strings.HasPrefix(c, "mkdir -p /run/lock && ( set -C"):
		if ff, ok := h.fake.File(resource.LockPath); ok {
			return remote.Result{ExitCode: 75, Stdout: ff.Data}, nil
		}
		h.fake.SetFile(resource.LockPath, cmd.Stdin, 0o600)
		return faultOK("")
	case strings.HasPrefix(c, "grep -q "):
		w := faultWords(c)
		if ff, ok := h.fake.File(resource.LockPath); ok && bytes.Contains(ff.Data, []byte(w[2])) {
			h.fake.RemoveFile(resource.LockPath)
		}
		return faultOK("")
	case strings.HasPrefix(c, "cat "+resource.LockPath):
		ff, _ := h.fake.File(resource.LockPath)
		h.fake.RemoveFile(resource.LockPath)
		return faultOK(string(ff.Data))
	case c == "ip -o addr show":
		return faultOK(s.ipAddr(h))
	case c == "systemctl is-active keepalived":
		if h.services["keepalived"][0] {
			return faultOK("active\n")
		}
		return remote.Result{ExitCode: 3, Stdout: []byte("inactive\n")}, nil
	case strings.HasPrefix(c, "DEBIAN_FRONTEND=noninteractive apt-get install"):
		first, _, _ := strings.Cut(c, " ||")
		w := faultWords(first)
		i := slices.Index(w, "--no-install-recommends")
		for _, p := range w[i+1:] {
			h.pkgs[p] = true
		}
		h.mutations++
		return faultOK("")
	case faultIntentRE.MatchString(c):
		m := faultIntentRE.FindStringSubmatch(c)
		h.fake.SetFile(m[2], cmd.Stdin, 0o644)
		h.mutations++
		return faultOK("")
	case strings.HasPrefix(c, "iptables-restore --noflush"):
		h.mutations++
		return s.iptablesRestore(h, string(cmd.Stdin))
	case strings.HasPrefix(c, "iptables -t nat -C POSTROUTING"):
		h.natJump = true
		h.mutations++
		return faultOK("")
	case strings.HasPrefix(c, "ipvsadm -R"):
		for _, line := range strings.Split(strings.TrimSpace(string(cmd.Stdin)), "\n") {
			if r, err := s.ipvsadm(h, strings.Fields(line)); err != nil || r.ExitCode != 0 {
				return r, err
			}
		}
		h.mutations++
		return faultOK("")
	}
	if m := faultBackupRE.FindStringSubmatch(c); m != nil {
		src, dst := faultWords(m[1])[0], faultWords(m[2])[0]
		if ff, ok := h.fake.File(src); ok {
			h.fake.SetFile(dst, ff.Data, ff.Mode)
		}
		c = m[3]
		if strings.HasPrefix(c, "{ sync ") {
			return faultOK("")
		}
	}
	// A && chain of simple commands.
	var res remote.Result
	for _, part := range strings.Split(c, " && ") {
		var err error
		res, err = s.simple(h, faultWords(part))
		if err != nil || res.ExitCode != 0 {
			return res, err
		}
	}
	return res, nil
}

// simple runs one simple command.
func (s *faultSim) simple(h *faultHost, w []string) (remote.Result, error) {
	if len(w) == 0 {
		return faultExit(2, "empty command")
	}
	switch w[0] {
	case "mkdir":
		return faultOK("")
	case "rm":
		for _, p := range w[2:] {
			h.fake.RemoveFile(p)
		}
		h.mutations++
		return faultOK("")
	case "chown":
		h.mutations++
		return faultOK("")
	case "chmod":
		m, err := strconv.ParseUint(w[1], 8, 32)
		if err != nil {
			return faultExit(1, "bad mode")
		}
		ff, ok := h.fake.File(w[2])
		if !ok {
			return faultExit(1, "chmod: no such file")
		}
		h.fake.SetFile(w[2], ff.Data, fs.FileMode(m))
		return faultOK("")
	case "test":
		if ff, ok := h.fake.File(w[2]); ok && len(ff.Data) > 0 {
			return faultOK("")
		}
		return faultExit(1, "")
	case "keepalived":
		if !h.pkgs["keepalived"] {
			return faultExit(127, "keepalived: not found")
		}
		return faultOK("")
	case "modprobe":
		for _, m := range w[2:] {
			h.modules[m] = true
		}
		h.mutations++
		return faultOK("")
	case "sysctl":
		for _, kv := range w[3:] {
			k, v, _ := strings.Cut(kv, "=")
			h.sysctls[k] = v
		}
		h.mutations++
		return faultOK("")
	case "ip":
		h.mutations++
		return s.ip(h, w[1:])
	case "ipvsadm":
		if len(w) > 1 && w[1] == "-L" {
			return faultOK("")
		}
		h.mutations++
		return s.ipvsadm(h, w[1:])
	case "systemctl":
		h.mutations++
		return s.systemctl(h, w[1:])
	}
	return faultExit(127, w[0]+": not simulated")
}

func (s *faultSim) ip(h *faultHost, w []string) (remote.Result, error) {
	switch {
	case len(w) >= 3 && w[0] == "link":
		return faultOK("")
	case len(w) == 5 && w[0] == "addr" && w[1] == "replace":
		a := w[4] + " " + w[2]
		if !slices.Contains(h.addrs, a) {
			h.addrs = append(h.addrs, a)
		}
		return faultOK("")
	case len(w) == 5 && w[0] == "addr" && w[1] == "del":
		h.addrs = slices.DeleteFunc(h.addrs, func(x string) bool { return x == w[4]+" "+w[2] })
		return faultOK("")
	case len(w) >= 3 && w[0] == "route" && w[1] == "replace":
		line := strings.Join(w[2:], " ")
		h.routes = slices.DeleteFunc(h.routes, func(x string) bool { return strings.Fields(x)[0] == w[2] })
		h.routes = append(h.routes, line)
		return faultOK("")
	}
	return faultExit(1, "ip: not simulated: "+strings.Join(w, " "))
}

func (s *faultSim) ipvsadm(h *faultHost, w []string) (remote.Result, error) {
	if !h.pkgs["ipvsadm"] || !h.modules["ip_vs"] {
		return faultExit(2, "Can't initialize ipvs: Protocol not available")
	}
	if len(w) < 3 {
		return faultExit(2, "ipvsadm: bad args")
	}
	line := strings.Join(w, " ")
	key := strings.Join(w[1:3], " ")
	switch w[0] {
	case "-A", "-a":
		h.ipvsSave = append(h.ipvsSave, line)
	case "-E":
		for i, l := range h.ipvsSave {
			if strings.HasPrefix(l, "-A "+key+" ") || l == "-A "+key {
				h.ipvsSave[i] = "-A" + strings.TrimPrefix(line, "-E")
			}
		}
	case "-D":
		h.ipvsSave = slices.DeleteFunc(h.ipvsSave, func(l string) bool { return strings.HasPrefix(l, "-A "+key) || strings.HasPrefix(l, "-a "+key) })
	case "-e", "-d":
		r := w[slices.Index(w, "-r")+1]
		h.ipvsSave = slices.DeleteFunc(h.ipvsSave, func(l string) bool { return strings.HasPrefix(l, "-a "+key+" -r "+r+" ") })
		if w[0] == "-e" {
			h.ipvsSave = append(h.ipvsSave, "-a"+strings.TrimPrefix(line, "-e"))
		}
	default:
		return faultExit(2, "ipvsadm: not simulated: "+line)
	}
	if _, err := ipvs.ParseSave([]byte(strings.Join(h.ipvsSave, "\n") + "\n")); err != nil {
		s.t.Errorf("%s: the IPVS table no longer parses after %q: %v", h.name, line, err)
	}
	return faultOK("")
}

func (s *faultSim) systemctl(h *faultHost, w []string) (remote.Result, error) {
	if len(w) == 1 && w[0] == "daemon-reload" {
		return faultOK("")
	}
	if len(w) != 2 {
		return faultExit(1, "systemctl: not simulated")
	}
	if !h.hasUnit(w[1]) {
		return faultExit(5, "Unit "+w[1]+".service not found.")
	}
	st := h.services[w[1]]
	switch w[0] {
	case "enable":
		st[1] = true
	case "start", "restart":
		st[0] = true
	case "reload":
		if !st[0] {
			return faultExit(1, w[1]+" is not active, cannot reload.")
		}
	case "stop":
		st[0] = false
	default:
		return faultExit(1, "systemctl: not simulated")
	}
	h.services[w[1]] = st
	return faultOK("")
}

// hasUnit reports whether a unit exists: from its package, or a unit file.
func (h *faultHost) hasUnit(name string) bool {
	if h.pkgs[name] {
		return true
	}
	_, ok := h.fake.File("/etc/systemd/system/" + name + ".service")
	return ok
}

func (s *faultSim) iptablesRestore(h *faultHost, in string) (remote.Result, error) {
	chain := resource.NATChain
	var rules []string
	remove := false
	for _, line := range strings.Split(in, "\n") {
		switch {
		case strings.HasPrefix(line, "-A "+chain+" "):
			rules = append(rules, strings.TrimPrefix(line, "-A "+chain+" "))
		case line == "-A POSTROUTING -j "+chain:
			h.natJump = true
		case line == "-D POSTROUTING -j "+chain:
			h.natJump = false
		case line == "-X "+chain:
			remove = true
		}
	}
	if remove {
		h.natChain, h.natRules = false, nil
	} else {
		h.natChain, h.natRules = true, rules
	}
	return faultOK("")
}

// ipAddr is `ip -o addr show`, with the VIPs of the VRRP instances held by
// the running member of highest priority.
func (s *faultSim) ipAddr(h *faultHost) string {
	addrs := slices.Clone(h.addrs)
	for _, inst := range s.cfg.VRRPInstances {
		best, bestPrio := "", -1
		for _, m := range inst.Members {
			if s.hosts[m.Host].services["keepalived"][0] && m.Priority > bestPrio {
				best, bestPrio = m.Host, m.Priority
			}
		}
		if best == h.name {
			for _, v := range inst.VirtualIPs {
				addrs = append(addrs, inst.Interface+" "+v.String())
			}
		}
	}
	var b strings.Builder
	b.WriteString("1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n")
	for _, a := range addrs {
		dev, p, _ := strings.Cut(a, " ")
		fmt.Fprintf(&b, "%d: %s    inet %s scope global %s\\       valid_lft forever preferred_lft forever\n", s.ifIndex(h, dev), dev, p, dev)
	}
	return b.String()
}

func (s *faultSim) ifIndex(h *faultHost, dev string) int {
	for i, ifc := range h.ifaces {
		if ifc.Name == dev {
			return i + 2
		}
	}
	return 99
}

// facts renders the facts script's output for h's state.
func (s *faultSim) facts(h *faultHost, token string) string {
	d := factstest.New(token)
	req := engine.Request(renderedFor(s.t, s.cfg, h.name))
	d.Cmd("os-release", 0, "ID=debian\nVERSION_ID=\"12\"\n", "")
	d.Cmd("hostname", 0, h.name+"\n", "")
	d.Section("pkgmgr apt", "")
	var dpkg strings.Builder
	for _, p := range append([]string{"keepalived"}, req.Packages...) {
		if h.pkgs[p] {
			fmt.Fprintf(&dpkg, "%s\t1.0\tii \n", p)
		}
	}
	d.Cmd("pkg-dpkg", 1, dpkg.String(), "")
	d.Cmd("ip-addr", 0, s.ipAddr(h), "")
	var links strings.Builder
	links.WriteString("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n")
	for i, ifc := range h.ifaces {
		fmt.Fprintf(&links, "%d: %s@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\\    link/ether 00:0c:29:aa:bb:%02x brd ff:ff:ff:ff:ff:ff link-netnsid 0\n", i+2, ifc.Name, i)
	}
	d.Cmd("ip-link", 0, links.String(), "")
	d.Cmd("ip-route", 0, strings.Join(h.routes, "\n")+"\n", "")
	d.Cmd("ip6-route", 0, "", "")
	for _, k := range req.Sysctls {
		v, ok := h.sysctls[k]
		if !ok {
			v = faultDefaultSysctl(k)
		}
		d.Section("sysctl "+k+" ok", v+"\n")
	}
	var mods []string
	for m := range h.modules {
		mods = append(mods, m+"\n")
	}
	sort.Strings(mods)
	d.Cmd("sys-module", 0, strings.Join(mods, ""), "")
	iv, pr := 0, 0
	if h.pkgs["ipvsadm"] {
		iv = 1
	}
	if h.modules["ip_vs"] {
		pr = 1
	}
	d.Section(fmt.Sprintf("ipvs ipvsadm=%d proc=%d moddir=1", iv, pr), "")
	if iv == 1 && pr == 1 {
		save := strings.Join(h.ipvsSave, "\n")
		if save != "" {
			save += "\n"
		}
		d.Cmd("ipvsadm-save", 0, save, "")
	}
	nat := "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
	if h.natChain {
		nat += ":" + resource.NATChain + " - [0:0]\n"
	}
	for _, r := range h.foreignNAT {
		nat += r + "\n"
	}
	if h.natJump {
		nat += "-A POSTROUTING -j " + resource.NATChain + "\n"
	}
	for _, r := range h.natRules {
		nat += "-A " + resource.NATChain + " " + r + "\n"
	}
	d.Cmd("iptables-nat", 0, nat+"COMMIT\n", "")
	paths := slices.Clone(req.Files)
	services := slices.Clone(req.Services)
	man, hasManifest := h.fake.File(resource.ManifestPath)
	if hasManifest {
		for _, line := range strings.Split(string(man.Data), "\n") {
			if p, ok := strings.CutPrefix(line, "file "); ok {
				paths = append(paths, p)
			}
			if svc, ok := strings.CutPrefix(line, "service "); ok && !slices.Contains(services, svc) {
				services = append(services, svc)
			}
		}
	}
	seen := map[string]bool{}
	for _, p := range paths {
		if seen[p] {
			continue
		}
		seen[p] = true
		if ff, ok := h.fake.File(p); ok {
			d.File(p, uint32(ff.Mode.Perm()), string(ff.Data))
		} else {
			d.NoFile(p)
		}
	}
	if hasManifest {
		d.Section("manifest present", string(man.Data))
	} else {
		d.Section("manifest absent", "")
	}
	var units []factstest.Service
	for _, svc := range services {
		u := factstest.Service{Name: svc, LoadState: "not-found", ActiveState: "inactive"}
		if h.hasUnit(svc) {
			st := h.services[svc]
			u.LoadState, u.UnitFileState = "loaded", "disabled"
			if st[0] {
				u.ActiveState = "active"
			}
			if st[1] {
				u.UnitFileState = "enabled"
			}
		}
		units = append(units, u)
	}
	d.Services(units...)
	if l, ok := h.fake.File(resource.LockPath); ok {
		d.Section("lock present", string(l.Data))
	} else {
		d.Section("lock absent", "")
	}
	for _, p := range []string{"keepalived", "nginx"} {
		n := 0
		if h.services[p][0] {
			n = 1
		}
		d.Section(fmt.Sprintf("proc %s %d", p, n), "")
	}
	return string(d.Bytes())
}

func faultDefaultSysctl(k string) string {
	switch {
	case strings.HasSuffix(k, "send_redirects"), strings.HasSuffix(k, "rp_filter"):
		return "1"
	}
	return "0"
}

// renderedFor returns the desired state of host (rendered once per call;
// the sim is small).
func renderedFor(t *testing.T, cfg *config.Config, host string) *resource.Host {
	s, err := engine.NewSession(cfg, engine.Options{Dial: func(context.Context, remote.Target, remote.Options) (remote.Conn, error) {
		return nil, errors.New("unused")
	}})
	if err != nil {
		t.Fatal(err)
	}
	return s.Desired[host]
}

// faultFastOptions make the gate's clock virtual so a gate that never
// settles ends at once.
func faultFastOptions() apply.Options {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return apply.Options{
		GateTimeout: 5 * time.Second,
		Now: func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			return now
		},
		Sleep: func(_ context.Context, d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			now = now.Add(d)
		},
	}
}

// faultApply runs what `clusterctl apply -auto-approve` runs: lock, plan,
// apply, unlock. It returns the plan, the result and the first error.
func faultApply(t *testing.T, s *faultSim) (*plan.Plan, apply.Result, error, error) {
	t.Helper()
	ss := s.session(t)
	ctx := context.Background()
	unlock, err := apply.Lock(ctx, ss, apply.NewLockInfo(time.Now()))
	if err != nil {
		return nil, apply.Result{}, err, nil
	}
	p, gathered, err := ss.Plan(ctx)
	if err != nil {
		return nil, apply.Result{}, err, unlock(ctx)
	}
	res, err := apply.Run(ctx, ss, p, gathered, faultFastOptions())
	return p, res, err, unlock(ctx)
}

// faultPlan gathers facts and plans; it fails the test on error.
func faultPlan(t *testing.T, s *faultSim) *plan.Plan {
	t.Helper()
	p, _, err := s.session(t).Plan(context.Background())
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	return p
}

// faultSnapshot is every host's file map.
type faultSnapshot map[string]map[string][]byte

func (s *faultSim) snapshot() faultSnapshot {
	out := faultSnapshot{}
	for hn, h := range s.hosts {
		out[hn] = map[string][]byte{}
		for _, p := range h.fake.Paths() {
			ff, _ := h.fake.File(p)
			out[hn][p] = ff.Data
		}
	}
	return out
}

// TestFaultSimConverges checks the simulator itself: a fresh apply of
// each lab converges (a second plan is empty) and sends no command twice.
func TestFaultSimConverges(t *testing.T) {
	for _, lab := range []string{"ha-nginx", "lvs-nat", "ha-lvs"} {
		t.Run(lab, func(t *testing.T) {
			s := newFaultSim(t, faultLoad(t, lab))
			p := faultPlan(t, s)
			if p.Empty() || !p.Applyable() {
				t.Fatalf("fresh plan: empty=%v applyable=%v", p.Empty(), p.Applyable())
			}
			_, res, err, uerr := faultApply(t, s)
			if err != nil || uerr != nil {
				t.Fatalf("apply: %v / unlock: %v", err, uerr)
			}
			if len(res.Done) != len(s.hosts) || res.Failed != "" || len(res.NotStarted) != 0 {
				t.Errorf("result = %+v", res)
			}
			if p := faultPlan(t, s); !p.Empty() {
				t.Errorf("plan after apply is not empty: %+v", faultChanges(p))
			}
		})
	}
}

func faultChanges(p *plan.Plan) []string {
	var out []string
	for _, h := range p.Hosts {
		for _, c := range h.Changes {
			out = append(out, fmt.Sprintf("%s: %s %s %s", h.Host, c.Action, c.Kind, c.Key))
		}
	}
	for _, e := range p.Errors {
		out = append(out, e.Host+": error: "+e.Error)
	}
	return out
}

// faultPoint is one injected fault.
type faultPoint struct {
	host string
	op   int // 1-based index among host's operations during apply.Run
	kind string
}

// TestApplyFaultEveryOperation enumerates every remote operation of a
// fresh-host apply of lab A (ha-nginx) and lab B (lvs-nat) and, for each,
// fails it — as a dropped connection (that operation and every later one
// on the host fail) and as a timeout (that operation alone fails) — then
// checks: Run fails naming the host (or, for a read the gate retries,
// succeeds); no managed file holds anything but its old or its complete new
// content, and new content only with its final mode; leftover temporary
// files are private (0600) or carry the final mode; the Result lists each
// host at most once and NotStarted hosts got no changing command; the lock
// left by a dropped connection is reported and ForceUnlock clears it; a
// new plan still lists changes, and a second apply converges.
func TestApplyFaultEveryOperation(t *testing.T) {
	if testing.Short() {
		t.Skip("hundreds of applies")
	}
	for _, lab := range []string{"ha-nginx", "lvs-nat"} {
		t.Run(lab, func(t *testing.T) {
			cfg := faultLoad(t, lab)
			// A clean run counts each host's operations inside apply.Run.
			base := newFaultSim(t, cfg)
			for hn := range base.hosts {
				base.installDrop(hn)
			}
			ss := base.session(t)
			p, gathered, err := ss.Plan(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			before := map[string]int64{}
			for hn, n := range base.opCount {
				before[hn] = n.Load()
			}
			if _, err := apply.Run(context.Background(), ss, p, gathered, faultFastOptions()); err != nil {
				t.Fatalf("clean apply: %v", err)
			}
			final := base.snapshot()
			var points []faultPoint
			for _, hn := range cfg.HostNames() {
				n := int(base.opCount[hn].Load() - before[hn])
				for i := 1; i <= n; i++ {
					points = append(points, faultPoint{hn, i, "drop"}, faultPoint{hn, i, "timeout"})
				}
			}
			tried, survived, absorbed := 0, 0, 0
			var leftovers atomic.Int64
			for _, fp := range points {
				ok, retried := faultOne(t, cfg, fp, final, &leftovers)
				tried++
				if ok {
					survived++
				}
				if retried {
					absorbed++
				}
			}
			t.Logf("%s: %d fault points tried (%d operations × drop/timeout), %d survived (%d absorbed by the gate's retry); %d harmless temporary files left by dropped connections", lab, tried, tried/2, survived, absorbed, leftovers.Load())
			if survived != tried {
				t.Errorf("%s: %d of %d fault points broke a guarantee", lab, tried-survived, tried)
			}
		})
	}
}

// faultOne injects fp into a fresh simulated cluster and checks the
// guarantees. ok reports whether all held; retried whether apply succeeded
// despite the fault.
func faultOne(t *testing.T, cfg *config.Config, fp faultPoint, final faultSnapshot, leftovers *atomic.Int64) (ok, retried bool) {
	t.Helper()
	name := fmt.Sprintf("%s op %d %s", fp.host, fp.op, fp.kind)
	errs := 0
	fail := func(format string, a ...any) {
		errs++
		t.Errorf("%s: "+format, append([]any{name}, a...)...)
	}
	s := newFaultSim(t, cfg)
	s.installDrop(fp.host)
	ss := s.session(t)
	ctx := context.Background()
	unlock, err := apply.Lock(ctx, ss, apply.NewLockInfo(time.Now()))
	if err != nil {
		t.Fatalf("%s: lock: %v", name, err)
	}
	p, gathered, err := ss.Plan(ctx)
	if err != nil {
		t.Fatalf("%s: plan: %v", name, err)
	}
	old := s.snapshot()
	start := s.opCount[fp.host].Load()
	mutations := map[string]int{}
	for hn, h := range s.hosts {
		mutations[hn] = h.mutations
	}
	if fp.kind == "drop" {
		s.dropFrom.Store(start + int64(fp.op))
		s.dropHost = fp.host
	} else {
		s.hosts[fp.host].fake.FailNth(len(s.hosts[fp.host].fake.Log())+fp.op, errFaultTimeout)
	}
	res, runErr := apply.Run(ctx, ss, p, gathered, faultFastOptions())
	unlockErr := unlock(ctx)

	// Run fails naming the faulted host, or absorbed the fault.
	if runErr == nil {
		retried = true
	} else if !strings.Contains(runErr.Error(), fp.host) {
		fail("error does not name the host: %v", runErr)
	}
	// Result: each host at most once; Failed is named in the error.
	seen := map[string]int{}
	for _, h := range append(append(slices.Clone(res.Done), res.NotStarted...), res.Failed) {
		if h != "" {
			seen[h]++
		}
	}
	for h, n := range seen {
		if n > 1 {
			fail("host %s listed %d times in %+v", h, n, res)
		}
	}
	if runErr != nil && res.Failed != "" && !strings.Contains(runErr.Error(), res.Failed) {
		fail("Failed=%s not named in the error %v", res.Failed, runErr)
	}
	if runErr == nil && (res.Failed != "" || len(res.NotStarted) > 0) {
		fail("success with failed/not-started hosts: %+v", res)
	}
	for _, hn := range res.NotStarted {
		if s.hosts[hn].mutations != mutations[hn] {
			fail("not-started host %s received changing commands", hn)
		}
	}
	// Files: each is absent/old, or complete new content with final mode;
	// temporaries are private or final-mode.
	for hn, h := range s.hosts {
		desired := ss.Desired[hn]
		for _, path := range h.fake.Paths() {
			ff, _ := h.fake.File(path)
			if strings.HasSuffix(path, ".tmp") {
				target := faultTarget(path)
				want := fs.FileMode(0o600)
				if target == resource.ManifestPath {
					want = 0o644
				}
				for _, df := range desired.Files {
					if df.Path == target {
						want = fs.FileMode(df.Mode).Perm()
					}
				}
				if m := ff.Mode.Perm(); m != 0o600 && m != want {
					fail("%s: temporary %s has mode %v: neither private nor its target's (%v)", hn, path, m, want)
				}
				leftovers.Add(1)
				continue
			}
			o, hadOld := old[hn][path]
			n := final[hn][path]
			if hadOld && bytes.Equal(ff.Data, o) {
				continue
			}
			if !bytes.Equal(ff.Data, n) {
				fail("%s: %s holds neither its old nor its new content", hn, path)
			}
			for _, df := range desired.Files {
				if df.Path == path && ff.Mode.Perm() != fs.FileMode(df.Mode).Perm() {
					fail("%s: %s has its new content with mode %v, want %04o", hn, path, ff.Mode, df.Mode)
				}
			}
		}
	}
	// Recovery, without the fault: the lock is reported if it was left,
	// force-unlock clears it, a plan lists the remaining work, and a
	// second apply converges.
	s.dropFrom.Store(0)
	ss2 := s.session(t)
	lockLeft := unlockErr != nil
	if _, err := apply.Lock(ctx, ss2, apply.NewLockInfo(time.Now())); err != nil {
		if !errors.Is(err, apply.ErrLockHeld) {
			fail("lock after the fault: %v", err)
		}
		if !lockLeft {
			fail("lock held although the unlock succeeded: %v", err)
		}
		if _, err := apply.ForceUnlock(ctx, ss2); err != nil {
			fail("force-unlock: %v", err)
		}
	} else if lockLeft {
		fail("the unlock failed (%v) but no lock was reported", unlockErr)
	}
	_, _ = apply.ForceUnlock(ctx, ss2) // release the lock this check took
	again := faultPlan(t, s)
	if runErr != nil && again.Empty() && !faultSameFiles(s.snapshot(), final) {
		fail("the plan after the failed apply is empty but files differ")
	}
	if !again.Applyable() {
		fail("plan after the fault is not applyable: %v", faultChanges(again))
	}
	if _, _, err, uerr := faultApply(t, s); err != nil || uerr != nil {
		fail("second apply: %v / unlock %v", err, uerr)
	}
	if p := faultPlan(t, s); !p.Empty() {
		fail("not converged after the second apply: %v", faultChanges(p))
	}
	return errs == 0, retried
}

// faultTarget is the path a temporary file was to be renamed to:
// DIR/.clusterctl-NAME.RAND.tmp → DIR/NAME; PATH.RAND.tmp → PATH.
func faultTarget(tmp string) string {
	dir, base := filepath.Split(strings.TrimSuffix(tmp, ".tmp"))
	if i := strings.LastIndexByte(base, '.'); i >= 0 {
		base = base[:i]
	}
	return dir + strings.TrimPrefix(base, ".clusterctl-")
}

// faultSameFiles compares the managed files (ignoring temporaries,
// backups and the lock).
func faultSameFiles(a, b faultSnapshot) bool {
	for hn := range b {
		for p, d := range b[hn] {
			if strings.HasPrefix(p, resource.BackupDir) || p == resource.LockPath {
				continue
			}
			if !bytes.Equal(a[hn][p], d) {
				return false
			}
		}
	}
	return true
}

// TestMisbehaveGarbageFacts: a host whose facts script answers random
// bytes, output cut short, or fails is reported in the plan's errors with
// a clear message; the other hosts are still planned; apply refuses.
// editStream edits the decoded section stream of facts output (see
// factstest) and encodes it again.
func editStream(t *testing.T, out, token string, edit func(string) string) string {
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) < 2 || lines[len(lines)-1] != token+" done" {
		t.Fatalf("facts output without trailer: %q", out)
	}
	stream, err := base64.StdEncoding.DecodeString(strings.Join(lines[1:len(lines)-1], ""))
	if err != nil {
		t.Fatal(err)
	}
	return string(factstest.Encode(token, []byte(edit(string(stream)))))
}

func TestMisbehaveGarbageFacts(t *testing.T) {
	cases := []struct {
		name string
		hook func(s *faultSim, h *faultHost) func(string) (remote.Result, error)
		want string
	}{
		{"random bytes", func(*faultSim, *faultHost) func(string) (remote.Result, error) {
			return func(string) (remote.Result, error) {
				b := make([]byte, 4096)
				for i := range b {
					b[i] = byte(i*7919%251 + 1)
				}
				return remote.Result{Stdout: b}, nil
			}
		}, "gather facts: facts output truncated"},
		{"truncated", func(s *faultSim, h *faultHost) func(string) (remote.Result, error) {
			return func(tok string) (remote.Result, error) {
				out := s.facts(h, tok)
				return remote.Result{Stdout: []byte(out[:len(out)/2])}, nil
			}
		}, "gather facts: facts output truncated"},
		{"bad section", func(s *faultSim, h *faultHost) func(string) (remote.Result, error) {
			return func(tok string) (remote.Result, error) {
				out := editStream(t, s.facts(h, tok), tok, func(stream string) string {
					return strings.Replace(stream, tok+" pkgmgr apt", tok+" pkgmgr $(reboot)", 1)
				})
				return remote.Result{Stdout: []byte(out)}, nil
			}
		}, "unknown package manager"},
		{"script fails", func(*faultSim, *faultHost) func(string) (remote.Result, error) {
			return func(string) (remote.Result, error) {
				return remote.Result{ExitCode: 1, Stderr: []byte("sh: 1: cannot open /dev/null: Permission denied\n")}, nil
			}
		}, "script exited 1: sh: 1: cannot open /dev/null: Permission denied"},
		{"sudo password", func(*faultSim, *faultHost) func(string) (remote.Result, error) {
			return func(string) (remote.Result, error) {
				return remote.Result{}, fmt.Errorf("web1: %w (configure NOPASSWD for the login user)", remote.ErrSudoPassword)
			}
		}, "sudo requires a password"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newFaultSim(t, faultLoad(t, "ha-nginx"))
			s.hosts["web1"].factsHook = tc.hook(s, s.hosts["web1"])
			p := faultPlan(t, s)
			if p.Applyable() || len(p.Errors) != 1 || p.Errors[0].Host != "web1" || !strings.Contains(p.Errors[0].Error, tc.want) {
				t.Fatalf("plan errors = %+v, want one for web1 containing %q", p.Errors, tc.want)
			}
			if hp := p.Host("web2"); hp == nil || len(hp.Changes) == 0 {
				t.Errorf("web2 was not planned despite web1's garbage: %+v", hp)
			}
			if _, err := apply.Run(context.Background(), s.session(t), p, nil, faultFastOptions()); err == nil {
				t.Errorf("apply ran a plan with errors")
			}
		})
	}
}

// TestMisbehaveNotInstalled: a fresh host without keepalived, ipvsadm or
// the ip_vs module gets package installs, a module load and a note.
func TestMisbehaveNotInstalled(t *testing.T) {
	s := newFaultSim(t, faultLoad(t, "lvs-nat"))
	p := faultPlan(t, s)
	dir := p.Host("dir")
	var got []string
	for _, c := range dir.Changes {
		if c.Kind == plan.KindPackage || c.Kind == plan.KindModule {
			got = append(got, string(c.Action)+" "+c.Key)
		}
	}
	for _, want := range []string{"create ipvsadm", "create ip_vs"} {
		if !slices.Contains(got, want) {
			t.Errorf("dir plan lacks %q; package/module changes: %v", want, got)
		}
	}
	note := strings.Join(dir.Notes, "\n")
	if !strings.Contains(note, "IPVS is not usable on this host (not-installed") {
		t.Errorf("dir notes = %q, want the IPVS not-installed note", note)
	}
	s2 := newFaultSim(t, faultLoad(t, "ha-nginx"))
	for _, hn := range []string{"web1", "web2"} {
		hp := faultPlan(t, s2).Host(hn)
		found := false
		for _, c := range hp.Changes {
			found = found || c.Kind == plan.KindPackage && c.Key == "keepalived" && c.Action == plan.Create
		}
		if !found {
			t.Errorf("%s: no keepalived install in the plan", hn)
		}
	}
}

// TestMisbehaveForeignRules: IPVS services and nat rules clusterctl did
// not create are left alone by plan (a note) and apply (no command names
// them; they are still there afterwards), and the cluster converges.
func TestMisbehaveForeignRules(t *testing.T) {
	s := newFaultSim(t, faultLoad(t, "lvs-nat"))
	dir := s.hosts["dir"]
	dir.pkgs["ipvsadm"], dir.modules["ip_vs"] = true, true
	foreignIPVS := []string{"-A -t 10.9.9.9:443 -s rr", "-a -t 10.9.9.9:443 -r 10.9.9.10:443 -m -w 1"}
	dir.ipvsSave = slices.Clone(foreignIPVS)
	dir.foreignNAT = []string{"-A POSTROUTING -s 10.0.0.0/8 -o ens37 -j MASQUERADE"}
	p := faultPlan(t, s)
	hp := p.Host("dir")
	for _, c := range hp.Changes {
		if strings.Contains(c.Key, "10.9.9.9") || c.Action == plan.Delete {
			t.Errorf("plan touches a foreign resource: %s %s %s", c.Action, c.Kind, c.Key)
		}
	}
	if !strings.Contains(strings.Join(hp.Notes, "\n"), "IPVS service -t 10.9.9.9:443 is not managed by clusterctl; left alone") {
		t.Errorf("notes = %q", hp.Notes)
	}
	if _, _, err, uerr := faultApply(t, s); err != nil || uerr != nil {
		t.Fatalf("apply: %v / %v", err, uerr)
	}
	for _, op := range dir.fake.Log() {
		txt := op.String()
		if op.Kind == remote.OpRun {
			txt += string(op.Cmd.Stdin)
		}
		if strings.Contains(txt, "10.9.9.9") || strings.Contains(txt, "10.0.0.0/8") || strings.Contains(txt, "ipvsadm -C") || strings.Contains(txt, "iptables -F") || strings.Contains(txt, "-t nat -F") {
			t.Errorf("apply touched a foreign rule: %s", txt)
		}
	}
	for _, l := range foreignIPVS {
		if !slices.Contains(dir.ipvsSave, l) {
			t.Errorf("foreign IPVS line %q is gone; table: %q", l, dir.ipvsSave)
		}
	}
	if p := faultPlan(t, s); !p.Empty() {
		t.Errorf("not converged: %v", faultChanges(p))
	}
}

// TestConcurrentLocksExactlyOne: two applies lock the same cluster at
// once, each reaching a different host first (the other host answers it
// late). Exactly one gets the cluster; the other is refused naming the
// holder; neither leaves a lock of its own behind.
func TestConcurrentLocksExactlyOne(t *testing.T) {
	s := newFaultSim(t, faultLoad(t, "ha-nginx"))
	a := apply.LockInfo{ID: "aaaaaaaaaaaa", Owner: "alice@a", PID: 1, Started: time.Now()}
	b := apply.LockInfo{ID: "bbbbbbbbbbbb", Owner: "bob@b", PID: 2, Started: time.Now()}
	order := s.session(t).Hosts()
	s.beforeCmd = func(host string, cmd remote.Cmd) {
		// A is slow on the first host, B on the others.
		if strings.HasPrefix(cmd.Command, "mkdir -p /run/lock") {
			if host == order[0] && bytes.Contains(cmd.Stdin, []byte("id="+a.ID)) ||
				host != order[0] && bytes.Contains(cmd.Stdin, []byte("id="+b.ID)) {
				time.Sleep(100 * time.Millisecond)
			}
		}
		if strings.HasPrefix(cmd.Command, "grep -q ") { // releases are slow
			time.Sleep(100 * time.Millisecond)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	unlocks := make([]func(context.Context) error, 2)
	for i, info := range []apply.LockInfo{a, b} {
		wg.Go(func() { unlocks[i], errs[i] = apply.Lock(context.Background(), s.session(t), info) })
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, apply.ErrLockHeld) || !strings.Contains(err.Error(), "owner="):
			t.Errorf("applier %d: %v", i, err)
		}
	}
	if won != 1 {
		t.Fatalf("%d appliers got the lock (errors %v), want exactly 1", won, errs)
	}
	winner := a.ID
	if errs[0] != nil {
		winner = b.ID
	}
	for hn, h := range s.hosts {
		ff, ok := h.fake.File(resource.LockPath)
		if !ok || !bytes.Contains(ff.Data, []byte("id="+winner)) {
			t.Errorf("%s: lock = %q, want the winner's", hn, ff.Data)
		}
	}
}
