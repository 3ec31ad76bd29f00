// SPDX-License-Identifier: GPL-2.0-only
/*
 * Generic netlink family "dicap": configuration and counters.  Every
 * attribute is checked by the policy; what a policy cannot express
 * (position < N, a table chunk inside the table, the topology being
 * staged) is checked here, each with its own extended-ack message.
 * Commands run in process context under dicap_cfg_lock.
 */
#include <linux/bitmap.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/version.h>
#include <net/genetlink.h>
#include <net/netlink.h>
/* Linux 6.12 moved the unaligned accessors to linux/ and removed asm/unaligned.h. */
#if KERNEL_VERSION(6, 12, 0) <= LINUX_VERSION_CODE
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

#include "dicap/select.h"
#include "dicap.h"

#define DICAP_K_BLOCKS	(DICAP_BUCKETS / DICAP_K_TABLE_BLOCK)

static struct genl_family dicap_family;

/* The topology being staged into the idle slot; dicap_cfg_lock. */
static struct {
	bool active;		/* STAGE done, COMMIT not yet */
	u32 slot;
	u32 epoch;
	DECLARE_BITMAP(filled, DICAP_K_BLOCKS);
} dicap_staging;

static const struct nla_policy dicap_an_policy[DICAP_AN_MAX + 1] = {
	[DICAP_AN_ADDR] = NLA_POLICY_RANGE(NLA_BINARY, 4, 16),
	[DICAP_AN_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
};

static const struct nla_policy dicap_policy[DICAP_A_MAX + 1] = {
	[DICAP_A_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[DICAP_A_HOOK] = NLA_POLICY_MAX(NLA_U8, DICAP_HOOK_MAX),
	[DICAP_A_ACTIONS] = NLA_POLICY_MASK(NLA_U32, DICAP_DP_ACT_MASK),
	[DICAP_A_SNAPLEN] = NLA_POLICY_RANGE(NLA_U32, DICAP_ETH_HLEN, DICAP_K_SNAPLEN_MAX),
	[DICAP_A_NODE_ID] = { .type = NLA_U32 },
	[DICAP_A_LEASE_POLICY] = NLA_POLICY_MAX(NLA_U8, DICAP_DP_LEASE_DROP),
	[DICAP_A_LEASE_MS] = NLA_POLICY_MIN(NLA_U32, 1),
	[DICAP_A_EPOCH] = { .type = NLA_U32 },
	[DICAP_A_MODE] = NLA_POLICY_MAX(NLA_U8, DICAP_MODE_MAX),
	[DICAP_A_N] = NLA_POLICY_RANGE(NLA_U32, 1, 65535),
	[DICAP_A_POSITION] = { .type = NLA_U32 },
	[DICAP_A_VALIDITY_NS] = { .type = NLA_U64 },
	[DICAP_A_TOKEN] = NLA_POLICY_EXACT_LEN(16),
	[DICAP_A_AT_MARKER] = { .type = NLA_FLAG },
	[DICAP_A_TABLE_OFFSET] = NLA_POLICY_MAX(NLA_U32, DICAP_BUCKETS - DICAP_K_TABLE_BLOCK),
	[DICAP_A_TABLE] = NLA_POLICY_RANGE(NLA_BINARY, 2 * DICAP_K_TABLE_BLOCK,
					   2 * DICAP_K_TABLE_CHUNK_MAX),
	[DICAP_A_ANALYZER] = NLA_POLICY_NESTED(dicap_an_policy),
	[DICAP_A_SEL_FLAGS] = NLA_POLICY_MASK(NLA_U32, DICAP_SEL_FLAGS_MASK),
};

static struct dicap_cfg *dicap_cfg_locked(void)
{
	return rcu_dereference_protected(dicap.cfg, lockdep_is_held(&dicap_cfg_lock));
}

static int dicap_cfg_replace(struct dicap_cfg *next)
{
	struct dicap_cfg *old = dicap_cfg_locked();

	rcu_assign_pointer(dicap.cfg, next);
	kfree_rcu(old, rcu);
	return 0;
}

static int dicap_nl_attach(struct sk_buff *skb, struct genl_info *info)
{
	int hook = DICAP_HOOK_DRIVER;

	if (GENL_REQ_ATTR_CHECK(info, DICAP_A_IFINDEX))
		return -EINVAL;
	if (info->attrs[DICAP_A_HOOK])
		hook = nla_get_u8(info->attrs[DICAP_A_HOOK]);
	return dicap_attach(genl_info_net(info), nla_get_u32(info->attrs[DICAP_A_IFINDEX]),
			    hook, info->extack);
}

static int dicap_nl_detach(struct sk_buff *skb, struct genl_info *info)
{
	int err = dicap_detach();

	if (err)
		NL_SET_ERR_MSG(info->extack, "dicap is not attached to an interface");
	return err;
}

static int dicap_nl_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	struct dicap_cfg *next;

	mutex_lock(&dicap_cfg_lock);
	next = kmemdup(dicap_cfg_locked(), sizeof(*next), GFP_KERNEL);
	if (!next) {
		mutex_unlock(&dicap_cfg_lock);
		return -ENOMEM;
	}
	if (a[DICAP_A_ACTIONS])
		next->actions = nla_get_u32(a[DICAP_A_ACTIONS]);
	if (a[DICAP_A_SNAPLEN])
		next->snaplen = nla_get_u32(a[DICAP_A_SNAPLEN]);
	if (a[DICAP_A_NODE_ID])
		next->node_id = nla_get_u32(a[DICAP_A_NODE_ID]);
	if (a[DICAP_A_LEASE_POLICY])
		next->lease_policy = nla_get_u8(a[DICAP_A_LEASE_POLICY]);
	dicap_cfg_replace(next);
	mutex_unlock(&dicap_cfg_lock);
	return 0;
}

/*
 * Cancel a pending slot (XDP step 1): switch_at to never, then clear
 * PENDING with a CAS, which fails only if the packet path has just
 * switched to that slot.  Then wait until no CPU reads the idle slot.
 */
static u32 dicap_cancel_pending(void)
{
	u64 s, next;

	WRITE_ONCE(dicap.switch_at, DICAP_DP_NEVER);
	s = atomic64_read(&dicap.state);
	do {
		if (!(s & DICAP_DP_ST_PENDING))
			break;
		next = (s & ~DICAP_DP_ST_PENDING) + DICAP_DP_ST_GEN_ONE;
	} while (!atomic64_try_cmpxchg(&dicap.state, &s, next));
	synchronize_rcu();
	return (u32)((atomic64_read(&dicap.state) & DICAP_DP_ST_ACTIVE) ^ 1);
}

static int dicap_nl_stage(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	struct dicap_slot *slot;
	u32 n, pos, idx;

	if (GENL_REQ_ATTR_CHECK(info, DICAP_A_EPOCH) ||
	    GENL_REQ_ATTR_CHECK(info, DICAP_A_MODE) ||
	    GENL_REQ_ATTR_CHECK(info, DICAP_A_N) ||
	    GENL_REQ_ATTR_CHECK(info, DICAP_A_POSITION) ||
	    GENL_REQ_ATTR_CHECK(info, DICAP_A_VALIDITY_NS))
		return -EINVAL;
	n = nla_get_u32(a[DICAP_A_N]);
	pos = nla_get_u32(a[DICAP_A_POSITION]);
	if (pos >= n && pos != DICAP_DP_NOT_MEMBER) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[DICAP_A_POSITION],
				    "position must be below N, or 0xffffffff for a non-member");
		return -EINVAL;
	}
	if (a[DICAP_A_AT_MARKER] && !a[DICAP_A_TOKEN]) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[DICAP_A_AT_MARKER],
				    "a switch at the marker needs the marker token");
		return -EINVAL;
	}

	mutex_lock(&dicap_cfg_lock);
	idx = dicap_cancel_pending();
	slot = &dicap.slot[idx];
	slot->mode = nla_get_u8(a[DICAP_A_MODE]);
	slot->n = n;
	slot->position = pos;
	slot->epoch = nla_get_u32(a[DICAP_A_EPOCH]);
	slot->validity_ns = nla_get_u64(a[DICAP_A_VALIDITY_NS]);
	slot->sel_flags = a[DICAP_A_SEL_FLAGS] ? nla_get_u32(a[DICAP_A_SEL_FLAGS]) : 0;
	slot->flags = 0;
	memset(slot->token, 0, sizeof(slot->token));
	if (a[DICAP_A_TOKEN]) {
		nla_memcpy(slot->token, a[DICAP_A_TOKEN], sizeof(slot->token));
		slot->flags |= DICAP_DP_SLOT_TOKEN;
	}
	if (a[DICAP_A_AT_MARKER])
		slot->flags |= DICAP_DP_SLOT_AT_MARKER;
	dicap_staging.active = true;
	dicap_staging.slot = idx;
	dicap_staging.epoch = slot->epoch;
	bitmap_zero(dicap_staging.filled, DICAP_K_BLOCKS);
	mutex_unlock(&dicap_cfg_lock);
	return 0;
}

static bool dicap_staging_is(u32 epoch, struct genl_info *info)
{
	if (dicap_staging.active && dicap_staging.epoch == epoch)
		return true;
	NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[DICAP_A_EPOCH],
			    "no topology with this epoch is being staged (STAGE first)");
	return false;
}

static int dicap_nl_table(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	const u8 *owners;
	struct dicap_slot *slot;
	u32 off, count, i, owner;
	int err = -EINVAL;

	if (GENL_REQ_ATTR_CHECK(info, DICAP_A_EPOCH) ||
	    GENL_REQ_ATTR_CHECK(info, DICAP_A_TABLE_OFFSET) ||
	    GENL_REQ_ATTR_CHECK(info, DICAP_A_TABLE))
		return -EINVAL;
	off = nla_get_u32(a[DICAP_A_TABLE_OFFSET]);
	count = nla_len(a[DICAP_A_TABLE]) / 2;
	if (off % DICAP_K_TABLE_BLOCK || nla_len(a[DICAP_A_TABLE]) % (2 * DICAP_K_TABLE_BLOCK)) {
		NL_SET_ERR_MSG(info->extack,
			       "table chunks start and end on a 256-bucket boundary");
		return -EINVAL;
	}
	if (off + count > DICAP_BUCKETS) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[DICAP_A_TABLE],
				    "table chunk runs past bucket 65535");
		return -EINVAL;
	}
	owners = nla_data(a[DICAP_A_TABLE]);
	mutex_lock(&dicap_cfg_lock);
	if (!dicap_staging_is(nla_get_u32(a[DICAP_A_EPOCH]), info))
		goto out;
	slot = &dicap.slot[dicap_staging.slot];
	for (i = 0; i < count; i++) {
		owner = get_unaligned((const u16 *)owners + i);
		if (owner >= slot->n) {
			NL_SET_ERR_MSG_ATTR(info->extack, a[DICAP_A_TABLE],
					    "a bucket's owner is not below N");
			goto out;
		}
	}
	for (i = 0; i < count; i++)
		slot->table[off + i] = get_unaligned((const u16 *)owners + i);
	bitmap_set(dicap_staging.filled, off / DICAP_K_TABLE_BLOCK,
		   count / DICAP_K_TABLE_BLOCK);
	err = 0;
out:
	mutex_unlock(&dicap_cfg_lock);
	return err;
}

static int dicap_nl_commit(struct sk_buff *skb, struct genl_info *info)
{
	struct dicap_slot *slot;
	u64 s, next;
	int err = -EINVAL;

	if (GENL_REQ_ATTR_CHECK(info, DICAP_A_EPOCH))
		return -EINVAL;
	mutex_lock(&dicap_cfg_lock);
	if (!dicap_staging_is(nla_get_u32(info->attrs[DICAP_A_EPOCH]), info))
		goto out;
	slot = &dicap.slot[dicap_staging.slot];
	if (slot->mode != DICAP_MODE_RR &&
	    !bitmap_full(dicap_staging.filled, DICAP_K_BLOCKS)) {
		NL_SET_ERR_MSG(info->extack, "bucket table incomplete: send all 65536 buckets");
		goto out;
	}
	s = atomic64_read(&dicap.state);
	do {
		next = (s | DICAP_DP_ST_PENDING) + DICAP_DP_ST_GEN_ONE;
	} while (!atomic64_try_cmpxchg(&dicap.state, &s, next));
	if (!(slot->flags & DICAP_DP_SLOT_AT_MARKER))
		WRITE_ONCE(dicap.switch_at, slot->validity_ns);
	dicap_staging.active = false;
	err = 0;
out:
	mutex_unlock(&dicap_cfg_lock);
	return err;
}

/* The validity timer of dicapd: switch now if no frame did it already. */
static int dicap_nl_activate(struct sk_buff *skb, struct genl_info *info)
{
	u32 epoch;
	u64 s;
	int err = 0;

	if (GENL_REQ_ATTR_CHECK(info, DICAP_A_EPOCH))
		return -EINVAL;
	epoch = nla_get_u32(info->attrs[DICAP_A_EPOCH]);
	mutex_lock(&dicap_cfg_lock);
	s = atomic64_read(&dicap.state);
	if ((s & DICAP_DP_ST_PENDING) &&
	    dicap.slot[(s & DICAP_DP_ST_ACTIVE) ^ 1].epoch == epoch) {
		if (dicap_switch_to_pending(s) &&
		    dicap.slot[(s & DICAP_DP_ST_ACTIVE) ^ 1].mode == DICAP_MODE_RR)
			atomic64_set(&dicap.rr, 0);
		s = atomic64_read(&dicap.state);
	}
	if (!(s & DICAP_DP_ST_HAVE) || dicap.slot[s & DICAP_DP_ST_ACTIVE].epoch != epoch) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[DICAP_A_EPOCH],
				    "epoch is neither pending nor active");
		err = -ENOENT;
	} else if (!(s & DICAP_DP_ST_PENDING)) {
		WRITE_ONCE(dicap.switch_at, DICAP_DP_NEVER);
	}
	mutex_unlock(&dicap_cfg_lock);
	return err;
}

static int dicap_nl_lease(struct sk_buff *skb, struct genl_info *info)
{
	if (GENL_REQ_ATTR_CHECK(info, DICAP_A_LEASE_MS))
		return -EINVAL;
	WRITE_ONCE(dicap.lease_expiry, ktime_get_ns() +
		   (u64)nla_get_u32(info->attrs[DICAP_A_LEASE_MS]) * NSEC_PER_MSEC);
	return 0;
}

static int dicap_parse_analyzer(const struct nlattr *nest, struct dicap_analyzer *an,
				struct netlink_ext_ack *extack)
{
	struct nlattr *tb[DICAP_AN_MAX + 1];
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&an->addr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&an->addr;
	int err, alen;

	err = nla_parse_nested(tb, DICAP_AN_MAX, nest, dicap_an_policy, extack);
	if (err)
		return err;
	if (!tb[DICAP_AN_ADDR] || !tb[DICAP_AN_PORT]) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "an analyzer needs an address and a port");
		return -EINVAL;
	}
	memset(an, 0, sizeof(*an));
	alen = nla_len(tb[DICAP_AN_ADDR]);
	if (alen == 4) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(nla_get_u16(tb[DICAP_AN_PORT]));
		nla_memcpy(&sin->sin_addr, tb[DICAP_AN_ADDR], 4);
		an->addrlen = sizeof(*sin);
	} else if (alen == 16) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(nla_get_u16(tb[DICAP_AN_PORT]));
		nla_memcpy(&sin6->sin6_addr, tb[DICAP_AN_ADDR], 16);
		an->addrlen = sizeof(*sin6);
	} else {
		NL_SET_ERR_MSG_ATTR(extack, tb[DICAP_AN_ADDR],
				    "analyzer address is 4 (IPv4) or 16 (IPv6) bytes");
		return -EINVAL;
	}
	return 0;
}

static int dicap_nl_analyzers(struct sk_buff *skb, struct genl_info *info)
{
	struct dicap_cfg *next;
	const struct nlattr *attr;
	int rem, err = 0;

	next = kzalloc(sizeof(*next), GFP_KERNEL);
	if (!next)
		return -ENOMEM;
	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(attr) != DICAP_A_ANALYZER)
			continue;
		if (next->n_analyzers == DICAP_K_MAX_ANALYZERS) {
			NL_SET_ERR_MSG_ATTR(info->extack, attr, "more than 8 analyzers");
			err = -E2BIG;
			goto out;
		}
		err = dicap_parse_analyzer(attr, &next->analyzers[next->n_analyzers],
					   info->extack);
		if (err)
			goto out;
		next->n_analyzers++;
	}
	mutex_lock(&dicap_cfg_lock);
	memcpy(next, dicap_cfg_locked(), offsetof(struct dicap_cfg, n_analyzers));
	dicap_cfg_replace(next);
	dicap_fwd_analyzers_changed();
	mutex_unlock(&dicap_cfg_lock);
	return 0;
out:
	kfree(next);
	return err;
}

static int dicap_put_counters(struct sk_buff *msg)
{
	struct nlattr *nest;
	u64 sum;
	int cpu, i;

	nest = nla_nest_start(msg, DICAP_A_COUNTERS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < DICAP_K_CTR_MAX; i++) {
		sum = 0;
		for_each_possible_cpu(cpu)
			sum += per_cpu_ptr(dicap.stats, cpu)->v[i];
		if (nla_put_u64_64bit(msg, i + 1, sum, DICAP_A_PAD))
			return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

static int dicap_nl_get(struct sk_buff *skb, struct genl_info *info)
{
	struct dicap_slot *active;
	struct sk_buff *msg;
	void *hdr;
	u64 s;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &dicap_family, 0, DICAP_CMD_GET);
	if (!hdr)
		goto nospace;
	mutex_lock(&dicap_cfg_lock);
	s = atomic64_read(&dicap.state);
	active = &dicap.slot[s & DICAP_DP_ST_ACTIVE];
	if (nla_put_u64_64bit(msg, DICAP_A_STATE, s, DICAP_A_PAD) ||
	    nla_put_u32(msg, DICAP_A_IFINDEX, dicap_attached_ifindex()) ||
	    ((s & DICAP_DP_ST_HAVE) &&
	     (nla_put_u32(msg, DICAP_A_ACTIVE_EPOCH, active->epoch) ||
	      nla_put_u8(msg, DICAP_A_MODE, active->mode) ||
	      nla_put_u32(msg, DICAP_A_SEL_FLAGS, active->sel_flags))) ||
	    ((s & DICAP_DP_ST_PENDING) &&
	     nla_put_u32(msg, DICAP_A_PENDING_EPOCH,
			 dicap.slot[(s & DICAP_DP_ST_ACTIVE) ^ 1].epoch))) {
		mutex_unlock(&dicap_cfg_lock);
		goto nospace;
	}
	mutex_unlock(&dicap_cfg_lock);
	if (dicap_put_counters(msg))
		goto nospace;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static const struct genl_small_ops dicap_ops[] = {
	{ .cmd = DICAP_CMD_ATTACH, .doit = dicap_nl_attach, .flags = GENL_ADMIN_PERM },
	{ .cmd = DICAP_CMD_DETACH, .doit = dicap_nl_detach, .flags = GENL_ADMIN_PERM },
	{ .cmd = DICAP_CMD_SET, .doit = dicap_nl_set, .flags = GENL_ADMIN_PERM },
	{ .cmd = DICAP_CMD_STAGE, .doit = dicap_nl_stage, .flags = GENL_ADMIN_PERM },
	{ .cmd = DICAP_CMD_TABLE, .doit = dicap_nl_table, .flags = GENL_ADMIN_PERM },
	{ .cmd = DICAP_CMD_COMMIT, .doit = dicap_nl_commit, .flags = GENL_ADMIN_PERM },
	{ .cmd = DICAP_CMD_ACTIVATE, .doit = dicap_nl_activate, .flags = GENL_ADMIN_PERM },
	{ .cmd = DICAP_CMD_LEASE, .doit = dicap_nl_lease, .flags = GENL_ADMIN_PERM },
	{ .cmd = DICAP_CMD_ANALYZERS, .doit = dicap_nl_analyzers, .flags = GENL_ADMIN_PERM },
	/*
	 * GET reveals the attached interface, the topology and the counters, a
	 * map of the capture that an unprivileged local user has no need for.
	 */
	{ .cmd = DICAP_CMD_GET, .doit = dicap_nl_get, .flags = GENL_ADMIN_PERM },
};

static struct genl_family dicap_family __ro_after_init = {
	.name = DICAP_GENL_NAME,
	.version = DICAP_GENL_VERSION,
	.maxattr = DICAP_A_MAX,
	.policy = dicap_policy,
	.netnsok = true,
	.module = THIS_MODULE,
	.small_ops = dicap_ops,
	.n_small_ops = ARRAY_SIZE(dicap_ops),
	.resv_start_op = DICAP_CMD_MAX + 1,
};

int dicap_nl_init(void)
{
	return genl_register_family(&dicap_family);
}

void dicap_nl_exit(void)
{
	genl_unregister_family(&dicap_family);
}
