// Package kastate reads keepalived's own view of itself from the dumps a
// running keepalived writes when signalled (see keepalived(8), --signum):
//
//   - SIGFUNC=JSON: keepalived.json, an array with one object per VRRP
//     instance (its "data": state, wantstate, base and effective priority,
//     the master's priority, last transition; its "stats": adverts sent and
//     received, times it became and released master). Only builds with JSON
//     support write it (Debian's and RHEL's do).
//   - SIGFUNC=DATA: keepalived.data from the VRRP process (every instance
//     with its tracked interfaces and scripts, every vrrp_script with its
//     GOOD/BAD status, every interface with its UP/RUNNING flags) and
//     keepalived_check.data from the checker process (every virtual server
//     and real server with keepalived's alive flag and failed checkers).
//
// The files land in keepalived's temporary directory ($TMPDIR of the
// keepalived process, else /tmp in the Debian and RHEL builds). Their
// formats are keepalived's, written for people; this package parses the
// lines it needs, by keyword, and ignores the rest, so unknown lines of
// another version are harmless. Parsing is pure: the facts script
// (package facts) fetches the files.
//
// The dumps carry the VRRP password (JSON "auth_data", data "Password =");
// the facts script blanks both on the host, and this package never keeps
// them either.
package kastate
