/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The bucket table of the published member list, for the shares that
 * STATUS and COORD_SYNC show.  Building it costs 65536 x members hash
 * evaluations (about 1.5 s for 4096 members), so it is built only when a
 * share is asked for, once per epoch, and in a worker thread: the event
 * loop keeps answering heartbeats meanwhile.  The worker gets its own copy
 * of the member list and its own table; it touches nothing else.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coord.h"
#include "log.h"

static void *
table_worker(void *arg)
{
	struct table_state *t = arg;
	const char *err = NULL;
	char done = 1;

	t->w_rc = dicap_table_build(t->w_members, t->w_n, t->w_table, &err);
	t->w_err = err;
	while (write(t->pipe[1], &done, 1) == -1 && errno == EINTR)
		;
	return NULL;
}

static void
install(struct coord *c, struct table_state *t)
{
	uint16_t *swap;
	uint32_t *owned, b;

	if (t->w_rc == -1) {
		log_warnx("bucket table for epoch %u: %s", t->w_epoch, t->w_err ? t->w_err : "?");
		return;
	}
	if ((owned = realloc(t->owned, t->w_n * sizeof(*owned))) == NULL)
		return;
	t->owned = owned;
	memset(owned, 0, t->w_n * sizeof(*owned));
	for (b = 0; b < DICAP_BUCKETS; b++)
		if (t->w_table[b] < t->w_n)
			owned[t->w_table[b]]++;
	swap = t->table;
	t->table = t->w_table;
	t->w_table = swap;
	t->n_owned = t->w_n;
	t->term = t->w_term;
	t->epoch = t->w_epoch;
	t->valid = 1;
	log_debug("bucket table of term %u epoch %u ready (%u members)", t->term, t->epoch,
	    t->n_owned);
	(void)c;
}

static void
table_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct coord *c = arg;
	struct table_state *t = &c->tbl;
	char buf[16];

	(void)what;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	if (!t->busy)
		return;
	pthread_join(t->thread, NULL);
	t->busy = 0;
	install(c, t);
	status_table_ready(c);
}

int
table_init(struct coord *c)
{
	struct table_state *t = &c->tbl;

	t->pipe[0] = t->pipe[1] = -1;
	if (pipe2(t->pipe, O_NONBLOCK | O_CLOEXEC) == -1)
		return -1;
	t->table = malloc(DICAP_BUCKETS * sizeof(*t->table));
	t->w_table = malloc(DICAP_BUCKETS * sizeof(*t->w_table));
	t->ev_done = event_new(c->base, t->pipe[0], EV_READ | EV_PERSIST, table_done_cb, c);
	if (t->table == NULL || t->w_table == NULL || t->ev_done == NULL ||
	    event_add(t->ev_done, NULL) == -1)
		return -1;
	return 0;
}

void
table_free(struct coord *c)
{
	struct table_state *t = &c->tbl;

	if (t->busy)
		pthread_join(t->thread, NULL);
	if (t->ev_done != NULL)
		event_free(t->ev_done);
	if (t->pipe[0] != -1)
		close(t->pipe[0]);
	if (t->pipe[1] != -1)
		close(t->pipe[1]);
	free(t->table);
	free(t->w_table);
	free(t->w_members);
	free(t->owned);
}

/* Are the shares of the current (term, epoch) known? */
int
table_ready(struct coord *c)
{
	const struct table_state *t = &c->tbl;

	if (c->n_members == 0 || c->conf.mode == DICAP_MODE_RR)
		return 1;
	return t->valid && t->term == c->term && t->epoch == c->epoch;
}

/* Start building the table of the current epoch, unless under way or done. */
void
table_request(struct coord *c)
{
	struct table_state *t = &c->tbl;
	struct dicap_member *m;

	if (table_ready(c) || t->busy)
		return;
	if ((m = realloc(t->w_members, c->n_members * sizeof(*m))) == NULL)
		return;
	memcpy(m, c->members, c->n_members * sizeof(*m));
	t->w_members = m;
	t->w_n = c->n_members;
	t->w_term = c->term;
	t->w_epoch = c->epoch;
	if (pthread_create(&t->thread, NULL, table_worker, t) != 0) {
		log_warnx("cannot start the bucket table worker");
		return;
	}
	t->busy = 1;
}

/* Buckets of member @pos in the current table (table_ready() must hold). */
uint32_t
table_owned(struct coord *c, uint32_t pos)
{
	const struct table_state *t = &c->tbl;

	return pos < t->n_owned ? t->owned[pos] : 0;
}
