package e2e

import (
	"bufio"
	"context"
	byteorder "encoding/binary"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/clusterctl/clusterctl/internal/lab"
)

// inNetns runs fn on a thread that has entered the network namespace at
// path. The thread is never handed back to the Go scheduler (it ends with
// the goroutine), so no other code runs in that namespace.
func inNetns(path string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // not unlocked: the thread dies with the goroutine
		f, err := os.Open(path)
		if err != nil {
			errc <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", path, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// vipWatch records, from the kernel's address notifications in every
// member's network namespace, which members hold each VIP over time: an
// address on any interface but lo. It sends nothing on any network.
type vipWatch struct {
	mu      sync.Mutex
	vips    []netip.Addr
	holders map[netip.Addr]map[string]bool
	// spans are the periods with no holder or with two, per VIP.
	last    map[netip.Addr]time.Time
	none    map[netip.Addr]time.Duration
	two     map[netip.Addr]time.Duration
	moves   map[netip.Addr]int
	socks   []*os.File
	started time.Time
	// trace lists every change seen, for failure messages.
	trace []string
}

// watchVIPs starts watching vips on the machines of l.
func watchVIPs(t *testing.T, l *lab.Lab, machines []string, vips ...netip.Addr) *vipWatch {
	t.Helper()
	w := &vipWatch{vips: vips, holders: map[netip.Addr]map[string]bool{}, last: map[netip.Addr]time.Time{},
		none: map[netip.Addr]time.Duration{}, two: map[netip.Addr]time.Duration{}, moves: map[netip.Addr]int{}, started: time.Now()}
	for _, v := range vips {
		w.holders[v] = map[string]bool{}
		w.last[v] = w.started
	}
	for _, m := range machines {
		path, err := l.NetnsPath(m)
		if err != nil {
			t.Fatal(err)
		}
		var fd int
		err = inNetns(path, func() error {
			var err error
			// Non-blocking, so that os.File reads through Go's poller and
			// Close wakes the reader (a raw blocking recvfrom would hold
			// the socket, and a reused descriptor number would then be
			// read by two watchers).
			fd, err = unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_ROUTE)
			if err != nil {
				return err
			}
			if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: unix.RTMGRP_IPV4_IFADDR}); err != nil {
				return err
			}
			// The addresses now, after subscribing: nothing is missed.
			ifaces, err := net.Interfaces()
			if err != nil {
				return err
			}
			for _, ifc := range ifaces {
				if ifc.Flags&net.FlagLoopback != 0 {
					continue
				}
				addrs, _ := ifc.Addrs()
				for _, a := range addrs {
					if p, err := netip.ParsePrefix(a.String()); err == nil {
						w.set(m, p.Addr(), true, time.Now())
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("watch %s: %v", m, err)
		}
		sock := os.NewFile(uintptr(fd), "netlink-"+m)
		w.socks = append(w.socks, sock)
		go w.read(m, sock)
	}
	return w
}

// read follows one member's address notifications until its socket is
// closed.
func (w *vipWatch) read(machine string, sock *os.File) {
	buf := make([]byte, 1<<16)
	for {
		n, err := sock.Read(buf)
		if err != nil {
			return
		}
		now := time.Now()
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			continue
		}
		for _, m := range msgs {
			if m.Header.Type != unix.RTM_NEWADDR && m.Header.Type != unix.RTM_DELADDR {
				continue
			}
			if len(m.Data) < unix.SizeofIfAddrmsg {
				continue
			}
			index := byteorder.NativeEndian.Uint32(m.Data[4:8]) // ifaddrmsg.ifa_index
			if index == 1 {                                     // lo
				continue
			}
			attrs, err := syscall.ParseNetlinkRouteAttr(&m)
			if err != nil {
				continue
			}
			for _, a := range attrs {
				if a.Attr.Type != unix.IFA_LOCAL && a.Attr.Type != unix.IFA_ADDRESS || len(a.Value) != 4 {
					continue
				}
				addr := netip.AddrFrom4([4]byte(a.Value))
				w.set(machine, addr, m.Header.Type == unix.RTM_NEWADDR, now)
			}
		}
	}
}

// set records machine holding (or not) addr at now.
func (w *vipWatch) set(machine string, addr netip.Addr, held bool, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	hs, ok := w.holders[addr]
	if !ok {
		return
	}
	w.trace = append(w.trace, fmt.Sprintf("%s %s %s held=%v", now.Format("15:04:05.000"), machine, addr, held))
	if hs[machine] == held {
		return
	}
	w.account(addr, now)
	if held {
		w.moves[addr]++
	}
	hs[machine] = held
}

// account adds the time since the last change of addr to its no-holder
// or two-holder total.
func (w *vipWatch) account(addr netip.Addr, now time.Time) {
	d := now.Sub(w.last[addr])
	switch n := w.count(addr); {
	case n == 0:
		w.none[addr] += d
	case n > 1:
		w.two[addr] += d
	}
	w.last[addr] = now
}

func (w *vipWatch) count(addr netip.Addr) int {
	n := 0
	for _, h := range w.holders[addr] {
		if h {
			n++
		}
	}
	return n
}

// reset starts counting afresh (after the watch has seen the start state).
func (w *vipWatch) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	for _, v := range w.vips {
		w.last[v], w.none[v], w.two[v], w.moves[v] = now, 0, 0, 0
	}
}

// vipTimes is what the watch saw of one VIP.
type vipTimes struct {
	None, Two time.Duration
	Moves     int // holders gained
	Holders   []string
}

// stop ends the watch and returns, per VIP, the time without a holder and
// with two or more, counted since reset.
func (w *vipWatch) stop() map[netip.Addr]vipTimes {
	for _, sock := range w.socks {
		sock.Close()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	out := map[netip.Addr]vipTimes{}
	for _, v := range w.vips {
		w.account(v, now)
		var hs []string
		for h, held := range w.holders[v] {
			if held {
				hs = append(hs, h)
			}
		}
		sort.Strings(hs)
		out[v] = vipTimes{None: w.none[v], Two: w.two[v], Moves: w.moves[v], Holders: hs}
	}
	return out
}

// prober requests http://VIP/ every period from the lab's operator
// namespace, each on a new connection, and counts the failures.
type prober struct {
	mu       sync.Mutex
	ok, fail int
	cancel   context.CancelFunc
	done     chan struct{}
}

// probe starts probing addr from l's operator namespace.
func probe(t *testing.T, l *lab.Lab, addr netip.Addr, period time.Duration) *prober {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &prober{cancel: cancel, done: make(chan struct{})}
	ready := make(chan error, 1)
	go func() {
		defer close(p.done)
		err := inNetns(l.OperatorNetnsPath(), func() error {
			ready <- nil
			for ctx.Err() == nil {
				good := getOK(addr)
				p.mu.Lock()
				if good {
					p.ok++
				} else {
					p.fail++
				}
				p.mu.Unlock()
				select {
				case <-ctx.Done():
				case <-time.After(period):
				}
			}
			return nil
		})
		if err != nil {
			ready <- err
		}
	}()
	if err := <-ready; err != nil {
		t.Fatalf("probe: %v", err)
	}
	return p
}

// getOK sends one HTTP/1.0 GET to addr:80 on a new connection, made on
// the calling thread (so in its network namespace; net/http would dial
// from goroutines of its own), and reports whether the answer was 200.
func getOK(addr netip.Addr) bool {
	d := net.Dialer{Timeout: 500 * time.Millisecond}
	conn, err := d.Dial("tcp", netip.AddrPortFrom(addr, 80).String())
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := fmt.Fprintf(conn, "GET / HTTP/1.0\r\nHost: %s\r\n\r\n", addr); err != nil {
		return false
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// reset starts counting afresh.
func (p *prober) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ok, p.fail = 0, 0
}

// stop ends the probe and returns its counts.
func (p *prober) stop() (ok, fail int) {
	p.cancel()
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ok, p.fail
}

// events returns the trace of changes seen.
func (w *vipWatch) events() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.trace, "\n")
}
