// Command bench measures clusterctl against the floor of a raw parallel
// OpenSSH fan-out and against Ansible, on local lab machines (network
// namespaces with real OpenSSH sshd; see internal/lab), and prints a
// markdown table.
//
// It owns the whole run: it generates an HCL configuration of N hosts,
// builds one lab with as many machines as the largest N, builds clusterctl,
// and then, per N and per iteration, runs every selected measurement in an
// order that rotates from one iteration to the next (so slow drift of the
// machine's load does not favour one side). Every client runs inside the
// lab's operator namespace; no packet leaves the lab. For each run it
// records wall time, the client's CPU time and peak RSS (rusage of the
// child), the CPU of the client's whole process tree (a cpuacct cgroup,
// which also catches daemonised ssh ControlPersist masters), the CPU the
// whole machine spent (from /proc/stat, so it includes the target sshds),
// and the SSH connections and sessions each machine's sshd logged.
//
// Usage (as root, from the module):
//
//	go run ./bench -n 1,10,50 -runs 3 -peers clusterctl,openssh,ansible
//
// The pure IPVS-at-scale benchmarks live in this package's tests:
//
//	go test ./bench -run XXX -bench . -benchmem
package main
