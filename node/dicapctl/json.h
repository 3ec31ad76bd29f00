/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A small strict JSON reader: enough to check what dicapd answers and to
 * pick fields out of it for the human-readable summary.
 */
#ifndef DICAPCTL_JSON_H
#define DICAPCTL_JSON_H

#include <stddef.h>

enum jv_type { JV_NULL, JV_BOOL, JV_NUMBER, JV_STRING, JV_ARRAY, JV_OBJECT };

struct jv {
	enum jv_type type;
	char *key;		/* member name inside an object */
	char *text;		/* string value, or the number as written */
	double num;
	int boolean;
	struct jv *child;	/* first element or member */
	struct jv *next;	/* next sibling */
};

/* Parse @len bytes of @s (one value, then only white space); NULL + @err on error. */
struct jv *jv_parse(const char *s, size_t len, char *err, size_t errlen);
void jv_free(struct jv *);

/* Member @key of object @o, or NULL. */
const struct jv *jv_get(const struct jv *o, const char *key);

/* The member as a string / number, or @dflt when absent or of another type. */
const char *jv_str(const struct jv *o, const char *key, const char *dflt);
double jv_num(const struct jv *o, const char *key, double dflt);
int jv_is_null(const struct jv *o, const char *key);

#endif /* DICAPCTL_JSON_H */
