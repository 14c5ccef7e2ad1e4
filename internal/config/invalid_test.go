package config

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// errorMarker matches the Terraform-style marker that invalid fixtures put
// at the end of each line that must fail: `# ERROR: <summary substring>`.
var errorMarker = regexp.MustCompile(`#\s*ERROR:\s*(.+?)\s*$`)

// expectedError is one marked line of an invalid fixture.
type expectedError struct {
	Line    int
	Summary string
}

// readErrorMarkers returns the ERROR markers of the fixture at path.
func readErrorMarkers(t *testing.T, path string) []expectedError {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []expectedError
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if m := errorMarker.FindStringSubmatch(sc.Text()); m != nil {
			out = append(out, expectedError{Line: line, Summary: m[1]})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestInvalidFixtures loads every testdata/invalid/*.hcl and checks that
// each line marked `# ERROR: text` has an error diagnostic on that line of
// that file whose summary contains text, and that no error lands on an
// unmarked line (each fixture isolates its rule).
func TestInvalidFixtures(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "invalid", "*.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 35 {
		t.Fatalf("found %d invalid fixtures, want at least 35", len(paths))
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".hcl"), func(t *testing.T) {
			want := readErrorMarkers(t, path)
			if len(want) == 0 {
				t.Fatalf("%s has no # ERROR: marker", path)
			}
			cfg, diags := NewLoader().Load(path, LoadOptions{})
			if cfg != nil {
				t.Errorf("Load returned a configuration despite errors")
			}
			if !diags.HasErrors() {
				t.Fatalf("no error diagnostics; want %v", want)
			}
			marked := map[int]bool{}
			for _, w := range want {
				marked[w.Line] = true
				if !hasErrorAt(diags, path, w) {
					t.Errorf("line %d: no error whose summary contains %q; got:\n%s", w.Line, w.Summary, formatDiags(diags))
				}
			}
			for _, d := range diags {
				if d.Severity != hcl.DiagError {
					continue
				}
				if d.Subject == nil || d.Subject.Filename != path || !marked[d.Subject.Start.Line] {
					t.Errorf("unexpected error on an unmarked line: %s", formatDiag(d))
				}
			}
		})
	}
}

func hasErrorAt(diags hcl.Diagnostics, path string, w expectedError) bool {
	for _, d := range diags {
		if d.Severity == hcl.DiagError && d.Subject != nil &&
			d.Subject.Filename == path && d.Subject.Start.Line == w.Line &&
			strings.Contains(d.Summary, w.Summary) {
			return true
		}
	}
	return false
}

func formatDiag(d *hcl.Diagnostic) string {
	where := "(no subject)"
	if d.Subject != nil {
		where = d.Subject.String()
	}
	sev := "warning"
	if d.Severity == hcl.DiagError {
		sev = "error"
	}
	return sev + " " + where + ": " + d.Summary + ": " + d.Detail
}

func formatDiags(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		b.WriteString("  " + formatDiag(d) + "\n")
	}
	return b.String()
}
