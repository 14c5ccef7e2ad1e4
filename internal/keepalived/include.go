package keepalived

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// FS is where Load reads a configuration and the files it includes.
// Names are absolute slash-separated paths as keepalived sees them on
// its host ("/etc/keepalived/conf.d/web.conf").
type FS interface {
	ReadFile(name string) ([]byte, error)
	// Glob returns the names matching pattern (path.Match syntax),
	// sorted; no match is not an error.
	Glob(pattern string) ([]string, error)
}

// DirFS reads a host's files from a local copy of its file system:
// "/etc/keepalived/keepalived.conf" is Root/etc/keepalived/keepalived.conf.
// With Root "/" it reads this machine's own files.
type DirFS struct{ Root string }

func (d DirFS) local(name string) string {
	return filepath.Join(d.Root, filepath.FromSlash(path.Clean("/"+name)))
}

// ReadFile implements FS.
func (d DirFS) ReadFile(name string) ([]byte, error) { return os.ReadFile(d.local(name)) }

// Glob implements FS.
func (d DirFS) Glob(pattern string) ([]string, error) {
	matches, err := filepath.Glob(d.local(pattern))
	if err != nil {
		return nil, err
	}
	root := filepath.Clean(d.Root)
	var out []string
	for _, m := range matches {
		rel, err := filepath.Rel(root, m)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		out = append(out, "/"+filepath.ToSlash(rel))
	}
	slices.Sort(out)
	return out, nil
}

// MapFS holds files read from a host, by absolute path.
type MapFS map[string][]byte

// ReadFile implements FS.
func (m MapFS) ReadFile(name string) ([]byte, error) {
	if b, ok := m[path.Clean(name)]; ok {
		return b, nil
	}
	return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
}

// Glob implements FS.
func (m MapFS) Glob(pattern string) ([]string, error) {
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, err
	}
	var out []string
	for name := range m {
		if ok, _ := path.Match(pattern, name); ok {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Config is a configuration with its includes followed.
type Config struct {
	// Nodes are the statements, each include replaced by the statements
	// of the files it names (in the glob's sorted order).
	Nodes []*Node
	// Files are the files read, the main one first.
	Files []string
	// Problems found while following includes (a glob that matches
	// nothing) and by Check.
	Problems []Problem
}

// maxIncludeDepth bounds nested includes (and include cycles).
const maxIncludeDepth = 8

// Load parses the configuration at name and the files its include
// directives name, relative to the including file's directory when the
// path is relative. A file that cannot be read or parsed is an error
// naming the include that asked for it.
func Load(fsys FS, name string) (*Config, error) {
	c := &Config{}
	nodes, err := c.load(fsys, name, 0, nil)
	if err != nil {
		return nil, err
	}
	c.Nodes = nodes
	return c, nil
}

func (c *Config) load(fsys FS, name string, depth int, from *Node) ([]*Node, error) {
	data, err := fsys.ReadFile(name)
	if err != nil {
		if from != nil {
			return nil, &Error{File: from.File, Line: from.Line, Col: from.Col, Msg: fmt.Sprintf("include %s: %v", name, err)}
		}
		return nil, err
	}
	c.Files = append(c.Files, name)
	nodes, err := Parse(name, data)
	if err != nil {
		return nil, err
	}
	return c.expand(fsys, nodes, depth)
}

// expand replaces include statements in nodes, at any depth.
func (c *Config) expand(fsys FS, nodes []*Node, depth int) ([]*Node, error) {
	var out []*Node
	for _, n := range nodes {
		if n.Keyword != "include" || n.Block {
			if n.Block {
				kids, err := c.expand(fsys, n.Children, depth)
				if err != nil {
					return nil, err
				}
				n.Children = kids
			}
			out = append(out, n)
			continue
		}
		if len(n.Args) != 1 {
			return nil, &Error{File: n.File, Line: n.Line, Col: n.Col, Msg: fmt.Sprintf("include takes one path (a glob), got %d words", len(n.Args))}
		}
		if depth >= maxIncludeDepth {
			return nil, &Error{File: n.File, Line: n.Line, Col: n.Col, Msg: fmt.Sprintf("include %s: includes nested deeper than %d (a cycle?)", n.Args[0], maxIncludeDepth)}
		}
		pattern := n.Args[0]
		if !path.IsAbs(pattern) {
			pattern = path.Join(path.Dir(n.File), pattern)
		}
		matches, err := fsys.Glob(pattern)
		if err != nil {
			return nil, &Error{File: n.File, Line: n.Line, Col: n.Col, Msg: fmt.Sprintf("include %s: %v", n.Args[0], err)}
		}
		if len(matches) == 0 {
			c.Problems = append(c.Problems, Problem{File: n.File, Line: n.Line, Col: n.Col, Keyword: "include",
				Msg: fmt.Sprintf("include %s matches no file", n.Args[0]), Warning: true})
		}
		for _, m := range matches {
			kids, err := c.load(fsys, m, depth+1, n)
			if err != nil {
				var pe *fs.PathError
				if errors.As(err, &pe) {
					return nil, &Error{File: n.File, Line: n.Line, Col: n.Col, Msg: fmt.Sprintf("include %s: %v", m, err)}
				}
				return nil, err
			}
			out = append(out, kids...)
		}
	}
	return out, nil
}

// IncludePatterns returns the include arguments of a file's statements,
// made absolute against the file's directory: what a reader of the host
// must fetch next.
func IncludePatterns(nodes []*Node) []string {
	var out []string
	var walk func([]*Node)
	walk = func(ns []*Node) {
		for _, n := range ns {
			if n.Keyword == "include" && !n.Block && len(n.Args) == 1 {
				p := n.Args[0]
				if !path.IsAbs(p) {
					p = path.Join(path.Dir(n.File), p)
				}
				out = append(out, p)
			}
			walk(n.Children)
		}
	}
	walk(nodes)
	return out
}
