#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The systemd units (systemd/*.service.in) with their paths filled in as
# make does: systemd-analyze verify finds nothing to say about any of them
# (it exits 0 even for an unknown key, so its output must be empty), and
# systemd-analyze security --offline rates each "OK" or better (exposure
# at most 2.0; the README lists the scores).  dicapd@ may have 2.2: 0.3 of
# it is CAP_SETUID and CAP_SETGID in its bounding set, which it uses once
# to leave root and no longer has afterwards (t03-units-run.t checks what
# it has at run time); dicap-coord makes up for the same 0.3 with
# PrivateMounts=.
# t03-units-run.t runs them under a real systemd.
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/lib/rundir.sh"

command -v systemd-analyze >/dev/null || skip_all "systemd-analyze is not installed (apt-get install systemd)"
BIN=${DICAP_BIN:-$REPO/build/plain/bin}
for p in dicap-coord dicapd dicap-analyzer; do
	[ -x "$BIN/$p" ] || skip_all "$BIN/$p not built (make programs): verify checks ExecStart"
done
UNITS=$(cd "$REPO/systemd" && ls *.service.in 2>/dev/null)
[ -n "$UNITS" ] || bail_out "no systemd/*.service.in"
DIR=$(mktemp -d "${TMPDIR:-/tmp}/dicap-units.XXXXXX") || bail_out "mktemp failed"
trap 'rundir_remove "$DIR" 0' EXIT
plan $(($(echo "$UNITS" | wc -w) * 3 + 1))

offline=yes
systemd-analyze security --help 2>/dev/null | grep -q -- --offline || offline=
for in in $UNITS; do
	unit=${in%.in}
	# A template is checked as an instance: %i must expand.
	case $unit in *@.service) file=$DIR/${unit%@.service}@lo.service ;; *) file=$DIR/$unit ;; esac
	sed -e "s|@sbindir@|$BIN|g" -e "s|@sysconfdir@|/etc|g" "$REPO/systemd/$in" >"$file"
	ok $(( $(grep -c '@[a-z]*@' "$file") == 0 )) "$unit: every @VAR@ is filled in"
	out=$(systemd-analyze verify --man=no "$file" 2>&1)
	rc=$?
	ok $((rc == 0 && ${#out} == 0)) "$unit: systemd-analyze verify says nothing" ||
		diag "exit $rc: $out"
	if [ -z "$offline" ]; then
		ok 1 "# SKIP $unit: this systemd-analyze security has no --offline"
		continue
	fi
	out=$(systemd-analyze security --offline=yes "$file" 2>&1 | tail -1)
	score=$(printf '%s\n' "$out" | sed -n 's/.*exposure level for [^:]*: \([0-9.]*\) .*/\1/p')
	case $unit in dicapd@.service) max=2.2 ;; *) max=2.0 ;; esac
	ok $(awk -v s="${score:-99}" -v m=$max 'BEGIN { print (s <= m) }') \
		"$unit: exposure ${score:-?} (systemd-analyze security --offline) is at most $max" ||
		diag "$out"
done
grep -q '^ExecStart=.*--iface %i' "$REPO/systemd/dicapd@.service.in"
ok $(($? == 0)) "dicapd@.service captures on its instance's interface"
done_testing
