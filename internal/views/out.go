package views

import (
	"io"
	"sync"

	"github.com/clusterctl/clusterctl/internal/secret"
)

// Out is one output stream of a command and the single place where what
// clusterctl prints is masked: every write goes through the run's
// Masker, whatever view, error or progress line it carries. Views write
// whole lines or whole documents in one Write, so a secret never
// straddles two writes. An Out is safe for concurrent use (apply reports
// progress from several goroutines) and keeps their lines whole.
type Out struct {
	mu sync.Mutex
	w  io.Writer
	m  secret.Masker
}

// NewOut returns an output stream writing to w, masked with m. For a
// stream of JSON, pass m.ForJSON().
func NewOut(w io.Writer, m secret.Masker) *Out { return &Out{w: w, m: m} }

// SetMasker replaces the masker (once the configuration and its secrets
// are known).
func (o *Out) SetMasker(m secret.Masker) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.m = m
}

// AddSecrets makes the stream mask more values too, as they appear in
// text and inside JSON strings (secrets found on live hosts).
func (o *Out) AddSecrets(more ...string) {
	if len(more) == 0 {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.m = o.m.With(more...).ForJSON()
}

// Write masks p and writes it. It reports len(p) written on success, as
// io.Writer requires, whatever masking did to the length.
func (o *Out) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, err := o.w.Write(o.m.Bytes(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Underlying returns the stream Out writes to (for terminal detection).
func (o *Out) Underlying() io.Writer { return o.w }
