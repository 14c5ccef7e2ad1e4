#!/usr/bin/env bash
# Builds the VM lane's base initramfs: an uncompressed newc cpio holding a
# small Debian userland copied from THIS host (the programs the local lab and
# clusterctl's remote commands run, with every library ldd names), busybox,
# and the kernel modules of the extracted Debian kernel that LVS, the lab and
# iptables (nf_tables backend) need, with their dependency closure.
#
#   build-base.sh KERNEL_ROOT KERNEL_RELEASE OUT.cpio
#
# KERNEL_ROOT is a `dpkg-deb -x` of linux-image-KERNEL_RELEASE. Nothing of
# the test logic lives here: /init, the scenario driver and clusterctl come in
# a second cpio concatenated after this one (run.sh), so editing them never
# rebuilds the base. run.sh caches OUT by the kernel package version, this
# script's hash and the versions of the host packages copied (see
# base_packages below).
set -euo pipefail

# Whole packages copied (documentation and translations left out). Files that
# packages create at install time (/etc/pam.d/common-*, alternatives, nginx's
# default page) are copied below by path.
base_packages=(
	bash dash coreutils grep sed mawk findutils util-linux mount bsdutils
	iproute2 ipvsadm iptables keepalived
	openssh-server openssh-client openssh-sftp-server
	curl nginx nginx-common procps kmod dpkg
	libpam-modules libpam-modules-bin libpam-runtime
	netbase debianutils libc-bin hostname diffutils gzip tar psmisc base-files sysvinit-utils
)
if [ "${1:-}" = --packages ]; then
	printf '%s\n' "${base_packages[@]}"
	exit 0
fi
kroot=$1 krel=$2 out=$3

# Kernel modules wanted (globs over module names); their dependencies are
# added by modprobe --show-depends.
module_globs=(
	'ip_vs*' ipip tunnel4 ip_tunnel veth bridge overlay dummy
	'nf_*' 'nft_*' 'xt_*' 'ipt_*' 'iptable_*' 'ip6t_*' 'ip6table_*' 'nf_tables'
	crc32c_generic libcrc32c inet_diag tcp_diag
)

root=$(mktemp -d /tmp/clusterctl-vm-root.XXXXXX)
trap 'rm -rf "$root"' EXIT
list=$root.list
trap 'rm -rf "$root" "$list" "$list".*' EXIT

# canon rewrites paths on stdin to where they really live on this host with
# merged /usr (/bin/bash -> /usr/bin/bash), so every file lands at one path.
usr_merge=""
for d in bin sbin lib lib64; do
	[ "$(readlink "/$d")" != "usr/$d" ] || usr_merge+="s#^/$d(/|\$)#/usr/$d\\1#;"
done
canon() { sed -E "$usr_merge"; }

# 1. Package files (directories included, so modes are kept).
for p in "${base_packages[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		{ echo "build-base: host package $p is not installed" >&2; exit 1; }
	dpkg -L "$p"
done | grep -vE '^/usr/share/(doc|doc-base|man|locale|info|lintian|bash-completion|zsh|bug|menu)(/|$)' |
	grep -vE '^/etc/ssh/ssh_host_' | grep -vxE '/\.|/' >"$list.pkg"

# 2. Files made at install time, configuration trees and state.
for p in /etc/pam.d /etc/security /etc/nginx /etc/keepalived /etc/default \
	/etc/ssh /etc/skel /etc/ld.so.conf /etc/ld.so.conf.d /etc/ld.so.cache /etc/nsswitch.conf \
	/etc/environment /etc/login.defs /etc/os-release /etc/protocols /etc/services /etc/ethertypes \
	/etc/iproute2 /etc/host.conf /etc/shells /etc/bash.bashrc /etc/profile /etc/profile.d \
	/usr/share/nginx /var/www /var/lib/nginx /var/log/nginx /usr/lib/nginx \
	/usr/lib/x86_64-linux-gnu/xtables /var/lib/dpkg/status /var/lib/dpkg/arch /usr/share/iproute2; do
	[ -e "$p" ] || [ -L "$p" ] || continue
	if [ -d "$p" ] && [ ! -L "$p" ]; then find "$p" ! -name 'ssh_host_*'; else echo "$p"; fi
done >>"$list.pkg"

# Only the alternatives the lab uses (iptables-nft, awk); the others point at
# big programs (editors, compilers) that have no business in the VM.
find /etc/alternatives -regextype posix-extended -regex '.*/(ip6?tables|arptables|ebtables|awk|nawk)(-.*)?$' >>"$list.pkg"
ls -d /bin/sh /usr/sbin/ip6tables* /usr/sbin/iptables* /usr/sbin/arptables* /usr/sbin/ebtables* /usr/bin/awk /usr/bin/nawk 2>/dev/null >>"$list.pkg"

# 3. busybox (static or dynamic; syslogd for the lab machines, poweroff).
command -v busybox >"$list.bb"
readlink -f "$(command -v busybox)" >>"$list.bb"

# Canonicalise, keep what exists, add the targets of symlinks (alternatives,
# library names), sort.
cat "$list.pkg" "$list.bb" | grep '^/' | canon | sort -u | while IFS= read -r f; do
	if [ -e "$f" ] || [ -L "$f" ]; then echo "$f"; fi
done >"$list.exist"
# shellcheck disable=SC2094 # list.exist is only read here
while IFS= read -r f; do if [ -L "$f" ]; then echo "$f"; fi; done <"$list.exist" |
	{ xargs -d '\n' -r readlink -e || true; } | canon | sort -u | cat - "$list.exist" | sort -u >"$list.files"

# 4. Libraries: ldd of every ELF file copied (programs, PAM modules, xtables
# extensions), transitively complete because ldd is.
elf=$'\177ELF'
while IFS= read -r f; do
	if [ ! -f "$f" ] || [ -L "$f" ]; then continue; fi
	h=""
	LC_ALL=C IFS= read -r -n 4 -d '' h <"$f" 2>/dev/null || true
	if [ "$h" = "$elf" ]; then echo "$f"; fi
done <"$list.files" >"$list.elf"
{ xargs -d '\n' -r ldd <"$list.elf" 2>/dev/null || true; } |
	awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $2 ~ /^\(/ { print $1 }' | canon | sort -u >"$list.ldd"
{ xargs -d '\n' -r readlink -e <"$list.ldd" || true; } | canon | sort -u | cat - "$list.ldd" >"$list.libs"

sort -u "$list.files" "$list.libs" | sed 's|^/||' >"$list.all"

# 5. The tree: merged-/usr links first, then every listed path.
mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib,usr/lib64,proc,sys,dev,run,tmp,root,home,mnt,var/tmp,var/log,var/lib,etc}
for d in bin sbin lib lib64; do
	if [ "$(readlink "/$d")" = "usr/$d" ]; then ln -s "usr/$d" "$root/$d"; else mkdir -p "$root/$d"; fi
done
ln -s /run "$root/var/run"
ln -s /run/lock "$root/var/lock"
chmod 1777 "$root/tmp" "$root/var/tmp"
chmod 0700 "$root/root"
tar -C / --no-recursion -cf - -T "$list.all" | tar -C "$root" -xpf -

# Accounts: this host's users and groups, no passwords at all.
cp /etc/passwd /etc/group "$root/etc/"
awk -F: -v OFS=: '{ $2 = "*"; print }' /etc/shadow >"$root/etc/shadow"
awk -F: -v OFS=: '{ $2 = "*"; print }' /etc/gshadow >"$root/etc/gshadow" 2>/dev/null || true
chmod 0640 "$root/etc/shadow" "$root/etc/gshadow"
chgrp shadow "$root/etc/shadow" "$root/etc/gshadow" 2>/dev/null || true
printf '127.0.0.1\tlocalhost\n' >"$root/etc/hosts"
: >"$root/etc/resolv.conf"
echo clusterctl-vm >"$root/etc/hostname"
cp -a /etc/skel/. "$root/root/"
mkdir -p "$root/run/sshd" "$root/var/lib/dpkg/info" "$root/etc/systemd/system/multi-user.target.wants"

# 6. Kernel modules and their closure, plus modules.dep for this subset.
depmod -b "$kroot" "$krel"
mdir=$kroot/lib/modules/$krel
find "$mdir/kernel" -name '*.ko*' -printf '%f\n' | sed 's/\.ko.*$//' | sort -u >"$list.mods"
want=()
while IFS= read -r m; do
	for g in "${module_globs[@]}"; do
		# shellcheck disable=SC2053
		if [[ $m == $g ]]; then want+=("$m"); break; fi
	done
done <"$list.mods"
for m in "${want[@]}"; do
	modprobe -d "$kroot" -S "$krel" --show-depends "$m" 2>/dev/null || true
done | awk '$1 == "insmod" { print $2 }' | sort -u | while IFS= read -r ko; do
	rel=${ko#"$kroot"/}
	mkdir -p "$root/usr/$(dirname "$rel")"
	cp "$ko" "$root/usr/$rel"
done
cp "$mdir"/modules.order "$mdir"/modules.builtin* "$root/usr/lib/modules/$krel/"
depmod -b "$root" "$krel"

nmods=$(find "$root/usr/lib/modules/$krel" -name '*.ko*' | wc -l)
[ "$nmods" -gt 20 ] || { echo "build-base: only $nmods modules collected" >&2; exit 1; }
for f in usr/bin/bash usr/sbin/ipvsadm usr/sbin/keepalived usr/sbin/sshd usr/sbin/nginx usr/bin/curl; do
	[ -x "$root/$f" ] || { echo "build-base: /$f is missing" >&2; exit 1; }
done

# 7. The archive (uncompressed: boots faster under emulation).
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
echo "build-base: $(wc -l <"$list.all") files, $nmods modules, $(($(stat -c %s "$out") / 1048576)) MB" >&2
