package adopt

import (
	"encoding/base64"
	"strings"
	"testing"
)

func section(head, content string) string {
	return "@@ " + head + "\n" + base64.StdEncoding.EncodeToString([]byte(content)) + "\n@@end\n"
}

// TestParseRead: the script's sections become a Host; content that looks
// like a section header stays content; a cut-off section is an error.
func TestParseRead(t *testing.T) {
	conf := "vrrp_instance VI_1 {\n@@ file 777 root root /etc/shadow\n}\n"
	out := "noise from a login banner\n" +
		section("conf", "/etc/keepalived/keepalived.conf") +
		section("file 644 root root /etc/keepalived/keepalived.conf", conf) +
		section("file 755 root staff /usr/local/sbin/my check.sh", "#!/bin/sh\n") +
		section("ip-addr", "2: ens33    inet 192.168.19.101/24 brd 192.168.19.255 scope global ens33\\       valid_lft forever preferred_lft forever\n") +
		section("ip-route", "default via 192.168.19.1 dev ens33\n") +
		section("ipvs 2", "Can't initialize ipvs: Protocol not available\n") +
		section("sysctl", "/proc/sys/net/ipv4/ip_forward:1\n/proc/sys/net/ipv4/conf/ens37/send_redirects:0\n") +
		section("services", "keepalived active enabled\nnginx inactive disabled\n")
	h, err := ParseRead("web1", []byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if h.ConfPath != "/etc/keepalived/keepalived.conf" || string(h.Files[h.ConfPath]) != conf || len(h.Files) != 2 {
		t.Errorf("files: conf %q, %d files", h.ConfPath, len(h.Files))
	}
	if m := h.Meta["/usr/local/sbin/my check.sh"]; m.Mode != 0o755 || m.Group != "staff" {
		t.Errorf("meta = %+v", m)
	}
	if !h.AddrsKnown || len(h.Addrs) != 1 || h.Addrs[0].Prefix.String() != "192.168.19.101/24" || h.Gateway.String() != "192.168.19.1" {
		t.Errorf("addrs %v gateway %v", h.Addrs, h.Gateway)
	}
	if h.IPVS != nil || !strings.Contains(h.IPVSNote, "exited 2: Can't initialize ipvs") {
		t.Errorf("ipvs %v %q", h.IPVS, h.IPVSNote)
	}
	if h.Sysctls["net.ipv4.ip_forward"] != "1" || h.Sysctls["net.ipv4.conf.ens37.send_redirects"] != "0" || len(h.Sysctls) != 2 {
		t.Errorf("sysctls %v", h.Sysctls)
	}
	if !h.Services["keepalived"].Enabled || h.Services["nginx"].Active {
		t.Errorf("services %v", h.Services)
	}
	if _, err := ParseRead("web1", []byte("@@ conf\nAAAA\n")); err == nil || !strings.Contains(err.Error(), "ends inside") {
		t.Errorf("cut-off section: %v", err)
	}
}
