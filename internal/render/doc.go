// Package render turns a validated cluster configuration into the desired
// state of every host: the packages, kernel modules, sysctls, addresses,
// routes, files, NAT rules, IPVS services and system services that the
// cluster's roles (VRRP member, director, real server per LVS mode) imply.
//
// Render is a pure function: it does no I/O, reads no clock and uses no
// randomness, so the same configuration always yields byte-identical files.
// File contents come from the text/templates embedded by package templates,
// executed with small view structs built here; all decisions are made in Go.
// Writing files to disk or to hosts is the job of the CLI and the applier.
package render
