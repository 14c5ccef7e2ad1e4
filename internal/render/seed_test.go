package render

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// flattenKeepalived parses keepalived.conf text into a sorted list of
// settings, one per line of the file, each prefixed with the path of
// enclosing blocks: "vrrp_instance VI_1/authentication/auth_pass aminglin".
// Block headers contribute their words ("vrrp_script chk_nginx") to the
// path; comments (# and !) and blank lines are dropped; words are joined by
// one space, so indentation does not matter.
func flattenKeepalived(t *testing.T, text string) []string {
	t.Helper()
	var path, out []string
	for n, line := range strings.Split(text, "\n") {
		if i := strings.IndexAny(line, "#!"); i >= 0 {
			line = line[:i]
		}
		words := strings.Fields(line)
		if len(words) == 0 {
			continue
		}
		switch last := words[len(words)-1]; {
		case len(words) == 1 && last == "}":
			if len(path) == 0 {
				t.Fatalf("line %d: unbalanced }", n+1)
			}
			path = path[:len(path)-1]
		case last == "{":
			path = append(path, strings.Join(words[:len(words)-1], " "))
			out = append(out, strings.Join(path, "/")+"/")
		default:
			out = append(out, strings.Join(append(append([]string(nil), path...), strings.Join(words, " ")), "/"))
		}
	}
	if len(path) != 0 {
		t.Fatalf("%d unclosed blocks: %v", len(path), path)
	}
	sort.Strings(out)
	return out
}

// TestLabAMatchesSeed compares the rendered keepalived.conf of each lab A
// node with the seed's file for that node, setting by setting. The only
// differences allowed are listed here, with their reason.
func TestLabAMatchesSeed(t *testing.T) {
	// seed setting → rendered setting
	expected := map[string]string{
		// keepalived uses only the first 8 characters of auth_pass; the
		// config layer rejects longer ones, so the lab is written with
		// what keepalived actually used.
		"vrrp_instance VI_1/authentication/auth_pass aminglinux>com": "vrrp_instance VI_1/authentication/auth_pass aminglin",
		// VIPs are rendered as written in HCL, with their prefix length.
		"vrrp_instance VI_1/virtual_ipaddress/192.168.19.100": "vrrp_instance VI_1/virtual_ipaddress/192.168.19.100/32",
	}
	// The check script keeps the seed's path; its content is generated
	// (see TestCheckScriptMatchesSeed).
	hosts := mustRender(t, labA())
	for host, seedFile := range map[string]string{"web1": "lab-a-master.keepalived.conf", "web2": "lab-a-backup.keepalived.conf"} {
		t.Run(host, func(t *testing.T) {
			seedText, err := os.ReadFile(filepath.Join("testdata", "seed", seedFile))
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, s := range flattenKeepalived(t, string(seedText)) {
				if r, ok := expected[s]; ok {
					s = r
				}
				want = append(want, s)
			}
			sort.Strings(want)
			got := flattenKeepalived(t, string(hosts[host].File(KeepalivedConfPath).Content))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("keepalived.conf of %s differs from the seed's %s beyond the expected differences (-seed +rendered):\n%s", host, seedFile, diff)
			}
		})
	}
}

func TestFlattenKeepalived(t *testing.T) {
	got := flattenKeepalived(t, "# c\nglobal_defs {\n   router_id X ! c\n   notification_email {\n a@b\n }\n}\n")
	want := []string{"global_defs/", "global_defs/notification_email/", "global_defs/notification_email/a@b", "global_defs/router_id X"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestCheckScriptMatchesSeed checks that the generated check script does
// every step of the seed's check_ng.sh (backup variant: systemctl), in the
// same order. Expected differences: $(...) instead of backquotes, POSIX sh
// instead of bash, `date +FMT` instead of `date --date today +FMT`,
// printf instead of echo, a second count in the same variable after
// `sleep 1`, and an exit status (1 while the process is missing).
func TestCheckScriptMatchesSeed(t *testing.T) {
	seed, err := os.ReadFile(filepath.Join("testdata", "seed", "check_ng.sh"))
	if err != nil {
		t.Fatal(err)
	}
	script := string(mustRender(t, labA())["web1"].File("/usr/local/sbin/check_ng.sh").Content)
	steps := []struct{ seed, rendered string }{
		{"+%Y%m%d_%H:%M:%S", "d=$(date +%Y%m%d_%H:%M:%S)"},
		{"ps -C nginx --no-heading|wc -l", "n=$(ps -C nginx --no-heading | wc -l)"},
		{`if [ $n -eq "0" ]; then`, `if [ "$n" -eq 0 ]; then`},
		{"systemctl start nginx", "systemctl start nginx"},
		{"n2=`ps -C nginx --no-heading|wc -l`", "n=$(ps -C nginx --no-heading | wc -l)"},
		{`echo "$d nginx down,keepalived will stop" >> /var/log/check_ng.log`,
			`printf '%s %s\n' "$d" 'nginx down,keepalived will stop' >> /var/log/check_ng.log`},
		{"systemctl stop keepalived", "systemctl stop keepalived"},
	}
	pos := 0
	for _, s := range steps {
		if !strings.Contains(string(seed), s.seed) {
			t.Errorf("seed check_ng.sh lacks %q (test data changed?)", s.seed)
		}
		i := strings.Index(script[pos:], s.rendered)
		if i < 0 {
			t.Fatalf("rendered script lacks %q after offset %d:\n%s", s.rendered, pos, script)
		}
		pos += i + len(s.rendered)
	}
}
