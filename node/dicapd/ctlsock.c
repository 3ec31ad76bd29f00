/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The node's UNIX socket: a client connects, writes one command line
 * ("status" or "owned"), and reads the answer until EOF.  Everything is
 * buffered by libevent with read and write timeouts, so a client that
 * never reads cannot block the agent, and a bounded number of clients
 * are served at once.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "ctlcmd.h"
#include "dicapd.h"
#include "jsonw.h"
#include "log.h"
#include "selflags.h"

#define CTL_MAX_CLIENTS		32
#define CTL_MAX_LINE		256
#define CTL_READ_TIMEOUT_S	5
#define CTL_WRITE_TIMEOUT_S	10
#define CTL_MAX_GROUPS		256

struct ctl_client {
	TAILQ_ENTRY(ctl_client) entry;
	struct dicapd *d;
	struct bufferevent *bev;
	int answered;
};

static void
client_free(struct ctl_client *c)
{
	TAILQ_REMOVE(&c->d->ctl_client_list, c, entry);
	c->d->ctl_clients--;
	bufferevent_free(c->bev);
	free(c);
}

static void
json_counters(struct jsonw *w, const char *(*name)(int), const uint64_t *v, int n)
{
	int i;

	jw_obj_begin(w);
	for (i = 0; i < n; i++) {
		jw_key(w, name(i));
		jw_u64(w, v[i]);
	}
	jw_obj_end(w);
}

static void
json_topology(struct jsonw *w, const struct node_topology *t)
{
	char hex[20];
	uint32_t i;

	jw_key(w, "epoch");
	t ? jw_u64(w, t->epoch) : jw_null(w);
	jw_key(w, "mode");
	t ? jw_str(w, dicap_mode_name(t->mode)) : jw_null(w);
	jw_key(w, "tunnel");
	t ? jw_str(w, dicap_tunnel_name(t->sel_flags)) : jw_null(w);
	jw_key(w, "members");
	jw_u64(w, t ? t->n_members : 0);
	jw_key(w, "position");
	t && t->position >= 0 ? jw_u64(w, (uint64_t)t->position) : jw_null(w);
	jw_key(w, "owned_buckets");
	if (t != NULL && t->table == NULL && t->n_members > 0)
		jw_null(w);		/* round-robin owns no buckets */
	else
		jw_u64(w, t ? t->owned_buckets : 0);
	jw_key(w, "share");
	jw_fixed(w, topology_share(t), 4);
	jw_key(w, "validity_start_ns");
	t ? jw_u64(w, t->validity_ns) : jw_null(w);
	jw_key(w, "analyzers");
	jw_arr_begin(w);
	for (i = 0; t != NULL && i < t->n_analyzers; i++)
		jw_str(w, dicap_addr_str(&t->analyzers[i]));
	jw_arr_end(w);
	jw_key(w, "table_digest");
	if (t != NULL) {
		snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)t->digest);
		jw_str(w, hex);
	} else {
		jw_null(w);
	}
}

static void
json_membership(struct jsonw *w, struct dicapd *d)
{
	uint64_t now = dicap_mono_ns();
	int i;

	jw_key(w, "state");
	jw_str(w, membership_state_name(d->state));
	jw_key(w, "coordinator");
	d->cur >= 0 ? jw_str(w, dicap_addr_str(&d->coords[d->cur].addr)) : jw_null(w);
	jw_key(w, "coordinator_reply_age_ms");
	d->state == NODE_JOINED ? jw_u64(w, (now - d->last_ack_mono) / 1000000) : jw_null(w);
	jw_key(w, "coordinators");
	jw_arr_begin(w);
	for (i = 0; i < d->n_coords; i++)
		jw_str(w, dicap_addr_str(&d->coords[i].addr));
	jw_arr_end(w);
	jw_key(w, "term");
	jw_u64(w, d->max_term);
	jw_key(w, "heartbeat_ms");
	jw_u64(w, d->heartbeat_ms);
	jw_key(w, "timeout_ms");
	jw_u64(w, d->timeout_ms);
}

static void
answer_status(struct dicapd *d, struct evbuffer *out)
{
	struct dp_counters dc;
	struct jsonw w;

	memset(&dc, 0, sizeof(dc));
	d->dp.ops->counters(&d->dp, &dc);
	jw_init(&w, out);
	jw_obj_begin(&w);
	jw_key(&w, "node_id");
	jw_id(&w, d->node_id);
	jw_key(&w, "iface");
	jw_str(&w, d->iface);
	jw_key(&w, "weight");
	jw_u64(&w, d->weight);
	json_membership(&w, d);
	json_topology(&w, d->active);
	jw_key(&w, "pending_epoch");
	d->pending ? jw_u64(&w, d->pending->epoch) : jw_null(&w);
	jw_key(&w, "pending_validity_start_ns");
	d->pending ? jw_u64(&w, d->pending->validity_ns) : jw_null(&w);
	jw_key(&w, "datapath");
	jw_obj_begin(&w);
	jw_key(&w, "name");
	jw_str(&w, d->dp.ops->name);
	if (d->dp.ops->status_json != NULL && d->dp.priv != NULL)
		d->dp.ops->status_json(&d->dp, &w);
	jw_key(&w, "counters");
	json_counters(&w, dp_counter_name, dc.v, DP_COUNTER_MAX);
	jw_obj_end(&w);
	jw_key(&w, "counters");
	json_counters(&w, agent_counter_name, d->ctr, C_COUNTER_MAX);
	jw_obj_end(&w);
	evbuffer_add(out, "\n", 1);
}

/* Owned buckets as inclusive ranges, or "rr POSITION/N". */
static void
answer_owned(struct dicapd *d, struct evbuffer *out)
{
	const struct node_topology *t = d->active;
	uint32_t b, start;
	uint16_t me;

	if (t == NULL || t->position < 0)
		return;
	if (t->table == NULL) {
		evbuffer_add_printf(out, "rr %d/%u\n", t->position, t->n_members);
		return;
	}
	me = (uint16_t)t->position;
	for (b = 0; b < DICAP_BUCKETS; b++) {
		if (t->table[b] != me)
			continue;
		for (start = b; b + 1 < DICAP_BUCKETS && t->table[b + 1] == me; b++)
			;
		evbuffer_add_printf(out, "%u-%u\n", start, b);
	}
}

static void
answer(struct ctl_client *c, enum ctl_cmd cmd)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	if (cmd == CTL_CMD_STATUS)
		answer_status(c->d, out);
	else if (cmd == CTL_CMD_OWNED)
		answer_owned(c->d, out);
	else
		evbuffer_add_printf(out, "error: unknown command; the commands are status and owned\n");
	c->answered = 1;
	/* Nothing more to read: the write callback closes once all is sent. */
	bufferevent_disable(c->bev, EV_READ);
	if (evbuffer_get_length(out) == 0)
		client_free(c);
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line;

	line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF);
	if (line == NULL) {
		if (evbuffer_get_length(in) > CTL_MAX_LINE) {
			evbuffer_add_printf(bufferevent_get_output(bev),
			    "error: command line too long\n");
			c->answered = 1;
			bufferevent_disable(bev, EV_READ);
		}
		return;
	}
	answer(c, ctl_command(line, len));
	free(line);
}

static void
write_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_client *c = arg;

	if (c->answered && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		client_free(c);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char line[CTL_MAX_LINE];
	int n;

	/* "status" without a newline, then EOF: still a command. */
	if ((what & BEV_EVENT_EOF) && !c->answered && evbuffer_get_length(in) > 0) {
		n = evbuffer_remove(in, line, CTL_MAX_LINE);
		answer(c, n > 0 ? ctl_command_at_eof(line, (size_t)n) : CTL_CMD_UNKNOWN);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		log_debug("control client timed out");
	client_free(c);
}

/*
 * Root, the user who started dicapd (not the one it runs as after the
 * privilege drop), and members of the socket's group may ask.
 */
static int
peer_allowed(struct dicapd *d, int fd)
{
	gid_t groups[CTL_MAX_GROUPS];
	struct ucred cred;
	socklen_t len = sizeof(cred);
	size_t i;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return 0;
	if (cred.uid == 0 || cred.uid == d->ctl_sock_uid || cred.gid == d->ctl_sock_gid)
		return 1;
	len = sizeof(groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == -1)
		return 0;
	for (i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == d->ctl_sock_gid)
			return 1;
	log_info("control socket: refused uid %u gid %u (pid %d)", (unsigned)cred.uid,
	    (unsigned)cred.gid, (int)cred.pid);
	return 0;
}

/* A short answer that fits the socket buffer: the write does not block. */
static void
refuse(int fd, const char *msg)
{
	char junk[CTL_MAX_LINE];

	/* Unread input would turn the close into a reset that hides @msg. */
	while (recv(fd, junk, sizeof(junk), MSG_DONTWAIT) > 0)
		;
	if (send(fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL) == -1)
		log_debug("control client: %s", strerror(errno));
	close(fd);
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct dicapd *d = arg;
	struct ctl_client *c;
	struct timeval rt = { CTL_READ_TIMEOUT_S, 0 }, wt = { CTL_WRITE_TIMEOUT_S, 0 };

	(void)l;
	(void)sa;
	(void)salen;
	if (d->ctl_clients >= CTL_MAX_CLIENTS) {
		refuse(fd, "error: busy: too many clients, try again\n");
		return;
	}
	if (!peer_allowed(d, fd)) {
		refuse(fd, "error: permission denied\n");
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->d = d;
	c->bev = bufferevent_socket_new(d->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		close(fd);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&d->ctl_client_list, c, entry);
	d->ctl_clients++;
	bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
	bufferevent_set_timeouts(c->bev, &rt, &wt);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* A socket file already there: in use by a live agent, or stale. */
static int
check_existing(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket", path);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strncpy(sun.sun_path, path, sizeof(sun.sun_path) - 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (rc == 0) {
		snprintf(err, errlen, "%s is in use: is another dicapd running for this interface?",
		    path);
		return -1;
	}
	log_info("removing stale socket %s", path);
	unlink(path);
	return 0;
}

static int
make_parent(struct dicapd *d, char *err, size_t errlen)
{
	(void)d;
	if (mkdir(DICAPD_DEFAULT_SOCK_DIR, 0755) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", DICAPD_DEFAULT_SOCK_DIR, strerror(errno));
		return -1;
	}
	return 0;
}

int
ctlsock_open(struct dicapd *d, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old_mask;
	int fd, rc;

	TAILQ_INIT(&d->ctl_client_list);
	if (strlen(d->sock_path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket path %s is longer than %zu bytes", d->sock_path,
		    sizeof(sun.sun_path) - 1);
		return -1;
	}
	if (strncmp(d->sock_path, DICAPD_DEFAULT_SOCK_DIR "/",
	    strlen(DICAPD_DEFAULT_SOCK_DIR) + 1) == 0 && make_parent(d, err, errlen) == -1)
		return -1;
	if (check_existing(d->sock_path, err, errlen) == -1) {
		if (err[0] == '\0')
			snprintf(err, errlen, "%s: %s", d->sock_path, strerror(errno));
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, d->sock_path, strlen(d->sock_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errlen, "UNIX socket: %s", strerror(errno));
		return -1;
	}
	old_mask = umask(0117);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old_mask);
	if (rc == -1 || chmod(d->sock_path, 0660) == -1 || stat(d->sock_path, &st) == -1) {
		snprintf(err, errlen, "bind %s: %s", d->sock_path, strerror(errno));
		close(fd);
		return -1;
	}
	d->ctl_sock_created = 1;
	d->ctl_sock_gid = st.st_gid;
	d->ctl_sock_uid = st.st_uid;
	d->ctl_listener = evconnlistener_new(d->base, accept_cb, d,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16, fd);
	if (d->ctl_listener == NULL) {
		snprintf(err, errlen, "listen %s: %s", d->sock_path, strerror(errno));
		close(fd);
		ctlsock_close(d);
		return -1;
	}
	return 0;
}

void
ctlsock_close(struct dicapd *d)
{
	while (!TAILQ_EMPTY(&d->ctl_client_list))
		client_free(TAILQ_FIRST(&d->ctl_client_list));
	if (d->ctl_listener != NULL)
		evconnlistener_free(d->ctl_listener);
	d->ctl_listener = NULL;
	if (d->ctl_sock_created && d->sock_path != NULL)
		unlink(d->sock_path);
	d->ctl_sock_created = 0;
}
