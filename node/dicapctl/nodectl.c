/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The node agent's UNIX socket: write one command line, read to EOF.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dicapctl.h"
#include "json.h"

#define ANSWER_MAX	(4 * 1024 * 1024)
#define NODE_TIMEOUT_MS	5000

/* Where to reach the agent, and how to name it in messages. */
static void
sock_path(const struct ctl_opts *o, char *path, size_t len)
{
	if (o->sock_path != NULL)
		snprintf(path, len, "%s", o->sock_path);
	else
		snprintf(path, len, "%s/%s.sock", DICAPCTL_SOCK_DIR, o->iface);
}

static void
unreachable(const struct ctl_opts *o, const char *path, const char *why)
{
	if (o->iface != NULL)
		ctl_error("cannot reach dicapd for %s at %s: %s: is `dicapd -i %s` running?",
		    o->iface, path, why, o->iface);
	else
		ctl_error("cannot reach dicapd at %s: %s: is dicapd running with -s %s?",
		    path, why, path);
}

static void
closed_at_once(const char *path)
{
	ctl_error("dicapd at %s closed the connection at once: it serves %s",
	    path, "at most 32 clients at a time, and only root, its own user and "
	    "the socket's group");
}

/* Write @cmd, read the whole answer; a malloc'ed NUL-terminated string or NULL. */
static char *
ask(const struct ctl_opts *o, const char *cmd, size_t *lenp)
{
	struct sockaddr_un sun;
	struct pollfd pfd;
	char path[sizeof(sun.sun_path) + 64], *buf = NULL, *nb;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd;

	sock_path(o, path, sizeof(path));
	if (strlen(path) >= sizeof(sun.sun_path)) {
		unreachable(o, path, "path too long for a UNIX socket");
		return NULL;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		unreachable(o, path, strerror(errno));
		if (fd != -1)
			close(fd);
		return NULL;
	}
	if (send(fd, cmd, strlen(cmd), MSG_NOSIGNAL) != (ssize_t)strlen(cmd)) {
		if (errno == EPIPE || errno == ECONNRESET)
			closed_at_once(path);
		else
			unreachable(o, path, strerror(errno));
		close(fd);
		return NULL;
	}
	shutdown(fd, SHUT_WR);
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		if (poll(&pfd, 1, NODE_TIMEOUT_MS) <= 0) {
			unreachable(o, path, "no answer within 5 s");
			goto fail;
		}
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 16384;
			if (cap > ANSWER_MAX || (nb = realloc(buf, cap)) == NULL) {
				ctl_error("the answer of dicapd at %s is too large", path);
				goto fail;
			}
			buf = nb;
		}
		if ((n = read(fd, buf + len, cap - len - 1)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == ECONNRESET && len == 0)
				closed_at_once(path);
			else
				unreachable(o, path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (buf == NULL && (buf = malloc(1)) == NULL)
		return NULL;
	buf[len] = '\0';
	*lenp = len;
	return buf;
fail:
	close(fd);
	free(buf);
	return NULL;
}

static int
answer_is_error(const char *buf)
{
	if (strncmp(buf, "error:", 6) != 0)
		return 0;
	ctl_error("dicapd says:%.*s", (int)strcspn(buf + 6, "\n"), buf + 6);
	return 1;
}

static const char *
ns_to_local(double ns, char *buf, size_t len)
{
	time_t sec = (time_t)(ns / 1e9);
	struct tm tm;
	size_t n;

	localtime_r(&sec, &tm);
	n = strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03d", (int)((uint64_t)ns % 1000000000 / 1000000));
	return buf;
}

static void
print_counters(const struct jv *c, const char *title)
{
	const struct jv *m;
	int col = 0;

	if (c == NULL || c->type != JV_OBJECT)
		return;
	printf("%s:\n", title);
	for (m = c->child; m != NULL; m = m->next) {
		printf("  %-22s %12s", m->key, m->text ? m->text : "-");
		if (++col % 2 == 0)
			printf("\n");
	}
	if (col % 2)
		printf("\n");
}

static void
print_topology(const struct jv *v)
{
	char when[64];
	const struct jv *a;

	if (jv_is_null(v, "epoch")) {
		printf("%-14s none yet\n", "topology");
		return;
	}
	printf("%-14s %.0f (%s, tunnel %s), valid since %s\n", "epoch",
	    jv_num(v, "epoch", 0), jv_str(v, "mode", "?"), jv_str(v, "tunnel", "?"),
	    ns_to_local(jv_num(v, "validity_start_ns", 0), when, sizeof(when)));
	if (jv_is_null(v, "position"))
		printf("%-14s %.0f, this node is not one of them\n", "members",
		    jv_num(v, "members", 0));
	else
		printf("%-14s %.0f, this node at position %.0f\n", "members",
		    jv_num(v, "members", 0), jv_num(v, "position", 0));
	if (jv_is_null(v, "owned_buckets"))
		printf("%-14s round-robin, %.4f %% of the packets\n", "share",
		    jv_num(v, "share", 0));
	else
		printf("%-14s %.0f of 65536 buckets (%.4f %%)\n", "share",
		    jv_num(v, "owned_buckets", 0), jv_num(v, "share", 0));
	printf("%-14s %s\n", "table digest", jv_str(v, "table_digest", "-"));
	printf("%-14s", "analyzers");
	a = jv_get(v, "analyzers");
	if (a == NULL || a->child == NULL)
		printf(" none");
	for (a = a ? a->child : NULL; a != NULL; a = a->next)
		printf(" %s", a->text ? a->text : "?");
	printf("\n");
}

static void
print_node(const struct jv *v)
{
	const struct jv *dp = jv_get(v, "datapath");
	char when[64];

	printf("node %s on %s (weight %.0f): %s\n", jv_str(v, "node_id", "?"),
	    jv_str(v, "iface", "?"), jv_num(v, "weight", 0), jv_str(v, "state", "?"));
	printf("%-14s %s, term %.0f", "coordinator", jv_str(v, "coordinator", "none"),
	    jv_num(v, "term", 0));
	if (!jv_is_null(v, "coordinator_reply_age_ms"))
		printf(", last reply %.0f ms ago", jv_num(v, "coordinator_reply_age_ms", 0));
	printf("\n");
	print_topology(v);
	if (jv_is_null(v, "pending_epoch"))
		printf("%-14s none\n", "pending");
	else
		printf("%-14s epoch %.0f from %s\n", "pending", jv_num(v, "pending_epoch", 0),
		    ns_to_local(jv_num(v, "pending_validity_start_ns", 0), when, sizeof(when)));
	printf("%-14s %s", "datapath", jv_str(dp, "name", "?"));
	/* What the packet path selects with: it differs after a stage error. */
	if (!jv_is_null(dp, "program_epoch"))
		printf(", selecting with epoch %.0f (%s, tunnel %s)",
		    jv_num(dp, "program_epoch", 0), jv_str(dp, "program_mode", "?"),
		    jv_str(dp, "program_tunnel", "?"));
	printf("\n");
	print_counters(jv_get(dp, "counters"), "datapath counters");
	print_counters(jv_get(v, "counters"), "agent counters");
}

int
node_status(const struct ctl_opts *o)
{
	struct jv *v;
	char err[256];
	size_t len;
	char *buf;

	if ((buf = ask(o, "status\n", &len)) == NULL)
		return 1;
	if (answer_is_error(buf)) {
		free(buf);
		return 1;
	}
	if ((v = jv_parse(buf, len, err, sizeof(err))) == NULL || v->type != JV_OBJECT) {
		ctl_error("dicapd answered something that is not a JSON object: %s",
		    v ? "another JSON value" : err);
		jv_free(v);
		free(buf);
		return 1;
	}
	if (o->json)
		fwrite(buf, 1, len, stdout);
	else
		print_node(v);
	jv_free(v);
	free(buf);
	return fflush(stdout) == 0 ? 0 : 1;
}

int
node_owned(const struct ctl_opts *o)
{
	size_t len;
	char *buf;

	if ((buf = ask(o, "owned\n", &len)) == NULL)
		return 1;
	if (answer_is_error(buf)) {
		free(buf);
		return 1;
	}
	fwrite(buf, 1, len, stdout);
	free(buf);
	return fflush(stdout) == 0 ? 0 : 1;
}
