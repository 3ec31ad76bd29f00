/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicap-gen --decode (gen/decode.c) on a capture file from memory: libpcap
 * reads it (pcap or pcapng), and every frame goes through the parser and
 * the sequence number search that dicap-gen's line for it needs.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/decode.h"
#include "gen/gen.h"

#define CHECK(cond)	do { if (!(cond)) abort(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *pc;
	FILE *f;
	int rc;

	if (sink == NULL)
		CHECK((sink = fopen("/dev/null", "w")) != NULL);
	if (size == 0)
		return 0;
	CHECK((f = fmemopen((void *)data, size, "r")) != NULL);
	pc = pcap_fopen_offline(f, ebuf);
	if (pc == NULL) {
		fclose(f);
		return 0;
	}
	rc = gen_decode_pcap(pc, sink, "fuzz input");
	CHECK(rc == GEN_EXIT_OK || rc == GEN_EXIT_FAIL);
	pcap_close(pc);
	return 0;
}
