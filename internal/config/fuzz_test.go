package config

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// maxFuzzInput bounds the configurations the fuzzer tries, so that one
// input cannot take long to parse.
const maxFuzzInput = 32 << 10

// FuzzLoad writes arbitrary bytes as a configuration file and loads it.
// Loading must never panic, must return a configuration exactly when
// there is no error, every diagnostic with a subject must point into the
// fuzzed file, and the masked source must keep its length and lines. Seeds: testdata/fuzz/FuzzLoad (the examples and broken
// snippets).
//
// New inputs are minimized for up to -fuzzminimizetime (60 s by default)
// and executions spent minimizing do not show in the execs counter; pass
// -fuzzminimizetime=5s for short runs.
func FuzzLoad(f *testing.F) {
	// One directory per fuzzing process: executions within a process run
	// one at a time, and a directory per execution costs more than Load.
	dir, err := os.MkdirTemp("", "fuzzload")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "cluster.hcl")
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > maxFuzzInput {
			t.Skip("input too large")
		}
		if err := os.WriteFile(path, src, 0o644); err != nil {
			t.Fatal(err)
		}
		l := NewLoader()
		cfg, diags := l.Load(path, LoadOptions{})
		if diags.HasErrors() != (cfg == nil) {
			t.Fatalf("config %v with errors=%v:\n%s", cfg != nil, diags.HasErrors(), formatDiags(diags))
		}
		// Masking keeps every byte offset, and the diagnostics print
		// (in colour, which slices the source at the subject's offsets).
		if masked := l.MaskedFiles()[path]; masked == nil || len(masked.Bytes) != len(src) || bytes.Count(masked.Bytes, []byte("\n")) != bytes.Count(src, []byte("\n")) {
			t.Fatalf("MaskedFiles changed the length or the lines of the source")
		}
		if err := hcl.NewDiagnosticTextWriter(io.Discard, l.MaskedFiles(), 78, true).WriteDiagnostics(diags); err != nil {
			t.Fatal(err)
		}
		for _, d := range diags {
			if d.Subject != nil && d.Subject.Filename != "" && d.Subject.Filename != path {
				t.Errorf("diagnostic points outside the configuration: %s", formatDiag(d))
			}
		}
		if cfg != nil {
			// A loaded configuration validates again without errors.
			if again := Validate(cfg); again.HasErrors() {
				t.Errorf("Validate of a loaded configuration fails:\n%s", formatDiags(again))
			}
		}
	})
}
