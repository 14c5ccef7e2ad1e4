package pipeline

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/apply"
	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/facts/factstest"
	"github.com/clusterctl/clusterctl/internal/remote"
)

// editStream edits the decoded section stream of facts output (see
// factstest) and encodes it again.
func editStream(t *testing.T, out []byte, token string, edit func(string) string) []byte {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) < 2 || lines[len(lines)-1] != token+" done" {
		t.Fatalf("facts output without trailer: %q", out)
	}
	stream, err := base64.StdEncoding.DecodeString(strings.Join(lines[1:len(lines)-1], ""))
	if err != nil {
		t.Fatal(err)
	}
	return factstest.Encode(token, []byte(edit(string(stream))))
}

// TestMisbehaveGarbageFacts: a host whose facts script answers random
// bytes, output cut short, a forged section, or fails, or whose sudo
// wants a password, is reported in the plan's errors with a clear
// message; the other hosts are still planned; apply refuses the plan.
func TestMisbehaveGarbageFacts(t *testing.T) {
	cases := []struct {
		name   string
		answer func(token string) (remote.Result, error)
		want   string
	}{
		{"random bytes", func(string) (remote.Result, error) {
			b := make([]byte, 4096)
			for i := range b {
				b[i] = byte(i*7919%251 + 1)
			}
			return remote.Result{Stdout: b}, nil
		}, "gather facts: facts output truncated"},
		{"truncated", func(tok string) (remote.Result, error) {
			out := factsOutput(tok, nil)
			return remote.Result{Stdout: out[:len(out)/2]}, nil
		}, "gather facts: facts output truncated"},
		{"bad section", func(tok string) (remote.Result, error) {
			out := editStream(t, factsOutput(tok, nil), tok, func(stream string) string {
				return strings.Replace(stream, tok+" pkgmgr apt", tok+" pkgmgr $(reboot)", 1)
			})
			return remote.Result{Stdout: out}, nil
		}, "unknown package manager"},
		{"script fails", func(string) (remote.Result, error) {
			return remote.Result{ExitCode: 1, Stderr: []byte("sh: 1: cannot open /dev/null: Permission denied\n")}, nil
		}, "script exited 1: sh: 1: cannot open /dev/null: Permission denied"},
		{"sudo password", func(string) (remote.Result, error) {
			return remote.Result{}, fmt.Errorf("web1: %w (configure NOPASSWD for the login user)", remote.ErrSudoPassword)
		}, "sudo requires a password"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := load(t, "ha-nginx", config.LoadOptions{})
			fakes := map[string]*remote.Fake{}
			for _, name := range cfg.HostNames() {
				f := remote.NewFake(name)
				answer := func(tok string) (remote.Result, error) { return remote.Result{Stdout: factsOutput(tok, nil)}, nil }
				if name == "web1" {
					answer = tc.answer
				}
				f.Handle("sh -s", func(cmd remote.Cmd) (remote.Result, error) { return answer(tokenRE.FindString(string(cmd.Stdin))) })
				fakes[name] = f
			}
			c := open(t, cfg, Options{Dial: func(_ context.Context, tg remote.Target, _ remote.Options) (remote.Conn, error) {
				return fakes[tg.Name], nil
			}})
			p, err := c.Plan(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if p.Applyable() || len(p.Errors) != 1 || p.Errors[0].Host != "web1" || !strings.Contains(p.Errors[0].Error, tc.want) {
				t.Fatalf("plan errors = %+v, want one for web1 containing %q", p.Errors, tc.want)
			}
			if hp := p.Host("web2"); hp == nil || len(hp.Changes) == 0 {
				t.Errorf("web2 was not planned despite web1's garbage: %+v", hp)
			}
			if _, err := apply.Run(context.Background(), p, c, apply.Options{}); err == nil {
				t.Errorf("apply ran a plan with errors")
			}
		})
	}
}
