package remote

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestForEachBoundsParallelism(t *testing.T) {
	for _, tt := range []struct{ parallelism, want int }{{1, 1}, {3, 3}, {0, DefaultParallelism}} {
		hosts := make([]string, 25)
		for i := range hosts {
			hosts[i] = fmt.Sprintf("h%d", i)
		}
		var running, peak atomic.Int32
		var mu sync.Mutex
		seen := map[int]bool{}
		err := ForEach(context.Background(), hosts, tt.parallelism, func(ctx context.Context, i int) error {
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(5 * time.Millisecond)
			running.Add(-1)
			mu.Lock()
			seen[i] = true
			mu.Unlock()
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if int(peak.Load()) != tt.want || len(seen) != len(hosts) {
			t.Errorf("parallelism %d: peak %d (want %d), %d of %d hosts ran", tt.parallelism, peak.Load(), tt.want, len(seen), len(hosts))
		}
	}
}

var errBoom = errors.New("boom")

func TestForEachErrors(t *testing.T) {
	hosts := []string{"dir", "rs1", "rs2"}
	err := ForEach(context.Background(), hosts, 2, func(ctx context.Context, i int) error {
		if i == 1 {
			return nil
		}
		return fmt.Errorf("step %d: %w", i, errBoom)
	})
	if want := "dir: step 0: boom\nrs2: step 2: boom"; err == nil || err.Error() != want {
		t.Fatalf("got %q, want %q", err, want)
	}
	if !errors.Is(err, errBoom) {
		t.Error("joined error does not wrap the host errors")
	}
	var he *HostError
	if !errors.As(err, &he) || he.Host != "dir" {
		t.Errorf("errors.As HostError = %+v", he)
	}
}

func TestForEachCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var ran atomic.Int32
	err := ForEach(ctx, []string{"a", "b", "c", "d"}, 1, func(ctx context.Context, i int) error {
		ran.Add(1)
		if i == 1 {
			cancel()
		}
		return nil
	})
	if ran.Load() != 2 {
		t.Errorf("%d calls ran, want 2", ran.Load())
	}
	if want := "c: not started: context canceled\nd: not started: context canceled"; err == nil || err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
	if !errors.Is(err, context.Canceled) {
		t.Error("error does not wrap context.Canceled")
	}
}
