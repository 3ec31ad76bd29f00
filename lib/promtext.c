/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Prometheus text exposition format: see promtext.h.  The grammar is
 * Prometheus' "Exposition formats" document: metric names
 * [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* (a "__"
 * prefix is reserved), label values with \, " and newline escaped, HELP
 * with \ and newline escaped.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "promtext.h"

void
prom_init(struct promw *w, struct evbuffer *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

static int
name_char(char c, int first, int colon)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return 1;
	if (c == ':')
		return colon;
	return !first && c >= '0' && c <= '9';
}

int
prom_valid_metric_name(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0' || strlen(s) >= PROM_NAME_MAX)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!name_char(s[i], i == 0, 1))
			return 0;
	return 1;
}

int
prom_valid_label_name(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0' || strncmp(s, "__", 2) == 0)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!name_char(s[i], i == 0, 0))
			return 0;
	return 1;
}

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* @s with \ and newline escaped, and " too when @quote (label values). */
static void
put_escaped(struct evbuffer *out, const char *s, int quote)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		if (*s != '\\' && *s != '\n' && !(quote && *s == '"'))
			continue;
		evbuffer_add(out, run, (size_t)(s - run));
		evbuffer_add(out, *s == '\\' ? "\\\\" : *s == '\n' ? "\\n" : "\\\"", 2);
		run = s + 1;
	}
	evbuffer_add(out, run, (size_t)(s - run));
}

int
prom_family(struct promw *w, const char *name, enum prom_type type, const char *help)
{
	size_t len, i;
	uint64_t h;

	w->family[0] = '\0';
	if (!prom_valid_metric_name(name))
		goto refuse;
	len = strlen(name);
	if (type == PROM_COUNTER && (len < 6 || strcmp(name + len - 6, "_total") != 0))
		goto refuse;
	h = fnv1a(name);
	for (i = 0; i < w->n_seen; i++)
		if (w->seen[i] == h)
			goto refuse;
	if (w->n_seen == PROM_MAX_FAMILIES)
		goto refuse;
	w->seen[w->n_seen++] = h;
	memcpy(w->family, name, len + 1);
	evbuffer_add_printf(w->out, "# HELP %s ", name);
	put_escaped(w->out, help, 0);
	evbuffer_add_printf(w->out, "\n# TYPE %s %s\n", name,
	    type == PROM_COUNTER ? "counter" : "gauge");
	return 0;
refuse:
	w->errors++;
	return -1;
}

static int
sample_head(struct promw *w, const struct prom_label *labels, size_t n)
{
	size_t i;

	if (w->family[0] == '\0')
		goto refuse;
	for (i = 0; i < n; i++)
		if (!prom_valid_label_name(labels[i].name) || labels[i].value == NULL)
			goto refuse;
	evbuffer_add(w->out, w->family, strlen(w->family));
	for (i = 0; i < n; i++) {
		evbuffer_add_printf(w->out, "%s%s=\"", i == 0 ? "{" : ",", labels[i].name);
		put_escaped(w->out, labels[i].value, 1);
		evbuffer_add(w->out, "\"", 1);
	}
	if (n != 0)
		evbuffer_add(w->out, "}", 1);
	return 0;
refuse:
	w->errors++;
	return -1;
}

int
prom_u64(struct promw *w, const struct prom_label *labels, size_t n, uint64_t v)
{
	if (sample_head(w, labels, n) == -1)
		return -1;
	evbuffer_add_printf(w->out, " %llu\n", (unsigned long long)v);
	return 0;
}

int
prom_double(struct promw *w, const struct prom_label *labels, size_t n, double v)
{
	if (sample_head(w, labels, n) == -1)
		return -1;
	if (isnan(v))
		evbuffer_add_printf(w->out, " NaN\n");
	else if (isinf(v))
		evbuffer_add_printf(w->out, " %sInf\n", v < 0 ? "-" : "+");
	else
		evbuffer_add_printf(w->out, " %.10g\n", v);
	return 0;
}

int
prom_single(struct promw *w, const char *name, enum prom_type type, const char *help,
    uint64_t v)
{
	if (prom_family(w, name, type, help) == -1)
		return -1;
	return prom_u64(w, NULL, 0, v);
}
