/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicap:IFACE - this node's share of the traffic on IFACE, for every
 * libpcap program.
 *
 * The work is divided with dicapd: dicapd keeps an XDP program on IFACE
 * that passes this node's share of the mirrored frames to the kernel's
 * stack and drops the others ("dicapd --distribute").  This module checks
 * that such a dicapd serves IFACE and holds a share, then captures on
 * IFACE with libpcap's own Linux code (an inner pcap_t: TPACKET_V3, kernel
 * filters, buffer size, snapshot, promiscuous and immediate mode, time
 * stamp precision stay libpcap's), and hands on the frames that the XDP
 * program selected.
 *
 * When dicapd exits, its XDP program goes away with it (a BPF link) and
 * IFACE would deliver every frame.  So no frame is handed on unless the
 * XDP program seen at activation was still on IFACE after the frame
 * arrived: a frame whose time stamp is later than the last such check
 * triggers a new one (a netlink round trip, once per ring block in
 * practice), and a failed check stops the capture with an error.  Frames
 * get their time stamp after XDP has run on them (native XDP) or in the
 * same softirq just before (generic XDP), so the check covers every frame
 * handed on.  The inner capture never blocks: this module waits on its
 * descriptor itself, so that an idle capture checks every second too and
 * tells the program at once.  The control socket cannot serve as the
 * signal: dicapd answers one command per connection, and a daemonized
 * dicapd is not the process that created its socket.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "pcap-int.h"
#include "pcap-dicap.h"
#include "pcap-dicap-status.h"
#include "pcap-dicap-clock.h"

#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <net/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DICAP_PREFIX		"dicap:"
#define DICAP_PREFIX_LEN	(sizeof(DICAP_PREFIX) - 1)
#define DICAP_SOCK_DIR		"/run/dicap"
#define DICAP_ENV_SOCK_DIR	"DICAP_SOCKET_DIR"
#define DICAP_ENV_JOIN		"DICAP_JOIN_TIMEOUT"
#define DICAP_JOIN_DEFAULT_S	10
#define DICAP_JOIN_MAX_S	86400
#define DICAP_JOIN_POLL_MS	200
#define DICAP_ASK_TIMEOUT_MS	3000	/* activation */
#define DICAP_LIST_TIMEOUT_MS	1000	/* findalldevs: per socket */
#define DICAP_STATUS_MAX	(256 * 1024)
#define DICAP_IDLE_CHECK_NS	1000000000ULL
#define DICAP_MIN_CHECK_NS	100000ULL	/* 100 us */
#define DICAP_NL_BUF		32768
#define DICAP_NL_TIMEOUT_S	2
#define DICAP_MAX_SOCKETS	256

#ifndef RTEXT_FILTER_SKIP_STATS
#define RTEXT_FILTER_SKIP_STATS	(1 << 3)
#endif

struct pcap_dicap {
	pcap_t *inner;			/* the Linux capture on the interface */
	char iface[IF_NAMESIZE];
	char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int ifindex;
	uint32_t prog_id;		/* dicapd's XDP program at activation */
	int nl_fd;
	uint32_t nl_seq;
	int wake_fd;			/* pcap_breakloop() wakes dicap_wait() */
	int nonblock;			/* the caller's; the inner capture never blocks */
	u_char *nl_buf;
	uint64_t verified_ns;		/* frames that arrived before: selected */
	struct dicap_clock_pair verified_clock;	/* at that check */
	uint64_t checked_mono_ns;
	int stopped;
	char stop_msg[PCAP_ERRBUF_SIZE];
	u_char *oneshot_buf;		/* pcap_next(): the frame outlives its ring block */
	u_int oneshot_len;
	pcap_handler cb;		/* the caller's, during a read */
	u_char *cb_user;
};

static uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- dicapd's control socket ------------------------------------------- */

static const char *
sock_dir(void)
{
	const char *dir = getenv(DICAP_ENV_SOCK_DIR);

	return dir != NULL && dir[0] != '\0' ? dir : DICAP_SOCK_DIR;
}

static int
sock_path_of(const char *iface, char *path, size_t len)
{
	int n = snprintf(path, len, "%s/%s.sock", sock_dir(), iface);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/*
 * Write @cmd to the socket at @path and read the answer until EOF into
 * @buf (NUL-terminated).  Returns 0; -1 when connecting failed (errno);
 * -2 with a reason in @err for anything else.
 */
static int
dicapd_ask(const char *path, const char *cmd, char *buf, size_t cap, int timeout_ms,
    char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct timeval tv;
	size_t len = 0;
	ssize_t n;
	int fd, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	/* An AF_UNIX connect waits for a full backlog within the send timeout. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	if (send(fd, cmd, strlen(cmd), MSG_NOSIGNAL) != (ssize_t)strlen(cmd)) {
		errmsg(err, errlen, "cannot send to %s: %s", path, strerror(errno));
		close(fd);
		return -2;
	}
	while ((n = recv(fd, buf + len, cap - 1 - len, 0)) > 0) {
		len += (size_t)n;
		if (len == cap - 1) {
			errmsg(err, errlen, "the answer of %s is longer than %zu bytes", path,
			    cap - 1);
			close(fd);
			return -2;
		}
	}
	saved = errno;
	close(fd);
	if (n == -1) {
		errmsg(err, errlen, "no answer from %s: %s", path,
		    saved == EAGAIN || saved == EWOULDBLOCK ? "timed out" : strerror(saved));
		return -2;
	}
	buf[len] = '\0';
	return 0;
}

enum {
	STATUS_OK,
	STATUS_NO_DICAPD,	/* *conn_errno says why */
	STATUS_BAD,		/* err says why */
};

static int
status_get(const char *path, struct dicapd_status *st, int timeout_ms, int *conn_errno,
    char *err, size_t errlen)
{
	char *buf;
	int rc;

	if ((buf = malloc(DICAP_STATUS_MAX)) == NULL) {
		errmsg(err, errlen, "malloc: %s", strerror(errno));
		return STATUS_BAD;
	}
	rc = dicapd_ask(path, "status\n", buf, DICAP_STATUS_MAX, timeout_ms, err, errlen);
	if (rc == -1) {
		*conn_errno = errno;
		free(buf);
		return STATUS_NO_DICAPD;
	}
	if (rc == 0 && strncmp(buf, "error:", 6) == 0) {
		buf[strcspn(buf, "\n")] = '\0';
		errmsg(err, errlen, "%s answered \"%.120s\"", path, buf);
		rc = -2;
	}
	if (rc == 0 && status_parse(buf, strlen(buf), st, err, errlen) == -1)
		rc = -2;
	free(buf);
	return rc == 0 ? STATUS_OK : STATUS_BAD;
}

/* ---- the interface's XDP program, over rtnetlink ----------------------- */

static int
nl_open(void)
{
	struct timeval tv = { DICAP_NL_TIMEOUT_S, 0 };
	int fd;

	if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static uint32_t
xdp_attr_prog_id(const struct rtattr *xdp)
{
	const struct rtattr *a;
	uint32_t any = 0, single = 0, id;
	int len = (int)RTA_PAYLOAD(xdp);

	for (a = RTA_DATA(xdp); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (RTA_PAYLOAD(a) < sizeof(uint32_t))
			continue;
		memcpy(&id, RTA_DATA(a), sizeof(id));
		switch (a->rta_type) {
		case IFLA_XDP_PROG_ID:
			single = id;
			break;
		case IFLA_XDP_DRV_PROG_ID:
		case IFLA_XDP_SKB_PROG_ID:
		case IFLA_XDP_HW_PROG_ID:
			if (any == 0)
				any = id;
			break;
		}
	}
	return single != 0 ? single : any;
}

/* One answer to RTM_GETLINK: the link's XDP program id, or -errno. */
static int
link_xdp_id(const struct nlmsghdr *nh, uint32_t *id)
{
	const struct nlmsgerr *e;
	const struct rtattr *a;
	int len;

	if (nh->nlmsg_type == NLMSG_ERROR) {
		if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
			return -EPROTO;
		e = NLMSG_DATA(nh);
		return e->error < 0 ? e->error : -EPROTO;
	}
	if (nh->nlmsg_type != RTM_NEWLINK || nh->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return -EPROTO;
	*id = 0;
	len = (int)IFLA_PAYLOAD(nh);
	for (a = IFLA_RTA(NLMSG_DATA(nh)); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if ((a->rta_type & NLA_TYPE_MASK) == IFLA_XDP)
			*id = xdp_attr_prog_id(a);
	return 0;
}

/*
 * The id of the XDP program on @ifindex (0: none) in *@id; 0, or -errno
 * (-ENODEV: the interface is gone).
 */
static int
xdp_prog_id(int fd, uint32_t *seqp, int ifindex, u_char *buf, size_t cap, uint32_t *id)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		struct rtattr ext;
		uint32_t ext_mask;
	} req;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	const struct nlmsghdr *nh;
	uint32_t seq = ++*seqp;
	size_t off;
	ssize_t n;
	int tries;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = RTM_GETLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = seq;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = ifindex;
	req.ext.rta_type = IFLA_EXT_MASK;
	req.ext.rta_len = RTA_LENGTH(sizeof(uint32_t));
	req.ext_mask = RTEXT_FILTER_SKIP_STATS;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) == -1)
		return -errno;
	/* Skip late answers to earlier requests that timed out. */
	for (tries = 0; tries < 8; tries++) {
		if ((n = recv(fd, buf, cap, MSG_TRUNC)) == -1)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if ((size_t)n > cap)
			return -EMSGSIZE;
		for (off = 0; off + sizeof(*nh) <= (size_t)n; off += NLMSG_ALIGN(nh->nlmsg_len)) {
			nh = (const struct nlmsghdr *)(buf + off);
			if (nh->nlmsg_len < sizeof(*nh) || nh->nlmsg_len > (size_t)n - off)
				return -EPROTO;
			if (nh->nlmsg_seq == seq)
				return link_xdp_id(nh, id);
		}
	}
	return -EPROTO;
}

/* The same, with a socket and buffer of its own. */
static int
xdp_prog_id_once(int ifindex, uint32_t *id)
{
	uint32_t seq = 0;
	u_char *buf;
	int fd, rc;

	if ((fd = nl_open()) == -1)
		return -errno;
	if ((buf = malloc(DICAP_NL_BUF)) == NULL) {
		close(fd);
		return -ENOMEM;
	}
	rc = xdp_prog_id(fd, &seq, ifindex, buf, DICAP_NL_BUF, id);
	free(buf);
	close(fd);
	return rc;
}

/* ---- the gate: hand on only frames that dicapd's program selected ------- */

static void
dicap_stop_msg(struct pcap_dicap *pd, int rc, uint32_t id)
{
	if (rc == -ENODEV) {
		errmsg(pd->stop_msg, sizeof(pd->stop_msg),
		    "dicap:%s: the interface %s is gone: capture stopped", pd->iface, pd->iface);
		return;
	}
	if (rc < 0) {
		errmsg(pd->stop_msg, sizeof(pd->stop_msg),
		    "dicap:%s: cannot check that dicapd still selects the traffic (%s): capture "
		    "stopped so as not to capture more than this node's share", pd->iface,
		    strerror(-rc));
		return;
	}
	/* No program: its BPF link closed, so dicapd exited (or was killed). */
	if (id == 0)
		errmsg(pd->stop_msg, sizeof(pd->stop_msg),
		    "dicapd for %s exited: capture stopped so as not to capture more than this "
		    "node's share", pd->iface);
	else
		errmsg(pd->stop_msg, sizeof(pd->stop_msg),
		    "the XDP program on %s was replaced (dicapd restarted?): capture stopped so as "
		    "not to capture more than this node's share; open dicap:%s again", pd->iface,
		    pd->iface);
}

/* The XDP program of activation is still there: frames until now were selected. */
static int
dicap_verify(pcap_t *p)
{
	struct pcap_dicap *pd = p->priv;
	struct dicap_clock_pair now;
	uint32_t id = 0;
	int rc;

	if (pd->stopped)
		return -1;
	now.real_ns = clock_ns(CLOCK_REALTIME);
	now.mono_ns = clock_ns(CLOCK_MONOTONIC);
	rc = xdp_prog_id(pd->nl_fd, &pd->nl_seq, pd->ifindex, pd->nl_buf, DICAP_NL_BUF, &id);
	pd->checked_mono_ns = clock_ns(CLOCK_MONOTONIC);
	if (rc == 0 && id == pd->prog_id) {
		pd->verified_ns = now.real_ns;
		pd->verified_clock = now;
		return 0;
	}
	dicap_stop_msg(pd, rc, id);
	pd->stopped = 1;
	return -1;
}

/* The latest moment at which the frame may have arrived. */
static uint64_t
arrival_bound_ns(const pcap_t *p, const struct pcap_pkthdr *h)
{
	uint64_t ns = (uint64_t)h->ts.tv_sec * 1000000000ULL;

	if (p->opt.tstamp_precision == PCAP_TSTAMP_PRECISION_NANO)
		return ns + (uint64_t)h->ts.tv_usec;
	return ns + (uint64_t)h->ts.tv_usec * 1000 + 999;
}

/*
 * A frame that came after the last check waits for the next one.  When
 * frames come one by one (immediate mode) that would be a check per
 * frame: at most one every DICAP_MIN_CHECK_NS, at the price of as much
 * latency, and every frame that arrived meanwhile is covered by it.
 */
static void
pace_checks(const struct pcap_dicap *pd)
{
	uint64_t since = clock_ns(CLOCK_MONOTONIC) - pd->checked_mono_ns;
	struct timespec ts;

	if (since >= DICAP_MIN_CHECK_NS)
		return;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)(DICAP_MIN_CHECK_NS - since);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* See pcap-dicap-clock.h: a frame's stamp is only as good as the clock. */
static int
clock_stepped_back(const struct pcap_dicap *pd)
{
	struct dicap_clock_pair now;

	now.real_ns = clock_ns(CLOCK_REALTIME);
	now.mono_ns = clock_ns(CLOCK_MONOTONIC);
	return dicap_clock_stepped_back(&pd->verified_clock, &now);
}

static void
dicap_gate(u_char *arg, const struct pcap_pkthdr *h, const u_char *bytes)
{
	pcap_t *p = (pcap_t *)arg;
	struct pcap_dicap *pd = p->priv;

	if (pd->stopped)
		return;
	if (arrival_bound_ns(p, h) >= pd->verified_ns || clock_stepped_back(pd)) {
		pace_checks(pd);
		if (dicap_verify(p) == -1) {
			/* Ends the inner read loop after this frame. */
			pd->inner->break_loop = 1;
			return;
		}
	}
	pd->cb(pd->cb_user, h, bytes);
}

/* ---- the pcap_t operations: the inner capture's, behind the gate ------- */

static void
copy_inner_error(pcap_t *p)
{
	struct pcap_dicap *pd = p->priv;

	errmsg(p->errbuf, PCAP_ERRBUF_SIZE, "dicap:%s: %s", pd->iface, pd->inner->errbuf);
}

static int
dicap_stopped(pcap_t *p)
{
	struct pcap_dicap *pd = p->priv;

	errmsg(p->errbuf, PCAP_ERRBUF_SIZE, "%s", pd->stop_msg);
	return PCAP_ERROR;
}

static int
dicap_break(pcap_t *p)
{
	struct pcap_dicap *pd = p->priv;
	uint64_t junk;

	p->break_loop = 0;
	pd->inner->break_loop = 0;
	while (read(pd->wake_fd, &junk, sizeof(junk)) > 0)
		;
	return PCAP_ERROR_BREAK;
}

/* Until a frame may be there, @ms passed, or pcap_breakloop() was called. */
static int
dicap_wait(pcap_t *p, int ms)
{
	struct pcap_dicap *pd = p->priv;
	struct pollfd pfd[2];

	pfd[0].fd = pd->inner->fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = pd->wake_fd;
	pfd[1].events = POLLIN;
	if (poll(pfd, 2, ms) == -1 && errno != EINTR) {
		pcap_fmt_errmsg_for_errno(p->errbuf, PCAP_ERRBUF_SIZE, errno,
		    "dicap:%s: poll", pd->iface);
		return -1;
	}
	/* Errors on the socket are the inner capture's to report. */
	return 0;
}

static int
wait_ms(const pcap_t *p, uint64_t start)
{
	struct pcap_dicap *pd = p->priv;
	const struct timeval *rt = pd->inner->required_select_timeout;
	uint64_t spent = (clock_ns(CLOCK_MONOTONIC) - start) / 1000000;
	int ms = (int)(DICAP_IDLE_CHECK_NS / 1000000), left;

	if (p->opt.timeout > 0) {
		if (spent >= (uint64_t)p->opt.timeout)
			return -1;
		left = p->opt.timeout - (int)spent;
		if (left < ms)
			ms = left;
	}
	/* The inner capture polls for a vanished interface this often. */
	if (rt != NULL && rt->tv_sec * 1000 + rt->tv_usec / 1000 < ms)
		ms = (int)(rt->tv_sec * 1000 + rt->tv_usec / 1000) + 1;
	return ms;
}

/*
 * The inner capture is non-blocking: the waiting is done here, so that
 * an idle capture still checks every second that dicapd is there.
 */
static int
dicap_read(pcap_t *p, int cnt, pcap_handler cb, u_char *user)
{
	struct pcap_dicap *pd = p->priv;
	uint64_t start = clock_ns(CLOCK_MONOTONIC);
	int n, ms;

	pd->cb = cb;
	pd->cb_user = user;
	for (;;) {
		if (pd->stopped)
			return dicap_stopped(p);
		if (p->break_loop)
			return dicap_break(p);
		n = pd->inner->read_op(pd->inner, cnt, dicap_gate, (u_char *)p);
		p->required_select_timeout = pd->inner->required_select_timeout;
		if (pd->stopped)
			return dicap_stopped(p);
		if (n == PCAP_ERROR_BREAK)
			return dicap_break(p);
		if (n < 0) {
			copy_inner_error(p);
			return n;
		}
		if (n > 0)
			return n;
		if (clock_ns(CLOCK_MONOTONIC) - pd->checked_mono_ns >= DICAP_IDLE_CHECK_NS &&
		    dicap_verify(p) == -1)
			return dicap_stopped(p);
		if (pd->nonblock || (ms = wait_ms(p, start)) < 0)
			return 0;
		if (dicap_wait(p, ms) == -1)
			return PCAP_ERROR;
	}
}

/* pcap_next(), pcap_next_ex(): keep the frame once its ring block is returned. */
static void
dicap_oneshot(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct oneshot_userdata *sp = (struct oneshot_userdata *)user;
	struct pcap_dicap *pd = sp->pd->priv;
	u_int len = h->caplen < pd->oneshot_len ? h->caplen : pd->oneshot_len;

	memcpy(pd->oneshot_buf, bytes, len);
	*sp->hdr = *h;
	sp->hdr->caplen = len;
	*sp->pkt = pd->oneshot_buf;
}

static int
dicap_inject(pcap_t *p, const void *buf, int size)
{
	struct pcap_dicap *pd = p->priv;

	(void)buf;
	(void)size;
	errmsg(p->errbuf, PCAP_ERRBUF_SIZE, "dicap:%s: sending is not supported: a DiCAP "
	    "capture interface is a passive mirror port; send on %s or another interface "
	    "instead", pd->iface, pd->iface);
	return PCAP_ERROR;
}

static int
dicap_setfilter(pcap_t *p, struct bpf_program *fp)
{
	struct pcap_dicap *pd = p->priv;

	if (pcap_setfilter(pd->inner, fp) == -1) {
		copy_inner_error(p);
		return -1;
	}
	return 0;
}

/* The share is what arrives on the mirror port: received frames only. */
static int
dicap_setdirection(pcap_t *p, pcap_direction_t d)
{
	struct pcap_dicap *pd = p->priv;

	if (d == PCAP_D_OUT) {
		errmsg(p->errbuf, PCAP_ERRBUF_SIZE, "dicap:%s: captures received frames only "
		    "(the mirrored link): the direction \"out\" is not supported", pd->iface);
		return -1;
	}
	if (pcap_setdirection(pd->inner, PCAP_D_IN) == -1) {
		copy_inner_error(p);
		return -1;
	}
	return 0;
}

static int
dicap_set_datalink(pcap_t *p, int dlt)
{
	struct pcap_dicap *pd = p->priv;

	if (pcap_set_datalink(pd->inner, dlt) == -1) {
		copy_inner_error(p);
		return -1;
	}
	p->bpf_codegen_flags = pd->inner->bpf_codegen_flags;
	return 0;
}

static int
dicap_getnonblock(pcap_t *p)
{
	struct pcap_dicap *pd = p->priv;

	return pd->nonblock;
}

static int
dicap_setnonblock(pcap_t *p, int nonblock)
{
	struct pcap_dicap *pd = p->priv;

	pd->nonblock = nonblock != 0;
	return 0;
}

static int
dicap_stats(pcap_t *p, struct pcap_stat *ps)
{
	struct pcap_dicap *pd = p->priv;

	if (pcap_stats(pd->inner, ps) == -1) {
		copy_inner_error(p);
		return -1;
	}
	return 0;
}

/* Async-signal-safe, like libpcap's own. */
static void
dicap_breakloop(pcap_t *p)
{
	struct pcap_dicap *pd = p->priv;
	uint64_t one = 1;

	p->break_loop = 1;
	/* Ends the inner capture's loop over a ring block, too. */
	pd->inner->break_loop = 1;
	if (write(pd->wake_fd, &one, sizeof(one)) == -1) {
		/* Full counter: a wakeup is pending anyway. */
	}
}

static void
dicap_release(struct pcap_dicap *pd)
{
	if (pd->inner != NULL)
		pcap_close(pd->inner);
	pd->inner = NULL;
	if (pd->nl_fd >= 0)
		close(pd->nl_fd);
	pd->nl_fd = -1;
	if (pd->wake_fd >= 0)
		close(pd->wake_fd);
	pd->wake_fd = -1;
	free(pd->nl_buf);
	pd->nl_buf = NULL;
	free(pd->oneshot_buf);
	pd->oneshot_buf = NULL;
}

static void
dicap_cleanup(pcap_t *p)
{
	dicap_release(p->priv);
	/* The descriptors were the inner capture's, closed with it. */
	p->fd = -1;
	p->selectable_fd = -1;
	pcap_cleanup_live_common(p);
}

/* ---- activation ---------------------------------------------------------- */

static int
join_timeout_s(pcap_t *p, int *secs)
{
	const char *v = getenv(DICAP_ENV_JOIN);
	char *end;
	long n;

	*secs = DICAP_JOIN_DEFAULT_S;
	if (v == NULL || v[0] == '\0')
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < 0 || n > DICAP_JOIN_MAX_S) {
		errmsg(p->errbuf, PCAP_ERRBUF_SIZE, "%s=%s: give a number of seconds, 0 to %d",
		    DICAP_ENV_JOIN, v, DICAP_JOIN_MAX_S);
		return -1;
	}
	*secs = (int)n;
	return 0;
}

static int
no_dicapd(pcap_t *p, int err)
{
	struct pcap_dicap *pd = p->priv;
	const char *why;

	switch (err) {
	case EACCES:
	case EPERM:
		errmsg(p->errbuf, PCAP_ERRBUF_SIZE, "dicap:%s: permission denied on %s: run as "
		    "root or as a member of the socket's group", pd->iface, pd->sock_path);
		return PCAP_ERROR_PERM_DENIED;
	case ENOENT:
		why = "does not exist";
		break;
	case ECONNREFUSED:
		why = "is left over from a dicapd that exited";
		break;
	default:
		why = strerror(err);
	}
	errmsg(p->errbuf, PCAP_ERRBUF_SIZE, "no dicapd serves %s (%s %s): start `dicapd -i %s "
	    "-c COORD`%s", pd->iface, pd->sock_path, why, pd->iface,
	    getenv(DICAP_ENV_SOCK_DIR) != NULL ? ", or set " DICAP_ENV_SOCK_DIR
	    " to the directory of its socket" : "");
	return PCAP_ERROR;
}

/* dicapd serves the interface in distribution mode and holds a share. */
static int
await_share(pcap_t *p, struct dicapd_status *st)
{
	struct pcap_dicap *pd = p->priv;
	char why[PCAP_ERRBUF_SIZE];
	uint64_t deadline;
	int secs, rc, conn_errno;

	if (join_timeout_s(p, &secs) == -1)
		return PCAP_ERROR;
	deadline = clock_ns(CLOCK_MONOTONIC) + (uint64_t)secs * 1000000000ULL;
	for (;;) {
		why[0] = '\0';
		rc = status_get(pd->sock_path, st, DICAP_ASK_TIMEOUT_MS, &conn_errno, why,
		    sizeof(why));
		if (rc == STATUS_NO_DICAPD)
			return no_dicapd(p, conn_errno);
		if (rc == STATUS_BAD) {
			errmsg(p->errbuf, PCAP_ERRBUF_SIZE, "dicap:%s: dicapd at %s: %s", pd->iface,
			    pd->sock_path, why);
			return PCAP_ERROR;
		}
		if (strcmp(st->iface, pd->iface) != 0) {
			errmsg(p->errbuf, PCAP_ERRBUF_SIZE, "dicap:%s: %s belongs to dicapd for %s, "
			    "not %s", pd->iface, pd->sock_path, st->iface, pd->iface);
			return PCAP_ERROR;
		}
		if (strcmp(st->datapath, "kmod") == 0) {
			/* The driver hook already hides other nodes' frames from the stack. */
			errmsg(p->errbuf, PCAP_ERRBUF_SIZE, "dicapd for %s runs --datapath kmod, "
			    "whose driver hook passes only this node's share to the stack: capture "
			    "on %s itself (dicap:%s serves the XDP datapath)", pd->iface, pd->iface,
			    pd->iface);
			return PCAP_ERROR;
		}
		if (strcmp(st->datapath, "xdp") != 0) {
			errmsg(p->errbuf, PCAP_ERRBUF_SIZE, "dicapd for %s runs --datapath %s and "
			    "passes no traffic: restart it with --datapath xdp", pd->iface,
			    st->datapath);
			return PCAP_ERROR;
		}
		if (!st->distribute) {
			errmsg(p->errbuf, PCAP_ERRBUF_SIZE, "dicapd for %s only captures for the "
			    "analyzers (--capture): restart it with --distribute to pass this node's "
			    "share to libpcap", pd->iface);
			return PCAP_ERROR;
		}
		if (st->have_topology && st->member)
			return 0;
		if (clock_ns(CLOCK_MONOTONIC) >= deadline)
			break;
		usleep(DICAP_JOIN_POLL_MS * 1000);
	}
	if (st->have_topology)
		errmsg(p->errbuf, PCAP_ERRBUF_SIZE, "dicapd for %s is not a member of its "
		    "topology (epoch %llu, %llu members) after %d s: see `dicapctl -i %s status`",
		    pd->iface, (unsigned long long)st->epoch, (unsigned long long)st->members, secs,
		    pd->iface);
	else
		errmsg(p->errbuf, PCAP_ERRBUF_SIZE, "dicapd for %s has no share yet after %d s "
		    "(state %s, coordinators: %s): check that dicap-coord runs and that both use the "
		    "same key (`dicapctl -i %s status`); %s=SECONDS waits longer", pd->iface, secs,
		    st->state, st->coordinator[0] != '\0' ? st->coordinator : "none", pd->iface,
		    DICAP_ENV_JOIN);
	return PCAP_ERROR;
}

/* The program dicapd keeps on the interface, seen from this network namespace. */
static int
find_program(pcap_t *p, const struct dicapd_status *st)
{
	struct pcap_dicap *pd = p->priv;
	int rc;

	if ((pd->ifindex = (int)if_nametoindex(pd->iface)) == 0) {
		errmsg(p->errbuf, PCAP_ERRBUF_SIZE, "dicap:%s: no interface %s here, although a "
		    "dicapd serves one: is it in another network namespace?", pd->iface, pd->iface);
		return PCAP_ERROR_NO_SUCH_DEVICE;
	}
	if ((pd->nl_fd = nl_open()) == -1 || (pd->nl_buf = malloc(DICAP_NL_BUF)) == NULL) {
		pcap_fmt_errmsg_for_errno(p->errbuf, PCAP_ERRBUF_SIZE, errno, "dicap:%s: netlink",
		    pd->iface);
		return PCAP_ERROR;
	}
	rc = xdp_prog_id(pd->nl_fd, &pd->nl_seq, pd->ifindex, pd->nl_buf, DICAP_NL_BUF,
	    &pd->prog_id);
	if (rc < 0) {
		errmsg(p->errbuf, PCAP_ERRBUF_SIZE, "dicap:%s: cannot read the XDP program of %s: "
		    "%s", pd->iface, pd->iface, strerror(-rc));
		return PCAP_ERROR;
	}
	if (pd->prog_id == 0) {
		errmsg(p->errbuf, PCAP_ERRBUF_SIZE, "dicapd for %s reports the XDP datapath, but "
		    "%s has no XDP program in this network namespace: does dicapd run in another "
		    "one?", pd->iface, pd->iface);
		return PCAP_ERROR;
	}
	if (st->prog_id != 0 && st->prog_id != pd->prog_id) {
		errmsg(p->errbuf, PCAP_ERRBUF_SIZE, "dicap:%s: the XDP program on %s (id %u) is "
		    "not the one of dicapd at %s (id %u): does that dicapd run in another network "
		    "namespace?", pd->iface, pd->iface, pd->prog_id, pd->sock_path, st->prog_id);
		return PCAP_ERROR;
	}
	return 0;
}

/* The inner capture gets every option set on the dicap: handle. */
static int
open_inner(pcap_t *p)
{
	struct pcap_dicap *pd = p->priv;
	pcap_t *in;
	int status;

	if ((in = pcap_create(pd->iface, p->errbuf)) == NULL)
		return PCAP_ERROR;
	pd->inner = in;
	in->snapshot = p->snapshot;
	in->opt.timeout = p->opt.timeout;
	in->opt.buffer_size = p->opt.buffer_size;
	in->opt.promisc = p->opt.promisc;
	in->opt.immediate = p->opt.immediate;
	in->opt.nonblock = 1;
	in->opt.tstamp_type = p->opt.tstamp_type;
	in->opt.tstamp_precision = p->opt.tstamp_precision;
	in->opt.protocol = p->opt.protocol;
	status = pcap_activate(in);
	if (status < 0) {
		copy_inner_error(p);
		return status;
	}
	if (status > 0)
		copy_inner_error(p);	/* a warning: the caller may print it */
	if (pcap_setdirection(in, PCAP_D_IN) == -1) {
		copy_inner_error(p);
		return PCAP_ERROR;
	}
	return status;
}

/* What callers read from the pcap_t itself mirrors the inner capture. */
static int
adopt_inner(pcap_t *p)
{
	struct pcap_dicap *pd = p->priv;
	pcap_t *in = pd->inner;

	p->fd = in->fd;
	p->selectable_fd = in->selectable_fd;
	p->required_select_timeout = in->required_select_timeout;
	p->snapshot = in->snapshot;
	p->linktype = in->linktype;
	p->linktype_ext = in->linktype_ext;
	p->offset = in->offset;
	p->bpf_codegen_flags = in->bpf_codegen_flags;
	p->direction = PCAP_D_IN;
	pd->nonblock = p->opt.nonblock != 0;
	if ((pd->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		pcap_fmt_errmsg_for_errno(p->errbuf, PCAP_ERRBUF_SIZE, errno, "eventfd");
		return PCAP_ERROR;
	}
	if (in->dlt_count > 0) {
		p->dlt_list = malloc(sizeof(u_int) * (size_t)in->dlt_count);
		if (p->dlt_list == NULL)
			goto nomem;
		memcpy(p->dlt_list, in->dlt_list, sizeof(u_int) * (size_t)in->dlt_count);
		p->dlt_count = in->dlt_count;
	}
	pd->oneshot_len = (u_int)in->snapshot;
	if ((pd->oneshot_buf = malloc(pd->oneshot_len)) == NULL)
		goto nomem;
	p->read_op = dicap_read;
	p->inject_op = dicap_inject;
	p->setfilter_op = dicap_setfilter;
	p->setdirection_op = dicap_setdirection;
	p->set_datalink_op = dicap_set_datalink;
	p->getnonblock_op = dicap_getnonblock;
	p->setnonblock_op = dicap_setnonblock;
	p->stats_op = dicap_stats;
	p->breakloop_op = dicap_breakloop;
	p->cleanup_op = dicap_cleanup;
	p->oneshot_callback = dicap_oneshot;
	return 0;
nomem:
	pcap_fmt_errmsg_for_errno(p->errbuf, PCAP_ERRBUF_SIZE, errno, "malloc");
	return PCAP_ERROR;
}

static int
dicap_activate(pcap_t *p)
{
	struct pcap_dicap *pd = p->priv;
	struct dicapd_status st;
	const char *iface = p->opt.device + DICAP_PREFIX_LEN;
	int status, warning;

	pd->nl_fd = -1;
	pd->wake_fd = -1;
	if (iface[0] == '\0' || strlen(iface) >= IF_NAMESIZE || strchr(iface, '/') != NULL) {
		errmsg(p->errbuf, PCAP_ERRBUF_SIZE, "%s: give an interface name: dicap:IFACE, "
		    "e.g. dicap:eth1", p->opt.device);
		return PCAP_ERROR;
	}
	snprintf(pd->iface, sizeof(pd->iface), "%s", iface);
	if (p->opt.rfmon) {
		errmsg(p->errbuf, PCAP_ERRBUF_SIZE, "dicap:%s: monitor mode is not supported",
		    pd->iface);
		return PCAP_ERROR_RFMON_NOTSUP;
	}
	if (sock_path_of(pd->iface, pd->sock_path, sizeof(pd->sock_path)) == -1) {
		errmsg(p->errbuf, PCAP_ERRBUF_SIZE, "dicap:%s: the socket path %s/%s.sock is too "
		    "long", pd->iface, sock_dir(), pd->iface);
		return PCAP_ERROR;
	}
	if ((status = await_share(p, &st)) != 0 || (status = find_program(p, &st)) != 0)
		goto fail;
	if ((warning = open_inner(p)) < 0) {
		status = warning;
		goto fail;
	}
	if ((status = adopt_inner(p)) != 0)
		goto fail;
	/* Frames that reach the new socket from here on were selected. */
	if (dicap_verify(p) == -1) {
		errmsg(p->errbuf, PCAP_ERRBUF_SIZE, "%s", pd->stop_msg);
		status = PCAP_ERROR;
		goto fail;
	}
	return warning;
fail:
	dicap_release(pd);
	p->fd = -1;
	p->selectable_fd = -1;
	free(p->dlt_list);
	p->dlt_list = NULL;
	p->dlt_count = 0;
	return status;
}

pcap_t *
dicap_create(const char *device, char *ebuf, int *is_ours)
{
	struct pcap_dicap *pd;
	pcap_t *p;

	if (strncmp(device, DICAP_PREFIX, DICAP_PREFIX_LEN) != 0) {
		*is_ours = 0;
		return NULL;
	}
	*is_ours = 1;
	if ((p = PCAP_CREATE_COMMON(ebuf, struct pcap_dicap)) == NULL)
		return NULL;
	pd = p->priv;
	pd->nl_fd = -1;
	pd->wake_fd = -1;
	/*
	 * Host time stamps only: the gate compares them with the system
	 * clock.  Both precisions, as on any Linux interface.
	 */
	p->tstamp_type_list = malloc(sizeof(u_int));
	p->tstamp_precision_list = malloc(2 * sizeof(u_int));
	if (p->tstamp_type_list == NULL || p->tstamp_precision_list == NULL) {
		pcap_fmt_errmsg_for_errno(ebuf, PCAP_ERRBUF_SIZE, errno, "malloc");
		pcap_close(p);
		return NULL;
	}
	p->tstamp_type_list[0] = PCAP_TSTAMP_HOST;
	p->tstamp_type_count = 1;
	p->tstamp_precision_list[0] = PCAP_TSTAMP_PRECISION_MICRO;
	p->tstamp_precision_list[1] = PCAP_TSTAMP_PRECISION_NANO;
	p->tstamp_precision_count = 2;
	p->activate_op = dicap_activate;
	return p;
}

/* ---- pcap_findalldevs ---------------------------------------------------- */

static bpf_u_int32
iface_flags(const char *iface)
{
	struct ifreq ifr;
	bpf_u_int32 flags = PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE;
	int fd;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return flags;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		if (ifr.ifr_flags & IFF_UP)
			flags |= PCAP_IF_UP;
		if (ifr.ifr_flags & IFF_RUNNING)
			flags |= PCAP_IF_RUNNING;
	}
	close(fd);
	return flags;
}

static void
describe(const struct dicapd_status *st, char *desc, size_t len)
{
	const char *mode = strcmp(st->mode, "rr") == 0 ? "round-robin" : st->mode;

	if (strcmp(st->datapath, "kmod") == 0)
		snprintf(desc, len, "DiCAP on %s: dicapd runs the kernel module; capture on %s "
		    "itself", st->iface, st->iface);
	else if (strcmp(st->datapath, "xdp") != 0 || !st->distribute)
		snprintf(desc, len, "DiCAP on %s: dicapd passes no traffic to libpcap "
		    "(it runs without --distribute or with --datapath none)", st->iface);
	else if (!st->have_topology || !st->member)
		snprintf(desc, len, "DiCAP on %s: no share yet (dicapd is %s)", st->iface,
		    st->state);
	else
		snprintf(desc, len, "DiCAP node %llu of %llu on %s: %.1f%% of the traffic, %s "
		    "selection", (unsigned long long)st->position + 1,
		    (unsigned long long)st->members, st->iface, st->share, mode);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The interface names of the sockets in the socket directory, sorted. */
static int
socket_names(char ***namesp, size_t *np)
{
	char **names = NULL, **nn;
	struct dirent *de;
	size_t n = 0, len;
	DIR *dir;

	*namesp = NULL;
	*np = 0;
	if ((dir = opendir(sock_dir())) == NULL)
		return errno == ENOENT || errno == ENOTDIR || errno == EACCES ? 0 : -1;
	while ((de = readdir(dir)) != NULL && n < DICAP_MAX_SOCKETS) {
		len = strlen(de->d_name);
		if (len <= 5 || len - 5 >= IF_NAMESIZE || strcmp(de->d_name + len - 5, ".sock") != 0)
			continue;
		if ((nn = realloc(names, (n + 1) * sizeof(*names))) == NULL)
			goto fail;
		names = nn;
		if ((names[n] = strndup(de->d_name, len - 5)) == NULL)
			goto fail;
		n++;
	}
	closedir(dir);
	if (n > 0)
		qsort(names, n, sizeof(*names), by_name);
	*namesp = names;
	*np = n;
	return 0;
fail:
	while (n > 0)
		free(names[--n]);
	free(names);
	closedir(dir);
	return -1;
}

/* Does the dicapd answering @st drive @iface of this network namespace? */
static int
serves_here(const struct dicapd_status *st, const char *iface)
{
	uint32_t id = 0;
	int ifindex;

	if (strcmp(st->iface, iface) != 0 || (ifindex = (int)if_nametoindex(iface)) == 0)
		return 0;
	if (st->prog_id == 0)
		return 1;
	return xdp_prog_id_once(ifindex, &id) == 0 && id == st->prog_id;
}

int
dicap_findalldevs(pcap_if_list_t *devlistp, char *errbuf)
{
	struct dicapd_status st;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char name[DICAP_PREFIX_LEN + IF_NAMESIZE], desc[256], why[256];
	char **names;
	size_t i, n;
	int rc = 0, conn_errno;

	if (socket_names(&names, &n) == -1) {
		pcap_fmt_errmsg_for_errno(errbuf, PCAP_ERRBUF_SIZE, errno, "dicap: %s", sock_dir());
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (rc == 0 && sock_path_of(names[i], path, sizeof(path)) == 0 &&
		    status_get(path, &st, DICAP_LIST_TIMEOUT_MS, &conn_errno, why, sizeof(why)) ==
		    STATUS_OK &&
		    serves_here(&st, names[i])) {
			snprintf(name, sizeof(name), "%s%s", DICAP_PREFIX, names[i]);
			describe(&st, desc, sizeof(desc));
			if (add_dev(devlistp, name, iface_flags(names[i]), desc, errbuf) == NULL)
				rc = -1;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}
