package keepalived

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRendered(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "render", "testdata", "golden", "lab-a-keepalived", "web1", "etc", "keepalived", "keepalived.conf"))
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := Parse("keepalived.conf", data)
	if err != nil {
		t.Fatal(err)
	}
	v := ReadVRRP(nodes)
	want := &Instance{
		Name: "VI_1", State: "MASTER", Interface: "ens33", VRID: 51, Priority: 100, AdvertInt: 1, Version: 2,
		AuthType: "PASS", AuthPass: "aminglin", VIPs: []string{"192.168.19.100/32"}, TrackScripts: []string{"chk_nginx"},
	}
	if d := cmp.Diff(want, v.Instances["VI_1"]); d != "" {
		t.Errorf("VI_1 (-want +got):\n%s", d)
	}
	script := nodes[1]
	if script.Keyword != "vrrp_script" || script.Arg(0) != "chk_nginx" || script.Child("script").Arg(0) != "/usr/local/sbin/check_ng.sh" || script.Line != 13 {
		t.Errorf("vrrp_script = %+v", script)
	}
}

// TestParseLayouts: the layouts operators write parse alike.
func TestParseLayouts(t *testing.T) {
	canonical := "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 7\n  virtual_ipaddress {\n    10.0.0.1/24 dev eth0\n  }\n}\n"
	layouts := map[string]string{
		"brace on the next line": "vrrp_instance VI_1\n{\n  interface eth0\n  virtual_router_id 7\n  virtual_ipaddress\n  {\n    10.0.0.1/24 dev eth0\n  }\n}\n",
		"no indentation, CRLF":   "vrrp_instance VI_1 {\r\ninterface eth0\r\nvirtual_router_id 7\r\nvirtual_ipaddress {\r\n10.0.0.1/24 dev eth0\r\n}\r\n}\r\n",
		"comments and a BOM":     "\xef\xbb\xbf# top\n! also a comment\nvrrp_instance VI_1 { # here\n  interface eth0 ! there\n  virtual_router_id 7\n  virtual_ipaddress {\n    10.0.0.1/24 dev eth0\n  }\n}\n",
		"glued braces":           "vrrp_instance VI_1{\n  interface eth0\n  virtual_router_id 7\n  virtual_ipaddress{\n    10.0.0.1/24 dev eth0\n  }}\n",
		"non-UTF-8 comment":      "# caf\xe9\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 7\n  virtual_ipaddress {\n    10.0.0.1/24 dev eth0\n  }\n}\n",
	}
	want := parseVRRP(t, canonical)
	for name, src := range layouts {
		if d := cmp.Diff(want, parseVRRP(t, src)); d != "" {
			t.Errorf("%s (-want +got):\n%s", name, d)
		}
	}
}

func parseVRRP(t *testing.T, src string) VRRP {
	t.Helper()
	nodes, err := Parse("f", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return ReadVRRP(nodes)
}

func TestParseQuoted(t *testing.T) {
	nodes, err := Parse("f", []byte("vrrp_script chk {\n  script \"/bin/check --name a#b {x}\"\n}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := nodes[0].Child("script").Arg(0); got != "/bin/check --name a#b {x}" {
		t.Errorf("quoted script = %q", got)
	}
}

func TestParseErrors(t *testing.T) {
	tests := map[string]struct {
		src  string
		line int
		msg  string
	}{
		"stray brace":         {"global_defs {\n}\n}\n", 3, "'}' closes no block"},
		"unclosed":            {"global_defs {\n  router_id a\nvrrp_instance X {\n", 3, "vrrp_instance opened here is never closed: 2 missing '}'"},
		"unterminated":        {"global_defs {\n  router_id \"a\n}\n", 2, "unterminated quoted string"},
		"brace opens nothing": {"{\n}\n", 1, "'{' opens no statement"},
	}
	for name, tt := range tests {
		_, err := Parse("k.conf", []byte(tt.src))
		var e *Error
		if !errors.As(err, &e) || e.Line != tt.line || !strings.Contains(e.Msg, tt.msg) || e.File != "k.conf" {
			t.Errorf("%s: err = %v, want line %d %q", name, err, tt.line, tt.msg)
		}
	}
}

func TestAdvertAndLocalChanges(t *testing.T) {
	base := func() *Instance {
		return &Instance{Name: "VI_1", Interface: "ens33", VRID: 51, Priority: 100, AdvertInt: 1, Version: 2, AuthType: "PASS", AuthPass: "x", VIPs: []string{"192.168.19.100/32"}}
	}
	tests := []struct {
		name          string
		edit          func(*Instance)
		advert, local []string
	}{
		{"nothing", func(*Instance) {}, nil, nil},
		{"add a VIP", func(i *Instance) { i.VIPs = append(i.VIPs, "192.168.19.99/32") }, []string{"virtual_ipaddress"}, nil},
		{"VRID", func(i *Instance) { i.VRID = 61 }, []string{"virtual_router_id"}, nil},
		{"password", func(i *Instance) { i.AuthPass = "y" }, []string{"authentication"}, nil},
		{"unicast", func(i *Instance) { i.UnicastSrc, i.UnicastPeers = "192.168.19.101", []string{"192.168.19.102"} }, []string{"unicast"}, nil},
		{"priority", func(i *Instance) { i.Priority = 80 }, nil, []string{"priority"}},
		{"nopreempt and a script", func(i *Instance) { i.Nopreempt, i.TrackScripts = true, []string{"chk"} }, nil, []string{"preemption", "tracking"}},
	}
	for _, tt := range tests {
		b := base()
		tt.edit(b)
		if got := AdvertChanges(base(), b); !cmp.Equal(got, tt.advert) {
			t.Errorf("%s: AdvertChanges = %q, want %q", tt.name, got, tt.advert)
		}
		if got := LocalChanges(base(), b); !cmp.Equal(got, tt.local) {
			t.Errorf("%s: LocalChanges = %q, want %q", tt.name, got, tt.local)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("vrrp_instance VI_1 {\n  virtual_ipaddress {\n    10.0.0.1\n  }\n}\n"))
	f.Add([]byte("global_defs\n{\n vrrp_skip_check_adv_addr\n}\n"))
	f.Add([]byte("\"unterminated\n}{{\n"))
	f.Add([]byte("include /etc/keepalived/*.conf\r\nvirtual_server 10.0.0.1 80 {\r\n lb_algo rr\\\n  \r\n real_server 10.0.0.2 80 { TCP_CHECK { nb_get_retry 3 } }\r\n}\r\n"))
	f.Add([]byte("\xef\xbb\xbf# caf\xe9\nvrrp_instnace X {\n$IF=eth0\n@web1 priority 1\n}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		nodes, err := Parse("f", data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Line < 1 {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		ReadVRRP(nodes)
		for _, p := range Check(nodes) {
			if p.Line < 1 || p.File != "f" {
				t.Fatalf("problem without a position: %+v", p)
			}
		}
		c := Canonical(nodes)
		if same, _ := Same(nodes, nodes, 1); !same {
			t.Fatalf("a configuration differs from itself: %q", c)
		}
	})
}
