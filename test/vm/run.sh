#!/usr/bin/env bash
# The VM lane: proves every LVS mode end to end on a real IPVS kernel.
#
# Boots Debian's own cloud kernel (which has ip_vs) under qemu with software
# emulation, with NO network device, and runs the local lab and a freshly
# built clusterctl inside it (guest/driver.sh holds the scenarios). Prints a
# table (scenario, result, seconds, proof) and exits non-zero when a scenario
# fails, the guest crashes or the time runs out. See test/vm/README.md.
#
#   test/vm/run.sh [--scenarios nat,dr,tun,fullnat,ha-lvs,drain,sync,checkers,firewall,ipvs-live|batch]
#                  [--timeout SECS] [--cache DIR] [--rebuild] [--verbose]
#
# The guest timeout defaults to 240 s per scenario (at least 480 s), plus
# 120 s each for drain and sync and 900 s for ipvs-live (IPVS changes under
# live traffic) when they are asked for.
#
# Needs root on Debian 12 (x86_64) with apt sources and Go; installs
# qemu-system-x86, kmod, cpio and the lab's packages when missing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${CLUSTERCTL_VM_CACHE:-/var/cache/clusterctl-vm}
scenarios=${CLUSTERCTL_VM_SCENARIOS:-nat,dr,tun,fullnat,ha-lvs,drain,sync,checkers,firewall,ipvs-live}
timeout=${CLUSTERCTL_VM_TIMEOUT:-}
rebuild=0 verbose=0

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case $1 in
	--scenarios) scenarios=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--cache) cache=$2; shift ;;
	--rebuild) rebuild=1 ;;
	--verbose | -v) verbose=1 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
[[ $scenarios =~ ^[a-z0-9,-]+$ ]] || { echo "run.sh: bad --scenarios" >&2; exit 2; }
if [ -z "$timeout" ]; then
	# A scenario takes 80-260 s emulated on a loaded 2-core machine (tun
	# 187 s, fullnat 129 s, ha-lvs 261 s with other tests running beside
	# it); the five together overran a fixed 540 s there. 240 s each, and
	# never less than 480 s, so that ha-lvs retried alone has room.
	n=$(tr ',' '\n' <<<"$scenarios" | grep -cv '^ipvs-live$' || true)
	timeout=$((240 * n > 480 ? 240 * n : 480))
	# ipvs-live applies seven changes under traffic: 520 s at load 10
	# (the first whole run), over 20 min on a host starved of CPU.
	[[ ,$scenarios, != *,ipvs-live,* ]] || timeout=$((timeout + 900))
	# drain waits for IPVS to forget the drained connections (its
	# FIN_WAIT/TIME_WAIT timeouts, 2 min each) on top of four clusterctl
	# runs: 120 s more.
	[[ ,$scenarios, != *,drain,* ]] || timeout=$((timeout + 120))
	# sync builds two labs (with and without the sync daemon).
	[[ ,$scenarios, != *,sync,* ]] || timeout=$((timeout + 120))
fi
[[ $timeout =~ ^[0-9]+$ ]] || { echo "run.sh: bad --timeout" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "run.sh: needs root (apt, cpio ownership)" >&2; exit 2; }
[ "$(uname -m)" = x86_64 ] || { echo "run.sh: x86_64 only" >&2; exit 2; }
export PATH=$PATH:/usr/local/go/bin:/usr/sbin:/sbin
t_start=$SECONDS
say() { echo "== vm: $*"; }

# 1. Host packages.
apt_updated=0
apt_install() {
	export DEBIAN_FRONTEND=noninteractive
	local stop=""
	# Packages must not start their services on this machine.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		stop=1
	fi
	say "installing $*"
	if ! apt-get install -y -qq --no-install-recommends "$@" >/dev/null; then
		apt-get update -qq
		apt_updated=1
		apt-get install -y -qq --no-install-recommends "$@" >/dev/null
	fi
	[ -z "$stop" ] || rm -f /usr/sbin/policy-rc.d
}
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v depmod >/dev/null && command -v modprobe >/dev/null || need+=(kmod)
command -v cpio >/dev/null || need+=(cpio)
command -v busybox >/dev/null || need+=(busybox)
command -v openssl >/dev/null || need+=(openssl)
for p in $("$here/build-base.sh" --packages); do installed "$p" || need+=("$p"); done
((${#need[@]} == 0)) || apt_install "${need[@]}"
command -v go >/dev/null || { echo "run.sh: Go is not installed" >&2; exit 2; }

# 2. The kernel: the newest linux-image-*-cloud-amd64, extracted, never installed.
kpkg=${CLUSTERCTL_VM_KERNEL_PKG:-}
kernel_pkg() { apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }'; }
if [ -z "$kpkg" ]; then
	kpkg=$(kernel_pkg)
	if [ -z "$kpkg" ] && [ $apt_updated = 0 ]; then
		apt-get update -qq
		apt_updated=1
		kpkg=$(kernel_pkg)
	fi
fi
[ -n "$kpkg" ] || { echo "run.sh: cannot find linux-image-*-cloud-amd64 in the apt sources" >&2; exit 1; }
krel=${kpkg#linux-image-}
kver=$(apt-cache show --no-all-versions "$kpkg" 2>/dev/null | awk '$1 == "Version:" { print $2; exit }')
[ -n "$kver" ] || kver=unknown
kdir=$cache/kernel/$kpkg-$kver
mkdir -p "$cache/kernel"
if [ ! -f "$kdir/boot/vmlinuz-$krel" ]; then
	say "downloading $kpkg $kver"
	dl=$(mktemp -d "$cache/kernel/dl.XXXXXX")
	chown _apt "$dl" 2>/dev/null || true
	(cd "$dl" && apt-get download -qq "$kpkg" 2>/dev/null) ||
		{ apt-get update -qq && (cd "$dl" && apt-get download -qq "$kpkg"); }
	rm -rf "$kdir.tmp"
	dpkg-deb -x "$dl"/*.deb "$kdir.tmp"
	rm -rf "$dl" "$kdir"
	mv "$kdir.tmp" "$kdir"
fi

# 3. The base image, cached by kernel package version, the builder's hash and
# the versions of the host packages it copies.
key=$( {
	echo "$kpkg $kver"
	sha256sum <"$here/build-base.sh"
	# shellcheck disable=SC2046 # one package name per word
	dpkg-query -W $("$here/build-base.sh" --packages) busybox busybox-static 2>/dev/null || true
} | sha256sum | cut -c1-12)
base=$cache/base-$krel-$key.cpio
if [ $rebuild = 1 ] || [ ! -f "$base" ]; then
	say "building the base image ($base)"
	t=$SECONDS
	rm -f "$cache"/base-*.cpio
	"$here/build-base.sh" "$kdir" "$krel" "$base"
	say "base image built in $((SECONDS - t)) s"
else
	say "base image cached: $base"
fi

# 4. The small second archive: this checkout's clusterctl, init, driver and
# examples. Concatenated after the base, its files override the base's.
work=$(mktemp -d /tmp/clusterctl-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT
extra=$work/extra
mkdir -p "$extra/usr/local/bin" "$extra/vm"
say "building clusterctl (static)"
(cd "$repo" && CGO_ENABLED=0 go build -trimpath -o "$extra/usr/local/bin/clusterctl" ./cmd/clusterctl)
install -m 0755 "$here/guest/init" "$extra/init"
install -m 0755 "$here/guest/driver.sh" "$extra/vm/driver.sh"
cp -r "$repo/examples/lab-19.x" "$extra/vm/examples"
cp -r "$repo/examples/features" "$extra/vm/features"
# The checkers scenario's test services and the TLS certificate of its
# SSL_GET check (made here: the VM has no openssl).
(cd "$repo" && CGO_ENABLED=0 go build -trimpath -o "$extra/usr/local/bin/checksrv" ./test/vm/checksrv)
mkdir -p "$extra/vm/tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=rs1 \
	-keyout "$extra/vm/tls/rs1.key" -out "$extra/vm/tls/rs1.crt" 2>/dev/null
(cd "$extra" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$work/extra.cpio"
cat "$base" "$work/extra.cpio" >"$work/initrd.cpio"

# 5. Boot. No network device: everything happens in the guest's namespaces.
mkdir -p "$cache/logs"
serial=$cache/logs/serial-$(date +%Y%m%d-%H%M%S).log
ln -sfn "$serial" "$cache/logs/latest.log"
say "booting $krel (tcg, timeout ${timeout}s, scenarios ${scenarios//,/ }); serial log: $serial"
t_boot=$SECONDS
set +e
# console copies the console to the log, shows progress (everything with -v)
# and notes the host's own seconds per scenario (the guest's clock drifts
# when the host is starved).
console() {
	local line start=$SECONDS name
	while IFS= read -r line; do
		line=${line%$'\r'}
		printf '%s\n' "$line" >>"$serial"
		case $line in
		'[vm '*'] === scenario '*) start=$SECONDS ;;
		CLUSTERCTL-VM-RESULT\ *)
			name=${line#CLUSTERCTL-VM-RESULT }
			echo "${name%% *} $((SECONDS - start))" >>"$work/host-seconds"
			;;
		esac
		if [ $verbose = 1 ]; then
			printf '%s\n' "$line"
		else
			case $line in '[vm '* | CLUSTERCTL-VM-* | clusterctl-vm:*) printf '%s\n' "$line" ;; esac
		fi
	done
}
: >"$serial"
: >"$work/host-seconds"
timeout --foreground -k 5 "$timeout" qemu-system-x86_64 -accel tcg -cpu max -smp 1 -m 1024 \
	-nographic -no-reboot -nic none -nodefaults -serial stdio \
	-kernel "$kdir/boot/vmlinuz-$krel" -initrd "$work/initrd.cpio" \
	-append "console=ttyS0 panic=-1 quiet clusterctl.scenarios=$scenarios" </dev/null 2>&1 | console
rc=${PIPESTATUS[0]}
set -e
boot_secs=$((SECONDS - t_boot))

# 6. The verdict.
echo
printf '%-9s %-6s %5s %5s  %s\n' SCENARIO RESULT HOST GUEST PROOF
failed=0 seen=0 failed_names=()
while read -r _ name result secs proof; do
	host=$(awk -v n="$name" '$1 == n { print $2 }' "$work/host-seconds")
	printf '%-9s %-6s %5s %5s  %s\n' "$name" "$result" "${host:--}" "${secs%.*}" "$proof"
	seen=$((seen + 1))
	[ "$result" = PASS ] || { failed=$((failed + 1)); failed_names+=("$name"); }
done < <(grep -E '^CLUSTERCTL-VM-RESULT ' "$serial" || true)
for s in ${scenarios//,/ }; do
	grep -qE "^CLUSTERCTL-VM-RESULT $s " "$serial" || {
		printf '%-9s %-6s %5s %5s  %s\n' "$s" MISSING - - "no result (guest timed out or crashed)"
		failed=$((failed + 1))
		failed_names+=("$s")
	}
done
if ((${#failed_names[@]})); then
	(IFS=,; echo "CLUSTERCTL-VM-FAILED ${failed_names[*]}")
fi
# Tables some scenarios print (ipvs-live: one row per change).
if grep -qE '^CLUSTERCTL-VM-TABLE ' "$serial"; then
	echo
	sed -n 's/^CLUSTERCTL-VM-TABLE //p' "$serial"
fi
echo
if ! grep -qE '^CLUSTERCTL-VM-DONE ' "$serial"; then
	say "the guest did not finish (qemu status $rc, ${boot_secs}s); see $serial"
	failed=$((failed + 1))
fi
say "$seen scenarios run, $failed failed; VM ${boot_secs}s, total $((SECONDS - t_start))s; serial log $serial"
[ $failed = 0 ]
