#!/bin/bash
# The VM lane's scenario driver, run by the guest's init on a kernel with
# IPVS. Each scenario builds a fresh local lab from an example with the same
# clusterctl binary users run, applies it from the lab's operator namespace
# (the client), proves forwarding with real requests and IPVS counters, and
# tears the lab down. Output contract, read by test/vm/run.sh:
#   CLUSTERCTL-VM-RESULT <scenario> PASS|FAIL <seconds> <proof...>
#   CLUSTERCTL-VM-DONE <passed> <failed>
# Scenarios: nat dr tun fullnat ha-lvs drain sync checkers firewall
# ipvs-live (kernel command line clusterctl.scenarios=a,b limits them;
# default all), and batch, a measurement run only when named. ipvs-live also prints its
# table as CLUSTERCTL-VM-TABLE lines.
# shellcheck disable=SC2317 # check functions are called through waitfor
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CC=/usr/local/bin/clusterctl
EX=/vm/examples
ALL="nat dr tun fullnat ha-lvs drain sync checkers firewall ipvs-live"

LAB="" SD="" PROOF=""

log() { echo "[vm $(date +%T)] $*"; }

# proof appends to the scenario's proof line; fail records why it failed.
proof() { PROOF="${PROOF:+$PROOF; }$*"; }
fail() {
	proof "FAILED: $*"
	log "FAILED: $*"
	return 1
}

# up NAME EXAMPLE: a fresh lab for an example directory.
up() {
	LAB=$1 SD=/run/clusterctl-lab/$1
	log "lab up $2 (lab $LAB)"
	"$CC" lab up "$2" --name "$LAB" --boot-timeout 300s >"/tmp/$LAB-up.log" 2>&1 && return 0
	# A starved host can make a machine miss the lab's 60 s boot
	# deadline: once more, from scratch.
	cat "/tmp/$LAB-up.log"
	log "lab up failed; once more"
	"$CC" lab down --name "$LAB" >/dev/null 2>&1
	"$CC" lab up "$2" --name "$LAB" --boot-timeout 300s >"/tmp/$LAB-up.log" 2>&1 || {
		cat "/tmp/$LAB-up.log"
		fail "lab up $2"
		return 1
	}
}
down() {
	[ -n "$LAB" ] || return 0
	"$CC" lab down --name "$LAB" >/dev/null 2>&1 || log "lab down $LAB failed"
	LAB=""
}
# op CMD...: run in the operator namespace (the lab's client).
op() { ip netns exec "$LAB-op" "$@"; }
# cc SUBCOMMAND ARGS...: clusterctl against the lab, from the operator ns.
cc() {
	local sub=$1
	shift
	op "$CC" "$sub" "$@" -i "$SD/id_ed25519" --known-hosts "$SD/known_hosts" --ssh-config none \
		--connect-timeout 60s --no-color
}
# on MACHINE CMD...: run inside a lab machine.
on() {
	local m=$1
	shift
	"$CC" lab exec --name "$LAB" "$m" -- "$@"
}

# apply_converged PATH [plan]: apply (which itself ends with a fresh plan
# that must be empty: "Apply complete!"); with "plan", also a separate
# plan --detailed-exitcode that must exit 0.
apply_converged() {
	log "apply $1"
	if ! cc apply "$1" --auto-approve >"/tmp/$LAB-apply.log" 2>&1; then
		cat "/tmp/$LAB-apply.log"
		fail "apply $1"
		return 1
	fi
	cat "/tmp/$LAB-apply.log"
	grep -q '^Apply complete!' "/tmp/$LAB-apply.log" || fail "apply did not report 'Apply complete!'" || return 1
	if [ "${2:-}" != plan ]; then
		proof "apply converged ($(grep -o 'Resources: .*' "/tmp/$LAB-apply.log"))"
		return 0
	fi
	local rc=0
	cc plan "$1" --detailed-exitcode >"/tmp/$LAB-plan.log" 2>&1 || rc=$?
	if [ $rc -ne 0 ]; then
		cat "/tmp/$LAB-plan.log"
		fail "plan after apply exited $rc (want 0: converged)"
		return 1
	fi
	proof "apply converged, then plan --detailed-exitcode exited 0"
}

# get URL [curl args]: one request from the operator namespace; prints the
# page's first word (RS1/RS2) or ERR.
get() {
	local url=$1 body
	shift
	body=$(op curl -s --max-time 10 "$@" "$url" 2>/dev/null) || {
		echo ERR
		return
	}
	body=${body%%-*}
	echo "${body:-EMPTY}"
}
# seq_of N URL [curl args]: N requests, answers space separated.
seq_of() {
	local n=$1 i out=()
	shift
	for ((i = 0; i < n; i++)); do out+=("$(get "$@")"); done
	echo "${out[*]}"
}
# both SEQ: the sequence contains answers from both real servers and no error.
both() { [[ $1 == *RS1* && $1 == *RS2* && $1 != *ERR* && $1 != *EMPTY* ]]; }
# only X SEQ: every answer is X.
only() {
	local w=""
	for w in $2; do [ "$w" = "$1" ] || return 1; done
}

# vs_stats MACHINE VIP:PORT: "conns inpkts outpkts" of one virtual service.
# The kernel folds its per-CPU counters into these every 2 s (the rate
# estimator), so callers wait that long after the last request.
vs_stats() {
	on "$1" ipvsadm -L -n --stats --exact | awk -v vs="$2" '$2 == vs { print $3, $4, $5; exit }'
}
# dump MACHINE: the director's table and counters, into the log.
dump() {
	log "ipvsadm -L -n --stats on $1:"
	on "$1" ipvsadm -L -n --stats --exact
}
# holder VIP MACHINE...: prints the machines that hold VIP.
holder() {
	local vip=$1 m out=()
	shift
	for m in "$@"; do
		on "$m" ip -o addr show | grep -q " $vip/" && out+=("$m")
	done
	echo "${out[*]}"
}
# waitfor SECONDS CMD...: retry CMD every second.
waitfor() {
	local t=$1 i
	shift
	for ((i = 0; i < t; i++)); do
		"$@" && return 0
		sleep 1
	done
	return 1
}

scenario_nat() {
	local ex=$EX/lvs-nat url=http://192.168.47.128/
	up vm-nat "$ex" && apply_converged "$ex" plan || return 1
	# One client address: persistence 3 s keeps it on one real server.
	local a dev
	a=$(seq_of 5 "$url" --interface 192.168.47.254)
	log "client 192.168.47.254: $a"
	proof "client .254: $a"
	[[ $a == RS1* || $a == RS2* ]] || fail "client .254 got no answer" || return 1
	only "${a%% *}" "$a" || fail "client .254 did not stick to one real server" || return 1
	# More client addresses on the operator's 47.x interface spread over
	# both real servers (wlc: the first one's server has connections).
	dev=$(op ip -o addr show | awk '$4 == "192.168.47.254/24" { print $2 }')
	[ -n "$dev" ] || fail "operator has no 192.168.47.254" || return 1
	local seen="$a" c s
	for c in 253 252 251 250; do
		op ip addr add "192.168.47.$c/24" dev "$dev" || fail "add client address .$c" || return 1
		s=$(seq_of 3 "$url" --interface "192.168.47.$c")
		log "client 192.168.47.$c: $s"
		proof "client .$c: $s"
		only "${s%% *}" "$s" || fail "client .$c did not stick to one real server" || return 1
		seen="$seen $s"
		both "$seen" && break
	done
	both "$seen" || fail "distinct clients did not spread over both real servers" || return 1
	sleep 2.5
	dump dir
	local st
	st=$(on dir ipvsadm -L -n --stats --exact | awk '$1 == "->" && $2 ~ /:[0-9]+$/ { printf "%s conns=%s ", $2, $3 }')
	proof "director stats: ${st% }"
}

# direct MODE VIP WANT_OUTPKTS: DR and TUN share the proof.
direct() {
	local ex=$EX/lvs-$1 vip=$2
	up "vm-$1" "$ex" && apply_converged "$ex" || return 1
	local h
	h=$(holder "$vip" dir)
	[ "$h" = dir ] || fail "VIP $vip not on dir" || return 1
	local s st i conns inpkts outpkts
	s=$(seq_of 6 "http://$vip/")
	log "responses: $s"
	proof "responses: $s"
	both "$s" || fail "not both real servers answered" || return 1
	# Wait for the counters to catch up (folded in every 2 s).
	for ((i = 0; i < 8; i++)); do
		st=$(vs_stats dir "$vip:80")
		read -r conns inpkts outpkts <<<"$st"
		[ "${conns:-0}" -lt 6 ] || break
		sleep 1
	done
	dump dir
	proof "director $vip:80 Conns=$conns InPkts=$inpkts OutPkts=$outpkts"
	[ "${conns:-0}" -ge 6 ] || fail "director counted ${conns:-0} connections, want >= 6" || return 1
	[ "${inpkts:-0}" -gt 0 ] && [ "${outpkts:-x}" = 0 ] ||
		fail "replies did not bypass the director (OutPkts=${outpkts:-?})" || return 1
}
scenario_dr() { direct dr 192.168.19.200; }
scenario_tun() { direct tun 192.168.19.210; }

scenario_fullnat() {
	local ex=$EX/lvs-fullnat
	up vm-fullnat "$ex" && apply_converged "$ex" || return 1
	local s
	s=$(seq_of 6 http://192.168.47.128/)
	log "responses: $s"
	proof "responses: $s"
	both "$s" || fail "not both real servers answered" || return 1
	local rs src route
	for rs in rs1 rs2; do
		src=$(on "$rs" awk '{ print $1 }' /var/log/nginx/access.log | sort | uniq -c | awk '{ printf "%s x%s ", $2, $1 }')
		route=$(on "$rs" ip route show default)
		log "$rs access log sources: $src; default route: '${route}'"
		proof "$rs sees ${src% }, default route '${route:-none}'"
		[ "${src%% *}" = 192.168.19.101 ] && [[ $src != *,* ]] && [ "$(echo "$src" | wc -w)" -eq 2 ] ||
			fail "$rs saw other sources than the director's 192.168.19.101" || return 1
		[ -z "$route" ] || fail "$rs has a default route" || return 1
	done
	dump dir
}

scenario_ha-lvs() {
	local ex=$EX/ha-lvs vip=192.168.19.100 url=http://192.168.19.100/
	up vm-ha "$ex" && apply_converged "$ex" || return 1
	local h s
	h=$(holder "$vip" lb1 lb2)
	proof "VIP on: $h"
	[ "$h" = lb1 ] || fail "VIP $vip on '$h', want lb1" || return 1
	s=$(seq_of 4 "$url")
	proof "responses: $s"
	both "$s" || fail "not both real servers answered" || return 1

	# 1. A weight change in HCL while a download holds a connection open:
	# a sparse 256 MB file read at 200 kB/s outlasts any apply.
	local big=/var/www/html/big.bin
	on rs1 truncate -s 256M $big
	on rs2 truncate -s 256M $big
	# curl prints only when it ends (-w): an empty big.res means still running.
	op curl -sS --max-time 900 --limit-rate 200k -o /tmp/big.out -w 'http=%{http_code} bytes=%{size_download}' \
		"$url${big##*/}" >/tmp/big.res 2>&1 &
	local dl=$! held="" i
	conn() { on lb1 ipvsadm -L -n -c | awk -v v="$vip:80" '$3 == "ESTABLISHED" && $5 == v { sub(/:80$/, "", $6); print $4, $6; exit }'; }
	for ((i = 0; i < 20; i++)); do
		held=$(conn)
		[ -n "$held" ] && break
		sleep 0.5
	done
	if [ -z "$held" ]; then
		on lb1 ipvsadm -L -n -c
		ls -l /tmp/big.out
		fail "no established connection in lb1's table"
		return 1
	fi
	local client=${held% *}
	held=${held#* }
	local other=rs2 otherip=192.168.19.103
	[ "$held" = 192.168.19.103 ] && other=rs1 otherip=192.168.19.102
	proof "download $client -> $held held open"
	mkdir -p /tmp/ha-w
	# Weight 3 for the other real server (the example leaves it at 1).
	awk -v rs="$other" '
		$1 == "real_server" && $2 == "\"" rs "\"" { print; print "    weight = 3"; next } { print }
	' "$ex/cluster.hcl" >/tmp/ha-w/cluster.hcl
	cc plan /tmp/ha-w >/tmp/ha-w.plan 2>&1
	log "plan for weight 3 on $other:"
	cat /tmp/ha-w.plan
	local summary
	summary=$(grep -E '^Plan:' /tmp/ha-w.plan | head -1)
	proof "weight plan: ${summary:-?} ($(grep -E '^ *[~+-] +(file|service|ipvs) ' /tmp/ha-w.plan | sed -E 's/^ *//; s/ +/ /g; s/ \(.*//' | paste -sd, -))"
	grep -q '/etc/keepalived/keepalived.conf' /tmp/ha-w.plan || fail "the plan does not change keepalived.conf" || return 1
	# Progress of the held connection, from the client's socket (curl's
	# output file grows in large buffered steps, so its size is no clock).
	received() {
		op ss -Htin state established dst "$vip" |
			awk -v p=":${client##*:}" '
				/^[^ \t]/ { f = substr($3, length($3) - length(p) + 1) == p; next }
				f && match($0, /bytes_received:[0-9]+/) { print substr($0, RSTART + 15, RLENGTH - 15); exit }'
	}
	local b0 b1 b2
	b0=$(received)
	cc apply /tmp/ha-w --auto-approve >/tmp/ha-w.apply 2>&1 || {
		cat /tmp/ha-w.apply
		fail "weight apply"
		return 1
	}
	cat /tmp/ha-w.apply
	local w=""
	weighted() { on lb1 ipvsadm -L -n | grep -Eq "$otherip:80 +Route +3 "; }
	waitfor 10 weighted && w=3
	proof "lb1 weight of $other after apply: ${w:-not 3}"
	[ "$w" = 3 ] || { on lb1 ipvsadm -L -n; fail "weight of $other not 3 in lb1's table"; return 1; }
	# The held download still runs and still moves, on the same connection.
	# curl's rate limit reads in bursts out of a full receive buffer, so
	# bytes arrive in steps: wait for the next step after the apply. Under
	# emulation a step can take tens of seconds; at 200 kB/s curl must have
	# drained and the kernel refilled the buffer within 90 s.
	b1=$(received)
	for ((i = 0; i < 90; i++)); do
		b2=$(received)
		[ "${b2:-0}" -le "${b1:-0}" ] || break
		sleep 1
	done
	local still res
	still=$(conn)
	res=$(tr '\n' ' ' </tmp/big.res)
	proof "held download (client socket bytes_received): ${b0:-?} before apply, ${b1:-?} after, ${b2:-?} at the next step${res:+, curl ended: $res}; lb1 entry now '$still'"
	kill "$dl" 2>/dev/null
	wait "$dl" 2>/dev/null
	if ! [ "${b2:-0}" -gt "${b1:-0}" ] || ! [ "${b1:-0}" -ge "${b0:-0}" ] || [ -n "$res" ] || [ "$still" != "$client $held" ]; then
		local m
		for m in lb1 lb2; do
			log "$m keepalived log:"
			on $m tail -n 25 /var/log/messages
		done
		on lb1 ipvsadm -L -n -c
		fail "the held connection to $held did not survive the weight change"
		return 1
	fi

	# 2. nginx stopped on rs1: the HTTP_GET check drops it from the table.
	on rs1 systemctl stop nginx
	rs1_gone() { ! on lb1 ipvsadm -L -n | grep -q 192.168.19.102:80; }
	if ! waitfor 30 rs1_gone; then
		on lb1 ipvsadm -L -n
		fail "rs1 stayed in lb1's table after its nginx stopped"
		return 1
	fi
	s=$(seq_of 4 "$url")
	proof "rs1 nginx stopped -> dropped from lb1; responses: $s"
	only RS2 "$s" || fail "requests did not all go to rs2" || return 1

	# 3. keepalived stopped on lb1: lb2 takes the VIP and keeps serving.
	on lb1 systemctl stop keepalived
	on_lb2() { [ "$(holder "$vip" lb1 lb2)" = lb2 ]; }
	waitfor 15 on_lb2
	h=$(holder "$vip" lb1 lb2)
	proof "lb1 keepalived stopped -> VIP on: $h"
	[ "$h" = lb2 ] || fail "VIP on '$h', want lb2" || return 1
	s=$(seq_of 4 "$url")
	proof "responses via lb2: $s"
	only RS2 "$s" || fail "requests not served by rs2 through lb2" || return 1
	dump lb2
}

# now prints the time in seconds with nanoseconds; took T0 prints the
# seconds since T0.
now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# batch: what batching IPVS edits saves, on a real IPVS kernel (a
# measurement for docs/benchmarks.md, not in the default run: run.sh
# --scenarios batch). The same table of 20 services x 10 real servers is
# loaded four ways into the director's IPVS (emptied before each): one
# `ipvsadm -R` over one SSH session (what apply does past 8 edits); one SSH
# session per rule on one multiplexed connection (what applying rule by
# rule would cost); and, inside the machine without SSH, one ipvsadm -R
# and one ipvsadm process per rule. Each way must give the same table.
scenario_batch() {
	local ex=$EX/lvs-nat rules=/tmp/vm-batch.rules s d
	up vm-batch "$ex" || return 1
	: >"$rules"
	for ((s = 1; s <= 20; s++)); do
		echo "-A -t 10.99.0.$s:80 -s rr" >>"$rules"
		for ((d = 1; d <= 10; d++)); do
			echo "-a -t 10.99.0.$s:80 -r 10.98.$s.$d:80 -m -w 1" >>"$rules"
		done
	done
	local n
	n=$(wc -l <"$rules")
	on dir modprobe ip_vs || fail "modprobe ip_vs" || return 1
	local mux=(-F "$SD/ssh_config" -o ControlMaster=auto -o "ControlPath=/tmp/vm-batch-%C" -o ControlPersist=600)
	op ssh "${mux[@]}" dir true </dev/null || fail "ssh to dir" || return 1
	local t0 t_batch t_each t_local t_procs want got line
	on dir ipvsadm -C
	t0=$(now)
	op ssh "${mux[@]}" dir 'ipvsadm -R' <"$rules" || fail "ipvsadm -R over ssh" || return 1
	t_batch=$(took "$t0")
	want=$(on dir ipvsadm -S -n | sort)
	[ "$(grep -c . <<<"$want")" -eq "$n" ] || fail "ipvsadm -R loaded $(grep -c . <<<"$want") rules, want $n" || return 1
	on dir ipvsadm -C
	t0=$(now)
	while IFS= read -r line; do
		op ssh "${mux[@]}" dir "ipvsadm $line" </dev/null || fail "ipvsadm $line over ssh" || return 1
	done <"$rules"
	t_each=$(took "$t0")
	got=$(on dir ipvsadm -S -n | sort)
	[ "$got" = "$want" ] || fail "one session per rule gave another table" || return 1
	on dir ipvsadm -C
	t0=$(now)
	on dir ipvsadm -R <"$rules" || fail "ipvsadm -R in the machine" || return 1
	t_local=$(took "$t0")
	on dir ipvsadm -C
	t0=$(now)
	on dir sh -c 'while IFS= read -r l; do ipvsadm $l || exit 1; done' <"$rules" || fail "ipvsadm per rule in the machine" || return 1
	t_procs=$(took "$t0")
	got=$(on dir ipvsadm -S -n | sort)
	[ "$got" = "$want" ] || fail "one process per rule gave another table" || return 1
	on dir ipvsadm -C
	op ssh "${mux[@]}" -O exit dir 2>/dev/null
	proof "$n rules: one ipvsadm -R over one ssh session ${t_batch}s, one ssh session per rule ${t_each}s ($(awk -v a="$t_each" -v b="$t_batch" 'BEGIN { printf "%.0f", a / b }')x)"
	proof "in the machine: one ipvsadm -R ${t_local}s, one ipvsadm per rule ${t_procs}s ($(awk -v a="$t_procs" -v b="$t_local" 'BEGIN { printf "%.0f", a / b }')x)"
}

# ipvs-live: IPVS changes under live traffic (issue 18). The lvs-nat
# example, with rs1 also on 192.168.19.104 to serve as a third destination,
# converged; then each change below is applied to the director (-target
# dir: only its IPVS table changes) while
#   - eight keep-alive HTTP connections through the virtual service, each
#     from its own client address, make a request every 3 s on one socket
#     (held connections). One survived when it answered on its first
#     socket before the apply and twice after it; a failed request or a
#     new socket (curl reconnects on its own) is a broken connection;
#   - a prober opens a new connection twice a second (new connections
#     during the apply), from an address of its own;
# then new connections from fresh addresses must be answered (a removed
# destination gets none, an added one some), and the apply must have
# converged ("Apply complete!" follows its own fresh, empty plan). The
# class the plan announced for the IPVS edit is read from apply's output.
# A change announced none or reload must keep every held connection and
# fail no new one; for drops-connections the outcome is recorded.
LIVE_URL=http://192.168.47.128/index.html
LIVE_VIP=192.168.47.128:80
LIVE_TABLE=()
# The changes, each on top of the previous one:
# name|rs2 weight|.104 in the service|scheduler|persistence|rs2 in the
# service|drain|the destination it changes (all: the service)|what (edit,
# add, remove)
LIVE_STEPS=(
	"weight rs2 1 → 3|3|0|wlc|3|1||192.168.19.103|edit"
	"real server added (.104)|3|1|wlc|3|1||192.168.19.104|add"
	"scheduler wlc → rr|3|1|rr|3|1||all|edit"
	"persistence 3 → 30 s|3|1|rr|30|1||all|edit"
	"persistence 30 s → off|3|1|rr|none|1||all|edit"
	"real server .104 removed, no drain|3|0|rr|none|1||192.168.19.104|remove"
	"real server rs2 removed, -drain-timeout 90s|3|0|rr|none|0|90s|192.168.19.103|remove"
)
# Client addresses (last octet on 192.168.47.0/24, from .10 up: below the
# director's .128 and the operator's .254) of change N: eight for the held
# connections, one for the prober, three for new connections after; fresh
# for every change, so no persistence template of an earlier change pins
# them.
live_clients() { local b=$((10 + $1 * 12)); echo $b $((b + 1)) $((b + 2)) $((b + 3)) $((b + 4)) $((b + 5)) $((b + 6)) $((b + 7)); }
live_prober() { echo $((18 + $1 * 12)); }
live_fresh() { local b=$((19 + $1 * 12)); echo $b $((b + 1)) $((b + 2)); }

# live_config DIR W2 EXTRA SCHED PERSIST RS2: the example's hosts (rs1 also
# on 192.168.19.104) and its virtual service with these settings.
live_config() {
	local dir=$1 w2=$2 extra=$3 sched=$4 pers=$5 rs2=$6
	mkdir -p "$dir"
	awk '/^virtual_server /{ exit } { print }' "$EX/lvs-nat/cluster.hcl" |
		sed 's#addresses = \["192.168.19.102/24"\]#addresses = ["192.168.19.102/24", "192.168.19.104/24"]#' >"$dir/cluster.hcl"
	grep -q '"192.168.19.104/24"' "$dir/cluster.hcl" || fail "live_config: rs1's address line not found in the example" || return 1
	{
		echo 'virtual_server "web" {'
		echo '  address     = "192.168.47.128:80"'
		echo '  protocol    = "tcp"'
		echo '  mode        = "nat"'
		echo "  scheduler   = \"$sched\""
		[ "$pers" = none ] || echo "  persistence = $pers"
		echo '  directors   = [host.dir]'
		echo
		printf '  real_server "rs1" {\n    port   = 80\n    weight = 1\n  }\n'
		[ "$rs2" = 0 ] || printf '  real_server "rs2" {\n    port   = 80\n    weight = %s\n  }\n' "$w2"
		[ "$extra" = 0 ] || printf '  real_server "192.168.19.104" {\n    port   = 80\n    weight = 1\n  }\n'
		echo '}'
	} >>"$dir/cluster.hcl"
}

# live_announced APPLY_LOG: "CLASS|REASON" of the worst IPVS change in the
# plan apply printed, or "no-ipvs-change|". A change line is
# "  ~   ipvs KEY: ..."; its class follows on a "      disruption: CLASS..."
# line, which the plan leaves out for class none.
live_announced() {
	awk '
		function rank(c) { return index(" none reload vip-move vip-outage restart drops-connections ", " " c " ") }
		/^Apply complete!/ { exit }
		/^  [~+-] +ipvs / { n++; if (worst == "") worst = "none"; inipvs = 1; next }
		inipvs && /^      disruption: / {
			s = $0; sub(/^ *disruption: /, "", s)
			c = s; sub(/[ :].*/, "", c)
			r = s; sub(/^[^:]*: /, "", r); if (r == s) r = ""
			if (rank(c) > rank(worst)) { worst = c; why = r }
		}
		{ inipvs = 0 }
		END { print (n ? worst : "no-ipvs-change") "|" why }
	' "$1"
}

# live_curl TAG CLIENT URL CURL_ARGS...: one curl in the operator namespace
# from 192.168.47.CLIENT over a URL range, every request's line
# (@ local_port new_connections http_code exit_code) stamped with the
# guest's time into /tmp/live-TAG-CLIENT.log. LIVE_PID[CLIENT] is its pid.
declare -A LIVE_PID=()
live_curl() {
	local tag=$1 c=$2 url=$3
	shift 3
	ip netns exec "$LAB-op" curl -sS -o /dev/null --interface "192.168.47.$c" "$@" \
		-w '%{stderr}@ %{local_port} %{num_connects} %{http_code} %{exitcode}\n' \
		"$url" 2> >(while IFS= read -r l; do printf '%s %s\n' "$EPOCHREALTIME" "$l"; done >"/tmp/live-$tag-$c.log") &
	LIVE_PID[$c]=$!
}
# live_open TAG CLIENT...: one keep-alive connection per client address;
# curl asks for the page every 3 s (--rate 20/m) on one socket; a request
# that fails (-m 10) or a new local port means the connection broke.
live_open() {
	local tag=$1 c
	shift
	for c in "$@"; do live_curl "$tag" "$c" "$LIVE_URL?$tag-[1-400]" --rate 20/m -m 10; done
}
# live_probe TAG CLIENT: a new connection twice a second (the server
# closes each one: Connection: close).
live_probe() { live_curl "$1" "$2" "$LIVE_URL?$1-p[1-4000]" --rate 120/m -m 5 -H 'Connection: close'; }
# live_close CLIENT...: the clients close their connections.
live_close() {
	local c pids=()
	for c in "$@"; do
		[ -z "${LIVE_PID[$c]:-}" ] || pids+=("${LIVE_PID[$c]}")
		unset "LIVE_PID[$c]"
	done
	[ ${#pids[@]} -gt 0 ] || return 0
	kill "${pids[@]}" 2>/dev/null
	wait "${pids[@]}" 2>/dev/null
	sleep 0.3
}
# live_count TAG CLIENT SINCE: successful requests on the connection's
# first socket stamped after SINCE, or -1 once it broke.
live_count() {
	awk -v since="$3" '
		$2 != "@" { next }
		first == "" && $5 == 200 { first = $3 }
		$5 != 200 || $3 != first { print -1; bad = 1; exit }
		$1 > since { n++ }
		END { if (!bad) print n + 0 }
	' "/tmp/live-$1-$2.log" 2>/dev/null || echo 0
}
# live_wait TAG SINCE N SECS CLIENT...: until each connection has N
# requests after SINCE or broke, for at most SECS (host-side seconds).
live_wait() {
	local tag=$1 since=$2 want=$3 until=$((SECONDS + $4)) c n pending
	shift 4
	pending=("$@")
	while [ ${#pending[@]} -gt 0 ]; do
		local still=()
		for c in "${pending[@]}"; do
			n=$(live_count "$tag" "$c" "$since")
			[ "$n" -lt 0 ] || [ "$n" -ge "$want" ] || still+=("$c")
		done
		pending=("${still[@]}")
		[ ${#pending[@]} -gt 0 ] || return 0
		[ $SECONDS -lt $until ] || return 1
		sleep 1
	done
}
# live_judge TAG CLIENT START END: "ok|broken|unproven REQUESTS_AFTER HOW".
# ok: every request answered on the first socket, one before START (the
# apply) and two after END; broken: how the first failure looked (curl's
# exit code: 28 timed out, 52/56 closed or reset; or a new socket) and
# when, in seconds after START.
live_judge() {
	awk -v start="$3" -v end="$4" '
		$2 != "@" { next }
		first == "" && $5 == 200 { first = $3 }
		!bad && ($5 != 200 || $3 != first) {
			bad = 1
			how = sprintf("curl-exit-%s@%+.0fs", $6, $1 - start)
			if ($6 == 0) how = sprintf("new-socket@%+.0fs", $1 - start)
		}
		bad { next }
		$1 < start { before++ }
		$1 > end { after++ }
		END {
			if (bad) print "broken", after + 0, how
			else if (before >= 1 && after >= 2) print "ok", after, "-"
			else print "unproven", after + 0, "before=" before + 0
		}
	' "/tmp/live-$1-$2.log"
}
# live_probed TAG CLIENT START END: "FAILED TOTAL" of the prober's new
# connections between START and END.
live_probed() {
	awk -v start="$3" -v end="$4" '
		$2 == "@" && $1 >= start && $1 <= end { n++; if ($5 != 200) bad++ }
		END { print bad + 0, n + 0 }
	' "/tmp/live-$1-$2.log"
}
# live_dests: "client_ip:port dest_ip" of the virtual service's entries in
# the director's connection table.
live_dests() {
	on dir ipvsadm -L -n -c | awk -v v="$LIVE_VIP" '$5 == v { d = $6; sub(/:[0-9]+$/, "", d); print $4, d }'
}
# live_port TAG CLIENT: the connection's first local port.
live_port() { awk '$2 == "@" && $5 == 200 { print $3; exit }' "/tmp/live-$1-$2.log"; }
# secs_since T0 [T1]: seconds between two $EPOCHREALTIME stamps.
secs_since() { awk -v a="$1" -v b="${2:-$EPOCHREALTIME}" 'BEGIN { printf "%.0f", b - a }'; }

# live_step N: connections, apply, judge, new connections. Returns 1 when
# the change broke more than it announced, 2 when the run cannot go on.
live_step() {
	local idx=$1 name w2 extra sched pers rs2 drain changed what
	IFS='|' read -r name w2 extra sched pers rs2 drain changed what <<<"${LIVE_STEPS[$1]}"
	local dir=/tmp/live/s$((idx + 1)) tag=s$((idx + 1)) clients fresh_clients prober
	read -ra clients <<<"$(live_clients "$idx")"
	read -ra fresh_clients <<<"$(live_fresh "$idx")"
	prober=$(live_prober "$idx")
	log "ipvs-live: --- change $((idx + 1)): $name"
	live_config "$dir" "$w2" "$extra" "$sched" "$pers" "$rs2" || return 2

	# Open the held connections; each must answer once before the apply.
	live_open "$tag" "${clients[@]}"
	local c n=ok
	if live_wait "$tag" 0 1 120 "${clients[@]}"; then
		for c in "${clients[@]}"; do
			[ "$(live_count "$tag" "$c" 0)" -ge 1 ] || n=bad
		done
	else
		n=bad
	fi
	if [ $n = bad ]; then
		for c in "${clients[@]}"; do tail -n 4 "/tmp/live-$tag-$c.log"; done
		live_close "${clients[@]}"
		fail "the connections did not all come up before '$name'"
		return 2
	fi
	local port d map
	declare -A dest=()
	map=$(live_dests)
	for c in "${clients[@]}"; do
		port=$(live_port "$tag" "$c")
		d=$(awk -v s="192.168.47.$c:$port" '$1 == s { print $2; exit }' <<<"$map")
		dest[$c]=${d:-?}
	done
	log "ipvs-live: held connections by destination: $(for c in "${clients[@]}"; do printf '.%s->.%s ' "$c" "${dest[$c]##*.}"; done)"
	live_probe "$tag" "$prober"
	sleep 1

	# Apply. With a drain: in the background; once the destination is at
	# weight 0 and its connections have gone on for two requests, their
	# clients close them (as finishing downloads would), so the drain ends.
	local t0 t1 t_w0="" rc=0 args=(--auto-approve -target dir) alog=/tmp/$LAB-live-apply.log open=("${clients[@]}")
	[ -z "$drain" ] || args+=(-drain-timeout "$drain")
	t0=$EPOCHREALTIME
	if [ -z "$drain" ]; then
		cc apply "$dir" "${args[@]}" >"$alog" 2>&1 || rc=$?
	else
		cc apply "$dir" "${args[@]}" >"$alog" 2>&1 &
		local ap=$! drained=() rest=() deadline=$((SECONDS + 300))
		for c in "${clients[@]}"; do
			if [ "${dest[$c]}" = "$changed" ]; then drained+=("$c"); else rest+=("$c"); fi
		done
		zero() { on dir ipvsadm -L -n | grep -Eq " ${changed//./\\.}:80 +Masq +0 "; }
		while [ $SECONDS -lt $deadline ] && kill -0 $ap 2>/dev/null; do
			zero && { t_w0=$EPOCHREALTIME; break; }
			sleep 0.5
		done
		if [ -n "$t_w0" ] && [ ${#drained[@]} -gt 0 ]; then
			log "ipvs-live: $changed at weight 0 (draining) $(secs_since "$t0" "$t_w0") s into the apply; its ${#drained[@]} connections go on"
			live_wait "$tag" "$t_w0" 2 60 "${drained[@]}"
			live_close "${drained[@]}"
			open=("${rest[@]}")
			log "ipvs-live: their clients closed them $(secs_since "$t0") s into the apply"
		fi
		wait $ap || rc=$?
	fi
	t1=$EPOCHREALTIME
	local secs
	secs=$(secs_since "$t0" "$t1")
	cat "$alog"
	if [ $rc -ne 0 ] || ! grep -q '^Apply complete!' "$alog"; then
		live_close "${clients[@]}" "$prober"
		fail "apply of '$name' exited $rc"
		return 2
	fi
	local cls why
	cls=$(live_announced "$alog")
	why=${cls#*|} cls=${cls%%|*}
	log "ipvs-live: the plan announced $cls for the IPVS change (${why:-no reason})"
	# Two more requests on every connection still open, then close them.
	live_wait "$tag" "$t1" 2 60 "${open[@]}"
	live_close "${clients[@]}" "$prober"
	local total=0 ok=0 ctot=0 cok=0 how=() st after why_b end
	for c in "${clients[@]}"; do
		end=$t1
		[ -z "$t_w0" ] || [ "${dest[$c]}" != "$changed" ] || end=$t_w0
		read -r st after why_b < <(live_judge "$tag" "$c" "$t0" "$end")
		log "ipvs-live:   .$c -> ${dest[$c]}: $st ($after requests after, $why_b)"
		total=$((total + 1))
		[ "$st" = ok ] && ok=$((ok + 1))
		[ "$st" = broken ] && how+=(".${dest[$c]##*.} $why_b")
		if [ "$changed" = all ] || [ "${dest[$c]}" = "$changed" ]; then
			ctot=$((ctot + 1))
			[ "$st" = ok ] && cok=$((cok + 1))
		fi
		[ "$st" != unproven ] || { fail "connection .$c for '$name' neither survived nor broke"; return 2; }
	done
	local pfail ptot
	read -r pfail ptot < <(live_probed "$tag" "$prober" "$t0" "$t1")
	log "ipvs-live: new connections during the apply: $pfail of $ptot failed"

	# New connections from fresh addresses: answered, and by which
	# destination (the director's table).
	local answers=() f fdest=()
	for f in "${fresh_clients[@]}"; do answers+=("$(get "$LIVE_URL" --interface "192.168.47.$f")"); done
	map=$(live_dests)
	for f in "${fresh_clients[@]}"; do
		d=$(awk -v s="192.168.47.$f:" 'index($1, s) == 1 { print $2; exit }' <<<"$map")
		fdest+=(".${d##*.}")
	done

	local on_changed="$cok/$ctot"
	[ "$changed" = all ] && on_changed="(all)"
	local broke="-"
	[ ${#how[@]} -eq 0 ] || broke=$(IFS=,; echo "${how[*]}")
	local line="$name | $cls | $ok/$total | $on_changed | $broke | $pfail/$ptot | ${fdest[*]} (${answers[*]}) | ${secs}s"
	log "ipvs-live: RESULT $line"
	LIVE_TABLE+=("$line")
	proof "$name: $cls, $ok/$total held survived, $pfail/$ptot new failed"
	[ "$cls" != no-ipvs-change ] || { fail "the plan for '$name' has no IPVS change"; return 2; }
	[[ "${answers[*]}" != *ERR* && "${answers[*]}" != *EMPTY* ]] || fail "new connections after '$name': ${answers[*]}" || return 2
	case $what in
	add) [[ " ${fdest[*]} " == *" .${changed##*.} "* ]] || fail "no new connection reached the added $changed after '$name'" || return 2 ;;
	remove) [[ " ${fdest[*]} " != *" .${changed##*.} "* ]] || fail "a new connection reached the removed $changed after '$name'" || return 2 ;;
	esac
	case $cls in
	none | reload)
		[ $ok = "$total" ] || fail "'$name' announced $cls but $((total - ok)) of $total held connections broke" || return 1
		[ "$pfail" = 0 ] || fail "'$name' announced $cls but $pfail new connections failed during the apply" || return 1
		;;
	esac
	return 0
}

scenario_ipvs-live() {
	local ex=/tmp/live/s0
	rm -rf /tmp/live
	live_config "$ex" 1 0 wlc 3 1 || return 1
	up vm-live "$ex" || return 1
	# The setup, not a measured change: on a starved host an SSH session
	# can drop mid-apply; the apply is idempotent, so once more.
	if ! apply_converged "$ex"; then
		log "ipvs-live: the first apply failed; once more"
		PROOF=""
		apply_converged "$ex" || return 1
	fi
	local dev i c
	dev=$(op ip -o addr show | awk '$4 == "192.168.47.254/24" { print $2 }')
	[ -n "$dev" ] || fail "operator has no 192.168.47.254" || return 1
	for i in "${!LIVE_STEPS[@]}"; do
		for c in $(live_clients "$i") $(live_prober "$i") $(live_fresh "$i"); do echo "addr add 192.168.47.$c/24 dev $dev"; done
	done | op ip -batch - || fail "add the client addresses" || return 1
	log "ipvs-live: net.ipv4.vs.expire_nodest_conn=$(on dir sysctl -n net.ipv4.vs.expire_nodest_conn 2>/dev/null || echo ?) on dir"
	LIVE_TABLE=()
	local r bad=0
	for i in "${!LIVE_STEPS[@]}"; do
		r=0
		live_step "$i" || r=$?
		[ $r = 0 ] || bad=1
		[ $r != 2 ] || break
	done
	log "ipvs-live: table:"
	echo "CLUSTERCTL-VM-TABLE | change | announced | held connections survived | on the changed destination | broken (destination, how, when) | new connections failed during the apply | new connections after (destination, answer) | apply |"
	echo "CLUSTERCTL-VM-TABLE |---|---|---|---|---|---|---|---|"
	for r in "${LIVE_TABLE[@]}"; do
		echo "CLUSTERCTL-VM-TABLE | $r |"
	done
	dump dir
	[ $bad = 0 ]
}

# scenario_drain: `clusterctl drain` on a converged lvs-nat director under
# live traffic (issue 16). Eight keep-alive connections are held (four on
# each real server under rr) and a prober opens a new connection twice a
# second; drain rs2 --wait runs in the background. Proven: once rs2 is at
# weight 0 its held connections go on answering, every new connection goes
# to rs1, no new connection fails, drain --wait is still waiting while rs2
# has connections and returns 0 after their clients close them (IPVS keeps
# a closed connection in FIN_WAIT/TIME_WAIT, so that takes its timeout);
# a plan afterwards shows the drain and no change, an apply keeps the
# weight at 0, and undrain gives rs2 new connections again.
DRAIN_RS=192.168.19.103
scenario_drain() {
	local ex=/tmp/drain/s0 tag=d
	rm -rf /tmp/drain
	live_config "$ex" 1 0 rr none 1 || return 1
	up vm-drain "$ex" || return 1
	if ! apply_converged "$ex"; then
		log "drain: the first apply failed; once more"
		PROOF=""
		apply_converged "$ex" || return 1
	fi
	local dev c held=(10 11 12 13 14 15 16 17) prober=18 fresh=(19 20 21 22 23 24) after=(25 26 27 28 29 30)
	dev=$(op ip -o addr show | awk '$4 == "192.168.47.254/24" { print $2 }')
	[ -n "$dev" ] || fail "operator has no 192.168.47.254" || return 1
	for c in "${held[@]}" $prober "${fresh[@]}" "${after[@]}"; do echo "addr add 192.168.47.$c/24 dev $dev"; done |
		op ip -batch - || fail "add the client addresses" || return 1

	live_open "$tag" "${held[@]}"
	live_wait "$tag" 0 1 120 "${held[@]}" || { live_close "${held[@]}"; fail "the held connections did not come up"; return 1; }
	local port d map on_rs2=() on_rs1=()
	map=$(live_dests)
	for c in "${held[@]}"; do
		port=$(live_port "$tag" "$c")
		d=$(awk -v s="192.168.47.$c:$port" '$1 == s { print $2; exit }' <<<"$map")
		if [ "$d" = "$DRAIN_RS" ]; then on_rs2+=("$c"); else on_rs1+=("$c"); fi
	done
	log "drain: held connections on rs2: ${on_rs2[*]:-none}; on rs1: ${on_rs1[*]:-none}"
	[ ${#on_rs2[@]} -gt 0 ] || { live_close "${held[@]}"; fail "no held connection landed on rs2 (rr over 8)"; return 1; }
	live_probe "$tag" $prober
	sleep 1

	local t0 t_w0="" dlog=/tmp/$LAB-drain.log deadline=$((SECONDS + 300))
	t0=$EPOCHREALTIME
	cc drain rs2 -c "$ex" --auto-approve --wait --timeout 400s >"$dlog" 2>&1 &
	local dp=$!
	zero() { on dir ipvsadm -L -n | grep -Eq " ${DRAIN_RS//./\\.}:80 +Masq +0 "; }
	while [ $SECONDS -lt $deadline ] && kill -0 $dp 2>/dev/null; do
		zero && { t_w0=$EPOCHREALTIME; break; }
		sleep 0.5
	done
	if [ -z "$t_w0" ]; then
		live_close "${held[@]}" $prober
		wait $dp
		cat "$dlog"
		fail "rs2 never reached weight 0"
		return 1
	fi
	log "drain: rs2 at weight 0 $(secs_since "$t0" "$t_w0") s after the drain started"
	# The drained connections go on: two more requests each after weight 0.
	live_wait "$tag" "$t_w0" 2 90 "${on_rs2[@]}" || log "drain: not every connection on rs2 answered twice more"
	# New connections: all to rs1.
	local answers=() f
	for f in "${fresh[@]}"; do answers+=("$(get "$LIVE_URL" --interface "192.168.47.$f")"); done
	log "drain: new connections while draining: ${answers[*]}"
	local waiting=no
	kill -0 $dp 2>/dev/null && waiting=yes
	log "drain: drain --wait still waiting while rs2 holds ${#on_rs2[@]} connections: $waiting"
	# Their clients finish; the drain must then end by itself.
	local t_close
	t_close=$EPOCHREALTIME
	live_close "${on_rs2[@]}"
	local drc=0
	wait $dp || drc=$?
	local t_end
	t_end=$EPOCHREALTIME
	cat "$dlog"
	log "drain: drain --wait exited $drc $(secs_since "$t_close" "$t_end") s after the clients closed rs2's connections ($(secs_since "$t0" "$t_end") s in all)"
	live_wait "$tag" "$t_end" 2 60 "${on_rs1[@]}" || true
	live_close "${on_rs1[@]}" $prober
	local st n why bad=0 ok2=0 ok1=0
	for c in "${on_rs2[@]}"; do
		read -r st n why < <(live_judge "$tag" "$c" "$t0" "$t_w0")
		log "drain:   .$c on rs2: $st ($n requests after weight 0, $why)"
		[ "$st" = ok ] && ok2=$((ok2 + 1))
	done
	for c in "${on_rs1[@]}"; do
		read -r st n why < <(live_judge "$tag" "$c" "$t0" "$t_end")
		log "drain:   .$c on rs1: $st ($n requests after the drain, $why)"
		[ "$st" = ok ] && ok1=$((ok1 + 1))
	done
	local pfail ptot
	read -r pfail ptot < <(live_probed "$tag" $prober "$t0" "$t_end")
	log "drain: new connections (prober) during the drain: $pfail of $ptot failed"
	proof "drain rs2: ${ok2}/${#on_rs2[@]} held connections on rs2 and ${ok1}/${#on_rs1[@]} on rs1 went on; new connections while draining ${answers[*]}; prober $pfail/$ptot failed; --wait waited while connections remained: $waiting, exited $drc $(secs_since "$t_close" "$t_end") s after they closed"
	[ "$ok2" = ${#on_rs2[@]} ] || fail "a held connection on the drained rs2 broke or did not answer twice at weight 0" || bad=1
	[ "$ok1" = ${#on_rs1[@]} ] || fail "a held connection on rs1 broke or did not answer twice after the drain" || bad=1
	only RS1 "${answers[*]}" || fail "a new connection did not go to rs1 while rs2 drained: ${answers[*]}" || bad=1
	[ "$pfail" = 0 ] || fail "$pfail new connections failed during the drain" || bad=1
	[ $waiting = yes ] || fail "drain --wait returned while rs2 still had connections" || bad=1
	[ $drc = 0 ] || fail "drain --wait exited $drc" || bad=1
	grep -q 'no connection left\|0 active' "$dlog" || log "drain: (the drain's last progress line is above)"
	local act
	act=$(on dir ipvsadm -L -n | awk -v d="$DRAIN_RS:80" '$2 == d { print $4 + $5 }')
	[ "${act:-x}" = 0 ] || fail "rs2 still has $act connections when drain --wait returned" || bad=1

	# The drain is state, not drift: a plan shows it and changes nothing;
	# an apply keeps the weight at 0.
	local rc=0
	cc plan "$ex" --detailed-exitcode >"/tmp/$LAB-plan.log" 2>&1 || rc=$?
	cat "/tmp/$LAB-plan.log"
	[ $rc = 0 ] || fail "plan after the drain exited $rc (want 0)" || bad=1
	grep -q 'drain' "/tmp/$LAB-plan.log" || fail "the plan does not show the drain" || bad=1
	cc apply "$ex" --auto-approve >"/tmp/$LAB-apply.log" 2>&1 || fail "apply after the drain" || bad=1
	zero || fail "apply undid the drain" || bad=1
	# undrain: rs2 gets new connections again.
	cc undrain rs2 -c "$ex" --auto-approve >"/tmp/$LAB-undrain.log" 2>&1 || { cat "/tmp/$LAB-undrain.log"; fail "undrain"; return 1; }
	answers=()
	for f in "${after[@]}"; do answers+=("$(get "$LIVE_URL" --interface "192.168.47.$f")"); done
	log "drain: new connections after undrain: ${answers[*]}"
	both "${answers[*]}" || fail "after undrain, new connections do not reach both: ${answers[*]}" || bad=1
	proof "plan after drain: no change, shows the drain; apply kept weight 0; after undrain: ${answers[*]}"
	dump dir
	[ $bad = 0 ]
}

# sync_failover EXAMPLE LAB: converge the director pair of EXAMPLE, hold
# a rate-limited download through the VIP (DR, so the replies bypass the
# directors), then kill the master director (its link down, as a dead
# machine: no goodbye advert, no cleanup) and watch the download from the
# client's socket. Sets SYNC_SEEN (the connection was in lb2's table
# before the failover: yes/no), SYNC_TAKEOVER (seconds until lb2 held the
# VIP) and SYNC_OUTCOME (survived|broken) with SYNC_HOW.
sync_failover() {
	local ex=$1 vip=192.168.19.100 url=http://192.168.19.100/big.bin
	SYNC_SEEN=no SYNC_TAKEOVER=? SYNC_OUTCOME=? SYNC_HOW=""
	up "$2" "$ex" || return 1
	if ! apply_converged "$ex"; then
		log "sync: the first apply failed; once more"
		apply_converged "$ex" || return 1
	fi
	local h
	h=$(holder "$vip" lb1 lb2)
	[ "$h" = lb1 ] || fail "VIP $vip on '$h', want lb1" || return 1
	on rs1 truncate -s 256M /var/www/html/big.bin
	on rs2 truncate -s 256M /var/www/html/big.bin
	rm -f /tmp/sync.out /tmp/sync.res
	op curl -sS --max-time 900 --limit-rate 200k -o /tmp/sync.out -w 'http=%{http_code} bytes=%{size_download}' \
		"$url" >/tmp/sync.res 2>&1 &
	local dl=$! held="" i
	conn() { on "$1" ipvsadm -L -n -c | awk -v v="$vip:80" '$3 == "ESTABLISHED" && $5 == v { print $4; exit }'; }
	for ((i = 0; i < 40; i++)); do
		held=$(conn lb1)
		[ -n "$held" ] && break
		sleep 0.5
	done
	[ -n "$held" ] || { kill $dl; fail "no established connection in lb1's table"; return 1; }
	local client=$held
	received() {
		op ss -Htin state established dst "$vip" |
			awk -v p=":${client##*:}" '
				/^[^ \t]/ { f = substr($3, length($3) - length(p) + 1) == p; next }
				f && match($0, /bytes_received:[0-9]+/) { print substr($0, RSTART + 15, RLENGTH - 15); exit }'
	}
	# The sync daemon sends a connection after its third packet and then
	# every 50: it is in lb2's table within seconds, or never.
	for ((i = 0; i < 20; i++)); do
		[ "$(conn lb2)" = "$client" ] && { SYNC_SEEN=yes; break; }
		sleep 1
	done
	log "sync: download $client held; in lb2's table before the failover: $SYNC_SEEN"
	on lb2 ipvsadm -L -n -c | head -5
	local b0 t0
	b0=$(received)
	t0=$SECONDS
	on lb1 ip link set ens33 down
	on_lb2() { [ "$(holder "$vip" lb2)" = lb2 ]; }
	if waitfor 30 on_lb2; then SYNC_TAKEOVER=$((SECONDS - t0)); fi
	log "sync: lb1's link down; lb2 holds the VIP after ${SYNC_TAKEOVER} s"
	# The download must move again on the same socket: curl reads in
	# bursts from a full buffer, so allow a minute for the next step.
	local b1 b2=""
	b1=$(received)
	for ((i = 0; i < 60; i++)); do
		sleep 1
		b2=$(received)
		[ -n "$b2" ] || break
		[ "$b2" -le "${b1:-0}" ] || break
		kill -0 $dl 2>/dev/null || break
	done
	local res
	res=$(tr '\n' ' ' </tmp/sync.res)
	if [ -n "$b2" ] && [ "$b2" -gt "${b1:-0}" ] && kill -0 $dl 2>/dev/null; then
		SYNC_OUTCOME=survived SYNC_HOW="socket bytes_received ${b0:-?} before the failover, ${b1:-?} at takeover, $b2 after"
	else
		SYNC_OUTCOME=broken SYNC_HOW="socket bytes_received ${b0:-?} before, ${b1:-?} at takeover, ${b2:-gone} after${res:+; curl: $res}"
	fi
	log "sync: download $SYNC_OUTCOME ($SYNC_HOW)"
	on lb2 ipvsadm -L -n -c | head -5
	kill $dl 2>/dev/null
	wait $dl 2>/dev/null
	return 0
}

# scenario_sync: connection-keeping failover (issue 15). The DR director
# pair of examples/features/dr-conn-sync runs keepalived's lvs_sync_daemon:
# a download held through the VIP survives killing the master director.
# The control is the same pair without the sync daemon (ha-lvs): the same
# download breaks (lb2 does not know the connection and answers its next
# packet with a reset), so the survival is the sync daemon's doing.
scenario_sync() {
	sync_failover /vm/features/dr-conn-sync vm-sync || return 1
	local seen=$SYNC_SEEN take=$SYNC_TAKEOVER out=$SYNC_OUTCOME how=$SYNC_HOW
	proof "with lvs_sync_daemon: connection in lb2's table before the failover: $seen; lb2 took the VIP in ${take} s; download $out ($how)"
	down
	sync_failover "$EX/ha-lvs" vm-nosync || return 1
	proof "without (ha-lvs): in lb2's table: $SYNC_SEEN; lb2 took the VIP in ${SYNC_TAKEOVER} s; download $SYNC_OUTCOME ($SYNC_HOW)"
	local bad=0
	[ "$seen" = yes ] || fail "the connection never reached lb2's table through the sync daemon" || bad=1
	[ "$out" = survived ] || fail "with the sync daemon the download did not survive the master's death" || bad=1
	[ "$SYNC_SEEN" = no ] || fail "without the sync daemon the connection was in lb2's table: the control is not one" || bad=1
	[ "$SYNC_OUTCOME" = broken ] || fail "without the sync daemon the download survived too: the proof proves nothing" || bad=1
	[ $bad = 0 ]
}

# scenario_checkers: every keepalived real server checker takes a dead
# real server out of the table and puts it back when it recovers (issue
# 15). One director, one real server (rs1, 192.168.19.102) and one
# keepalived-managed virtual server per checker type, each on its own VIP
# port, each with rs1 as its only real server; rs1 serves what the checks
# talk to (nginx on 80 and, with a certificate made on the host, 443;
# checksrv's DNS on 53/udp, SMTP on 25 and UDP on 5353). Each service is
# then made to fail in the way its checker sees (the server stopped, ICMP
# dropped, the MISC script's flag, the FILE_CHECK file's number) and
# brought back, and rs1 must leave and re-enter that virtual server's
# table within the checker's timing.
CHK_VIP=192.168.19.100
CHK_TYPES="tcp http ssl dns smtp ping udp misc file"
chk_port() { case $1 in tcp) echo 8001 ;; http) echo 8002 ;; ssl) echo 8003 ;; dns) echo 8004 ;; smtp) echo 8005 ;; ping) echo 8006 ;; udp) echo 8007 ;; misc) echo 8008 ;; file) echo 8009 ;; esac; }
chk_config() {
	local dir=$1 t
	mkdir -p "$dir"
	cat >"$dir/cluster.hcl" <<'HCL'
defaults {
  user = "root"
}

keepalived {
  router_id = "CHECKERS"
}

host "dir" {
  interface "ens33" {
    addresses = ["192.168.19.11/24"]
  }
}

host "rs1" {
  interface "ens33" {
    addresses = ["192.168.19.102/24"]
  }
  packages = ["nginx"]
  services = ["nginx"]
  file "/var/www/html/index.html" {
    content = "RS1------RS1\n"
  }
}

vrrp_instance "VI_CHK" {
  interface         = "ens33"
  virtual_router_id = 60
  advert_int        = 1
  virtual_ips       = ["192.168.19.100/32"]
  member "dir" {
    priority = 100
  }
}

# FILE_CHECK: rs1's weight (1) plus the file's number times -1; 0 or
# below takes it out.
track_file "rs1_down" {
  file = "/run/rs1-down"
}
HCL
	for t in $CHK_TYPES; do
		local p body
		p=$(chk_port "$t")
		case $t in
		tcp) body='type = "tcp"
      connect_port = 80' ;;
		http) body='type = "http"
      path = "/index.html"
      status_code = 200
      connect_port = 80' ;;
		ssl) body='type = "ssl"
      path = "/"
      status_code = 200
      connect_port = 443' ;;
		dns) body='type = "dns"
      dns_type = "A"
      dns_name = "example.org"
      connect_port = 53' ;;
		smtp) body='type = "smtp"
      helo_name = "dir.example.org"
      connect_port = 25' ;;
		ping) body='type = "ping"' ;;
		udp) body='type = "udp"
      connect_port = 5353
      payload = "0001"
      require_reply = true
      reply = "0a0b"' ;;
		misc) body='type = "misc"
      misc_path = "/usr/local/sbin/chk-misc"' ;;
		file) body='type = "file"
      track_file = track_file.rs1_down
      weight = -1' ;;
		esac
		case $t in misc | file) ;; *) body+='
      connect_timeout = 2' ;; esac
		cat >>"$dir/cluster.hcl" <<HCL

virtual_server "$t" {
  address    = "$CHK_VIP:$p"
  mode       = "dr"
  scheduler  = "rr"
  managed_by = "keepalived"
  delay_loop = 2
  directors  = [host.dir]
  real_server "rs1" {
    port = $p
    check {
      $body
    }
  }
}
HCL
	done
}
# chk_in T: rs1 is in virtual server T's table on dir with a weight above
# 0 (a failed FILE_CHECK, like inhibit_on_failure, leaves it at weight 0).
chk_in() { on dir ipvsadm -L -n -t "$CHK_VIP:$(chk_port "$1")" 2>/dev/null | awk '$2 ~ /^192\.168\.19\.102:/ && $4 > 0 { f = 1 } END { exit !f }'; }
chk_out() { ! chk_in "$1"; }
# chk_case T BREAK FIX: rs1 in T's table; BREAK → out within 30 s; FIX →
# back within 30 s. Records "T: out Ns, in Ms".
chk_case() {
	local t=$1 brk=$2 fix=$3 t0 out_s in_s
	if ! waitfor 30 chk_in "$t"; then
		on dir ipvsadm -L -n
		fail "$t: rs1 not in the table before the failure"
		return 1
	fi
	t0=$SECONDS
	eval "$brk" || { fail "$t: could not break the service ($brk)"; return 1; }
	if ! waitfor 30 chk_out "$t"; then
		on dir ipvsadm -L -n
		fail "$t: rs1 stayed in the table 30 s after its service failed"
		eval "$fix"
		return 1
	fi
	out_s=$((SECONDS - t0))
	t0=$SECONDS
	eval "$fix" || { fail "$t: could not restore the service ($fix)"; return 1; }
	if ! waitfor 30 chk_in "$t"; then
		on dir ipvsadm -L -n
		fail "$t: rs1 not back in the table 30 s after its service recovered"
		return 1
	fi
	in_s=$((SECONDS - t0))
	log "checkers: $t: out after ${out_s} s, back after ${in_s} s"
	proof "$t out ${out_s}s/in ${in_s}s"
}
scenario_checkers() {
	local ex=/tmp/chk
	rm -rf "$ex"
	chk_config "$ex"
	up vm-chk "$ex" || return 1
	# What the checks talk to, on rs1, before the apply (nginx starts with
	# the TLS site); the MISC script on dir.
	on rs1 sh -c 'mkdir -p /etc/nginx/tls && cat >/etc/nginx/tls/rs1.crt' </vm/tls/rs1.crt || fail "install the certificate" || return 1
	on rs1 sh -c 'cat >/etc/nginx/tls/rs1.key && chmod 600 /etc/nginx/tls/rs1.key' </vm/tls/rs1.key || return 1
	on rs1 sh -c 'cat >/etc/nginx/sites-enabled/tls' <<'NGINX' || return 1
server {
	listen 443 ssl;
	ssl_certificate /etc/nginx/tls/rs1.crt;
	ssl_certificate_key /etc/nginx/tls/rs1.key;
	root /var/www/html;
}
NGINX
	on dir sh -c 'mkdir -p /usr/local/sbin && printf "#!/bin/sh\ntest ! -e /run/misc-down\n" >/usr/local/sbin/chk-misc && chmod 755 /usr/local/sbin/chk-misc' || fail "install the MISC script" || return 1
	on dir sh -c 'echo 0 >/run/rs1-down' || return 1
	local srv
	for srv in "dns 192.168.19.102:53" "smtp 192.168.19.102:25" "udp 192.168.19.102:5353"; do
		on rs1 sh -c "setsid /usr/local/bin/checksrv $srv </dev/null >/dev/null 2>&1 &" || return 1
	done
	if ! apply_converged "$ex"; then
		log "checkers: the first apply failed; once more"
		apply_converged "$ex" || return 1
	fi
	on dir ipvsadm -L -n
	local bad=0
	chk_case tcp 'on rs1 systemctl stop nginx' 'on rs1 systemctl start nginx' || bad=1
	# The page missing: HTTP_GET sees 404 (/index.html: Debian's "/"
	# falls back to its default page) while the TCP check still connects.
	chk_case http 'on rs1 mv /var/www/html/index.html /var/www/html/gone.html' 'on rs1 mv /var/www/html/gone.html /var/www/html/index.html' || bad=1
	chk_case ssl 'on rs1 systemctl stop nginx' 'on rs1 systemctl start nginx' || bad=1
	chk_case dns 'on rs1 pkill -f "checksrv dns"' 'on rs1 sh -c "setsid /usr/local/bin/checksrv dns 192.168.19.102:53 </dev/null >/dev/null 2>&1 &"' || bad=1
	chk_case smtp 'on rs1 pkill -f "checksrv smtp"' 'on rs1 sh -c "setsid /usr/local/bin/checksrv smtp 192.168.19.102:25 </dev/null >/dev/null 2>&1 &"' || bad=1
	chk_case ping 'on rs1 iptables -I INPUT -p icmp --icmp-type echo-request -j DROP' 'on rs1 iptables -D INPUT -p icmp --icmp-type echo-request -j DROP' || bad=1
	chk_case udp 'on rs1 pkill -f "checksrv udp"' 'on rs1 sh -c "setsid /usr/local/bin/checksrv udp 192.168.19.102:5353 </dev/null >/dev/null 2>&1 &"' || bad=1
	chk_case misc 'on dir touch /run/misc-down' 'on dir rm -f /run/misc-down' || bad=1
	chk_case file 'on dir sh -c "echo 1 >/run/rs1-down"' 'on dir sh -c "echo 0 >/run/rs1-down"' || bad=1
	[ $bad = 0 ] || { log "keepalived's log on dir:"; on dir tail -n 40 /var/log/messages; }
	[ $bad = 0 ]
}

# scenario_firewall: lab B behind default-deny firewalls (issue 17). Every
# machine first gets what a careful administrator writes: loopback,
# replies and SSH accepted, INPUT and FORWARD dropped. The control: lvs-nat
# applied as it is (clusterctl leaves the firewall alone) converges, but no
# request through the VIP is answered. Then `firewall { manage = true }`:
# apply converges, the next plan is empty, clients are answered by both
# real servers, the host's own rules are still there, and a port the
# cluster does not need (8081 on rs1) stays closed from the director while
# it answers on rs1 itself.
FW_DENY='set -e
iptables -A INPUT -i lo -j ACCEPT
iptables -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
iptables -P INPUT DROP
iptables -P FORWARD DROP'
scenario_firewall() {
	local ex=/tmp/fw url=http://192.168.47.128/ m
	rm -rf "$ex"
	mkdir -p "$ex"
	cp "$EX/lvs-nat/cluster.hcl" "$ex/cluster.hcl"
	up vm-fw "$ex" || return 1
	for m in dir rs1 rs2; do
		on "$m" sh -c "$FW_DENY" || fail "$m: default-deny" || return 1
	done
	apply_converged "$ex" || return 1
	local s
	s=$(seq_of 3 "$url")
	proof "default-deny, firewall not managed: $s"
	[ "$s" = "ERR ERR ERR" ] || fail "requests were answered through default-deny firewalls clusterctl did not open: $s" || return 1
	printf '\nfirewall {\n  manage = true\n}\n' >>"$ex/cluster.hcl"
	apply_converged "$ex" plan || return 1
	grep -q 'CLUSTERCTL-INPUT\|clusterctl: ' "/tmp/$LAB-apply.log" || fail "apply's plan shows no firewall rule" || return 1
	local dev seen="" c
	dev=$(op ip -o addr show | awk '$4 == "192.168.47.254/24" { print $2 }')
	for c in 254 253 252 251 250; do
		[ "$c" = 254 ] || op ip addr add "192.168.47.$c/24" dev "$dev" 2>/dev/null
		s=$(seq_of 2 "$url" --interface "192.168.47.$c")
		seen="$seen $s"
		both "$seen" && break
	done
	proof "firewall managed: ${seen# }"
	both "$seen" || fail "clients were not answered by both real servers through the managed firewalls: $seen" || return 1
	for m in dir rs1 rs2; do
		local rules
		rules=$(on "$m" iptables-save -t filter)
		grep -q -- '^:INPUT DROP' <<<"$rules" && grep -q -- '--dport 22 -j ACCEPT' <<<"$rules" ||
			{ echo "$rules"; fail "$m: the host's own rules changed"; return 1; }
		grep -q -- '-j CLUSTERCTL-INPUT' <<<"$rules" || { echo "$rules"; fail "$m: no jump to CLUSTERCTL-INPUT"; return 1; }
	done
	on dir iptables-save -t filter
	# A port the cluster does not need stays closed.
	on rs1 sh -c 'setsid busybox nc -ll -p 8081 -e /bin/cat </dev/null >/dev/null 2>&1 &'
	sleep 1
	local local_ok=no remote_ok=no
	on rs1 timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/8081' && local_ok=yes
	on dir timeout 3 bash -c 'exec 3<>/dev/tcp/192.168.19.102/8081' && remote_ok=yes
	proof "port 8081 on rs1: answers locally $local_ok, from dir $remote_ok"
	[ $local_ok = yes ] || fail "the 8081 listener on rs1 is not up" || return 1
	[ $remote_ok = no ] || fail "port 8081 on rs1 is open to the director" || return 1
}

want=$ALL
for a in $(cat /proc/cmdline); do
	case $a in clusterctl.scenarios=*) want=${a#*=} want=${want//,/ } ;; esac
done
passed=0 failed=0
log "scenarios: $want"
for s in $want; do
	if ! declare -F "scenario_$s" >/dev/null; then
		echo "CLUSTERCTL-VM-RESULT $s FAIL 0 unknown scenario"
		failed=$((failed + 1))
		continue
	fi
	PROOF=""
	t0=$(date +%s.%N)
	log "=== scenario $s"
	if "scenario_$s"; then r=PASS; else r=FAIL; fi
	down
	secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	echo "CLUSTERCTL-VM-RESULT $s $r $secs ${PROOF:-no proof}"
	if [ $r = PASS ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "CLUSTERCTL-VM-DONE $passed $failed"
