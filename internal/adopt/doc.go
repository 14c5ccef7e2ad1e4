// Package adopt turns a hand-built keepalived/LVS cluster into clusterctl
// configuration: what was read from each host (Host: its keepalived.conf
// with includes, the scripts it runs, addresses, the IPVS table,
// services), reconciled across hosts into one cluster model and written
// as HCL with hclwrite, formatted as `clusterctl fmt` writes it (Build),
// with a report of everything that could not be expressed or on which
// the hosts disagree (Finding). Check proves the result: the rendered
// keepalived.conf of every host must be the same configuration
// (keepalived.Same) as the one it runs, and every adopted script the same
// bytes and mode. Reading hosts lives in read.go (live, one remote script
// per host) and dir.go (a directory of copies); the rest is pure.
package adopt
