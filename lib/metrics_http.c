/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The metrics endpoint: see metrics_http.h.  libevent 2.1's evhttp has no
 * connection limit of its own, and no callback when it lets a connection
 * go.  So each connection gets its bufferevent from us (evhttp_set_bevcb),
 * and we keep a reference to it: evhttp's bufferevent_free() clears its
 * callbacks, which tells us the connection is gone (sweep()), and our
 * reference keeps the struct readable until we look.  The event callback
 * is the one to look at: evhttp clears the read callback while it writes
 * an answer, but keeps an event callback for as long as it uses the
 * connection (libevent 2.1's http.c).  The socket is
 * evhttp's to close (no BEV_OPT_CLOSE_ON_FREE), so our reference holds no
 * file descriptor.  With METRICS_MAX_CONNS open the listener is disabled
 * and a timer sweeps until a slot is free: no more descriptors are taken,
 * whatever a client on the management network does.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "log.h"
#include "promtext.h"
#include "sockaddr.h"
#include "metrics_http.h"

#define METRICS_SWEEP_MS	100

struct metrics_server {
	struct evhttp *http;
	struct evconnlistener *listener;	/* owned by @http */
	struct event *ev_sweep;
	metrics_fill_fn *fill;
	void *arg;
	struct bufferevent *conns[METRICS_MAX_CONNS];	/* NULL: a free slot */
	int n_conns;
	int paused;		/* the listener is disabled */
};

/* Let go of the connections evhttp has freed; resume listening if there is room. */
static void
sweep(struct metrics_server *s)
{
	bufferevent_event_cb eventcb;
	int i;

	for (i = 0; i < METRICS_MAX_CONNS; i++) {
		if (s->conns[i] == NULL)
			continue;
		bufferevent_getcb(s->conns[i], NULL, NULL, &eventcb, NULL);
		if (eventcb != NULL)
			continue;
		bufferevent_decref(s->conns[i]);
		s->conns[i] = NULL;
		s->n_conns--;
	}
	if (s->paused && s->n_conns < METRICS_MAX_CONNS) {
		evconnlistener_enable(s->listener);
		s->paused = 0;
		evtimer_del(s->ev_sweep);
	}
}

static void
sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sweep(arg);
}

static struct bufferevent *
conn_bev(struct event_base *base, void *arg)
{
	struct metrics_server *s = arg;
	struct timeval tv = { 0, METRICS_SWEEP_MS * 1000 };
	struct bufferevent *bev;
	int i;

	sweep(s);
	if ((bev = bufferevent_socket_new(base, -1, 0)) == NULL)
		return NULL;	/* evhttp tries its own; that one is not counted */
	for (i = 0; i < METRICS_MAX_CONNS && s->conns[i] != NULL; i++)
		;
	if (i == METRICS_MAX_CONNS)
		return bev;	/* accepted before the listener paused */
	bufferevent_incref(bev);
	s->conns[i] = bev;
	if (++s->n_conns == METRICS_MAX_CONNS) {
		evconnlistener_disable(s->listener);
		s->paused = 1;
		evtimer_add(s->ev_sweep, &tv);
	}
	return bev;
}

static void
answer(struct evhttp_request *req, void *arg)
{
	struct metrics_server *s = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
	struct evbuffer *body;
	struct promw w;

	if ((body = evbuffer_new()) == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	if (path == NULL || strcmp(path, METRICS_PATH) != 0) {
		evhttp_add_header(hdr, "Content-Type", "text/plain; charset=utf-8");
		evbuffer_add_printf(body, "not found: the metrics are at " METRICS_PATH "\n");
		evhttp_send_reply(req, HTTP_NOTFOUND, "Not Found", body);
		evbuffer_free(body);
		return;
	}
	prom_init(&w, body);
	s->fill(&w, s->arg);
	if (w.errors != 0)
		log_warnx("metrics: %d families or samples refused (a bug)", w.errors);
	evhttp_add_header(hdr, "Content-Type", PROM_CONTENT_TYPE);
	evhttp_add_header(hdr, "Cache-Control", "no-store");
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
}

static int
is_loopback(const struct dicap_addr *a)
{
	static const uint8_t v6_loopback[16] = { [15] = 1 };

	if (a->family == 4)
		return a->addr[0] == 127;
	return memcmp(a->addr, v6_loopback, sizeof(v6_loopback)) == 0;
}

struct metrics_server *
metrics_open(struct event_base *base, const struct dicap_addr *addr, metrics_fill_fn *fill,
    void *arg, char *err, size_t errlen)
{
	struct metrics_server *s;
	struct sockaddr_storage ss;
	socklen_t sslen = dicap_addr_to_sockaddr(addr, 0, &ss);

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->fill = fill;
	s->arg = arg;
	s->ev_sweep = event_new(base, -1, EV_PERSIST, sweep_cb, s);
	if (s->ev_sweep == NULL || (s->http = evhttp_new(base)) == NULL) {
		snprintf(err, errlen, "evhttp_new failed");
		if (s->ev_sweep != NULL)
			event_free(s->ev_sweep);
		free(s);
		return NULL;
	}
	/* LEV_OPT_REUSEABLE: a restart binds again at once; IPv6 stays IPv6. */
	s->listener = evconnlistener_new_bind(base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE |
	    LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE |
	    (addr->family == 6 ? LEV_OPT_BIND_IPV6ONLY : 0), 16, (struct sockaddr *)&ss,
	    (int)sslen);
	if (s->listener == NULL) {
		snprintf(err, errlen, "--metrics %s: %s", dicap_addr_str(addr), strerror(errno));
		evhttp_free(s->http);
		event_free(s->ev_sweep);
		free(s);
		return NULL;
	}
	if (evhttp_bind_listener(s->http, s->listener) == NULL) {
		snprintf(err, errlen, "--metrics %s: evhttp_bind_listener failed",
		    dicap_addr_str(addr));
		evconnlistener_free(s->listener);
		evhttp_free(s->http);
		event_free(s->ev_sweep);
		free(s);
		return NULL;
	}
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_max_headers_size(s->http, METRICS_MAX_HEADERS);
	evhttp_set_max_body_size(s->http, METRICS_MAX_BODY);
	evhttp_set_timeout(s->http, METRICS_TIMEOUT_S);
	evhttp_set_bevcb(s->http, conn_bev, s);
	evhttp_set_gencb(s->http, answer, s);
	if (is_loopback(addr))
		log_info("metrics at http://%s" METRICS_PATH, dicap_addr_str(addr));
	else
		log_warnx("metrics at http://%s" METRICS_PATH ": not loopback, anyone who "
		    "reaches it can read them (docs/security.md)", dicap_addr_str(addr));
	return s;
}

void
metrics_close(struct metrics_server *s)
{
	int i;

	if (s == NULL)
		return;
	evhttp_free(s->http);
	for (i = 0; i < METRICS_MAX_CONNS; i++)
		if (s->conns[i] != NULL)
			bufferevent_decref(s->conns[i]);
	event_free(s->ev_sweep);
	free(s);
}

int
metrics_connections(struct metrics_server *s)
{
	sweep(s);
	return s->n_conns;
}

int
metrics_port(const struct metrics_server *s)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct dicap_addr a;

	if (getsockname(evconnlistener_get_fd(s->listener), (struct sockaddr *)&ss, &len) == -1 ||
	    dicap_addr_from_sockaddr((struct sockaddr *)&ss, &a) == -1)
		return -1;
	return a.port;
}
