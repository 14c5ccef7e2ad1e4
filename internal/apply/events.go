package apply

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// Event statuses.
const (
	StatusStart  = "start"
	StatusDone   = "done"
	StatusFailed = "failed"
	StatusInfo   = "info"
)

// Event is one progress report: a step of a host starting, ending or
// failing. Messages are masked before they reach a Reporter.
type Event struct {
	Host    string        `json:"host"`
	Step    string        `json:"step"`
	Status  string        `json:"status"`
	Count   int           `json:"count,omitempty"` // changes in the step
	Elapsed time.Duration `json:"elapsed_ns,omitempty"`
	Message string        `json:"message,omitempty"`
}

// Reporter receives progress events, possibly from several goroutines.
type Reporter interface {
	Report(Event)
}

// HumanReporter prints one line per finished step, prefixed with the host.
type HumanReporter struct {
	mu sync.Mutex
	W  io.Writer
}

// Report implements Reporter.
func (r *HumanReporter) Report(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch e.Status {
	case StatusStart:
		if e.Step == "apply" {
			fmt.Fprintf(r.W, "%s: applying (%s)\n", e.Host, e.Message)
		} else if e.Step == "gate" {
			fmt.Fprintf(r.W, "%s: waiting for keepalived and the VIPs to settle...\n", e.Host)
		}
	case StatusDone:
		switch e.Step {
		case "apply":
			fmt.Fprintf(r.W, "%s: done [%s]\n", e.Host, e.Elapsed.Round(time.Millisecond))
		case "gate":
			fmt.Fprintf(r.W, "%s: %s [%s]\n", e.Host, e.Message, e.Elapsed.Round(time.Millisecond))
		default:
			fmt.Fprintf(r.W, "%s: %s: %d change(s) [%s]\n", e.Host, e.Step, e.Count, e.Elapsed.Round(time.Millisecond))
		}
	case StatusFailed:
		fmt.Fprintf(r.W, "%s: %s FAILED [%s]: %s\n", e.Host, e.Step, e.Elapsed.Round(time.Millisecond), e.Message)
	case StatusInfo:
		fmt.Fprintf(r.W, "%s: %s: %s\n", e.Host, e.Step, e.Message)
	}
}

// JSONReporter streams events as JSON lines.
type JSONReporter struct {
	mu sync.Mutex
	W  io.Writer
}

// Report implements Reporter.
func (r *JSONReporter) Report(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, _ := json.Marshal(struct {
		Type string `json:"type"`
		Event
	}{"progress", e})
	r.W.Write(append(b, '\n'))
}
