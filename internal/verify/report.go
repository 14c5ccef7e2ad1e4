package verify

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/clusterctl/clusterctl/internal/secret"
)

// HumanReporter prints each step as it starts and ends:
//
//	RUN   VI_1: stop keepalived on web1 → VIPs move to web2
//	PASS  VI_1: stop keepalived on web1 → VIPs move to web2 (1.3s)
//	      VIP 192.168.19.100 moved web1 → web2 in 1.1s (bound 6.0s)
//
// and a verdict line from Finish. Every line goes through Masker.
type HumanReporter struct {
	W      io.Writer
	Masker secret.Masker
}

// Begin implements Reporter.
func (h *HumanReporter) Begin(name string) {
	fmt.Fprint(h.W, h.Masker.String(fmt.Sprintf("RUN   %s\n", name)))
}

// End implements Reporter.
func (h *HumanReporter) End(s Step) {
	var b strings.Builder
	fmt.Fprintf(&b, "%-5s %s (%s)\n", strings.ToUpper(string(s.Status)), s.Name, secs(s.Duration))
	for _, d := range s.Details {
		fmt.Fprintf(&b, "      %s\n", d)
	}
	fmt.Fprint(h.W, h.Masker.String(b.String()))
}

// Finish prints the verdict of res.
func (h *HumanReporter) Finish(res Result) {
	verdict := "Verify passed"
	if res.Failed() {
		verdict = "Verify FAILED"
	}
	fmt.Fprintf(h.W, "\n%s: %d passed, %d failed, %d skipped in %s.\n", verdict, res.Count(Pass), res.Count(Fail), res.Count(Skip), secs(res.Duration))
}

// JSONReporter prints one JSON object per line: one per finished step,
//
//	{"type":"step","name":"…","status":"pass|fail|skip","duration_seconds":1.3,"details":["…"]}
//
// and, from Finish, a summary:
//
//	{"type":"summary","result":"pass|fail","passed":4,"failed":0,"skipped":1,"duration_seconds":20.1}
//
// Begin prints nothing. Every string goes through Masker.
type JSONReporter struct {
	W      io.Writer
	Masker secret.Masker
}

// jsonStep is a step line of JSONReporter.
type jsonStep struct {
	Type     string   `json:"type"`
	Name     string   `json:"name"`
	Status   Status   `json:"status"`
	Duration float64  `json:"duration_seconds"`
	Details  []string `json:"details"`
}

// jsonSummary is the summary line of JSONReporter.
type jsonSummary struct {
	Type     string  `json:"type"`
	Result   string  `json:"result"`
	Passed   int     `json:"passed"`
	Failed   int     `json:"failed"`
	Skipped  int     `json:"skipped"`
	Duration float64 `json:"duration_seconds"`
}

// Begin implements Reporter.
func (j *JSONReporter) Begin(string) {}

// End implements Reporter.
func (j *JSONReporter) End(s Step) {
	details := make([]string, len(s.Details))
	for i, d := range s.Details {
		details[i] = j.Masker.String(d)
	}
	j.write(jsonStep{Type: "step", Name: j.Masker.String(s.Name), Status: s.Status, Duration: round(s.Duration.Seconds()), Details: details})
}

// Finish prints the summary of res.
func (j *JSONReporter) Finish(res Result) {
	result := "pass"
	if res.Failed() {
		result = "fail"
	}
	j.write(jsonSummary{Type: "summary", Result: result, Passed: res.Count(Pass), Failed: res.Count(Fail), Skipped: res.Count(Skip), Duration: round(res.Duration.Seconds())})
}

func (j *JSONReporter) write(v any) {
	data, err := json.Marshal(v)
	if err != nil {
		return // the types above always marshal
	}
	_, _ = j.W.Write(append(data, '\n'))
}

// round keeps three decimals (milliseconds).
func round(s float64) float64 { return float64(int64(s*1000+0.5)) / 1000 }
