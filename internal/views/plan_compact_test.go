package views

import (
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/plan"
)

func TestPlanCompact(t *testing.T) {
	long := "--- a/etc/motd\n+++ b/etc/motd\n@@ -1,8 +1 @@\n-1\n-2\n-3\n-4\n-5\n-6\n-7\n-8\n+new\n"
	created := "--- /dev/null\n+++ b/etc/app.conf\n@@ -0,0 +1,3 @@\n+a\n+b\n+c\n"
	host := func(name string) plan.HostPlan {
		return plan.HostPlan{Host: name, Role: plan.RoleRealServer, Fingerprint: "f", Changes: []plan.Change{
			{Kind: plan.KindFile, Key: "/etc/app.conf", Action: plan.Create, After: "6 bytes, mode 0644, root:root", Diff: created},
			{Kind: plan.KindFile, Key: "/etc/motd", Action: plan.Update, Diff: long},
		}}
	}
	p := &plan.Plan{FormatVersion: plan.FormatVersion, Hosts: []plan.HostPlan{host("rs1"), host("rs2")}}
	var full, compact strings.Builder
	if err := PlanHuman(&full, p, false); err != nil {
		t.Fatal(err)
	}
	if err := PlanCompact(&compact, p, false); err != nil {
		t.Fatal(err)
	}
	out := compact.String()
	for _, want := range []string{
		"+   file /etc/app.conf (6 bytes, mode 0644, root:root)\n  ~   file /etc/motd\n",
		"      -1\n      -2\n      -… 6 more lines\n      +new\n",
		"~   file /etc/motd (same diff as on rs1)\n",
		"Plan: 2 to add, 2 to change, 0 to destroy.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("compact plan lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "+a\n") {
		t.Errorf("compact plan shows a created file's content:\n%s", out)
	}
	if n, m := strings.Count(full.String(), "\n"), strings.Count(out, "\n"); m >= n {
		t.Errorf("compact plan %d lines, full %d", m, n)
	}
}
