#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Rotation never overwrites a file (issue 14).  -C: the start-up file and
# a rotated name are taken by existing files, which keep their contents;
# the analyzer takes the next names and counts the skipped ones.  -G: a
# record whose time names an existing file does not move the start-up
# file over it (rename without replace); the next name is taken.  In both
# cases the new files hold exactly the records sent.
. "$(dirname "$0")/lib.sh"
ana_init tcpdump
plan 12
export TZ=UTC

D=$ANA_DIR
S=$D/stats.json

# --- -C
echo precious0 >"$D/c.pcap"
echo precious1 >"$D/c.pcap1"
ok_cmd "analyzer with -C 1k over existing c.pcap and c.pcap1" \
	start_analyzer c -w "$D/c.pcap" -C 1k --stats "$S" -q
ok_cmd "50 records of 200 bytes" \
	send --count 50 --size 200 --snaplen 200 --rate 20000 --sent "$D/c-sent.txt"
ok_cmd "they arrive" wait_until 5000 stats_reach "$S" .totals.records 50
stop c
is "$LAST_STATUS" 0 "exit status 0"
is "$(cat "$D/c.pcap") $(cat "$D/c.pcap1")" "precious0 precious1" \
	"the existing files are untouched"
is "$(stat_of "$S" .output.files_skipped)" 2 "2 names skipped and counted"
mapfile -t files < <(ls "$D"/c.pcap* | grep -v -e '/c.pcap$' -e '/c.pcap1$' | sort -V)
pcap_records "${files[@]}" >"$D/c-got.txt"
cut -d' ' -f1,2 "$D/c-sent.txt" >"$D/c-want.txt"
same_sets "$D/c-got.txt" "$D/c-want.txt" "the new files (${#files[@]}) hold exactly the records sent"

# --- -G: the start-up file renamed after its first record
T0=$(( ($(date +%s) - 100) * 1000000000 ))
name=$D/g-$((T0 / 1000000000)).pcap
echo precious >"$name"
S=$D/g.json
ok_cmd "analyzer with -G 60, a file named for 100 s ago exists" \
	start_analyzer g -w "$D/g-%s.pcap" -G 60 --stats "$S" -q
ok_cmd "records stamped 100 s ago" \
	send --count 20 --ts-start $T0 --ts-step 1000 --rate 20000 --sent "$D/g-sent.txt"
ok_cmd "they arrive" wait_until 5000 stats_reach "$S" .totals.records 20
stop g
is "$(cat "$name") $(stat_of "$S" .output.files_skipped)" "precious 1" \
	"the existing file is untouched, the name skipped and counted"
pcap_records "${name}1" >"$D/g-got.txt"
cut -d' ' -f1,2 "$D/g-sent.txt" >"$D/g-want.txt"
same_sets "$D/g-got.txt" "$D/g-want.txt" "the records are in the next name, ${name##*/}1"
done_testing
