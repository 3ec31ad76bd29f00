/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicap-coord's option values (coord/options.c, compiled in here: it is
 * part of dicap-coord, not of the library).
 */
#include "coord/options.h"
#include "tap.h"

int
main(void)
{
	struct dicap_addr a;
	uint32_t v = 0, id = 0;
	uint16_t w = 0;

	plan(12);
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
	return done_testing();
}
