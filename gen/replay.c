/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Replay of a capture file: frames as they are, in file order, read with
 * libpcap (pcap and pcapng).  Only Ethernet captures make sense on an
 * Ethernet interface.  Frames shorter than the Ethernet minimum are padded
 * with zeros, as a real link would (AF_PACKET delivers runts badly).
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "framegen.h"
#include "gen.h"

struct replay {
	pcap_t *pcap;
	char *path;
	unsigned loops;			/* passes left after this one */
	int forever;			/* --loop 0 */
	uint64_t in_pass;		/* frames read in this pass */
	uint64_t skipped, padded, truncated;
};

static pcap_t *
open_file(const char *path, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;
	int dlt;

	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO,
	    ebuf);
	if (!p) {
		snprintf(err, errlen, "cannot read %s: %s", path, ebuf);
		return NULL;
	}
	dlt = pcap_datalink(p);
	if (dlt != DLT_EN10MB) {
		snprintf(err, errlen,
		    "%s: link type %s, only Ethernet (EN10MB) can be replayed", path,
		    pcap_datalink_val_to_name(dlt) ?
		    pcap_datalink_val_to_name(dlt) : "?");
		pcap_close(p);
		return NULL;
	}
	return p;
}

struct replay *
replay_open(const char *path, unsigned loops, char *err, size_t errlen)
{
	struct replay *r = calloc(1, sizeof(*r));

	if (!r || !(r->path = strdup(path))) {
		snprintf(err, errlen, "out of memory");
		free(r);
		return NULL;
	}
	r->pcap = open_file(path, err, errlen);
	if (!r->pcap) {
		free(r->path);
		free(r);
		return NULL;
	}
	r->forever = loops == 0;
	r->loops = loops ? loops - 1 : 0;
	return r;
}

/* Starts the next pass over the file; 0 when there is none. */
static int
rewind_file(struct replay *r, char *err, size_t errlen)
{
	if (!r->in_pass)
		return 0;		/* an empty file would loop forever */
	if (!r->forever && !r->loops)
		return 0;
	if (!r->forever)
		r->loops--;
	pcap_close(r->pcap);
	r->in_pass = 0;
	r->pcap = open_file(r->path, err, errlen);
	return r->pcap ? 1 : -1;
}

int
replay_next(struct replay *r, uint8_t *buf, size_t *len, char *err, size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	for (;;) {
		if (!r->pcap)
			return -1;
		rc = pcap_next_ex(r->pcap, &h, &data);
		if (rc == PCAP_ERROR) {
			snprintf(err, errlen, "%s: %s", r->path, pcap_geterr(r->pcap));
			return -1;
		}
		if (rc == PCAP_ERROR_BREAK) {
			rc = rewind_file(r, err, errlen);
			if (rc <= 0)
				return rc;
			continue;
		}
		r->in_pass++;
		if (h->caplen > GEN_FRAME_MAX) {
			r->skipped++;
			continue;
		}
		if (h->caplen < h->len)
			r->truncated++;
		memcpy(buf, data, h->caplen);
		*len = h->caplen;
		if (*len < DICAP_FRAME_MIN_LEN) {
			memset(buf + *len, 0, DICAP_FRAME_MIN_LEN - *len);
			*len = DICAP_FRAME_MIN_LEN;
			r->padded++;
		}
		return 1;
	}
}

void
replay_close(struct replay *r)
{
	if (!r)
		return;
	if (r->pcap)
		pcap_close(r->pcap);
	free(r->path);
	free(r);
}

uint64_t
replay_skipped(const struct replay *r)
{
	return r->skipped;
}

uint64_t
replay_padded(const struct replay *r)
{
	return r->padded;
}

uint64_t
replay_truncated(const struct replay *r)
{
	return r->truncated;
}
