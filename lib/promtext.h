/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Prometheus text exposition format (version 0.0.4) into a libevent
 * evbuffer, shared by the three daemons' --metrics (lib/metrics_http.c).
 * A family is written whole: its HELP and TYPE lines, then its samples,
 * before the next family starts, so no family is split or repeated.
 * Names are checked against the format's grammar and label values and
 * help texts escaped, so nothing a peer sent (an interface name, an
 * address) can break a line.  docs/design.md, "Metrics", lists the
 * families.
 */
#ifndef LIB_PROMTEXT_H
#define LIB_PROMTEXT_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

#define PROM_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"
#define PROM_NAME_MAX		128
#define PROM_MAX_FAMILIES	256

enum prom_type {
	PROM_COUNTER,		/* its name ends in _total */
	PROM_GAUGE,
};

struct prom_label {
	const char *name;
	const char *value;	/* any bytes but NUL */
};

struct promw {
	struct evbuffer *out;
	char family[PROM_NAME_MAX];	/* the family being written; "" before the first */
	uint64_t seen[PROM_MAX_FAMILIES];	/* FNV-1a hashes of the families written */
	size_t n_seen;
	int errors;		/* calls refused (bad or repeated names, too many families) */
};

void	prom_init(struct promw *w, struct evbuffer *out);

/*
 * Start the family @name (HELP @help, TYPE @type): the samples that
 * follow belong to it.  -1, nothing written and the samples up to the next
 * family dropped, if @name is not a metric name, a counter's name does not
 * end in _total, or the family was written already.
 */
int	prom_family(struct promw *w, const char *name, enum prom_type type, const char *help);

/*
 * A sample of the current family with @n labels (@labels may be NULL when
 * @n is 0).  -1 and nothing written if there is no current family or a
 * label name is not valid (or reserved: "__" prefix).
 */
int	prom_u64(struct promw *w, const struct prom_label *labels, size_t n, uint64_t v);
int	prom_double(struct promw *w, const struct prom_label *labels, size_t n, double v);

/* A family of one sample without labels. */
int	prom_single(struct promw *w, const char *name, enum prom_type type, const char *help,
	    uint64_t v);

int	prom_valid_metric_name(const char *s);
int	prom_valid_label_name(const char *s);

#endif /* LIB_PROMTEXT_H */
