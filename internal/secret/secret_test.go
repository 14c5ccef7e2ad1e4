package secret

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestMaskerTokens(t *testing.T) {
	m := New("aminglin", "", "s3cret", "e", "a;b")
	cases := map[string]string{
		"auth_pass aminglin":           "auth_pass (sensitive)",
		"auth_pass aminglin\n":         "auth_pass (sensitive)\n",
		"aming@aminglinux.com":         "aming@aminglinux.com", // glued: the mail domain stays readable
		`password="s3cret"`:            `password="(sensitive)"`,
		"s3cret\ns3cret":               "(sensitive)\n(sensitive)",
		"keepalived active/enabled":    "keepalived active/enabled", // a one-letter secret does not garble words
		"e":                            "(sensitive)",
		"x e y":                        "x (sensitive) y",
		"auth_pass a;b":                "auth_pass (sensitive)",
		"ka;bc":                        "ka;bc", // glued on both letter edges
		"x;a;b;y":                      "x;(sensitive);y",
		"nothing here":                 "nothing here",
		"as3cret and s3cret, s3crets.": "as3cret and (sensitive), s3crets.",
	}
	for in, want := range cases {
		if got := m.String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
		if got := string(m.Bytes([]byte(in))); got != want {
			t.Errorf("Bytes(%q) = %q, want %q", in, got, want)
		}
		if masked := m.String(in); Appears(masked, "aminglin") || Appears(masked, "s3cret") {
			t.Errorf("String(%q) = %q still shows a secret as a token", in, masked)
		}
	}
	if got := m.Blank(`auth_pass = "aminglin"`); got != `auth_pass = "********"` {
		t.Errorf("Blank = %q", got)
	}
	var zero Masker
	if got := zero.String("aminglin"); got != "aminglin" {
		t.Errorf("zero Masker changed %q", got)
	}
	if !Appears("x aminglin y", "aminglin") || Appears("aminglinux", "aminglin") || Appears("anything", "") {
		t.Errorf("Appears is wrong")
	}
}

func TestForJSON(t *testing.T) {
	m := New(`a"b\c`, "plain").ForJSON()
	doc, _ := json.Marshal(map[string]string{"x": `pass a"b\c end`, "y": "plain"})
	got := m.String(string(doc))
	if strings.Contains(got, `a\"b\\c`) || strings.Contains(got, "plain") {
		t.Errorf("JSON not masked: %s", got)
	}
	if !strings.Contains(got, `pass (sensitive) end`) {
		t.Errorf("masked JSON = %s", got)
	}
	if w := New("x1").With("y2"); w.String("x1 y2") != "(sensitive) (sensitive)" {
		t.Errorf("With: %q", w.String("x1 y2"))
	}
}

func TestFound(t *testing.T) {
	m := New("pw1", "pw12", "other")
	tests := []struct {
		in   string
		want []string
	}{
		{"auth_pass pw1\nx other pw12", []string{"pw1", "other", "pw12"}},
		{"xpw1 pw1x", nil},
		{"nothing", nil},
		{"pw12 pw1", []string{"pw12", "pw1"}},
	}
	for _, tt := range tests {
		if got := m.Found(tt.in); strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("Found(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
