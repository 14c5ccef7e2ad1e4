package config

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// maxFuzzInput bounds the configurations the fuzzer tries, so that one
// input cannot take long to parse.
const maxFuzzInput = 32 << 10

// FuzzLoad writes arbitrary bytes as a configuration file and loads it.
// Loading must never panic, must return a configuration exactly when
// there is no error, and every diagnostic with a subject must point into
// the fuzzed file (or nowhere).
// Seeds: testdata/fuzz/FuzzLoad (the examples and broken snippets).
func FuzzLoad(f *testing.F) {
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > maxFuzzInput {
			t.Skip("input too large")
		}
		dir := t.TempDir()
		path := filepath.Join(dir, "cluster.hcl")
		if err := os.WriteFile(path, src, 0o644); err != nil {
			t.Fatal(err)
		}
		if p := os.Getenv("FUZZ_DEBUG_LAST"); p != "" {
			os.WriteFile(p+strconv.Itoa(os.Getpid()), src, 0o644)
		}
		cfg, diags := NewLoader().Load(path, LoadOptions{})
		if diags.HasErrors() != (cfg == nil) {
			t.Fatalf("config %v with errors=%v:\n%s", cfg != nil, diags.HasErrors(), formatDiags(diags))
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
