package keepalived

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a keepalived release, e.g. 2.2.7. The zero Version means
// "not known": no feature is checked, and renamed keywords get their 2.x
// spelling.
type Version struct {
	Major, Minor, Patch int
}

// V returns the Version major.minor.patch.
func V(major, minor, patch int) Version { return Version{major, minor, patch} }

// ParseVersion reads a keepalived version as a package reports it
// ("2.2.7", "1.3.5"), with or without a leading "v", or as
// `keepalived -v` prints it ("Keepalived v2.2.7 (01/23,2022)"). A missing
// patch level is 0. ok is false when s holds no version.
func ParseVersion(s string) (v Version, ok bool) {
	s = strings.TrimSpace(s)
	if rest, found := strings.CutPrefix(s, "Keepalived "); found {
		s = rest
	}
	s = strings.TrimPrefix(s, "v")
	if i := strings.IndexFunc(s, func(r rune) bool { return r != '.' && (r < '0' || r > '9') }); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return Version{}, false
	}
	nums := [3]int{}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return Version{}, false
		}
		nums[i] = n
	}
	return Version{nums[0], nums[1], nums[2]}, true
}

// IsZero reports whether v is unknown.
func (v Version) IsZero() bool { return v == Version{} }

// Less reports whether v is older than w.
func (v Version) Less(w Version) bool {
	if v.Major != w.Major {
		return v.Major < w.Major
	}
	if v.Minor != w.Minor {
		return v.Minor < w.Minor
	}
	return v.Patch < w.Patch
}

// AtLeast reports whether v is w or newer. An unknown v is taken as the
// newest release.
func (v Version) AtLeast(w Version) bool { return v.IsZero() || !v.Less(w) }

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// Feature is something clusterctl renders into keepalived.conf that not
// every keepalived release understands.
type Feature struct {
	// Name is the feature as the configuration calls it.
	Name string
	// Keywords are the keepalived keywords it renders to.
	Keywords string
	// Since is the first release whose parser accepts the keywords.
	Since Version
}

// The features with a minimum version. Each Since was read from
// keepalived's own sources (the first release tag whose parsers install
// the keyword, acassen/keepalived), not from its documentation, which
// rarely says when a keyword came. Features every release from 1.2.2 on
// understands (notify_*, virtual_ipaddress_excluded, garp_master_delay,
// preempt_delay, uthreshold/lthreshold, TCP_CHECK, HTTP_GET, MISC_CHECK
// misc_path, ...) are not listed.
var (
	FeatureVRRPv3 = Feature{"vrrp_instance version 3", "version", V(1, 2, 17)}
	FeatureAccept = Feature{"vrrp_instance accept", "accept", V(1, 2, 17)}
	// unicast_peer came in 1.2.8, unicast_src_ip in 1.2.10; clusterctl
	// renders both.
	FeatureUnicast = Feature{"vrrp_instance unicast", "unicast_src_ip, unicast_peer", V(1, 2, 10)}
	// use_vmac's first tag is 1.2.3 (1.2.2 is the tag before it).
	FeatureUseVMAC       = Feature{"vrrp_instance use_vmac", "use_vmac", V(1, 2, 3)}
	FeatureScriptTimeout = Feature{"health_check timeout", "vrrp_script timeout", V(1, 2, 6)}
	FeatureVRRPStrict    = Feature{"keepalived vrrp_strict", "vrrp_strict", V(1, 2, 20)}
	// clusterctl sets both by default (enable_script_security = true,
	// script_user = "root"), so 1.3.0 is in practice the oldest release
	// any configuration with VRRP or keepalived-managed servers runs on.
	FeatureScriptSecurity = Feature{"keepalived enable_script_security", "enable_script_security", V(1, 3, 0)}
	FeatureScriptUser     = Feature{"keepalived script_user", "script_user", V(1, 3, 0)}
	// The vrrp_track_file block, track_file in an instance and init_file
	// all came in 2.0.0. From 2.1.0 the block is also spelled track_file;
	// vrrp_track_file stays as a deprecated synonym (logged at INFO, and
	// 2.2.7's -t takes it silently), so clusterctl writes vrrp_track_file
	// for every release: the first plan of a host without keepalived
	// cannot know the release, and a spelling that depended on it would
	// change once keepalived is installed.
	FeatureTrackFile = Feature{"track_file", "vrrp_track_file/track_file, track_file", V(2, 0, 0)}
	// The vrrp_track_process block with its delay, and track_process in
	// an instance, came in 2.0.11.
	FeatureTrackProcess   = Feature{"track_process", "vrrp_track_process, track_process", V(2, 0, 11)}
	FeatureSyncNotifyStop = Feature{"vrrp_sync_group notify_stop", "notify_stop (in vrrp_sync_group)", V(2, 0, 0)}
	FeatureOnePacket      = Feature{"virtual_server one_packet", "ops", V(1, 2, 8)}
	FeaturePersistEngine  = Feature{"virtual_server persistence_engine", "persistence_engine", V(1, 2, 20)}
	// sh-port, sh-fallback and flag-1..3 as keywords of their own.
	FeatureSHFlags = Feature{"virtual_server scheduler_flags (sh-*, flag-N)", "sh-port, sh-fallback, flag-1..3", V(1, 3, 0)}
	// 2.0.8 parsed mh-port inside the handler of the sh-* keywords, but
	// mh-port and mh-fallback are keywords of their own only from 2.0.20;
	// the conservative choice is 2.0.20.
	FeatureMHFlags = Feature{"virtual_server scheduler_flags (mh-*)", "mh-port, mh-fallback", V(2, 0, 20)}
	// lb_kind TUN type gue|gre: 2.0.18, and only when keepalived was
	// built against kernel headers with IPVS tunnel types (keepalived -t
	// on the host still catches a build without them).
	FeatureTunType = Feature{"virtual_server tun_type gue/gre", "lb_kind TUN type", V(2, 0, 18)}
	// Before 1.4.0 MISC_CHECK had its own misc_timeout and no retry or
	// delay_before_retry; 1.4.0 made them common to every checker.
	FeatureMiscRetry = Feature{"real_server check misc retry/delay_before_retry", "retry, delay_before_retry (in MISC_CHECK)", V(1, 4, 0)}
	// lvs_sync_daemon as a global_defs keyword (before it,
	// lvs_sync_daemon_interface in an instance); its id, maxlen, port,
	// ttl and group options came in 1.3.0.
	FeatureLVSSync        = Feature{"vrrp_instance lvs_sync_daemon", "lvs_sync_daemon (in global_defs)", V(1, 2, 20)}
	FeatureLVSSyncOptions = Feature{"lvs_sync_daemon sync_id/maxlen/port/ttl/group", "lvs_sync_daemon ... id|maxlen|port|ttl|group", V(1, 3, 0)}
	FeatureVirtualRules   = Feature{"vrrp_instance virtual_rule", "virtual_rules", V(1, 2, 20)}
	FeatureNotifyFIFO     = Feature{"keepalived notify_fifo", "notify_fifo, notify_fifo_script", V(1, 3, 6)}
	// DNS_CHECK (1.3.0) had its own retry and none of the other timing
	// keywords until 1.4.0 made them common to every checker.
	FeatureDNSCheckTiming = Feature{"real_server check dns delay_before_retry/warmup", "delay_before_retry, warmup (in DNS_CHECK)", V(1, 4, 0)}
	// DNS_CHECK's type table gained RRSIG and DNSKEY in 1.3.7.
	FeatureDNSSECTypes = Feature{"real_server check dns_type RRSIG/DNSKEY", "type RRSIG, type DNSKEY (in DNS_CHECK)", V(1, 3, 7)}
	// The bfd_instance block and BFD_CHECK came in 2.0.0 (and only in a
	// keepalived built with BFD; keepalived -t on the host tells).
	FeatureBFDCheck = Feature{"real_server check bfd", "BFD_CHECK, bfd_instance", V(2, 0, 0)}
	// PING_CHECK, UDP_CHECK (with require_reply as a flag) and
	// FILE_CHECK came in 2.1.0.
	FeaturePingCheck = Feature{"real_server check ping", "PING_CHECK", V(2, 1, 0)}
	FeatureUDPCheck  = Feature{"real_server check udp", "UDP_CHECK", V(2, 1, 0)}
	FeatureFileCheck = Feature{"real_server check file", "FILE_CHECK", V(2, 1, 0)}
	// UDP_CHECK's payload, and require_reply with the bytes to expect,
	// came in 2.2.0.
	FeatureUDPPayload = Feature{"real_server check udp payload/reply", "payload, require_reply HEX (in UDP_CHECK)", V(2, 2, 0)}
)

// Features lists every Feature above, oldest first; docs/configuration.md
// prints the same table.
func Features() []Feature {
	return []Feature{
		FeatureUseVMAC, FeatureScriptTimeout, FeatureOnePacket, FeatureUnicast,
		FeatureVRRPv3, FeatureAccept, FeatureVRRPStrict, FeaturePersistEngine, FeatureLVSSync, FeatureVirtualRules,
		FeatureScriptSecurity, FeatureScriptUser, FeatureSHFlags, FeatureLVSSyncOptions, FeatureNotifyFIFO, FeatureMiscRetry,
		FeatureDNSSECTypes, FeatureDNSCheckTiming,
		FeatureTrackFile, FeatureSyncNotifyStop, FeatureBFDCheck, FeatureTrackProcess, FeatureTunType, FeatureMHFlags,
		FeaturePingCheck, FeatureUDPCheck, FeatureFileCheck, FeatureUDPPayload,
	}
}

// Use is a feature that one host's keepalived.conf needs, and where the
// configuration asks for it.
type Use struct {
	Feature Feature
	// Where is the file:line of the setting, "" when not known.
	Where string
	// Default is true when the configuration does not set the feature
	// and clusterctl renders it by default.
	Default bool
}

// Unsupported returns the uses that keepalived v lacks, in the order
// given; none when v is unknown.
func Unsupported(v Version, uses []Use) []Use {
	var out []Use
	for _, u := range uses {
		if !v.AtLeast(u.Feature.Since) {
			out = append(out, u)
		}
	}
	return out
}

// Describe says why u cannot be rendered for keepalived v, for a plan
// error.
func (u Use) Describe(v Version) string {
	s := fmt.Sprintf("keepalived %s lacks %s (%s, since keepalived %s)", v, u.Feature.Name, u.Feature.Keywords, u.Feature.Since)
	switch {
	case u.Default:
		s += ", which clusterctl writes by default"
	case u.Where != "":
		s += ", set at " + u.Where
	}
	return s
}

// Keywords renamed across releases, where no one spelling works in
// every release clusterctl supports: the renderer asks which spelling the
// host's keepalived wants. An unknown release (keepalived not installed
// yet) gets the 2.x spelling. Renamed keywords whose old spelling every
// release still accepts are written the old way everywhere and are not
// here: lb_algo and lb_kind (lvs_sched and lvs_method since 1.1.5; both
// still taken by 2.4) and vrrp_track_file (track_file since 2.1.0).

// SyncGroupTrackingWeight is the vrrp_sync_group keyword that lets the
// group's instances keep their tracking weights: global_tracking before
// 2.0.0, sync_group_tracking_weight from 2.0.0 (which still accepts
// global_tracking but reports it as deprecated).
func SyncGroupTrackingWeight(v Version) string {
	if v.AtLeast(V(2, 0, 0)) {
		return "sync_group_tracking_weight"
	}
	return "global_tracking"
}

// HTTPGetRetry is HTTP_GET's retry count keyword: nb_get_retry before
// 1.4.0, retry from 1.4.0 (which keeps nb_get_retry as deprecated).
func HTTPGetRetry(v Version) string {
	if v.AtLeast(V(1, 4, 0)) {
		return "retry"
	}
	return "nb_get_retry"
}
