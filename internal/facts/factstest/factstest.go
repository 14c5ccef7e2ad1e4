// Package factstest writes facts output the way the facts script does
// (format v=2, see internal/facts), for tests that fake a host's answer to
// facts.Script. It knows the format, not what a host should report: the
// caller chooses every section.
package factstest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
)

// Doc is facts output under construction: the stream of sections that the
// script encodes as a whole. The zero value is not usable; call New.
type Doc struct {
	token string
	inner bytes.Buffer
	files []file
}

type file struct {
	path, content string
	mode          uint32
}

// New starts a document for boundary token (see facts.NewToken).
func New(token string) *Doc {
	d := &Doc{token: token}
	d.Section("begin", "")
	return d
}

// Section adds a section: its header ("pkgmgr apt", "sysctl KEY ok") and
// its raw body.
func (d *Doc) Section(header, body string) *Doc {
	fmt.Fprintf(&d.inner, "\n%s %s\n%s", d.token, header, body)
	return d
}

// Cmd adds a command that ran: what it printed and how it exited.
func (d *Doc) Cmd(name string, rc int, stdout, stderr string) *Doc {
	d.Section("out "+name, stdout)
	return d.Section(fmt.Sprintf("cmd %s rc=%d", name, rc), stderr)
}

// Missing adds a command that is not installed.
func (d *Doc) Missing(name string) *Doc {
	return d.Section("cmd "+name+" missing", "")
}

// File adds a regular file owned by root:root with the given permission
// bits and content; Bytes reports its metadata in the one stat command
// and then its content, as the script does.
func (d *Doc) File(path string, mode uint32, content string) *Doc {
	d.Section("file "+path+" regular", "")
	d.files = append(d.files, file{path: path, content: content, mode: mode})
	return d
}

// NoFile adds a path where nothing exists.
func (d *Doc) NoFile(path string) *Doc {
	return d.Section("file "+path+" exists=0", "")
}

// Service is one unit's answer to `systemctl show`.
type Service struct {
	Name                                  string
	LoadState, ActiveState, UnitFileState string
}

// Services adds the state of services, as one `systemctl show` call
// reports it.
func (d *Doc) Services(svcs ...Service) *Doc {
	names := make([]string, len(svcs))
	blocks := make([]string, len(svcs))
	for i, s := range svcs {
		names[i] = s.Name
		blocks[i] = fmt.Sprintf("LoadState=%s\nActiveState=%s\nUnitFileState=%s\n", s.LoadState, s.ActiveState, s.UnitFileState)
	}
	d.Section(strings.TrimSpace("services "+strings.Join(names, " ")), "")
	if len(svcs) > 0 {
		d.Cmd("services", 0, strings.Join(blocks, "\n"), "")
	}
	return d
}

// Bytes ends the document (the stat and the contents of the files added
// with File, then the end section) and returns it encoded, as the script
// prints it.
func (d *Doc) Bytes() []byte {
	if len(d.files) > 0 {
		var stat strings.Builder
		for _, f := range d.files {
			fmt.Fprintf(&stat, "%o root root %d %s\n", f.mode, len(f.content), f.path)
		}
		d.Cmd("stat", 0, stat.String(), "")
		for _, f := range d.files {
			d.Section("content "+f.path, f.content)
		}
		d.files = nil
	}
	d.Section("end", "")
	return Encode(d.token, d.inner.Bytes())
}

// Unended returns the document without its end section: a script that
// died half-way, whose encoder and trailer still ran.
func (d *Doc) Unended() []byte {
	return Encode(d.token, d.inner.Bytes())
}

// Encode wraps a raw section stream as the script prints it: the facts
// header, the stream in base64 lines of 76 characters, and the trailer.
func Encode(token string, inner []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s facts v=2 enc=b64\n", token)
	enc := base64.StdEncoding.EncodeToString(inner)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\n")
		enc = enc[76:]
	}
	if enc != "" {
		b.WriteString(enc + "\n")
	}
	fmt.Fprintf(&b, "%s done\n", token)
	return b.Bytes()
}
