// Package apply executes a plan on live hosts in a safe order: real
// servers first, then BACKUP directors one at a time, then the MASTER,
// with a gate after each director (keepalived running, every VIP held by
// exactly one node). On each host it applies packages, modules, sysctls,
// addresses and routes, files (uploaded to a temporary file, validated on
// the host, renamed into place, the old one kept), iptables, minimal IPVS
// edits and services, then records what it manages in the manifest. It
// also takes and releases the per-host apply lock.
package apply
