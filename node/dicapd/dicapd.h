/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicapd: the node agent (the paper's "management unit").  One concern per
 * file: dicapd.c (options, start, signals), net.c (UDP, codec, key, replay),
 * membership.c (join, heartbeat, coordinator following, discovery),
 * topology.c (assembling and applying topologies), ctlsock.c (the UNIX
 * socket), datapath*.c (the packet side).
 */
#ifndef DICAPD_H
#define DICAPD_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <stdint.h>

#include <event2/event.h>

#include "ctlmsg.h"
#include "datapath.h"
#include "replay.h"
#include "sockaddr.h"

#define DICAPD_DEFAULT_SOCK_DIR		"/run/dicap"
#define DICAPD_DEFAULT_HEARTBEAT_MS	1000
#define DICAPD_DEFAULT_TIMEOUT_MS	3000
#define DICAPD_ANNOUNCE_GROUP		"239.255.74.67:7468"
#define DICAPD_MAX_COORDS		16
#define DICAPD_REPLAY_SLOTS		32
#define DICAPD_MAX_VALIDITY_WAIT_MS	30000	/* the replay clock-skew bound */
#define DICAPD_DEFAULT_GUARD_MS		500	/* until a topology shows the guard */
#define DICAPD_LEAVE_MARGIN_MS		50	/* past the switch: the last records out */

enum node_state {
	NODE_JOINING,		/* JOIN sent, no coordinator lost so far */
	NODE_JOINED,		/* accepted, the coordinator answers */
	NODE_NO_COORD,		/* none known, or the one followed was lost */
	NODE_LEAVING,		/* LEAVE sent: capturing until the others take over */
};

/* A graceful leave: the node captures until the topology without it is in force. */
struct leave_state {
	uint64_t started;		/* mono ns of the first LEAVE */
	uint64_t deadline;		/* mono ns: give up waiting for the topology */
	uint32_t epoch;			/* the topology without us; 0: none yet */
	uint64_t switch_at;		/* mono ns of its validity start */
	uint64_t in_force_at;		/* mono ns it was first seen in force; 0: not yet */
	struct event *ev;
};

/* A coordinator the node knows of: from -c, an announcement or a reply. */
struct coord_peer {
	struct dicap_addr addr;		/* where to send */
	uint32_t term;			/* highest term heard from it */
	int configured;			/* given with -c */
	uint8_t session[DICAP_SESSION_LEN];	/* its SESSION; all zero: not known */
	uint8_t kx_rx[DICAP_AUTH_KEY_LEN];	/* session key from its ACCEPT */
	int has_kx;
};

/*
 * Per-sender replay state, keyed by the coordinator's session: signed, it
 * names one run of one coordinator, which the source address does not.
 */
struct replay_slot {
	uint8_t session[DICAP_SESSION_LEN];
	int used;
	uint64_t last_use_mono;
	struct dicap_replay state;
};

/* Parts of one (term, epoch) topology being collected. */
struct topo_assembly {
	int active;
	struct dicap_addr from;
	uint32_t term, epoch;
	uint16_t parts, n_got;
	uint8_t *got;			/* one byte per part */
	uint32_t member_count, n_members;
	struct dicap_member *members;
	struct node_topology hdr;	/* non-member fields, from the first part */
};

struct dicapd {
	/* configuration */
	const char *iface;
	const char *sock_path;
	uint32_t node_id;
	int id_random;
	uint16_t weight;
	struct dicap_keys keys;		/* a node credential */
	int have_key;
	uint8_t session[DICAP_SESSION_LEN];	/* random at start: names this run */
	uint8_t kx_pk[DICAP_KX_PK_LEN];		/* crypto_kx, random at start: JOIN's KX */
	uint8_t kx_sk[DICAP_KX_PK_LEN];
	int discover;
	struct dicap_addr announce_group;
	struct dicap_addr bind_addr;	/* --bind; family 0: any */
	int64_t test_clock_ahead_ns;	/* DICAP_TEST_CLOCK_AHEAD_MS (tests only) */

	struct event_base *base;
	struct datapath dp;

	/* net.c */
	int fd4, fd6, mcast_fd;
	struct event *ev4, *ev6, *ev_mcast;
	uint64_t seq;
	struct replay_slot replay[DICAPD_REPLAY_SLOTS];

	/* membership.c */
	struct coord_peer coords[DICAPD_MAX_COORDS];
	int n_coords;
	int cur;			/* index of the followed/targeted one, -1 */
	int join_next;			/* rotation while looking for one */
	enum node_state state;
	uint32_t max_term;
	uint32_t heartbeat_ms, timeout_ms;
	uint64_t last_ack_mono;
	struct event *ev_tick;
	struct leave_state leave;

	/* topology.c */
	struct node_topology *active;	/* applied; NULL before the first */
	struct node_topology *pending;	/* waiting for its validity start */
	struct event *ev_validity;
	struct topo_assembly as;
	struct table_builder *builder;	/* bucket tables, off the event loop */
	uint32_t floor_epoch;		/* after an ACCEPT: first acceptable epoch */
	int rebased;			/* an ACCEPT reset the epoch order */
	uint32_t guard_ms;		/* validity lead of the last topology received */

	/* ctlsock.c */
	struct evconnlistener *ctl_listener;
	TAILQ_HEAD(, ctl_client) ctl_client_list;
	int ctl_clients;
	gid_t ctl_sock_gid;		/* the socket's group may ask too */
	uid_t ctl_sock_uid;		/* its owner: who started dicapd */
	int ctl_sock_created;		/* ours to unlink */

	uint64_t ctr[C_COUNTER_MAX];
	uint64_t drop_warned_ns[C_COUNTER_MAX];	/* net_drop()'s last warning */

	/* net.c: one datagram in, one out (one is longer than the largest) */
	uint8_t rx_buf[DICAP_CTL_MAX_LEN + 1];
	uint8_t tx_buf[DICAP_CTL_MAX_LEN];
};

/* dicapd.c */
void	dicapd_shutdown(struct dicapd *, int status) __attribute__((noreturn));

/* net.c */
int	net_open(struct dicapd *, char *err, size_t errlen);
int	net_open_announce(struct dicapd *, char *err, size_t errlen);
void	net_close(struct dicapd *);
int	net_send(struct dicapd *, struct dicap_msg *, const struct dicap_addr *to);

/* membership.c */
void	membership_start(struct dicapd *);
void	membership_stop(struct dicapd *);
int	membership_add_coord(struct dicapd *, const struct dicap_addr *, int configured);
int	membership_leave(struct dicapd *);
void	membership_leave_topology(struct dicapd *, const struct node_topology *);
void	membership_input(struct dicapd *, const struct dicap_msg *, const struct dicap_addr *from);
int	membership_is_current(struct dicapd *, const struct dicap_addr *from);
int	membership_coord_index(struct dicapd *, const struct dicap_addr *);
void	membership_coord_session(struct dicapd *, const struct dicap_addr *from,
	    const uint8_t *session);
void	membership_coord_kx(struct dicapd *, const struct dicap_addr *from, const uint8_t *kx);
const uint8_t *membership_coord_mac(struct dicapd *, const struct dicap_addr *from);
void	membership_follow(struct dicapd *, const struct dicap_addr *from, uint32_t term);
const char *membership_state_name(enum node_state);
void	membership_set_timers(struct dicapd *, const struct dicap_msg *);

/* topology.c */
int	topology_init(struct dicapd *);
void	topology_input(struct dicapd *, const struct dicap_msg *, const struct dicap_addr *from);
void	topology_rebase(struct dicapd *, uint32_t epoch);
void	topology_stop(struct dicapd *);
void	topology_free(struct node_topology *);
double	topology_share(const struct node_topology *);

/* ctlsock.c */
int	ctlsock_open(struct dicapd *, char *err, size_t errlen);
void	ctlsock_close(struct dicapd *);

#endif /* DICAPD_H */
