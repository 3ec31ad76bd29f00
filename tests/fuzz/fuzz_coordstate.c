/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Stateful fuzzer of the coordinator's handlers (issue 14).  One real
 * coordinator (the sources of coord/, its event loop, its UDP socket on 127.0.0.1)
 * lives for the whole run; each input is a sequence of records, each made
 * into an authenticated message (the node, status or coordinator key, as
 * its role needs) and sent to it from one of two addresses, then the loop
 * runs once.  Records choose the type, the node id among a few, whether the
 * coordinator's session, a fresh SEQ or a replayed one, a term step and the
 * numbers: JOIN, HEARTBEAT, LEAVE, STATUS_REQ, COORD_SYNC and VOTE_REQ
 * reach the handlers in any order, with the state every earlier input left.
 * ASan and UBSan judge; the checks here are the invariants of the node
 * table and the replay table, which must stay within their bounds.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "coord/coord.h"
#include "dicap/select.h"

#define CHECK(cond)	do { if (!(cond)) abort(); } while (0)
#define REC_LEN		8
#define N_IDS		8

static struct coord c;
static struct dicap_keys node_keys, status_keys;
static int tx[2] = { -1, -1 };		/* 127.0.0.1 and 127.0.0.2 */
static struct sockaddr_in coord_sin;
static uint64_t seq[2 * N_IDS + 2], last_seq[2 * N_IDS + 2];
static uint8_t sessions[2 * N_IDS][DICAP_SESSION_LEN];

static int
udp_at(const char *ip)
{
	struct sockaddr_in sin;
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, ip, &sin.sin_addr);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	CHECK(fd != -1 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	return fd;
}

static void
setup(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	uint8_t seed[32];
	char err[256];
	int i;

	CHECK(sodium_init() >= 0);
	memset(seed, 0x42, sizeof(seed));
	c.conf.keys.kind = DICAP_ROLE_COORD;
	crypto_sign_seed_keypair(c.conf.keys.coord_pk[0], c.conf.keys.sign_sk, seed);
	c.conf.keys.n_coord_pk = 1;
	c.conf.keys.have_sign = c.conf.keys.have_node = c.conf.keys.have_status = 1;
	memset(c.conf.keys.node, 0x22, DICAP_AUTH_KEY_LEN);
	memset(c.conf.keys.status, 0x33, DICAP_AUTH_KEY_LEN);
	c.conf.have_key = 1;
	node_keys.kind = DICAP_ROLE_NODE;
	node_keys.have_node = 1;
	memcpy(node_keys.node, c.conf.keys.node, DICAP_AUTH_KEY_LEN);
	status_keys.kind = DICAP_ROLE_STATUS;
	status_keys.have_status = 1;
	memcpy(status_keys.status, c.conf.keys.status, DICAP_AUTH_KEY_LEN);

	c.conf.listen.family = 4;	/* port 0: the kernel picks one */
	c.conf.listen.addr[0] = 127;
	c.conf.listen.addr[3] = 1;
	dicap_addr_parse("127.0.0.2:7467", &c.conf.peers[0]);	/* the sync sender */
	c.conf.n_peers = 1;
	c.conf.id = 0x0c0000de;
	c.conf.priority = 100;
	c.conf.mode = DICAP_MODE_FLOW;
	c.conf.heartbeat_ms = 100;
	c.conf.timeout_ms = 300;
	c.conf.guard_ms = 10;
	c.conf.resend_ms = 1000;
	c.conf.coalesce_ms = 1;
	c.conf.foreground = 1;
	c.fd = c.mfd = c.pfd = -1;
	CHECK((c.base = event_base_new()) != NULL);
	CHECK(nodes_init(&c) == 0 && topology_init(&c) == 0 && table_init(&c) == 0 &&
	    election_init(&c) == 0 && status_init(&c) == 0);
	CHECK(inject_open(&c, err, sizeof(err)) == 0);	/* no --inject-dev: its timers */
	CHECK(net_open(&c, err, sizeof(err)) == 0);
	CHECK(announce_open(&c, err, sizeof(err)) == 0);	/* no announcements */
	CHECK(getsockname(c.fd, (struct sockaddr *)&sin, &len) == 0);
	coord_sin = sin;
	c.conf.listen.port = ntohs(sin.sin_port);
	/* Active from the start: the node handlers are what is fuzzed first. */
	c.role = ROLE_ACTIVE;
	topology_new_term(&c, 0);
	tx[0] = udp_at("127.0.0.1");
	tx[1] = udp_at("127.0.0.2");
	for (i = 0; i < 2 * N_IDS; i++)
		randombytes_buf(sessions[i], DICAP_SESSION_LEN);
	for (i = 0; i < 2 * N_IDS + 2; i++)
		seq[i] = dicap_seq_start();
}

static void
drain(int fd)
{
	uint8_t buf[DICAP_CTL_MAX_LEN + 1];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/*
 * A record: kind, id, flags, weight, epoch, term step, and two bytes of
 * numbers.  flags: 1 our session as PEER_SESSION, 2 replay the sender's
 * last SEQ, 4 send from 127.0.0.2, 8 a second session of the id, 16 pad,
 * 32 no SESSION at all.
 */
static void
one(const uint8_t *r)
{
	static uint8_t buf[DICAP_CTL_MAX_LEN], rec[4][64];
	const struct dicap_keys *keys = &node_keys;
	unsigned int id_ix = r[1] % N_IDS, sess_ix = id_ix + ((r[2] & 8) ? N_IDS : 0);
	unsigned int who = sess_ix;
	struct dicap_node_info ni;
	struct dicap_msg m;
	int len, fd = tx[(r[2] >> 2) & 1], i, l;

	memset(&m, 0, sizeof(m));
	m.node_id = 0x100 + id_ix;
	DICAP_SET(&m, DICAP_AVP_NODE_ID);
	switch (r[0] % 6) {
	case 0:
		m.type = DICAP_MSG_JOIN;
		m.weight = (uint16_t)(r[3] ? r[3] : 1);
		DICAP_SET(&m, DICAP_AVP_WEIGHT);
		break;
	case 1:
		m.type = DICAP_MSG_HEARTBEAT;
		m.epoch = r[4];
		DICAP_SET(&m, DICAP_AVP_EPOCH);
		break;
	case 2:
		m.type = DICAP_MSG_LEAVE;
		break;
	case 3:
		m.type = DICAP_MSG_STATUS_REQ;
		m.present = 0;
		keys = &status_keys;
		who = 2 * N_IDS;
		if (r[6] & 1) {
			m.padding_len = DICAP_UNVERIFIED_MIN_LEN;
			DICAP_SET(&m, DICAP_AVP_PADDING);
		}
		break;
	case 4:
	case 5:
		m.type = r[0] % 6 == 4 ? DICAP_MSG_COORD_SYNC : DICAP_MSG_VOTE_REQ;
		m.node_id = 0x0c000000 + (r[1] & 1);
		keys = &c.conf.keys;
		who = 2 * N_IDS + 1;
		m.priority = r[6];
		DICAP_SET(&m, DICAP_AVP_PRIORITY);
		if (m.type == DICAP_MSG_COORD_SYNC) {
			m.epoch = r[4];
			m.parts = (uint16_t)(1 + (r[7] & 3));
			m.part = (uint16_t)((r[7] >> 2) % m.parts);
			DICAP_SET(&m, DICAP_AVP_EPOCH);
			DICAP_SET(&m, DICAP_AVP_PART);
			for (i = 0; i < (r[3] & 3); i++) {
				memset(&ni, 0, sizeof(ni));
				ni.node_id = 0x100 + (uint32_t)((r[3] >> 2) + i) % (2 * N_IDS);
				ni.weight = 1;
				ni.epoch = r[4];
				dicap_addr_parse("127.0.0.1:9", &ni.addr);
				l = dicap_node_info_encode(&ni, rec[i], sizeof(rec[i]));
				CHECK(l > 0);
				m.node_info[i] = rec[i];
				m.node_info_len[i] = (uint16_t)l;
				m.n_node_info++;
			}
			if (m.n_node_info)
				DICAP_SET(&m, DICAP_AVP_NODE_INFO);
		}
		break;
	}
	if (m.type != DICAP_MSG_STATUS_REQ) {
		m.term = c.term + (uint32_t)(int8_t)r[5];
		DICAP_SET(&m, DICAP_AVP_TERM);
	}
	if (m.type == DICAP_MSG_JOIN || m.type == DICAP_MSG_HEARTBEAT ||
	    m.type == DICAP_MSG_LEAVE) {
		if (!(r[2] & 32)) {
			memcpy(m.session, sessions[sess_ix], DICAP_SESSION_LEN);
			DICAP_SET(&m, DICAP_AVP_SESSION);
		}
		if (r[2] & 1) {
			memcpy(m.peer_session, c.session, DICAP_SESSION_LEN);
			DICAP_SET(&m, DICAP_AVP_PEER_SESSION);
		}
		if (r[2] & 16) {
			m.padding_len = (uint16_t)(r[7] * 2);
			DICAP_SET(&m, DICAP_AVP_PADDING);
		}
	}
	m.seq = (r[2] & 2) ? last_seq[who] : ++seq[who];
	last_seq[who] = m.seq;
	m.timestamp_ns = dicap_now_ns();
	DICAP_SET(&m, DICAP_AVP_SEQ);
	DICAP_SET(&m, DICAP_AVP_TIMESTAMP);
	len = dicap_msg_encode_keys(&m, buf, sizeof(buf), keys);
	if (getenv("FUZZ_COORD_DEBUG") != NULL)
		fprintf(stderr, "%s: %d %s\n", dicap_msg_type_name(m.type), len,
		    len < 0 ? dicap_msg_why() : "");
	if (len <= 0)
		return;
	if (sendto(fd, buf, (size_t)len, 0, (struct sockaddr *)&coord_sin,
	    sizeof(coord_sin)) == len)
		event_base_loop(c.base, EVLOOP_NONBLOCK);
	else if (getenv("FUZZ_COORD_DEBUG") != NULL)
		perror("sendto");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off;

	if (c.base == NULL)
		setup();
	for (off = 0; off + REC_LEN <= size; off += REC_LEN)
		one(data + off);
	drain(tx[0]);
	drain(tx[1]);
	CHECK(c.n_nodes <= COORD_MAX_NODES);
	CHECK(c.n_replay <= COORD_REPLAY_SLOTS && c.n_replay_clients <= COORD_REPLAY_CLIENTS);
	CHECK(HASH_COUNT(c.nodes) == c.n_nodes);
	if (getenv("FUZZ_COORD_DEBUG") != NULL)
		fprintf(stderr, "nodes %u joins %llu unverified %llu replay %llu auth %llu"
		    " malformed %llu datagrams %llu\n", c.n_nodes,
		    (unsigned long long)c.ctr[CC_JOINS], (unsigned long long)c.ctr[CC_RX_UNVERIFIED],
		    (unsigned long long)c.ctr[CC_RX_REPLAY], (unsigned long long)c.ctr[CC_RX_AUTH_FAIL],
		    (unsigned long long)c.ctr[CC_RX_MALFORMED], (unsigned long long)c.ctr[CC_TX_DATAGRAMS]);
	return 0;
}
