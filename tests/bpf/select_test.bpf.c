/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * XDP test program: the shared parser and selection code, compiled for BPF
 * unchanged.  For each frame it parses, computes the bucket for the mode in
 * select_mode[0] and stores both in select_out[0]; tests/t_bpf_select.c
 * runs it with BPF_PROG_RUN and compares with userspace.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "dicap/select.h"

/* Shared with tests/t_bpf_select.c. */
struct select_out {
	__u32 cls;
	__u32 bucket;
	__u32 runs;		/* incremented on every run */
	__u32 mode;		/* the mode that was used */
	struct dicap_pkt pkt;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} select_mode SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct select_out);
} select_out SEC(".maps");

SEC("xdp")
int select_test(struct xdp_md *ctx)
{
	const void *data = (const void *)(long)ctx->data;
	const void *end = (const void *)(long)ctx->data_end;
	struct select_out *out;
	struct dicap_pkt pkt;
	__u32 key = 0;
	__u32 *mode;

	mode = bpf_map_lookup_elem(&select_mode, &key);
	out = bpf_map_lookup_elem(&select_out, &key);
	if (!mode || !out)
		return XDP_ABORTED;
	dicap_parse(data, end, &pkt);
	out->bucket = dicap_bucket((int)*mode, &pkt, data, end);
	out->cls = pkt.cls;
	out->mode = *mode;
	out->runs++;
	__builtin_memcpy(&out->pkt, &pkt, sizeof(pkt));
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
