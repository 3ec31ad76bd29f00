#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Rotation.  -C 1: files FILE, FILE1, FILE2 ... each a valid pcap that
# passed one million bytes by at most one record before the next began.
# -G 1 with a strftime name: a new file per second of record time (records
# 1 ms apart over 4.5 s), each named after its first record's time and
# spanning less than a second; -G without a conversion: a counter; -G
# with -C: the size rotations stay in their -G interval, named after it
# with a counter.  In every
# case the files together hold exactly the records sent, in order.
. "$(dirname "$0")/lib.sh"
ana_init tcpdump
plan 23
export TZ=UTC

D=$ANA_DIR
S=$D/stats.json
REC=1016	# pcap record: 16-byte header + 1000 captured bytes

# files_of PREFIX: the rotated files in creation order (FILE, FILE1, FILE2...)
files_of() {
	local f n=0

	[ -e "$1" ] && echo "$1"
	while :; do
		n=$((n + 1))
		f=$1$n
		[ -e "$f" ] || break
		echo "$f"
	done
}

# --- -C
ok_cmd "analyzer with -C 1" start_analyzer ana -w "$D/size.pcap" -C 1 --stats "$S" -q
ok_cmd "6000 records of 1000 bytes" \
	send --nodes 2 --count 6000 --size 1000 --snaplen 1000 --max-bytes 16000 \
	--rate 5000 --sent "$D/sent-size.txt"
ok_cmd "all received" wait_until 8000 stats_reach "$S" .totals.records 6000
stop ana
is "$LAST_STATUS" 0 "exit status 0"
mapfile -t files < <(files_of "$D/size.pcap")
n=${#files[@]}
# 24 + k * 1016 > 1e6 from k = 985 on: 985 records per file, 6000 = 6 * 985 + 90
is "$n" 7 "7 files: size.pcap, size.pcap1 ... size.pcap6"
is "$(stat_of "$S" .output.files)" 7 "the statistics count 7 files"
bad=0
for f in "${files[@]}"; do
	pcap_ok "$f" || bad=$((bad + 1))
done
is "$bad" 0 "every file is a valid pcap"
sizes=$(for f in "${files[@]:0:n-1}"; do stat -c %s "$f"; done | awk -v r=$REC '
	$1 <= 1000000 || $1 > 1000000 + r { bad++ } END { print bad + 0 }')
is "$sizes" 0 "every file but the last exceeds 1,000,000 bytes by at most one record"
pcap_records "${files[@]}" >"$D/got-size.txt"
cut -d' ' -f1,2 "$D/sent-size.txt" >"$D/want-size.txt"
same_sets "$D/got-size.txt" "$D/want-size.txt" "-C: the union of the files is what was sent"
bad=$(in_order <"$D/got-size.txt")
ok $((${#bad} == 0)) "-C: in order across the files" || diag "$bad"

# --- -G with a strftime name
T0=$(( ($(date +%s) - 100) * 1000000000 + 250000000 ))	# x.25 s, 100 s ago
ok_cmd "analyzer with -G 1 and a strftime name" \
	start_analyzer ana -w "$D/t-%Y%m%d-%H%M%S.pcap" -G 1 --stats "$S" -q
ok_cmd "4500 records 1 ms apart" \
	send --nodes 3 --count 4500 --ts-start $T0 --ts-step 1000000 --rate 20000 \
	--sent "$D/sent-time.txt"
ok_cmd "all received" wait_until 5000 stats_reach "$S" .totals.records 4500
stop ana
mapfile -t tfiles < <(ls "$D"/t-*.pcap | sort)
# files start at x.25, x+1.25, x+2.25, x+3.25, x+4.25 (the last one 250 records)
is "${#tfiles[@]}" 5 "5 files, one per second of record time"
names=$(for i in 0 1 2 3 4; do date -u -d @$((T0 / 1000000000 + i)) +t-%Y%m%d-%H%M%S.pcap; done)
is "$(for f in "${tfiles[@]}"; do basename "$f"; done)" "$names" \
	"each file is named after its first record's second (the first one too)"
span=0
for f in "${tfiles[@]}"; do
	s=$(pcap_records "$f" | awk 'NR == 1 { a = $1 } { b = $1 } END { print (b - a < 1) }')
	[ "$s" = 1 ] || span=$((span + 1))
done
is "$span" 0 "each file spans less than a second of record time"
pcap_records "${tfiles[@]}" >"$D/got-time.txt"
cut -d' ' -f1,2 "$D/sent-time.txt" >"$D/want-time.txt"
same_sets "$D/got-time.txt" "$D/want-time.txt" "-G: the union of the files is what was sent"

# --- -G without a conversion
start_analyzer ana -w "$D/plain.pcap" -G 1 --stats "$S" -q
send --count 1500 --ts-start $T0 --ts-step 1000000 --rate 20000 --sent "$D/sent-plain.txt"
wait_until 5000 stats_reach "$S" .totals.records 1500
stop ana
mapfile -t pfiles < <(files_of "$D/plain.pcap")
is "$(for f in "${pfiles[@]}"; do basename "$f"; done | tr '\n' ' ')" \
	"plain.pcap plain.pcap1 " "-G without a conversion: FILE, FILE1"
pcap_records "${pfiles[@]}" >"$D/got-plain.txt"
cut -d' ' -f1,2 "$D/sent-plain.txt" >"$D/want-plain.txt"
same_sets "$D/got-plain.txt" "$D/want-plain.txt" "... together holding what was sent"

# --- -G with -C: 2 s of 216-byte records, 1 ms apart; 100 KiB files
ok_cmd "analyzer with -G 1 -C 100k" start_analyzer ana -w "$D/cg-%H%M%S.pcap" -G 1 -C 100k \
	--stats "$S" -q
send --count 2000 --size 200 --snaplen 200 --ts-start $T0 --ts-step 1000000 --rate 20000 \
	--sent "$D/sent-cg.txt"
wait_until 5000 stats_reach "$S" .totals.records 2000
stop ana
s0=$(date -u -d @$((T0 / 1000000000)) +%H%M%S)
s1=$(date -u -d @$((T0 / 1000000000 + 1)) +%H%M%S)
# 24 + k * (16 + 200) > 102400 from k = 474 on: 474, 474, 52 records a second
is "$(cd "$D" && ls cg-* | sort | tr '\n' ' ')" \
	"cg-$s0.pcap cg-$s0.pcap1 cg-$s0.pcap2 cg-$s1.pcap cg-$s1.pcap1 cg-$s1.pcap2 " \
	"names: the interval's time, then a counter per -C file"
is "$(pcap_records "$D"/cg-$s0.pcap* | wc -l) $(pcap_records "$D"/cg-$s1.pcap* | wc -l)" \
	"1000 1000" "each interval holds its second of records (the -C files do not restart it)"
pcap_records $(ls "$D"/cg-* | sort) >"$D/got-cg.txt"
cut -d' ' -f1,2 "$D/sent-cg.txt" >"$D/want-cg.txt"
same_sets "$D/got-cg.txt" "$D/want-cg.txt" "... together holding what was sent"
done_testing
