// Command bench measures clusterctl against its floor (a raw parallel
// OpenSSH fan-out of the same facts script) and against an Ansible
// playbook making the same change, on local lab machines (network
// namespaces with real OpenSSH sshd and keepalived; see internal/lab),
// and prints a markdown report.
//
// It owns the whole run: it builds one lab with as many machines as the
// largest -n, builds clusterctl, and then, per host count and cluster
// shape (pairs: keepalived pairs, one VRRP instance each; rs: LVS-DR real
// servers; files: plain hosts), generates the HCL configurations and the
// Ansible inventory, and per iteration runs every selected client's
// sequence from blank hosts: first apply, plan of a change, change apply,
// no-op apply (Ansible: the playbook, --check --diff, the playbook, the
// playbook). The order of the clients rotates from one iteration to the
// next, so slow drift of the machine's load favours no one. Every client
// runs inside the lab's operator namespace; no packet leaves the lab.
//
// For each run it records wall time, the client's CPU time and peak RSS
// (rusage), the CPU of the client's whole process tree (a cpuacct cgroup,
// which also catches daemonised ssh ControlPersist masters), the CPU the
// whole machine spent (/proc/stat), the CPU the targets' sshds spent
// serving the run, the SSH connections and sessions each machine's sshd
// logged, and for clusterctl apply the rollout's waves and gate time (from
// --json). Beside every wall time it prints the physical floor of the run
// on this machine: the targets' CPU spread over the machine's cores plus
// the waits keepalived's own timing imposes. Every run is checked: a plan
// must show changes, an apply must end ok, an Ansible run must change
// every host (or none, for the no-op) and fail none.
//
// Usage (as root, from the module; see docs/benchmarks.md):
//
//	go run ./bench -n 50 -runs 3
//	go run ./bench -n 50,200,500 -runs 1 -shapes pairs -peers clusterctl -profile /tmp/prof
//
// The pure benchmarks live in this package's tests:
//
//	go test ./bench -run XXX -bench . -benchmem
package main
