// Package netfilter reads `iptables-save` output into tables, chains and
// rules, and writes `iptables-restore --noflush` input that replaces the
// one chain clusterctl owns (resource.NATChain) without touching any other
// chain. It does no I/O.
package netfilter
