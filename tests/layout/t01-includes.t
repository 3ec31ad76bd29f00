#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The include rule (docs/design.md, "Source tree"):
# - include/ holds every contract between components and builds without
#   libc: it includes only <linux/...>, <asm/...> and its own headers;
# - lib/ includes only lib/ and include/;
# - a program folder includes only its own headers, lib/ and include/;
# - kmod/ (both datapaths) includes only its own headers and include/;
# - nothing includes "../".
# A quoted include is resolved as the compiler does with the project's
# flags: the including file's folder first, then the folders it may see.
. "$(dirname "$0")/../lib/tap.sh"
cd "$(dirname "$0")/../.." || exit 1

# folder -> the folders its quoted includes may resolve in (besides its own)
declare -A SEES=(
	[include/dicap]=""
	[lib]="include"
	[coord]="lib include"
	[node/dicapd]="lib include build/bpf"
	[node/dicapctl]="lib include"
	[analyzer]="lib include"
	[gen]="lib include"
	[pcap-dicap]="lib include"
	[kmod/xdp]="include"
	[kmod/linux]="include"
)

plan $((${#SEES[@]} + 2))

dotdot=$(git grep -n '#include "\.\./' -- '*.c' '*.h' 2>/dev/null)
ok $([ -z "$dotdot" ] && echo 1 || echo 0) 'no file includes "../"' || diag "$dotdot"

# include/: no libc, only kernel UAPI types and its own headers.
bad=$(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*<' include/dicap/*.h |
	grep -v '<linux/[a-z0-9_]*\.h>' | grep -v '<asm/[a-z0-9_]*\.h>')
ok $([ -z "$bad" ] && echo 1 || echo 0) "include/ uses no libc header" || diag "$bad"

for dir in $(printf '%s\n' "${!SEES[@]}" | sort); do
	bad=
	for f in "$dir"/*.[ch]; do
		[ -e "$f" ] || continue
		while IFS= read -r inc; do
			found=
			for d in "$dir" ${SEES[$dir]}; do
				if [ -e "$d/$inc" ]; then
					found=$d
					break
				fi
			done
			# The skeleton header is generated at build time; the
			# libpcap module is compiled inside libpcap's own tree.
			[ -z "$found" ] && [ "$dir" = node/dicapd ] && [[ "$inc" == *.skel.h ]] && found=build/bpf
			[ -z "$found" ] && [ "$dir" = pcap-dicap ] && [ "$inc" = pcap-int.h ] && found=libpcap
			[ -n "$found" ] || bad="$bad$f: \"$inc\" is not in $dir ${SEES[$dir]}"$'\n'
		done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
	done
	ok $([ -z "$bad" ] && echo 1 || echo 0) "$dir includes only from: $dir ${SEES[$dir]}" ||
		diag "$bad"
done

done_testing
