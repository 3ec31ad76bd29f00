/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The datapath plug-in interface of dicapd.  The agent owns membership and
 * topology; a datapath owns the packets.  The agent calls a datapath:
 *
 *   open()           once at start, before anything else;
 *   load_topology()  when a topology has been assembled and built, at
 *                    receipt, so the datapath can stage it (for XDP: write
 *                    the idle slot) ahead of its validity start; a
 *                    topology the datapath cannot apply (a mode or
 *                    selection flag it does not know) is not staged,
 *                    counted in stage_errors, and -1 returned;
 *   activate()       at the validity start of the staged topology;
 *   refresh_lease()  at every heartbeat tick while the agent follows a
 *                    coordinator that answers: it proves that both the
 *                    agent and its coordinator are alive (a datapath
 *                    that outlives its lease follows its lease policy);
 *   counters()       when a heartbeat or a status answer is built;
 *   in_force()       optional: whether the packet path selects with the
 *                    given epoch now (XDP: it switched at the validity
 *                    start, or at a round-robin marker); a leaving node
 *                    exits only then.  Without it, activate() is taken as
 *                    the switch;
 *   close()          once at exit.
 *
 * A datapath must not keep pointers into the node_topology it is given.
 * Every datapath is listed once in datapath.c; adding one is one entry.
 */
#ifndef DICAPD_DATAPATH_H
#define DICAPD_DATAPATH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "counters.h"
#include "ctlmsg.h"

/* One built topology, as the agent hands it to the datapath. */
struct node_topology {
	uint32_t term;
	uint32_t epoch;
	uint8_t mode;			/* enum dicap_mode */
	uint32_t sel_flags;		/* DICAP_SEL_*: how @mode treats tunnels */
	uint64_t validity_ns;		/* CLOCK_REALTIME */
	uint32_t n_members;
	struct dicap_member *members;	/* normalized: sorted by node id */
	int32_t position;		/* own index in @members, -1 if absent */
	uint16_t *table;		/* DICAP_BUCKETS entries; NULL in rr mode */
	uint32_t owned_buckets;		/* entries equal to @position */
	uint32_t n_analyzers;
	struct dicap_addr analyzers[DICAP_MAX_ANALYZERS];
	uint32_t heartbeat_ms;
	uint32_t timeout_ms;
	int has_marker_token;
	uint8_t marker_token[DICAP_MARKER_TOKEN_LEN];
	uint64_t digest;		/* see topology_digest() */
};

struct dp_counters {
	uint64_t v[DP_COUNTER_MAX];
};

/* Datapath options from dicapd's command line; "none" ignores them. */
enum dp_xdp_mode {
	DP_XDP_AUTO,		/* native, else generic */
	DP_XDP_NATIVE,
	DP_XDP_GENERIC,
};

enum dp_transport {
	DP_TRANSPORT_UDP,
	DP_TRANSPORT_TCP,
};

enum dp_lease_policy {
	DP_LEASE_KEEP,		/* keep selecting with the last share */
	DP_LEASE_DROP,		/* drop every frame */
};

struct datapath_options {
	int capture;		/* --capture: headers to the analyzers */
	int distribute;		/* --distribute: the share to the local stack */
	int xdp_mode;		/* enum dp_xdp_mode */
	uint32_t snaplen;	/* --snaplen */
	int transport;		/* enum dp_transport */
	uint32_t lease_ms;	/* --lease; 0: 3 x the coordinator's timeout */
	int lease_policy;	/* enum dp_lease_policy */
	int kmod_hook;		/* --hook: enum dicap_hook of include/dicap/genl.h */
};

struct datapath;
struct jsonw;

struct datapath_ops {
	const char *name;
	const char *summary;	/* one line for --help */
	int	(*open)(struct datapath *, const char *iface, char *err, size_t errlen);
	int	(*load_topology)(struct datapath *, const struct node_topology *,
		    uint64_t validity_ns);
	int	(*activate)(struct datapath *, uint32_t epoch);
	int	(*refresh_lease)(struct datapath *);
	int	(*counters)(struct datapath *, struct dp_counters *);
	void	(*close)(struct datapath *);
	/* Optional (may be NULL): more keys for the status JSON's "datapath". */
	void	(*status_json)(struct datapath *, struct jsonw *);
	/* Optional (may be NULL): 1 if @epoch is the one the packet path uses. */
	int	(*in_force)(struct datapath *, uint32_t epoch);
	/*
	 * Optional (NULL: none): the capabilities (DICAP_CAP() bits) the calls
	 * after open() need, close() included; asked once, after open().
	 */
	uint64_t	(*run_caps)(struct datapath *);
};

struct datapath {
	const struct datapath_ops *ops;
	void *priv;			/* the datapath's own state */
	/* Set by the agent before open(). */
	struct datapath_options opt;
	struct event_base *base;	/* the agent's event loop */
	const uint32_t *node_id;	/* the agent's node id (it may change) */
};

/* The datapath called @name, or NULL. */
const struct datapath_ops *datapath_find(const char *name);

/* "none, xdp" style list of the known datapaths in @buf, for messages. */
#define DATAPATH_NAMES_LEN	128
const char *datapath_names(char *buf, size_t len);

/* Now on clock @id, in ns. */
uint64_t dp_clock_ns(clockid_t id);

/*
 * @iface exists, is up and is not a loopback (where @what, "XDP program"
 * or "module", would drop this host's own traffic); its index in @ifindex.
 * -1 with a message naming the fix in @err otherwise.
 */
int	dp_check_iface(const char *iface, const char *what, int *ifindex, char *err,
	    size_t errlen);

extern const struct datapath_ops datapath_none;
extern const struct datapath_ops datapath_xdp;
extern const struct datapath_ops datapath_kmod;

#endif /* DICAPD_DATAPATH_H */
