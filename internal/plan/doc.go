// Package plan computes what must change on each host: Diff compares a
// host's desired state (from render) with its observed state (from facts)
// and returns typed changes in apply order, with the service reloads and
// restarts they cause; Build assembles a cluster plan in rollout order
// with per-host fingerprints and a configuration digest, so that apply can
// refuse a stale saved plan. The package is pure: no I/O, no clock.
package plan
