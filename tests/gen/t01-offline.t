#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# dicap-gen without a network: --help, option errors and their exit status,
# and the frames themselves, written with --dry-run -w and read back with
# --decode (DiCAP's own parser) and tshark:
# - the same seed gives the same file, another seed another file;
# - sequence numbers run from --seq-start, one per frame, in order;
# - the kinds of a mix come in the asked proportions;
# - --size: every frame as long as asked, or its kind's minimum;
# - --ipid seq / zero / mostly-zero / random;
# - --flows N: N flows, each seen in both directions;
# - -r replays a file frame for frame (--loop, runts padded to 60 bytes);
#   a file cut short is an error, and what was written before it stays;
# - --engine xdp-live numbers copies in turn, spreads them over ports and
#   keeps the checksums right.
# Only the "not root" check needs root (to drop it); it is skipped without.
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/tests/lib/tap.sh"
. "$REPO/tests/gen/lib.sh"

GEN=${DICAP_BIN:-$REPO/build/plain/bin}/dicap-gen
[ -x "$GEN" ] || bail_out "$GEN is not built (make programs)"
for tool in tshark tcpdump jq; do
	command -v $tool >/dev/null || skip_all "$tool is not installed"
done

DIR=$(mktemp -d /tmp/dicap-gen-t01.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
plan no_plan

# run_gen NAME ARGS...: exit status in RC, stderr in $DIR/NAME.err
run_gen() {
	local name=$1
	shift
	"$GEN" "$@" >"$DIR/$name.out" 2>"$DIR/$name.err"
	RC=$?
}

# usage_error MSG-REGEX ARGS...: exit 2 and a message matching MSG-REGEX
usage_error() {
	local re=$1
	shift
	run_gen usage "$@"
	grep -Eq -- "$re" "$DIR/usage.err"
	ok $((RC == 2 && $? == 0)) "exit 2 and a clear message for: $*" ||
		diag "exit $RC: $(cat "$DIR/usage.err")"
}

# --- help
run_gen help --help
ok $((RC == 0)) "--help exits 0"
missing=
for word in --interface --write --dry-run --read --loop --count --duration --rate \
	--batch --engine --no-bypass --cpu --size --mix --flows --ipid --seq-start --seed \
	--verbose --quiet --json --decode ipv4-tcp ipv4-udp ipv4-sctp ipv4-icmp ipv6-tcp \
	ipv6-udp ipv6-sctp ipv6-icmp vlan qinq ipv4-frag ipv6-frag ipv4-opt ipv6-ext \
	malformed arp mostly-zero 'Exit status'; do
	grep -q -- "$word" "$DIR/help.out" || missing="$missing $word"
done
is "$missing" "" "--help documents every option, kind and the exit status"

# --- option errors (no traffic: these all fail before opening a socket)
usage_error 'no interface' -c 1
usage_error 'dry-run needs -w' --dry-run -c 1
usage_error "--rate: 'fast' is not a valid number" -i lo --rate fast
usage_error '--size' -i lo --size 59
usage_error '--size' -i lo --size 9217
usage_error '--size' -i lo --size 100-80
usage_error "unknown kind 'bogus'" -i lo --mix ipv4-tcp=1,bogus=2
usage_error "bad weight" -i lo --mix tcp=x
usage_error "bad weight" -i lo --mix "tcp= 5"
usage_error "bad weight" -i lo --mix tcp=0x1p3
usage_error "bad weight" -i lo --mix tcp=+2
usage_error "weight above 1e9" -i lo --mix ipv4-tcp=600000000,ipv4-tcp=600000000
usage_error "no kind with a weight above 0" -i lo --mix tcp=0
usage_error "--ipid: 'odd'" -i lo --ipid odd
usage_error '--flows: must be at least 1' -i lo --flows 0
usage_error '--batch' -i lo --batch 0
usage_error '--batch' -i lo --batch 2000
usage_error "--engine: 'dpdk'" -i lo --engine dpdk
usage_error 'do not go with -r' -i lo -r /dev/null --mix tcp
usage_error '--loop only applies to -r' -i lo --loop 2
usage_error "unexpected argument 'extra'" -i lo extra
usage_error 'bad option' -i lo --no-such-option
usage_error 'both write to stdout' --dry-run -w - --json
usage_error 'xdp-live frames must fit in a page' -i lo --engine xdp-live --size 4000
usage_error '--batch: at most 1024' -i lo --batch 5000

run_gen noif -i dgnosuch0 -c 1
grep -q 'no interface dgnosuch0' "$DIR/noif.err"
ok $((RC == 1 && $? == 0)) "a missing interface: exit 1 and a clear message" ||
	diag "exit $RC: $(cat "$DIR/noif.err")"

if [ "$(id -u)" = 0 ]; then
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		--bounding-set=-all "$GEN" -i lo -c 1 2>"$DIR/noroot.err"
	RC=$?
	grep -q 'needs root or CAP_NET_RAW' "$DIR/noroot.err"
	ok $((RC == 1 && $? == 0)) "not root: exit 1, and it says it needs root or CAP_NET_RAW" ||
		diag "exit $RC: $(cat "$DIR/noroot.err")"
else
	ok 1 "# SKIP dropping root needs root"
fi

# --- determinism
MIX=$GEN_MIX
N=6000
run_gen a --dry-run -w "$DIR/a.pcap" --mix $MIX -c $N --seed 7 --flows 16 -q
ok $((RC == 0)) "dry run writes $N frames"
run_gen b --dry-run -w "$DIR/b.pcap" --mix $MIX -c $N --seed 7 --flows 16 -q
tcpdump -n -r "$DIR/a.pcap" -xx 2>/dev/null | grep -v '^[0-9]' >"$DIR/a.hex"
tcpdump -n -r "$DIR/b.pcap" -xx 2>/dev/null | grep -v '^[0-9]' >"$DIR/b.hex"
ok_cmd "the same seed gives the same frames" cmp -s "$DIR/a.hex" "$DIR/b.hex"
run_gen c --dry-run -w "$DIR/c.pcap" --mix $MIX -c $N --seed 8 --flows 16 -q
tcpdump -n -r "$DIR/c.pcap" -xx 2>/dev/null | grep -v '^[0-9]' >"$DIR/c.hex"
cmp -s "$DIR/a.hex" "$DIR/c.hex"
ok $(($? != 0)) "another seed gives other frames"

# --- sequence numbers and kinds
gen_decode "$DIR/a.pcap" >"$DIR/a.txt"
is "$(wc -l <"$DIR/a.txt")" $N "the file holds $N frames"
is "$(awk '$1 != NR - 1' "$DIR/a.txt" | wc -l)" 0 "sequence numbers 0..$((N - 1)), in order"
run_gen s --dry-run -w "$DIR/s.pcap" -c 100 --seq-start 4294967290 -q
is "$(gen_decode "$DIR/s.pcap" | awk 'NR == 1 || NR == 7 || NR == 100 { printf "%s ", $1 }')" \
	"4294967290 0 93 " "--seq-start 4294967290: the sequence number wraps to 0"

gen_check_mix "$DIR/a.txt" "$N" ""
is "$(awk '$3 == "malformed" && $4 != "malformed" && $4 != "truncated"' "$DIR/a.txt" | wc -l)" 0 \
	"every malformed frame is MALFORMED or TRUNCATED to DiCAP's parser"
is "$(tshark -n -r "$DIR/a.pcap" -Y 'ipv6.fraghdr' 2>/dev/null | wc -l)" \
	"$(awk '$3 == "ipv6-frag"' "$DIR/a.txt" | wc -l)" \
	"tshark sees as many IPv6 fragments as --decode"
is "$(tshark -n -r "$DIR/a.pcap" -Y 'vlan && !(vlan.etype == 0x8100)' 2>/dev/null | wc -l)" \
	"$(awk '$3 == "vlan"' "$DIR/a.txt" | wc -l)" \
	"tshark sees as many single-tagged frames as --decode"

# --- both directions of every flow (malformed frames may hide addresses)
awk '$3 != "malformed" { print $6, $8 }' "$DIR/a.txt" | sort -u >"$DIR/pairs"
awk '{ print $2, $1 }' "$DIR/pairs" | sort -u >"$DIR/rpairs"
ok_cmd "every address pair is also seen reversed" cmp -s "$DIR/pairs" "$DIR/rpairs"
is "$(awk '$1 ~ /^198\.18\./' "$DIR/pairs" | wc -l)" 16 "--flows 16: 16 IPv4 client addresses"
is "$(awk '$1 ~ /^2001:db8:1::/' "$DIR/pairs" | wc -l)" 16 "--flows 16: 16 IPv6 client addresses"
run_gen f1 --dry-run -w "$DIR/f1.pcap" -c 10 --flows 1 --mix ipv4-udp -q
is "$(gen_decode "$DIR/f1.pcap" | awk '{ printf "%s>%s ", $6, $8 }' | cut -d' ' -f1-3)" \
	"198.18.0.1>198.19.0.1 198.19.0.1>198.18.0.1 198.18.0.1>198.19.0.1" \
	"--flows 1: the directions alternate"

# --- sizes: as asked; a kind that cannot be that short at its minimum
# (at most 90 bytes, malformed frames 126); from 128 bytes on, exact
for size in 64 72 128 256 512 1500; do
	run_gen sz --dry-run -w "$DIR/sz.pcap" --mix all -c 3000 --size $size -q
	bad=$(gen_decode "$DIR/sz.pcap" | awk -v s=$size '
		{ max = $3 == "malformed" ? 126 : 90; if (max < s) max = s }
		$2 < s || $2 > max || (s >= 128 && $2 != s) { bad++ }
		END { print bad + 0 }')
	is "$bad" 0 "--size $size: every frame $size bytes, or its kind's minimum"
done
run_gen szr --dry-run -w "$DIR/szr.pcap" --mix ipv4-udp -c 2000 --size 100-200 -q
is "$(tshark -n -r "$DIR/szr.pcap" -T fields -e frame.len 2>/dev/null |
	awk '$1 < 100 || $1 > 200 { bad++ } !seen[$1]++ { n++ } END { print bad + 0, (n > 90) }')" \
	"0 1" "--size 100-200: lengths spread over the range"

# --- IP ID
ipids() {	# ipids MODE: "seq ip_id" of unfragmented IPv4 frames
	run_gen id --dry-run -w "$DIR/id.pcap" --mix ipv4-tcp,ipv4-udp,ipv4-frag -c 4000 \
		--ipid "$1" -q
	gen_decode "$DIR/id.pcap" | awk '$3 == "ipv4-tcp" || $3 == "ipv4-udp" { print $1, $5 }'
}
is "$(ipids seq | awk '$2 != $1 % 65536' | wc -l)" 0 "--ipid seq: IP ID = sequence number mod 65536"
ipids zero >/dev/null
is "$(tshark -n -r "$DIR/id.pcap" -T fields -e ip.id 2>/dev/null | sort -u)" "0x0000" \
	"--ipid zero: every IPv4 ID is 0 (tshark)"
ipids mostly-zero >"$DIR/mz"
zero=$(awk '$2 == 0' "$DIR/mz" | wc -l)
all=$(wc -l <"$DIR/mz")
ok $((zero * 100 >= all * 87 && zero * 100 <= all * 93)) \
	"--ipid mostly-zero: $zero of $all unfragmented IPv4 IDs are 0 (~90%)"
is "$(tshark -n -r "$DIR/id.pcap" -Y 'ip.flags.mf == 1 || ip.frag_offset > 0' -T fields -e ip.id \
	2>/dev/null | grep -c '^0x0000$')" 0 "--ipid mostly-zero: fragments never have ID 0"
ipids random >"$DIR/rnd"
ok $(($(awk '{ print $2 }' "$DIR/rnd" | sort -u | wc -l) > $(wc -l <"$DIR/rnd") * 9 / 10)) \
	"--ipid random: IDs nearly all distinct"

# --- replay
run_gen r1 --dry-run -r "$DIR/a.pcap" -w "$DIR/r1.pcap" -q
tcpdump -n -r "$DIR/r1.pcap" -xx 2>/dev/null | grep -v '^[0-9]' >"$DIR/r1.hex"
ok_cmd "-r replays the file frame for frame" cmp -s "$DIR/a.hex" "$DIR/r1.hex"
run_gen r2 --dry-run -r "$DIR/a.pcap" -w "$DIR/r2.pcap" --loop 2 -c 7000 -q --json
is "$(jq -r .packets "$DIR/r2.out"),$(gen_decode "$DIR/r2.pcap" | awk 'NR == 6001 { print $1 }')" \
	"7000,0" "--loop 2 -c 7000: starts again from the first frame, stops at 7000"
# A 42-byte ARP frame (no padding), in a hand-made pcap file.
{
	printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00'
	printf '\xff\xff\x00\x00\x01\x00\x00\x00'
	printf '\x00\x00\x00\x00\x00\x00\x00\x00\x2a\x00\x00\x00\x2a\x00\x00\x00'
	printf '\xff\xff\xff\xff\xff\xff\x02\x00\xc6\x12\x00\x01\x08\x06'
	printf '\x00\x01\x08\x00\x06\x04\x00\x01\x02\x00\xc6\x12\x00\x01\xc6\x12\x00\x01'
	printf '\x00\x00\x00\x00\x00\x00\xc6\x13\x00\x01'
} >"$DIR/runt.pcap"
run_gen runt --dry-run -r "$DIR/runt.pcap" -w "$DIR/runt-out.pcap"
is "$(tshark -n -r "$DIR/runt-out.pcap" -T fields -e frame.len -e arp.opcode 2>/dev/null)" \
	"60	1" "a 42-byte frame is replayed padded to 60 bytes" ||
	diag "$(cat "$DIR/runt.err")"
run_gen badr --dry-run -r "$DIR/nonexistent.pcap" -w "$DIR/x.pcap"
grep -q 'cannot read .*nonexistent.pcap' "$DIR/badr.err"
ok $((RC == 1 && $? == 0)) "-r of a missing file: exit 1 and a clear message" ||
	diag "exit $RC: $(cat "$DIR/badr.err")"
# A file cut in the middle of its 40th frame: a read error after whole batches.
run_gen cut --dry-run -w "$DIR/cut-src.pcap" -c 100 --size 64 -q
head -c $((24 + 39 * (16 + 64) + 50)) "$DIR/cut-src.pcap" >"$DIR/cut.pcap"
run_gen cutr --dry-run -r "$DIR/cut.pcap" -w "$DIR/cut-out.pcap"
grep -q 'cut.pcap: truncated dump file' "$DIR/cutr.err"
ok $((RC == 1 && $? == 0)) "-r of a file cut short: exit 1 and the file named" ||
	diag "exit $RC: $(cat "$DIR/cutr.err")"
is "$(tcpdump -n -r "$DIR/cut-out.pcap" 2>/dev/null | wc -l)" 32 \
	"-r of a file cut short: -w holds the whole batch before the error"
secs=$(sed -n 's/^dicap-gen: wrote 32 frames, 2048 bytes in \([0-9.]*\) s: .*/\1/p' "$DIR/cutr.err")
ok "$(awk -v s="$secs" 'BEGIN { print (s != "" && s >= 0 && s < 10) }')" \
	"-r of a file cut short: the summary says 32 frames in $secs s, not a wrapped time" ||
	diag "$(cat "$DIR/cutr.err")"
run_gen cutj --dry-run -r "$DIR/cut.pcap" -w "$DIR/cut-out.pcap" --json
is "$(jq -r '.packets, (.elapsed_s < 10)' "$DIR/cutj.out" | paste -sd ' ')" "32 true" \
	"-r of a file cut short, --json: 32 packets in less than 10 s"

# --- xdp-live, as its dry run shows: batches of copies, numbered in turn
run_gen xl --dry-run -w "$DIR/xl.pcap" --engine xdp-live --batch 100 -c 1000 --flows 8 \
	--mix ipv4-udp --ipid seq -q
gen_decode "$DIR/xl.pcap" >"$DIR/xl.txt"
is "$(awk '$1 != NR - 1' "$DIR/xl.txt" | wc -l),$(wc -l <"$DIR/xl.txt")" "0,1000" \
	"xdp-live dry run: 1000 frames numbered 0..999"
is "$(awk '{ print int($1 / 100), $6, $8 }' "$DIR/xl.txt" | sort -u | wc -l)" 10 \
	"xdp-live: one pair of hosts per batch of 100"
is "$(awk '$1 < 100 { print $7 }' "$DIR/xl.txt" | sort -u | wc -l)" 8 \
	"xdp-live: a batch spread over --flows 8 source ports"
is "$(awk '$5 != $1 % 65536' "$DIR/xl.txt" | wc -l)" 0 "xdp-live --ipid seq: ID = number"
is "$(tshark -n -r "$DIR/xl.pcap" -o udp.check_checksum:TRUE -o ip.check_checksum:TRUE \
	-Y 'udp.checksum.status != 1 || ip.checksum.status != 1' 2>/dev/null | wc -l)" 0 \
	"xdp-live: every UDP and IP checksum right (tshark)"

# --- JSON
run_gen js --dry-run -w "$DIR/js.pcap" -c 500 --json --mix all
is "$(jq -r '[.packets, .send_errors, .seq_first, .seq_next, ([.kinds[]] | add)] | join(" ")' \
	"$DIR/js.out")" "500 0 0 500 500" "--json: packets, errors, sequence numbers, kinds"

done_testing
