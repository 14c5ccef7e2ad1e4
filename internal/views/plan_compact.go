package views

import (
	"fmt"
	"strings"

	"github.com/clusterctl/clusterctl/internal/plan"
)

// compactRun is the longest run of removed or added lines a compact diff
// shows in full; a longer one shows its first two lines and a count.
const compactRun = 4

// compactChange shortens a file change for PlanCompact: a created file
// loses its diff (its whole content), and a diff already shown for an
// earlier host is replaced by a pointer to it. shown records the diffs
// shown so far, with the host that showed them.
func compactChange(ch plan.Change, host string, shown map[string]string) plan.Change {
	if ch.Kind != plan.KindFile || ch.Diff == "" {
		return ch
	}
	if ch.Action == plan.Create {
		ch.Diff = ""
		return ch
	}
	key := ch.Key + "\x00" + ch.Diff
	if first, ok := shown[key]; ok {
		ch.Diff = ""
		if ch.Detail != "" {
			ch.Detail += "; "
		}
		ch.Detail += "same diff as on " + first
		return ch
	}
	shown[key] = host
	ch.Diff = shortenRuns(ch.Diff)
	return ch
}

// shortenRuns keeps the first two lines of every run of more than
// compactRun removed (or added) lines of a unified diff and counts the
// rest ("-… 21 more lines").
func shortenRuns(diff string) string {
	lines := strings.SplitAfter(diff, "\n")
	var b strings.Builder
	for i := 0; i < len(lines); {
		l := lines[i]
		sign := ""
		if strings.HasPrefix(l, "-") && !strings.HasPrefix(l, "---") {
			sign = "-"
		} else if strings.HasPrefix(l, "+") && !strings.HasPrefix(l, "+++") {
			sign = "+"
		}
		j := i + 1
		for sign != "" && j < len(lines) && strings.HasPrefix(lines[j], sign) && !strings.HasPrefix(lines[j], sign+sign+sign) {
			j++
		}
		if sign == "" || j-i <= compactRun {
			for _, x := range lines[i:j] {
				b.WriteString(x)
			}
		} else {
			b.WriteString(lines[i])
			b.WriteString(lines[i+1])
			fmt.Fprintf(&b, "%s… %d more lines\n", sign, j-i-2)
		}
		i = j
	}
	return b.String()
}
