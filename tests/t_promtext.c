/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Prometheus exposition writer (lib/promtext.c) and the metrics
 * endpoint (lib/metrics_http.c) on loopback: what a scrape returns, that
 * nothing but GET /metrics answers, and that connections are bounded.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "metrics_http.h"
#include "promtext.h"
#include "tap.h"

static char *
drain(struct evbuffer *b)
{
	size_t n = evbuffer_get_length(b);
	char *s = malloc(n + 1);

	evbuffer_remove(b, s, n);
	s[n] = '\0';
	return s;
}

static void
is_str(const char *got, const char *want, const char *name)
{
	if (!ok(strcmp(got, want) == 0, "%s", name))
		diag("got:\n%s\n# expected:\n%s", got, want);
}

static void
writer_tests(void)
{
	struct evbuffer *b = evbuffer_new();
	struct prom_label l[2] = {
		{ "node_id", "0x0000000a" },
		{ "iface", "a\"b\\c\nd" },
	};
	struct promw w;
	char *s;

	prom_init(&w, b);
	ok(prom_family(&w, "dicap_x_total", PROM_COUNTER, "Frames,\nback\\slash") == 0 &&
	    prom_u64(&w, l, 2, 42) == 0 && prom_u64(&w, NULL, 0, 0) == 0,
	    "a counter family with labels");
	ok(prom_family(&w, "dicap_share_ratio", PROM_GAUGE, "Share") == 0 &&
	    prom_double(&w, l, 1, 0.25) == 0, "a gauge family");
	s = drain(b);
	is_str(s,
	    "# HELP dicap_x_total Frames,\\nback\\\\slash\n"
	    "# TYPE dicap_x_total counter\n"
	    "dicap_x_total{node_id=\"0x0000000a\",iface=\"a\\\"b\\\\c\\nd\"} 42\n"
	    "dicap_x_total 0\n"
	    "# HELP dicap_share_ratio Share\n"
	    "# TYPE dicap_share_ratio gauge\n"
	    "dicap_share_ratio{node_id=\"0x0000000a\"} 0.25\n",
	    "HELP, TYPE and samples, label values and help escaped");
	free(s);
	ok(w.errors == 0, "no errors so far");

	ok(prom_family(&w, "dicap_x_total", PROM_COUNTER, "again") == -1,
	    "a family is written once");
	ok(prom_u64(&w, NULL, 0, 1) == -1, "no samples after a refused family");
	ok(prom_family(&w, "dicap_frames", PROM_COUNTER, "x") == -1,
	    "a counter's name ends in _total");
	ok(prom_family(&w, "9dicap", PROM_GAUGE, "x") == -1 &&
	    prom_family(&w, "dicap-x", PROM_GAUGE, "x") == -1 &&
	    prom_family(&w, "", PROM_GAUGE, "x") == -1, "metric names follow the grammar");
	ok(prom_family(&w, "dicap:rec_y", PROM_GAUGE, "x") == 0, "a colon is allowed");
	l[0].name = "__x";
	ok(prom_u64(&w, l, 1, 1) == -1, "the __ label prefix is reserved");
	l[0].name = "a:b";
	ok(prom_u64(&w, l, 1, 1) == -1, "no colon in label names");
	ok(prom_double(&w, NULL, 0, 1.0 / 0.0) == 0, "infinity");
	s = drain(b);
	is_str(s, "# HELP dicap:rec_y x\n# TYPE dicap:rec_y gauge\ndicap:rec_y +Inf\n",
	    "refused calls write nothing");
	free(s);
	ok(w.errors == 8, "refused calls are counted: %d", w.errors);
	evbuffer_free(b);
}

static int big;	/* answers of megabytes: a client that does not read stalls them */

static void
fill(struct promw *w, void *arg)
{
	struct prom_label l = { "i", NULL };
	char v[16];
	int *calls = arg, i;

	(*calls)++;
	prom_single(w, "dicap_test_scrapes_total", PROM_COUNTER, "Scrapes", (uint64_t)*calls);
	if (!big)
		return;
	prom_family(w, "dicap_test_big", PROM_GAUGE, "Padding");
	for (i = 0; i < 100000; i++) {
		snprintf(v, sizeof(v), "%d", i);
		l.value = v;
		prom_u64(w, &l, 1, (uint64_t)i);
	}
}

static int
client(int port)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

/* Run the loop until @fd has an answer and the server closed it (or 3 s). */
static char *
exchange(struct event_base *base, int port, const char *req)
{
	static char buf[16384];
	size_t len = 0;
	ssize_t n;
	int fd = client(port), i;

	if (fd == -1 || write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		return NULL;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	for (i = 0; i < 3000; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n == 0)
			break;
		if (n > 0)
			len += (size_t)n;
		else if (errno != EAGAIN)
			break;
		usleep(1000);
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

static void
loop_ms(struct event_base *base, int ms)
{
	int i;

	for (i = 0; i < ms; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
}

/* Run the loop until @s has @want connections, for 10 s at most (a loaded machine). */
static int
wait_conns(struct event_base *base, struct metrics_server *s, int want)
{
	int i;

	for (i = 0; i < 10000 && metrics_connections(s) != want; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
	return metrics_connections(s);
}

/* Whether @fd has an answer ("HTTP/1.0 200") now, after running the loop @ms ms. */
static int
answered(struct event_base *base, int fd, int ms)
{
	char buf[16];
	ssize_t n;

	loop_ms(base, ms);
	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT | MSG_PEEK);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strncmp(buf, "HTTP/1.0 200", 12) == 0;
}

static void
server_tests(void)
{
	struct event_base *base = event_base_new();
	struct metrics_server *s;
	struct dicap_addr a;
	char err[256];
	int calls = 0, port, fds[METRICS_MAX_CONNS + 2], i, n_open = 0, taken;
	char *r;
	const char *get = "GET /metrics HTTP/1.0\r\n\r\n";

	/* Port 0: any free one (dicap_addr_parse() wants a real port). */
	memset(&a, 0, sizeof(a));
	a.family = 4;
	a.addr[0] = 127;
	a.addr[3] = 1;
	s = metrics_open(base, &a, fill, &calls, err, sizeof(err));
	ok(s != NULL && (port = metrics_port(s)) > 0, "listening on loopback: %s",
	    s != NULL ? "yes" : err);
	if (s == NULL)
		return;
	r = exchange(base, port, get);
	ok(r != NULL && strncmp(r, "HTTP/1.0 200", 12) == 0 &&
	    strstr(r, "Content-Type: " PROM_CONTENT_TYPE) != NULL &&
	    strstr(r, "\r\n\r\n# HELP dicap_test_scrapes_total Scrapes\n") != NULL &&
	    strstr(r, "dicap_test_scrapes_total 1\n") != NULL,
	    "GET /metrics: 200 and the text format");
	r = exchange(base, port, "GET /other HTTP/1.0\r\n\r\n");
	ok(r != NULL && strncmp(r, "HTTP/1.0 404", 12) == 0 && calls == 1,
	    "another path: 404, nothing collected");
	r = exchange(base, port, "POST /metrics HTTP/1.0\r\n\r\n");
	ok(r != NULL && strncmp(r, "HTTP/1.1 501", 12) == 0 && calls == 1,
	    "POST: 501 (evhttp's answer to a method not allowed), nothing collected");
	{
		char big[METRICS_MAX_HEADERS + 200];

		snprintf(big, sizeof(big), "GET /metrics HTTP/1.0\r\nX: %0*d\r\n\r\n",
		    METRICS_MAX_HEADERS, 0);
		r = exchange(base, port, big);
		ok(r != NULL && strstr(r, " 200 ") == NULL && calls == 1,
		    "headers over %d bytes: refused (%.12s)", METRICS_MAX_HEADERS,
		    r != NULL ? r : "");
	}
	ok(wait_conns(base, s, 0) == 0, "every connection closed");

	/*
	 * Idle clients: the listener pauses at the limit.  The two beyond it
	 * ask at once; they are answered only when two of the others leave.
	 */
	for (i = 0; i < METRICS_MAX_CONNS + 2; i++)
		if ((fds[i] = client(port)) != -1)
			n_open++;
	for (i = METRICS_MAX_CONNS; i < METRICS_MAX_CONNS + 2; i++)
		if (fds[i] != -1 && write(fds[i], get, strlen(get)) != (ssize_t)strlen(get))
			n_open--;
	taken = wait_conns(base, s, METRICS_MAX_CONNS);
	ok(n_open == METRICS_MAX_CONNS + 2 && taken == METRICS_MAX_CONNS,
	    "%d clients connect, %d are taken", n_open, taken);
	ok(!answered(base, fds[METRICS_MAX_CONNS], 300) &&
	    !answered(base, fds[METRICS_MAX_CONNS + 1], 0) && calls == 1,
	    "the two beyond the limit wait, unanswered");
	close(fds[0]);
	close(fds[1]);
	for (i = 0; i < 10000 && !(answered(base, fds[METRICS_MAX_CONNS], 1) &&
	    answered(base, fds[METRICS_MAX_CONNS + 1], 0)); i++)
		;
	ok(i < 10000 && calls == 3, "two leave: the two waiting are taken and answered");
	for (i = 2; i < METRICS_MAX_CONNS + 2; i++)
		close(fds[i]);
	ok(wait_conns(base, s, 0) == 0, "all gone");
	calls = 1;
	r = exchange(base, port, get);
	ok(r != NULL && strstr(r, "dicap_test_scrapes_total 2\n") != NULL,
	    "and the next scrape is answered");

	/* Clients that ask and never read: their answers stall, they still count. */
	big = 1;
	for (i = 0; i < METRICS_MAX_CONNS + 2; i++) {
		fds[i] = client(port);
		if (fds[i] != -1 && write(fds[i], get, strlen(get)) != (ssize_t)strlen(get)) {
			close(fds[i]);
			fds[i] = -1;
		}
	}
	for (i = 0; i < 10000 && calls < 2 + METRICS_MAX_CONNS; i++)
		loop_ms(base, 1);
	loop_ms(base, 300);
	ok(metrics_connections(s) == METRICS_MAX_CONNS && calls == 2 + METRICS_MAX_CONNS,
	    "%d readers that do not read: %d connections, %d answered", METRICS_MAX_CONNS + 2,
	    metrics_connections(s), calls - 2);
	for (i = 0; i < METRICS_MAX_CONNS + 2; i++)
		if (fds[i] != -1)
			close(fds[i]);
	ok(wait_conns(base, s, 0) == 0, "they close");
	big = 0;

	/* Closing with a client connected must not leave @s to a late free. */
	fds[0] = client(port);
	loop_ms(base, 20);
	metrics_close(s);
	close(fds[0]);
	event_base_free(base);
	ok(1, "closed with a connection open");
}

int
main(void)
{
	plan(NO_PLAN);
	writer_tests();
	server_tests();
	return done_testing();
}
