package plan

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/golden"

	"github.com/google/go-cmp/cmp"
)

func numbered(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	return b.String()
}

func TestUnifiedDiffGolden(t *testing.T) {
	middle := numbered(1, 20)
	tests := []struct {
		name          string
		before, after string
	}{
		{"add", "a\nb\n", "a\nb\nc\n"},
		{"delete", "a\nb\nc\n", "a\nc\n"},
		{"change_in_middle", middle, strings.Replace(middle, "line 10\n", "line ten\n", 1)},
		{"two_hunks", numbered(1, 30), strings.Replace(strings.Replace(numbered(1, 30), "line 3\n", "line three\n", 1), "line 27\n", "", 1)},
		{"close_changes_one_hunk", numbered(1, 20), strings.Replace(strings.Replace(numbered(1, 20), "line 5\n", "five\n", 1), "line 11\n", "eleven\n", 1)},
		{"no_trailing_newline", "a\nb", "a\nc"},
		{"newline_added_at_end", "a\nb", "a\nb\n"},
		{"empty_before", "", "x\ny\n"},
		{"empty_after", "x\ny\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := UnifiedDiff(tt.before, tt.after, "/etc/f")
			path := filepath.Join("testdata", "unified", tt.name+".golden")
			if golden.Update() {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if d := cmp.Diff(string(want), got); d != "" {
				t.Errorf("UnifiedDiff (-want +got):\n%s", d)
			}
			if applied, err := patch(tt.before, got); err != nil || applied != tt.after {
				t.Errorf("patch gives %q, %v; want %q", applied, err, tt.after)
			}
		})
	}
	if got := UnifiedDiff("same\n", "same\n", "/x"); got != "" {
		t.Errorf("equal texts give %q", got)
	}
}

var hunkRE = regexp.MustCompile(`^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@$`)

// patch applies a unified diff to before, checking every context and
// removed line and every hunk's line counts.
func patch(before, diff string) (string, error) {
	if diff == "" {
		return before, nil
	}
	src := strings.SplitAfter(before, "\n")
	if src[len(src)-1] == "" {
		src = src[:len(src)-1]
	}
	type bodyLine struct {
		op   byte
		text string
	}
	dl := strings.SplitAfter(diff, "\n")
	if len(dl) < 3 || !strings.HasPrefix(dl[0], "--- ") || !strings.HasPrefix(dl[1], "+++ ") {
		return "", fmt.Errorf("bad header")
	}
	var out strings.Builder
	pos := 0 // next line of src to copy
	for i := 2; i < len(dl) && dl[i] != ""; {
		m := hunkRE.FindStringSubmatch(strings.TrimSuffix(dl[i], "\n"))
		if m == nil {
			return "", fmt.Errorf("bad hunk header %q", dl[i])
		}
		count := func(s string) int {
			if s == "" {
				return 1
			}
			n, _ := strconv.Atoi(s)
			return n
		}
		oldStart, oldLen, newLen := count(m[1]), count(m[2]), count(m[4])
		if oldLen > 0 {
			oldStart-- // to 0-based index of the first old line
		}
		i++
		var body []bodyLine
		for ; i < len(dl) && dl[i] != "" && !strings.HasPrefix(dl[i], "@@"); i++ {
			l := dl[i]
			if strings.HasPrefix(l, `\ No newline at end of file`) {
				if len(body) == 0 {
					return "", fmt.Errorf("marker without a line")
				}
				body[len(body)-1].text = strings.TrimSuffix(body[len(body)-1].text, "\n")
				continue
			}
			body = append(body, bodyLine{l[0], l[1:]})
		}
		if oldStart < pos || oldStart > len(src) {
			return "", fmt.Errorf("hunk at %d out of order", oldStart)
		}
		for ; pos < oldStart; pos++ {
			out.WriteString(src[pos])
		}
		olds, news := 0, 0
		for _, b := range body {
			switch b.op {
			case ' ', '-':
				if pos >= len(src) || src[pos] != b.text {
					return "", fmt.Errorf("line %d: have %q, diff says %q", pos+1, safeLine(src, pos), b.text)
				}
				pos++
				olds++
				if b.op == ' ' {
					out.WriteString(b.text)
					news++
				}
			case '+':
				out.WriteString(b.text)
				news++
			default:
				return "", fmt.Errorf("bad line %q", b.text)
			}
		}
		if olds != oldLen || news != newLen {
			return "", fmt.Errorf("hunk counts -%d +%d, body -%d +%d", oldLen, newLen, olds, news)
		}
	}
	for ; pos < len(src); pos++ {
		out.WriteString(src[pos])
	}
	return out.String(), nil
}

func safeLine(src []string, i int) string {
	if i < len(src) {
		return src[i]
	}
	return "(end)"
}

// TestUnifiedDiffReconstructs is a property test: for random pairs of
// texts, applying the diff to before gives after.
func TestUnifiedDiffReconstructs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"a", "b", "c", "vrrp", "}", "", "    auth_pass x", "d"}
	text := func() string {
		n := rng.IntN(25)
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString(words[rng.IntN(len(words))])
			if i < n-1 || rng.IntN(4) > 0 {
				b.WriteByte('\n')
			}
		}
		return b.String()
	}
	for i := 0; i < 2000; i++ {
		before := text()
		after := text()
		if i%3 == 0 { // small edits of the same text
			after = mutate(rng, before, words)
		}
		d := UnifiedDiff(before, after, "/f")
		got, err := patch(before, d)
		if err != nil || got != after {
			t.Fatalf("case %d: before %q after %q\ndiff:\n%s\npatched %q, %v", i, before, after, d, got, err)
		}
	}
}

func mutate(rng *rand.Rand, s string, words []string) string {
	l := strings.SplitAfter(s, "\n")
	for n := rng.IntN(3) + 1; n > 0; n-- {
		i := rng.IntN(len(l))
		switch rng.IntN(3) {
		case 0:
			l = append(l[:i], l[i+1:]...)
		case 1:
			l = append(l[:i], append([]string{words[rng.IntN(len(words))] + "\n"}, l[i:]...)...)
		default:
			l[i] = "changed\n"
		}
		if len(l) == 0 {
			l = []string{""}
		}
	}
	return strings.Join(l, "")
}
