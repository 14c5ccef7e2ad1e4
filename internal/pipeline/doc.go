// Package pipeline runs clusterctl's operations against a live cluster,
// each as a list of named phases that reads top to bottom:
//
//	plan:   gather → plan
//	apply:  check the saved plan → lock → gather → plan → freshness →
//	        show → confirm → rollout → converge (→ unlock, always)
//	status: gather → report
//	verify: the failover and traffic tests (package verify)
//	force-unlock: break the lock on every host
//
// A Cluster is one run's view of the cluster: the configuration rendered
// to each host's desired state, the rollout topology, the masker for its
// secrets, and one connection per host, opened on first use. The phases
// hand the packages they drive only the narrow interfaces those need
// (apply.Hosts, verify.Cluster). What is shown to the user goes through
// the UI interfaces, which package views implements; the CLI only parses
// flags and wires these together.
package pipeline
