package sshtest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Options configure a Server. The zero value is a server with a fresh host
// key that accepts any public key and runs commands with /bin/sh -c.
type Options struct {
	// HostKey is the server's host key; nil means a fresh ed25519 key.
	HostKey ssh.Signer
	// AuthorizedKeys are the client keys accepted; empty accepts any
	// public key (but never "none" or passwords).
	AuthorizedKeys []ssh.PublicKey
	// Exec answers exec requests; nil means RunShell.
	Exec ExecHandler
}

// ExecHandler runs one exec request and returns its exit status. ctx ends
// when the client signals or closes the session, or the server stops.
type ExecHandler func(ctx context.Context, e *Exec) int

// Exec is one exec request as a handler sees it.
type Exec struct {
	User    string
	Command string
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer

	drop func()
}

// Drop closes the client's TCP connection at once, as a network failure
// or a server crash would.
func (e *Exec) Drop() { e.drop() }

// ExecRecord is an exec request the server received.
type ExecRecord struct {
	User    string
	Command string
}

// Server is a running in-process SSH server. It stops when the test ends.
type Server struct {
	// Addr is "127.0.0.1:port"; Host and Port are its parts.
	Addr string
	Host string
	Port int
	// HostKey is the server's public host key.
	HostKey ssh.PublicKey
	// KnownHostsLine is the known_hosts line that pins HostKey for Addr
	// ("[127.0.0.1]:port ssh-ed25519 AAAA…").
	KnownHostsLine string

	opts     Options
	config   *ssh.ServerConfig
	listener net.Listener
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup

	mu           sync.Mutex
	conns        map[net.Conn]bool
	execs        []ExecRecord
	subsystems   []string
	forwards     []string
	keepalives   int
	authAttempts int
}

// NewServer starts a server on 127.0.0.1:0 and stops it when t ends.
func NewServer(t testing.TB, o Options) *Server {
	t.Helper()
	if o.HostKey == nil {
		o.HostKey = NewSigner(t)
	}
	if o.Exec == nil {
		o.Exec = RunShell
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("sshtest: listen: %v", err)
	}
	addr := l.Addr().(*net.TCPAddr)
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		Addr:     addr.String(),
		Host:     addr.IP.String(),
		Port:     addr.Port,
		HostKey:  o.HostKey.PublicKey(),
		opts:     o,
		listener: l,
		ctx:      ctx,
		cancel:   cancel,
		conns:    map[net.Conn]bool{},
	}
	s.KnownHostsLine = knownhosts.Line([]string{s.Addr}, s.HostKey)
	s.config = &ssh.ServerConfig{PublicKeyCallback: s.checkKey}
	s.config.AddHostKey(o.HostKey)
	s.wg.Go(s.serve)
	t.Cleanup(s.stop)
	return s
}

// NewSigner returns a fresh ed25519 signer.
func NewSigner(t testing.TB) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("sshtest: generate key: %v", err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatalf("sshtest: signer: %v", err)
	}
	return s
}

// WriteKnownHosts appends the server's known_hosts line to path, creating
// the file if needed, and returns path.
func (s *Server) WriteKnownHosts(t testing.TB, path string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	defer f.Close()
	if _, err := io.WriteString(f, s.KnownHostsLine+"\n"); err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	return path
}

// Execs returns the exec requests received so far, in order.
func (s *Server) Execs() []ExecRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.execs)
}

// Subsystems returns the subsystems requested so far ("sftp").
func (s *Server) Subsystems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.subsystems)
}

// Forwards returns the "host:port" destinations of the direct-tcpip
// channels opened so far, refused ones included.
func (s *Server) Forwards() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.forwards)
}

// Keepalives returns how many keepalive@openssh.com requests arrived.
func (s *Server) Keepalives() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keepalives
}

// AuthAttempts returns how many public keys clients offered.
func (s *Server) AuthAttempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authAttempts
}

// DropConnections closes every client connection at once.
func (s *Server) DropConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
	}
}

func (s *Server) stop() {
	s.cancel()
	s.listener.Close()
	s.DropConnections()
	s.wg.Wait()
}

func (s *Server) checkKey(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	s.mu.Lock()
	s.authAttempts++
	s.mu.Unlock()
	if len(s.opts.AuthorizedKeys) == 0 {
		return nil, nil
	}
	for _, k := range s.opts.AuthorizedKeys {
		if string(k.Marshal()) == string(key.Marshal()) {
			return nil, nil
		}
	}
	return nil, errors.New("key not authorized")
}

func (s *Server) serve() {
	for {
		c, err := s.listener.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Go(func() {
			defer func() {
				c.Close()
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
			}()
			s.handleConn(c)
		})
	}
}

func (s *Server) handleConn(nc net.Conn) {
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	sc, chans, reqs, err := ssh.NewServerConn(nc, s.config)
	if err != nil {
		return
	}
	nc.SetDeadline(time.Time{})
	defer sc.Close()
	go func() {
		for r := range reqs {
			if r.Type == "keepalive@openssh.com" {
				s.mu.Lock()
				s.keepalives++
				s.mu.Unlock()
			}
			if r.WantReply {
				r.Reply(false, nil)
			}
		}
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	for nch := range chans {
		switch nch.ChannelType() {
		case "session":
			ch, creqs, err := nch.Accept()
			if err != nil {
				continue
			}
			wg.Go(func() { s.handleSession(sc.User(), nc, ch, creqs) })
		case "direct-tcpip":
			wg.Go(func() { s.handleForward(nch) })
		default:
			nch.Reject(ssh.UnknownChannelType, "unsupported channel type")
		}
	}
}

func (s *Server) handleSession(user string, nc net.Conn, ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	for req := range reqs {
		switch req.Type {
		case "exec":
			var p struct{ Command string }
			if err := ssh.Unmarshal(req.Payload, &p); err != nil {
				req.Reply(false, nil)
				continue
			}
			req.Reply(true, nil)
			s.mu.Lock()
			s.execs = append(s.execs, ExecRecord{User: user, Command: p.Command})
			s.mu.Unlock()
			e := &Exec{User: user, Command: p.Command, Stdin: ch, Stdout: ch, Stderr: ch.Stderr(), drop: func() { nc.Close() }}
			go func() {
				// Later requests (signals) and the channel's close end ctx.
				for r := range reqs {
					if r.WantReply {
						r.Reply(r.Type == "signal", nil)
					}
					if r.Type == "signal" {
						cancel()
					}
				}
				cancel()
			}()
			code := s.opts.Exec(ctx, e)
			ch.CloseWrite()
			ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(code)}))
			return
		case "subsystem":
			var p struct{ Name string }
			if err := ssh.Unmarshal(req.Payload, &p); err != nil || p.Name != "sftp" {
				req.Reply(false, nil)
				continue
			}
			req.Reply(true, nil)
			s.mu.Lock()
			s.subsystems = append(s.subsystems, p.Name)
			s.mu.Unlock()
			go func() {
				for r := range reqs {
					if r.WantReply {
						r.Reply(false, nil)
					}
				}
			}()
			srv, err := sftp.NewServer(ch)
			if err != nil {
				return
			}
			srv.Serve()
			srv.Close()
			return
		default:
			if req.WantReply {
				req.Reply(req.Type == "env", nil)
			}
		}
	}
}

// handleForward serves a direct-tcpip channel, to loopback addresses only:
// tests must never send traffic anywhere else.
func (s *Server) handleForward(nch ssh.NewChannel) {
	var p struct {
		Host     string
		Port     uint32
		OrigHost string
		OrigPort uint32
	}
	if err := ssh.Unmarshal(nch.ExtraData(), &p); err != nil {
		nch.Reject(ssh.ConnectionFailed, "bad payload")
		return
	}
	dest := net.JoinHostPort(p.Host, strconv.Itoa(int(p.Port)))
	s.mu.Lock()
	s.forwards = append(s.forwards, dest)
	s.mu.Unlock()
	if ip := net.ParseIP(p.Host); p.Host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		nch.Reject(ssh.Prohibited, "sshtest forwards to loopback only")
		return
	}
	var d net.Dialer
	ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
	out, err := d.DialContext(ctx, "tcp", dest)
	cancel()
	if err != nil {
		nch.Reject(ssh.ConnectionFailed, err.Error())
		return
	}
	ch, reqs, err := nch.Accept()
	if err != nil {
		out.Close()
		return
	}
	go ssh.DiscardRequests(reqs)
	stop := context.AfterFunc(s.ctx, func() { out.Close(); ch.Close() })
	defer stop()
	var wg sync.WaitGroup
	wg.Go(func() {
		io.Copy(out, ch)
		if tc, ok := out.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
	})
	wg.Go(func() {
		io.Copy(ch, out)
		ch.CloseWrite()
	})
	wg.Wait()
	out.Close()
	ch.Close()
}

// RunShell is the default ExecHandler: it runs the command with
// /bin/sh -c on the test machine, kills it when ctx ends, and returns its
// exit status (128+signal when it was killed).
func RunShell(ctx context.Context, e *Exec) int {
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", e.Command)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.Stdin, e.Stdout, e.Stderr
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		return ee.ExitCode()
	case errors.As(err, &ee):
		return 137
	default:
		io.WriteString(e.Stderr, "sshtest: "+err.Error()+"\n")
		return 127
	}
}
