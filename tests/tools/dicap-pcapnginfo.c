/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicap-pcapnginfo: the blocks of a pcapng file, one line each, for the
 * tests of dicap-analyzer --format pcapng: libpcap reads pcapng but hides
 * its interfaces' names and statistics, and tshark shows no statistics.
 * Written from the specification (draft-ietf-opsawg-pcapng), apart from
 * the analyzer's encoder, and strict: a block whose lengths disagree, an
 * option running past its block, a packet or statistics block of an
 * interface not described before it in its section, or a file that ends
 * inside a block is an error (exit status 1, the reason on stderr).
 *
 *   shb VERSION [userappl=TEXT]
 *   idb IF LINKTYPE SNAPLEN tsresol=N|- name=NAME desc=TEXT
 *   epb IF SEC.NSEC CAPLEN WIRELEN           (SEC.NSEC needs tsresol 9)
 *   isb IF recv=N ifdrop=N osdrop=N usrdeliv=N start=T end=T comment=TEXT
 *   other TYPE LENGTH
 *
 * IF counts from 0 in each section; an option left out prints "-".
 * usage: dicap-pcapnginfo FILE
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BT_SHB		0x0a0d0d0au
#define BT_IDB		1u
#define BT_ISB		5u
#define BT_EPB		6u
#define BOM		0x1a2b3c4du
#define BOM_SWAPPED	0x4d3c2b1au
#define MAX_BLOCK	(16u * 1024 * 1024)
#define MAX_IFACES	65536

static const char *file;
static long block_at;
static int swapped;		/* the section's byte order is not the host's */

static void __attribute__((format(printf, 1, 2), noreturn))
fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "dicap-pcapnginfo: %s: block at byte %ld: ", file, block_at);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint32_t
u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swapped ? __builtin_bswap32(v) : v;
}

static uint16_t
u16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return swapped ? __builtin_bswap16(v) : v;
}

static uint64_t
u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return swapped ? __builtin_bswap64(v) : v;
}

/* A timestamp: upper 32 bits, then lower 32 bits. */
static uint64_t
ts64(const uint8_t *p)
{
	return (uint64_t)u32(p) << 32 | u32(p + 4);
}

/* Printable text of an option value: control characters as '?'. */
static void
text(char *out, size_t outlen, const uint8_t *p, size_t n)
{
	size_t i;

	if (n >= outlen)
		n = outlen - 1;
	for (i = 0; i < n; i++)
		out[i] = p[i] < 0x20 || p[i] == 0x7f ? '?' : (char)p[i];
	out[n] = '\0';
}

struct opt {
	uint16_t code;
	uint16_t len;
	const uint8_t *val;
};

/*
 * The next option of @body (@len bytes) at *@off: 1, or 0 at the end of
 * the options (opt_endofopt, or the end of the body).
 */
static int
next_opt(const uint8_t *body, size_t len, size_t *off, struct opt *o)
{
	size_t padded;

	if (*off == len)
		return 0;
	if (len - *off < 4)
		fail("an option header runs past the block");
	o->code = u16(body + *off);
	o->len = u16(body + *off + 2);
	if (o->code == 0) {
		if (o->len != 0)
			fail("opt_endofopt with length %u", o->len);
		*off = len;
		return 0;
	}
	padded = ((size_t)o->len + 3) & ~(size_t)3;
	if (len - *off - 4 < padded)
		fail("option %u of %u bytes runs past the block", o->code, o->len);
	o->val = body + *off + 4;
	*off += 4 + padded;
	return 1;
}

static void
num_or_dash(char *out, size_t len, int have, uint64_t v)
{
	if (have)
		snprintf(out, len, "%" PRIu64, v);
	else
		snprintf(out, len, "-");
}

int
main(int argc, char **argv)
{
	static uint8_t tsresol[MAX_IFACES];
	uint8_t hdr[12], *b = NULL;
	uint32_t type, len, ifaces = 0, i;
	int in_section = 0;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: dicap-pcapnginfo FILE\n");
		return 2;
	}
	file = argv[1];
	if ((f = fopen(file, "rb")) == NULL) {
		perror(file);
		return 1;
	}
	for (;;) {
		struct opt o;
		size_t off, n, blen;
		char s1[1200], s2[1100];

		block_at = ftell(f);
		n = fread(hdr, 1, 8, f);
		if (n == 0 && feof(f))
			break;
		if (n != 8)
			fail("the file ends inside a block header");
		memcpy(&type, hdr, 4);
		if (type == BT_SHB) {
			if (fread(hdr + 8, 1, 4, f) != 4)
				fail("the file ends inside a section header");
			memcpy(&i, hdr + 8, 4);
			if (i != BOM && i != BOM_SWAPPED)
				fail("section header with byte-order magic 0x%08x", i);
			swapped = i == BOM_SWAPPED;
			in_section = 1;
			ifaces = 0;
		} else if (!in_section)
			fail("the file does not start with a section header");
		type = u32(hdr);
		len = u32(hdr + 4);
		if (len < 12 || len % 4 != 0 || len > MAX_BLOCK)
			fail("block type 0x%x with length %u", type, len);
		free(b);
		if ((b = malloc(len)) == NULL)
			fail("out of memory");
		memcpy(b, hdr, type == BT_SHB ? 12 : 8);
		n = type == BT_SHB ? 12 : 8;
		if (len < n || fread(b + n, 1, len - n, f) != len - n)
			fail("the file ends inside a block of %u bytes", len);
		if (u32(b + len - 4) != len)
			fail("block type 0x%x: length %u at the start, %u at the end", type, len,
			    u32(b + len - 4));
		blen = len - 4;		/* the body ends before the closing length */
		switch (type) {
		case BT_SHB:
			if (len < 28)
				fail("section header of %u bytes", len);
			off = 24;
			s1[0] = '\0';
			while (next_opt(b, blen, &off, &o))
				if (o.code == 4) {
					text(s2, sizeof(s2), o.val, o.len);
					snprintf(s1, sizeof(s1), " userappl=%s", s2);
				}
			printf("shb %u.%u%s\n", u16(b + 12), u16(b + 14), s1);
			break;
		case BT_IDB: {
			char name[1100] = "-", desc[1100] = "-", res[8] = "-";

			if (len < 20)
				fail("interface description of %u bytes", len);
			if (ifaces == MAX_IFACES)
				fail("more than %d interfaces", MAX_IFACES);
			tsresol[ifaces] = 6;
			off = 16;
			while (next_opt(b, blen, &off, &o)) {
				if (o.code == 2)
					text(name, sizeof(name), o.val, o.len);
				else if (o.code == 3)
					text(desc, sizeof(desc), o.val, o.len);
				else if (o.code == 9) {
					if (o.len != 1)
						fail("if_tsresol of %u bytes", o.len);
					tsresol[ifaces] = o.val[0];
					snprintf(res, sizeof(res), "%u", o.val[0]);
				}
			}
			printf("idb %u %u %u tsresol=%s name=%s desc=%s\n", ifaces, u16(b + 8),
			    u32(b + 12), res, name, desc);
			ifaces++;
			break;
		}
		case BT_EPB: {
			uint32_t ifid, caplen;
			uint64_t ts;

			if (len < 32)
				fail("packet block of %u bytes", len);
			ifid = u32(b + 8);
			caplen = u32(b + 20);
			if (ifid >= ifaces)
				fail("packet of interface %u; %u described so far", ifid, ifaces);
			if (caplen > len - 32)
				fail("packet of %u bytes in a block of %u", caplen, len);
			ts = ts64(b + 12);
			if (tsresol[ifid] == 9)
				printf("epb %u %" PRIu64 ".%09" PRIu64 " %u %u\n", ifid,
				    ts / 1000000000, ts % 1000000000, caplen, u32(b + 24));
			else
				printf("epb %u ticks=%" PRIu64 " %u %u\n", ifid, ts, caplen,
				    u32(b + 24));
			break;
		}
		case BT_ISB: {
			char v[7][32], comment[1100] = "-";
			int have[7] = { 0 };
			uint64_t val[7] = { 0 };
			uint32_t ifid;

			if (len < 24)
				fail("statistics block of %u bytes", len);
			ifid = u32(b + 8);
			if (ifid >= ifaces)
				fail("statistics of interface %u; %u described so far", ifid,
				    ifaces);
			off = 20;
			while (next_opt(b, blen, &off, &o)) {
				if (o.code == 1) {
					text(comment, sizeof(comment), o.val, o.len);
					continue;
				}
				if (o.code < 2 || o.code > 8 || o.code == 7)
					continue;
				if (o.len != 8)
					fail("statistics option %u of %u bytes", o.code, o.len);
				have[o.code - 2] = 1;
				val[o.code - 2] = o.code <= 3 ? ts64(o.val) : u64(o.val);
			}
			for (i = 0; i < 7; i++)
				num_or_dash(v[i], sizeof(v[i]), have[i], val[i]);
			printf("isb %u recv=%s ifdrop=%s osdrop=%s usrdeliv=%s start=%s end=%s "
			    "comment=%s\n", ifid, v[2], v[3], v[4], v[6], v[0], v[1], comment);
			break;
		}
		default:
			printf("other 0x%x %u\n", type, len);
			break;
		}
	}
	free(b);
	if (ferror(f)) {
		perror(file);
		return 1;
	}
	fclose(f);
	return 0;
}
