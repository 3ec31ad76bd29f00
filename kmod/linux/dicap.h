/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dicap.ko internals.  One instance per module: the monitoring interface
 * a dicapd drives.  The packet path (dicap_proc.c) runs in softirq under
 * RCU, takes no lock and allocates nothing; configuration (dicap_nl.c)
 * runs in process context under dicap_cfg_lock.
 *
 * Topologies use the XDP datapath's two slots and state word
 * (include/dicap/xdp_kern_user.h, docs/design.md "The two-slot switch"), with one
 * difference that the kernel allows: before the configuration side
 * rewrites the idle slot it waits for an RCU grace period, so no CPU can
 * still be reading that slot from before it became idle.
 */
#ifndef DICAP_H
#define DICAP_H

#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/percpu.h>
#include <linux/socket.h>

#include "dicap/datapath.h"
#include "dicap/marker.h"
#include "dicap/genl.h"

struct dicap_slot {
	u32 mode;
	u32 n;
	u32 position;
	u32 epoch;
	u64 validity_ns;	/* CLOCK_REALTIME */
	u32 flags;		/* DICAP_DP_SLOT_* */
	u32 sel_flags;		/* DICAP_SEL_* (dicap/select.h), from STAGE */
	u8 token[16];
	u16 *table;		/* DICAP_BUCKETS owners, allocated at load */
};

struct dicap_analyzer {
	struct sockaddr_storage addr;
	int addrlen;
};

/* Replaced as a whole (RCU) by DICAP_CMD_SET and DICAP_CMD_ANALYZERS. */
struct dicap_cfg {
	struct rcu_head rcu;
	u32 actions;
	u32 snaplen;
	u32 node_id;
	u32 lease_policy;
	u32 n_analyzers;
	struct dicap_analyzer analyzers[DICAP_K_MAX_ANALYZERS];
};

struct dicap_stats {
	u64 v[DICAP_K_CTR_MAX];
};

struct dicap_state {
	atomic64_t state;		/* DICAP_DP_ST_*; CAS only */
	u64 switch_at;			/* READ_ONCE/WRITE_ONCE, realtime ns */
	u64 lease_expiry;		/* ktime_get_ns() */
	atomic64_t rr;			/* C */
	struct dicap_slot slot[2];
	struct dicap_cfg __rcu *cfg;
	struct net_device __rcu *dev;	/* the attached interface */
	struct dicap_stats __percpu *stats;
};

extern struct dicap_state dicap;
extern struct mutex dicap_cfg_lock;

static inline void dicap_count(int ctr)
{
	this_cpu_inc(dicap.stats->v[ctr]);
}

/* dicap_proc.c */
int dicap_process(const u8 *data, unsigned int len, unsigned int wirelen);
bool dicap_switch_to_pending(u64 s);

/* dicap_main.c */
int dicap_rx_hook(struct net_device *dev, const void *data, unsigned int len,
		  unsigned int wirelen);
int dicap_attach(struct net *net, u32 ifindex, int hook, struct netlink_ext_ack *extack);
int dicap_detach(void);
u32 dicap_attached_ifindex(void);

/* dicap_nl.c */
int dicap_nl_init(void);
void dicap_nl_exit(void);

/* dicap_fwd.c */
int dicap_fwd_init(void);
void dicap_fwd_exit(void);
void dicap_fwd_capture(const struct dicap_cfg *cfg, const u8 *data,
		       unsigned int caplen, unsigned int wirelen, u64 ts);
void dicap_fwd_analyzers_changed(void);

#endif /* DICAP_H */
