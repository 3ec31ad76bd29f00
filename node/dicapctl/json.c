/* SPDX-License-Identifier: BSD-2-Clause */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define JSON_MAX_DEPTH	32

struct reader {
	const char *start, *s, *end;
	char *err;
	size_t errlen;
	int failed;
};

static struct jv *parse_value(struct reader *, int depth);

static void __attribute__((format(printf, 2, 3)))
fail(struct reader *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->failed)
		return;
	r->failed = 1;
	va_start(ap, fmt);
	n = vsnprintf(r->err, r->errlen, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < r->errlen)
		snprintf(r->err + n, r->errlen - (size_t)n, " at byte %zu",
		    (size_t)(r->s - r->start));
}

static void
skip_ws(struct reader *r)
{
	while (r->s < r->end && (*r->s == ' ' || *r->s == '\t' || *r->s == '\n' ||
	    *r->s == '\r'))
		r->s++;
}

static struct jv *
new_value(struct reader *r, enum jv_type t)
{
	struct jv *v = calloc(1, sizeof(*v));

	if (v == NULL)
		fail(r, "out of memory");
	else
		v->type = t;
	return v;
}

static int
hex4(const char *p, unsigned int *out)
{
	unsigned int v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		v <<= 4;
		if (p[i] >= '0' && p[i] <= '9')
			v |= (unsigned int)(p[i] - '0');
		else if (p[i] >= 'a' && p[i] <= 'f')
			v |= (unsigned int)(p[i] - 'a' + 10);
		else if (p[i] >= 'A' && p[i] <= 'F')
			v |= (unsigned int)(p[i] - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t
put_utf8(char *o, unsigned int cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* \uXXXX, with a following low surrogate for a high one; code point or -1. */
static long
parse_uescape(struct reader *r)
{
	unsigned int hi, lo;

	if (r->end - r->s < 4 || hex4(r->s, &hi) == -1)
		return -1;
	r->s += 4;
	if (hi < 0xd800 || hi > 0xdfff)
		return hi;
	if (hi > 0xdbff || r->end - r->s < 6 || r->s[0] != '\\' || r->s[1] != 'u' ||
	    hex4(r->s + 2, &lo) == -1 || lo < 0xdc00 || lo > 0xdfff)
		return -1;
	r->s += 6;
	return 0x10000 + ((long)(hi - 0xd800) << 10) + (lo - 0xdc00);
}

static char *
parse_string(struct reader *r)
{
	const char *start = ++r->s;
	char *out, *o;
	long cp;

	/* The decoded string is never longer than its source. */
	while (r->s < r->end && *r->s != '"') {
		if (*r->s == '\\' && r->end - r->s < 2)
			break;
		r->s += *r->s == '\\' ? 2 : 1;
	}
	if (r->s >= r->end || *r->s != '"') {
		fail(r, "unterminated string");
		return NULL;
	}
	if ((out = malloc((size_t)(r->s - start) + 1)) == NULL) {
		fail(r, "out of memory");
		return NULL;
	}
	for (o = out, r->s = start; *r->s != '"'; ) {
		if ((unsigned char)*r->s < 0x20) {
			fail(r, "control character in a string");
			free(out);
			return NULL;
		}
		if (*r->s != '\\') {
			*o++ = *r->s++;
			continue;
		}
		r->s++;
		switch (*r->s++) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			if ((cp = parse_uescape(r)) < 0) {
				fail(r, "bad \\u escape");
				free(out);
				return NULL;
			}
			o += put_utf8(o, (unsigned int)cp);
			break;
		default:
			fail(r, "bad escape");
			free(out);
			return NULL;
		}
	}
	r->s++;
	*o = '\0';
	return out;
}

static struct jv *
parse_number(struct reader *r)
{
	const char *start = r->s;
	struct jv *v;
	char *end;

	if (r->s < r->end && *r->s == '-')
		r->s++;
	if (r->s >= r->end || !isdigit((unsigned char)*r->s)) {
		fail(r, "bad number");
		return NULL;
	}
	if (*r->s == '0')
		r->s++;
	else
		while (r->s < r->end && isdigit((unsigned char)*r->s))
			r->s++;
	if (r->s < r->end && *r->s == '.') {
		r->s++;
		if (r->s >= r->end || !isdigit((unsigned char)*r->s)) {
			fail(r, "bad number");
			return NULL;
		}
		while (r->s < r->end && isdigit((unsigned char)*r->s))
			r->s++;
	}
	if (r->s < r->end && (*r->s == 'e' || *r->s == 'E')) {
		r->s++;
		if (r->s < r->end && (*r->s == '+' || *r->s == '-'))
			r->s++;
		if (r->s >= r->end || !isdigit((unsigned char)*r->s)) {
			fail(r, "bad number");
			return NULL;
		}
		while (r->s < r->end && isdigit((unsigned char)*r->s))
			r->s++;
	}
	if ((v = new_value(r, JV_NUMBER)) == NULL)
		return NULL;
	if ((v->text = strndup(start, (size_t)(r->s - start))) == NULL) {
		free(v);
		fail(r, "out of memory");
		return NULL;
	}
	v->num = strtod(v->text, &end);
	return v;
}

static struct jv *
parse_word(struct reader *r)
{
	static const struct { const char *w; enum jv_type t; int b; } words[] = {
		{ "null", JV_NULL, 0 }, { "true", JV_BOOL, 1 }, { "false", JV_BOOL, 0 },
	};
	struct jv *v;
	size_t i, n;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		n = strlen(words[i].w);
		if ((size_t)(r->end - r->s) >= n && memcmp(r->s, words[i].w, n) == 0) {
			r->s += n;
			if ((v = new_value(r, words[i].t)) != NULL)
				v->boolean = words[i].b;
			return v;
		}
	}
	fail(r, "unexpected character");
	return NULL;
}

/* Elements of an array or members of an object, up to @close. */
static struct jv *
parse_container(struct reader *r, enum jv_type t, int depth)
{
	char close = t == JV_ARRAY ? ']' : '}';
	struct jv *v, *item, **tail;
	char *key = NULL;

	if ((v = new_value(r, t)) == NULL)
		return NULL;
	tail = &v->child;
	r->s++;
	skip_ws(r);
	if (r->s < r->end && *r->s == close) {
		r->s++;
		return v;
	}
	for (;;) {
		skip_ws(r);
		if (t == JV_OBJECT) {
			if (r->s >= r->end || *r->s != '"') {
				fail(r, "expected a member name");
				break;
			}
			if ((key = parse_string(r)) == NULL)
				break;
			skip_ws(r);
			if (r->s >= r->end || *r->s != ':') {
				fail(r, "expected ':'");
				break;
			}
			r->s++;
		}
		if ((item = parse_value(r, depth + 1)) == NULL)
			break;
		item->key = key;
		key = NULL;
		*tail = item;
		tail = &item->next;
		skip_ws(r);
		if (r->s < r->end && *r->s == ',') {
			r->s++;
			continue;
		}
		if (r->s < r->end && *r->s == close) {
			r->s++;
			return v;
		}
		fail(r, "expected ',' or '%c'", close);
		break;
	}
	free(key);
	jv_free(v);
	return NULL;
}

static struct jv *
parse_value(struct reader *r, int depth)
{
	struct jv *v;

	if (depth > JSON_MAX_DEPTH) {
		fail(r, "nested too deeply");
		return NULL;
	}
	skip_ws(r);
	if (r->s >= r->end) {
		fail(r, "unexpected end");
		return NULL;
	}
	switch (*r->s) {
	case '{':
		return parse_container(r, JV_OBJECT, depth);
	case '[':
		return parse_container(r, JV_ARRAY, depth);
	case '"':
		if ((v = new_value(r, JV_STRING)) == NULL)
			return NULL;
		if ((v->text = parse_string(r)) == NULL) {
			free(v);
			return NULL;
		}
		return v;
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return parse_number(r);
	default:
		return parse_word(r);
	}
}

struct jv *
jv_parse(const char *s, size_t len, char *err, size_t errlen)
{
	struct reader r = { s, s, s + len, err, errlen, 0 };
	struct jv *v;

	if ((v = parse_value(&r, 0)) == NULL)
		return NULL;
	skip_ws(&r);
	if (r.s != r.end) {
		fail(&r, "trailing data");
		jv_free(v);
		return NULL;
	}
	return v;
}

void
jv_free(struct jv *v)
{
	struct jv *next;

	for (; v != NULL; v = next) {
		next = v->next;
		jv_free(v->child);
		free(v->key);
		free(v->text);
		free(v);
	}
}

const struct jv *
jv_get(const struct jv *o, const char *key)
{
	const struct jv *m;

	if (o == NULL || o->type != JV_OBJECT)
		return NULL;
	for (m = o->child; m != NULL; m = m->next)
		if (strcmp(m->key, key) == 0)
			return m;
	return NULL;
}

const char *
jv_str(const struct jv *o, const char *key, const char *dflt)
{
	const struct jv *m = jv_get(o, key);

	return m != NULL && m->type == JV_STRING ? m->text : dflt;
}

double
jv_num(const struct jv *o, const char *key, double dflt)
{
	const struct jv *m = jv_get(o, key);

	return m != NULL && m->type == JV_NUMBER ? m->num : dflt;
}

int
jv_is_null(const struct jv *o, const char *key)
{
	const struct jv *m = jv_get(o, key);

	return m == NULL || m->type == JV_NULL;
}
