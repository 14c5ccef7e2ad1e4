// Package engine runs clusterctl's operations against live hosts: it
// renders the desired state, opens one SSH connection per host (reused
// between plan and apply), gathers facts with one remote script per host
// in parallel, and builds plans. The apply steps live in package apply.
package engine
