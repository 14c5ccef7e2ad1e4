package keepalived

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePositions(t *testing.T) {
	nodes, err := Parse("k.conf", []byte("global_defs {\n\trouter_id a\n}\nvrrp_instance X\n{\n    priority \\\n      90\n}\n"))
	if err != nil {
		t.Fatal(err)
	}
	rid := nodes[0].Child("router_id")
	if rid.Line != 2 || rid.Col != 2 || rid.Pos() != "k.conf:2" {
		t.Errorf("router_id at %d:%d", rid.Line, rid.Col)
	}
	pr := nodes[1].Child("priority")
	if pr.Line != 6 || pr.Col != 5 || pr.Arg(0) != "90" {
		t.Errorf("continued priority = %+v", pr)
	}
}

func TestLoadIncludes(t *testing.T) {
	fsys := MapFS{
		"/etc/keepalived/keepalived.conf": []byte("global_defs {\n  router_id a\n}\ninclude conf.d/*.conf\ninclude /etc/keepalived/none/*.conf\n"),
		"/etc/keepalived/conf.d/b.conf":   []byte("vrrp_instance B {\n  include ../prio.inc\n}\n"),
		"/etc/keepalived/conf.d/a.conf":   []byte("vrrp_instance A {\n  priority 1\n}\n"),
		"/etc/keepalived/conf.d/a.bak":    []byte("junk {\n"),
		"/etc/keepalived/prio.inc":        []byte("priority 2\n"),
	}
	c, err := Load(fsys, "/etc/keepalived/keepalived.conf")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range c.Nodes {
		got = append(got, n.Keyword+" "+n.Arg(0)+" @"+n.Pos())
	}
	want := []string{"global_defs  @/etc/keepalived/keepalived.conf:1", "vrrp_instance A @/etc/keepalived/conf.d/a.conf:1", "vrrp_instance B @/etc/keepalived/conf.d/b.conf:1"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("nodes (-want +got):\n%s", d)
	}
	if p := c.Nodes[2].Child("priority"); p == nil || p.Pos() != "/etc/keepalived/prio.inc:1" {
		t.Errorf("include inside a block: %+v", c.Nodes[2].Children)
	}
	if len(c.Problems) != 1 || c.Problems[0].Line != 5 || !strings.Contains(c.Problems[0].Msg, "matches no file") {
		t.Errorf("problems = %v", c.Problems)
	}
	if d := cmp.Diff([]string{"/etc/keepalived/keepalived.conf", "/etc/keepalived/conf.d/a.conf", "/etc/keepalived/conf.d/b.conf", "/etc/keepalived/prio.inc"}, c.Files); d != "" {
		t.Errorf("files (-want +got):\n%s", d)
	}
}

func TestLoadIncludeErrors(t *testing.T) {
	cycle := MapFS{"/k.conf": []byte("include /k.conf\n")}
	_, err := Load(cycle, "/k.conf")
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(e.Msg, "nested deeper") || e.File != "/k.conf" || e.Line != 1 {
		t.Errorf("cycle: %v", err)
	}
	broken := MapFS{"/k.conf": []byte("\n\ninclude /b.conf\n"), "/b.conf": []byte("x {\n")}
	if _, err := Load(broken, "/k.conf"); !errors.As(err, &e) || e.File != "/b.conf" {
		t.Errorf("broken include: %v", err)
	}
}

func TestDirFS(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "etc", "keepalived", "conf.d")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "etc", "keepalived", "keepalived.conf"), []byte("include conf.d/*.conf\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "x.conf"), []byte("vrrp_instance X {\n}\n"), 0o644)
	c, err := Load(DirFS{Root: root}, "/etc/keepalived/keepalived.conf")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Nodes) != 1 || c.Nodes[0].File != "/etc/keepalived/conf.d/x.conf" {
		t.Errorf("nodes = %+v", c.Nodes)
	}
}

func TestCheck(t *testing.T) {
	src := `global_defs {
  router_id a
  notification_email {
    whatever@example.com
  }
  vrrp_skip_check_adv_adr
}
vrrp_instance VI_1 {
  state MASTER
  interfce eth0
  priority 100 {
  }
  virtual_ipaddress 10.0.0.1
  lvs_sync_daemon_inteface eth0
}
virtual_server 10.0.0.1 80 {
  lb_algo rr
  lb_kind DR
  real_server 10.0.0.2 80 {
    TCP_CHECK {
      nb_get_retry 3
      conect_timeout 3
    }
  }
}
frobnicate {
  anything goes here
}
$IF=eth0
`
	nodes, err := Parse("k.conf", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range Check(nodes) {
		got = append(got, p.String())
	}
	want := []string{
		`k.conf:6: unknown keyword "vrrp_skip_check_adv_adr" in global_defs (did you mean "vrrp_skip_check_adv_addr"?)`,
		`k.conf:10: unknown keyword "interfce" in vrrp_instance VI_1 (did you mean "interface"?)`,
		`k.conf:11: priority takes no block`,
		`k.conf:13: virtual_ipaddress needs a block ({ ... })`,
		`k.conf:22: unknown keyword "conect_timeout" in TCP_CHECK (did you mean "connect_timeout"?)`,
		`k.conf:26: unknown keyword "frobnicate" in the top level`,
		`k.conf:29: parameter substitution ($IF=eth0) is not supported: write the values out`,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
}

// TestSame: layouts, 1.x spellings, defaults, a truncated password and
// renamed scripts are the same configuration; a changed value is not.
func TestSame(t *testing.T) {
	base := `global_defs {
    router_id LVS_DEVEL
    enable_script_security
    script_user root
}
vrrp_script chk_nginx {
    script "/usr/local/sbin/check_ng.sh"
    interval 3
}
vrrp_instance VI_1 {
    state MASTER
    interface ens33
    virtual_router_id 51
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass aminglin
    }
    virtual_ipaddress {
        192.168.19.100/32
    }
    track_script {
        chk_nginx
    }
}
virtual_server 10.0.0.1 80 {
    lvs_sched wlc
    lvs_method NAT
    real_server 10.0.0.2 80 {
        weight 1
        TCP_CHECK {
            retry 3
        }
    }
}
`
	same := "! hand written\r\nvrrp_instance VI_1\r\n{\r\n  track_script {\r\n    check_web\r\n  }\r\n  virtual_ipaddress { \r\n 192.168.19.100\r\n }\r\n  authentication {\r\n    auth_pass \"aminglinux>com\"\r\n    auth_type pass\r\n  }\r\n  state master\r\n  interface ens33\r\n  virtual_router_id 51\r\n}\r\n" +
		"vrrp_script check_web {\r\n  interval 3\r\n  script /usr/local/sbin/check_ng.sh\r\n}\r\nglobal_defs {\r\n  router_id LVS_DEVEL\r\n}\r\n" +
		"virtual_server 10.0.0.1 80 {\n  lb_algo WLC\n  lb_kind nat\n  real_server 10.0.0.2 80 {\n    TCP_CHECK {\n      nb_get_retry 3\n    }\n  }\n}\n"
	a, err := Parse("a", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse("b", []byte(same))
	if err != nil {
		t.Fatal(err)
	}
	if ok, diff := Same(a, b, 10); !ok {
		t.Errorf("not the same:\n%s", strings.Join(diff, "\n"))
	}
	for name, edit := range map[string][2]string{
		"priority":    {"priority 100", "priority 90"},
		"password":    {"auth_pass aminglin", "auth_pass aminglix"},
		"script path": {"check_ng.sh\"", "check_nx.sh\""},
		"VIP":         {"192.168.19.100/32", "192.168.19.100/24"},
		"scheduler":   {"lvs_sched wlc", "lvs_sched rr"},
	} {
		c, err := Parse("c", []byte(strings.Replace(base, edit[0], edit[1], 1)))
		if err != nil {
			t.Fatal(err)
		}
		if ok, diff := Same(a, c, 10); ok || len(diff) == 0 {
			t.Errorf("%s: a change is the same configuration", name)
		}
	}
}
