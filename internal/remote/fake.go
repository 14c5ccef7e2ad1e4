package remote

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Fake is a stateful in-memory Conn for tests of the packages that drive
// hosts. It keeps files in a map, logs every operation in order (so tests
// can assert the exact commands sent, e.g. against a golden Transcript),
// answers commands with handlers registered by prefix, and injects faults.
// The zero value is not usable; call NewFake. It is safe for concurrent use.
//
// Fake does not interpret commands: a command that should change files
// needs a handler that does so (handlers may call the Fake's methods).
// Cmd.Sudo is recorded, not applied.
type Fake struct {
	name string

	mu       sync.Mutex
	files    map[string]FakeFile
	log      []Op
	handlers map[string]Handler
	fallback Handler
	faults   []fault
	closed   bool
}

var _ Conn = (*Fake)(nil)

// FakeFile is a file held by a Fake.
type FakeFile struct {
	Data []byte
	Mode fs.FileMode
}

// Handler answers a command run on a Fake.
type Handler func(cmd Cmd) (Result, error)

// OpKind names a Conn operation.
type OpKind string

// The operations a Fake logs.
const (
	OpRun    OpKind = "run"
	OpRead   OpKind = "read"
	OpWrite  OpKind = "write"
	OpRename OpKind = "rename"
	OpStat   OpKind = "stat"
	OpClose  OpKind = "close"
)

// Op is one logged operation. Only the fields of its Kind are set: Cmd for
// run; Path for read, write and stat; Data and Mode for write; Path and
// NewPath for rename. Err is the error the operation returned, if any.
type Op struct {
	Kind    OpKind
	Cmd     Cmd
	Path    string
	NewPath string
	Data    []byte
	Mode    fs.FileMode
	Err     error
}

// String renders an Op as one line for transcripts, e.g.
// "run sudo: systemctl reload keepalived", "write /etc/x 0644 12 bytes".
// Stdin and written data are summarised by size, not printed.
func (o Op) String() string {
	var s string
	switch o.Kind {
	case OpRun:
		s = "run"
		if o.Cmd.Sudo {
			s += " sudo"
		}
		s += ": " + o.Cmd.Command
		if o.Cmd.Stdin != nil {
			s += fmt.Sprintf(" <stdin %d bytes>", len(o.Cmd.Stdin))
		}
	case OpWrite:
		s = fmt.Sprintf("write %s %04o %d bytes", o.Path, uint32(o.Mode.Perm()), len(o.Data))
	case OpRename:
		s = fmt.Sprintf("rename %s %s", o.Path, o.NewPath)
	case OpClose:
		s = "close"
	default:
		s = string(o.Kind) + " " + o.Path
	}
	if o.Err != nil {
		s += " => error: " + o.Err.Error()
	}
	return s
}

type fault struct {
	match func(n int, op Op) bool
	err   error
}

// NewFake returns an empty Fake for the host named name.
func NewFake(name string) *Fake {
	return &Fake{name: name, files: map[string]FakeFile{}, handlers: map[string]Handler{}}
}

// Host implements Conn.
func (f *Fake) Host() string { return f.name }

// SetFile puts a file in place (not logged).
func (f *Fake) SetFile(path string, data []byte, mode fs.FileMode) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[path] = FakeFile{Data: slices.Clone(data), Mode: mode}
}

// RemoveFile deletes a file (not logged).
func (f *Fake) RemoveFile(path string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.files, path)
}

// File returns a copy of the file at path.
func (f *Fake) File(path string) (FakeFile, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ff, ok := f.files[path]
	ff.Data = slices.Clone(ff.Data)
	return ff, ok
}

// Paths returns the paths of all files, sorted.
func (f *Fake) Paths() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	paths := make([]string, 0, len(f.files))
	for p := range f.files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

// Handle registers h for commands starting with prefix. The longest
// matching prefix wins; registering a prefix again replaces its handler.
func (f *Fake) Handle(prefix string, h Handler) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handlers[prefix] = h
}

// HandleDefault registers the handler for commands no prefix matches.
// Without one, such commands fail with an error naming them.
func (f *Fake) HandleDefault(h Handler) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fallback = h
}

// FailNth makes the nth operation (1-based, counting every logged
// operation of this Fake, including ones already done) fail with err
// without taking effect.
func (f *Fake) FailNth(n int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, fault{match: func(i int, _ Op) bool { return i == n }, err: err})
}

// FailWhen makes every operation for which match returns true fail with
// err without taking effect. The Op handed to match has no Err set.
func (f *Fake) FailWhen(match func(op Op) bool, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, fault{match: func(_ int, op Op) bool { return match(op) }, err: err})
}

// Log returns the operations so far, in order.
func (f *Fake) Log() []Op {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.log)
}

// Commands returns the command lines run so far, in order.
func (f *Fake) Commands() []string {
	var cmds []string
	for _, op := range f.Log() {
		if op.Kind == OpRun {
			cmds = append(cmds, op.Cmd.Command)
		}
	}
	return cmds
}

// Transcript renders the log one Op per line, for golden files.
func (f *Fake) Transcript() string {
	var b strings.Builder
	for _, op := range f.Log() {
		b.WriteString(op.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// begin logs op and returns its index in the log and the injected fault,
// if any. It is called with f.mu held.
func (f *Fake) begin(ctx context.Context, op Op) (int, error) {
	f.log = append(f.log, op)
	n := len(f.log)
	var err error
	switch {
	case ctx.Err() != nil:
		err = fmt.Errorf("%s: %w", op.Kind, ctx.Err())
	case f.closed:
		err = fmt.Errorf("%s: %w", op.Kind, errFakeClosed)
	}
	for _, ft := range f.faults {
		if err == nil && ft.match(n, op) {
			err = ft.err
		}
	}
	f.log[n-1].Err = err
	return n - 1, err
}

// finish records the outcome of the operation at index i.
func (f *Fake) finish(i int, err error) error {
	f.log[i].Err = err
	return err
}

var errFakeClosed = errors.New("connection closed")

// Run implements Conn.
func (f *Fake) Run(ctx context.Context, cmd Cmd) (Result, error) {
	cmd.Stdin = slices.Clone(cmd.Stdin)
	f.mu.Lock()
	i, err := f.begin(ctx, Op{Kind: OpRun, Cmd: cmd})
	h := f.handlerFor(cmd.Command)
	f.mu.Unlock()
	if err != nil {
		return Result{}, err
	}
	var res Result
	if h == nil {
		err = fmt.Errorf("fake %s: no handler for command %q", f.name, cmd.Command)
	} else {
		res, err = h(cmd)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return res, f.finish(i, err)
}

func (f *Fake) handlerFor(command string) Handler {
	best, h := -1, f.fallback
	for prefix, ph := range f.handlers {
		if strings.HasPrefix(command, prefix) && len(prefix) > best {
			best, h = len(prefix), ph
		}
	}
	return h
}

// ReadFile implements Conn.
func (f *Fake) ReadFile(ctx context.Context, p string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, err := f.begin(ctx, Op{Kind: OpRead, Path: p})
	if err != nil {
		return nil, err
	}
	ff, ok := f.files[p]
	if !ok {
		return nil, f.finish(i, fmt.Errorf("read %s: %w", p, fs.ErrNotExist))
	}
	return slices.Clone(ff.Data), nil
}

// WriteFile implements Conn.
func (f *Fake) WriteFile(ctx context.Context, p string, data []byte, mode fs.FileMode) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	data = slices.Clone(data)
	if _, err := f.begin(ctx, Op{Kind: OpWrite, Path: p, Data: data, Mode: mode}); err != nil {
		return err
	}
	f.files[p] = FakeFile{Data: data, Mode: mode.Perm()}
	return nil
}

// Rename implements Conn.
func (f *Fake) Rename(ctx context.Context, oldpath, newpath string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, err := f.begin(ctx, Op{Kind: OpRename, Path: oldpath, NewPath: newpath})
	if err != nil {
		return err
	}
	ff, ok := f.files[oldpath]
	if !ok {
		return f.finish(i, fmt.Errorf("rename %s to %s: %w", oldpath, newpath, fs.ErrNotExist))
	}
	delete(f.files, oldpath)
	f.files[newpath] = ff
	return nil
}

// Stat implements Conn. Only files are known; there are no directories.
func (f *Fake) Stat(ctx context.Context, p string) (fs.FileInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, err := f.begin(ctx, Op{Kind: OpStat, Path: p})
	if err != nil {
		return nil, err
	}
	ff, ok := f.files[p]
	if !ok {
		return nil, f.finish(i, fmt.Errorf("stat %s: %w", p, fs.ErrNotExist))
	}
	return fileInfo{name: path.Base(p), size: int64(len(ff.Data)), mode: ff.Mode, modTime: time.Time{}}, nil
}

// Close implements Conn. Operations after Close fail.
func (f *Fake) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, err := f.begin(context.Background(), Op{Kind: OpClose})
	f.closed = true
	return err
}
