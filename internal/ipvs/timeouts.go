package ipvs

import (
	"fmt"
	"strings"
)

// ParseTimeouts parses `ipvsadm -L --timeout`, one line
// "Timeout (tcp tcpfin udp): 900 120 300".
func ParseTimeouts(data []byte) (Timeouts, error) {
	const prefix = "Timeout (tcp tcpfin udp):"
	s := strings.TrimSpace(string(data))
	if len(s) > 200 || !strings.HasPrefix(s, prefix) || strings.Contains(s, "\n") {
		return Timeouts{}, fmt.Errorf("unexpected ipvsadm --timeout output %q", truncate(s, 80))
	}
	r, err := parseSetTimeouts(rule{}, strings.Fields(strings.TrimPrefix(s, prefix)))
	if err != nil {
		return Timeouts{}, fmt.Errorf("ipvsadm --timeout output: %w", err)
	}
	return r.timeouts, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
