package shell

import (
	"os/exec"
	"testing"
)

func TestQuote(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", "''"},
		{"plain", "plain"},
		{"/etc/keepalived/keepalived.conf", "/etc/keepalived/keepalived.conf"},
		{"a b", "'a b'"},
		{"it's", `'it'\''s'`},
		{"'", `''\'''`},
		{"$HOME", "'$HOME'"},
		{"`id`", "'`id`'"},
		{"a\nb", "'a\nb'"},
		{"*", "'*'"},
		{"~", "'~'"},
		{`back\slash`, `'back\slash'`},
		{"-n", "-n"},
		{"ünï", "'ünï'"},
	}
	for _, tt := range tests {
		if got := Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestQuoteRoundTrip has /bin/sh read each quoted word back.
func TestQuoteRoundTrip(t *testing.T) {
	inputs := []string{
		"", "plain", "a b", "it's", "''", `"dq"`, "$HOME ${x} $(id) `id`", "a\nb\tc",
		"*?[a]", "~root", `back\slash\`, "; rm -rf /", "-n", "ünï", "!", "#hash", "a'b'c",
	}
	for _, in := range inputs {
		out, err := exec.Command("/bin/sh", "-c", "printf '%s' "+Quote(in)).Output()
		if err != nil {
			t.Fatalf("sh for %q: %v", in, err)
		}
		if string(out) != in {
			t.Errorf("round trip of %q gave %q", in, out)
		}
	}
}

func TestJoin(t *testing.T) {
	got := Join("ip", "addr", "replace", "192.168.19.100/32", "dev", "lo", "a b", "")
	want := "ip addr replace 192.168.19.100/32 dev lo 'a b' ''"
	if got != want {
		t.Errorf("Join = %s, want %s", got, want)
	}
}
