/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicapd's answer to "status", as the dicap:IFACE module reads it: a small
 * bounds-checked JSON reader and the fields the module needs.  In a header
 * of its own so that tests/fuzz/fuzz_pcapstatus.c compiles the same code
 * without libpcap's internals; only pcap-dicap.c includes it otherwise.
 */
#ifndef PCAP_DICAP_STATUS_H
#define PCAP_DICAP_STATUS_H

#include <net/if.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH		16

/* What dicapd says about itself ("status" on its socket). */
struct dicapd_status {
	char iface[IF_NAMESIZE];
	char state[32];
	char coordinator[80];
	char mode[16];
	char datapath[16];
	int have_topology;		/* "epoch" is not null */
	int member;			/* "position" is not null */
	uint64_t epoch, position, members;
	double share;
	int distribute;
	uint32_t prog_id;		/* "datapath"."prog_id"; 0: not given */
};

/* A message, cut to @len: through vsnprintf, which no compiler second-guesses. */
static void errmsg(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
errmsg(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* ---- a small JSON reader: bounds-checked, for dicapd's status ---------- */

struct jval {
	const char *s, *e;		/* the value's text, [s, e) */
};

static const char *
json_ws(const char *s, const char *e)
{
	while (s < e && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
		s++;
	return s;
}

/* The \uXXXX at @s (before @e): its value, or -1. */
static long
json_hex4(const char *s, const char *e)
{
	long v = 0;
	int i;

	if (e - s < 6 || s[0] != '\\' || s[1] != 'u')
		return -1;
	for (i = 2; i < 6; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -1;
		v = v << 4 | (isdigit((unsigned char)s[i]) ? s[i] - '0' :
		    (tolower((unsigned char)s[i]) - 'a' + 10));
	}
	return v;
}

/* @s is at a '"': the end of the string, or NULL (also for a bad escape). */
static const char *
json_string_end(const char *s, const char *e)
{
	long u;

	for (s++; s < e; s++) {
		if ((unsigned char)*s < 0x20)
			return NULL;
		if (*s == '"')
			return s + 1;
		if (*s != '\\')
			continue;
		if (s + 1 < e && strchr("\"\\/bfnrt", s[1]) != NULL && s[1] != '\0') {
			s++;
			continue;
		}
		/* \uXXXX; a surrogate only as a high one followed by a low one. */
		if ((u = json_hex4(s, e)) < 0 || (u >= 0xdc00 && u <= 0xdfff))
			return NULL;
		s += 5;
		if (u >= 0xd800 && u <= 0xdbff) {
			u = json_hex4(s + 1, e);
			if (u < 0xdc00 || u > 0xdfff)
				return NULL;
			s += 6;
		}
	}
	return NULL;
}

static const char *
json_digits_end(const char *s, const char *e)
{
	const char *start = s;

	while (s < e && isdigit((unsigned char)*s))
		s++;
	return s > start ? s : NULL;
}

/* true, false, null, or a number: -?(0|[1-9]D*)(.D+)?([eE][+-]?D+)? */
static const char *
json_scalar_end(const char *s, const char *e)
{
	static const char *const lit[] = { "true", "false", "null" };
	size_t i, n;

	for (i = 0; i < sizeof(lit) / sizeof(lit[0]); i++) {
		n = strlen(lit[i]);
		if ((size_t)(e - s) >= n && memcmp(s, lit[i], n) == 0)
			return s + n;
	}
	if (s < e && *s == '-')
		s++;
	/* No leading zeros: "01" is not a number. */
	if (s < e && *s == '0')
		s++;
	else if ((s = json_digits_end(s, e)) == NULL)
		return NULL;
	if (s < e && *s == '.' && (s = json_digits_end(s + 1, e)) == NULL)
		return NULL;
	if (s < e && (*s == 'e' || *s == 'E')) {
		s++;
		if (s < e && (*s == '+' || *s == '-'))
			s++;
		s = json_digits_end(s, e);
	}
	return s;
}

static const char *
json_value_end(const char *s, const char *e, int depth)
{
	char close;
	int obj;

	s = json_ws(s, e);
	if (s == e)
		return NULL;
	if (*s == '"')
		return json_string_end(s, e);
	if (*s != '{' && *s != '[')
		return json_scalar_end(s, e);
	if (depth >= JSON_MAX_DEPTH)
		return NULL;
	obj = *s == '{';
	close = obj ? '}' : ']';
	s = json_ws(s + 1, e);
	if (s < e && *s == close)
		return s + 1;
	for (;;) {
		if (obj) {
			if (s == e || *s != '"' || (s = json_string_end(s, e)) == NULL)
				return NULL;
			s = json_ws(s, e);
			if (s == e || *s != ':')
				return NULL;
			s++;
		}
		if ((s = json_value_end(s, e, depth + 1)) == NULL)
			return NULL;
		s = json_ws(s, e);
		if (s == e)
			return NULL;
		if (*s == close)
			return s + 1;
		if (*s != ',')
			return NULL;
		s = json_ws(s + 1, e);
	}
}

/* The member @key of the object @obj (already validated). */
static int
json_member(struct jval obj, const char *key, struct jval *val)
{
	const char *s = json_ws(obj.s, obj.e), *e = obj.e, *k;
	size_t klen = strlen(key);

	if (s == e || *s != '{')
		return -1;
	s = json_ws(s + 1, e);
	while (s < e && *s == '"') {
		k = s + 1;
		if ((s = json_string_end(s, e)) == NULL)
			return -1;
		if ((size_t)(s - 1 - k) == klen && memcmp(k, key, klen) == 0) {
			s = json_ws(s, e);
			val->s = json_ws(s + 1, e);
			val->e = json_value_end(val->s, e, 1);
			return val->e == NULL ? -1 : 0;
		}
		s = json_ws(s, e);
		if (s == e || *s != ':')
			return -1;
		if ((s = json_value_end(s + 1, e, 1)) == NULL)
			return -1;
		s = json_ws(s, e);
		if (s == e || *s != ',')
			return -1;
		s = json_ws(s + 1, e);
	}
	return -1;
}

static int
json_is(struct jval v, const char *lit)
{
	return (size_t)(v.e - v.s) == strlen(lit) && memcmp(v.s, lit, strlen(lit)) == 0;
}

static int
json_u64(struct jval v, uint64_t *out)
{
	const char *s;
	uint64_t n = 0;

	if (v.s == v.e)
		return -1;
	for (s = v.s; s < v.e; s++) {
		if (!isdigit((unsigned char)*s) || n > (UINT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	*out = n;
	return 0;
}

static int
json_double(struct jval v, double *out)
{
	char buf[64], *end;
	size_t n = (size_t)(v.e - v.s);

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, v.s, n);
	buf[n] = '\0';
	*out = strtod(buf, &end);
	return *end == '\0' ? 0 : -1;
}

/* A string without escapes but \" \\ \/ (dicapd writes no others here). */
static int
json_str(struct jval v, char *out, size_t len)
{
	const char *s;
	size_t n = 0;

	if (v.e - v.s < 2 || *v.s != '"' || v.e[-1] != '"' || len == 0)
		return -1;
	for (s = v.s + 1; s < v.e - 1; s++) {
		if (*s == '\\') {
			s++;
			if (*s != '"' && *s != '\\' && *s != '/')
				return -1;
		}
		if (n + 1 >= len)
			return -1;
		out[n++] = *s;
	}
	out[n] = '\0';
	return 0;
}

/* An array of strings (addresses) as "a, b", cut to @len. */
static void
json_addr_list(struct jval v, char *out, size_t len)
{
	const char *s = v.s, *e;
	size_t n = 0;

	out[0] = '\0';
	if (s == v.e || *s++ != '[')
		return;
	for (;;) {
		s = json_ws(s, v.e);
		if (s == v.e || *s != '"' || (e = json_string_end(s, v.e)) == NULL)
			return;
		if (n > 0 && n + 2 < len) {
			out[n++] = ',';
			out[n++] = ' ';
		}
		for (s++; s < e - 1 && n + 1 < len; s++)
			out[n++] = *s;
		out[n] = '\0';
		s = json_ws(e, v.e);
		if (s == v.e || *s != ',')
			return;
		s++;
	}
}

static int
status_parse(const char *buf, size_t len, struct dicapd_status *st, char *err, size_t errlen)
{
	struct jval doc, v, dp, epoch;

	memset(st, 0, sizeof(*st));
	doc.s = json_ws(buf, buf + len);
	doc.e = json_value_end(doc.s, buf + len, 0);
	if (doc.e == NULL || json_ws(doc.e, buf + len) != buf + len || *doc.s != '{') {
		errmsg(err, errlen, "its status is not a JSON object");
		return -1;
	}
	if (json_member(doc, "iface", &v) == -1 || json_str(v, st->iface, sizeof(st->iface)) == -1 ||
	    json_member(doc, "state", &v) == -1 || json_str(v, st->state, sizeof(st->state)) == -1 ||
	    json_member(doc, "epoch", &epoch) == -1 || json_member(doc, "datapath", &dp) == -1 ||
	    json_member(dp, "name", &v) == -1 || json_str(v, st->datapath, sizeof(st->datapath)) == -1) {
		errmsg(err, errlen, "its status lacks iface, state, epoch or datapath.name");
		return -1;
	}
	st->have_topology = !json_is(epoch, "null") && json_u64(epoch, &st->epoch) == 0;
	if (json_member(doc, "position", &v) == 0 && !json_is(v, "null"))
		st->member = json_u64(v, &st->position) == 0;
	if (json_member(doc, "members", &v) == 0)
		json_u64(v, &st->members);
	if (json_member(doc, "share", &v) == 0)
		json_double(v, &st->share);
	if (json_member(doc, "mode", &v) == 0)
		json_str(v, st->mode, sizeof(st->mode));
	if (json_member(doc, "coordinator", &v) == 0)
		json_str(v, st->coordinator, sizeof(st->coordinator));
	if (st->coordinator[0] == '\0' && json_member(doc, "coordinators", &v) == 0)
		json_addr_list(v, st->coordinator, sizeof(st->coordinator));
	if (json_member(dp, "distribute", &v) == 0)
		st->distribute = json_is(v, "true");
	if (json_member(dp, "prog_id", &v) == 0) {
		uint64_t id;

		if (json_u64(v, &id) == 0 && id <= UINT32_MAX)
			st->prog_id = (uint32_t)id;
	}
	return 0;
}

#endif /* PCAP_DICAP_STATUS_H */
