/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Header batches: writer/decoder round trips, the default MTU capacity,
 * one malformed batch per decoder error, truncation, and TCP framing of a
 * stream cut at arbitrary points.
 */
#include <stdint.h>
#include <string.h>

#include "batch.h"
#include "tap.h"

#define MAXREC	2048

struct rec {
	uint64_t ts;
	uint32_t wirelen;
	uint32_t caplen;
};

static uint8_t frame[65536];
static uint32_t rng = 12345;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* Fill @buf with a batch of @n records as described by @r; returns its length. */
static uint32_t
build(uint8_t *buf, uint32_t cap, const struct rec *r, int n, uint32_t seq, uint8_t flags)
{
	struct dicap_batch_writer w;
	int i;

	dicap_batch_begin(&w, buf, cap);
	for (i = 0; i < n; i++)
		if (dicap_batch_add(&w, r[i].ts, r[i].wirelen, frame + i, r[i].caplen) != 0)
			return 0;
	return dicap_batch_finish(&w, 0xc0ffee01, seq, 1, flags);
}

/* Records of @buf match @r (data included), and exactly cover the batch. */
static int
records_match(const uint8_t *buf, size_t len, const struct rec *r, int n)
{
	struct dicap_batch_rec out;
	size_t off = DICAP_BATCH_HDR_LEN;
	int i = 0;

	while (dicap_batch_next(buf, len, &off, &out)) {
		if (i >= n || out.ts_ns != r[i].ts || out.wirelen != r[i].wirelen ||
		    out.caplen != r[i].caplen || memcmp(out.data, frame + i, out.caplen))
			return 0;
		i++;
	}
	return i == n && off == len;
}

static int
random_records(struct rec *r, int n, uint32_t maxcap)
{
	int i;

	for (i = 0; i < n; i++) {
		r[i].ts = 1700000000000000000ULL + (uint64_t)i * 1000 + rnd() % 1000;
		r[i].caplen = rnd() % (maxcap + 1);
		r[i].wirelen = r[i].caplen + rnd() % 1500;
		if (r[i].wirelen == 0)
			r[i].wirelen = 1;
	}
	return n;
}

static void
test_roundtrip(void)
{
	static uint8_t buf[DICAP_BATCH_MAX_LEN];
	static struct rec r[MAXREC];
	static const uint32_t maxcaps[] = { 0, 1, 52, 96, 1514, 9000 };
	struct dicap_batch_hdr h;
	const char *why;
	uint32_t len, want;
	size_t k;
	int n, i;

	for (k = 0; k < sizeof(maxcaps) / sizeof(maxcaps[0]); k++) {
		n = random_records(r, maxcaps[k] > 1514 ? 7 : maxcaps[k] > 96 ? 40 : 300, maxcaps[k]);
		want = DICAP_BATCH_HDR_LEN;
		for (i = 0; i < n; i++)
			want += DICAP_BATCH_REC_HDR_LEN + r[i].caplen;
		len = build(buf, sizeof(buf), r, n, 77 + (uint32_t)k, (uint8_t)(k & 1));
		is(len, want, "caplen up to %u: %d records in %u bytes", maxcaps[k], n, want);
		is(dicap_batch_decode(buf, len, &h, &why), DICAP_BATCHERR_OK, "... decodes (%s)", why);
		ok(h.version == 1 && h.flags == (k & 1) && h.node_id == 0xc0ffee01 &&
		    h.seq == 77 + k && h.count == n && h.linktype == 1 && h.length == len,
		    "... header fields");
		ok(records_match(buf, len, r, n), "... records and data match, cover the batch");
		is(dicap_batch_peek_length(buf, DICAP_BATCH_HDR_LEN), len, "... peek_length");
	}
	ok(dicap_get_be16(buf) == 0xd1ca && buf[2] == 1 && dicap_get_be16(buf + 14) == 1 &&
	    dicap_get_be32(buf + 16) == len && dicap_get_be16(buf + 12) == 7,
	    "header wire layout");
}

/* How many records of @caplen fit a default (1500-byte MTU) batch. */
static int
capacity(uint32_t caplen)
{
	static uint8_t buf[DICAP_BATCH_DEFAULT_MAX];
	struct dicap_batch_writer w;
	int n = 0;

	dicap_batch_begin(&w, buf, sizeof(buf));
	while (dicap_batch_add(&w, 1, caplen, frame, caplen) == 0)
		n++;
	return n;
}

static void
test_capacity(void)
{
	struct dicap_batch_writer w;
	static uint8_t buf[64];

	is(DICAP_BATCH_DEFAULT_MAX, 1472, "default batch payload: 1500 - 20 (IPv4) - 8 (UDP)");
	is(capacity(52), 22, "22 records of 52 bytes (12 + 52 = 64 each) per default batch");
	is(DICAP_BATCH_HDR_LEN + 22 * 64, 1428, "... using 1428 of 1472 bytes");
	is(capacity(96), 13, "13 records of 96 bytes (12 + 96 = 108 each) per default batch");
	is(DICAP_BATCH_HDR_LEN + 13 * 108, 1424, "... using 1424 of 1472 bytes");
	is((DICAP_BATCH_DEFAULT_MAX - DICAP_BATCH_HDR_LEN) / 52, 27,
	    "without record headers 27 headers of 52 bytes would fit (paper: 28)");

	dicap_batch_begin(&w, buf, sizeof(buf));
	is(dicap_batch_add(&w, 1, 10, frame, 11), -1, "writer refuses caplen > wirelen");
	is(dicap_batch_add(&w, 1, 65536, frame, 10), -1, "writer refuses wirelen > 65535");
	is(dicap_batch_add(&w, 1, 100, frame, 32), 0, "writer takes a record that fits exactly");
	is(w.len, 64, "... filling the 64-byte buffer");
	is(dicap_batch_add(&w, 1, 100, frame, 0), -1, "writer refuses a record past the end");
}

static uint8_t bad[256];

/* A valid 3-record batch in bad[]; returns its length. */
static size_t
base(void)
{
	static const struct rec r[3] = {
		{ 1, 60, 10 }, { 2, 1514, 0 }, { 3, 40, 40 },
	};

	return build(bad, sizeof(bad), r, 3, 1, 0);
}

static void
expect(size_t len, int want, const char *what)
{
	struct dicap_batch_hdr h;
	const char *why;
	int err = dicap_batch_decode(bad, len, &h, &why);

	if (!ok(err == want, "%s: %s (%s)", what, dicap_batch_strerror(want), why))
		diag("got %d (%s)", err, dicap_batch_strerror(err));
}

static void
set_len(size_t len)
{
	dicap_put_be32(bad + 16, (uint32_t)len);
}

static void
test_rejections(void)
{
	size_t len, i;
	int short_ok = 1;

	len = base();
	expect(len, DICAP_BATCHERR_OK, "base batch");
	for (i = 0; i < DICAP_BATCH_HDR_LEN; i++)
		if (dicap_batch_decode(bad, i, &(struct dicap_batch_hdr){ 0 }, NULL) !=
		    DICAP_BATCHERR_SHORT)
			short_ok = 0;
	ok(short_ok, "0..19 bytes: SHORT");
	bad[1] ^= 1;
	expect(len, DICAP_BATCHERR_MAGIC, "magic 0xd1cb");
	len = base();
	bad[2] = 2;
	expect(len, DICAP_BATCHERR_VERSION, "version 2");
	len = base();
	bad[3] = DICAP_BF_FLUSH;
	expect(len, DICAP_BATCHERR_OK, "flag FLUSH");
	bad[3] = 0x02;
	expect(len, DICAP_BATCHERR_FLAGS, "flag 0x02");
	bad[3] = 0x81;
	expect(len, DICAP_BATCHERR_FLAGS, "flags 0x81");
	len = base();
	set_len(len + 1);
	expect(len, DICAP_BATCHERR_LENGTH, "length field one more than the bytes");
	set_len(len - 1);
	expect(len, DICAP_BATCHERR_LENGTH, "length field one less than the bytes");
	set_len(len);
	bad[len] = 0;
	expect(len + 1, DICAP_BATCHERR_LENGTH, "a trailing byte");

	len = base();
	dicap_put_be16(bad + 12, 0);
	expect(len, DICAP_BATCHERR_COUNT, "record count 0");
	dicap_put_be16(bad + 12, 2);
	expect(len, DICAP_BATCHERR_COUNT, "record count 2, three records present");
	dicap_put_be16(bad + 12, 4);
	expect(len, DICAP_BATCHERR_COUNT, "record count 4, three records present");

	len = base();
	dicap_put_be16(bad + 12, 4);
	memset(bad + len, 0, 11);
	set_len(len + 11);
	expect(len + 11, DICAP_BATCHERR_REC_TRUNC, "a record header of 11 bytes");
	bad[len + 9] = 9;	/* wirelen 9 */
	bad[len + 11] = 2;	/* caplen 2, one byte present */
	bad[len + 12] = 0xaa;
	set_len(len + 13);
	expect(len + 13, DICAP_BATCHERR_REC_TRUNC, "a record with 1 of 2 captured bytes");
	len = base();
	dicap_put_be16(bad + DICAP_BATCH_HDR_LEN + 10, 200);
	expect(len, DICAP_BATCHERR_REC_TRUNC, "first record claims 200 captured bytes");

	len = base();
	dicap_put_be16(bad + DICAP_BATCH_HDR_LEN + 8, 9);
	expect(len, DICAP_BATCHERR_CAPLEN, "caplen 10 > wirelen 9");
	dicap_put_be16(bad + DICAP_BATCH_HDR_LEN + 8, 0);
	expect(len, DICAP_BATCHERR_CAPLEN, "wirelen 0");
	dicap_put_be16(bad + DICAP_BATCH_HDR_LEN + 8, 10);
	expect(len, DICAP_BATCHERR_OK, "caplen == wirelen");
}

static void
test_limits(void)
{
	static uint8_t buf[DICAP_BATCH_MAX_LEN + 32];
	struct dicap_batch_writer w;
	struct dicap_batch_hdr h;
	const char *why;
	uint32_t len;

	dicap_batch_begin(&w, buf, DICAP_BATCH_MAX_LEN);
	ok(dicap_batch_add(&w, 5, 65535, frame, DICAP_BATCH_MAX_LEN - 32) == 0,
	    "a record filling the largest UDP payload");
	len = dicap_batch_finish(&w, 1, 2, 1, 0);
	is(len, DICAP_BATCH_MAX_LEN, "... batch of 65507 bytes");
	is(dicap_batch_decode(buf, len, &h, &why), DICAP_BATCHERR_OK, "... decodes (%s)", why);
	is(dicap_batch_peek_length(buf, len), len, "... peek_length");
	dicap_put_be32(buf + 16, len + 1);
	dicap_put_be16(buf + DICAP_BATCH_HDR_LEN + 10, (uint16_t)(DICAP_BATCH_MAX_LEN - 31));
	is(dicap_batch_decode(buf, len + 1, &h, &why), DICAP_BATCHERR_LENGTH,
	    "a batch of 65508 bytes is refused (%s)", why);
	is(dicap_batch_peek_length(buf, len + 1), 0, "... and peek_length says invalid");

	dicap_batch_begin(&w, buf, 64);
	dicap_batch_add(&w, 1, 1, frame, 0);
	len = dicap_batch_finish(&w, 1, 2, 1, 0);
	is(len, 32, "smallest batch: one empty record, 32 bytes");
	is(dicap_batch_decode(buf, len, &h, &why), DICAP_BATCHERR_OK, "... decodes");
	is(dicap_batch_peek_length(buf, DICAP_BATCH_HDR_LEN), 32, "... peek_length 32");
	dicap_put_be32(buf + 16, 31);
	is(dicap_batch_peek_length(buf, DICAP_BATCH_HDR_LEN), 0, "peek_length refuses 31");
	dicap_put_be32(buf + 16, 0xffffffff);
	is(dicap_batch_peek_length(buf, DICAP_BATCH_HDR_LEN), 0, "peek_length refuses 4 GiB");
	dicap_put_be32(buf + 16, 32);
	is(dicap_batch_peek_length(buf, DICAP_BATCH_HDR_LEN - 1), 0, "peek_length needs 20 bytes");
	buf[0] = 0;
	is(dicap_batch_peek_length(buf, DICAP_BATCH_HDR_LEN), 0, "peek_length checks the magic");
	buf[0] = 0xd1;
	buf[3] = 4;
	is(dicap_batch_peek_length(buf, DICAP_BATCH_HDR_LEN), 0, "peek_length checks the flags");
	buf[3] = 0;
	dicap_put_be16(buf + 12, 0);
	is(dicap_batch_peek_length(buf, DICAP_BATCH_HDR_LEN), 0, "peek_length checks the count");
}

static void
test_truncation(void)
{
	static uint8_t buf[4096], copy[4096];
	static struct rec r[40];
	struct dicap_batch_hdr h;
	size_t l, accepted = 0, relabelled = 0;
	uint32_t len;

	random_records(r, 40, 60);
	len = build(buf, sizeof(buf), r, 40, 1, 0);
	for (l = 0; l < len; l++) {
		if (dicap_batch_decode(buf, l, &h, NULL) == DICAP_BATCHERR_OK)
			accepted++;
		memcpy(copy, buf, l);
		if (l >= DICAP_BATCH_HDR_LEN)
			dicap_put_be32(copy + 16, (uint32_t)l);
		if (dicap_batch_decode(copy, l, &h, NULL) == DICAP_BATCHERR_OK)
			relabelled++;
	}
	ok(len > 0 && accepted == 0, "no truncation to 0..%u bytes decodes", len - 1);
	ok(relabelled == 0, "nor with the length field rewritten to match");
}

static void
test_next_misuse(void)
{
	struct dicap_batch_rec r;
	size_t len = base(), off;

	off = 0;
	is(dicap_batch_next(bad, len, &off, &r), 0, "next refuses an offset inside the header");
	off = len + 100;
	is(dicap_batch_next(bad, len, &off, &r), 0, "next refuses an offset past the end");
	off = DICAP_BATCH_HDR_LEN;
	is(dicap_batch_next(bad, DICAP_BATCH_HDR_LEN + 15, &off, &r), 0,
	    "next refuses a record cut short");
	is(off, DICAP_BATCH_HDR_LEN, "... and does not advance");
}

/* TCP: batches back to back, delivered in arbitrary pieces. */
#define NSTREAM	25

static void
test_tcp_framing(void)
{
	static uint8_t stream[NSTREAM * 2048], acc[8192];
	static struct rec r[NSTREAM][40];
	static int nrec[NSTREAM];
	size_t total = 0, pos = 0, have = 0, chunk;
	struct dicap_batch_hdr h;
	uint32_t len, got = 0, bad_batches = 0;
	int b, round;

	for (b = 0; b < NSTREAM; b++) {
		nrec[b] = random_records(r[b], 1 + (int)(rnd() % 15), b % 3 ? 52 : 96);
		len = build(stream + total, 2048, r[b], nrec[b], (uint32_t)b, 0);
		total += len;
	}
	for (round = 0; round < 3; round++) {
		pos = have = 0;
		got = bad_batches = 0;
		while (pos < total) {
			chunk = round == 0 ? 1 : round == 1 ? 1 + rnd() % 7 : 1 + rnd() % 3000;
			if (chunk > total - pos)
				chunk = total - pos;
			memcpy(acc + have, stream + pos, chunk);
			have += chunk;
			pos += chunk;
			while (have >= DICAP_BATCH_HDR_LEN) {
				len = dicap_batch_peek_length(acc, have);
				if (len == 0 || len > 4096) {
					bad_batches++;
					have = 0;
					break;
				}
				if (have < len)
					break;
				if (dicap_batch_decode(acc, len, &h, NULL) != DICAP_BATCHERR_OK ||
				    h.seq != got || !records_match(acc, len, r[got], nrec[got]))
					bad_batches++;
				got++;
				memmove(acc, acc + len, have - len);
				have -= len;
			}
		}
		ok(got == NSTREAM && bad_batches == 0 && have == 0,
		    "TCP stream of %d batches (%zu bytes) in %s pieces: all recovered in order",
		    NSTREAM, total, round == 0 ? "1-byte" : round == 1 ? "1..7-byte" : "1..3000-byte");
	}
}

static void
test_names(void)
{
	int i, named = 1;

	for (i = 0; i <= DICAP_BATCHERR_MAX; i++)
		if (!strcmp(dicap_batch_strerror(i), "unknown error"))
			named = 0;
	ok(named && !strcmp(dicap_batch_strerror(DICAP_BATCHERR_MAX + 1), "unknown error"),
	    "every batch error has a name");
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 7 + 3);
	test_roundtrip();
	test_capacity();
	test_rejections();
	test_limits();
	test_truncation();
	test_next_misuse();
	test_tcp_framing();
	test_names();
	return done_testing();
}
