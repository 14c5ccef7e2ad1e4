package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func loadDiags(t *testing.T, path string) string {
	t.Helper()
	_, diags := NewLoader().Load(path, LoadOptions{})
	if !diags.HasErrors() {
		t.Fatalf("%s loaded without errors", path)
	}
	var b strings.Builder
	for _, d := range diags {
		b.WriteString(d.Summary + ": " + d.Detail + "\n")
	}
	return b.String()
}

// TestKeepalivedKeywordHints: keepalived's own keywords point at
// clusterctl's spelling, and do not also report the argument as missing.
func TestKeepalivedKeywordHints(t *testing.T) {
	msg := loadDiags(t, filepath.Join("testdata", "invalid", "keepalived_keywords.hcl"))
	for _, want := range []string{`keepalived's virtual_ipaddress is written virtual_ips = ["ADDR", ...]`, "keepalived's advert_interval is written advert_int"} {
		if !strings.Contains(msg, want) {
			t.Errorf("diagnostics lack %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "Missing required argument") {
		t.Errorf("virtual_ips reported missing as well:\n%s", msg)
	}
}

// TestFileFuncNamesWhereItLooked: a missing file() names the absolute
// path and the directory a relative path was read from.
func TestFileFuncNamesWhereItLooked(t *testing.T) {
	dir := t.TempDir()
	cfg := `host "web1" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
  file "/etc/motd" {
    content = file("motd.txt")
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "c.hcl"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	msg := loadDiags(t, dir)
	want := "no file " + filepath.Join(dir, "motd.txt") + " (a relative path is read from the configuration's directory, " + dir + ")"
	if !strings.Contains(strings.Join(strings.Fields(msg), " "), want) {
		t.Errorf("diagnostics lack %q:\n%s", want, msg)
	}
}

// TestRawLineHint: a keepalived keyword the model lacks, written as an
// attribute of the block it belongs in, points at the block's raw lines;
// one the model has under another name does not.
func TestRawLineHint(t *testing.T) {
	dir := writeConfig(t, map[string]string{"c.hcl": `
host "dir" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
}

vrrp_instance "VI_1" {
  interface           = "ens33"
  virtual_router_id   = 51
  virtual_ips         = ["192.168.19.100/24"]
  garp_master_refresh = 10
  member "dir" {
    priority = 100
  }
}
`})
	msg := loadDiags(t, dir)
	if !strings.Contains(msg, "clusterctl does not model keepalived's garp_master_refresh; write it as a raw keepalived line of this block") {
		t.Errorf("no raw hint for garp_master_refresh:\n%s", msg)
	}
	msg = loadDiags(t, filepath.Join("testdata", "invalid", "keepalived_keywords.hcl"))
	if strings.Contains(msg, "raw keepalived line") {
		t.Errorf("a keyword clusterctl spells differently points at raw lines:\n%s", msg)
	}
}
