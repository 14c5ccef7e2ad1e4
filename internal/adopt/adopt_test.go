package adopt

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/clusterctl/clusterctl/internal/golden"
	"github.com/clusterctl/clusterctl/internal/keepalived"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// writeResult writes res as import does and returns the directory.
func writeResult(t *testing.T, res *Result) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cluster.hcl"), res.HCL, 0o644); err != nil {
		t.Fatal(err)
	}
	for p, b := range res.Files {
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestImportLabA: the seed's lab A, copied off its two hosts, imports
// with no finding into the configuration in testdata (formatted as
// clusterctl fmt writes it), whose rendering is the same configuration
// as each host's keepalived.conf and the same scripts; the password is
// a variable and appears nowhere in the output.
func TestImportLabA(t *testing.T) {
	hosts, err := FromDir(filepath.Join("testdata", "lab-a"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Build(hosts)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "lab-a.hcl.golden", res.HCL)
	if string(hclwrite.Format(res.HCL)) != string(res.HCL) {
		t.Errorf("cluster.hcl is not formatted as clusterctl fmt writes it")
	}
	if len(res.Findings) != 0 {
		t.Errorf("findings: %v", res.Findings)
	}
	if !slices.Equal(res.Variables, []string{"vrrp_password"}) || res.Values["vrrp_password"] != "aminglin" || res.Lengths["vrrp_password"] != 14 {
		t.Errorf("variables %v, lengths %v", res.Variables, res.Lengths)
	}
	if !strings.Contains(string(res.HCL), "auth_pass         = var.vrrp_password\n") || strings.Contains(string(res.HCL), "aminglinux>com") {
		t.Errorf("the password is not a variable in cluster.hcl")
	}
	for _, s := range []string{"aminglin", "aminglinux>com"} {
		if !slices.Contains(res.Secrets, s) {
			t.Errorf("secrets %d values lack one", len(res.Secrets))
		}
	}
	if got := Check(writeResult(t, res), hosts, res.Values); len(got) != 0 {
		t.Errorf("check: %v", got)
	}
}

func fileHost(name string, addrs string, files map[string]string) *Host {
	h := &Host{Name: name, Files: keepalived.MapFS{}, Meta: map[string]FileMeta{}, AddrsKnown: true,
		Services: map[string]Service{"keepalived": {Active: true, Enabled: true}}}
	for p, c := range files {
		h.Files[p] = []byte(c)
		h.Meta[p] = FileMeta{Mode: 0o640, Owner: "root", Group: "root"}
	}
	for _, a := range strings.Fields(addrs) {
		h.Addrs = append(h.Addrs, resource.Address{Dev: "eth0", Prefix: mustPrefix(a)})
	}
	h.ConfPath = confPath(h.Files)
	return h
}

// TestImportFindings: a misspelt keyword, a keyword the import cannot
// express (vrrp_strict: modelled, so not a raw line, but not adopted yet), hosts that disagree and priorities that tie are each reported
// with host and file:line; Check catches what the model lost.
func TestImportFindings(t *testing.T) {
	a := `global_defs {
  router_id R
  vrrp_strict
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priorty 100
  virtual_ipaddress {
    10.0.0.100
  }
}
`
	b := strings.Replace(strings.Replace(a, "virtual_router_id 51", "virtual_router_id 52", 1), "priorty 100", "priority 100", 1)
	hosts := []*Host{
		fileHost("a", "10.0.0.1/24", map[string]string{"/etc/keepalived/keepalived.conf": a}),
		fileHost("b", "10.0.0.2/24", map[string]string{"/etc/keepalived/keepalived.conf": b}),
	}
	res, err := Build(hosts)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.String())
	}
	want := []string{
		`not expressible a /etc/keepalived/keepalived.conf:8: unknown keyword "priorty" in vrrp_instance VI_1 (did you mean "priority"?); keepalived ignores it, and so does the import`,
		`not expressible a /etc/keepalived/keepalived.conf:3: global_defs vrrp_strict has no counterpart in clusterctl's model`,
		`not expressible a /etc/keepalived/keepalived.conf:8: vrrp_instance VI_1: priorty has no counterpart in clusterctl's model`,
		`not expressible b /etc/keepalived/keepalived.conf:3: global_defs vrrp_strict has no counterpart in clusterctl's model`,
		`conflict        b /etc/keepalived/keepalived.conf:7: vrrp_instance VI_1: virtual_router_id "52" here differs from a (/etc/keepalived/keepalived.conf:5); the configuration keeps a's`,
		`conflict        b /etc/keepalived/keepalived.conf:5: vrrp_instance VI_1: priority 100 ties with a (/etc/keepalived/keepalived.conf:5); keepalived then elects by address`,
	}
	if d := strings.Join(got, "\n"); d != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", d, strings.Join(want, "\n"))
	}
	if !Partial(res.Findings) {
		t.Errorf("not partial")
	}
	// Without the tie (which validation rejects), the configuration
	// loads, and Check finds the statement it lost on both hosts.
	hosts[1].Files["/etc/keepalived/keepalived.conf"] = []byte(strings.Replace(b, "priority 100", "priority 90", 1))
	if res, err = Build(hosts); err != nil {
		t.Fatal(err)
	}
	checked := Check(writeResult(t, res), hosts, res.Values)
	var lostOn []string
	for _, f := range checked {
		if f.Level == Lost && strings.Contains(f.Msg, "not the same configuration") {
			lostOn = append(lostOn, f.Host)
			if !strings.Contains(f.Msg, "- global_defs / vrrp_strict") {
				t.Errorf("check does not name the lost statement: %s", f.Msg)
			}
		}
	}
	if !slices.Equal(lostOn, []string{"a", "b"}) {
		t.Errorf("check: %v", checked)
	}
}
