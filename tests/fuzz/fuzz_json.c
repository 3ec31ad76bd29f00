/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicapctl's JSON reader (node/dicapctl/json.c) on anything a daemon might
 * answer.  A document that parses must have a well-formed tree, and the
 * tree written out again here must parse to an equal tree.  A failure must
 * say why and where.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/dicapctl/json.h"

#define CHECK(cond)	do { if (!(cond)) abort(); } while (0)

struct out {
	char *buf;
	size_t len, cap;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		o->cap = (o->len + n + 1) * 2;
		o->buf = realloc(o->buf, o->cap);
		CHECK(o->buf != NULL);
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void
put_string(struct out *o, const char *s)
{
	char esc[8];

	put(o, "\"", 1);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\') {
			esc[0] = '\\';
			esc[1] = *s;
			put(o, esc, 2);
		} else if ((unsigned char)*s < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned char)*s);
			put(o, esc, 6);
		} else {
			put(o, s, 1);
		}
	}
	put(o, "\"", 1);
}

static void
write_value(struct out *o, const struct jv *v, int depth)
{
	const struct jv *c;

	CHECK(depth <= 64);
	switch (v->type) {
	case JV_NULL:
		put(o, "null", 4);
		break;
	case JV_BOOL:
		CHECK(v->boolean == 0 || v->boolean == 1);
		put(o, v->boolean ? "true" : "false", v->boolean ? 4 : 5);
		break;
	case JV_NUMBER:
		CHECK(v->text != NULL && v->text[0] != '\0');
		put(o, v->text, strlen(v->text));
		break;
	case JV_STRING:
		CHECK(v->text != NULL);
		put_string(o, v->text);
		break;
	case JV_ARRAY:
	case JV_OBJECT:
		put(o, v->type == JV_ARRAY ? "[" : "{", 1);
		for (c = v->child; c != NULL; c = c->next) {
			if (c != v->child)
				put(o, ",", 1);
			if (v->type == JV_OBJECT) {
				CHECK(c->key != NULL);
				put_string(o, c->key);
				put(o, ":", 1);
			} else {
				CHECK(c->key == NULL);
			}
			write_value(o, c, depth + 1);
		}
		put(o, v->type == JV_ARRAY ? "]" : "}", 1);
		break;
	default:
		abort();
	}
}

static int
equal(const struct jv *a, const struct jv *b)
{
	for (; a != NULL && b != NULL; a = a->next, b = b->next) {
		if (a->type != b->type || (a->key == NULL) != (b->key == NULL) ||
		    (a->key != NULL && strcmp(a->key, b->key) != 0) ||
		    (a->text == NULL) != (b->text == NULL) ||
		    (a->text != NULL && strcmp(a->text, b->text) != 0) ||
		    a->boolean != b->boolean || !equal(a->child, b->child))
			return 0;
		if (a->type == JV_NUMBER && !(a->num == b->num || (a->num != a->num &&
		    b->num != b->num)))
			return 0;
	}
	return a == NULL && b == NULL;
}

/* The accessors on whatever the first member names. */
static void
try_accessors(const struct jv *v)
{
	const char *key;

	if (v->type != JV_OBJECT || v->child == NULL)
		return;
	key = v->child->key;
	CHECK(jv_get(v, key) == v->child);
	CHECK(jv_str(v, key, NULL) == (v->child->type == JV_STRING ? v->child->text : NULL));
	CHECK(jv_is_null(v, key) == (v->child->type == JV_NULL));
	CHECK(jv_is_null(v, "\x01 no such key") == 1);
	(void)jv_num(v, key, 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct out o = { NULL, 0, 0 };
	char err[128], *copy;
	struct jv *v, *w;

	/* Exactly @size bytes, no NUL after them: the reader must not look. */
	copy = malloc(size ? size : 1);
	CHECK(copy != NULL);
	memcpy(copy, data, size);
	err[0] = '\0';
	v = jv_parse(copy, size, err, sizeof(err));
	if (v == NULL) {
		CHECK(err[0] != '\0' && strstr(err, " at byte ") != NULL);
		free(copy);
		return 0;
	}
	try_accessors(v);
	write_value(&o, v, 0);
	w = jv_parse(o.buf, o.len, err, sizeof(err));
	CHECK(w != NULL);
	CHECK(equal(v, w));
	jv_free(v);
	jv_free(w);
	free(o.buf);
	free(copy);
	return 0;
}
