package secret

import "testing"

func TestMasker(t *testing.T) {
	m := New("aminglin", "", "amin", "s3cret")
	cases := map[string]string{
		"auth_pass aminglin":         "auth_pass (sensitive)",
		"amin and aminglin":          "(sensitive) and (sensitive)",
		"nothing here":               "nothing here",
		"s3cret\ns3cret":             "(sensitive)\n(sensitive)",
		"prefix-aminglinux>com-tail": "prefix-(sensitive)ux>com-tail",
	}
	for in, want := range cases {
		if got := m.String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
		if got := string(m.Bytes([]byte(in))); got != want {
			t.Errorf("Bytes(%q) = %q, want %q", in, got, want)
		}
	}
	var zero Masker
	if got := zero.String("aminglin"); got != "aminglin" {
		t.Errorf("zero Masker changed %q", got)
	}
}
