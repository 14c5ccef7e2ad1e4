package remote

import (
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clusterctl/clusterctl/internal/remote/sshtest"
)

// Hosts that lie or misbehave, at the transport level. Changed and unknown
// host keys are covered by TestChangedHostKeyRefused, TestUnknownHostRefused
// and TestTrustNewHostKeys; a password-asking sudo by
// TestSudoPasswordRequired; garbage facts by the engine and apply tests.

// misbehaveServer answers by command: "hang" never ends, "flood" writes
// without end, "garbage" writes random-looking bytes and exits 0, "cut"
// writes part of an answer and drops the connection; anything else runs
// in the shell.
func misbehaveServer(t *testing.T) *sshtest.Server {
	return sshtest.NewServer(t, sshtest.Options{Exec: func(ctx context.Context, e *sshtest.Exec) int {
		switch e.Command {
		case "hang":
			<-ctx.Done()
			return 1
		case "flood":
			chunk := []byte(strings.Repeat("y\n", 32<<10))
			for ctx.Err() == nil {
				if _, err := e.Stdout.Write(chunk); err != nil {
					return 1
				}
			}
			return 1
		case "garbage":
			b := make([]byte, 1<<16)
			for i := range b {
				b[i] = byte(i*7919%251 + 1)
			}
			e.Stdout.Write(b)
			return 0
		case "cut":
			io.WriteString(e.Stdout, "TOKEN facts v=2 enc=b64\nCmNjZl8wMTIz")
			time.Sleep(20 * time.Millisecond)
			e.Drop()
			return 0
		}
		return sshtest.RunShell(ctx, e)
	}})
}

// TestMisbehaveHangingHostTimesOut: one host hangs; it fails with the
// command timeout while the others, run alongside, finish at once.
func TestMisbehaveHangingHostTimesOut(t *testing.T) {
	env := newEnv(t)
	servers := []*sshtest.Server{misbehaveServer(t), misbehaveServer(t), misbehaveServer(t)}
	env.trust(t, servers...)
	o := env.options()
	o.CommandTimeout = 500 * time.Millisecond
	names := []string{"good1", "hung", "good2"}
	cmds := []string{"echo ok", "hang", "echo ok"}
	conns := make([]Conn, len(servers))
	for i, s := range servers {
		tg := targetFor(s)
		tg.Name = names[i]
		conns[i] = dialT(t, tg, o)
	}
	var mu sync.Mutex
	took := map[string]time.Duration{}
	start := time.Now()
	err := ForEach(context.Background(), names, 3, func(ctx context.Context, i int) error {
		res, err := conns[i].Run(ctx, Cmd{Command: cmds[i]})
		mu.Lock()
		took[names[i]] = time.Since(start)
		mu.Unlock()
		if err == nil && strings.TrimSpace(string(res.Stdout)) != "ok" {
			return errors.New("wrong output " + string(res.Stdout))
		}
		return err
	})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "hung") || strings.Contains(err.Error(), "good") {
		t.Fatalf("err = %v, want only hung's command timeout", err)
	}
	if took["hung"] > 3*time.Second {
		t.Errorf("the hung host took %s to time out (timeout 500ms)", took["hung"])
	}
	for _, g := range []string{"good1", "good2"} {
		if took[g] > 400*time.Millisecond {
			t.Errorf("%s took %s: held up by the hung host", g, took[g])
		}
	}
	t.Logf("hung host failed after %s; the others finished in %s and %s", took["hung"].Round(time.Millisecond), took["good1"].Round(time.Millisecond), took["good2"].Round(time.Millisecond))
}

// TestMisbehaveFloodBounded: a host that writes output without end does
// not make clusterctl buffer it all: the command is killed once its output
// passes MaxCommandOutput, and memory stays bounded.
func TestMisbehaveFloodBounded(t *testing.T) {
	env := newEnv(t)
	srv := misbehaveServer(t)
	env.trust(t, srv)
	o := env.options()
	o.CommandTimeout = 60 * time.Second
	c := dialT(t, targetFor(srv), o)
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := c.Run(context.Background(), Cmd{Command: "flood"})
	if !errors.Is(err, ErrOutputTooLarge) {
		t.Fatalf("err = %v, want ErrOutputTooLarge", err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("flood took %s to stop", d)
	}
	if grown := int64(after.HeapInuse) - int64(before.HeapInuse); grown > 4*MaxCommandOutput {
		t.Errorf("heap grew by %d MiB", grown>>20)
	}
	// The connection is still usable.
	if res := runT(t, c, Cmd{Command: "echo ok"}); strings.TrimSpace(string(res.Stdout)) != "ok" {
		t.Errorf("after the flood: %q", res.Stdout)
	}
}

// TestMisbehaveGarbageAndCut: random bytes come back verbatim for the
// caller's parser to reject; output cut by a dropped connection is an
// error, never a short success.
func TestMisbehaveGarbageAndCut(t *testing.T) {
	env := newEnv(t)
	srv := misbehaveServer(t)
	env.trust(t, srv)
	c := dialT(t, targetFor(srv), env.options())
	res := runT(t, c, Cmd{Command: "garbage"})
	if len(res.Stdout) != 1<<16 {
		t.Errorf("garbage: got %d bytes, want %d", len(res.Stdout), 1<<16)
	}
	c2 := dialT(t, targetFor(srv), env.options())
	if res, err := c2.Run(context.Background(), Cmd{Command: "cut"}); err == nil {
		t.Errorf("cut output came back as success: %q", res.Stdout)
	}
}
