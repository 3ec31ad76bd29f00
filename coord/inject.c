/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Marker frames (paper III.C, docs/protocol.md "Marker frames").
 *
 * In round-robin mode every node counts the frames it sees, and the count
 * only means the same thing on every node if all of them start it at the
 * same frame.  In the hash modes the nodes must change tables at the same
 * frame, and a clock cannot give that: one frame reaches two nodes at
 * different instants, by up to a softirq's backlog under load.  With
 * --inject-dev the coordinator puts a marker frame into the monitored link
 * itself, upstream of the mirror, so each node meets it at the same place
 * in the stream, and every topology switches there, in every mode.  A marker names an epoch and carries
 * that epoch's token: sixteen random bytes the nodes got beforehand in the
 * authenticated TOPOLOGY, so that a host on the monitored link, which sees
 * old markers but never a token before its use, cannot switch or reset
 * the nodes.
 *
 * Per epoch: the token is drawn when the epoch is published; the switch
 * marker goes out a few ms after the validity start (every node has staged
 * the topology by then: that is what the guard is for), and from then on
 * a resync marker of that epoch every --marker-interval, so that a node
 * that missed the switch marker (or got the topology late) catches up.
 * No resync goes out while a newer epoch is on its way: a node that has
 * just joined knows only the newer token and would count the older marker
 * as forged.
 *
 * Drift detection (docs/design.md, "Round-robin drift"): every marker
 * carries a sequence number, and a resync marker at least two heartbeat
 * intervals after the last one is a report marker (DICAP_MARKER_SEQ_REPORT):
 * each node hands its next heartbeat the frames it counted since the
 * previous report marker (rr_marker).  Nodes that saw the same frames
 * report the same number; the coordinator counts and logs each node that
 * does not agree with the majority, and sends a resync marker at once.
 * Two intervals: every node's latest report then reaches us before the
 * next report marker replaces it.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "coord.h"
#include "log.h"
#include "dicap/select.h"
#include "dicap/marker.h"

#define MARKER_WARN_EVERY_NS	MS(10000)

static void marker_cb(evutil_socket_t, short, void *);
static void resync_cb(evutil_socket_t, short, void *);

/* "--inject-dev IFACE: [STEP: ]WHY" (WHY NULL: errno's text); closes the socket. */
static int
inject_fail(struct coord *c, char *err, size_t errlen, const char *step, const char *why)
{
	int saved = errno;

	snprintf(err, errlen, "--inject-dev %s: %s%s%s", c->conf.inject_dev, step ? step : "",
	    step ? ": " : "", why ? why : strerror(saved));
	if (c->pfd != -1) {
		close(c->pfd);
		c->pfd = -1;
	}
	return -1;
}

/* The interface must exist, be up and be Ethernet; its address is the source. */
static int
check_iface(struct coord *c, char *err, size_t errlen)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (strlen(c->conf.inject_dev) >= sizeof(ifr.ifr_name))
		return inject_fail(c, err, errlen, NULL, "name too long");
	strcpy(ifr.ifr_name, c->conf.inject_dev);
	if (ioctl(c->pfd, SIOCGIFFLAGS, &ifr) == -1)
		return inject_fail(c, err, errlen, NULL, errno == ENODEV ?
		    "no such interface" : NULL);
	if (!(ifr.ifr_flags & IFF_UP))
		return inject_fail(c, err, errlen, NULL, "the interface is down");
	if (ioctl(c->pfd, SIOCGIFHWADDR, &ifr) == -1)
		return inject_fail(c, err, errlen, "SIOCGIFHWADDR", NULL);
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
		return inject_fail(c, err, errlen, NULL, "not an Ethernet interface");
	memcpy(c->inject_mac, ifr.ifr_hwaddr.sa_data, sizeof(c->inject_mac));
	return 0;
}

/*
 * The socket is bound with protocol 0: it sends on the interface and never
 * receives, so the monitored link's traffic is not copied to us.
 */
int
inject_open(struct coord *c, char *err, size_t errlen)
{
	struct sockaddr_ll sll;
	unsigned int ifindex;

	c->ev_marker = evtimer_new(c->base, marker_cb, c);
	c->ev_resync = event_new(c->base, -1, EV_PERSIST, resync_cb, c);
	if (c->ev_marker == NULL || c->ev_resync == NULL) {
		snprintf(err, errlen, "cannot create the marker timers");
		return -1;
	}
	if (c->conf.inject_dev == NULL)
		return 0;
	if (sodium_init() == -1) {
		snprintf(err, errlen, "libsodium does not initialise");
		return -1;
	}
	/* A coordinator after a restart or a takeover does not reuse numbers. */
	c->mk_seq = randombytes_random();
	if ((c->pfd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0)) == -1)
		return inject_fail(c, err, errlen, "cannot open an AF_PACKET socket",
		    errno == EPERM || errno == EACCES ?
		    "permission denied (it needs CAP_NET_RAW: run as root, or give"
		    " dicap-coord cap_net_raw)" : NULL);
	if (check_iface(c, err, errlen) == -1)
		return -1;
	if ((ifindex = if_nametoindex(c->conf.inject_dev)) == 0)
		return inject_fail(c, err, errlen, NULL, NULL);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = 0;
	sll.sll_ifindex = (int)ifindex;
	if (bind(c->pfd, (struct sockaddr *)&sll, sizeof(sll)) == -1)
		return inject_fail(c, err, errlen, "bind", NULL);
	return 0;
}

void
inject_close(struct coord *c)
{
	if (c->ev_marker != NULL)
		event_free(c->ev_marker);
	if (c->ev_resync != NULL)
		event_free(c->ev_resync);
	c->ev_marker = c->ev_resync = NULL;
	if (c->pfd != -1)
		close(c->pfd);
	c->pfd = -1;
}

static int
markers_on(const struct coord *c)
{
	return c->pfd != -1;
}

static void drift_judge(struct coord *, int final);

/* The next sequence number, never 0, with the report flag if @report. */
static uint32_t
marker_seq_next(struct coord *c, int report)
{
	c->mk_seq = (c->mk_seq + 1) & ~DICAP_MARKER_SEQ_REPORT;
	if (c->mk_seq == 0)
		c->mk_seq = 1;
	return c->mk_seq | (report ? DICAP_MARKER_SEQ_REPORT : 0);
}

static void
marker_send(struct coord *c, const struct marker *mk, const char *kind, int report)
{
	uint8_t frame[DICAP_MARKER_FRAME_LEN];
	uint32_t seq = marker_seq_next(c, report), len;
	uint64_t now;
	ssize_t n;

	len = dicap_marker_build(frame, c->inject_mac, mk->epoch, mk->token, seq);
	n = send(c->pfd, frame, len, MSG_DONTWAIT);
	if (n == (ssize_t)len) {
		c->ctr[CC_MARKERS_SENT]++;
		log_debug("%s marker %#x of epoch %u sent on %s", kind, seq, mk->epoch,
		    c->conf.inject_dev);
		if (report) {
			drift_judge(c, 1);
			c->mk_report.set = 1;
			c->mk_report.epoch = mk->epoch;
			c->mk_report.seq = seq;
			c->mk_report.sent = dicap_mono_ns();
		}
		return;
	}
	c->ctr[CC_MARKER_ERRORS]++;
	now = dicap_mono_ns();
	if (c->marker_warned == 0 || now - c->marker_warned >= MARKER_WARN_EVERY_NS) {
		c->marker_warned = now;
		log_warnx("--inject-dev %s: the %s marker of epoch %u was not sent: %s"
		    " (%llu send errors so far)", c->conf.inject_dev, kind, mk->epoch,
		    n == -1 ? strerror(errno) : "short write",
		    (unsigned long long)c->ctr[CC_MARKER_ERRORS]);
	}
}

static void
resync_restart(struct coord *c)
{
	struct timeval tv;

	if (c->conf.marker_interval_ms == 0)
		return;
	tv.tv_sec = c->conf.marker_interval_ms / 1000;
	tv.tv_usec = (suseconds_t)(c->conf.marker_interval_ms % 1000) * 1000;
	event_add(c->ev_resync, &tv);
}

/* Arm the switch marker: @delay_ns from now. */
static void
marker_arm(struct coord *c, uint64_t delay_ns)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(delay_ns / 1000000000ULL);
	tv.tv_usec = (suseconds_t)(delay_ns % 1000000000ULL / 1000);
	evtimer_add(c->ev_marker, &tv);
}

/*
 * A new epoch is published (after epoch++ and its validity start): draw
 * its token and arm its switch marker.  A pending one that never went out
 * is superseded: the nodes replace their pending topology the same way.
 */
void
inject_new_epoch(struct coord *c)
{
	uint64_t now, at;

	evtimer_del(c->ev_marker);
	c->mk_pending.set = 0;
	if (!markers_on(c))
		return;
	c->mk_pending.set = 1;
	c->mk_pending.epoch = c->epoch;
	c->mk_pending.validity_ns = c->validity_ns;
	randombytes_buf(c->mk_pending.token, sizeof(c->mk_pending.token));
	now = dicap_now_ns();
	at = c->validity_ns + MS(COORD_MARKER_DELAY_MS);
	marker_arm(c, at > now ? at - now : 0);
	log_debug("epoch %u: switch marker due %u ms after its validity start",
	    c->epoch, COORD_MARKER_DELAY_MS);
}

/* Step-down: a standby injects nothing, and a new term draws new tokens. */
void
inject_stop(struct coord *c)
{
	evtimer_del(c->ev_marker);
	event_del(c->ev_resync);
	sodium_memzero(&c->mk_pending, sizeof(c->mk_pending));
	sodium_memzero(&c->mk_active, sizeof(c->mk_active));
}

/* The token of the current epoch, for its TOPOLOGY; NULL: none. */
const uint8_t *
inject_token(const struct coord *c)
{
	if (!markers_on(c))
		return NULL;
	if (c->mk_pending.set && c->mk_pending.epoch == c->epoch)
		return c->mk_pending.token;
	if (c->mk_active.set && c->mk_active.epoch == c->epoch)
		return c->mk_active.token;
	return NULL;
}

static void
marker_cb(evutil_socket_t fd, short what, void *arg)
{
	struct coord *c = arg;

	(void)fd;
	(void)what;
	if (c->role != ROLE_ACTIVE || !c->mk_pending.set)
		return;
	/* A node that has not been sent the topology yet would miss it. */
	if (c->fan.next < c->fan.n && c->fan.epoch == c->mk_pending.epoch) {
		log_debug("epoch %u: fan-out still running, switch marker waits",
		    c->mk_pending.epoch);
		marker_arm(c, MS(COORD_MARKER_DELAY_MS));
		return;
	}
	marker_send(c, &c->mk_pending, "switch", 0);
	c->mk_active = c->mk_pending;
	sodium_memzero(&c->mk_pending, sizeof(c->mk_pending));
	resync_restart(c);
}

static void
resync_cb(evutil_socket_t fd, short what, void *arg)
{
	struct coord *c = arg;

	(void)fd;
	(void)what;
	if (c->role != ROLE_ACTIVE || !c->mk_active.set || c->mk_pending.set || c->dirty)
		return;
	marker_send(c, &c->mk_active, "resync", dicap_mono_ns() - c->mk_report.sent >=
	    MS(2 * (uint64_t)c->conf.heartbeat_ms));
}

/* The report of @n for the report marker @seq, in *@sum; 0: none. */
static int
node_report(const struct node *n, uint32_t seq, uint32_t *sum)
{
	int i;

	for (i = 0; i < COORD_NODE_MARKS && n->marks[i] != 0; i++)
		if (DICAP_RR_MARK_SEQ(n->marks[i]) == seq) {
			*sum = (uint32_t)n->marks[i];
			return 1;
		}
	return 0;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The value most of @n sorted @v hold, in *@best; 0 if two values tie for it. */
static int
majority(const uint32_t *v, uint32_t n, uint32_t *best)
{
	uint32_t i, run = 0, top = 0, ties = 0;

	for (i = 0; i < n; i++) {
		run = i > 0 && v[i] == v[i - 1] ? run + 1 : 1;
		if (run > top) {
			top = run;
			*best = v[i];
			ties = 0;
		} else if (run == top)
			ties = 1;
	}
	return !ties;
}

/*
 * Compare the nodes' reports for the last report marker.  Not final: only
 * once every member that reports at all has reported it (it may still be
 * on its way).  Final (the next report marker is going out and replaces
 * the reports): with what came.
 */
static void
drift_judge(struct coord *c, int final)
{
	struct report_marker *r = &c->mk_report;
	struct node *n, *tmp;
	uint32_t *v, k = 0, best = 0, sum, drifted = 0;
	int waiting = 0, clear;

	if (!r->set)
		return;
	HASH_ITER(hh, c->nodes, n, tmp) {
		if (n->position < 0)
			continue;
		if (node_report(n, r->seq, &sum))
			k++;
		else if (n->epoch == r->epoch && n->marks[0] != 0)
			waiting = 1;
	}
	if (waiting && !final)
		return;
	r->set = 0;
	if (k < 2 || (v = calloc(k, sizeof(*v))) == NULL)
		return;
	k = 0;
	HASH_ITER(hh, c->nodes, n, tmp)
		if (n->position >= 0 && node_report(n, r->seq, &sum))
			v[k++] = sum;
	qsort(v, k, sizeof(*v), cmp_u32);
	clear = majority(v, k, &best);
	free(v);
	HASH_ITER(hh, c->nodes, n, tmp) {
		if (n->position < 0 || !node_report(n, r->seq, &sum) || (clear && sum == best))
			continue;
		n->rr_drifts++;
		c->ctr[CC_RR_DRIFTS]++;
		drifted++;
		if (clear)
			log_warnx("round-robin drift: node 0x%08x counted %u frames up to marker"
			    " %#x of epoch %u, the others %u: it missed or gained %lld",
			    n->id, sum, r->seq, r->epoch, best, (long long)sum - best);
		else
			log_warnx("round-robin drift: node 0x%08x counted %u frames up to marker"
			    " %#x of epoch %u, and no count has a majority", n->id, sum, r->seq,
			    r->epoch);
	}
	if (drifted != 0 && c->role == ROLE_ACTIVE && c->mk_active.set &&
	    c->mk_active.epoch == r->epoch && !c->mk_pending.set && !c->dirty) {
		marker_send(c, &c->mk_active, "resync", 0);
		resync_restart(c);
	}
}

/* From the interval timer: judge the last report marker once all reported. */
void
inject_tick(struct coord *c)
{
	if (markers_on(c))
		drift_judge(c, 0);
}

/* A heartbeat's rr_marker report of @n (0: none). */
void
inject_note_report(struct node *n, uint64_t mark)
{
	if (mark == 0 || mark == n->marks[0])
		return;
	memmove(&n->marks[1], &n->marks[0], sizeof(n->marks) - sizeof(n->marks[0]));
	n->marks[0] = mark;
}
