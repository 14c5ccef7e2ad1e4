#!/bin/sh
# Run every fuzz target of the repository (every `func FuzzXxx` in a
# *_test.go file), one after the other, each for a bounded time.
#
#   scripts/fuzz.sh                 15 s per target (CI)
#   FUZZTIME=10m scripts/fuzz.sh    longer, by hand
#   FUZZTIME=30s scripts/fuzz.sh ./internal/facts   only the targets under a directory
#
# Prints, per target, the executions and the time it ran, and a summary.
# Exits non-zero when any target fails (a crasher is written by go test
# under the package's testdata/fuzz/FuzzXxx/ and must be committed with
# the fix as a regression seed). Memory per target is bounded by GOMEMLIMIT
# (default 1GiB) and the test binary's -timeout.
set -eu

cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-15s}
GO=${GO:-go}
export GOMEMLIMIT=${GOMEMLIMIT:-1GiB}
root=${1:-.}

log=$(mktemp)
trap 'rm -f "$log"' EXIT

failed=0
total=0
summary=""
# "dir:FuzzName" pairs, sorted for a stable order.
targets=$(grep -rE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(' "$root" |
	sed -E 's|^(.*)/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\(.*$|\1:\2|' | sort -u)

if [ -z "$targets" ]; then
	echo "fuzz.sh: no fuzz targets under $root" >&2
	exit 1
fi

for t in $targets; do
	dir=${t%%:*}
	name=${t#*:}
	case "$dir" in ./*) ;; *) dir=./$dir ;; esac
	total=$((total + 1))
	printf '%-28s %-18s ' "$dir" "$name"
	start=$(date +%s)
	if $GO test "$dir" -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" \
		-fuzzminimizetime 5s -timeout 30m >"$log" 2>&1; then
		status=ok
	else
		status=FAIL
		failed=$((failed + 1))
	fi
	secs=$(($(date +%s) - start))
	# The last progress line: "fuzz: elapsed: 15s, execs: 123456 (8230/sec), new interesting: 3 (total: 40)"
	execs=$(grep -Eo 'execs: [0-9]+' "$log" | tail -n 1 | awk '{print $2}')
	interesting=$(grep -Eo 'total: [0-9]+' "$log" | tail -n 1 | awk '{print $2}')
	printf '%-4s %4ss  %10s execs  corpus %s\n' "$status" "$secs" "${execs:-?}" "${interesting:-?}"
	summary="$summary$dir $name $status ${execs:-0} ${secs}s
"
	if [ "$status" = FAIL ]; then
		sed 's/^/    /' "$log"
	fi
done

echo "fuzz.sh: $total targets, $((total - failed)) passed, $failed failed (FUZZTIME=$FUZZTIME each)"
[ "$failed" -eq 0 ]
