# SPDX-License-Identifier: BSD-2-Clause
# A tiny TAP emitter for shell tests run under prove(1); the same names as
# tests/tap.h:
#
#   plan N | plan no_plan         ok COND NAME       is GOT EXPECTED NAME
#   diag TEXT...                  skip_all WHY       bail_out WHY
#   done_testing                  (exit status 0 when everything passed)
#
# COND follows C, not the shell: ok passes when COND is a non-zero number
# (write `ok $((a == b)) "name"`).  ok_cmd NAME CMD... passes when CMD exits 0.
# Every function returns 0 on pass and 1 on failure, so `ok ... || diag ...`
# works.  TAP_FAILED and TAP_RUN can be read by the caller.

TAP_PLANNED=
TAP_RUN=0
TAP_FAILED=0

plan() {
	if [ "$1" = no_plan ]; then
		TAP_PLANNED=
	else
		TAP_PLANNED=$1
		echo "1..$1"
	fi
}

diag() {
	local line
	printf '%s\n' "$*" | while IFS= read -r line; do
		printf '# %s\n' "$line"
	done
}

tap_result() {	# tap_result PASS NAME
	TAP_RUN=$((TAP_RUN + 1))
	if [ "$1" -eq 1 ]; then
		echo "ok $TAP_RUN - $2"
		return 0
	fi
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_RUN - $2"
	return 1
}

ok() {
	local cond=$1
	shift
	case $cond in
	''|*[!0-9-]*) tap_result 0 "$* (condition '$cond' is not a number)"; return 1 ;;
	esac
	if [ "$cond" -ne 0 ]; then
		tap_result 1 "$*"
	else
		tap_result 0 "$*"
	fi
}

ok_cmd() {
	local name=$1
	shift
	if "$@"; then
		tap_result 1 "$name"
	else
		tap_result 0 "$name"
	fi
}

is() {
	local got=$1 expected=$2
	shift 2
	if [ "$got" = "$expected" ]; then
		tap_result 1 "$*"
		return 0
	fi
	tap_result 0 "$*"
	diag "     got: '$got'"
	diag "expected: '$expected'"
	return 1
}

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

bail_out() {
	echo "Bail out! $*"
	exit 255
}

done_testing() {
	if [ -z "$TAP_PLANNED" ]; then
		echo "1..$TAP_RUN"
	elif [ "$TAP_PLANNED" -ne "$TAP_RUN" ]; then
		diag "planned $TAP_PLANNED tests but ran $TAP_RUN"
	fi
	if [ "$TAP_FAILED" -ne 0 ]; then
		diag "failed $TAP_FAILED of $TAP_RUN tests"
		return 1
	fi
	if [ -n "$TAP_PLANNED" ] && [ "$TAP_PLANNED" -ne "$TAP_RUN" ]; then
		return 1
	fi
	return 0
}
