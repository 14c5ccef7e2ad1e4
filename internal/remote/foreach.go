package remote

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// DefaultParallelism is how many hosts ForEach works on at once when the
// caller does not say.
const DefaultParallelism = 10

// HostError is one host's failure in a fan-out. Error() is "host: err".
type HostError struct {
	Host string
	Err  error
}

func (e *HostError) Error() string { return e.Host + ": " + e.Err.Error() }
func (e *HostError) Unwrap() error { return e.Err }

// ForEach calls fn(ctx, i) for every index of hosts, at most parallelism
// at a time (DefaultParallelism when parallelism <= 0), and waits for all
// of them. The result joins (errors.Join) every failure as a *HostError
// naming hosts[i], in host order; nil when all succeeded. Once ctx ends, no
// new call starts and each host not started reports ctx's error. fn is
// handed ctx unchanged: one host's failure does not cancel the others.
func ForEach(ctx context.Context, hosts []string, parallelism int, fn func(ctx context.Context, i int) error) error {
	if parallelism <= 0 {
		parallelism = DefaultParallelism
	}
	errs := make([]error, len(hosts))
	sem := make(chan struct{}, parallelism)
	var wg sync.WaitGroup
	for i := range hosts {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			for j := i; j < len(hosts); j++ {
				errs[j] = &HostError{Host: hosts[j], Err: fmt.Errorf("not started: %w", context.Cause(ctx))}
			}
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := fn(ctx, i); err != nil {
				errs[i] = &HostError{Host: hosts[i], Err: err}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
