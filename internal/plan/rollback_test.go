package plan

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/secret"
)

func TestGenerations(t *testing.T) {
	b := func(p, s string) string { return BackupPath(p, s) }
	got := Generations([]string{
		b("/etc/keepalived/keepalived.conf", "20261201T080000Z"),
		b("/etc/keepalived/keepalived.conf", "20261201T090000Z"),
		b("/etc/keepalived/keepalived.conf", "20261201T090000Z-bootstrap"), // not a generation
		b("/etc/keepalived/keepalived.conf", "20261201T090000Z.rollback"),  // nor this
		b(resource.ManifestPath, "20261201T090000Z"),
		b("/var/www/html/index.html", "20261201T090000Z"),
		"/var/lib/clusterctl/backup/junk",
		"/elsewhere/x.20261201T090000Z",
	})
	want := []Generation{
		{Suffix: "20261201T090000Z", Files: []string{"/etc/keepalived/keepalived.conf", "/var/www/html/index.html"}, Manifest: true},
		{Suffix: "20261201T080000Z", Files: []string{"/etc/keepalived/keepalived.conf"}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("Generations (-want +got):\n%s", d)
	}
	if g, ok := Pick(got, ""); !ok || g.Suffix != "20261201T090000Z" {
		t.Errorf("Pick newest: %v %v", g, ok)
	}
	if g, ok := Pick(got, "20261201T080000Z"); !ok || g.Suffix != "20261201T080000Z" {
		t.Errorf("Pick named: %v %v", g, ok)
	}
	if _, ok := Pick(got, "20990101T000000Z"); ok {
		t.Error("Pick found a generation that does not exist")
	}
}

func TestRollbackDesired(t *testing.T) {
	const gen = "20261201T090000Z"
	manifest := func(lines ...string) []byte {
		return []byte("# Managed by clusterctl\n" + strings.Join(lines, "\n") + "\n")
	}
	file := func(content string) ObservedFile {
		return ObservedFile{Exists: true, Content: []byte(content), Mode: 0o644, Owner: "root", Group: "root"}
	}
	addr := resource.Address{Dev: "lo", Prefix: netip.MustParsePrefix("192.168.19.100/32")}
	observed := &Observed{
		Manifest: []resource.ManifestEntry{
			{Kind: resource.ManifestFile, Key: "/etc/keepalived/keepalived.conf"},
			{Kind: resource.ManifestFile, Key: "/etc/new"},
			{Kind: resource.ManifestFile, Key: "/etc/untouched"},
			{Kind: resource.ManifestService, Key: "keepalived"},
			{Kind: resource.ManifestService, Key: "nginx"},
			{Kind: resource.ManifestAddress, Key: addr.Key()},
		},
		Services:  map[string]ServiceState{"keepalived": {Active: true, Enabled: true}, "nginx": {Active: true, Enabled: true}},
		Addresses: []resource.Address{addr, {Dev: "ens33", Prefix: netip.MustParsePrefix("192.168.19.101/24")}},
		Files: map[string]ObservedFile{
			"/etc/keepalived/keepalived.conf": file("new conf\n"),
			"/etc/new":                        file("created\n"),
			"/etc/untouched":                  file("same\n"),
			"/etc/removed":                    {},
			BackupPath("/etc/keepalived/keepalived.conf", gen): file("old conf\n"),
			BackupPath("/etc/removed", gen):                    file("was removed\n"),
			BackupPath(resource.ManifestPath, gen): file(string(manifest(
				"file /etc/keepalived/keepalived.conf", "file /etc/removed", "file /etc/untouched", "service keepalived"))),
		},
	}
	g := Generation{Suffix: gen, Files: []string{"/etc/keepalived/keepalived.conf", "/etc/removed"}, Manifest: true}
	rendered := &resource.Host{Name: "web1", Services: []resource.Service{{Name: "keepalived", ReloadOn: []string{resource.KeepalivedConfPath}}, {Name: "nginx"}}}
	got, notes, err := RollbackDesired(rendered, observed, g)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, f := range got.Files {
		files = append(files, f.Path+"="+strings.TrimSpace(string(f.Content)))
	}
	if want := []string{"/etc/keepalived/keepalived.conf=old conf", "/etc/removed=was removed", "/etc/untouched=same"}; !slices.Equal(files, want) {
		t.Errorf("files %v, want %v", files, want)
	}
	if kc := got.File(resource.KeepalivedConfPath); kc.Validate != resource.ValidateKeepalived || !kc.Sensitive {
		t.Errorf("keepalived.conf must be validated and sensitive: %+v", kc)
	}
	if len(got.Services) != 1 || got.Services[0].Name != "keepalived" || len(got.Services[0].ReloadOn) != 1 {
		t.Errorf("services %+v: nginx was added by the generation, keepalived reloads on its file", got.Services)
	}
	if !slices.Equal(got.Addresses, []resource.Address{addr}) {
		t.Errorf("addresses %v: the managed one is kept as it is", got.Addresses)
	}
	if !slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, "/etc/new was created by the apply of "+gen) }) {
		t.Errorf("notes %q", notes)
	}

	// Diff against the host: the created file goes, the others come back.
	hp := Diff(got, observed, secret.Masker{})
	var changes []string
	for _, c := range hp.Changes {
		changes = append(changes, string(c.Action)+" "+string(c.Kind)+" "+c.Key)
	}
	want := []string{"delete service nginx", "update file /etc/keepalived/keepalived.conf", "create file /etc/removed", "delete file /etc/new"}
	if d := cmp.Diff(want, changes); d != "" {
		t.Errorf("changes (-want +got):\n%s", d)
	}

	// A backup that cannot be read stops the host's rollback.
	broken := *observed
	broken.Files = map[string]ObservedFile{BackupPath(resource.ManifestPath, gen): file("")}
	if _, _, err := RollbackDesired(rendered, &broken, g); err == nil || !strings.Contains(err.Error(), "could not be read") {
		t.Errorf("missing backup: %v", err)
	}
}

func TestInstancesOfAndOrder(t *testing.T) {
	conf := func(prio int, state string) *resource.Host {
		return &resource.Host{Files: []resource.File{{Path: resource.KeepalivedConfPath, Validate: resource.ValidateKeepalived, Content: []byte(
			"vrrp_instance VI_1 {\n state " + state + "\n interface ens33\n virtual_router_id 51\n priority " + strconv.Itoa(prio) + "\n advert_int 1\n virtual_ipaddress {\n  192.168.19.100/24\n }\n}\n")}}}
	}
	desired := map[string]*resource.Host{"web1": conf(90, "BACKUP"), "web2": conf(110, "MASTER"), "rs": {}}
	ins := InstancesOf(desired)
	if len(ins) != 1 || !slices.Equal(ins[0].Members, []string{"web2", "web1"}) || !slices.Equal(ins[0].Priorities, []int{110, 90}) ||
		ins[0].VIPs[0] != netip.MustParseAddr("192.168.19.100") || ins[0].Interface != "ens33" || !ins[0].Preempt || ins[0].MinPriority != 90 {
		t.Fatalf("InstancesOf: %+v", ins)
	}
	topo := Topology{Instances: ins, Hosts: []RolloutHost{
		{Host: "rs", Role: RoleRealServer},
		{Host: "web2", Role: RoleBackupDirector, Priority: 90},
		{Host: "web1", Role: RoleMasterDirector, Priority: 100},
	}}
	got := OrderByInstances(topo).Hosts
	want := []RolloutHost{{Host: "rs", Role: RoleRealServer}, {Host: "web1", Role: RoleBackupDirector, Priority: 90}, {Host: "web2", Role: RoleMasterDirector, Priority: 110}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("OrderByInstances (-want +got):\n%s", d)
	}
}
