package render

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/keepalived"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// This file is what rendering knows of keepalived releases: which
// features a host's keepalived.conf uses (KeepalivedUses, for the plan to
// check against the host's release) and, through the hostBuilder's
// version, which spelling of a renamed keyword it is written with.

// KeepalivedUses returns, per host, the features of keepalived.conf that
// not every keepalived release has (keepalived.Features), each with the
// place in the configuration that asks for it. Hosts without
// keepalived.conf, or whose file needs nothing version-bound, are absent.
func KeepalivedUses(cfg *config.Config) (map[string][]keepalived.Use, error) {
	_, uses, err := renderAll(cfg, nil, nil)
	return uses, err
}

// RenderWithUses is Render and KeepalivedUses in one pass over the
// hosts.
func RenderWithUses(cfg *config.Config) (map[string]*resource.Host, map[string][]keepalived.Use, error) {
	return renderAll(cfg, nil, nil)
}

// where is the "file:line" of r, "" when r is unset.
func where(r hcl.Range) string {
	if r.Filename == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d", r.Filename, r.Start.Line)
}

// use records that the host's keepalived.conf needs f, set at r; the
// first place a feature is set is the one kept.
func (b *hostBuilder) use(f keepalived.Feature, r hcl.Range) {
	b.addUse(keepalived.Use{Feature: f, Where: where(r)})
}

// useDefault records that the host's keepalived.conf needs f because
// of a default the configuration did not change.
func (b *hostBuilder) useDefault(f keepalived.Feature) {
	b.addUse(keepalived.Use{Feature: f, Default: true})
}

func (b *hostBuilder) addUse(u keepalived.Use) {
	for _, x := range b.uses {
		if x.Feature == u.Feature {
			return
		}
	}
	b.uses = append(b.uses, u)
}

// useGlobal records the global_defs features.
func (b *hostBuilder) useGlobal(g globalDefsView) {
	k := b.cfg.Keepalived
	for _, a := range []struct {
		set  bool
		name string
		f    keepalived.Feature
	}{{g.EnableScriptSecurity, "enable_script_security", keepalived.FeatureScriptSecurity}, {g.ScriptUser != "", "script_user", keepalived.FeatureScriptUser}} {
		switch _, written := k.Ranges[a.name]; {
		case !a.set:
		case written:
			b.use(a.f, k.Ranges[a.name])
		default:
			b.useDefault(a.f)
		}
	}
	if g.VRRPStrict {
		b.use(keepalived.FeatureVRRPStrict, k.Ranges.At("vrrp_strict", k.DeclRange))
	}
	if k.NotifyFIFO != "" {
		b.use(keepalived.FeatureNotifyFIFO, k.Ranges.At("notify_fifo", k.DeclRange))
	}
}

// useInstance records the features of one vrrp_instance.
func (b *hostBuilder) useInstance(v *config.VRRPInstance) {
	at := func(name string) hcl.Range { return v.Ranges.At(name, v.DeclRange) }
	if v.Version == 3 || len(v.VirtualIPs) > 0 && v.VirtualIPs[0].Addr().Is6() {
		b.use(keepalived.FeatureVRRPv3, at("version"))
	}
	if v.Accept {
		b.use(keepalived.FeatureAccept, at("accept"))
	}
	if v.Unicast {
		b.use(keepalived.FeatureUnicast, at("unicast"))
	}
	if v.UseVMAC {
		b.use(keepalived.FeatureUseVMAC, at("use_vmac"))
	}
	for _, n := range v.TrackProcesses {
		b.use(keepalived.FeatureTrackProcess, b.cfg.TrackProcesses[n].DeclRange)
	}
	if s := v.LVSSync; s != nil {
		b.use(keepalived.FeatureLVSSync, s.DeclRange)
		if s.SyncID >= 0 || s.MaxLen > 0 || s.Port > 0 || s.TTL > 0 || s.Group.IsValid() {
			b.use(keepalived.FeatureLVSSyncOptions, s.DeclRange)
		}
	}
	if len(v.Rules) > 0 {
		b.use(keepalived.FeatureVirtualRules, v.Rules[0].DeclRange)
	}
	for _, n := range v.TrackFiles {
		b.use(keepalived.FeatureTrackFile, b.cfg.TrackFiles[n].DeclRange)
	}
}

// useServer records the features of one keepalived virtual_server.
func (b *hostBuilder) useServer(vs *config.VirtualServer) {
	at := func(name string) hcl.Range { return vs.Ranges.At(name, vs.DeclRange) }
	if vs.OnePacket {
		b.use(keepalived.FeatureOnePacket, at("one_packet"))
	}
	if vs.Persistence > 0 && vs.PersistenceEngine != "" {
		b.use(keepalived.FeaturePersistEngine, at("persistence_engine"))
	}
	for _, f := range vs.SchedulerFlags {
		if strings.HasPrefix(f, "mh-") {
			b.use(keepalived.FeatureMHFlags, at("scheduler_flags"))
		} else {
			b.use(keepalived.FeatureSHFlags, at("scheduler_flags"))
		}
	}
	if vs.Mode == config.ModeTUN && (vs.TunType == "gue" || vs.TunType == "gre") {
		b.use(keepalived.FeatureTunType, at("tun_type"))
	}
	for _, rs := range vs.RealServers {
		if c := rs.Check; c != nil {
			b.useCheck(c)
		}
	}
}

// useCheck records the features of one real server's checker.
func (b *hostBuilder) useCheck(c *config.RealServerCheck) {
	at := func(name string) hcl.Range { return c.Ranges.At(name, c.DeclRange) }
	switch c.Type {
	case config.CheckMisc:
		for _, a := range []struct {
			set  bool
			name string
		}{{c.Retry != 0, "retry"}, {c.DelayBeforeRetry != 0, "delay_before_retry"}} {
			if a.set {
				b.use(keepalived.FeatureMiscRetry, at(a.name))
			}
		}
	case config.CheckDNS:
		for _, a := range []struct {
			set  bool
			name string
		}{{c.DelayBeforeRetry != 0, "delay_before_retry"}, {c.Warmup != 0, "warmup"}} {
			if a.set {
				b.use(keepalived.FeatureDNSCheckTiming, at(a.name))
			}
		}
		if c.DNSType == "RRSIG" || c.DNSType == "DNSKEY" {
			b.use(keepalived.FeatureDNSSECTypes, at("dns_type"))
		}
	case config.CheckPing:
		b.use(keepalived.FeaturePingCheck, at("type"))
	case config.CheckUDP:
		b.use(keepalived.FeatureUDPCheck, at("type"))
		if c.Payload != "" {
			b.use(keepalived.FeatureUDPPayload, at("payload"))
		}
		if c.Reply != "" {
			b.use(keepalived.FeatureUDPPayload, at("reply"))
		}
	case config.CheckFile:
		b.use(keepalived.FeatureFileCheck, at("type"))
	case config.CheckBFD:
		b.use(keepalived.FeatureBFDCheck, at("type"))
	}
}
