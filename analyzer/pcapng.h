/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pcapng blocks (draft-ietf-opsawg-pcapng): the section header, interface
 * description, enhanced packet and interface statistics blocks, encoded
 * into a caller's buffer.  Pure functions: no I/O, no allocation.
 *
 * Every block is written little-endian, whatever the host: the section
 * header's byte-order magic says so to readers, and a file is the same
 * bytes on every machine (the unit test compares them).  Timestamps are
 * in nanoseconds: each interface block carries if_tsresol 9.
 */
#ifndef ANA_PCAPNG_H
#define ANA_PCAPNG_H

#include <stddef.h>
#include <stdint.h>

#define PCAPNG_BT_SHB		0x0a0d0d0au
#define PCAPNG_BT_IDB		0x00000001u
#define PCAPNG_BT_ISB		0x00000005u
#define PCAPNG_BT_EPB		0x00000006u
#define PCAPNG_BYTE_ORDER_MAGIC	0x1a2b3c4du

#define PCAPNG_EPB_HDR_LEN	28	/* type, length, interface, time, lengths */
#define PCAPNG_EPB_TRAILER_MAX	7	/* padding to 4 bytes, the length again */
/* Longest option value taken: longer strings are cut (never a block > 64 KiB). */
#define PCAPNG_STR_MAX		1024
/* Bounds for a caller's buffer: a block with every string at PCAPNG_STR_MAX. */
#define PCAPNG_SHB_MAX		(28 + 4 + PCAPNG_STR_MAX + 4)
#define PCAPNG_IDB_MAX		(20 + 2 * (4 + PCAPNG_STR_MAX) + 8 + 4)
#define PCAPNG_ISB_MAX		(24 + 2 * 12 + 4 * 12 + 4 + PCAPNG_STR_MAX + 4)

/* What an interface statistics block tells; UINT64_MAX: left out. */
struct pcapng_isb {
	uint64_t time_ns;		/* when the statistics were taken */
	uint64_t start_ns;		/* isb_starttime */
	uint64_t end_ns;		/* isb_endtime */
	uint64_t ifrecv;		/* isb_ifrecv */
	uint64_t ifdrop;		/* isb_ifdrop */
	uint64_t osdrop;		/* isb_osdrop */
	uint64_t usrdeliv;		/* isb_usrdeliv */
	const char *comment;		/* opt_comment, NULL: none */
};

/*
 * Each returns the block's length, written at @buf, or 0 when it does not
 * fit in @len bytes.  @userappl, @name, @desc may be NULL (no option).
 */
size_t	pcapng_shb(uint8_t *buf, size_t len, const char *userappl);
size_t	pcapng_idb(uint8_t *buf, size_t len, uint16_t linktype, uint32_t snaplen,
	    const char *name, const char *desc);
size_t	pcapng_isb(uint8_t *buf, size_t len, uint32_t ifid, const struct pcapng_isb *);

/*
 * An enhanced packet block in three parts, so that the packet data can be
 * copied straight after the header: pcapng_epb_len() is the whole block's
 * length, pcapng_epb_hdr() writes PCAPNG_EPB_HDR_LEN bytes, and
 * pcapng_epb_trailer() the padding and closing length after the @caplen
 * bytes of data (it returns how many bytes it wrote).  No options.
 */
uint32_t	pcapng_epb_len(uint32_t caplen);
void	pcapng_epb_hdr(uint8_t *buf, uint32_t ifid, uint64_t ts_ns, uint32_t caplen,
	    uint32_t wirelen);
size_t	pcapng_epb_trailer(uint8_t *buf, uint32_t caplen);

#endif /* ANA_PCAPNG_H */
