package remote

import (
	"context"
	"fmt"
	"sync"
)

// DialFunc opens a connection to a target; Dial in production, a fake in
// tests.
type DialFunc func(ctx context.Context, t Target, o Options) (Conn, error)

// Pool keeps one connection per host of a cluster, dialled on first use
// and reused by every later operation of the run (facts, apply, gates).
// It is safe for concurrent use.
type Pool struct {
	targets map[string]Target
	dial    DialFunc
	opts    Options

	mu    sync.Mutex
	conns map[string]Conn
}

// NewPool returns a pool for the hosts of targets (keyed by host name);
// dial is Dial when nil. Nothing is dialled yet.
func NewPool(targets map[string]Target, dial DialFunc, opts Options) *Pool {
	if dial == nil {
		dial = Dial
	}
	return &Pool{targets: targets, dial: dial, opts: opts, conns: map[string]Conn{}}
}

// Conn returns the connection to host, dialling it once. Two callers
// dialling at once both dial; the second connection is closed.
func (p *Pool) Conn(ctx context.Context, host string) (Conn, error) {
	p.mu.Lock()
	c, ok := p.conns[host]
	p.mu.Unlock()
	if ok {
		return c, nil
	}
	t, ok := p.targets[host]
	if !ok {
		return nil, fmt.Errorf("no host %s", host)
	}
	c, err := p.dial(ctx, t, p.opts)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if prev, ok := p.conns[host]; ok {
		c.Close()
		return prev, nil
	}
	p.conns[host] = c
	return c, nil
}

// Close closes every connection.
func (p *Pool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for h, c := range p.conns {
		c.Close()
		delete(p.conns, h)
	}
	return nil
}

// Dialled returns the connection to host if one was already dialled; it
// never dials.
func (p *Pool) Dialled(host string) (Conn, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.conns[host]
	return c, ok
}
