/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Option values the daemons take as free text: the whole numbers every
 * program reads (lib/opt.c, and dicap-coord's use of it), dicap-coord's
 * addresses, --weight ID=WEIGHT, --select and --tunnel (coord/options.c),
 * dicap-analyzer's -w FILE pattern with rotation
 * (analyzer/outname.c), and dicap-gen's --mix list (gen/synth.c).  The
 * first input byte picks the parser; the rest is the option's text.
 * Numbers are checked against a reference reader written here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dicap/select.h"
#include "analyzer/outname.h"
#include "coord/options.h"
#include "gen/gen.h"
#include "opt.h"

#define CHECK(cond)	do { if (!(cond)) abort(); } while (0)

/* gen/synth.c's neighbour gen/pace.c wants it; main.c defines it in dicap-gen. */
volatile sig_atomic_t gen_stop;

static int
digit(char c, int base)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (base == 16 && c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (base == 16 && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
ref_number(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	int base = 10, d, overflow = 0;
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s == '\0')
		return OPTVAL_NOT_NUMBER;
	for (; *s; s++) {
		if ((d = digit(*s, base)) < 0)
			return OPTVAL_NOT_NUMBER;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			overflow = 1;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (overflow || v < lo || v > hi)
		return OPTVAL_RANGE;
	*out = (uint32_t)v;
	return OPTVAL_OK;
}

/* With a suffix allowed: the number is the longest run of digits, the rest its suffix. */
static void
fuzz_number_prefix(const char *s, uint32_t lo, uint32_t hi)
{
	const char *end = NULL;
	uint64_t got;
	uint32_t want;
	char *head;
	int rc = opt_parse_number(s, &end, lo, hi, &got);

	if (rc != OPT_OK) {
		CHECK(rc == OPT_NOT_NUMBER || rc == OPT_RANGE);
		return;
	}
	CHECK(end > s && end <= s + strlen(s));
	head = strndup(s, (size_t)(end - s));
	CHECK(head != NULL);
	CHECK(ref_number(head, lo, hi, &want) == OPTVAL_OK && got == want);
	free(head);
	/* The suffix does not go on with a digit of the number's base. */
	CHECK(digit(*end, strncasecmp(s, "0x", 2) == 0 ? 16 : 10) < 0);
}

static void
fuzz_number(const uint8_t *p, size_t n, const char *s)
{
	uint32_t lo = 0, hi = UINT32_MAX, got = 0, want = 0;

	if (n >= 8) {
		memcpy(&lo, p, 4);
		memcpy(&hi, p + 4, 4);
	}
	CHECK(coord_parse_number(s, lo, hi, &got) == ref_number(s, lo, hi, &want));
	CHECK(got == want);
	fuzz_number_prefix(s, lo, hi);
}

static void
fuzz_address(const uint8_t *p, size_t n, const char *s)
{
	struct dicap_addr a, b;
	uint16_t port = n >= 2 ? (uint16_t)(p[0] << 8 | p[1]) : 0;
	int rc = coord_parse_address(s, port, &a);

	CHECK(rc == OPTVAL_OK || rc == OPTVAL_NOT_ADDR);
	if (rc != OPTVAL_OK)
		return;
	CHECK(a.port != 0 && (a.family == 4 || a.family == 6));
	/* Given with its port, or without one and @port stands in. */
	if (dicap_addr_parse(s, &b) == 0)
		CHECK(!memcmp(&a, &b, sizeof(a)));
	else
		CHECK(port != 0 && a.port == port);
}

static void
fuzz_weight(const char *s)
{
	uint32_t id, want_id;
	uint16_t w;
	const char *eq = strchr(s, '=');
	char idtext[32];
	int rc = coord_parse_weight(s, &id, &w);

	if (rc != OPTVAL_OK)
		return;
	CHECK(eq != NULL && eq > s && (size_t)(eq - s) < sizeof(idtext) && w >= 1);
	memcpy(idtext, s, (size_t)(eq - s));
	idtext[eq - s] = '\0';
	CHECK(ref_number(idtext, 0, UINT32_MAX, &want_id) == OPTVAL_OK && id == want_id);
}

/* --select and --tunnel take exactly their words, and --tunnel one bit only. */
static void
fuzz_selection(const uint8_t *p, size_t n, const char *s)
{
	static const char *const modes[] = { "rr", "ipid", "packet", "flow", "host" };
	uint32_t flags = 0, before;
	int mode = -1, rc, i, want = -1;

	if (n >= 4)
		memcpy(&flags, p, 4);
	for (i = 0; i < (int)(sizeof(modes) / sizeof(modes[0])); i++)
		if (strcmp(s, modes[i]) == 0)
			want = i;
	rc = coord_parse_select(s, &mode);
	CHECK(rc == (want >= 0 ? OPTVAL_OK : OPTVAL_NOT_MODE));
	CHECK(mode == want && mode <= DICAP_MODE_MAX);
	before = flags;
	rc = coord_parse_tunnel(s, &flags);
	if (strcmp(s, "inner") == 0)
		CHECK(rc == OPTVAL_OK && flags == (before & ~(uint32_t)DICAP_SEL_TUNNEL_OUTER));
	else if (strcmp(s, "outer") == 0)
		CHECK(rc == OPTVAL_OK && flags == (before | DICAP_SEL_TUNNEL_OUTER));
	else
		CHECK(rc == OPTVAL_NOT_TUNNEL && flags == before);
}

static void
fuzz_outname(const uint8_t *p, size_t n, const char *s)
{
	struct outname o;
	char buf[256], first[256];
	int64_t t = 0;
	int by_time = n > 0 && (p[0] & 1);

	if (n >= 9)
		memcpy(&t, p + 1, 8);
	outname_init(&o, s, by_time);
	CHECK(o.use_time == (by_time && outname_has_conversion(s)));
	if (outname_next(&o, (time_t)t, first, sizeof(first)) != 0)
		return;
	CHECK(strlen(first) < sizeof(first) && first[0] != '\0');
	if (!o.use_time)
		CHECK(strcmp(first, s) == 0);
	/* The same start again: the same base, so a counter follows it. */
	if (outname_next(&o, (time_t)t, buf, sizeof(buf)) == 0)
		CHECK(strlen(buf) > strlen(first) && !strncmp(buf, first, strlen(first)) &&
		    !strcmp(buf + strlen(first), "1"));
}

static void
fuzz_mix(const char *s)
{
	double w[K_MAX], total = 0;
	char err[128];
	int k;

	err[0] = '\0';
	if (synth_parse_mix(s, w, err, sizeof(err)) != 0) {
		CHECK(err[0] != '\0' && memchr(err, '\0', sizeof(err)) != NULL);
		return;
	}
	for (k = 0; k < K_MAX; k++) {
		CHECK(w[k] >= 0 && w[k] <= 1e9);
		total += w[k];
	}
	CHECK(total > 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data + 1;
	size_t n = size > 0 ? size - 1 : 0, skip;
	char *s;

	if (size == 0 || size > 4096)
		return 0;
	/* The binary arguments, then the text: at most 9 bytes of them. */
	skip = n < 9 ? n : 9;
	s = malloc(n - skip + 1);
	CHECK(s != NULL);
	memcpy(s, p + skip, n - skip);
	s[n - skip] = '\0';
	switch (data[0] % 6) {
	case 0:
		fuzz_number(p, skip, s);
		break;
	case 1:
		fuzz_address(p, skip, s);
		break;
	case 2:
		fuzz_weight(s);
		break;
	case 3:
		fuzz_outname(p, skip, s);
		break;
	case 4:
		fuzz_mix(s);
		break;
	default:
		fuzz_selection(p, skip, s);
		break;
	}
	free(s);
	return 0;
}
