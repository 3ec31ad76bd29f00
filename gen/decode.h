/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * --decode on an open capture: apart from gen_decode() (gen.h) so that
 * tests/fuzz/fuzz_gendecode.c feeds it captures from memory.
 */
#ifndef GEN_DECODE_H
#define GEN_DECODE_H

#include <stdio.h>

struct pcap;

/*
 * One line per frame of @pc into @out; @name names the capture in errors
 * (on stderr).  GEN_EXIT_OK, or GEN_EXIT_FAIL for a capture that is not
 * Ethernet or that libpcap cannot read to the end.
 */
int	gen_decode_pcap(struct pcap *pc, FILE *out, const char *name);

#endif /* GEN_DECODE_H */
