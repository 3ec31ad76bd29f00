/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Senders.  All use an AF_PACKET socket bound to the interface with
 * protocol 0, so it never receives anything, and by default
 * PACKET_QDISC_BYPASS: frames go straight to the driver, skipping the
 * qdisc and the local taps (a tcpdump on the sending interface itself does
 * not see them; --no-bypass restores both).
 *
 * af_packet: sendmmsg() of a batch.  A frame the device refuses with
 * ENOBUFS/EAGAIN (full queue) is sent again until it goes, for up to a
 * second; other per-frame errors (EMSGSIZE ...) count the frame as lost.
 *
 * tx_ring: a PACKET_TX_RING (TPACKET_V2) that the kernel drains on send();
 * it saves the copy into the kernel but cannot tell which frame failed, so
 * device drops are counted, not retried.
 */
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gen.h"
#include "xdplive.h"

#define RETRY_NS	1000000000ull	/* give up on a frame refused this long */
#define SNDBUF_BYTES	(4 << 20)
#define RING_BYTES	(8u << 20)

struct tx {
	int engine;
	int fd;
	int ifindex;
	char ifname[IF_NAMESIZE];
	unsigned mtu;
	unsigned ifflags;
	struct mmsghdr *msgs;
	uint8_t *ring;			/* tx_ring */
	size_t ring_len;
	unsigned frame_size, frame_nr, head;
	struct xdplive *xdp;		/* xdp-live */
};

static const char *const engine_names[] = { "af_packet", "tx_ring", "xdp-live" };

int
gen_engine_parse(const char *name)
{
	int i;

	for (i = 0; i < 3; i++)
		if (!strcmp(name, engine_names[i]))
			return i;
	return -1;
}

const char *
gen_engine_name(int engine)
{
	return engine >= 0 && engine < 3 ? engine_names[engine] : "?";
}

static int
if_query(struct tx *t, char *err, size_t errlen)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, t->ifname, sizeof(t->ifname));
	if (ioctl(t->fd, SIOCGIFFLAGS, &ifr) < 0) {
		snprintf(err, errlen, "%s: cannot read the interface flags: %s",
		    t->ifname, strerror(errno));
		return -1;
	}
	t->ifflags = (unsigned)ifr.ifr_flags & 0xffff;
	if (!(t->ifflags & IFF_UP)) {
		snprintf(err, errlen, "interface %s is down (ip link set %s up)",
		    t->ifname, t->ifname);
		return -1;
	}
	if (ioctl(t->fd, SIOCGIFMTU, &ifr) < 0) {
		snprintf(err, errlen, "%s: cannot read the MTU: %s", t->ifname,
		    strerror(errno));
		return -1;
	}
	t->mtu = (unsigned)ifr.ifr_mtu;
	if (ioctl(t->fd, SIOCGIFHWADDR, &ifr) < 0) {
		snprintf(err, errlen, "%s: cannot read the link type: %s",
		    t->ifname, strerror(errno));
		return -1;
	}
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER &&
	    ifr.ifr_hwaddr.sa_family != ARPHRD_LOOPBACK) {
		snprintf(err, errlen, "%s is not an Ethernet interface (link type %u)",
		    t->ifname, (unsigned)ifr.ifr_hwaddr.sa_family);
		return -1;
	}
	return 0;
}

static int
open_socket(struct tx *t, int bypass, char *err, size_t errlen)
{
	struct sockaddr_ll sll;
	int one = 1, sndbuf = SNDBUF_BYTES;

	t->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		if (errno == EPERM || errno == EACCES)
			snprintf(err, errlen, "cannot open a packet socket: %s "
			    "(dicap-gen needs root or CAP_NET_RAW)", strerror(errno));
		else
			snprintf(err, errlen, "cannot open a packet socket: %s",
			    strerror(errno));
		return -1;
	}
	if (if_query(t, err, errlen))
		return -1;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = t->ifindex;
	if (bind(t->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		snprintf(err, errlen, "cannot bind to %s: %s", t->ifname,
		    strerror(errno));
		return -1;
	}
	if (bypass && setsockopt(t->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one,
	    sizeof(one)) < 0) {
		snprintf(err, errlen, "PACKET_QDISC_BYPASS: %s (try --no-bypass)",
		    strerror(errno));
		return -1;
	}
	if (setsockopt(t->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) < 0)
		(void)setsockopt(t->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	return 0;
}

static int
ring_setup(struct tx *t, char *err, size_t errlen)
{
	struct tpacket_req req;
	int version = TPACKET_V2;
	unsigned need = TPACKET_ALIGN(sizeof(struct tpacket2_hdr)) + t->mtu + 14 + 8;

	t->frame_size = 2048;
	while (t->frame_size < need)
		t->frame_size *= 2;
	memset(&req, 0, sizeof(req));
	req.tp_block_size = t->frame_size < 65536 ? 65536 : t->frame_size;
	req.tp_block_nr = RING_BYTES / req.tp_block_size;
	req.tp_frame_size = t->frame_size;
	req.tp_frame_nr = req.tp_block_nr * (req.tp_block_size / t->frame_size);
	if (setsockopt(t->fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) < 0 ||
	    setsockopt(t->fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)) < 0) {
		snprintf(err, errlen, "PACKET_TX_RING: %s", strerror(errno));
		return -1;
	}
	t->ring_len = (size_t)req.tp_block_size * req.tp_block_nr;
	t->ring = mmap(NULL, t->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, t->fd, 0);
	if (t->ring == MAP_FAILED) {
		t->ring = NULL;
		snprintf(err, errlen, "mmap of the TX ring: %s", strerror(errno));
		return -1;
	}
	t->frame_nr = req.tp_frame_nr;
	return 0;
}

struct tx *
tx_open(const char *ifname, int engine, int bypass, unsigned batch,
    char *err, size_t errlen)
{
	struct tx *t;

	if (strlen(ifname) >= IF_NAMESIZE || !*ifname) {
		snprintf(err, errlen, "bad interface name '%s'", ifname);
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t || !(t->msgs = calloc(batch, sizeof(*t->msgs)))) {
		free(t);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->engine = engine;
	t->fd = -1;
	strcpy(t->ifname, ifname);
	t->ifindex = (int)if_nametoindex(ifname);
	if (!t->ifindex) {
		snprintf(err, errlen, "no interface %s in this network namespace",
		    ifname);
		goto fail;
	}
	if (open_socket(t, bypass, err, errlen))
		goto fail;
	if (engine == GEN_ENGINE_TX_RING && ring_setup(t, err, errlen))
		goto fail;
	if (engine == GEN_ENGINE_XDP_LIVE &&
	    !(t->xdp = xdplive_open(t->ifindex, err, errlen)))
		goto fail;
	return t;
fail:
	tx_close(t);
	return NULL;
}

unsigned
tx_mtu(const struct tx *t)
{
	return t->mtu;
}

int
tx_has_carrier(const struct tx *t)
{
	return (t->ifflags & IFF_RUNNING) != 0;
}

static int
fatal_errno(int e)
{
	return e == ENETDOWN || e == ENXIO || e == ENODEV || e == EBADF;
}

static int
send_mmsg(struct tx *t, const struct iovec *frames, unsigned n, uint8_t *ok,
    struct gen_stats *st, char *err, size_t errlen)
{
	unsigned i, off = 0;
	uint64_t refused_since = 0;
	int r;

	for (i = 0; i < n; i++) {
		memset(&t->msgs[i], 0, sizeof(t->msgs[i]));
		t->msgs[i].msg_hdr.msg_iov = (struct iovec *)&frames[i];
		t->msgs[i].msg_hdr.msg_iovlen = 1;
		ok[i] = 0;
	}
	while (off < n) {
		r = sendmmsg(t->fd, t->msgs + off, n - off, 0);
		if (r > 0) {
			for (i = off; i < off + (unsigned)r; i++) {
				ok[i] = 1;
				st->packets++;
				st->bytes += frames[i].iov_len;
			}
			off += (unsigned)r;
			refused_since = 0;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (fatal_errno(errno)) {
			snprintf(err, errlen, "sending on %s: %s", t->ifname,
			    strerror(errno));
			return -1;
		}
		if (errno == ENOBUFS || errno == EAGAIN) {
			uint64_t now = gen_mono_ns();

			st->retries++;
			if (!refused_since) {
				refused_since = now;
			} else if (now - refused_since > RETRY_NS) {
				st->errors++;
				st->last_errno = errno;
				off++;
				refused_since = 0;
			}
			sched_yield();
			continue;
		}
		st->errors++;
		st->last_errno = errno;
		off++;
	}
	return 0;
}

static volatile struct tpacket2_hdr *
ring_frame(struct tx *t, unsigned i)
{
	return (volatile struct tpacket2_hdr *)(t->ring + (size_t)i * t->frame_size);
}

/* Waits until slot @t->head may be written again. */
static int
ring_wait(struct tx *t, struct gen_stats *st, char *err, size_t errlen)
{
	volatile struct tpacket2_hdr *h = ring_frame(t, t->head);
	struct pollfd pfd = { t->fd, POLLOUT, 0 };
	uint32_t status;

	for (;;) {
		status = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
		if (status == TP_STATUS_AVAILABLE)
			return 0;
		if (status & TP_STATUS_WRONG_FORMAT) {
			st->errors++;
			st->packets--;
			st->bytes -= h->tp_len;
			st->last_errno = EINVAL;
			__atomic_store_n(&h->tp_status, TP_STATUS_AVAILABLE,
			    __ATOMIC_RELEASE);
			return 0;
		}
		if (send(t->fd, NULL, 0, MSG_DONTWAIT) < 0 && fatal_errno(errno)) {
			snprintf(err, errlen, "sending on %s: %s", t->ifname,
			    strerror(errno));
			return -1;
		}
		if (poll(&pfd, 1, 100) < 0 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			return -1;
		}
	}
}

static int
send_ring(struct tx *t, const struct iovec *frames, unsigned n, uint8_t *ok,
    struct gen_stats *st, char *err, size_t errlen)
{
	size_t data_off = TPACKET_ALIGN(sizeof(struct tpacket2_hdr));
	volatile struct tpacket2_hdr *h;
	unsigned i;

	for (i = 0; i < n; i++) {
		if (ring_wait(t, st, err, errlen))
			return -1;
		h = ring_frame(t, t->head);
		memcpy((uint8_t *)h + data_off, frames[i].iov_base, frames[i].iov_len);
		h->tp_len = (uint32_t)frames[i].iov_len;
		__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
		t->head = (t->head + 1) % t->frame_nr;
		ok[i] = 1;
		st->packets++;
		st->bytes += frames[i].iov_len;
	}
	while (send(t->fd, NULL, 0, 0) < 0) {
		if (errno == EINTR)
			continue;
		if (fatal_errno(errno)) {
			snprintf(err, errlen, "sending on %s: %s", t->ifname,
			    strerror(errno));
			return -1;
		}
		/* The ring does not say which frame failed: count one, go on. */
		st->errors++;
		st->packets--;
		st->last_errno = errno;
		if (errno != ENOBUFS && errno != EAGAIN)
			break;
		sched_yield();
	}
	return 0;
}

/* xdp-live, frames that differ: one run each, nothing stamped. */
static int
send_live(struct tx *t, const struct iovec *frames, unsigned n, uint8_t *ok,
    struct gen_stats *st, char *err, size_t errlen)
{
	struct xdplive_tmpl none;
	unsigned i;

	memset(&none, 0, sizeof(none));
	for (i = 0; i < n; i++) {
		ok[i] = 0;
		if (xdplive_send(t->xdp, frames[i].iov_base, frames[i].iov_len, &none, 1,
		    err, errlen))
			return -1;
		ok[i] = 1;
		st->packets++;
		st->bytes += frames[i].iov_len;
	}
	return 0;
}

int
tx_send_copies(struct tx *t, const struct iovec *frame, const struct xdplive_tmpl *tm,
    unsigned n, struct gen_stats *st, char *err, size_t errlen)
{
	if (xdplive_send(t->xdp, frame->iov_base, frame->iov_len, tm, n, err, errlen))
		return -1;
	st->packets += n;
	st->bytes += (uint64_t)n * frame->iov_len;
	return 0;
}

int
tx_send(struct tx *t, const struct iovec *frames, unsigned n, uint8_t *ok,
    struct gen_stats *st, char *err, size_t errlen)
{
	switch (t->engine) {
	case GEN_ENGINE_TX_RING:
		return send_ring(t, frames, n, ok, st, err, errlen);
	case GEN_ENGINE_XDP_LIVE:
		return send_live(t, frames, n, ok, st, err, errlen);
	}
	return send_mmsg(t, frames, n, ok, st, err, errlen);
}

void
tx_close(struct tx *t)
{
	if (!t)
		return;
	if (t->ring) {
		/* Let queued frames go before the ring disappears. */
		while (send(t->fd, NULL, 0, 0) < 0 && errno == EINTR)
			;
		munmap(t->ring, t->ring_len);
	}
	xdplive_close(t->xdp);
	if (t->fd >= 0)
		close(t->fd);
	free(t->msgs);
	free(t);
}
