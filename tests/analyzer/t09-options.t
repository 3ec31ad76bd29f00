#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Option errors: exit status 1 and a message that names the problem; an
# address in use and an output file that cannot be created fail at start;
# --help prints the usage with exit status 0.
. "$(dirname "$0")/lib.sh"
ana_init
plan 34

D=$ANA_DIR

# refused EXPECTED-MESSAGE ARGS...: exit 1, the message on stderr, nothing on stdout.
refused() {
	local want=$1 out err rc

	shift
	out=$("$ANALYZER" "$@" 2>"$D/err" </dev/null)
	rc=$?
	err=$(cat "$D/err")
	is "$rc" 1 "$* -> exit 1"
	ok "$(printf '%s' "$err" | grep -cF -- "$want")" "$* -> '$want'" ||
		diag "stderr: $err; stdout: $out"
}

refused "-l addr:port is required" -w "$D/x.pcap"
refused "-w file is required" -l "$ADDR"
refused "-l 127.0.0.1 is not ADDR:PORT" -l 127.0.0.1 -w "$D/x.pcap"
refused "-l 127.0.0.1:99999 is not ADDR:PORT" -l 127.0.0.1:99999 -w "$D/x.pcap"
refused "--transport sctp: use udp, tcp or both" -l "$ADDR" -w "$D/x.pcap" --transport sctp
refused "-C 0 is out of range" -l "$ADDR" -w "$D/x.pcap" -C 0
refused "-C 5x: the size is a number with an optional k, m or g" -l "$ADDR" -w "$D/x.pcap" -C 5x
refused "-G abc is not a number" -l "$ADDR" -w "$D/x.pcap" -G abc
refused "-C and -G rotate files: they do not apply to -w -" -l "$ADDR" -w - -G 10
refused "--reorder-ms -1 is not a number" -l "$ADDR" -w "$D/x.pcap" --reorder-ms -1
refused "--snaplen 0 is out of range" -l "$ADDR" -w "$D/x.pcap" --snaplen 0
refused "unexpected argument extra" -l "$ADDR" -w "$D/x.pcap" extra
refused "unrecognized option '--bogus'" -l "$ADDR" -w "$D/x.pcap" --bogus
refused "/nonexistent/x.pcap" -l "$ADDR" -w /nonexistent/x.pcap

start_analyzer first -w "$D/first.pcap" -q
refused "cannot listen on udp $ADDR: Address already in use" -l "$ADDR" -w "$D/x.pcap"
stop first

out=$("$ANALYZER" --help 2>&1)
is "$?" 0 "--help: exit 0"
ok "$(printf '%s' "$out" | grep -c -- '--reorder-ms')" "--help lists the options"
ok "$(printf '%s' "$out" | grep -c '^usage: dicap-analyzer -l addr:port -w file|-')" \
	"--help starts with the usage line"
ok $((! $(ls "$D" | grep -c '^x.pcap$'))) "no output file was created by a refused start"
done_testing
