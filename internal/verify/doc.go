// Package verify runs the lab's failover tests against a live cluster and
// reports each step with its result and timing: the precondition (every
// VIP held by exactly one node, keepalived running on every member), a
// tracked service stopped on the MASTER and restarted by its health
// check, keepalived stopped on the MASTER (the VIPs move to the BACKUP)
// and started again (they return, or stay with nopreempt), and requests
// through every virtual service reaching every real server. Everything a
// step changes is put back by cleanups that run even when a step fails or
// the run is interrupted.
package verify
