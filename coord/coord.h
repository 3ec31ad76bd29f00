/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicap-coord: the node coordinator.  One concern per file:
 *   coord.c     options, start, signals
 *   addr.c      address conversions
 *   net.c       the UDP control socket, codec with the key, replay checks
 *   nodes.c     the node table and JOIN/HEARTBEAT/LEAVE
 *   topology.c  term and epoch (their only writer), the member list,
 *               TOPOLOGY fan-out and resends
 *   election.c  roles, when to change term, COORD_SYNC, candidacy, takeover,
 *               step-down
 *   announce.c  multicast announcements
 *   status.c    STATUS replies and the NODE_INFO records they share with syncs
 *   table.c     the bucket table behind the shares, built in a worker thread
 *   inject.c    round-robin marker frames into the monitored link (--inject-dev)
 */
#ifndef DICAP_COORD_H
#define DICAP_COORD_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <pthread.h>

#include <stdint.h>

#include <event2/event.h>
#include <uthash.h>

#include "bucket_table.h"
#include "sockaddr.h"
#include "ctlmsg.h"
#include "replay.h"
#include "counters.h"

#define COORD_DEFAULT_LISTEN		"0.0.0.0:7467"
#define COORD_DEFAULT_GROUP		"239.255.74.67:7468"
#define COORD_DEFAULT_GROUP_PORT	7468
#define COORD_DEFAULT_HEARTBEAT_MS	1000
#define COORD_DEFAULT_TIMEOUT_MS	3000
#define COORD_DEFAULT_GUARD_MS		500
#define COORD_DEFAULT_RESEND_MS		10000
#define COORD_DEFAULT_COALESCE_MS	100
#define COORD_DEFAULT_PRIORITY		100
#define COORD_PAPER_HEARTBEAT_MS	5000
#define COORD_PAPER_TIMEOUT_MS		15000
#define COORD_MAX_PEERS			16
#define COORD_MAX_NODES			DICAP_MAX_MEMBERS
#define COORD_PART_MEMBERS		DICAP_TOPOLOGY_PART_MEMBERS
#define COORD_PART_NODE_INFOS		40	/* STATUS and COORD_SYNC parts */
#define COORD_MAX_COUNTERS		64	/* kept per node from its heartbeats */
#define COORD_BACKOFF_STEP_MS		100
#define COORD_BACKOFF_MAX_STEPS		10
#define COORD_DEFAULT_MARKER_MS		1000	/* resync marker interval */
#define COORD_MARKER_DELAY_MS		5	/* switch marker after validity start */
#define COORD_NODE_MARKS		4	/* round-robin reports kept per node */

#define MS(x)	((uint64_t)(x) * 1000000ULL)	/* ms -> ns */

/* The values go on the wire (the role in STATUS): keep them. */
enum coord_role {
	ROLE_STANDBY = 0,
	ROLE_CANDIDATE = 1,
	ROLE_ACTIVE = 2,
};


struct weight_override {
	uint32_t node_id;
	uint16_t weight;
	UT_hash_handle hh;
};

struct coord_conf {
	struct dicap_addr listen;
	struct dicap_addr advertise;	/* COORD in what we send; 0 family: derive */
	struct dicap_keys keys;		/* a coordinator credential */
	int have_key;
	uint32_t id;
	uint32_t priority;
	struct dicap_addr peers[COORD_MAX_PEERS];
	int n_peers;
	int mode;
	uint32_t sel_flags;		/* DICAP_SEL_*: --tunnel */
	struct dicap_addr analyzers[DICAP_MAX_ANALYZERS];
	uint32_t n_analyzers;
	uint32_t heartbeat_ms, timeout_ms, guard_ms, resend_ms, coalesce_ms;
	struct dicap_addr announce_group;
	int announce;
	struct weight_override *weights;
	const char *inject_dev;		/* NULL: no markers */
	uint32_t marker_interval_ms;	/* resync markers; 0: none */
	const char *term_file;		/* --term-file: the term survives a restart */
	const char *user;		/* --user; NULL: dicap_priv_drop()'s default */
	int foreground, debug;
};

/* A capture node, as the coordinator knows it. */
struct node {
	uint32_t id;
	uint16_t weight;		/* effective: override, else its JOIN */
	uint16_t join_weight;
	struct dicap_addr addr;		/* where it sends from */
	struct dicap_addr local;	/* our address it reached (COORD for it) */
	uint64_t last_heard;		/* mono ns of its last JOIN/HEARTBEAT */
	uint32_t term, epoch;		/* what it reports applied */
	int32_t position;		/* index in the published list, -1: not yet */
	uint32_t share_ppm;		/* standby: as synced */
	uint32_t sent_epoch;		/* last epoch sent to it, and when */
	uint64_t sent_at;
	int accept_pending;		/* joined since the last publish */
	uint32_t sync_round;		/* standby: last sync round listing it */
	uint8_t *counters;		/* n_counters * DICAP_COUNTER_WIRE_LEN */
	uint32_t n_counters;
	uint8_t session[DICAP_SESSION_LEN];	/* the node's; all zero: not heard yet */
	uint8_t kx_tx[DICAP_AUTH_KEY_LEN];	/* session key: what we send it */
	int has_kx;
	uint64_t marks[COORD_NODE_MARKS];	/* its rr_marker reports, newest first */
	uint64_t rr_drifts;		/* report markers at which it disagreed */
	TAILQ_ENTRY(node) age_entry;	/* oldest heartbeat first */
	UT_hash_handle hh;
};
TAILQ_HEAD(node_age_list, node);

/*
 * A node that left gracefully and waits for the first topology without it
 * (it keeps capturing its share until that topology's validity start).
 */
struct leaver {
	uint32_t id;
	struct dicap_addr addr;		/* where its LEAVE came from */
	struct dicap_addr local;	/* our address it reached */
	uint8_t session[DICAP_SESSION_LEN];
};

/*
 * Replay state per authenticated sender: a node id and the session of its
 * run (the node key vouches for both; with the session, another holder of
 * the node key claiming the id cannot push the id's window past the real
 * node's numbers), a coordinator id (the coordinator key), or a status reader's
 * address once its cookie has shown that it receives there.  Never the
 * bare source address: that anyone can forge.  The table has a fixed size
 * (COORD_REPLAY_SLOTS, of which COORD_REPLAY_CLIENTS for status readers).
 */
enum replay_kind { RK_NODE = 1, RK_COORD, RK_CLIENT };
struct replay_key {
	uint8_t kind;
	uint8_t family;			/* RK_CLIENT only */
	uint16_t port;			/* RK_CLIENT only */
	uint32_t id;			/* RK_NODE, RK_COORD */
	uint8_t addr[16];		/* RK_CLIENT only */
	uint8_t session[DICAP_SESSION_LEN];	/* RK_NODE: one run of the node */
};
#define COORD_REPLAY_CLIENTS	256
#define COORD_REPLAY_SLOTS	(COORD_MAX_NODES + 4 * COORD_MAX_PEERS + COORD_REPLAY_CLIENTS)
struct replay_entry {
	struct replay_key key;
	struct dicap_replay state;
	uint64_t last_ok;		/* mono ns */
	UT_hash_handle hh;
};

/* A TOPOLOGY fan-out in progress: node ids still to send to. */
struct fanout {
	uint32_t *ids;
	uint32_t n, next, cap;
	uint32_t epoch;
	uint64_t started;
	int full;			/* every node: check the time it took */
	struct event *ev;
};

/*
 * NODE_INFO records of every node, sorted by id, and their split into
 * parts of at most COORD_PART_NODE_INFOS records within DICAP_CTL_PART_TARGET
 * bytes.
 */
struct info_set {
	uint8_t *buf;
	size_t len, cap;
	uint32_t *off;			/* record i is buf[off[i]..off[i + 1]) */
	uint32_t n;
	uint32_t *first;		/* part p: records first[p]..first[p + 1] - 1 */
	uint32_t parts;
};

/* A paced STATUS answer: every part encoded up front, sent a few at a time. */
struct status_job {
	struct sockaddr_storage to;
	socklen_t tolen;
	struct dicap_addr local;
	uint8_t *buf;
	uint32_t *off;			/* part i is buf[off[i]..off[i + 1]) */
	uint32_t parts, next;
	TAILQ_ENTRY(status_job) entry;
};
TAILQ_HEAD(status_job_list, status_job);

/* A STATUS request waiting for the bucket table. */
struct status_wait {
	struct sockaddr_storage from;
	socklen_t fromlen;
	struct dicap_addr local;
	uint64_t since;			/* mono ns */
	TAILQ_ENTRY(status_wait) entry;
};
TAILQ_HEAD(status_wait_list, status_wait);

/* The bucket table of one (term, epoch), and the worker building the next. */
struct table_state {
	uint16_t *table;
	uint32_t *owned;		/* buckets per member index */
	uint32_t n_owned;
	uint32_t term, epoch;
	int valid;
	pthread_t thread;
	int busy;
	struct dicap_member *w_members;	/* the worker's own copies */
	uint32_t w_n, w_term, w_epoch;
	uint16_t *w_table;
	int w_rc;
	const char *w_err;
	int pipe[2];			/* the worker says it is done */
	struct event *ev_done;
};

/* The marker of one round-robin epoch: its token goes out in TOPOLOGY. */
struct marker {
	int set;
	uint32_t epoch;
	uint64_t validity_ns;		/* CLOCK_REALTIME */
	uint8_t token[DICAP_MARKER_TOKEN_LEN];
};

/* The last report marker sent (DICAP_MARKER_SEQ_REPORT), to be judged. */
struct report_marker {
	int set;			/* sent, not judged yet */
	uint32_t epoch, seq;
	uint64_t sent;			/* mono ns */
};

/* What the standby knows of the active coordinator. */
struct peer_view {
	uint32_t id;
	uint32_t priority;
	uint32_t term;
	uint32_t timeout_ms;		/* its timeout: how long its syncs may pause */
	struct dicap_addr addr;
	uint64_t heard;			/* mono ns, 0: never */
};

struct coord {
	struct coord_conf conf;
	struct event_base *base;

	/* net.c */
	int fd;
	int wildcard;			/* bound to 0.0.0.0 or :: */
	struct event *ev_read;
	uint64_t seq;
	uint8_t session[DICAP_SESSION_LEN];	/* random at start: names this process */
	uint8_t cookie_key[DICAP_AUTH_KEY_LEN];	/* STATUS_REQ cookies, random at start */
	uint8_t kx_pk[DICAP_KX_PK_LEN];		/* crypto_kx, random at start: ACCEPT's KX */
	uint8_t kx_sk[DICAP_KX_PK_LEN];
	struct replay_entry *replay;
	uint32_t n_replay, n_replay_clients;
	uint64_t ctr[CC_COUNTER_MAX];
	uint64_t ctr_logged[CC_COUNTER_MAX];
	uint64_t drop_warned_ns[CC_COUNTER_MAX];	/* net_drop()'s last warning */

	/* net.c: one datagram in, one out (one is longer than the largest) */
	uint8_t rx_buf[DICAP_CTL_MAX_LEN + 1];
	uint8_t tx_buf[DICAP_CTL_MAX_LEN];

	/* nodes.c */
	struct node *nodes;
	uint32_t n_nodes;
	struct node_age_list by_age;
	struct event *ev_expire;
	struct leaver *leavers;		/* left since the last publish */
	uint32_t n_leavers, leavers_cap;
	uint64_t log_second;		/* mono ns: start of the node log budget's second */
	unsigned int log_used;		/* node events logged at info level in it */

	/* topology.c; term and epoch change only there (election.c asks) */
	uint32_t term, epoch;
	int dirty;
	uint32_t pub_joined, pub_left;	/* since the last publish, for the log */
	uint64_t last_publish;
	uint32_t coalesce_ms;		/* the current wait; doubles in a burst */
	int burst;			/* this change came before the wait was over */
	uint64_t validity_ns;
	struct dicap_member *members;
	uint32_t n_members, members_cap;
	struct event *ev_publish, *ev_resend;
	struct fanout fan;
	uint64_t fan_warned;		/* mono ns of the last slow fan-out warning */

	/* table.c */
	struct table_state tbl;

	/* election.c */
	enum coord_role role;
	uint32_t node_term_max;		/* highest term a node reported */
	struct peer_view active;	/* the active coordinator we follow */
	uint32_t max_peer_priority;	/* highest priority of recent candidates */
	uint64_t max_peer_priority_at;
	uint64_t last_sync;		/* mono ns of the last valid sync heard */
	uint32_t sync_round, sync_parts_seen, sync_parts;
	uint32_t sync_term, sync_epoch;
	int warned_config;
	struct event *ev_sync_timeout, *ev_candidate;

	/* announce.c */
	int mfd;
	int announce_failed;
	struct dicap_addr announce_self;	/* COORD in announcements */
	uint8_t announce_buf[DICAP_CTL_MAX_LEN];	/* 64 KiB: off the stack */

	/* status.c */
	struct status_job_list jobs;
	uint32_t n_jobs;
	struct event *ev_jobs;
	struct status_wait_list waiting;
	uint32_t n_waiting;
	uint8_t status_part[DICAP_CTL_MAX_LEN];	/* 64 KiB: off the stack */

	/* inject.c */
	int pfd;			/* AF_PACKET on --inject-dev, or -1 */
	int term_fd;			/* --term-file, opened before the privilege drop; -1 */
	uint8_t inject_mac[6];
	struct marker mk_pending;	/* published, its switch marker not yet sent */
	struct marker mk_active;	/* switch marker sent: resyncs repeat it */
	struct event *ev_marker, *ev_resync;
	uint64_t marker_warned;		/* mono ns of the last send error logged */
	uint32_t mk_seq;		/* the last marker's sequence number */
	struct report_marker mk_report;	/* drift detection */

	/* coord.c */
	struct event *ev_tick;
	unsigned int ticks;
	struct event *ev_sigterm, *ev_sigint, *ev_sighup;
};

/* coord.c */
uint16_t	coord_weight_for(struct coord *, uint32_t node_id, uint16_t joined);
const char	*role_name(enum coord_role);

/* addr.c */
struct in6_addr;
int	addr_is_any(const struct dicap_addr *);
void	in6_to_addr(const struct in6_addr *, struct dicap_addr *);

/* net.c */
int	net_open(struct coord *, char *err, size_t errlen);
void	net_close(struct coord *);
int	net_send(struct coord *, struct dicap_msg *, const struct dicap_addr *to,
	    const struct dicap_addr *local);
int	net_send_node(struct coord *, struct dicap_msg *, const struct node *,
	    const struct dicap_addr *to, const struct dicap_addr *local);
int	net_send_raw(struct coord *, const uint8_t *buf, size_t len,
	    const struct sockaddr *to, socklen_t tolen, const struct dicap_addr *local);
int	net_encode(struct coord *, struct dicap_msg *, uint8_t *buf, size_t cap);
void	net_replay_gc(struct coord *);
void	net_log_drops(struct coord *);
socklen_t net_sockaddr(const struct coord *, const struct dicap_addr *,
	    struct sockaddr_storage *);
void	coord_self_addr(struct coord *, const struct dicap_addr *local,
	    struct dicap_addr *out);

/* nodes.c */
int	nodes_init(struct coord *);
void	nodes_free(struct coord *);
void	nodes_expire_schedule(struct coord *);
struct node *node_find(struct coord *, uint32_t id);
struct node *node_add(struct coord *, uint32_t id, const struct dicap_addr *from);
void	node_remove(struct coord *, struct node *);
void	node_touch(struct coord *, struct node *, uint64_t now);
void	node_set_counters(struct node *, const uint8_t *raw, uint32_t n);
void	nodes_clear(struct coord *);
void	nodes_expire(struct coord *);
void	nodes_refresh_all(struct coord *);
int	node_current(const struct coord *, const struct node *);
void	node_on_join(struct coord *, const struct dicap_msg *, const struct dicap_addr *from,
	    const struct dicap_addr *local);
void	node_on_heartbeat(struct coord *, const struct dicap_msg *,
	    const struct dicap_addr *from, const struct dicap_addr *local);
void	node_on_leave(struct coord *, const struct dicap_msg *, const struct dicap_addr *from,
	    const struct dicap_addr *local);
void	leavers_serve(struct coord *);
void	leavers_clear(struct coord *);
void	node_send_error(struct coord *, const struct dicap_addr *to,
	    const struct dicap_addr *local, const uint8_t *peer_session, uint32_t code,
	    uint32_t node_id, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
void	node_sessions(struct coord *, struct dicap_msg *, const uint8_t *peer_session);

/* topology.c */
int	topology_init(struct coord *);
int	topology_term_load(struct coord *, char *err, size_t errlen);
void	topology_free(struct coord *);
void	topology_mark_dirty(struct coord *);
void	topology_publish_now(struct coord *);
void	topology_send_node(struct coord *, struct node *);
void	topology_send_leaver(struct coord *, const struct leaver *);
void	topology_send_accept(struct coord *, struct node *);
void	topology_stop(struct coord *);
void	topology_resend_schedule(struct coord *);
uint32_t topology_term_after(const struct coord *, uint32_t seen);
void	topology_new_term(struct coord *, uint32_t seen);
void	topology_adopt_term(struct coord *, uint32_t term);
void	topology_raise_epoch(struct coord *, uint32_t epoch);
void	topology_follow_epoch(struct coord *, uint32_t epoch);

/* table.c */
int	table_init(struct coord *);
void	table_free(struct coord *);
int	table_ready(struct coord *);
void	table_request(struct coord *);
uint32_t table_owned(struct coord *, uint32_t pos);

/* election.c */
int	election_init(struct coord *);
void	election_start(struct coord *);
void	election_free(struct coord *);
void	election_tick(struct coord *);
void	election_on_sync(struct coord *, const struct dicap_msg *, const struct dicap_addr *from);
void	election_on_vote_req(struct coord *, const struct dicap_msg *,
	    const struct dicap_addr *from);
void	election_on_announce(struct coord *, const struct dicap_msg *,
	    const struct dicap_addr *from);
int	election_node_term(struct coord *, uint32_t term, int has_epoch, uint32_t epoch,
	    uint32_t node_id);
void	election_note_term(struct coord *, uint32_t term);
int	election_term_plausible(struct coord *, uint32_t term, const char *what, uint32_t who);

/* announce.c */
int	announce_open(struct coord *, char *err, size_t errlen);
void	announce_close(struct coord *);
void	announce_send(struct coord *);

/* inject.c */
int	inject_open(struct coord *, char *err, size_t errlen);
void	inject_close(struct coord *);
void	inject_new_epoch(struct coord *);
void	inject_stop(struct coord *);
void	inject_tick(struct coord *);
void	inject_note_report(struct node *, uint64_t mark);
const uint8_t *inject_token(const struct coord *);

/* status.c */
int	status_init(struct coord *);
void	status_free(struct coord *);
void	status_on_request(struct coord *, const struct dicap_msg *,
	    const struct sockaddr_storage *from, socklen_t fromlen,
	    const struct dicap_addr *local);
void	status_table_ready(struct coord *);
uint32_t status_share_ppm(struct coord *, const struct node *);
int	info_set_build(struct coord *, struct info_set *);
size_t	info_room(struct coord *, struct dicap_msg *tmpl);
void	info_set_split(struct info_set *, size_t room_first, size_t room);
void	info_set_part(const struct info_set *, uint32_t part, struct dicap_msg *);
void	info_set_free(struct info_set *);

#endif /* DICAP_COORD_H */
