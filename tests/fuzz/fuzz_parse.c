/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer harness for dicap_parse().  The input is one captured frame,
 * copied into a heap buffer of exactly its size so that ASan reports any
 * read past the end.  Besides memory safety it checks the result's
 * invariants (frame_pkt_insane()), that parsing is deterministic, that an
 * OK packet parses the same without its trailing padding, and that a
 * shorter capture never gets further than a longer one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dicap/packet.h"
#include "frames.h"

static void fail(const char *what, const struct dicap_pkt *p, size_t len)
{
	fprintf(stderr, "fuzz_parse: %s (len %zu: %s/%s flags %#x l3_off %u l4_off %u)\n",
		what, len, dicap_pkt_class_name(p->cls), dicap_pkt_reason_name(p->reason),
		p->flags, p->l3_off, p->l4_off);
	abort();
}

static void parse_checked(const uint8_t *buf, size_t len, struct dicap_pkt *p)
{
	const char *insane;
	int cls;

	memset(p, 0xa5, sizeof(*p));
	cls = dicap_parse(buf, buf + len, p);
	if (cls != p->cls)
		fail("return value is not p->cls", p, len);
	insane = frame_pkt_insane(p, len);
	if (insane)
		fail(insane, p, len);
}

/* A capture cut to @len is never classed further along than the full one. */
static void check_shorter(const uint8_t *buf, size_t len, const struct dicap_pkt *full)
{
	struct dicap_pkt p;

	parse_checked(buf, len, &p);
	if (full->cls == DICAP_PKT_TRUNCATED && p.cls != DICAP_PKT_TRUNCATED)
		fail("a shorter capture of a truncated frame is not truncated", &p, len);
	if (p.cls != full->cls && p.cls != DICAP_PKT_TRUNCATED)
		fail("a shorter capture changed the class", &p, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dicap_pkt p, q;
	uint8_t *buf;

	if (size > 65535)
		return 0;
	buf = malloc(size ? size : 1);
	if (!buf)
		abort();
	if (size)
		memcpy(buf, data, size);

	parse_checked(buf, size, &p);
	parse_checked(buf, size, &q);
	if (memcmp(&p, &q, sizeof(p)))
		fail("two parses differ", &q, size);

	if (p.cls == DICAP_PKT_OK && (size_t)p.l3_off + p.ip_len < size) {
		parse_checked(buf, (size_t)p.l3_off + p.ip_len, &q);
		if (memcmp(&p, &q, sizeof(p)))
			fail("dropping the padding changed the result", &q, size);
	}
	if (size) {
		check_shorter(buf, size - 1, &p);
		check_shorter(buf, size / 2, &p);
	}
	free(buf);
	return 0;
}
