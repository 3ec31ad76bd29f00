/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Faults for the end-to-end tests, as tc direct-action programs (cls_bpf;
 * this kernel has neither act_gact nor netem), attached with
 *	tc filter add dev DEV egress bpf direct-action obj faults.bpf.o sec SEC
 *
 * tc/drop_seq	drops the one frame that dicap-gen numbered FAULT_DROP_SEQ
 *		(lib/framegen.h: "DCAP" and a big-endian sequence number at
 *		the start of the L4 payload), untagged IPv4/UDP only: a node's
 *		mirror port missing one frame (tests/xdp/t51-rr-drift.t).
 * tc/loss10, tc/loss30
 *		drop 10 % or 30 % of the frames at random: a lossy
 *		management network.
 * tc/cut_node1	drops every IPv4 packet from or to 198.19.0.11, node1's
 *		management address in tests/testbed.sh: on the coordinator's
 *		management port, node1 is cut off from the coordinator and
 *		still reaches the analyzer.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define FAULT_DROP_SEQ	20000
#define FAULT_SEQ_OFF	(14 + 20 + 8)	/* Ethernet, IPv4 without options, UDP */

SEC("tc/drop_seq")
int fault_drop_seq(struct __sk_buff *skb)
{
	__u8 b[8];

	if (bpf_skb_load_bytes(skb, FAULT_SEQ_OFF, b, sizeof(b)) != 0)
		return TC_ACT_OK;
	if (b[0] != 'D' || b[1] != 'C' || b[2] != 'A' || b[3] != 'P')
		return TC_ACT_OK;
	if (((__u32)b[4] << 24 | (__u32)b[5] << 16 | (__u32)b[6] << 8 | b[7]) != FAULT_DROP_SEQ)
		return TC_ACT_OK;
	return TC_ACT_SHOT;
}

static __always_inline int lose(__u32 percent)
{
	return bpf_get_prandom_u32() % 100 < percent ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("tc/loss10")
int fault_loss10(struct __sk_buff *skb)
{
	(void)skb;
	return lose(10);
}

SEC("tc/loss30")
int fault_loss30(struct __sk_buff *skb)
{
	(void)skb;
	return lose(30);
}

#define FAULT_NODE1_IP	0xc613000bu	/* 198.19.0.11 */

SEC("tc/cut_node1")
int fault_cut_node1(struct __sk_buff *skb)
{
	__u8 b[8];
	__u32 src, dst;

	if (skb->protocol != bpf_htons(ETH_P_IP) ||
	    bpf_skb_load_bytes(skb, 14 + 12, b, sizeof(b)) != 0)
		return TC_ACT_OK;
	src = (__u32)b[0] << 24 | (__u32)b[1] << 16 | (__u32)b[2] << 8 | b[3];
	dst = (__u32)b[4] << 24 | (__u32)b[5] << 16 | (__u32)b[6] << 8 | b[7];
	return src == FAULT_NODE1_IP || dst == FAULT_NODE1_IP ? TC_ACT_SHOT : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
