/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicap-kctl: the qemu guest's side of the kernel module tests.  Speaks the
 * "dicap" generic netlink family with raw sockets (no libnl in the
 * initramfs) and counts frames that reached the stack with AF_PACKET.
 *
 *   attach IFNAME [driver|rxh]   detach   get
 *   set ACTIONS SNAPLEN LEASE_POLICY [NODE_ID]
 *   analyzer IPV4 PORT           the one analyzer (none: no arguments)
 *   topo EPOCH MODE N POSITION DELAY_MS [SEL_FLAGS]
 *                                (table: bucket b -> b % N; SEL_FLAGS 0:
 *                                tunnel inner, 1: outer)
 *   activate EPOCH               lease MS
 *   recv IFNAME COUNT SECS       frames that got an sk_buff, as a bitmap
 *                                over kmod_frames.h's indices
 *   badnl IFNAME                 malformed requests, TAP lines
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dicap/genl.h"
#include "kmod_frames.h"

#define BUFSZ	65536

static int nlfd;
static uint16_t family;
static uint32_t nlseq = 1;
static char last_extack[256];

struct msg {
	uint8_t buf[BUFSZ];
	size_t len;
};

static void
put_attr(struct msg *m, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)(m->buf + m->len);

	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	if (len)
		memcpy((uint8_t *)a + NLA_HDRLEN, data, len);
	m->len += NLA_ALIGN(a->nla_len);
}

static void put_u8(struct msg *m, uint16_t t, uint8_t v) { put_attr(m, t, &v, 1); }
static void put_u16(struct msg *m, uint16_t t, uint16_t v) { put_attr(m, t, &v, 2); }
static void put_u32(struct msg *m, uint16_t t, uint32_t v) { put_attr(m, t, &v, 4); }
static void put_u64(struct msg *m, uint16_t t, uint64_t v) { put_attr(m, t, &v, 8); }

static void
msg_init(struct msg *m, uint16_t type, uint8_t cmd)
{
	struct nlmsghdr *h = (struct nlmsghdr *)m->buf;
	struct genlmsghdr *g = (struct genlmsghdr *)(m->buf + NLMSG_HDRLEN);

	memset(m->buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	h->nlmsg_seq = nlseq++;
	g->cmd = cmd;
	g->version = DICAP_GENL_VERSION;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

/* Send; returns 0 or -errno; a reply's attributes are copied to @reply. */
static int
transact(struct msg *m, struct msg *reply)
{
	struct nlmsghdr *h = (struct nlmsghdr *)m->buf;
	static uint8_t rbuf[BUFSZ];
	ssize_t n;

	h->nlmsg_len = (uint32_t)m->len;
	last_extack[0] = '\0';
	if (send(nlfd, m->buf, m->len, 0) < 0)
		return -errno;
	for (;;) {
		n = recv(nlfd, rbuf, sizeof(rbuf), 0);
		if (n < 0)
			return -errno;
		for (h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);
				size_t off = NLMSG_HDRLEN + sizeof(*e);
				struct nlattr *a;

				if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
					if (!(h->nlmsg_flags & NLM_F_CAPPED))
						off += e->msg.nlmsg_len - NLMSG_HDRLEN;
					while (off + NLA_HDRLEN <= h->nlmsg_len) {
						a = (struct nlattr *)((uint8_t *)h + off);
						if (a->nla_len < NLA_HDRLEN)
							break;
						if (a->nla_type == NLMSGERR_ATTR_MSG)
							snprintf(last_extack, sizeof(last_extack), "%s",
							    (char *)a + NLA_HDRLEN);
						/* GENL_REQ_ATTR_CHECK names the attribute, no text */
						if (a->nla_type == NLMSGERR_ATTR_MISS_TYPE &&
						    last_extack[0] == '\0')
							snprintf(last_extack, sizeof(last_extack),
							    "missing attribute %u",
							    *(uint32_t *)((char *)a + NLA_HDRLEN));
						off += NLA_ALIGN(a->nla_len);
					}
				}
				return e->error;
			}
			if (reply) {
				reply->len = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
				memcpy(reply->buf, (uint8_t *)h + NLMSG_HDRLEN + GENL_HDRLEN,
				    reply->len);
			}
		}
	}
}

static struct nlattr *
find_attr(const uint8_t *p, size_t len, uint16_t type)
{
	size_t off = 0;
	struct nlattr *a;

	while (off + NLA_HDRLEN <= len) {
		a = (struct nlattr *)(p + off);
		if (a->nla_len < NLA_HDRLEN)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		off += NLA_ALIGN(a->nla_len);
	}
	return NULL;
}

static void
nl_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	static struct msg m, r;
	struct nlattr *a;
	int one = 1;

	nlfd = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
	if (nlfd < 0 || bind(nlfd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("netlink");
		exit(1);
	}
	setsockopt(nlfd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	msg_init(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY);
	((struct genlmsghdr *)(m.buf + NLMSG_HDRLEN))->version = 1;
	put_attr(&m, CTRL_ATTR_FAMILY_NAME, DICAP_GENL_NAME, sizeof(DICAP_GENL_NAME));
	if (transact(&m, &r) < 0 || (a = find_attr(r.buf, r.len, CTRL_ATTR_FAMILY_ID)) == NULL) {
		fprintf(stderr, "dicap-kctl: family \"dicap\" not found (module loaded?)\n");
		exit(1);
	}
	memcpy(&family, (uint8_t *)a + NLA_HDRLEN, 2);
}

static int
run(struct msg *m, const char *what)
{
	int err = transact(m, NULL);

	if (err)
		fprintf(stderr, "dicap-kctl: %s: %s%s%s\n", what, strerror(-err),
		    last_extack[0] ? ": " : "", last_extack);
	return err ? 1 : 0;
}

static struct msg get_reply;

static uint32_t
get_u32(uint16_t type)
{
	struct nlattr *a = find_attr(get_reply.buf, get_reply.len, type);
	uint32_t v = 0;

	if (a)
		memcpy(&v, (uint8_t *)a + NLA_HDRLEN, 4);
	return v;
}

static uint8_t
get_u8(uint16_t type)
{
	struct nlattr *a = find_attr(get_reply.buf, get_reply.len, type);

	return a ? *((uint8_t *)a + NLA_HDRLEN) : 0;
}

static uint64_t
counters(uint64_t *v)
{
	static struct msg m;
	struct msg *r = &get_reply;
	struct nlattr *n, *a;
	int i;

	msg_init(&m, family, DICAP_CMD_GET);
	if (transact(&m, r) < 0 || (n = find_attr(r->buf, r->len, DICAP_A_COUNTERS)) == NULL) {
		fprintf(stderr, "dicap-kctl: get failed\n");
		exit(1);
	}
	for (i = 0; i < DICAP_K_CTR_MAX; i++) {
		a = find_attr((uint8_t *)n + NLA_HDRLEN, n->nla_len - NLA_HDRLEN, (uint16_t)(i + 1));
		v[i] = 0;
		if (a)
			memcpy(&v[i], (uint8_t *)a + NLA_HDRLEN, 8);
	}
	return v[0];
}

static const char *const ctr_names[DICAP_K_CTR_MAX] = {
	"seen", "selected", "not_mine", "non_ip", "malformed", "markers_ok",
	"markers_bad", "ringbuf_full", "lease_drops", "inactive", "ring_records",
	"switches", "ring_errors", "batches_sent", "records_sent", "send_errors",
	"hook_frames", "rxh_frames",
};

static int
cmd_get(void)
{
	uint64_t v[DICAP_K_CTR_MAX];
	int i;

	counters(v);
	printf("COUNTERS");
	for (i = 0; i < DICAP_K_CTR_MAX; i++)
		printf(" %s=%llu", ctr_names[i], (unsigned long long)v[i]);
	printf("\nSTATE ifindex=%u active=%u pending=%u mode=%u sel_flags=%u\n",
	    get_u32(DICAP_A_IFINDEX), get_u32(DICAP_A_ACTIVE_EPOCH),
	    get_u32(DICAP_A_PENDING_EPOCH), get_u8(DICAP_A_MODE), get_u32(DICAP_A_SEL_FLAGS));
	return 0;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A STAGE request with the six attributes dicapd's stages carry. */
static void
msg_stage(struct msg *m, uint32_t epoch, uint8_t mode, uint32_t n, uint32_t pos,
	  uint64_t validity_ns, uint32_t sel_flags)
{
	msg_init(m, family, DICAP_CMD_STAGE);
	put_u32(m, DICAP_A_EPOCH, epoch);
	put_u8(m, DICAP_A_MODE, mode);
	put_u32(m, DICAP_A_N, n);
	put_u32(m, DICAP_A_POSITION, pos);
	put_u64(m, DICAP_A_VALIDITY_NS, validity_ns);
	put_u32(m, DICAP_A_SEL_FLAGS, sel_flags);
}

static int
cmd_topo(uint32_t epoch, uint8_t mode, uint32_t n, uint32_t pos, uint32_t delay_ms,
	 uint32_t sel_flags)
{
	static struct msg m;
	static uint16_t chunk[DICAP_K_TABLE_CHUNK_MAX];
	uint32_t off, i;

	msg_stage(&m, epoch, mode, n, pos, now_ns() + (uint64_t)delay_ms * 1000000u, sel_flags);
	if (run(&m, "stage"))
		return 1;
	for (off = 0; mode != 0 && off < 65536; off += DICAP_K_TABLE_CHUNK_MAX) {
		for (i = 0; i < DICAP_K_TABLE_CHUNK_MAX; i++)
			chunk[i] = (uint16_t)((off + i) % n);
		msg_init(&m, family, DICAP_CMD_TABLE);
		put_u32(&m, DICAP_A_EPOCH, epoch);
		put_u32(&m, DICAP_A_TABLE_OFFSET, off);
		put_attr(&m, DICAP_A_TABLE, chunk, sizeof(chunk));
		if (run(&m, "table"))
			return 1;
	}
	msg_init(&m, family, DICAP_CMD_COMMIT);
	put_u32(&m, DICAP_A_EPOCH, epoch);
	return run(&m, "commit");
}

/*
 * Whether @got (@n bytes) is frame @f: the same bytes, or (e1000e pads
 * short frames to the 60-byte Ethernet minimum) those and zeros to 60.
 */
static int
frame_is(const uint8_t *f, size_t len, const uint8_t *got, size_t n)
{
	size_t j;

	if (n != len && !(len < 60 && n == 60))
		return 0;
	if (memcmp(f, got, len) != 0)
		return 0;
	for (j = len; j < n; j++)
		if (got[j])
			return 0;
	return 1;
}

/* Frames that reached AF_PACKET, mapped to their kmod_frames.h index. */
static int
cmd_recv(const char *ifname, unsigned count, unsigned secs)
{
	static uint8_t want[KF_COUNT][KF_MAX], buf[2048];
	static size_t wlen[KF_COUNT];
	static unsigned char got[KF_COUNT];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	uint64_t v[DICAP_K_CTR_MAX], seen0;
	unsigned i, ngot = 0, unknown = 0, dup = 0, idle = 0;
	struct pollfd pfd;
	ssize_t n;
	time_t end = time(NULL) + secs;
	struct tpacket_stats st = { 0 };
	socklen_t stlen = sizeof(st);
	int fd, rcvbuf = 16 << 20;

	for (i = 0; i < KF_COUNT; i++)
		wlen[i] = kf_frame(i, want[i]);
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("packet socket");
		return 1;
	}
	/* The feed comes as a burst; a slow guest must not lose it here. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	seen0 = counters(v);
	printf("READY\n");
	fflush(stdout);
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (time(NULL) < end) {
		if (poll(&pfd, 1, 100) <= 0) {
			if (counters(v) - seen0 >= count && ++idle >= 3)
				break;
			continue;
		}
		idle = 0;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			continue;
		for (i = 0; i < KF_COUNT; i++)
			if (frame_is(want[i], wlen[i], buf, (size_t)n))
				break;
		if (i == KF_COUNT) {
			unknown++;
		} else if (got[i]) {
			dup++;
		} else {
			got[i] = 1;
			ngot++;
		}
	}
	getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &stlen);
	printf("RECV got=%u unknown=%u dup=%u seen=%llu sockdrops=%u\nBITMAP ", ngot, unknown,
	    dup, (unsigned long long)(counters(v) - seen0), st.tp_drops);
	for (i = 0; i < KF_COUNT; i += 4)
		printf("%x", got[i] | (i + 1 < KF_COUNT ? got[i + 1] << 1 : 0) |
		    (i + 2 < KF_COUNT ? got[i + 2] << 2 : 0) |
		    (i + 3 < KF_COUNT ? got[i + 3] << 3 : 0));
	printf("\n");
	close(fd);
	return 0;
}

static int tap_n;

static void
expect_fail(struct msg *m, const char *what, const char *msgpart)
{
	int err = transact(m, NULL);
	int ok = err < 0 && (msgpart == NULL || strstr(last_extack, msgpart) != NULL);

	printf("%s %d - %s (%s; extack \"%s\")\n", ok ? "ok" : "not ok", ++tap_n, what,
	    err ? strerror(-err) : "accepted", last_extack);
}

static int
cmd_badnl(const char *ifname)
{
	static struct msg m;
	static uint16_t chunk[300];

	msg_init(&m, family, DICAP_CMD_ATTACH);
	expect_fail(&m, "attach without an interface", "missing attribute 1");
	msg_init(&m, family, DICAP_CMD_ATTACH);
	put_u32(&m, DICAP_A_IFINDEX, 9999);
	expect_fail(&m, "attach to a missing interface", "no interface");
	msg_init(&m, family, DICAP_CMD_ATTACH);
	put_u32(&m, DICAP_A_IFINDEX, 1);
	expect_fail(&m, "attach to loopback", "loopback");
	msg_init(&m, family, DICAP_CMD_ATTACH);
	put_u32(&m, DICAP_A_IFINDEX, if_nametoindex(ifname));
	put_u8(&m, DICAP_A_HOOK, 7);
	expect_fail(&m, "hook out of range", NULL);
	msg_init(&m, family, DICAP_CMD_SET);
	put_u32(&m, DICAP_A_SNAPLEN, 5000);
	expect_fail(&m, "snaplen too large", NULL);
	msg_init(&m, family, DICAP_CMD_SET);
	put_u16(&m, DICAP_A_SNAPLEN, 64);
	expect_fail(&m, "snaplen of the wrong size", NULL);
	msg_init(&m, family, DICAP_CMD_SET);
	put_u32(&m, DICAP_A_ACTIONS, 0x10);
	expect_fail(&m, "unknown action bits", NULL);
	msg_stage(&m, 5, 1, 3, 3, 0, 0);
	expect_fail(&m, "position not below N", "position");
	msg_stage(&m, 5, 9, 3, 0, 0, 0);
	expect_fail(&m, "mode out of range", NULL);
	msg_stage(&m, 5, 1, 0, 0, 0, 0);
	expect_fail(&m, "N of 0", NULL);
	msg_stage(&m, 5, 0, 3, 0, 0, 0);
	put_attr(&m, DICAP_A_TOKEN, "short", 5);
	expect_fail(&m, "token of 5 bytes", NULL);
	msg_stage(&m, 5, 4, 3, 0, 0, 2);
	expect_fail(&m, "selection flags outside DICAP_SEL_FLAGS_MASK", NULL);
	msg_init(&m, family, DICAP_CMD_STAGE);
	put_u32(&m, DICAP_A_EPOCH, 5);
	put_u8(&m, DICAP_A_MODE, 4);
	put_u32(&m, DICAP_A_N, 3);
	put_u32(&m, DICAP_A_POSITION, 0);
	put_u64(&m, DICAP_A_VALIDITY_NS, 0);
	put_u16(&m, DICAP_A_SEL_FLAGS, 1);
	expect_fail(&m, "selection flags of the wrong size", NULL);
	msg_init(&m, family, DICAP_CMD_TABLE);
	put_u32(&m, DICAP_A_EPOCH, 77);
	put_u32(&m, DICAP_A_TABLE_OFFSET, 0);
	put_attr(&m, DICAP_A_TABLE, chunk, 512);
	expect_fail(&m, "table for an epoch not staged", "STAGE first");
	msg_stage(&m, 6, 4, 2, 0, 0, 1);
	printf("%s %d - stage epoch 6 (host, tunnel outer)\n", transact(&m, NULL) ? "not ok" : "ok",
	    ++tap_n);
	msg_init(&m, family, DICAP_CMD_TABLE);
	put_u32(&m, DICAP_A_EPOCH, 6);
	put_u32(&m, DICAP_A_TABLE_OFFSET, 100);
	put_attr(&m, DICAP_A_TABLE, chunk, 512);
	expect_fail(&m, "table chunk off the block boundary", "boundary");
	msg_init(&m, family, DICAP_CMD_TABLE);
	put_u32(&m, DICAP_A_EPOCH, 6);
	put_u32(&m, DICAP_A_TABLE_OFFSET, 0);
	chunk[7] = 2;
	put_attr(&m, DICAP_A_TABLE, chunk, 512);
	expect_fail(&m, "bucket owner not below N", "not below N");
	msg_init(&m, family, DICAP_CMD_COMMIT);
	put_u32(&m, DICAP_A_EPOCH, 6);
	expect_fail(&m, "commit with an incomplete table", "incomplete");
	msg_init(&m, family, DICAP_CMD_ACTIVATE);
	put_u32(&m, DICAP_A_EPOCH, 99);
	expect_fail(&m, "activate an unknown epoch", "neither pending nor active");
	msg_init(&m, family, DICAP_CMD_LEASE);
	put_u32(&m, DICAP_A_LEASE_MS, 0);
	expect_fail(&m, "lease of 0 ms", NULL);
	msg_init(&m, family, DICAP_CMD_ANALYZERS);
	{
		uint8_t nest[64];
		struct nlattr *a = (struct nlattr *)nest;

		a->nla_type = DICAP_AN_ADDR;
		a->nla_len = NLA_HDRLEN + 5;
		memcpy(nest + NLA_HDRLEN, "\x7f\0\0\1\0", 5);
		a = (struct nlattr *)(nest + 12);
		a->nla_type = DICAP_AN_PORT;
		a->nla_len = NLA_HDRLEN + 2;
		memcpy(nest + 16, "\x10\x27", 2);
		put_attr(&m, DICAP_A_ANALYZER | NLA_F_NESTED, nest, 20);
	}
	expect_fail(&m, "analyzer address of 5 bytes", "4 (IPv4) or 16");
	msg_init(&m, family, DICAP_CMD_DETACH);
	expect_fail(&m, "detach while not attached", "not attached");
	printf("1..%d\n", tap_n);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct msg m;

	if (argc < 2)
		goto usage;
	nl_open();
	if (strcmp(argv[1], "attach") == 0 && argc >= 3) {
		msg_init(&m, family, DICAP_CMD_ATTACH);
		put_u32(&m, DICAP_A_IFINDEX, if_nametoindex(argv[2]));
		put_u8(&m, DICAP_A_HOOK, argc > 3 && strcmp(argv[3], "rxh") == 0 ?
		    DICAP_HOOK_RX_HANDLER : DICAP_HOOK_DRIVER);
		return run(&m, "attach");
	}
	if (strcmp(argv[1], "detach") == 0) {
		msg_init(&m, family, DICAP_CMD_DETACH);
		return run(&m, "detach");
	}
	if (strcmp(argv[1], "set") == 0 && (argc == 5 || argc == 6)) {
		msg_init(&m, family, DICAP_CMD_SET);
		put_u32(&m, DICAP_A_ACTIONS, (uint32_t)atoi(argv[2]));
		put_u32(&m, DICAP_A_SNAPLEN, (uint32_t)atoi(argv[3]));
		put_u8(&m, DICAP_A_LEASE_POLICY, (uint8_t)atoi(argv[4]));
		if (argc == 6)
			put_u32(&m, DICAP_A_NODE_ID, (uint32_t)atoi(argv[5]));
		return run(&m, "set");
	}
	if (strcmp(argv[1], "analyzer") == 0 && (argc == 2 || argc == 4)) {
		uint8_t nest[16];
		struct nlattr *a = (struct nlattr *)nest;
		uint16_t port;

		msg_init(&m, family, DICAP_CMD_ANALYZERS);
		if (argc == 4) {
			a->nla_type = DICAP_AN_ADDR;
			a->nla_len = NLA_HDRLEN + 4;
			if (inet_pton(AF_INET, argv[2], nest + NLA_HDRLEN) != 1)
				goto usage;
			a = (struct nlattr *)(nest + 8);
			a->nla_type = DICAP_AN_PORT;
			a->nla_len = NLA_HDRLEN + 2;
			port = (uint16_t)atoi(argv[3]);
			memcpy(nest + 12, &port, 2);
			put_attr(&m, DICAP_A_ANALYZER | NLA_F_NESTED, nest, 16);
		}
		return run(&m, "analyzer");
	}
	if (strcmp(argv[1], "topo") == 0 && (argc == 7 || argc == 8))
		return cmd_topo((uint32_t)atoi(argv[2]), (uint8_t)atoi(argv[3]),
		    (uint32_t)atoi(argv[4]), (uint32_t)strtoul(argv[5], NULL, 0),
		    (uint32_t)atoi(argv[6]), argc == 8 ? (uint32_t)strtoul(argv[7], NULL, 0) : 0);
	if (strcmp(argv[1], "activate") == 0 && argc == 3) {
		msg_init(&m, family, DICAP_CMD_ACTIVATE);
		put_u32(&m, DICAP_A_EPOCH, (uint32_t)atoi(argv[2]));
		return run(&m, "activate");
	}
	if (strcmp(argv[1], "lease") == 0 && argc == 3) {
		msg_init(&m, family, DICAP_CMD_LEASE);
		put_u32(&m, DICAP_A_LEASE_MS, (uint32_t)atoi(argv[2]));
		return run(&m, "lease");
	}
	if (strcmp(argv[1], "get") == 0)
		return cmd_get();
	if (strcmp(argv[1], "recv") == 0 && argc == 5)
		return cmd_recv(argv[2], (unsigned)atoi(argv[3]), (unsigned)atoi(argv[4]));
	if (strcmp(argv[1], "badnl") == 0 && argc == 3)
		return cmd_badnl(argv[2]);
usage:
	fprintf(stderr, "usage: dicap-kctl attach|detach|set|topo|activate|lease|get|recv|badnl ...\n");
	return 2;
}
