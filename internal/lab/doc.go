// Package lab owns the local lab: machines made of Linux namespaces on one
// host, each running a real OpenSSH sshd, so clusterctl can be run end to end
// against them on a single Linux machine as root.
//
// A lab machine is a named network namespace ("<lab>-<machine>") plus its own
// mount, UTS, IPC and PID namespaces. Its root file system is an overlay whose
// lower layer is the host's root file system and whose upper layer is a
// per-machine directory under the lab's StateDir, so packages installed on the
// host (openssh-server, keepalived, nginx, ipvsadm, ...) exist in every
// machine while every write stays private to the machine. PID 1 is a small
// bash script that starts busybox syslogd (/var/log/messages), sshd
// (-E /var/log/sshd.log, a host key made by the lab, root login with the lab's
// client key only) and the services enabled in the machine, and reaps
// orphans. A systemctl stand-in (/usr/bin/systemctl inside the machine)
// starts, stops, reloads and enables keepalived, nginx and ssh by pid file and
// falls back to /etc/init.d scripts for other units. A new machine has no
// service enabled.
//
// A machine's Flavour chooses the userland it answers with. The default is
// the host's (Debian). "rocky9" and "centos7" are RHEL-family machines made
// from the same Debian binaries (flavour.go, scripts/el.sh): EL's
// os-release and redhat-release, an rpm database at /var/lib/rpm, dnf (or
// yum) with a file:// repository of RPMs the lab builds once from the
// host's packages and caches under RepoCacheDir, EL's /etc/sysconfig files
// and unit files, and dbus and firewalld running (default zone "trusted").
// apt, dpkg and the files of packages the machine has not installed
// (keepalived, nginx, ipvsadm) are hidden by overlay whiteouts, so that
// dnf or yum installs them. There is no SELinux, and the binaries are
// Debian's.
//
// Every distinct subnet of the machines' first interface addresses is one L2
// segment: a Linux bridge. All bridges live in a namespace of their own
// ("<lab>-br") and every veth is created from there, so nothing is added to
// the host's own network namespace. The operator namespace ("<lab>-op") is
// joined to every bridge with one address per subnet and has no default
// route: callers run ssh, curl and clusterctl through OperatorCommand, and lab
// traffic cannot leave the lab.
//
// Up refuses to start a lab whose namespaces or StateDir already exist
// (ErrExists); a half-failed Up removes everything it made. Down removes every
// process, namespace, bridge, mount and file of the lab, works on a partial
// lab and may be called repeatedly. The lab's record (StateDir/lab.json) lets
// Open, Status, Exec and Down work from another process than Up.
//
// Limits, because the machines share the host's kernel:
//   - IPVS exists only if the host kernel has ip_vs. Where it does not
//     (/proc/net/ip_vs missing), ipvsadm fails inside the machines and
//     keepalived 2.2.7 exits entirely when its configuration has a
//     virtual_server block; the systemctl stand-in then starts keepalived
//     with -P (VRRP only) and logs a line saying so to /var/log/messages. LVS
//     end to end needs a kernel with ip_vs (the VM lane).
//   - Only net.* sysctls are per machine; kernel.* and vm.* are global and a
//     lab machine must never change them.
//   - There is no systemd: only what the stand-in knows works (start, stop,
//     restart, reload, try-restart, reload-or-restart, is-active, is-enabled,
//     enable [--now], disable [--now], status, show, daemon-reload).
//   - Machines share the host's kernel modules, time, cgroups and users; the
//     host's files show through the overlay except /root (seeded from
//     /etc/skel), /etc/systemd/system/multi-user.target.wants (empty) and the
//     lab's StateDir (hidden).
package lab
