# SPDX-License-Identifier: BSD-2-Clause
# What the dicap-gen tests share: the test mix and checks over
# `dicap-gen --decode` output.  Needs tests/lib/tap.sh and GEN (the binary).

# The mix both tests send: 11 parts, so each kind's expected share is w/11.
GEN_MIX=ipv4-tcp=5,ipv6-udp=2,vlan=1,icmp=1,frag=1,malformed=1

# gen_decode PCAP: one frame a line: seq len kind class ip_id src sport dst dport
gen_decode() {
	"$GEN" --decode "$1" | awk '!/^#/ { $1 = ""; sub(/^ /, ""); print }'
}

# gen_check_mix DECODED N PREFIX: each kind of GEN_MIX in DECODED (a
# gen_decode output of N frames) within 5 sd of its weight; fragment trains
# and alternating flows make the frames less independent, so 3 times the
# binomial variance.  One assertion a kind, named PREFIX "kind ...".
gen_check_mix() {
	local file=$1 n=$2 prefix=$3 kw re w got

	for kw in 'ipv4-tcp 5' 'ipv6-udp 2' 'vlan 1' 'ipv4-icmp|ipv6-icmp 1' \
	    'ipv4-frag|ipv6-frag 1' 'malformed 1'; do
		re=${kw% *} w=${kw##* }
		got=$(awk -v re="^($re)\$" '$3 ~ re' "$file" | wc -l)
		awk -v got="$got" -v n="$n" -v p="$w" 'BEGIN { p /= 11
			tol = 5 * sqrt(3 * n * p * (1 - p))
			exit !(got >= n * p - tol && got <= n * p + tol) }'
		ok $(($? == 0)) "${prefix}kind $re: $got of $n frames, weight $w of 11"
	done
}
