#!/bin/bash
# RHEL-family userland for clusterctl lab machines, built from Debian's
# packages. Two commands:
#
#   el.sh repo DIR
#       Builds, into DIR (which must not exist), one yum/dnf repository per
#       EL release (DIR/el9, DIR/el7) with RPMs made from the binaries this
#       host's Debian packages installed: keepalived, nginx (epoch 1, as
#       EL's), ipvsadm (with EL's ipvsadm.service and /etc/sysconfig
#       files), iptables (EL9: iptables-nft, which provides iptables),
#       firewalld, bash (which provides /bin/sh for scriptlets) and the
#       release package (rocky-release / centos-release).
#       The RPMs carry EL's paths and unit files; their binaries are
#       Debian's. No signatures (gpgcheck=0).
#
#   el.sh layer FLAVOUR REPO OUT
#       Writes, into OUT, the files a machine of FLAVOUR (rocky9, centos7)
#       gets on top of the host's root: an rpm database at /var/lib/rpm in
#       which the release package, iptables and firewalld are installed,
#       rpm's and dnf's configuration with REPO (a directory made by
#       "repo") as the only repository, and overlay whiteouts that hide
#       Debian's package tools (apt, dpkg) and the files of the packages
#       the machine does not have yet (keepalived, nginx, ipvsadm), so that
#       dnf or yum really installs them. The paths to hide are printed on
#       stdout, one per line; the lab makes the whiteouts.
set -euo pipefail
export LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

die() {
	echo "el.sh: $*" >&2
	exit 1
}

# upstream VERSION: the upstream part of a Debian version (no epoch, no
# revision).
upstream() {
	local v=${1#*:}
	echo "${v%-*}"
}

debver() { dpkg-query -W -f '${Version}' "$1"; }

# spec NAME EPOCH VERSION RELEASE SUMMARY PROVIDES SCRIPT_PRE: prints a
# spec whose %install copies $STAGE/NAME into the buildroot; %files lists
# every file and directory of the stage.
spec() {
	local name=$1 epoch=$2 version=$3 release=$4 summary=$5 provides=$6 pre=$7
	echo "Name: $name"
	[ -z "$epoch" ] || echo "Epoch: $epoch"
	echo "Version: $version"
	echo "Release: $release"
	echo "Summary: $summary"
	echo "License: see Debian's package"
	echo "BuildArch: x86_64"
	echo "AutoReqProv: no"
	for p in $provides; do echo "Provides: ${p//+/ }"; done
	echo "%description"
	echo "$summary. clusterctl lab package: Debian's binaries, EL's paths."
	if [ -n "$pre" ]; then
		echo "%pre"
		echo "$pre"
	fi
	echo "%install"
	echo "cp -a $STAGE/$name/. %{buildroot}/"
	echo "%files"
	(cd "$STAGE/$name" && find . -mindepth 1 \( -type d -printf '%%dir /%P\n' \) -o -printf '/%P\n' | sort) |
		grep -Ev '^%dir /(etc|usr|usr/sbin|usr/bin|usr/lib|usr/lib/systemd|usr/lib/systemd/system|usr/share|var|var/lib|var/log|etc/sysconfig|usr/lib/x86_64-linux-gnu)$'
}

# put PKG SRC [DST]: copies host file SRC into the stage of PKG at DST
# (default SRC).
put() {
	local pkg=$1 src=$2 dst=${3:-$2}
	mkdir -p "$STAGE/$pkg$(dirname "$dst")"
	cp -a "$src" "$STAGE/$pkg$dst"
}

# text PKG DST MODE: writes stdin to DST in the stage of PKG.
text() {
	mkdir -p "$STAGE/$1$(dirname "$2")"
	cat >"$STAGE/$1$2"
	chmod "$3" "$STAGE/$1$2"
}

stage_keepalived() {
	put keepalived /usr/sbin/keepalived
	put keepalived /usr/bin/genhash
	mkdir -p "$STAGE/keepalived/etc/keepalived"
	text keepalived /etc/sysconfig/keepalived 0644 <<'EOF'
# Options for keepalived. See `keepalived --help' output and keepalived(8) and
# keepalived.conf(5) man pages for a list of all options. Here are the most
# common ones :
#
# --vrrp               -P    Only run with VRRP subsystem.
# --check              -C    Only run with Health-checker subsystem.
# --dont-release-vrrp  -V    Dont remove VRRP VIPs & VROUTEs on daemon stop.
# --dont-release-ipvs  -I    Dont remove IPVS topology on daemon stop.
# --dump-conf          -d    Dump the configuration data.
# --log-detail         -D    Detailed log messages.
# --log-facility       -S    0-7 Set local syslog facility (default=LOG_DAEMON)
#

KEEPALIVED_OPTIONS="-D"
EOF
	text keepalived /usr/lib/systemd/system/keepalived.service 0644 <<'EOF'
[Unit]
Description=LVS and VRRP High Availability Monitor
After=network-online.target syslog.target
Wants=network-online.target
Documentation=man:keepalived(8)
Documentation=man:keepalived.conf(5)
Documentation=man:genhash(1)
Documentation=https://keepalived.org

[Service]
Type=forking
PIDFile=/run/keepalived.pid
KillMode=process
EnvironmentFile=-/etc/sysconfig/keepalived
ExecStart=/usr/sbin/keepalived $KEEPALIVED_OPTIONS
ExecReload=/bin/kill -HUP $MAINPID

[Install]
WantedBy=multi-user.target
EOF
}

stage_nginx() {
	put nginx /usr/sbin/nginx
	for f in mime.types fastcgi_params scgi_params uwsgi_params koi-utf koi-win win-utf; do
		put nginx "/etc/nginx/$f"
	done
	mkdir -p "$STAGE/nginx/etc/nginx/conf.d" "$STAGE/nginx/etc/nginx/default.d" "$STAGE/nginx/var/log/nginx" \
		"$STAGE/nginx/var/lib/nginx/tmp" "$STAGE/nginx/usr/share/nginx/modules"
	# Debian's nginx keeps its temporary files under /var/lib/nginx.
	mkdir -p "$STAGE/nginx/var/lib/nginx/body" "$STAGE/nginx/var/lib/nginx/proxy" "$STAGE/nginx/var/lib/nginx/fastcgi" \
		"$STAGE/nginx/var/lib/nginx/uwsgi" "$STAGE/nginx/var/lib/nginx/scgi"
	text nginx /etc/nginx/nginx.conf 0644 <<'EOF'
# For more information on configuration, see:
#   * Official English Documentation: http://nginx.org/en/docs/

user nginx;
worker_processes auto;
error_log /var/log/nginx/error.log;
pid /run/nginx.pid;

# Load dynamic modules. See /usr/share/doc/nginx/README.dynamic.
include /usr/share/nginx/modules/*.conf;

events {
    worker_connections 1024;
}

http {
    log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';

    access_log  /var/log/nginx/access.log  main;

    sendfile            on;
    tcp_nopush          on;
    keepalive_timeout   65;
    types_hash_max_size 4096;

    include             /etc/nginx/mime.types;
    default_type        application/octet-stream;

    include /etc/nginx/conf.d/*.conf;

    server {
        listen       80;
        listen       [::]:80;
        server_name  _;
        root         /usr/share/nginx/html;

        include /etc/nginx/default.d/*.conf;

        error_page 404 /404.html;
        location = /404.html {
        }
    }
}
EOF
	text nginx /usr/share/nginx/html/index.html 0644 <<'EOF'
<!DOCTYPE html>
<html><head><title>Test Page for the HTTP Server</title></head>
<body><h1>nginx on an EL-flavoured clusterctl lab machine</h1></body></html>
EOF
	text nginx /usr/lib/systemd/system/nginx.service 0644 <<'EOF'
[Unit]
Description=The nginx HTTP and reverse proxy server
After=network-online.target remote-fs.target nss-lookup.target
Wants=network-online.target

[Service]
Type=forking
PIDFile=/run/nginx.pid
ExecStartPre=/usr/bin/rm -f /run/nginx.pid
ExecStartPre=/usr/sbin/nginx -t
ExecStart=/usr/sbin/nginx
ExecReload=/usr/sbin/nginx -s reload
KillSignal=SIGQUIT
TimeoutStopSec=5
KillMode=mixed
PrivateTmp=true

[Install]
WantedBy=multi-user.target
EOF
}

stage_ipvsadm() {
	for f in ipvsadm ipvsadm-save ipvsadm-restore; do
		put ipvsadm "/usr/sbin/$f"
	done
	text ipvsadm /etc/sysconfig/ipvsadm-config 0600 <<'EOF'
# Unload modules on restart and stop
IPVS_MODULES_UNLOAD="yes"
# Save current firewall rules on stop.
IPVS_SAVE_ON_STOP="no"
# Save current firewall rules on restart.
IPVS_SAVE_ON_RESTART="no"
# Numeric status for ipvsadm-save
IPVS_STATUS_NUMERIC="yes"
EOF
	text ipvsadm /usr/lib/systemd/system/ipvsadm.service 0644 <<'EOF'
[Unit]
Description=Initialise the Linux Virtual Server
After=syslog.target network.target

[Service]
Type=oneshot
ExecStart=/bin/bash -c "exec /sbin/ipvsadm-restore < /etc/sysconfig/ipvsadm"
ExecStop=/bin/bash -c "exec /sbin/ipvsadm-save -n > /etc/sysconfig/ipvsadm"
ExecStop=/sbin/ipvsadm -C
RemainAfterExit=yes

[Install]
WantedBy=multi-user.target
EOF
}

stage_iptables() {
	local pkg=$1 f
	for f in $(dpkg-query -L iptables | grep -E '^/usr/(s?bin|lib/x86_64-linux-gnu)/' || true); do
		[ -f "$f" ] || [ -L "$f" ] || continue
		case $f in */sbin/* | */bin/*) put "$pkg" "$f" "/usr/sbin/${f##*/}" ;; *) put "$pkg" "$f" ;; esac
	done
}

stage_firewalld() {
	put firewalld /usr/sbin/firewalld
	put firewalld /usr/bin/firewall-cmd
	put firewalld /usr/bin/firewall-offline-cmd
	text firewalld /etc/sysconfig/firewalld 0644 <<'EOF'
# firewalld command line args
# possible values: --debug
FIREWALLD_ARGS=
EOF
	text firewalld /usr/lib/systemd/system/firewalld.service 0644 <<'EOF'
[Unit]
Description=firewalld - dynamic firewall daemon
Before=network-pre.target
Wants=network-pre.target
After=dbus.service
After=polkit.service
Conflicts=iptables.service ip6tables.service ebtables.service ipset.service
Documentation=man:firewalld(1)

[Service]
EnvironmentFile=-/etc/sysconfig/firewalld
ExecStart=/usr/sbin/firewalld --nofork --nopid $FIREWALLD_ARGS
ExecReload=/bin/kill -HUP $MAINPID
StandardOutput=null
StandardError=null
Type=dbus
BusName=org.fedoraproject.FirewallD1
KillMode=mixed
DevicePolicy=closed

[Install]
WantedBy=multi-user.target
Alias=dbus-org.fedoraproject.FirewallD1.service
EOF
}

# stage_release EL: the release package's files (os-release and friends).
stage_release() {
	local pkg=$1 el=$2
	if [ "$el" = 9 ]; then
		text "$pkg" /usr/lib/os-release 0644 <<'EOF'
NAME="Rocky Linux"
VERSION="9.3 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.3"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"
ANSI_COLOR="0;32"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:rocky:rocky:9::baseos"
HOME_URL="https://rockylinux.org/"
BUG_REPORT_URL="https://bugs.rockylinux.org/"
SUPPORT_END="2032-05-31"
ROCKY_SUPPORT_PRODUCT="Rocky-Linux-9"
ROCKY_SUPPORT_PRODUCT_VERSION="9.3"
REDHAT_SUPPORT_PRODUCT="Rocky Linux"
REDHAT_SUPPORT_PRODUCT_VERSION="9.3"
EOF
		echo "Rocky Linux release 9.3 (Blue Onyx)" | text "$pkg" /etc/rocky-release 0644
	else
		text "$pkg" /usr/lib/os-release 0644 <<'EOF'
NAME="CentOS Linux"
VERSION="7 (Core)"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="7"
PRETTY_NAME="CentOS Linux 7 (Core)"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:centos:centos:7"
HOME_URL="https://www.centos.org/"
BUG_REPORT_URL="https://bugs.centos.org/"

CENTOS_MANTISBT_PROJECT="CentOS-7"
CENTOS_MANTISBT_PROJECT_VERSION="7"
REDHAT_SUPPORT_PRODUCT="centos"
REDHAT_SUPPORT_PRODUCT_VERSION="7"
EOF
		echo "CentOS Linux release 7.9.2009 (Core)" | text "$pkg" /etc/centos-release 0644
	fi
	mkdir -p "$STAGE/$pkg/etc"
	ln -s ../usr/lib/os-release "$STAGE/$pkg/etc/os-release"
	if [ "$el" = 9 ]; then
		ln -s rocky-release "$STAGE/$pkg/etc/redhat-release"
		ln -s rocky-release "$STAGE/$pkg/etc/system-release"
	else
		ln -s centos-release "$STAGE/$pkg/etc/redhat-release"
		ln -s centos-release "$STAGE/$pkg/etc/system-release"
	fi
}

# build EL: stages and builds every package for EL release EL into
# $OUT/el$EL and makes it a repository.
build() {
	local el=$1 dist rel pkgs=() p
	dist=".lab.el$el"
	STAGE=$WORK/stage-el$el
	rm -rf "$STAGE"
	mkdir -p "$STAGE" "$WORK/specs"
	stage_keepalived
	stage_nginx
	stage_ipvsadm
	stage_firewalld
	local ipt=iptables ipt_provides=""
	if [ "$el" = 9 ]; then
		ipt=iptables-nft
		ipt_provides="iptables+=+$(upstream "$(debver iptables)")"
	fi
	stage_iptables "$ipt"
	local relpkg=rocky-release relver=9.3 relrel=1.2.el9
	if [ "$el" = 7 ]; then relpkg=centos-release relver=7 relrel=9.2009.1.el7.centos; fi
	stage_release "$relpkg" "$el"
	put bash /usr/bin/bash

	spec keepalived "" "$(upstream "$(debver keepalived)")" "1$dist" "High Availability monitor built upon LVS, VRRP and service pollers" "" "" >"$WORK/specs/keepalived.spec"
	spec nginx 1 "$(upstream "$(debver nginx)")" "1$dist" "A high performance web server and reverse proxy server" "webserver" \
		'getent group nginx >/dev/null || groupadd -r nginx
getent passwd nginx >/dev/null || useradd -r -d /var/lib/nginx -g nginx -s /sbin/nologin -c "Nginx web server" nginx
exit 0' >"$WORK/specs/nginx.spec"
	spec ipvsadm "" "$(upstream "$(debver ipvsadm)")" "1$dist" "Utility to administer the Linux Virtual Server" "" "" >"$WORK/specs/ipvsadm.spec"
	spec firewalld "" "$(upstream "$(debver firewalld)")" "1$dist" "A firewall daemon with D-Bus interface providing a dynamic firewall" "" "" >"$WORK/specs/firewalld.spec"
	spec "$ipt" "" "$(upstream "$(debver iptables)")" "1$dist" "Tools for managing Linux kernel packet filtering capabilities" "$ipt_provides" "" >"$WORK/specs/iptables.spec"
	spec "$relpkg" "" "$relver" "$relrel" "Release files" "system-release system-release(releasever)+=+$el redhat-release" "" >"$WORK/specs/release.spec"
	spec bash "" "$(upstream "$(debver bash)")" "1$dist" "The GNU Bourne Again shell" "/bin/sh /bin/bash" "" >"$WORK/specs/bash.spec"
	for p in keepalived nginx ipvsadm firewalld iptables release bash; do
		rpmbuild -bb --quiet \
			--define "_topdir $WORK/rpmbuild-el$el" \
			--define "_rpmdir $OUT/el$el" \
			--define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
			--define "__os_install_post %{nil}" \
			--define "debug_package %{nil}" \
			--define "_build_id_links none" \
			--define "_binary_payload w1.gzdio" \
			"$WORK/specs/$p.spec" >"$WORK/rpmbuild-$p-el$el.log" 2>&1 ||
			{
				cat "$WORK/rpmbuild-$p-el$el.log" >&2
				die "rpmbuild $p for el$el failed"
			}
	done
	createrepo_c --quiet "$OUT/el$el" >/dev/null
}

cmd_repo() {
	OUT=$1
	[ ! -e "$OUT" ] || die "$OUT exists"
	for t in rpmbuild createrepo_c dpkg-query; do
		command -v "$t" >/dev/null || die "needs $t (apt-get install rpm createrepo-c)"
	done
	WORK=$(mktemp -d)
	trap 'rm -rf "$WORK"' EXIT
	mkdir -p "$OUT"
	build 9
	build 7
}

# whiteout PATH...: lists PATH (inside the machine) on stdout, for the lab
# to hide in the overlay.
whiteout() {
	printf '%s\n' "$@"
}

cmd_layer() {
	local flavour=$1 repo=$2 el
	OUT=$3
	case $flavour in
	rocky9) el=9 ;;
	centos7) el=7 ;;
	*) die "unknown flavour $flavour" ;;
	esac
	[ -d "$repo/el$el/repodata" ] || die "no repository at $repo/el$el"
	mkdir -p "$OUT/etc/rpm" "$OUT/var/lib/rpm" "$OUT/etc/yum.repos.d" "$OUT/etc/dnf/vars"
	# Debian's rpm keeps its database in ~/.rpmdb; EL's in /var/lib/rpm.
	echo "%_dbpath /var/lib/rpm" >"$OUT/etc/rpm/macros"
	cat >"$OUT/etc/yum.repos.d/clusterctl-lab.repo" <<EOF
# The clusterctl lab's repository: RPMs built from this host's Debian
# packages (Debian's binaries, EL's paths and unit files).
[clusterctl-lab]
name=clusterctl lab packages for EL$el
baseurl=file://$repo/el$el
enabled=1
gpgcheck=0
metadata_expire=never
EOF
	# Installed from the start: the release package, bash, iptables and
	# firewalld. Their files are the host's (through the overlay), so only
	# the database records them (--justdb); the release files are written.
	local pre=() rel=() f
	for f in "$repo/el$el"/*.rpm; do
		case ${f##*/} in
		rocky-release-* | centos-release-*) rel+=("$f") ;;
		iptables-* | firewalld-* | bash-*) pre+=("$f") ;;
		esac
	done
	rpm --root "$OUT" --dbpath /var/lib/rpm --initdb
	rpm --root "$OUT" --dbpath /var/lib/rpm --force-debian -i --nodeps --noscripts "${rel[@]}"
	rpm --root "$OUT" --dbpath /var/lib/rpm --force-debian -i --justdb --nodeps --noscripts "${pre[@]}"
	# dnf and yum: EL9 has dnf (and yum as a link to it); on the centos7
	# flavour dnf answers as yum (EL7's yum 3 is python 2, which Debian 12
	# does not have) and dnf itself is hidden.
	mkdir -p "$OUT/usr/bin" "$OUT/etc/sysconfig"
	ln -sf dnf-3 "$OUT/usr/bin/yum"
	printf '# firewalld command line args\n# possible values: --debug\nFIREWALLD_ARGS=\n' >"$OUT/etc/sysconfig/firewalld"
	if [ "$el" = 7 ]; then
		whiteout /usr/bin/dnf
	fi
	# Debian's package tools and files EL does not have.
	whiteout /usr/bin/apt /usr/bin/apt-get /usr/bin/apt-cache /usr/bin/apt-config /usr/bin/apt-mark \
		/usr/bin/dpkg /usr/bin/dpkg-query /usr/bin/dpkg-deb /usr/bin/dpkg-divert /usr/bin/dpkg-trigger \
		/usr/bin/dpkg-split /usr/bin/dpkg-statoverride /usr/bin/dpkg-maintscript-helper \
		/var/lib/dpkg /etc/apt /etc/debian_version /etc/default/keepalived /etc/default/nginx /etc/default/ipvsadm
	# The packages the machine does not have yet: everything they install,
	# and Debian's own files of them.
	local p
	for f in "$repo/el$el"/keepalived-*.rpm "$repo/el$el"/nginx-*.rpm "$repo/el$el"/ipvsadm-*.rpm; do
		while IFS= read -r p; do
			[ -d "$p" ] && [ ! -L "$p" ] && continue
			whiteout "$p"
		done < <(rpm -qlp "$f" 2>/dev/null)
	done
	whiteout /etc/keepalived /etc/nginx /var/www /var/lib/nginx /var/log/nginx /usr/share/nginx \
		/etc/init.d/keepalived /etc/init.d/nginx /etc/init.d/ipvsadm /etc/ipvsadm.rules
}

case ${1:-} in
repo) cmd_repo "${2:?repo DIR}" ;;
layer) cmd_layer "${2:?layer FLAVOUR}" "${3:?REPO}" "${4:?OUT}" ;;
*) die "usage: el.sh repo DIR | el.sh layer FLAVOUR REPO OUT" ;;
esac
