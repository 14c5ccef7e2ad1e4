package plan

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/secret"
	"github.com/google/go-cmp/cmp"
)

var (
	pfx  = netip.MustParsePrefix
	addr = netip.MustParseAddr
	ap   = netip.MustParseAddrPort
)

// line renders a change as one comparable line: mark, kind, key, the
// human before/after and the detail. Diffs are checked separately.
func line(c Change) string {
	s := fmt.Sprintf("%s %s %s", c.Action.Symbol(), c.Kind, c.Key)
	if c.Before != "" || c.After != "" {
		s += fmt.Sprintf(" [%s => %s]", c.Before, c.After)
	}
	if c.Detail != "" {
		s += " (" + c.Detail + ")"
	}
	return s
}

func lines(hp HostPlan) []string {
	var out []string
	for _, c := range hp.Changes {
		out = append(out, line(c))
	}
	for _, e := range hp.Effects {
		out = append(out, fmt.Sprintf("effect %s %s (%s)", e.Service, e.Action, e.Reason))
	}
	for _, n := range hp.Notes {
		out = append(out, "note "+n)
	}
	return out
}

func webService(sched string, dests ...ipvs.Destination) ipvs.Service {
	return ipvs.Service{
		Key:       ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: ap("192.168.47.128:80")},
		Scheduler: sched, Persistent: true, Timeout: 3, Netmask: addr("255.255.255.255"),
		Destinations: dests,
	}
}

func dest(a string, w int) ipvs.Destination {
	return ipvs.Destination{Addr: ap(a), Forward: ipvs.Masq, Weight: w}
}

func file(path, content string, mode uint32) resource.File {
	return resource.File{Path: path, Content: []byte(content), Mode: mode, Owner: "root", Group: "root"}
}

func have(content string, mode uint32) ObservedFile {
	return ObservedFile{Exists: true, Content: []byte(content), Mode: mode, Owner: "root", Group: "root"}
}

func TestDiffPerKind(t *testing.T) {
	const conf = "/etc/keepalived/keepalived.conf"
	masq := "-s 192.168.19.0/24 -j MASQUERADE"
	tests := []struct {
		name     string
		desired  resource.Host
		observed Observed
		want     []string
	}{
		{
			name:     "packages: only the missing ones",
			desired:  resource.Host{Packages: []string{"ipvsadm", "keepalived"}},
			observed: Observed{Packages: map[string]bool{"keepalived": true}},
			want:     []string{"+ package ipvsadm [ => installed]"},
		},
		{
			name:     "modules: only the unloaded ones",
			desired:  resource.Host{Modules: []string{"ip_vs", "ip_vs_wlc"}},
			observed: Observed{Modules: map[string]bool{"ip_vs": true}},
			want:     []string{"+ module ip_vs_wlc [ => loaded]"},
		},
		{
			name: "sysctls: whitespace normalised, absent keys shown",
			desired: resource.Host{Sysctls: []resource.Sysctl{
				{Key: "net.ipv4.conf.all.rp_filter", Value: "0"},
				{Key: "net.ipv4.ip_forward", Value: "1"},
				{Key: "net.ipv4.ip_local_port_range", Value: "32768 60999"},
				{Key: "net.ipv4.vs.conntrack", Value: "1"},
			}},
			observed: Observed{Sysctls: map[string]string{
				"net.ipv4.conf.all.rp_filter":  "1",
				"net.ipv4.ip_forward":          "1",
				"net.ipv4.ip_local_port_range": "32768\t 60999 ",
			}},
			want: []string{
				"~ sysctl net.ipv4.conf.all.rp_filter [1 => 0]",
				"~ sysctl net.ipv4.vs.conntrack [(absent) => 1]",
			},
		},
		{
			name:    "addresses: create missing, delete only what the manifest lists",
			desired: resource.Host{Addresses: []resource.Address{{Dev: "lo", Prefix: pfx("192.168.19.100/32")}}},
			observed: Observed{
				Addresses: []resource.Address{
					{Dev: "lo", Prefix: pfx("127.0.0.1/8")},
					{Dev: "lo", Prefix: pfx("192.168.19.99/32")},
					{Dev: "ens33", Prefix: pfx("192.168.19.102/24")},
				},
				Manifest: []resource.ManifestEntry{{Kind: resource.ManifestAddress, Key: "lo 192.168.19.99/32"}},
			},
			want: []string{
				"+ address lo 192.168.19.100/32 [ => 192.168.19.100/32 dev lo]",
				"- address lo 192.168.19.99/32 [192.168.19.99/32 dev lo => ]",
			},
		},
		{
			name: "routes: create and update; an equal route or an unset device is no change",
			desired: resource.Host{Routes: []resource.Route{
				{Dst: pfx("0.0.0.0/0"), Via: addr("192.168.19.101"), Dev: "ens33"},
				{Dst: pfx("10.0.0.0/8"), Via: addr("192.168.19.1")},
				{Dst: pfx("10.9.0.0/16"), Via: addr("192.168.19.9")},
				{Dst: pfx("172.16.0.0/12"), Dev: "ens37"},
			}},
			observed: Observed{Routes: []resource.Route{
				{Dst: pfx("0.0.0.0/0"), Via: addr("192.168.19.2"), Dev: "ens33"},
				{Dst: pfx("10.0.0.0/8"), Via: addr("192.168.19.1"), Dev: "ens33"},
				{Dst: pfx("172.16.0.0/12"), Dev: "ens33"},
			}},
			want: []string{
				"~ route default [default via 192.168.19.2 dev ens33 => default via 192.168.19.101 dev ens33]",
				"+ route 10.9.0.0/16 [ => 10.9.0.0/16 via 192.168.19.9]",
				"~ route 172.16.0.0/12 [172.16.0.0/12 dev ens33 => 172.16.0.0/12 dev ens37]",
			},
		},
		{
			name: "files: create, content, mode, owner; delete only managed ones",
			desired: resource.Host{Files: []resource.File{
				file("/etc/a", "a\n", 0o644),
				file("/etc/b", "b2\n", 0o644),
				file("/etc/c", "c\n", 0o600),
				{Path: "/etc/d", Content: []byte("d\n"), Mode: 0o644, Owner: "nginx", Group: "www"},
				file("/etc/same", "same\n", 0o644),
			}},
			observed: Observed{
				Files: map[string]ObservedFile{
					"/etc/a":         {},
					"/etc/b":         have("b1\n", 0o644),
					"/etc/c":         have("c\n", 0o644),
					"/etc/d":         have("d\n", 0o644),
					"/etc/same":      have("same\n", 0o644),
					"/etc/old":       have("old\n", 0o644),
					"/etc/unmanaged": have("keep\n", 0o644),
				},
				Manifest: []resource.ManifestEntry{
					{Kind: resource.ManifestFile, Key: "/etc/old"},
					{Kind: resource.ManifestFile, Key: "/etc/gone"},
					{Kind: resource.ManifestFile, Key: "/etc/same"},
				},
			},
			want: []string{
				"+ file /etc/a [ => 2 bytes, mode 0644, root:root]",
				"~ file /etc/b",
				"~ file /etc/c (mode 0644 → 0600)",
				"~ file /etc/d (owner root:root → nginx:www)",
				"- file /etc/old [4 bytes => ]",
			},
		},
		{
			name:     "nat: chain missing is created",
			desired:  resource.Host{NATRules: []string{masq}},
			observed: Observed{},
			want:     []string{"+ iptables nat CLUSTERCTL-POSTROUTING [ => " + masq + "]"},
		},
		{
			name:     "nat: equal chain with jump is no change",
			desired:  resource.Host{NATRules: []string{masq}},
			observed: Observed{NATChainExists: true, NATJump: true, NATRules: []string{masq}},
		},
		{
			name:     "nat: different rules are updated",
			desired:  resource.Host{NATRules: []string{masq}},
			observed: Observed{NATChainExists: true, NATJump: true, NATRules: []string{"-s 10.0.0.0/8 -j MASQUERADE"}},
			want:     []string{"~ iptables nat CLUSTERCTL-POSTROUTING [-s 10.0.0.0/8 -j MASQUERADE => " + masq + "]"},
		},
		{
			name:     "nat: a missing jump is an update",
			desired:  resource.Host{NATRules: []string{masq}},
			observed: Observed{NATChainExists: true, NATRules: []string{masq}},
			want:     []string{"~ iptables nat CLUSTERCTL-POSTROUTING [" + masq + "\n(no jump from POSTROUTING) => " + masq + "]"},
		},
		{
			name:    "nat: a managed chain no longer wanted is deleted",
			desired: resource.Host{},
			observed: Observed{NATChainExists: true, NATJump: true, NATRules: []string{masq},
				Manifest: []resource.ManifestEntry{{Kind: resource.ManifestNAT, Key: resource.NATChain}}},
			want: []string{"- iptables nat CLUSTERCTL-POSTROUTING [" + masq + " => ]"},
		},
		{
			name:     "nat: an unmanaged chain of the same name is left alone",
			desired:  resource.Host{},
			observed: Observed{NATChainExists: true, NATJump: true, NATRules: []string{masq}},
		},
		{
			name:    "ipvs: owned services are edited, unmanaged ones left alone with a note",
			desired: resource.Host{IPVS: ipvs.Table{Services: []ipvs.Service{webService("wlc", dest("192.168.19.102:80", 1), dest("192.168.19.103:80", 1))}}},
			observed: Observed{IPVS: ipvs.Table{Services: []ipvs.Service{
				webService("rr", dest("192.168.19.102:80", 2), dest("192.168.19.104:80", 1)),
				{Key: ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: ap("10.0.0.1:443")}, Scheduler: "rr"},
				{Key: ipvs.ServiceKey{Protocol: ipvs.UDP, Addr: ap("10.0.0.2:53")}, Scheduler: "rr"},
			}}, Manifest: []resource.ManifestEntry{{Kind: resource.ManifestIPVS, Key: "-u 10.0.0.2:53"}}},
			want: []string{
				"~ ipvs -t 192.168.47.128:80 [-A -t 192.168.47.128:80 -s rr -p 3 => -A -t 192.168.47.128:80 -s wlc -p 3]",
				"~ ipvs -t 192.168.47.128:80 -> 192.168.19.102:80 [-a -t 192.168.47.128:80 -r 192.168.19.102:80 -m -w 2 => -e -t 192.168.47.128:80 -r 192.168.19.102:80 -m -w 1 -x 0 -y 0]",
				"+ ipvs -t 192.168.47.128:80 -> 192.168.19.103:80 [ => -a -t 192.168.47.128:80 -r 192.168.19.103:80 -m -w 1]",
				"- ipvs -t 192.168.47.128:80 -> 192.168.19.104:80 [-d -t 192.168.47.128:80 -r 192.168.19.104:80 => ]",
				"- ipvs -u 10.0.0.2:53 [-D -u 10.0.0.2:53 => ]",
				"note IPVS service -t 10.0.0.1:443 is not managed by clusterctl; left alone",
			},
		},
		{
			name:     "ipvs: normalised defaults are no change",
			desired:  resource.Host{IPVS: ipvs.Table{Services: []ipvs.Service{{Key: ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: ap("10.0.0.1:80")}, Persistent: true, Destinations: []ipvs.Destination{{Addr: ap("10.0.1.1:80"), Weight: 1}}}}}},
			observed: Observed{IPVS: ipvs.Table{Services: []ipvs.Service{{Key: ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: ap("10.0.0.1:80")}, Scheduler: "wlc", Persistent: true, Timeout: 300, Netmask: addr("255.255.255.255"), Destinations: []ipvs.Destination{{Addr: ap("10.0.1.1:80"), Forward: ipvs.Route, Weight: 1}}}}}},
		},
		{
			name: "ipvs: timeouts, flags, ops, engine and tunnel settings are diffed",
			desired: resource.Host{IPVS: ipvs.Table{Timeouts: ipvs.Timeouts{TCP: 7200}, Services: []ipvs.Service{{
				Key: ipvs.ServiceKey{Protocol: ipvs.UDP, Addr: ap("10.0.0.1:5060")}, Scheduler: "sh", Flags: ipvs.SchedFlag2, OnePacket: true,
				Persistent: true, PE: "sip", Destinations: []ipvs.Destination{{Addr: ap("10.0.1.1:5060"), Forward: ipvs.Tunnel, Weight: 1, TunType: ipvs.TunGUE, TunPort: 6080}},
			}}}},
			observed: Observed{IPVS: ipvs.Table{Timeouts: ipvs.Timeouts{TCP: 900, TCPFin: 120, UDP: 300}, Services: []ipvs.Service{{
				Key: ipvs.ServiceKey{Protocol: ipvs.UDP, Addr: ap("10.0.0.1:5060")}, Scheduler: "sh", Persistent: true,
				Destinations: []ipvs.Destination{{Addr: ap("10.0.1.1:5060"), Forward: ipvs.Tunnel, Weight: 1}},
			}}}},
			want: []string{
				"~ ipvs timeouts (tcp tcpfin udp) [--set 900 120 300 => --set 7200 0 0]",
				"~ ipvs -u 10.0.0.1:5060 [-A -u 10.0.0.1:5060 -s sh -p 300 => -A -u 10.0.0.1:5060 -s sh -p 300 --pe sip -o -b sh-port]",
				"~ ipvs -u 10.0.0.1:5060 -> 10.0.1.1:5060 [-a -u 10.0.0.1:5060 -r 10.0.1.1:5060 -i -w 1 => -e -u 10.0.0.1:5060 -r 10.0.1.1:5060 -i -w 1 -x 0 -y 0 --tun-type gue --tun-port 6080]",
			},
		},
		{
			name:     "ipvs: timeouts the configuration leaves out are no change",
			desired:  resource.Host{IPVS: ipvs.Table{Timeouts: ipvs.Timeouts{UDP: 300}}},
			observed: Observed{IPVS: ipvs.Table{Timeouts: ipvs.Timeouts{TCP: 900, TCPFin: 120, UDP: 300}}},
		},
		{
			name:     "ipvs: an unusable IPVS is a note",
			desired:  resource.Host{IPVS: ipvs.Table{Services: []ipvs.Service{webService("wlc")}}},
			observed: Observed{IPVSError: "no-kernel-support: no /proc/net/ip_vs"},
			want: []string{
				"+ ipvs -t 192.168.47.128:80 [ => -A -t 192.168.47.128:80 -s wlc -p 3]",
				"note IPVS is not usable on this host (no-kernel-support: no /proc/net/ip_vs); the IPVS changes in this plan will fail until it is",
			},
		},
		{
			name: "services: enable and start, start only, enable-only",
			desired: resource.Host{Services: []resource.Service{
				{Name: "clusterctl-restore", EnableOnly: true},
				{Name: "keepalived"},
				{Name: "nginx"},
				{Name: "oneshot", EnableOnly: true},
			}},
			observed: Observed{Services: map[string]ServiceState{
				"nginx":   {Enabled: true},
				"oneshot": {Enabled: true},
			}},
			want: []string{
				"+ service clusterctl-restore [disabled => enabled]",
				"+ service keepalived [inactive, disabled => active, enabled]",
				"~ service nginx [inactive, enabled => active, enabled]",
			},
		},
		{
			name: "effects: reload on a config change, restart wins, none when starting",
			desired: resource.Host{
				Files: []resource.File{file(conf, "new\n", 0o640), file("/etc/nginx/x.conf", "x2\n", 0o644), file("/etc/y.conf", "y2\n", 0o644)},
				Services: []resource.Service{
					{Name: "keepalived", ReloadOn: []string{conf}},
					{Name: "nginx", ReloadOn: []string{"/etc/y.conf"}, RestartOn: []string{"/etc/nginx/x.conf"}},
					{Name: "other", ReloadOn: []string{"/etc/y.conf"}},
				},
			},
			observed: Observed{
				Files: map[string]ObservedFile{conf: have("old\n", 0o640), "/etc/nginx/x.conf": have("x1\n", 0o644), "/etc/y.conf": have("y1\n", 0o644)},
				Services: map[string]ServiceState{
					"keepalived": {Active: true, Enabled: true},
					"nginx":      {Active: true, Enabled: true},
				},
			},
			want: []string{
				"~ file /etc/keepalived/keepalived.conf",
				"~ file /etc/nginx/x.conf",
				"~ file /etc/y.conf",
				"+ service other [inactive, disabled => active, enabled]",
				"effect keepalived reload (/etc/keepalived/keepalived.conf changed)",
				"effect nginx restart (/etc/nginx/x.conf changed)",
			},
		},
		{
			name:     "effects: a mode-only change reloads nothing",
			desired:  resource.Host{Files: []resource.File{file(conf, "same\n", 0o640)}, Services: []resource.Service{{Name: "keepalived", ReloadOn: []string{conf}}}},
			observed: Observed{Files: map[string]ObservedFile{conf: have("same\n", 0o600)}, Services: map[string]ServiceState{"keepalived": {Active: true, Enabled: true}}},
			want:     []string{"~ file /etc/keepalived/keepalived.conf (mode 0600 → 0640)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.desired.Name = "h"
			obs := tt.observed
			hp := Diff(&tt.desired, &obs, secret.Masker{})
			if hp.Host != "h" {
				t.Errorf("Host = %q", hp.Host)
			}
			if d := cmp.Diff(tt.want, lines(hp)); d != "" {
				t.Errorf("changes (-want +got):\n%s", d)
			}
			// Changes come in apply order of kinds.
			last := -1
			for _, c := range hp.Changes {
				i := kindIndex(c.Kind)
				if i < last {
					t.Errorf("%s out of kind order", line(c))
				}
				last = i
			}
			// Pure: the same inputs give the same plan.
			again := Diff(&tt.desired, &obs, secret.Masker{})
			if d := cmp.Diff(lines(hp), lines(again)); d != "" {
				t.Errorf("second Diff differs:\n%s", d)
			}
		})
	}
}

func kindIndex(k Kind) int {
	for i, o := range Kinds {
		if o == k {
			return i
		}
	}
	return -1
}

func TestDiffFilePayloadsAndDiffs(t *testing.T) {
	desired := &resource.Host{Name: "h", Files: []resource.File{file("/etc/a", "one\ntwo\n", 0o644), file("/etc/b", "x\n", 0o644)}}
	obs := &Observed{Files: map[string]ObservedFile{"/etc/b": have("y\n", 0o644)}}
	hp := Diff(desired, obs, secret.Masker{})
	if len(hp.Changes) != 2 {
		t.Fatalf("changes: %v", lines(hp))
	}
	create, update := hp.Changes[0], hp.Changes[1]
	if want := "--- /dev/null\n+++ b/etc/a\n@@ -0,0 +1,2 @@\n+one\n+two\n"; create.Diff != want {
		t.Errorf("create diff:\n%s\nwant:\n%s", create.Diff, want)
	}
	if want := "--- a/etc/b\n+++ b/etc/b\n@@ -1 +1 @@\n-y\n+x\n"; update.Diff != want {
		t.Errorf("update diff:\n%s\nwant:\n%s", update.Diff, want)
	}
	cf, _ := create.Op.(*FileOp)
	uf, _ := update.Op.(*FileOp)
	if cf == nil || cf.Before != nil || string(cf.After.Content) != "one\ntwo\n" || uf == nil || uf.After.Path != "/etc/b" || string(uf.Before.Content) != "y\n" {
		t.Errorf("ops: %+v %+v", create.Op, update.Op)
	}
}

// TestDiffUnreadFiles: a file whose content could not be gathered is
// planned as replaced, saying why, never diffed against an empty file; an
// unreadable one claims no mode or owner; a directory in the way blocks
// the host (see TestBuildBlockers).
func TestDiffUnreadFiles(t *testing.T) {
	desired := &resource.Host{Name: "h", Files: []resource.File{file("/etc/big", "small now\n", 0o644), file("/etc/unread", "x\n", 0o600), file("/etc/dir", "y\n", 0o644)}}
	big := have("", 0o644)
	big.Content, big.Size, big.Unread = nil, 2<<20, "larger than 1048576 bytes"
	obs := &Observed{
		Files: map[string]ObservedFile{
			"/etc/big":    big,
			"/etc/unread": {Exists: true, Unread: "could not be read", NoMetadata: true},
			"/etc/old":    {Exists: true, Unread: "could not be read", NoMetadata: true},
			"/etc/old2":   big,
			"/etc/dir":    {NotRegular: true},
		},
		Manifest: []resource.ManifestEntry{{Kind: resource.ManifestFile, Key: "/etc/old"}, {Kind: resource.ManifestFile, Key: "/etc/old2"}},
	}
	hp := Diff(desired, obs, secret.Masker{})
	want := []string{
		"~ file /etc/big (current content not known (larger than 1048576 bytes); replaced with 10 bytes)",
		"~ file /etc/unread (mode and owner not known; set to 0600, root:root; current content not known (could not be read); replaced with 2 bytes)",
		"+ file /etc/dir [ => 2 bytes, mode 0644, root:root]",
		"- file /etc/old [size not known: could not be read => ]",
		"- file /etc/old2 [2097152 bytes => ]",
	}
	if len(hp.Blockers) != 1 || !strings.Contains(hp.Blockers[0], "/etc/dir is not a regular file") {
		t.Errorf("blockers = %q, want one about /etc/dir", hp.Blockers)
	}
	var got []string
	for _, c := range hp.Changes {
		got = append(got, line(c))
		if c.Diff != "" && c.Key != "/etc/dir" {
			t.Errorf("%s: diff shown for a file whose content is not known:\n%s", c.Key, c.Diff)
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("changes (-want +got):\n%s", d)
	}
}

func TestDiffSensitiveFile(t *testing.T) {
	const conf = "/etc/keepalived/keepalived.conf"
	const oldSecret, newSecret = "aminglin", "s3cr3t-n"
	body := func(pass, router string) string {
		return "global_defs {\n    router_id " + router + "\n}\n" +
			"vrrp_instance VI_1 {\n    authentication {\n        auth_type PASS\n        auth_pass " + pass + "\n    }\n}\n"
	}
	tests := []struct {
		name       string
		before     string
		after      string
		wantDetail string
		wantDiff   []string // lines the diff must contain
		noDiff     bool
	}{
		{
			name: "only the secret changed", before: body(oldSecret, "LVS_DEVEL"), after: body(newSecret, "LVS_DEVEL"),
			wantDetail: "a sensitive value changed", noDiff: true,
		},
		{
			// Issue 13: the change of password was hidden next to another
			// change.
			name: "secret and another line changed", before: body(oldSecret, "LVS_DEVEL"), after: body(newSecret, "LVS_PROD"),
			wantDetail: "a sensitive value changed",
			wantDiff:   []string{"-    router_id LVS_DEVEL", "+    router_id LVS_PROD"},
		},
		{
			name: "another line changed, same secret", before: body(newSecret, "LVS_DEVEL"), after: body(newSecret, "LVS_PROD"),
			wantDiff: []string{"-    router_id LVS_DEVEL", "+    router_id LVS_PROD"},
		},
		{
			name: "created", before: "", after: body(newSecret, "LVS_DEVEL"),
			wantDiff: []string{"+        auth_pass (sensitive)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			desired := &resource.Host{Name: "h", Files: []resource.File{{Path: conf, Content: []byte(tt.after), Mode: 0o640, Owner: "root", Group: "root", Sensitive: true}}}
			obs := &Observed{Files: map[string]ObservedFile{}}
			if tt.before != "" {
				obs.Files[conf] = have(tt.before, 0o640)
			}
			// The masker knows only the configuration's (new) secret.
			hp := Diff(desired, obs, secret.New(newSecret))
			if len(hp.Changes) != 1 {
				t.Fatalf("changes: %v", lines(hp))
			}
			c := hp.Changes[0]
			if !c.Sensitive {
				t.Error("change not marked sensitive")
			}
			if c.Detail != tt.wantDetail {
				t.Errorf("Detail = %q, want %q", c.Detail, tt.wantDetail)
			}
			if tt.noDiff && c.Diff != "" {
				t.Errorf("a secret-only change has a diff:\n%s", c.Diff)
			}
			for _, w := range tt.wantDiff {
				if !strings.Contains(c.Diff, w+"\n") {
					t.Errorf("diff lacks %q:\n%s", w, c.Diff)
				}
			}
			for _, s := range []string{c.Key, c.Before, c.After, c.Diff, c.Detail, strings.Join(hp.Notes, "\n")} {
				if strings.Contains(s, oldSecret) || strings.Contains(s, newSecret) {
					t.Errorf("a secret leaked into the plan: %q", s)
				}
			}
		})
	}
}

// A service clusterctl managed and the configuration dropped (a host that
// stopped being a VRRP member) is stopped and disabled; one it never
// managed is left alone, and so is a managed one already stopped.
func TestDiffStopsServicesNoLongerManaged(t *testing.T) {
	desired := &resource.Host{Name: "web2", Services: []resource.Service{{Name: "nginx"}}}
	observed := &Observed{
		Services: map[string]ServiceState{
			"nginx":      {Active: true, Enabled: true},
			"keepalived": {Active: true, Enabled: true},
			"postfix":    {Active: true, Enabled: true},
			"old":        {},
		},
		Manifest: []resource.ManifestEntry{
			{Kind: resource.ManifestService, Key: "keepalived"},
			{Kind: resource.ManifestService, Key: "nginx"},
			{Kind: resource.ManifestService, Key: "old"},
		},
	}
	hp := Diff(desired, observed, secret.Masker{})
	if len(hp.Changes) != 1 {
		t.Fatalf("changes = %+v, want one", hp.Changes)
	}
	c := hp.Changes[0]
	if c.Kind != KindService || c.Key != "keepalived" || c.Action != Delete ||
		!isStopDisable(c.Op) {
		t.Errorf("change = %+v (op %+v), want keepalived stopped and disabled", c, c.Op)
	}
	if got := resource.Manifest(desired); len(got) != 1 || got[0] != (resource.ManifestEntry{Kind: resource.ManifestService, Key: "nginx"}) {
		t.Errorf("Manifest = %v, want the nginx service", got)
	}
}

// TestDiffNotesFirewalld: a host that runs services behind a running
// firewalld gets a note saying what must be open (clusterctl does not
// manage the firewall); one without firewalld, or with no service, none.
func TestDiffNotesFirewalld(t *testing.T) {
	withService := &resource.Host{Name: "web1", Services: []resource.Service{{Name: "keepalived"}}}
	bare := &resource.Host{Name: "web1"}
	for _, tt := range []struct {
		name      string
		desired   *resource.Host
		firewalld bool
		want      bool
	}{
		{"service behind firewalld", withService, true, true},
		{"service, no firewalld", withService, false, false},
		{"firewalld, no service", bare, true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			hp := Diff(tt.desired, &Observed{Services: map[string]ServiceState{}, FirewalldRunning: tt.firewalld}, secret.Masker{})
			got := slices.ContainsFunc(hp.Notes, func(n string) bool {
				return strings.Contains(n, "firewalld is running") && strings.Contains(n, "VRRP (IP protocol 112)")
			})
			if got != tt.want {
				t.Errorf("firewalld note = %v, want %v (notes %q)", got, tt.want, hp.Notes)
			}
		})
	}
}

// isStopDisable reports whether op stops and disables a service and does
// nothing else.
func isStopDisable(op Op) bool {
	s, ok := op.(*ServiceOp)
	return ok && s.Stop && s.Disable && !s.Start && !s.Enable
}

// TestDiffLiveSecrets (issue 13): a password the live keepalived.conf
// holds but the configuration no longer does — authentication removed, or
// a password changed in a file the configuration does not mark sensitive —
// never shows, in any string of the plan; and the host plan reports it so
// output layers mask it too.
func TestDiffLiveSecrets(t *testing.T) {
	const conf = "/etc/keepalived/keepalived.conf"
	const live = "Zq7xK9pw"
	before := "vrrp_instance VI_1 {\n    priority 100\n    authentication {\n        auth_type PASS\n        auth_pass " + live + "\n    }\n}\n"
	for name, after := range map[string]string{
		"authentication removed": "vrrp_instance VI_1 {\n    priority 90\n}\n",
		"quoted and changed":     "vrrp_instance VI_1 {\n    priority 90\n    authentication {\n        auth_type PASS\n        auth_pass \"n3wpass\"\n    }\n}\n",
	} {
		t.Run(name, func(t *testing.T) {
			desired := &resource.Host{Name: "h", Files: []resource.File{{Path: conf, Content: []byte(after), Mode: 0o640, Owner: "root", Group: "root"}}}
			obs := &Observed{Files: map[string]ObservedFile{conf: have(before, 0o640)}}
			hp := Diff(desired, obs, secret.New("n3wpass"))
			if len(hp.Changes) != 1 || hp.Changes[0].Diff == "" {
				t.Fatalf("changes: %v", lines(hp))
			}
			c := hp.Changes[0]
			for _, s := range []string{c.Before, c.After, c.Diff, c.Detail} {
				if secret.Appears(s, live) || secret.Appears(s, "n3wpass") {
					t.Errorf("a password shows in the plan:\n%s", s)
				}
			}
			if !strings.Contains(c.Diff, "-        auth_pass (sensitive)") || c.Detail != "a sensitive value changed" {
				t.Errorf("diff or detail does not say the password changed: %q\n%s", c.Detail, c.Diff)
			}
			if !slices.Contains(hp.Secrets, live) {
				t.Errorf("Secrets = %q, want the live password", hp.Secrets)
			}
		})
	}
}

// TestDiffSecretFileLiveContent: a managed file the manifest records as
// built from a sensitive value never shows its live content, even once
// the configuration no longer makes it sensitive.
func TestDiffSecretFileLiveContent(t *testing.T) {
	desired := &resource.Host{Name: "h", Files: []resource.File{file("/etc/app/token", "public now\n", 0o600)}}
	obs := &Observed{
		Files:    map[string]ObservedFile{"/etc/app/token": have("tok-3xq9\n", 0o600)},
		Manifest: []resource.ManifestEntry{{Kind: resource.ManifestFile, Key: "/etc/app/token"}, {Kind: resource.ManifestSecretFile, Key: "/etc/app/token"}},
	}
	hp := Diff(desired, obs, secret.Masker{})
	if len(hp.Changes) != 1 {
		t.Fatalf("changes: %v", lines(hp))
	}
	c := hp.Changes[0]
	if c.Diff != "" || strings.Contains(c.Detail+c.Before+c.After, "tok-3xq9") || !strings.Contains(c.Detail, "not shown") {
		t.Errorf("change = %+v", c)
	}
	// The manifest records the secret file while it is one.
	m := resource.Manifest(&resource.Host{Files: []resource.File{{Path: "/etc/app/token", HideContent: true}}})
	if !slices.Contains(m, resource.ManifestEntry{Kind: resource.ManifestSecretFile, Key: "/etc/app/token"}) {
		t.Errorf("manifest = %v", m)
	}
}

// TestDiffSameKeepalivedConfiguration: a keepalived.conf that is the same
// configuration in another layout (an adopted, hand-written file) plans
// nothing and says so; a changed value still plans an update; other
// files still compare byte for byte.
func TestDiffSameKeepalivedConfiguration(t *testing.T) {
	const conf = "/etc/keepalived/keepalived.conf"
	rendered := "# Managed by clusterctl.\nvrrp_instance VI_1 {\n    state MASTER\n    priority 100\n    virtual_ipaddress {\n        10.0.0.1/32\n    }\n}\n"
	hand := "vrrp_instance VI_1\n{\n  state MASTER\n  virtual_ipaddress {\n    10.0.0.1\n  }\n\n}\n"
	want := file(conf, rendered, 0o640)
	want.Validate = resource.ValidateKeepalived
	hp := Diff(&resource.Host{Name: "h", Files: []resource.File{want}}, &Observed{Files: map[string]ObservedFile{conf: have(hand, 0o640)}}, secret.Masker{})
	if len(hp.Changes) != 0 || len(hp.Notes) != 1 || !strings.Contains(hp.Notes[0], "same keepalived configuration") {
		t.Errorf("same configuration: changes %v, notes %q", lines(hp), hp.Notes)
	}
	hp = Diff(&resource.Host{Name: "h", Files: []resource.File{want}}, &Observed{Files: map[string]ObservedFile{conf: have(strings.Replace(hand, "state MASTER", "state BACKUP", 1), 0o640)}}, secret.Masker{})
	if len(hp.Changes) != 1 || hp.Changes[0].Action != Update {
		t.Errorf("changed state: %v", lines(hp))
	}
	plain := file(conf, rendered, 0o640) // no keepalived validator: bytes count
	hp = Diff(&resource.Host{Name: "h", Files: []resource.File{plain}}, &Observed{Files: map[string]ObservedFile{conf: have(hand, 0o640)}}, secret.Masker{})
	if len(hp.Changes) != 1 {
		t.Errorf("a plain file in another layout: %v", lines(hp))
	}
}
