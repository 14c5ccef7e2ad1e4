// Package ipvs models IPVS virtual services and their destinations as typed,
// comparable values; it parses `ipvsadm-save -n` and `ipvsadm -L -n` output,
// writes ipvsadm-restore input, and computes the minimal edits that turn one
// table into another. It does no I/O.
package ipvs
