package apply

import "time"

// Steps of an Event besides the per-kind steps of a host ("packages",
// "files", ...).
const (
	StepApply = "apply" // a host as a whole; Message is its role
	StepGate  = "gate"  // the wait after a director
	// StepWave is a wave of the director rollout (Host is empty; Count
	// is its steps).
	StepWave = "wave"
)

// Event statuses.
const (
	StatusStart  = "start"
	StatusDone   = "done"
	StatusFailed = "failed"
	StatusInfo   = "info"
)

// Event is one progress report: a step of a host starting, ending or
// failing, or a note about it. Messages are not masked: the output layer
// that prints them (package views) masks everything it prints.
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
