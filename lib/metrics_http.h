/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * --metrics ADDR:PORT of dicapd, dicap-coord and dicap-analyzer: GET (or
 * HEAD) /metrics answers the Prometheus text format (lib/promtext.h) over
 * libevent's HTTP server, on the daemon's own event loop.  Read-only: no
 * other path or method does anything.  Bounded: at most
 * METRICS_MAX_CONNS connections at once (beyond, the listener pauses and
 * the kernel's backlog holds them), METRICS_MAX_HEADERS bytes of request
 * headers, no request body, METRICS_TIMEOUT_S to send a request or read
 * the answer.  docs/security.md says who should reach it.
 */
#ifndef LIB_METRICS_HTTP_H
#define LIB_METRICS_HTTP_H

#include <stddef.h>

#include "ctlmsg.h"

struct event_base;
struct promw;
struct metrics_server;

#define METRICS_MAX_CONNS	8
#define METRICS_MAX_HEADERS	8192
#define METRICS_MAX_BODY	0
#define METRICS_TIMEOUT_S	10
#define METRICS_PATH		"/metrics"

/* Writes the daemon's families; called once per scrape, on the event loop. */
typedef void	metrics_fill_fn(struct promw *w, void *arg);

/*
 * Listen on @addr (dicap_addr_parse()'s ADDR:PORT) and answer scrapes with
 * @fill(@arg).  NULL with the reason in @err if the address cannot be
 * bound.  SIGPIPE must be ignored (the daemons do).
 */
struct metrics_server	*metrics_open(struct event_base *base, const struct dicap_addr *addr,
	    metrics_fill_fn *fill, void *arg, char *err, size_t errlen);

/* Stop listening and close the connections.  NULL is allowed. */
void	metrics_close(struct metrics_server *s);

/* Connections open now, and the port listened on (for tests: port 0 binds any). */
int	metrics_connections(struct metrics_server *s);
int	metrics_port(const struct metrics_server *s);

#endif /* LIB_METRICS_HTTP_H */
