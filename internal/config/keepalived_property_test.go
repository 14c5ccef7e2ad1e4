package config_test

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/lab/labtest"
	"github.com/clusterctl/clusterctl/internal/render"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// Defaults of TestKeepalivedAcceptsValidated; CLUSTERCTL_PROPERTY_SEED and
// CLUSTERCTL_PROPERTY_COUNT choose others.
const (
	propertySeed  = 1
	propertyCount = 250
)

// TestKeepalivedAcceptsValidated is the property behind `validate`'s
// promise: every configuration validate accepts renders, on every host,
// a keepalived.conf that keepalived 2.2.7's own check (`keepalived -t -f
// FILE`) accepts, silently: exit 0 and not one line of output (keepalived
// prints a line whenever it ignores a setting, falls back to a default or
// warns; any such line counts as a disagreement).
//
// configGen writes the configurations; validate (config.Load) decides
// which are valid; render.Render renders them; keepalived -t runs in a
// sandbox (keepalivedSandbox) holding each host's declared interfaces
// with their addresses and the scripts its configuration names, root-owned
// and not writable by others. Interfaces a track_interface names that the
// host does not declare are created too: validate warns about them and
// leaves their existence to the host.
//
// Configurations validate rejects are counted apart; the property is about
// the accepted ones. A configuration the generator broke on purpose must
// be rejected.
//
// Lab test (root, CLUSTERCTL_LAB_TESTS=1). CLUSTERCTL_PROPERTY_SEED and
// CLUSTERCTL_PROPERTY_COUNT choose another seed and count.
func TestKeepalivedAcceptsValidated(t *testing.T) {
	labtest.Require(t)
	seed := envUint(t, "CLUSTERCTL_PROPERTY_SEED", propertySeed)
	count := int(envUint(t, "CLUSTERCTL_PROPERTY_COUNT", propertyCount))
	start := time.Now()
	version, err := exec.Command("keepalived", "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("keepalived --version: %v\n%s", err, version)
	}
	first, _, _ := strings.Cut(string(version), "\n")
	t.Logf("checking with %s", first)
	sb := newKeepalivedSandbox(t)
	path := filepath.Join(t.TempDir(), "cluster.hcl")

	var st propertyStats
	st.rejectedBy = map[string]int{}
	st.disagreements = map[string][]disagreement{}
	st.features = map[string]int{}
	gen := newConfigGen(seed)
	for i := 0; i < count; i++ {
		src, broken := gen.Generate()
		st.generated++
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, diags := config.NewLoader().Load(path, config.LoadOptions{})
		if diags.HasErrors() {
			st.rejected++
			if broken != "" {
				st.rejectedOnPurpose++
			}
			st.rejectedBy[firstError(diags)]++
			continue
		}
		if broken != "" {
			t.Errorf("configuration %d breaks %q on purpose, but validate accepts it:\n%s", i, broken, src)
			continue
		}
		st.accepted++
		if len(diags) > 0 {
			st.withWarnings++
		}
		countFeatures(cfg, st.features)
		hosts, err := rendered(cfg)
		if err != nil {
			st.add(disagreement{config: i, kind: "render fails: " + err.Error(), src: src})
			continue
		}
		results, err := sb.Check(hosts)
		if err != nil {
			t.Fatalf("configuration %d: %v\n%s", i, err, src)
		}
		for k, res := range results {
			st.hostFiles++
			if res.ExitCode == 0 && res.Output == "" {
				continue
			}
			st.add(disagreement{config: i, host: res.Host, exitCode: res.ExitCode, output: res.Output,
				kind: disagreementKind(res.Output, res.ExitCode), src: src, conf: string(hosts[k].Conf)})
		}
	}

	t.Logf("validate rejected (first error, count): %s", formatCounts(st.rejectedBy))
	t.Logf("features in accepted configurations: %s", formatCounts(st.features))
	kinds := make([]string, 0, len(st.disagreements))
	for k := range st.disagreements {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		ds := st.disagreements[k]
		d := ds[0]
		t.Errorf("disagreement (%d host files): %s\nfirst in configuration %d, host %s: keepalived -t exit %d:\n%s\n--- configuration:\n%s\n--- keepalived.conf:\n%s",
			len(ds), k, d.config, d.host, d.exitCode, d.output, d.src, d.conf)
	}
	if st.rejected == 0 || st.rejected == st.generated {
		t.Errorf("validate rejected %d of %d configurations; the generator must produce both kinds", st.rejected, st.generated)
	}
	if st.accepted < st.generated/2 {
		t.Errorf("only %d of %d configurations are valid; the generator is too often wrong to test much", st.accepted, st.generated)
	}
	if count >= propertyCount {
		for _, f := range requiredFeatures {
			if st.features[f] == 0 {
				t.Errorf("no accepted configuration has %s", f)
			}
		}
	}
	t.Logf("SUMMARY keepalived property (seed %d): %d configurations generated, %d accepted by validate (%d with warnings), %d rejected (%d broken on purpose); %d host files checked by keepalived -t, %d disagreements (%d kinds); %.1fs",
		seed, st.generated, st.accepted, st.withWarnings, st.rejected, st.rejectedOnPurpose, st.hostFiles, st.total(), len(st.disagreements), time.Since(start).Seconds())
}

type propertyStats struct {
	generated, accepted, withWarnings, rejected, rejectedOnPurpose, hostFiles int
	rejectedBy                                                                map[string]int
	features                                                                  map[string]int
	disagreements                                                             map[string][]disagreement
}

func (s *propertyStats) add(d disagreement) {
	s.disagreements[d.kind] = append(s.disagreements[d.kind], d)
}

func (s *propertyStats) total() int {
	n := 0
	for _, ds := range s.disagreements {
		n += len(ds)
	}
	return n
}

// disagreement is a host file of a valid configuration that keepalived -t
// did not accept silently.
type disagreement struct {
	config   int
	host     string
	exitCode int
	output   string
	kind     string
	src      string
	conf     string
}

var (
	reConfLine = regexp.MustCompile(`\([^()]*: Line \d+\) `)
	reParens   = regexp.MustCompile(`\([^()]*\)`)
	reNumber   = regexp.MustCompile(`\d+`)
	reQuoted   = regexp.MustCompile(`'[^']*'|"[^"]*"`)
)

// disagreementKind groups keepalived's complaints: its first line without
// file, line, names and numbers.
func disagreementKind(output string, exitCode int) string {
	first, _, _ := strings.Cut(strings.TrimSpace(output), "\n")
	first = reConfLine.ReplaceAllString(first, "")
	first = reParens.ReplaceAllString(first, "(…)")
	first = reQuoted.ReplaceAllString(first, "'…'")
	first = reNumber.ReplaceAllString(first, "N")
	if first == "" {
		first = "(no output)"
	}
	return fmt.Sprintf("exit %d: %s", exitCode, first)
}

func firstError(diags hcl.Diagnostics) string {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			return d.Summary
		}
	}
	return "?"
}

func formatCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, "; ")
}

func envUint(t *testing.T, name string, def uint64) uint64 {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, s, err)
	}
	return v
}

// rendered returns, for every host with a keepalived.conf, what the
// sandbox needs to check it.
func rendered(cfg *config.Config) ([]sandboxHost, error) {
	out, err := render.Render(cfg)
	if err != nil {
		return nil, err
	}
	var hosts []sandboxHost
	for _, name := range cfg.HostNames() {
		h := out[name]
		conf := fileAt(h, render.KeepalivedConfPath)
		if conf == nil {
			continue
		}
		sh := sandboxHost{Name: name, Conf: conf.Content, Interfaces: map[string][]netip.Prefix{}, Scripts: map[string][]byte{}}
		for _, iface := range cfg.Hosts[name].Interfaces {
			sh.Interfaces[iface.Name] = iface.Addresses
		}
		var commands []string
		for _, vname := range cfg.VRRPInstanceNames() {
			v := cfg.VRRPInstances[vname]
			if v.MemberFor(name) == nil {
				continue
			}
			for _, ti := range v.TrackInterfaces {
				if _, ok := sh.Interfaces[ti]; !ok {
					sh.Interfaces[ti] = nil // validate warned: the host is expected to have it
				}
			}
			commands = append(commands, v.NotifyMaster, v.NotifyBackup, v.NotifyFault)
			for _, c := range v.TrackScripts {
				hc := cfg.HealthChecks[c]
				if hc.Process != "" {
					f := fileAt(h, hc.ScriptPath)
					if f == nil {
						return nil, fmt.Errorf("host %s: the script of health check %s is not rendered", name, c)
					}
					sh.Scripts[hc.ScriptPath] = f.Content
				}
				commands = append(commands, hc.Script)
			}
		}
		for _, vsName := range cfg.VirtualServerNames() {
			vs := cfg.VirtualServers[vsName]
			if vs.ManagedBy != config.ManagedByKeepalived || !contains(vs.Directors, name) {
				continue
			}
			for _, rs := range vs.RealServers {
				if rs.Check != nil {
					commands = append(commands, rs.Check.MiscPath)
				}
			}
		}
		for _, c := range commands {
			path, _, _ := strings.Cut(c, " ")
			switch {
			case path == "":
			case inScriptDirs(path):
				if _, ok := sh.Scripts[path]; !ok {
					sh.Scripts[path] = []byte("#!/bin/sh\nexit 0\n")
				}
			case contains(systemCommands, path):
			default:
				return nil, fmt.Errorf("host %s: command %s is neither in the sandbox's directories nor a system command", name, path)
			}
		}
		hosts = append(hosts, sh)
	}
	return hosts, nil
}

func fileAt(h *resource.Host, path string) *resource.File {
	for i := range h.Files {
		if h.Files[i].Path == path {
			return &h.Files[i]
		}
	}
	return nil
}

// requiredFeatures must each appear in at least one accepted
// configuration of a default run, so that the property covers them.
var requiredFeatures = []string{
	"VRID 1", "VRID 255", "priority 1", "priority 254", "advert_int 1", "advert_int 255",
	"auth_pass", "auth_pass of 8", "nopreempt", "preempt_delay", "preempt_delay 1000", "garp_master_delay",
	"unicast", "notify script", "track_script", "track_interface", "explicit state",
	"several instances on a host", "IPv6 VIP", "63-character name", "15-character interface",
	"process check", "script check", "check weight -253", "check weight 253",
	"keepalived virtual server", "udp", "sorry_server", "persistence", "persistence_netmask",
	"tcp check", "http check", "misc check", "weight 0", "thresholds",
	"ssl check", "dns check", "smtp check", "ping check", "udp check", "file check", "bfd check",
	"inhibit_on_failure", "alpha", "omega", "group of addresses", "group of marks", "group range",
	"mode nat", "mode dr", "mode tun", "mode fullnat",
	"script_user", "notification_email", "router_id",
}

// countFeatures records which features of the model cfg uses.
func countFeatures(cfg *config.Config, f map[string]int) {
	seen := map[string]bool{}
	add := func(name string) { seen[name] = true }
	perHost := map[string]int{}
	for _, name := range cfg.VRRPInstanceNames() {
		v := cfg.VRRPInstances[name]
		if v.VirtualRouterID == 1 || v.VirtualRouterID == 255 {
			add("VRID " + strconv.Itoa(v.VirtualRouterID))
		}
		if v.AdvertInt == 1 || v.AdvertInt == 255 {
			add("advert_int " + strconv.Itoa(v.AdvertInt))
		}
		if v.AuthPass != "" {
			add("auth_pass")
			if len(v.AuthPass) == 8 {
				add("auth_pass of 8")
			}
		}
		if v.Nopreempt {
			add("nopreempt")
		}
		if v.PreemptDelay > 0 {
			add("preempt_delay")
			if v.PreemptDelay == 1000 {
				add("preempt_delay 1000")
			}
		}
		if v.GarpMasterDelay > 0 {
			add("garp_master_delay")
		}
		if v.Unicast && len(v.Members) > 1 {
			add("unicast")
		}
		if v.NotifyMaster+v.NotifyBackup+v.NotifyFault != "" {
			add("notify script")
		}
		if len(v.TrackScripts) > 0 {
			add("track_script")
		}
		if len(v.TrackInterfaces) > 0 {
			add("track_interface")
		}
		if len(name) == 63 {
			add("63-character name")
		}
		if len(v.Interface) == 15 {
			add("15-character interface")
		}
		for _, p := range v.VirtualIPs {
			if p.Addr().Is6() {
				add("IPv6 VIP")
			}
		}
		for _, m := range v.Members {
			perHost[m.Host]++
			if m.Priority == 1 || m.Priority == 254 {
				add("priority " + strconv.Itoa(m.Priority))
			}
			if _, ok := m.Ranges["state"]; ok {
				add("explicit state")
			}
		}
		for _, c := range v.TrackScripts {
			hc := cfg.HealthChecks[c]
			if hc.Process != "" {
				add("process check")
			} else {
				add("script check")
			}
			if hc.Weight == -253 || hc.Weight == 253 {
				add("check weight " + strconv.Itoa(hc.Weight))
			}
		}
	}
	for _, n := range perHost {
		if n > 1 {
			add("several instances on a host")
		}
	}
	for _, name := range cfg.VirtualServerNames() {
		vs := cfg.VirtualServers[name]
		if vs.ManagedBy != config.ManagedByKeepalived {
			continue
		}
		add("keepalived virtual server")
		add("mode " + string(vs.Mode))
		if vs.FWMark != 0 {
			add("fwmark")
		}
		if vs.Protocol == "udp" {
			add("udp")
		}
		if vs.SorryServer.IsValid() {
			add("sorry_server")
		}
		if vs.Persistence > 0 {
			add("persistence")
		}
		if vs.PersistenceNetmask.IsValid() {
			add("persistence_netmask")
		}
		if g := vs.Group; g != nil {
			if g.FWMarks {
				add("group of marks")
			} else {
				add("group of addresses")
			}
			for _, e := range g.Entries {
				if e.Last.IsValid() {
					add("group range")
				}
			}
		}
		if vs.Alpha {
			add("alpha")
		}
		if vs.Omega {
			add("omega")
		}
		for _, rs := range vs.RealServers {
			if rs.Check != nil {
				add(rs.Check.Type + " check")
			}
			if rs.InhibitOnFailure {
				add("inhibit_on_failure")
			}
			if rs.Weight == 0 {
				add("weight 0")
			}
			if rs.UpperThreshold > 0 {
				add("thresholds")
			}
		}
	}
	k := cfg.Keepalived
	if k.ScriptUser != "" && k.ScriptUser != "root" {
		add("script_user")
	}
	if len(k.NotificationEmail) > 0 {
		add("notification_email")
	}
	if k.RouterID != "" {
		add("router_id")
	}
	for name := range seen {
		f[name]++
	}
}
