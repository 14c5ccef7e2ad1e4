#!/usr/bin/env bash
# Installs the Debian packages clusterctl's local lab and its tests use:
# the real parts (OpenSSH, keepalived, nginx, iptables, ipvsadm) plus the
# tools the lab is built from, and what a RHEL-family lab machine is made
# of (rpm, rpmbuild, dnf, createrepo-c, firewalld; see internal/lab/flavour.go).
# Safe to run again. Needs root.
set -euo pipefail
pkgs=(openssh-server openssh-client keepalived nginx iptables iproute2 ipvsadm
      busybox procps curl kmod util-linux attr ca-certificates
      rpm dnf createrepo-c firewalld nftables)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Do not let the packages start their services on this machine: the lab
  # starts its own copies inside lab machines.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  log=$(mktemp)
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    exit 1
  fi
  rm -f "$log"
fi
