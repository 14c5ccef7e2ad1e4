package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/keepalived"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/secret"
)

// RolloutHost is one host of the rollout with its role and, for directors, the
// highest VRRP priority it has (its place among directors).
type RolloutHost struct {
	Host     string
	Role     Role
	Priority int
}

// Topology is what the rollout needs to know of the cluster besides each
// host's changes: the planned hosts in apply order, and every VRRP
// instance (for the gates, which look at all members, planned or not).
type Topology struct {
	Hosts     []RolloutHost
	Instances []Instance
	// Links are hosts that must not be rolled out independently (Links).
	Links [][]string
}

// TopologyOf returns cfg's topology; with targets (-target), only those
// hosts are planned. A target that is not a host is an error.
func TopologyOf(cfg *config.Config, targets []string) (Topology, error) {
	hosts := Order(cfg)
	if len(targets) > 0 {
		want := map[string]bool{}
		for _, t := range targets {
			if _, ok := cfg.Hosts[t]; !ok {
				return Topology{}, fmt.Errorf("-target %s: no such host in the configuration", t)
			}
			want[t] = true
		}
		hosts = slices.DeleteFunc(hosts, func(s RolloutHost) bool { return !want[s.Host] })
	}
	return Topology{Hosts: hosts, Instances: Instances(cfg), Links: Links(cfg)}, nil
}

// Instances returns cfg's VRRP instances as the gates see them, sorted by
// name.
func Instances(cfg *config.Config) []Instance {
	var out []Instance
	for _, name := range cfg.VRRPInstanceNames() {
		v := cfg.VRRPInstances[name]
		in := Instance{Name: name, Interface: v.Interface, Preempt: !v.Nopreempt && v.PreemptDelay == 0, AdvertInt: float64(v.AdvertInt), MinPriority: 255}
		for _, p := range v.VirtualIPs {
			in.VIPs = append(in.VIPs, p.Addr())
		}
		for _, m := range v.Members {
			in.Members = append(in.Members, m.Host)
			in.MinPriority = min(in.MinPriority, m.Priority)
		}
		out = append(out, in)
	}
	return out
}

// Order returns the hosts of cfg in the order apply changes them: real
// servers and plain hosts first (they may run in parallel), then
// directors one at a time from the lowest VRRP priority to the highest,
// so every BACKUP is done before the MASTER. A director is a VRRP member
// or an LVS director. A director that is MASTER of any instance is a
// master director.
func Order(cfg *config.Config) []RolloutHost {
	var first, directors []RolloutHost
	for _, name := range cfg.HostNames() {
		isVRRP := cfg.VRRPMember(name)
		if !isVRRP && !cfg.IsDirector(name) {
			role := RoleHost
			if len(cfg.RealServerOf(name)) > 0 {
				role = RoleRealServer
			}
			first = append(first, RolloutHost{Host: name, Role: role})
			continue
		}
		s := RolloutHost{Host: name, Role: RoleBackupDirector}
		for _, in := range cfg.VRRPInstanceNames() {
			m := cfg.VRRPInstances[in].MemberFor(name)
			if m == nil {
				continue
			}
			s.Priority = max(s.Priority, m.Priority)
			if m.State == config.StateMaster {
				s.Role = RoleMasterDirector
			}
		}
		if !isVRRP {
			// A lone LVS director without VRRP: nothing to fail over to.
			s.Role = RoleMasterDirector
		}
		directors = append(directors, s)
	}
	sort.SliceStable(directors, func(i, j int) bool {
		ri, rj := directors[i].Role == RoleMasterDirector, directors[j].Role == RoleMasterDirector
		if ri != rj {
			return !ri
		}
		return directors[i].Priority < directors[j].Priority
	})
	return append(first, directors...)
}

// Input is everything Build needs for one host.
type Input struct {
	Desired  *resource.Host
	Observed *Observed
	// Fingerprint of the facts Observed came from.
	Fingerprint string
	// Err is set when the host could not be reached or its facts read.
	Err error
	// KeepalivedUses are the features of Desired's keepalived.conf that
	// need a minimum keepalived release (render.KeepalivedUses); each one
	// the host's keepalived (Observed.KeepalivedVersion) lacks makes the
	// host's plan an error.
	KeepalivedUses []keepalived.Use
}

// Build makes the plan of a cluster from per-host inputs, one for each
// step of topo. salt makes ConfigDigest unguessable; pass random bytes
// (tests pass fixed ones).
func Build(topo Topology, inputs map[string]Input, masker secret.Masker, salt []byte) (*Plan, error) {
	p := &Plan{FormatVersion: FormatVersion, ConfigSalt: hex.EncodeToString(salt), Instances: topo.Instances}
	desired := map[string]*resource.Host{}
	for _, s := range topo.Hosts {
		in, ok := inputs[s.Host]
		if !ok {
			return nil, fmt.Errorf("no input for host %s", s.Host)
		}
		desired[s.Host] = in.Desired
		if in.Err != nil {
			p.Errors = append(p.Errors, HostError{Host: s.Host, Error: masker.String(in.Err.Error())})
			continue
		}
		hp := Diff(in.Desired, in.Observed, masker)
		unsupported, notes := checkKeepalivedVersion(in.Desired, in.Observed, in.KeepalivedUses)
		hp.Blockers = append(hp.Blockers, unsupported...)
		hp.Notes = append(hp.Notes, notes...)
		if len(hp.Blockers) > 0 {
			p.Errors = append(p.Errors, HostError{Host: s.Host, Error: masker.String(strings.Join(hp.Blockers, "; "))})
			continue
		}
		hp.Role = s.Role
		hp.Fingerprint = in.Fingerprint
		p.Hosts = append(p.Hosts, hp)
	}
	views := classifyVRRP(p, inputs)
	p.PlanWaves(append(slices.Clone(topo.Links), liveLinks(views)...))
	for i := range p.Hosts {
		p.Hosts[i].Disruption = p.Hosts[i].worstImpact()
	}
	digest, err := ConfigDigest(desired, salt)
	if err != nil {
		return nil, err
	}
	p.ConfigDigest = digest
	return p, nil
}

// ConfigDigest identifies the desired state of every planned host
// (secrets included, so a changed password is a changed configuration):
// argon2id, salted, over the SHA-256 of the state. A saved plan stores the
// digest and its salt; argon2id's cost (about 15 ms and 12 MiB per
// digest) keeps someone holding a plan file from testing password guesses
// at SHA-256 speed.
func ConfigDigest(desired map[string]*resource.Host, salt []byte) (string, error) {
	names := make([]string, 0, len(desired))
	for n := range desired {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, n := range names {
		if err := enc.Encode(desired[n]); err != nil {
			return "", fmt.Errorf("digest of %s: %w", n, err)
		}
	}
	key := argon2.IDKey(h.Sum(nil), salt, 1, 12*1024, 1, 32)
	return hex.EncodeToString(key), nil
}

// ErrStalePlan is returned when a saved plan no longer matches the
// configuration or the live state of a host.
var ErrStalePlan = errors.New("saved plan is stale")

// CheckFresh compares a saved plan with a plan made now from the same
// configuration and fresh facts. It returns an error wrapping ErrStalePlan
// that names the configuration or each host whose state changed.
func CheckFresh(saved, now *Plan) error {
	if saved.ConfigDigest != now.ConfigDigest {
		return fmt.Errorf("%w: the configuration changed since the plan was made; run plan again", ErrStalePlan)
	}
	var errs []error
	for _, sh := range saved.Hosts {
		nh := now.Host(sh.Host)
		if nh == nil {
			errs = append(errs, fmt.Errorf("%s: in the saved plan but not planned now", sh.Host))
			continue
		}
		if sh.Fingerprint != nh.Fingerprint {
			errs = append(errs, fmt.Errorf("%s: live state changed since the plan was made (%s)", sh.Host, describeChangeDelta(sh, *nh)))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w; run plan again:\n%w", ErrStalePlan, errors.Join(errs...))
	}
	return nil
}

// describeChangeDelta names what differs between two plans of a host.
func describeChangeDelta(a, b HostPlan) string {
	as, bs := map[string]bool{}, map[string]bool{}
	for _, c := range a.Changes {
		as[string(c.Action)+" "+string(c.Kind)+" "+c.Key] = true
	}
	for _, c := range b.Changes {
		bs[string(c.Action)+" "+string(c.Kind)+" "+c.Key] = true
	}
	var diff []string
	for k := range as {
		if !bs[k] {
			diff = append(diff, "no longer needed: "+k)
		}
	}
	for k := range bs {
		if !as[k] {
			diff = append(diff, "now needed: "+k)
		}
	}
	sort.Strings(diff)
	if len(diff) == 0 {
		return "facts fingerprint differs"
	}
	if len(diff) > 5 {
		diff = append(diff[:5], fmt.Sprintf("and %d more", len(diff)-5))
	}
	return fmt.Sprint(diff)
}
