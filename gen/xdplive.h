/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The xdp-live engine: BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES runs a
 * tiny XDP program @repeat times over copies of one frame and transmits each
 * copy (XDP_TX on the interface given as the ingress device).  The program
 * writes consecutive sequence numbers into the copies, spreads them over
 * flows by their source port and patches the checksums, so a batch is one
 * frame sent n times with numbers S..S+n-1.  xdplive_stamp() does the same
 * in userspace, for -w and --dry-run.
 */
#ifndef DICAP_GEN_XDPLIVE_H
#define DICAP_GEN_XDPLIVE_H

#include <stddef.h>
#include <stdint.h>

/*
 * The start of the frame, written back by every run: the kernel recycles a
 * frame's page after the receiver is done with it, and receivers change
 * headers in place (a VLAN tag moved into the skb moves the MAC addresses).
 */
#define XDPLIVE_HEAD	128

/*
 * Where the copies of a frame differ; the BPF program's map value.  Copy i
 * gets the number seq + i, the source port port_base + (seq + i) mod
 * nflows (TCP and UDP) and, with vary_id, the IPv4 ID (seq + i) mod 65536;
 * the checksums are patched to match.  An offset of 0 leaves a field alone.
 */
struct xdplive_tmpl {
	uint32_t seq;
	uint32_t seq_off;
	uint32_t csum_off;	/* L4 checksum */
	uint32_t csum_base;	/* one's complement sum of what stays */
	uint32_t port_off;
	uint32_t port_base;
	uint32_t nflows;
	uint32_t id_off;
	uint32_t ipcsum_off;
	uint32_t ipcsum_base;
	uint32_t head_len;	/* bytes of head[] written back each run */
	uint8_t head[XDPLIVE_HEAD];
};

struct xdplive;

/* The fields of @frame copies may vary in: @nflows source ports, the ID if @vary_id. */
void	xdplive_template(const uint8_t *frame, size_t len, uint32_t nflows, int vary_id,
	    struct xdplive_tmpl *t);
/* Writes @seq into @frame (a copy of the template) as the program does. */
void	xdplive_stamp(uint8_t *frame, size_t len, const struct xdplive_tmpl *t,
	    uint32_t seq);

/*
 * Loads the program and asks the kernel whether it runs live frames in from
 * @ifindex: a one-frame run of a program that drops it, so nothing is sent.
 * NULL and the cause in @err if not (some kernels refuse, with EPERM).
 */
struct xdplive *xdplive_open(int ifindex, char *err, size_t errlen);
/* Sends @repeat copies of @frame numbered from t->seq. */
int	xdplive_send(struct xdplive *x, const uint8_t *frame, size_t len,
	    const struct xdplive_tmpl *t, unsigned repeat, char *err, size_t errlen);
void	xdplive_close(struct xdplive *x);

#endif /* DICAP_GEN_XDPLIVE_H */
