/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The testbed's XDP mirror (tests/testbed.sh, TB_MIRROR=xdp; loaded by
 * tests/tools/dicap-mirror.c): attached natively to the switch's ingress
 * ports, it broadcasts every frame to every node port in mirror_ports.
 * The copies reach the nodes as xdp_frames, so a node's native XDP program
 * sees a frame before any sk_buff exists, as behind a NIC's DMA ring.
 *
 * The ingress ports are not in the map; BPF_F_EXCLUDE_INGRESS keeps a
 * frame from going back out of its own port should one ever be added.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);		/* ifindex */
	__type(value, __u32);		/* the same ifindex */
} mirror_ports SEC(".maps");

SEC("xdp")
int dicap_mirror(struct xdp_md *ctx)
{
	(void)ctx;
	return bpf_redirect_map(&mirror_ports, 0,
				BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
