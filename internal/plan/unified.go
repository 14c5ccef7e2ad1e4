package plan

import (
	"fmt"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// diffContext is the number of unchanged lines shown around a change.
const diffContext = 3

// UnifiedDiff returns a unified diff (as diff -u prints it, with a/ b/
// headers) turning before into after, or "" when they are equal.
func UnifiedDiff(before, after, path string) string {
	if before == after {
		return ""
	}
	dmp := diffmatchpatch.New()
	a, b, lines := dmp.DiffLinesToChars(before, after)
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(a, b, false), lines)

	// Flatten into a list of (op, line).
	type line struct {
		op   diffmatchpatch.Operation
		text string
	}
	var all []line
	for _, d := range diffs {
		text := d.Text
		parts := strings.SplitAfter(text, "\n")
		for _, p := range parts {
			if p == "" {
				continue
			}
			all = append(all, line{d.Type, p})
		}
	}

	var out strings.Builder
	fromName, toName := "a"+path, "b"+path
	if before == "" {
		fromName = "/dev/null"
	}
	if after == "" {
		toName = "/dev/null"
	}
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", fromName, toName)

	// Group changes into hunks with context.
	i := 0
	for i < len(all) {
		// find next change
		for i < len(all) && all[i].op == diffmatchpatch.DiffEqual {
			i++
		}
		if i >= len(all) {
			break
		}
		start := max(i-diffContext, 0)
		// extend the hunk while changes are within 2*context of each other
		end := i
		for end < len(all) {
			if all[end].op != diffmatchpatch.DiffEqual {
				end++
				continue
			}
			run := end
			for run < len(all) && all[run].op == diffmatchpatch.DiffEqual {
				run++
			}
			if run >= len(all) || run-end > 2*diffContext {
				end = min(end+diffContext, len(all))
				break
			}
			end = run
		}
		// line numbers
		oldStart, newStart := 1, 1
		for _, l := range all[:start] {
			if l.op != diffmatchpatch.DiffInsert {
				oldStart++
			}
			if l.op != diffmatchpatch.DiffDelete {
				newStart++
			}
		}
		oldLen, newLen := 0, 0
		var body strings.Builder
		for _, l := range all[start:end] {
			text := l.text
			noNL := !strings.HasSuffix(text, "\n")
			switch l.op {
			case diffmatchpatch.DiffEqual:
				body.WriteString(" " + text)
				oldLen++
				newLen++
			case diffmatchpatch.DiffDelete:
				body.WriteString("-" + text)
				oldLen++
			case diffmatchpatch.DiffInsert:
				body.WriteString("+" + text)
				newLen++
			}
			if noNL {
				body.WriteString("\n\\ No newline at end of file\n")
			}
		}
		if oldLen == 0 {
			oldStart--
		}
		if newLen == 0 {
			newStart--
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(oldStart, oldLen), hunkRange(newStart, newLen))
		out.WriteString(body.String())
		i = end
	}
	return out.String()
}

func hunkRange(start, n int) string {
	if n == 1 {
		return fmt.Sprint(start)
	}
	return fmt.Sprintf("%d,%d", start, n)
}
