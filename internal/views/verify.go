package views

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/clusterctl/clusterctl/internal/verify"
)

// VerifyHuman prints each step of verify as it starts and ends:
//
//	RUN   VI_1: stop keepalived on web1 → VIPs move to web2
//	PASS  VI_1: stop keepalived on web1 → VIPs move to web2 (1.3s)
//	      VIP 192.168.19.100 moved web1 → web2 in 1.1s (bound 6.0s)
//
// and a verdict line from Finish.
type VerifyHuman struct {
	W io.Writer
}

// Begin implements verify.Reporter.
func (h *VerifyHuman) Begin(name string) {
	fmt.Fprintf(h.W, "RUN   %s\n", name)
}

// End implements verify.Reporter.
func (h *VerifyHuman) End(s verify.Step) {
	var b strings.Builder
	fmt.Fprintf(&b, "%-5s %s (%.1fs)\n", strings.ToUpper(string(s.Status)), s.Name, s.Duration.Seconds())
	for _, d := range s.Details {
		fmt.Fprintf(&b, "      %s\n", d)
	}
	io.WriteString(h.W, b.String())
}

// Finish prints the verdict of res.
func (h *VerifyHuman) Finish(res verify.Result) {
	verdict := "Verify passed"
	if res.Failed() {
		verdict = "Verify FAILED"
	}
	fmt.Fprintf(h.W, "\n%s: %d passed, %d failed, %d skipped in %.1fs.\n", verdict, res.Count(verify.Pass), res.Count(verify.Fail), res.Count(verify.Skip), res.Duration.Seconds())
}

// VerifyJSON prints one JSON object per line: one per finished step,
//
//	{"type":"step","name":"…","status":"pass|fail|skip","duration_seconds":1.3,"details":["…"]}
//
// and, from Finish, a summary:
//
//	{"type":"summary","result":"pass|fail","passed":4,"failed":0,"skipped":1,"duration_seconds":20.1}
//
// Begin prints nothing.
type VerifyJSON struct {
	W io.Writer
}

// jsonStep is a step line of VerifyJSON.
type jsonStep struct {
	Type     string        `json:"type"`
	Name     string        `json:"name"`
	Status   verify.Status `json:"status"`
	Duration float64       `json:"duration_seconds"`
	Details  []string      `json:"details"`
}

// jsonSummary is the summary line of VerifyJSON.
type jsonSummary struct {
	Type     string  `json:"type"`
	Result   string  `json:"result"`
	Passed   int     `json:"passed"`
	Failed   int     `json:"failed"`
	Skipped  int     `json:"skipped"`
	Duration float64 `json:"duration_seconds"`
}

// Begin implements verify.Reporter.
func (j *VerifyJSON) Begin(string) {}

// End implements verify.Reporter.
func (j *VerifyJSON) End(s verify.Step) {
	details := s.Details
	if details == nil {
		details = []string{}
	}
	j.write(jsonStep{Type: "step", Name: s.Name, Status: s.Status, Duration: round(s.Duration.Seconds()), Details: details})
}

// Finish prints the summary of res.
func (j *VerifyJSON) Finish(res verify.Result) {
	result := "pass"
	if res.Failed() {
		result = "fail"
	}
	j.write(jsonSummary{Type: "summary", Result: result, Passed: res.Count(verify.Pass), Failed: res.Count(verify.Fail), Skipped: res.Count(verify.Skip), Duration: round(res.Duration.Seconds())})
}

func (j *VerifyJSON) write(v any) {
	data, err := json.Marshal(v)
	if err != nil {
		return // the types above always marshal
	}
	_, _ = j.W.Write(append(data, '\n'))
}

// round keeps three decimals (milliseconds).
func round(s float64) float64 { return float64(int64(s*1000+0.5)) / 1000 }
