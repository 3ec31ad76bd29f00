/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicap-coord's option values (coord/options.c, compiled in here: it is
 * part of dicap-coord, not of the library).
 */
#include "dicap/select.h"
#include "coord/options.h"
#include "tap.h"

static void
test_selection(void)
{
	static const char *const names[] = { "rr", "ipid", "packet", "flow", "host" };
	uint32_t flags = 0;
	int mode = -1, i, bad = 0;

	for (i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (coord_parse_select(names[i], &mode) != OPTVAL_OK || mode != i)
			bad++;
	ok(bad == 0, "--select takes rr, ipid, packet, flow and host");
	ok(coord_parse_select("host", &mode) == OPTVAL_OK && mode == DICAP_MODE_HOST &&
	    DICAP_MODE_HOST == 4, "--select host is mode 4");
	mode = 7;
	ok(coord_parse_select("HOST", &mode) == OPTVAL_NOT_MODE &&
	    coord_parse_select("hash", &mode) == OPTVAL_NOT_MODE &&
	    coord_parse_select("", &mode) == OPTVAL_NOT_MODE && mode == 7,
	    "--select HOST, hash or nothing: refused, mode unchanged");
	ok(coord_parse_tunnel("outer", &flags) == OPTVAL_OK && flags == DICAP_SEL_TUNNEL_OUTER,
	    "--tunnel outer sets DICAP_SEL_TUNNEL_OUTER");
	ok(coord_parse_tunnel("inner", &flags) == OPTVAL_OK && flags == 0,
	    "--tunnel inner clears it (the last --tunnel counts)");
	flags = 0x80000000u | DICAP_SEL_TUNNEL_OUTER;
	ok(coord_parse_tunnel("inner", &flags) == OPTVAL_OK && flags == 0x80000000u,
	    "--tunnel touches its own bit only");
	flags = DICAP_SEL_TUNNEL_OUTER;
	ok(coord_parse_tunnel("Outer", &flags) == OPTVAL_NOT_TUNNEL &&
	    coord_parse_tunnel("both", &flags) == OPTVAL_NOT_TUNNEL &&
	    coord_parse_tunnel("", &flags) == OPTVAL_NOT_TUNNEL &&
	    coord_parse_tunnel("inner ", &flags) == OPTVAL_NOT_TUNNEL &&
	    flags == DICAP_SEL_TUNNEL_OUTER,
	    "--tunnel Outer, both, '' or 'inner ': refused, flags unchanged");
	ok((DICAP_SEL_TUNNEL_OUTER & ~DICAP_SEL_FLAGS_MASK) == 0,
	    "the tunnel flag is one the protocol carries");
}

int
main(void)
{
	struct dicap_addr a;
	uint32_t v = 0, id = 0;
	uint16_t w = 0;

	plan(20);
	ok(coord_parse_number("1000", 10, 60000, &v) == OPTVAL_OK && v == 1000, "a decimal number");
	ok(coord_parse_number("0x1F", 0, UINT32_MAX, &v) == OPTVAL_OK && v == 31, "a 0x hex number");
	/* strtoull(s, 0) took these: 010 as octal 8, and leading white space. */
	ok(coord_parse_number("010", 0, 100, &v) == OPTVAL_OK && v == 10,
	    "a leading zero is decimal, not octal");
	ok(coord_parse_number("\t5", 0, 100, &v) == OPTVAL_NOT_NUMBER &&
	    coord_parse_number("\n5", 0, 100, &v) == OPTVAL_NOT_NUMBER,
	    "leading white space is not a number");
	ok(coord_parse_number("0x0x5", 0, 100, &v) == OPTVAL_NOT_NUMBER &&
	    coord_parse_number("0x", 0, 100, &v) == OPTVAL_NOT_NUMBER &&
	    coord_parse_number("", 0, 100, &v) == OPTVAL_NOT_NUMBER &&
	    coord_parse_number("-1", 0, 100, &v) == OPTVAL_NOT_NUMBER,
	    "0x0x5, 0x, an empty string and a sign are not numbers");
	ok(coord_parse_number("9", 10, 20, &v) == OPTVAL_RANGE &&
	    coord_parse_number("99999999999999999999999", 0, UINT32_MAX, &v) == OPTVAL_RANGE,
	    "below the range, and past 64 bits: out of range");
	ok(coord_parse_weight("7=300", &id, &w) == OPTVAL_OK && id == 7 && w == 300,
	    "--weight ID=WEIGHT");
	ok(coord_parse_weight("=3", &id, &w) == OPTVAL_NOT_WEIGHT &&
	    coord_parse_weight("7", &id, &w) == OPTVAL_NOT_WEIGHT, "no ID or no '=': refused");
	ok(coord_parse_weight("7=0", &id, &w) == OPTVAL_RANGE &&
	    coord_parse_weight("7=65536", &id, &w) == OPTVAL_RANGE, "a weight of 0 or past 65535");
	ok(coord_parse_address("192.0.2.1", 7467, &a) == OPTVAL_OK && a.port == 7467,
	    "an address alone takes the default port");
	ok(coord_parse_address("192.0.2.1", 0, &a) == OPTVAL_NOT_ADDR,
	    "an address alone where the port is required: refused");
	ok(coord_parse_address("[2001:db8::1]:9", 7467, &a) == OPTVAL_OK && a.port == 9 &&
	    a.family == 6, "an IPv6 address with its port");
	test_selection();
	return done_testing();
}
