// Package status reports the live health of a cluster: who holds each
// virtual IP of each VRRP instance (and a split brain when two nodes do),
// the role each member plays as observed, the IPVS table with connection
// counts on every director, and the state of keepalived and the managed
// services on every host. BuildReport is a pure function of the
// configuration and the gathered facts; Collect gathers them through an
// engine.Session (one round trip per host); WriteHuman and WriteJSON are
// the two views of a Report.
package status
