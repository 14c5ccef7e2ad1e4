package keepalived

import "testing"

func TestReindent(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		depth     int
		want      string
	}{
		{"plain lines", "garp_master_refresh 10\n  garp_master_refresh_repeat 2\n", 1,
			"    garp_master_refresh 10\n    garp_master_refresh_repeat 2"},
		{"nested block, any indentation", "\n\nstatic_routes {\n10.0.0.0/8 via 192.168.19.1\n        }\n\n", 0,
			"static_routes {\n    10.0.0.0/8 via 192.168.19.1\n}"},
		{"brace on the next line, blank and comment lines kept", "garp_group\n{\n  ! a comment {\n\n  interface ens33\n}", 1,
			"    garp_group\n    {\n        ! a comment {\n\n        interface ens33\n    }"},
		{"braces in quotes do not count", "notify_deleted \"/bin/x {\"\nquorum 1", 1,
			"    notify_deleted \"/bin/x {\"\n    quorum 1"},
		{"one-line block", "a { b }\nc", 0, "a { b }\nc"},
		{"CRLF", "a {\r\nb\r\n}\r\n", 0, "a {\n    b\n}"},
		{"trailing blanks removed", "quorum 1   \t", 2, "        quorum 1"},
		{"empty", "\n \n", 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Reindent(tc.src, tc.depth, "    "); got != tc.want {
				t.Errorf("Reindent(%q, %d) =\n%q\nwant\n%q", tc.src, tc.depth, got, tc.want)
			}
		})
	}
}
