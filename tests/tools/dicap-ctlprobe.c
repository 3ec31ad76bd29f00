/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicap-ctlprobe: a hostile sender on the control port, for the tests of
 * issue 14 (tests/ctl/t10-roles.t).  Each command sends what an attacker
 * with one credential (or with a sniffed datagram) would send, and prints
 * one JSON line of what came back: datagrams and bytes, so that a test can
 * check that nothing answered, or that no answer outgrew its request.
 *
 *   dicap-ctlprobe -k CRED --to ADDR:PORT [--bind IP[:PORT]] [--tag role|node|status] CMD
 *   topology --id ID [--term T]	a TOPOLOGY giving node ID every bucket
 *   sync [--term T] [--nodes N]	COORD_SYNC parts listing N made-up nodes
 *   status [--padded]		a STATUS_REQ without cookie
 *   status-cookie --bind2 IP	a cookie got at --bind, used from --bind2
 *   replay-join --id ID --bind2 IP	join as ID, then resend the JOIN from --bind2
 *   steal-error --id ID --replay-to ADDR:PORT
 *				join as ID (held by a node): the coordinator's
 *				ERROR goes to ADDR:PORT, as sniffed and replayed
 *
 * --tag role (the default) authenticates as the credential's holder may;
 * node/status put an HMAC under that key of the file on any type.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "dicap/select.h"
#include "ctlmsg.h"
#include "keyfile.h"
#include "opt.h"
#include "replay.h"
#include "sockaddr.h"

struct probe {
	struct dicap_keys keys;
	const char *tag;
	struct dicap_addr to;
	uint64_t seq;
	unsigned int sent, sent_bytes, recv, recv_bytes, max_reply;
	unsigned int max_request;
};

static void
load_any(const char *path, struct dicap_keys *k)
{
	static const int roles[] = { DICAP_ROLE_COORD, DICAP_ROLE_NODE, DICAP_ROLE_STATUS };
	char err[512];
	size_t i;

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (dicap_cred_load(path, roles[i], k, err, sizeof(err)) == 0)
			return;
	opt_fail("%s", err);
}

/* A socket bound to IP or IP:PORT. */
static int
sock_at(const char *spec)
{
	struct sockaddr_in sin;
	char ip[64], *colon;
	int fd;

	snprintf(ip, sizeof(ip), "%s", spec);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	if ((colon = strchr(ip, ':')) != NULL) {
		*colon = '\0';
		sin.sin_port = htons((uint16_t)atoi(colon + 1));
	}
	if (inet_pton(AF_INET, ip, &sin.sin_addr) != 1)
		opt_fail("%s: not an IPv4 address", spec);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		opt_fail("bind %s: %s", ip, strerror(errno));
	return fd;
}

static int
encode(struct probe *p, struct dicap_msg *m, uint8_t *buf, size_t cap)
{
	int len;

	m->seq = p->seq++;
	m->timestamp_ns = dicap_now_ns();
	DICAP_SET(m, DICAP_AVP_SEQ);
	DICAP_SET(m, DICAP_AVP_TIMESTAMP);
	if (strcmp(p->tag, "node") == 0)
		len = dicap_msg_encode(m, buf, cap, p->keys.have_node ? p->keys.node : NULL);
	else if (strcmp(p->tag, "status") == 0)
		len = dicap_msg_encode(m, buf, cap, p->keys.have_status ? p->keys.status : NULL);
	else
		len = dicap_msg_encode_keys(m, buf, cap, &p->keys);
	if (len < 0)
		opt_fail("cannot encode %s: %s (%s)", dicap_msg_type_name(m->type),
		    dicap_msg_strerror(-len), dicap_msg_why());
	return len;
}

static void
send_to(struct probe *p, int fd, const uint8_t *buf, size_t len, const struct dicap_addr *to)
{
	struct sockaddr_storage ss;
	socklen_t sl = dicap_addr_to_sockaddr(to, AF_INET, &ss);

	if (sendto(fd, buf, len, 0, (struct sockaddr *)&ss, sl) != (ssize_t)len)
		opt_fail("sendto: %s", strerror(errno));
	p->sent++;
	p->sent_bytes += (unsigned int)len;
	if (len > p->max_request)
		p->max_request = (unsigned int)len;
}

/*
 * Datagrams arriving at @fd within @ms; the first that decodes with our
 * keys and has type @type (0: any) is copied to @m/@raw.  Returns 1 if one did.
 */
static int
collect(struct probe *p, int fd, int ms, int type, struct dicap_msg *m, uint8_t *raw,
    size_t *rawlen)
{
	static uint8_t buf[DICAP_CTL_MAX_LEN + 1];
	uint64_t end = dicap_mono_ns() + (uint64_t)ms * 1000000;
	struct pollfd pfd = { fd, POLLIN, 0 };
	struct dicap_msg d;
	int found = 0;
	ssize_t n;

	while (dicap_mono_ns() < end) {
		if (poll(&pfd, 1, (int)((end - dicap_mono_ns()) / 1000000) + 1) <= 0)
			continue;
		if ((n = recv(fd, buf, sizeof(buf), 0)) <= 0)
			continue;
		p->recv++;
		p->recv_bytes += (unsigned int)n;
		if ((unsigned int)n > p->max_reply)
			p->max_reply = (unsigned int)n;
		if (found || dicap_msg_decode_keys(buf, (size_t)n, &d, NULL, NULL) != 0 ||
		    (type != 0 && d.type != type))
			continue;
		if (m != NULL) {
			memcpy(raw, buf, (size_t)n);
			*rawlen = (size_t)n;
			dicap_msg_decode_keys(raw, *rawlen, m, NULL, NULL);
		}
		found = 1;
		if (m != NULL)
			return 1;
	}
	return found;
}

static void
report(const struct probe *p, const char *extra)
{
	printf("{\"sent\":%u,\"sent_bytes\":%u,\"max_request\":%u,\"recv\":%u,"
	    "\"recv_bytes\":%u,\"max_reply\":%u%s%s}\n", p->sent, p->sent_bytes,
	    p->max_request, p->recv, p->recv_bytes, p->max_reply, extra[0] ? "," : "", extra);
}

static void
cmd_topology(struct probe *p, int fd, uint32_t id, uint32_t term)
{
	static uint8_t buf[DICAP_CTL_MAX_LEN];
	struct dicap_member member = { id, 1 };
	struct dicap_msg m;
	int len;

	memset(&m, 0, sizeof(m));
	m.type = DICAP_MSG_TOPOLOGY;
	m.term = term;
	m.epoch = 1000000;
	m.mode = DICAP_MODE_FLOW;
	m.validity_ns = dicap_now_ns();
	m.members = &member;
	m.n_members = m.member_count = 1;
	m.parts = 1;
	DICAP_SET(&m, DICAP_AVP_TERM);
	DICAP_SET(&m, DICAP_AVP_EPOCH);
	DICAP_SET(&m, DICAP_AVP_SELECT);
	DICAP_SET(&m, DICAP_AVP_SELECT_FLAGS);
	DICAP_SET(&m, DICAP_AVP_VALIDITY);
	DICAP_SET(&m, DICAP_AVP_MEMBERS);
	DICAP_SET(&m, DICAP_AVP_PART);
	DICAP_SET(&m, DICAP_AVP_MEMBER_COUNT);
	len = encode(p, &m, buf, sizeof(buf));
	send_to(p, fd, buf, (size_t)len, &p->to);
	collect(p, fd, 300, 0, NULL, NULL, NULL);
	report(p, "");
}

/* COORD_SYNC parts from coordinator 0x5eed0c00 listing @n made-up nodes. */
static void
cmd_sync(struct probe *p, int fd, uint32_t term, uint32_t n)
{
	static uint8_t buf[DICAP_CTL_MAX_LEN], rec[DICAP_MAX_NODE_INFO][64];
	uint32_t parts = n == 0 ? 1 : (n + DICAP_MAX_NODE_INFO - 1) / DICAP_MAX_NODE_INFO;
	struct dicap_node_info ni;
	struct dicap_msg m;
	uint32_t part, i, id = 0x60000000;
	int len, l;

	if (parts > 65535)
		opt_fail("--nodes %u: too many parts", n);
	for (part = 0; part < parts; part++) {
		memset(&m, 0, sizeof(m));
		m.type = DICAP_MSG_COORD_SYNC;
		m.node_id = 0x5eed0c00;
		m.term = term;
		m.epoch = 1;
		m.part = (uint16_t)part;
		m.parts = (uint16_t)parts;
		DICAP_SET(&m, DICAP_AVP_NODE_ID);
		DICAP_SET(&m, DICAP_AVP_TERM);
		DICAP_SET(&m, DICAP_AVP_EPOCH);
		DICAP_SET(&m, DICAP_AVP_PART);
		for (i = 0; i < DICAP_MAX_NODE_INFO && part * DICAP_MAX_NODE_INFO + i < n; i++) {
			memset(&ni, 0, sizeof(ni));
			ni.node_id = id++;
			ni.weight = 1;
			dicap_addr_parse("192.0.2.1:7467", &ni.addr);
			if ((l = dicap_node_info_encode(&ni, rec[i], sizeof(rec[i]))) < 0)
				opt_fail("node info");
			m.node_info[i] = rec[i];
			m.node_info_len[i] = (uint16_t)l;
			m.n_node_info++;
		}
		if (m.n_node_info)
			DICAP_SET(&m, DICAP_AVP_NODE_INFO);
		len = encode(p, &m, buf, sizeof(buf));
		send_to(p, fd, buf, (size_t)len, &p->to);
		if (part % 64 == 63)
			usleep(2000);	/* the receiver's socket buffer */
	}
	collect(p, fd, 300, 0, NULL, NULL, NULL);
	report(p, "");
}

static int
status_req(struct probe *p, struct dicap_msg *m, int padded, const uint8_t *cookie,
    uint8_t *buf, size_t cap)
{
	memset(m, 0, sizeof(*m));
	m->type = DICAP_MSG_STATUS_REQ;
	if (cookie != NULL) {
		memcpy(m->cookie, cookie, DICAP_COOKIE_LEN);
		DICAP_SET(m, DICAP_AVP_COOKIE);
	}
	if (padded) {
		m->padding_len = DICAP_UNVERIFIED_MIN_LEN;
		DICAP_SET(m, DICAP_AVP_PADDING);
	}
	return encode(p, m, buf, cap);
}

static void
cmd_status(struct probe *p, int fd, int padded)
{
	uint8_t buf[2048];
	struct dicap_msg m;
	int len;

	len = status_req(p, &m, padded, NULL, buf, sizeof(buf));
	send_to(p, fd, buf, (size_t)len, &p->to);
	collect(p, fd, 1000, 0, NULL, NULL, NULL);
	report(p, "");
}

/* A cookie is for the address that got it: from another, it buys another cookie. */
static void
cmd_status_cookie(struct probe *p, int fd, const char *bind2)
{
	static uint8_t raw[DICAP_CTL_MAX_LEN + 1];
	uint8_t buf[2048], cookie[DICAP_COOKIE_LEN];
	struct dicap_msg m, e;
	size_t rawlen;
	int len, fd2, got;

	len = status_req(p, &m, 1, NULL, buf, sizeof(buf));
	send_to(p, fd, buf, (size_t)len, &p->to);
	got = collect(p, fd, 1000, DICAP_MSG_ERROR, &e, raw, &rawlen);
	if (!got || !DICAP_HAS(&e, DICAP_AVP_COOKIE))
		opt_fail("no cookie came back");
	memcpy(cookie, e.cookie, sizeof(cookie));
	fd2 = sock_at(bind2);
	p->sent = p->sent_bytes = p->recv = p->recv_bytes = p->max_reply = p->max_request = 0;
	len = status_req(p, &m, 0, cookie, buf, sizeof(buf));
	send_to(p, fd2, buf, (size_t)len, &p->to);
	collect(p, fd2, 1000, 0, NULL, NULL, NULL);
	report(p, "\"cookie_from_elsewhere\":true");
}

/* Join as @id the way a node does: JOIN, ERROR SESSION, JOIN with the session. */
static int
join(struct probe *p, int fd, uint32_t id, uint8_t *join_raw, size_t *join_len,
    struct dicap_msg *reply, uint8_t *reply_raw, size_t *reply_len)
{
	uint8_t session[DICAP_SESSION_LEN], kx_pk[DICAP_KX_PK_LEN], kx_sk[DICAP_KX_PK_LEN];
	struct dicap_msg m;
	int len, round;

	randombytes_buf(session, sizeof(session));
	crypto_kx_keypair(kx_pk, kx_sk);
	memset(&m, 0, sizeof(m));
	for (round = 0; round < 3; round++) {
		m.type = DICAP_MSG_JOIN;
		m.node_id = id;
		m.weight = 1;
		memcpy(m.session, session, sizeof(m.session));
		memcpy(m.kx, kx_pk, sizeof(m.kx));
		DICAP_SET(&m, DICAP_AVP_NODE_ID);
		DICAP_SET(&m, DICAP_AVP_WEIGHT);
		DICAP_SET(&m, DICAP_AVP_SESSION);
		DICAP_SET(&m, DICAP_AVP_KX);
		if (!DICAP_HAS(&m, DICAP_AVP_PEER_SESSION)) {
			m.padding_len = DICAP_UNVERIFIED_MIN_LEN;
			DICAP_SET(&m, DICAP_AVP_PADDING);
		}
		len = encode(p, &m, join_raw, DICAP_CTL_MAX_LEN);
		*join_len = (size_t)len;
		send_to(p, fd, join_raw, (size_t)len, &p->to);
		if (!collect(p, fd, 1000, 0, reply, reply_raw, reply_len))
			return 0;
		if (reply->type != DICAP_MSG_ERROR || reply->error_code != DICAP_CTLERR_SESSION)
			return 1;
		memcpy(m.peer_session, reply->session, sizeof(m.peer_session));
		DICAP_SET(&m, DICAP_AVP_PEER_SESSION);
		m.present &= ~(1u << DICAP_AVP_PADDING);
		m.padding_len = 0;
	}
	return 0;
}

static void
cmd_replay_join(struct probe *p, int fd, uint32_t id, const char *bind2)
{
	static uint8_t jraw[DICAP_CTL_MAX_LEN], rraw[DICAP_CTL_MAX_LEN + 1];
	struct dicap_msg r;
	size_t jlen, rlen;
	char extra[128];
	int fd2, joined;

	joined = join(p, fd, id, jraw, &jlen, &r, rraw, &rlen);
	collect(p, fd, 300, 0, NULL, NULL, NULL);
	fd2 = sock_at(bind2);
	p->sent = p->sent_bytes = p->recv = p->recv_bytes = p->max_reply = p->max_request = 0;
	send_to(p, fd2, jraw, jlen, &p->to);
	collect(p, fd2, 1000, 0, NULL, NULL, NULL);
	snprintf(extra, sizeof(extra), "\"joined\":%s,\"first_reply\":\"%s\"",
	    joined ? "true" : "false", joined ? dicap_msg_type_name(r.type) : "");
	report(p, extra);
}

static void
cmd_steal_error(struct probe *p, int fd, uint32_t id, const char *replay_to)
{
	static uint8_t jraw[DICAP_CTL_MAX_LEN], rraw[DICAP_CTL_MAX_LEN + 1];
	struct dicap_addr victim;
	struct dicap_msg r;
	size_t jlen, rlen;
	char extra[128];

	if (dicap_addr_parse(replay_to, &victim) == -1)
		opt_fail("--replay-to %s: expected ADDR:PORT", replay_to);
	if (!join(p, fd, id, jraw, &jlen, &r, rraw, &rlen) || r.type != DICAP_MSG_ERROR)
		opt_fail("the coordinator sent no ERROR for a JOIN of 0x%08x", id);
	send_to(p, fd, rraw, rlen, &victim);
	snprintf(extra, sizeof(extra), "\"error_code\":%u", r.error_code);
	report(p, extra);
}

int
main(int argc, char **argv)
{
	enum { O_TO = 256, O_BIND, O_BIND2, O_TAG, O_ID, O_TERM, O_NODES, O_PADDED, O_REPLAY_TO };
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "to", required_argument, NULL, O_TO },
		{ "bind", required_argument, NULL, O_BIND },
		{ "bind2", required_argument, NULL, O_BIND2 },
		{ "tag", required_argument, NULL, O_TAG },
		{ "id", required_argument, NULL, O_ID },
		{ "term", required_argument, NULL, O_TERM },
		{ "nodes", required_argument, NULL, O_NODES },
		{ "padded", no_argument, NULL, O_PADDED },
		{ "replay-to", required_argument, NULL, O_REPLAY_TO },
		{ NULL, 0, NULL, 0 },
	};
	const char *key = NULL, *to = NULL, *bind_ip = "127.0.0.1", *bind2 = "127.0.0.2";
	const char *replay_to = NULL, *cmd;
	uint32_t id = 0x0badc0de, term = 1000000, nodes = 0;
	struct probe p;
	uint64_t v;
	int ch, fd, padded = 0;

	opt_program("dicap-ctlprobe", "(see the comment at the top of its source)", 1);
	memset(&p, 0, sizeof(p));
	p.tag = "role";
	while ((ch = getopt_long(argc, argv, "k:", opts, NULL)) != -1) {
		switch (ch) {
		case 'k': key = optarg; break;
		case O_TO: to = optarg; break;
		case O_BIND: bind_ip = optarg; break;
		case O_BIND2: bind2 = optarg; break;
		case O_TAG: p.tag = optarg; break;
		case O_PADDED: padded = 1; break;
		case O_REPLAY_TO: replay_to = optarg; break;
		case O_ID:
		case O_TERM:
		case O_NODES:
			if (opt_parse_number(optarg, NULL, 0, UINT32_MAX, &v) != OPT_OK)
				opt_fail("%s: not a number", optarg);
			if (ch == O_ID)
				id = (uint32_t)v;
			else if (ch == O_TERM)
				term = (uint32_t)v;
			else
				nodes = (uint32_t)v;
			break;
		default:
			opt_fail("unknown option");
		}
	}
	if (optind + 1 != argc || key == NULL || to == NULL)
		opt_fail("usage: dicap-ctlprobe -k CRED --to ADDR:PORT [options] COMMAND");
	cmd = argv[optind];
	if (sodium_init() < 0)
		opt_fail("libsodium");
	load_any(key, &p.keys);
	if (dicap_addr_parse(to, &p.to) == -1)
		opt_fail("--to %s: expected ADDR:PORT", to);
	p.seq = dicap_seq_start();
	fd = sock_at(bind_ip);
	if (strcmp(cmd, "topology") == 0)
		cmd_topology(&p, fd, id, term);
	else if (strcmp(cmd, "sync") == 0)
		cmd_sync(&p, fd, term, nodes);
	else if (strcmp(cmd, "status") == 0)
		cmd_status(&p, fd, padded);
	else if (strcmp(cmd, "status-cookie") == 0)
		cmd_status_cookie(&p, fd, bind2);
	else if (strcmp(cmd, "replay-join") == 0)
		cmd_replay_join(&p, fd, id, bind2);
	else if (strcmp(cmd, "steal-error") == 0 && replay_to != NULL)
		cmd_steal_error(&p, fd, id, replay_to);
	else
		opt_fail("unknown command %s", cmd);
	return 0;
}
