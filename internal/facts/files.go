package facts

import (
	"fmt"
	"strconv"
	"strings"
)

// parseFile reads a file header ("PATH exists=0", "PATH type=other",
// "PATH regular"); the metadata and content of a regular file come later,
// from fileMetadata.
func parseFile(s *section) (FileFact, error) {
	switch args := s.args[1:]; {
	case len(args) == 1 && args[0] == "exists=0":
		return FileFact{}, nil
	case len(args) == 1 && args[0] == "type=other":
		return FileFact{Exists: true, Other: true}, nil
	case len(args) == 1 && args[0] == "regular":
		// Error until fileMetadata finds its stat line and content.
		return FileFact{Exists: true, Error: true}, nil
	default:
		return FileFact{}, fmt.Errorf("invalid file header %q", strings.Join(args, " "))
	}
}

// fileMetadata completes the regular files with the stat command's "MODE
// OWNER GROUP SIZE PATH" lines and their contents. A file larger than
// MaxFileSize is TooLarge (its content is not read). A file without a stat
// line, or whose content was not read in full or differs in length from
// what stat said (it changed in between), stays Error, without content.
func fileMetadata(h *Host, c *command, contents map[string][]byte) error {
	meta := map[string]FileFact{}
	if c != nil && !c.missing {
		for i, line := range strings.Split(string(c.stdout), "\n") {
			if line == "" {
				continue
			}
			fail := func(format string, a ...any) error {
				return &ParseError{Section: "cmd stat", Line: i + 1, Msg: fmt.Sprintf(format, a...)}
			}
			f := strings.Fields(line)
			if len(f) != 5 || !validPath(f[4]) {
				return fail("want MODE OWNER GROUP SIZE PATH, got %.80q", line)
			}
			mode, err := strconv.ParseUint(f[0], 8, 32)
			if err != nil || mode > 0o7777 {
				return fail("invalid mode %q", f[0])
			}
			size, err := strconv.ParseInt(f[3], 10, 64)
			if err != nil || size < 0 {
				return fail("invalid size %q", f[3])
			}
			meta[f[4]] = FileFact{Exists: true, Mode: uint32(mode), Owner: f[1], Group: f[2], Size: size}
		}
	}
	for p, ff := range h.Files {
		if !ff.Error {
			continue
		}
		m, ok := meta[p]
		content, read := contents[p]
		switch {
		case !ok:
		case m.Size > MaxFileSize:
			m.TooLarge = true
			h.Files[p] = m
		case read && int64(len(content)) == m.Size:
			m.Content = content
			if m.Content == nil {
				m.Content = []byte{}
			}
			h.Files[p] = m
		}
	}
	return nil
}
