/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A small JSON writer into a libevent evbuffer (lib/jsonw.c), shared by
 * dicapd and dicapctl.
 */
#ifndef LIB_JSONW_H
#define LIB_JSONW_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

#define JSONW_MAX_DEPTH	16

struct jsonw {
	struct evbuffer *out;
	int depth;
	int first[JSONW_MAX_DEPTH];	/* nothing written yet at this level */
	int after_key;
};

void	jw_init(struct jsonw *w, struct evbuffer *out);
void	jw_strn(struct jsonw *w, const char *str, size_t n);
void	jw_str(struct jsonw *w, const char *s);
void	jw_key(struct jsonw *w, const char *k);
void	jw_open(struct jsonw *w, char c);
void	jw_close(struct jsonw *w, char c);
void	jw_u64(struct jsonw *w, uint64_t v);
void	jw_i64(struct jsonw *w, int64_t v);
void	jw_fixed(struct jsonw *w, double v, int decimals);
void	jw_null(struct jsonw *w);
void	jw_bool(struct jsonw *w, int v);
/* Node ids are "0x%08x" strings everywhere. */
void	jw_id(struct jsonw *w, uint32_t id);

#define jw_obj_begin(w)	jw_open((w), '{')
#define jw_obj_end(w)	jw_close((w), '}')
#define jw_arr_begin(w)	jw_open((w), '[')
#define jw_arr_end(w)	jw_close((w), ']')

#endif /* LIB_JSONW_H */
