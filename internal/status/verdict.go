package status

import "fmt"

// Verdict is the overall judgement of a cluster's health.
type Verdict string

// Verdicts, from best to worst. Each has its own exit status
// (Verdict.ExitCode), so scripts can tell them apart.
const (
	// Healthy: every instance has exactly one MASTER holding its VIPs,
	// every other member is BACKUP, every tracked script and interface
	// is good, every configured real server is in its directors' tables
	// and alive, every managed service runs. Nothing at all to report.
	Healthy Verdict = "healthy"
	// Degraded: still serving, but redundancy is lost or something needs
	// a look: a member in FAULT, STOP, INIT or unreachable; a tracked
	// script failing; a VIP away from its expected master; a real server
	// down while others serve; keepalived not answering its dump signal.
	Degraded Verdict = "degraded"
	// Broken: not serving, or not safely: a VIP that no member holds (or
	// none that can be reached), a split brain (two MASTERs, or a VIP on
	// two members), a MASTER without its VIPs, a virtual service missing
	// from every director or with no real server left.
	Broken Verdict = "broken"
)

// Exit statuses of `clusterctl status`; 1 stays "the command failed".
const (
	ExitHealthy  = 0
	ExitDegraded = 2
	ExitBroken   = 3
)

// ExitCode is the verdict's exit status.
func (v Verdict) ExitCode() int {
	switch v {
	case Healthy:
		return ExitHealthy
	case Degraded:
		return ExitDegraded
	}
	return ExitBroken
}

// worse reports whether v is worse than w.
func (v Verdict) worse(w Verdict) bool { return v.rank() > w.rank() }

func (v Verdict) rank() int {
	switch v {
	case Healthy:
		return 0
	case Degraded:
		return 1
	}
	return 2
}

// Finding is one thing that keeps the cluster from being healthy.
type Finding struct {
	// Severity is Degraded or Broken.
	Severity Verdict `json:"severity"`
	// Subject is the VRRP instance, virtual server or host it is about.
	Subject string `json:"subject"`
	Message string `json:"message"`
}

func (f Finding) String() string { return fmt.Sprintf("%s: %s", f.Subject, f.Message) }
