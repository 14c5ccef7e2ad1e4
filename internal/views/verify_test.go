package views

import (
	"strings"
	"testing"
	"time"

	"github.com/clusterctl/clusterctl/internal/golden"
	"github.com/clusterctl/clusterctl/internal/verify"

	"github.com/clusterctl/clusterctl/internal/secret"
)

func TestReportersGolden(t *testing.T) {
	steps := []verify.Step{
		{Name: "precondition: every VIP held once, keepalived running", Status: verify.Pass, Duration: 210 * time.Millisecond, Details: []string{"VI_1: VIP 192.168.19.100 held by web1 (the expected master)"}},
		{Name: "VI_1: stop keepalived on web1 → VIPs move to web2", Status: verify.Fail, Duration: 6100 * time.Millisecond, Details: []string{"web1: ssh: password hunter22 rejected"}},
		{Name: "VI_1: start keepalived on web1 → VIPs return", Status: verify.Skip, Details: []string{"the takeover step failed"}},
		{Name: "cleanup: start keepalived on web1", Status: verify.Pass, Duration: 4 * time.Second, Details: []string{"keepalived was not running on web1: started it"}},
	}
	res := verify.Result{Steps: steps, Duration: 10400 * time.Millisecond}
	m := secret.New("hunter22")
	for _, tc := range []struct {
		file string
		run  func(*strings.Builder)
	}{
		{"verify.txt", func(b *strings.Builder) {
			h := &VerifyHuman{W: NewOut(b, m)}
			for _, s := range steps {
				if !strings.HasPrefix(s.Name, "cleanup:") { // cleanups are reported by End alone
					h.Begin(s.Name)
				}
				h.End(s)
			}
			h.Finish(res)
		}},
		{"verify.jsonl", func(b *strings.Builder) {
			j := &VerifyJSON{W: NewOut(b, m.ForJSON())}
			for _, s := range steps {
				j.Begin(s.Name)
				j.End(s)
			}
			j.Finish(res)
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var b strings.Builder
			tc.run(&b)
			if strings.Contains(b.String(), "hunter22") {
				t.Errorf("secret printed:\n%s", b.String())
			}
			golden.Check(t, tc.file, b.String())
		})
	}
}
