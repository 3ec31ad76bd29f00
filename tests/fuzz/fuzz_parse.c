/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer harness for dicap_parse() and dicap_select_bucket().  The
 * input is one captured frame, copied into a heap buffer of exactly its
 * size so that ASan reports any read past the end.  Besides memory safety
 * it checks the result's invariants (frame_pkt_insane()), that parsing is
 * deterministic, that an OK packet parses the same without its trailing
 * padding, and that a shorter capture never gets further than a longer
 * one.  dicap_select_bucket() runs in every mode (and one unknown), with
 * and without DICAP_SEL_TUNNEL_OUTER, so tunnels, MPLS, PPPoE and ICMP
 * errors are walked on every input: it must fill in the same outer parse,
 * give the same bucket twice and, in FLOW and HOST mode, the bucket of the
 * walk (dicap_maybe_deep() skips it only where it changes nothing), and
 * the identity FLOW mode hashed must hold the invariants of a parse.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dicap/packet.h"
#include "dicap/select.h"
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

/* Every mode and both flag values on @buf: no overread, the same answers. */
static void check_select(const uint8_t *buf, size_t len, const struct dicap_pkt *outer)
{
	struct dicap_pkt p, q, id;
	const char *insane;
	uint32_t fl;
	int mode, got;

	for (mode = 0; mode <= DICAP_MODE_MAX + 1; mode++) {
		for (fl = 0; fl <= DICAP_SEL_FLAGS_MASK; fl++) {
			uint16_t b1, b2;

			memset(&p, 0x5a, sizeof(p));
			b1 = dicap_select_bucket(mode, fl, buf, buf + len, &p);
			b2 = dicap_select_bucket(mode, fl, buf, buf + len, &q);
			if (b1 != b2 || memcmp(&p, &q, sizeof(p)))
				fail("dicap_select_bucket() is not deterministic", &p, len);
			if (memcmp(&p, outer, sizeof(p)))
				fail("dicap_select_bucket() gave another outer parse", &p, len);
			/* dicap_maybe_deep() may skip the walk only where it changes nothing */
			if ((mode == DICAP_MODE_FLOW || mode == DICAP_MODE_HOST) &&
			    b1 != dicap_select_walk(mode, fl, buf, buf + len, NULL))
				fail("the bucket is not the walk's", &p, len);
		}
	}
	for (fl = 0; fl <= DICAP_SEL_FLAGS_MASK; fl++) {
		memset(&id, 0xa5, sizeof(id));
		got = dicap_select_ident(fl, buf, buf + len, &id);
		if (got != !!(id.flags & DICAP_PF_ADDRS))
			fail("dicap_select_ident() result and flags disagree", &id, len);
		if (id.flags & ~(DICAP_PF_ADDRS | DICAP_PF_PORTS | DICAP_PF_FRAG |
				 DICAP_PF_FRAG_FIRST))
			fail("identity with a flag dicap_parse_at() does not set", &id, len);
		if (id.l3 != DICAP_L3_NONE && id.l3 != DICAP_L3_IPV4 && id.l3 != DICAP_L3_IPV6)
			fail("identity with a bad l3", &id, len);
		if (!got && (id.l3 || id.l4_off))
			fail("no identity, yet fields", &id, len);
		insane = (id.flags & DICAP_PF_PORTS) && !id.l4_off ? "ports without L4" : NULL;
		if (insane)
			fail(insane, &id, len);
	}
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
	check_select(buf, size, &p);
	free(buf);
	return 0;
}
