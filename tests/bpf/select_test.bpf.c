/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * XDP test program: the shared parser and selection code, compiled for BPF
 * unchanged.  For each frame it calls dicap_frame_bucket() with the mode
 * and selection flags in select_mode[0] and dicap_parse(), the two halves
 * of dicap_select_bucket(), and stores the bucket and the outer parse in
 * select_out[0]; tests/t_bpf_select.c runs it with BPF_PROG_RUN and
 * compares with userspace's dicap_select_bucket().
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "dicap/select.h"

/* Shared with tests/t_bpf_select.c. */
struct select_in {
	__u32 mode;
	__u32 sel_flags;
};

struct select_out {
	__u32 cls;
	__u32 bucket;
	__u32 runs;		/* incremented on every run */
	__u32 mode;		/* the mode that was used */
	__u32 sel_flags;	/* and the flags */
	struct dicap_pkt pkt;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct select_in);
} select_mode SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct select_out);
} select_out SEC(".maps");

/*
 * The outer parse in a subprogram of its own, from fresh frame pointers:
 * inlined after the selection, the verifier would walk the parser once
 * per way the selection ends (over its million-instruction limit).
 */
static __attribute__((noinline)) int outer_parse(struct xdp_md *ctx, struct dicap_pkt *p)
{
	const void *data = (const void *)(long)ctx->data;
	const void *end = (const void *)(long)ctx->data_end;

	return dicap_parse(data, end, p);
}

SEC("xdp")
int select_test(struct xdp_md *ctx)
{
	const void *data = (const void *)(long)ctx->data;
	const void *end = (const void *)(long)ctx->data_end;
	struct select_out *out;
	struct select_in *in;
	struct dicap_pkt pkt;
	__u32 key = 0;

	in = bpf_map_lookup_elem(&select_mode, &key);
	out = bpf_map_lookup_elem(&select_out, &key);
	if (!in || !out)
		return XDP_ABORTED;
	out->bucket = dicap_frame_bucket((int)in->mode, in->sel_flags, data, end);
	out->cls = (__u32)outer_parse(ctx, &pkt);
	out->mode = in->mode;
	out->sel_flags = in->sel_flags;
	out->runs++;
	__builtin_memcpy(&out->pkt, &pkt, sizeof(pkt));
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
