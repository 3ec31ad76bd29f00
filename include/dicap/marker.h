/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef DICAP_MARKER_H
#define DICAP_MARKER_H

#include <linux/types.h>

#define DICAP_MARKER_TOKEN_LEN	16

/*
 * Round-robin marker frame (docs/protocol.md, "Marker frames"): untagged
 * Ethernet, EtherType 0x88B5 (IEEE 802 local experimental 1), then
 * "DCMK", the epoch (u32, network order) and the DICAP_MARKER_TOKEN_LEN-byte token the
 * coordinator sent in that epoch's TOPOLOGY.  38 bytes, then the marker's
 * sequence number (u32, network order; 0 from a sender that predates it),
 * padded to 60.  With DICAP_MARKER_SEQ_REPORT set in it, each node keeps
 * the frames it counted since the previous such marker for its next
 * heartbeat (round-robin drift detection, docs/design.md).  The sequence
 * number is outside what the token vouches for: it only names the marker
 * in the nodes' reports, and a host that can replay markers can already
 * reset C.
 */
#define DICAP_MARKER_ETHERTYPE	0x88b5
#define DICAP_MARKER_MAGIC	0x44434d4bu	/* "DCMK" */
#define DICAP_MARKER_OFF_MAGIC	14
#define DICAP_MARKER_OFF_EPOCH	18
#define DICAP_MARKER_OFF_TOKEN	22
#define DICAP_MARKER_LEN	38
#define DICAP_MARKER_OFF_SEQ	38
#define DICAP_MARKER_SEQ_END	42	/* a frame this long carries the sequence number */
#define DICAP_MARKER_SEQ_REPORT	0x80000000u	/* report the frames counted up to here */
#define DICAP_MARKER_FRAME_LEN	60	/* padded to the Ethernet minimum */

/*
 * Build a marker frame (for the coordinator's injector and the tests):
 * broadcast destination, @src_mac, the epoch, the token and @seq, zero
 * padding.  Fills DICAP_MARKER_FRAME_LEN bytes of @f and returns that length.
 */
static inline __u32 dicap_marker_build(__u8 *f, const __u8 *src_mac, __u32 epoch,
				       const __u8 *token, __u32 seq)
{
	__u32 i;

	for (i = 0; i < DICAP_MARKER_FRAME_LEN; i++)
		f[i] = 0;
	for (i = 0; i < 6; i++) {
		f[i] = 0xff;
		f[6 + i] = src_mac[i];
	}
	f[12] = DICAP_MARKER_ETHERTYPE >> 8;
	f[13] = DICAP_MARKER_ETHERTYPE & 0xff;
	for (i = 0; i < 4; i++) {
		f[DICAP_MARKER_OFF_MAGIC + i] = (__u8)(DICAP_MARKER_MAGIC >> (24 - 8 * i));
		f[DICAP_MARKER_OFF_EPOCH + i] = (__u8)(epoch >> (24 - 8 * i));
		f[DICAP_MARKER_OFF_SEQ + i] = (__u8)(seq >> (24 - 8 * i));
	}
	for (i = 0; i < DICAP_MARKER_TOKEN_LEN; i++)
		f[DICAP_MARKER_OFF_TOKEN + i] = token[i];
	return DICAP_MARKER_FRAME_LEN;
}

#endif /* DICAP_MARKER_H */
