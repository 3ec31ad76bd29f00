/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A small JSON writer into a libevent evbuffer.  The caller says what to
 * write; the writer places commas and colons and escapes strings, so the
 * output is always valid JSON even for hostile text (error messages come
 * off the network).
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "jsonw.h"

void
jw_init(struct jsonw *w, struct evbuffer *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->first[0] = 1;
}

static void
jw_sep(struct jsonw *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (!w->first[w->depth])
		evbuffer_add(w->out, ",", 1);
	w->first[w->depth] = 0;
}

/* Length of the valid UTF-8 sequence at @s (at most @n bytes), or 0. */
static size_t
jw_utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* A string value: control bytes escaped, invalid UTF-8 replaced by U+FFFD. */
void
jw_strn(struct jsonw *w, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i, len;
	char esc[8];

	jw_sep(w);
	evbuffer_add(w->out, "\"", 1);
	for (i = 0; i < n; i += len) {
		len = 1;
		if (s[i] == '"' || s[i] == '\\') {
			esc[0] = '\\';
			esc[1] = (char)s[i];
			evbuffer_add(w->out, esc, 2);
		} else if (s[i] == '\n') {
			evbuffer_add(w->out, "\\n", 2);
		} else if (s[i] == '\t') {
			evbuffer_add(w->out, "\\t", 2);
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			evbuffer_add_printf(w->out, "\\u%04x", s[i]);
		} else if (s[i] < 0x80) {
			evbuffer_add(w->out, &s[i], 1);
		} else if ((len = jw_utf8_len(s + i, n - i)) != 0) {
			evbuffer_add(w->out, &s[i], len);
		} else {
			len = 1;
			evbuffer_add(w->out, "\\ufffd", 6);
		}
	}
	evbuffer_add(w->out, "\"", 1);
}

void
jw_str(struct jsonw *w, const char *s)
{
	jw_strn(w, s, strlen(s));
}

void
jw_key(struct jsonw *w, const char *k)
{
	jw_str(w, k);
	evbuffer_add(w->out, ":", 1);
	w->after_key = 1;
}

void
jw_open(struct jsonw *w, char c)
{
	jw_sep(w);
	evbuffer_add(w->out, &c, 1);
	if (w->depth + 1 < JSONW_MAX_DEPTH)
		w->depth++;
	w->first[w->depth] = 1;
}

void
jw_close(struct jsonw *w, char c)
{
	evbuffer_add(w->out, &c, 1);
	if (w->depth > 0)
		w->depth--;
}


void
jw_u64(struct jsonw *w, uint64_t v)
{
	jw_sep(w);
	evbuffer_add_printf(w->out, "%" PRIu64, v);
}

void
jw_i64(struct jsonw *w, int64_t v)
{
	jw_sep(w);
	evbuffer_add_printf(w->out, "%" PRId64, v);
}

/* A fixed-point number with @decimals digits after the point. */
void
jw_fixed(struct jsonw *w, double v, int decimals)
{
	jw_sep(w);
	evbuffer_add_printf(w->out, "%.*f", decimals, v);
}

void
jw_null(struct jsonw *w)
{
	jw_sep(w);
	evbuffer_add(w->out, "null", 4);
}

void
jw_bool(struct jsonw *w, int v)
{
	jw_sep(w);
	if (v)
		evbuffer_add(w->out, "true", 4);
	else
		evbuffer_add(w->out, "false", 5);
}

/* Node ids are "0x%08x" strings everywhere. */
void
jw_id(struct jsonw *w, uint32_t id)
{
	char s[16];

	snprintf(s, sizeof(s), "0x%08x", id);
	jw_str(w, s);
}
