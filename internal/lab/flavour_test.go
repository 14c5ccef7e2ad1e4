package lab

import (
	"context"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/lab/labtest"
)

func TestFlavourValidation(t *testing.T) {
	spec := Spec{Name: "x", StateDir: "/tmp/x", Machines: []Machine{{
		Name: "m", Flavour: "rhel5",
		Interfaces: []Interface{{Name: "eth0", Addresses: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24")}}},
	}}}
	err := spec.Validate()
	if err == nil || !strings.Contains(err.Error(), `machine "m": unknown flavour "rhel5" (want one of debian, rocky9, centos7)`) {
		t.Errorf("Validate = %v", err)
	}
	for _, f := range []Flavour{"", Debian, Rocky9, CentOS7} {
		spec.Machines[0].Flavour = f
		if err := spec.Validate(); err != nil {
			t.Errorf("flavour %q: %v", f, err)
		}
	}
}

// TestFlavourEL brings up a Rocky 9, a CentOS 7 and a Debian machine and
// checks what each answers: release files, the rpm database (epochs, the
// iptables that EL9's iptables-nft provides), dnf or yum and no apt, the
// packages not installed yet hidden, firewalld running; then installs
// through dnf and yum from the lab's repository and checks EL's paths.
func TestFlavourEL(t *testing.T) {
	labtest.Require(t)
	name := labtest.UniqueName(t)
	stateDir := filepath.Join(t.TempDir(), "lab")
	mk := func(n, addr string, f Flavour) Machine {
		return Machine{Name: n, Flavour: f, Interfaces: []Interface{{Name: "ens33", Addresses: []netip.Prefix{netip.MustParsePrefix(addr)}}}}
	}
	spec := Spec{Name: name, StateDir: stateDir, Machines: []Machine{
		mk("rocky", "192.168.19.101/24", Rocky9), mk("centos", "192.168.19.102/24", CentOS7), mk("deb", "192.168.19.103/24", ""),
	}}
	l, err := Up(context.Background(), spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Down(context.Background()); err != nil {
			t.Errorf("down: %v", err)
		}
		labtest.AssertNothingLeft(t, name, stateDir)
	})
	sh := func(m, script string) (string, int) {
		t.Helper()
		out, errOut, rc := run(t, l, m, "sh", "-c", script)
		return out + errOut, rc
	}
	want := func(m, script, sub string) {
		t.Helper()
		out, rc := sh(m, script)
		if rc != 0 || !strings.Contains(out, sub) {
			t.Errorf("%s: %s → rc %d, want %q in:\n%s", m, script, rc, sub, out)
		}
	}
	want("rocky", "cat /etc/redhat-release", "Rocky Linux release 9.3 (Blue Onyx)")
	want("rocky", ". /etc/os-release; echo $ID $VERSION_ID", "rocky 9.3")
	want("centos", "cat /etc/redhat-release", "CentOS Linux release 7.9.2009 (Core)")
	want("centos", ". /etc/os-release; echo $ID $VERSION_ID", "centos 7")
	want("deb", ". /etc/os-release; echo $ID", "debian")
	want("rocky", "command -v dnf; command -v yum", "/usr/bin/dnf\n/usr/bin/yum")
	want("centos", "command -v dnf || command -v yum", "/usr/bin/yum")
	for _, m := range []string{"rocky", "centos"} {
		if out, _ := sh(m, "command -v apt-get dpkg-query; for p in /var/lib/dpkg /etc/debian_version /usr/sbin/keepalived /usr/sbin/nginx /usr/sbin/ipvsadm /etc/nginx; do [ -e $p ] && echo visible $p; done; true"); strings.TrimSpace(out) != "" {
			t.Errorf("%s: Debian's tools or the files of packages not installed are visible:\n%s", m, out)
		}
		want(m, "rpm -q firewalld bash", "firewalld-1.3.3-1.lab.el")
		want(m, "firewall-cmd --state; systemctl is-active firewalld", "running\nactive")
		want(m, "rpm -q keepalived || true", "package keepalived is not installed")
		want(m, "systemctl is-enabled keepalived; echo rc=$?", "rc=1")
	}
	want("rocky", "rpm -q --whatprovides iptables --qf '%{NAME}\\n'", "iptables-nft")
	want("centos", "rpm -q iptables", "iptables-1.8.9-1.lab.el7")

	// Installs through the package manager, from the lab's repository.
	want("rocky", "dnf install -y -q keepalived nginx ipvsadm >/dev/null 2>&1; rpm -q nginx --qf '%{EPOCH}:%{VERSION}-%{RELEASE}\\n'", "1:1.22.1-1.lab.el9")
	want("centos", "yum install -y -q nginx >/dev/null 2>&1; rpm -q nginx", "nginx-1.22.1-1.lab.el7")
	want("rocky", "cat /etc/sysconfig/keepalived", `KEEPALIVED_OPTIONS="-D"`)
	want("rocky", "grep ExecStart /usr/lib/systemd/system/ipvsadm.service", "ipvsadm-restore < /etc/sysconfig/ipvsadm")
	want("rocky", "test -x /usr/sbin/keepalived && test -x /usr/sbin/ipvsadm-save && echo ok", "ok")
	for _, m := range []string{"rocky", "centos"} {
		want(m, "echo page-"+m+" >/usr/share/nginx/html/index.html && systemctl start nginx && curl -s http://127.0.0.1/", "page-"+m)
		want(m, "ps -o user= -C nginx | sort -u | tr '\\n' ' '", "nginx root")
	}
	want("rocky", "rpm -qf /etc/sysconfig/ipvsadm-config", "ipvsadm-1.31-1.lab.el9")
}
