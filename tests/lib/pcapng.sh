# SPDX-License-Identifier: BSD-2-Clause
# Checks of dicap-analyzer's pcapng files (tests/analyzer/t10,
# tests/xdp/t62), through tests/tools/dicap-pcapnginfo (the blocks,
# strictly), tshark and capinfos.  Needs DICAP_TOOLS and tap.sh's diag.

NGINFO=${DICAP_TOOLS:?}/dicap-pcapnginfo

# ng_records FILE...: "SEC.NSEC FRAMESEQ 0xNODEID" per frame in file order,
# the node from the frame's interface name, through tshark; FRAMESEQ is the
# number after "DCAP" at the start of the UDP payload, -1 if none.
ng_records() {
	local f

	for f in "$@"; do
		tshark -r "$f" -T fields -e frame.interface_name -e frame.time_epoch \
		    -e udp.payload 2>/dev/null
	done | awk -F'\t' '
	function hexval(s,    i, v) {
		v = 0
		for (i = 1; i <= length(s); i++)
			v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v
	}
	{
		n = $1
		sub(/^node-/, "", n)
		seq = substr($3, 1, 8) == "44434150" ? hexval(substr($3, 9, 8)) : -1
		print $2, seq, (n == "" ? "none" : n)
	}'
}

# ng_valid FILE: dicap-pcapnginfo reads it whole and it is one section;
# its block list in FILE.blocks.
ng_valid() {
	local err

	err=$("$NGINFO" "$1" 2>&1 >"$1.blocks") || { diag "$1: $err"; return 1; }
	[ "$(grep -c '^shb ' "$1.blocks")" = 1 ] && [ "$(head -n 1 "$1.blocks" | cut -c1-3)" = shb ] ||
		{ diag "$1: not one section"; return 1; }
}

# ng_rotated_ok FILE...: each valid; each interface described once, used,
# with one statistics block: the interfaces are the nodes of its frames;
# capinfos reads it.
ng_rotated_ok() {
	local f bad=0 want got

	for f in "$@"; do
		ng_valid "$f" || { bad=$((bad + 1)); continue; }
		want=$(awk '$1 == "epb" { print $2 }' "$f.blocks" | sort -u | tr '\n' ' ')
		got=$(awk '$1 == "idb" { print $2 }' "$f.blocks" | sort | tr '\n' ' ')
		[ "$want" = "$got" ] ||
			{ diag "$f: packets of interfaces $want, described $got"; bad=$((bad + 1)); }
		got=$(awk '$1 == "isb" { print $2 }' "$f.blocks" | sort | tr '\n' ' ')
		[ "$want" = "$got" ] ||
			{ diag "$f: statistics of $got, interfaces $want"; bad=$((bad + 1)); }
		awk '$1 == "idb" { print $6 }' "$f.blocks" | sort | uniq -d | grep -q . &&
			{ diag "$f: a node described twice"; bad=$((bad + 1)); }
		capinfos "$f" >/dev/null 2>&1 || { diag "capinfos $f failed"; bad=$((bad + 1)); }
	done
	return $((bad != 0))
}

# ng_isb_vs_stats BLOCKS STATS ID: node ID's statistics block in BLOCKS (a
# dicap-pcapnginfo listing) against the analyzer's JSON statistics: prints
# nothing when received, not written, written and lost batches agree, else
# what differs.
ng_isb_vs_stats() {
	local blocks=$1 stats=$2 id=$3 ifc line got want

	ifc=$(awk -v n="name=node-$id" '$1 == "idb" && $6 == n { print $2 }' "$blocks")
	line=$(awk -v i="$ifc" '$1 == "isb" && $2 == i' "$blocks")
	got=$(printf '%s\n' "$line" | sed -n 's/.* recv=\([0-9-]*\) ifdrop=\([0-9-]*\) osdrop=\([0-9-]*\) usrdeliv=\([0-9-]*\) .* \([0-9]*\) batches lost.*/\1 \2 \3 \4 \5/p')
	want=$(jq -r ".nodes[] | select(.id == \"$id\") |
	    \"\(.records) - \(.linktype_mismatch) \(.written) \(.gaps)\"" "$stats")
	[ -n "$got" ] && [ "$got" = "$want" ] ||
		echo "node $id: statistics block '$got', analyzer '$want' ($line)"
}
