/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The kernel-module datapath: dicap.ko (kmod/linux/), driven over its
 * generic netlink family "dicap" (include/dicap/genl.h) with libmnl.
 * The module runs the XDP program's packet path in the kernel, called by
 * a patched NIC driver before it builds an sk_buff (--hook driver, the
 * paper's design) or from an rx_handler (--hook rx_handler, any driver,
 * capture mode only); in capture mode it also sends the header batches
 * itself, from a kernel UDP socket.  dicapd stays the management unit.
 *
 * The agent sees the same semantics as with XDP: a topology is staged in
 * the idle slot at receipt and the packet path switches at the first
 * frame at or after its validity start, or at its marker; activate() and
 * refresh_lease() switch when that instant has passed and no frame came,
 * and activate() forces a switch more than a second ahead of our clock.
 *
 * Differences the module imposes:
 * - Clocks: the module compares the validity start with
 *   ktime_get_real_ns(), i.e. UTC, so the wire's value goes in unchanged
 *   (XDP converts to TAI); the lease is on CLOCK_MONOTONIC in both.
 * - The module outlives dicapd: its attachment, slots and counters stay
 *   when a dicapd dies without detaching.  A lock file tells a dead
 *   dicapd from a running one, so a new one takes over from the former;
 *   a topology left in the slots is replaced at once by one that owns
 *   nothing, and the counters are reported from this open() on.
 */
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <linux/capability.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <net/if.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "dicap/datapath.h"
#include "dicap/genl.h"
#include "dicap/select.h"

#include "datapath.h"
#include "dicapd.h"
#include "jsonw.h"
#include "kmod_nl.h"
#include "lockfile.h"
#include "log.h"
#include "privdrop.h"
#include "selflags.h"

#define KMOD_DEFAULT_TIMEOUT_MS	3000	/* the coordinator's default, until it says */
#define KMOD_LEASE_FACTOR	3
#define KMOD_FORCE_AHEAD_NS	1000000000ULL	/* as XDP_FORCE_AHEAD_NS */
/* Root's alone: a lock others can open, they can hold (issue 14). */
#define KMOD_LOCK_DIR		DICAPD_DEFAULT_SOCK_DIR "/kmod"
#define KMOD_LOCK_NAME		"kmod.lock"
#define KMOD_LOCK_PATH		KMOD_LOCK_DIR "/" KMOD_LOCK_NAME
#define KMOD_HOOK_SYSFS		"/sys/module/dicap_hook"
#define KMOD_DOCS		"see docs/kmod.md"

_Static_assert((int)DICAP_K_BATCHES_SENT == (int)DICAP_DP_CTR_MAX,
    "the module's counters start with the XDP program's");
_Static_assert((int)DP_RING_ERRORS == (int)DICAP_DP_RING_ERRORS && (int)DP_SEEN == 0,
    "dicapd's datapath counters start with the XDP program's, in its order");

struct kmod_dp {
	struct kmod_nl nl;
	char iface[IF_NAMESIZE];
	uint32_t ifindex;
	int attached;
	int lock_fd;
	struct datapath_options opt;
	const uint32_t *node_id;
	uint32_t node_id_set;
	uint32_t lease_ms;
	uint64_t lease_sent_mono;	/* when the last LEASE went out */
	uint64_t base[DICAP_K_CTR_MAX];	/* the module's counters at open() */
	int gone_logged;
	uint64_t stage_errors;
	/* The topology last committed into the module. */
	int staged;
	uint32_t staged_epoch;
	uint64_t staged_validity_ns;
	int staged_at_marker;
	int staged_switched;		/* we know the module switched to it */
	uint32_t n_analyzers;
	struct dicap_addr analyzers[DICAP_K_MAX_ANALYZERS];
	int analyzers_sent;
};

static const char *
hook_name(int hook)
{
	return hook == DICAP_HOOK_RX_HANDLER ? "rx_handler" : "driver";
}

static int
send_lease(struct kmod_dp *k)
{
	struct nlmsghdr *nlh = kmod_nl_request(&k->nl, DICAP_CMD_LEASE);
	int rc;

	mnl_attr_put_u32(nlh, DICAP_A_LEASE_MS, k->lease_ms);
	if ((rc = kmod_nl_simple(&k->nl, nlh)) == 0)
		k->lease_sent_mono = dp_clock_ns(CLOCK_MONOTONIC);
	return rc;
}

/* The batches' node id follows the agent's (a random id may be replaced). */
static int
sync_node_id(struct kmod_dp *k)
{
	struct nlmsghdr *nlh;
	int rc;

	if (k->node_id == NULL || *k->node_id == k->node_id_set)
		return 0;
	nlh = kmod_nl_request(&k->nl, DICAP_CMD_SET);
	mnl_attr_put_u32(nlh, DICAP_A_NODE_ID, *k->node_id);
	if ((rc = kmod_nl_simple(&k->nl, nlh)) == 0)
		k->node_id_set = *k->node_id;
	return rc;
}

/* ---- open ---- */

static int
check_iface(struct kmod_dp *k, const char *iface, char *err, size_t errlen)
{
	int ifindex;

	snprintf(k->iface, sizeof(k->iface), "%s", iface);
	if (dp_check_iface(iface, "module", &ifindex, err, errlen) == -1)
		return -1;
	k->ifindex = (uint32_t)ifindex;
	return 0;
}

/*
 * With the driver hook, only a driver built against dicap_hook.ko calls
 * the module; any other attaches fine and then sees nothing.  A patched
 * driver module uses dicap_hook's symbols, so sysfs lists it among
 * dicap_hook's holders (a built-in driver cannot use a module's symbols).
 */
static int
check_driver_hook(struct kmod_dp *k, char *err, size_t errlen)
{
	char path[PATH_MAX], target[256];
	const char *drv;
	struct stat sb;
	ssize_t n;

	if (stat(KMOD_HOOK_SYSFS "/holders", &sb) != 0)
		return 0;	/* dicap_hook built in: cannot tell */
	snprintf(path, sizeof(path), "/sys/class/net/%s/device/driver/module", k->iface);
	if ((n = readlink(path, target, sizeof(target) - 1)) < 0) {
		snprintf(err, errlen, "interface %s has no driver module that could call the "
		    "DiCAP driver hook (a virtual interface, or a built-in driver): use a "
		    "patched driver (%s), or --hook rx_handler with --capture", k->iface,
		    KMOD_DOCS);
		return -1;
	}
	target[n] = '\0';
	drv = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
	snprintf(path, sizeof(path), KMOD_HOOK_SYSFS "/holders/%s", drv);
	if (stat(path, &sb) != 0) {
		snprintf(err, errlen, "the driver of %s (%s) does not call the DiCAP driver hook: "
		    "load the patched %s (%s), or use --hook rx_handler with --capture",
		    k->iface, drv, drv, KMOD_DOCS);
		return -1;
	}
	return 0;
}

/* 1: no other dicapd drives the module; 0: cannot tell; -1: one does. */
static int
take_lock(struct kmod_dp *k, char *err, size_t errlen)
{
	char why[256];

	mkdir(DICAPD_DEFAULT_SOCK_DIR, 0755);
	k->lock_fd = dicap_lock_open(KMOD_LOCK_DIR, KMOD_LOCK_NAME, why, sizeof(why));
	if (k->lock_fd == -1) {
		log_warnx("%s: cannot tell a dead dicapd's attachment from a live one", why);
		return 0;
	}
	if (flock(k->lock_fd, LOCK_EX | LOCK_NB) == 0)
		return 1;
	if (errno == EWOULDBLOCK)
		snprintf(err, errlen, "another dicapd drives dicap.ko (it holds %s); the module "
		    "serves one interface", KMOD_LOCK_PATH);
	else
		snprintf(err, errlen, "%s: %s", KMOD_LOCK_PATH, strerror(errno));
	close(k->lock_fd);
	k->lock_fd = -1;
	return -1;
}

/*
 * What a former dicapd left: an attachment (it died without detaching)
 * and a topology in the slots.  The topology is replaced, before frames
 * come, by epoch 0 that owns nothing, so the old share is not selected.
 */
static int
clear_leftovers(struct kmod_dp *k, int locked, char *err, size_t errlen)
{
	struct kmod_get g;
	struct nlmsghdr *nlh;
	char name[IF_NAMESIZE];
	int rc;

	if ((rc = kmod_nl_get(&k->nl, &g)) != 0) {
		snprintf(err, errlen, "%s", kmod_nl_strerror(&k->nl, rc, "reading dicap.ko's state"));
		return -1;
	}
	if (g.ifindex != 0) {
		if (if_indextoname(g.ifindex, name) == NULL)
			snprintf(name, sizeof(name), "ifindex %u", g.ifindex);
		if (locked != 1) {
			snprintf(err, errlen, "dicap.ko is attached to %s already (another dicapd?)",
			    name);
			return -1;
		}
		log_warnx("dicap.ko is still attached to %s by a dicapd that exited without "
		    "detaching: taking over", name);
		if ((rc = kmod_nl_command(&k->nl, DICAP_CMD_DETACH)) != 0 && rc != -ENODEV) {
			snprintf(err, errlen, "%s", kmod_nl_strerror(&k->nl, rc, "detaching it"));
			return -1;
		}
	}
	if (!(g.state & (DICAP_DP_ST_HAVE | DICAP_DP_ST_PENDING)))
		return 0;
	log_debug("kmod: replacing the topology left in dicap.ko (epoch %u) by none",
	    g.have_active ? g.active_epoch : g.pending_epoch);
	nlh = kmod_nl_request(&k->nl, DICAP_CMD_STAGE);
	mnl_attr_put_u32(nlh, DICAP_A_EPOCH, 0);
	mnl_attr_put_u8(nlh, DICAP_A_MODE, DICAP_MODE_RR);
	mnl_attr_put_u32(nlh, DICAP_A_N, 1);
	mnl_attr_put_u32(nlh, DICAP_A_POSITION, DICAP_DP_NOT_MEMBER);
	mnl_attr_put_u64(nlh, DICAP_A_VALIDITY_NS, 0);
	if ((rc = kmod_nl_simple(&k->nl, nlh)) == 0) {
		nlh = kmod_nl_request(&k->nl, DICAP_CMD_COMMIT);
		mnl_attr_put_u32(nlh, DICAP_A_EPOCH, 0);
		rc = kmod_nl_simple(&k->nl, nlh);
	}
	if (rc == 0) {
		nlh = kmod_nl_request(&k->nl, DICAP_CMD_ACTIVATE);
		mnl_attr_put_u32(nlh, DICAP_A_EPOCH, 0);
		rc = kmod_nl_simple(&k->nl, nlh);
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s", kmod_nl_strerror(&k->nl, rc,
		    "clearing the topology a former dicapd left"));
		return -1;
	}
	return 0;
}

/* Everything but the topology, which comes from the coordinator. */
static int
configure(struct kmod_dp *k, char *err, size_t errlen)
{
	struct nlmsghdr *nlh;
	int rc;

	nlh = kmod_nl_request(&k->nl, DICAP_CMD_SET);
	mnl_attr_put_u32(nlh, DICAP_A_ACTIONS, (k->opt.distribute ? DICAP_DP_ACT_PASS : 0) |
	    (k->opt.capture ? DICAP_DP_ACT_RING : 0));
	mnl_attr_put_u32(nlh, DICAP_A_SNAPLEN, k->opt.snaplen);
	mnl_attr_put_u32(nlh, DICAP_A_NODE_ID, k->node_id ? *k->node_id : 0);
	mnl_attr_put_u8(nlh, DICAP_A_LEASE_POLICY, k->opt.lease_policy == DP_LEASE_DROP ?
	    DICAP_DP_LEASE_DROP : DICAP_DP_LEASE_KEEP);
	if ((rc = kmod_nl_simple(&k->nl, nlh)) != 0) {
		snprintf(err, errlen, "%s", kmod_nl_strerror(&k->nl, rc, "configuring dicap.ko"));
		return -1;
	}
	k->node_id_set = k->node_id ? *k->node_id : 0;
	/* No analyzers until a topology names them. */
	if ((rc = kmod_nl_command(&k->nl, DICAP_CMD_ANALYZERS)) != 0) {
		snprintf(err, errlen, "%s", kmod_nl_strerror(&k->nl, rc, "clearing the analyzers"));
		return -1;
	}
	k->lease_ms = k->opt.lease_ms ? k->opt.lease_ms :
	    KMOD_LEASE_FACTOR * KMOD_DEFAULT_TIMEOUT_MS;
	if ((rc = send_lease(k)) != 0) {
		snprintf(err, errlen, "%s", kmod_nl_strerror(&k->nl, rc, "setting the lease"));
		return -1;
	}
	return 0;
}

static int
attach(struct kmod_dp *k, char *err, size_t errlen)
{
	struct nlmsghdr *nlh = kmod_nl_request(&k->nl, DICAP_CMD_ATTACH);
	char what[64];
	int rc;

	mnl_attr_put_u32(nlh, DICAP_A_IFINDEX, k->ifindex);
	mnl_attr_put_u8(nlh, DICAP_A_HOOK, (uint8_t)k->opt.kmod_hook);
	if ((rc = kmod_nl_simple(&k->nl, nlh)) != 0) {
		snprintf(what, sizeof(what), "attaching dicap.ko to %s", k->iface);
		snprintf(err, errlen, "%s", kmod_nl_strerror(&k->nl, rc, what));
		return -1;
	}
	k->attached = 1;
	return 0;
}

static void
kmod_free(struct kmod_dp *k)
{
	int rc;

	if (k->attached && (rc = kmod_nl_command(&k->nl, DICAP_CMD_DETACH)) != 0)
		log_warnx("%s", kmod_nl_strerror(&k->nl, rc, "detaching dicap.ko"));
	kmod_nl_close(&k->nl);
	if (k->lock_fd != -1)
		close(k->lock_fd);	/* releases the lock */
	free(k);
}

static int
kmod_open(struct datapath *dp, const char *iface, char *err, size_t errlen)
{
	struct kmod_dp *k;
	struct kmod_get g;
	int locked, rc;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		fatal("%s", __func__);
	k->lock_fd = -1;
	k->opt = dp->opt;
	k->node_id = dp->node_id;
	if (check_iface(k, iface, err, errlen) == -1)
		goto fail;
	if (kmod_nl_open(&k->nl, err, errlen) == -1)
		goto fail;
	if (k->opt.kmod_hook == DICAP_HOOK_DRIVER && check_driver_hook(k, err, errlen) == -1)
		goto fail;
	if ((locked = take_lock(k, err, errlen)) == -1)
		goto fail;
	/* Before ATTACH: the first frame must see this configuration. */
	if (clear_leftovers(k, locked, err, errlen) == -1 || configure(k, err, errlen) == -1)
		goto fail;
	if ((rc = kmod_nl_get(&k->nl, &g)) != 0) {
		snprintf(err, errlen, "%s", kmod_nl_strerror(&k->nl, rc, "reading dicap.ko's counters"));
		goto fail;
	}
	memcpy(k->base, g.ctr, sizeof(k->base));
	if (attach(k, err, errlen) == -1)
		goto fail;
	dp->priv = k;
	log_info("kernel-module datapath on %s (%s hook): %s%s%s, lease %u ms then %s", iface,
	    hook_name(k->opt.kmod_hook), k->opt.distribute ? "distribute" : "",
	    k->opt.distribute && k->opt.capture ? " + " : "",
	    k->opt.capture ? "capture over UDP from the kernel" : "", k->lease_ms,
	    k->opt.lease_policy == DP_LEASE_DROP ? "drop everything" : "keep the last share");
	if (k->opt.capture)
		log_info("capture: snaplen %u", k->opt.snaplen);
	return 0;
fail:
	kmod_free(k);
	return -1;
}

/* ---- topology ---- */

static int
send_analyzers(struct kmod_dp *k, const struct node_topology *t)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	uint32_t i, n = t->n_analyzers;
	int rc;

	if (n > DICAP_K_MAX_ANALYZERS) {
		log_warnx("epoch %u names %u analyzers; dicap.ko takes the first %d", t->epoch, n,
		    DICAP_K_MAX_ANALYZERS);
		n = DICAP_K_MAX_ANALYZERS;
	}
	/* The module restarts its per-analyzer state with every list. */
	if (k->analyzers_sent && n == k->n_analyzers) {
		for (i = 0; i < n && dicap_addr_equal(&k->analyzers[i], &t->analyzers[i]); i++)
			;
		if (i == n)
			return 0;
	}
	nlh = kmod_nl_request(&k->nl, DICAP_CMD_ANALYZERS);
	for (i = 0; i < n; i++) {
		nest = mnl_attr_nest_start(nlh, DICAP_A_ANALYZER);
		mnl_attr_put(nlh, DICAP_AN_ADDR, t->analyzers[i].family == 6 ? 16 : 4,
		    t->analyzers[i].addr);
		mnl_attr_put_u16(nlh, DICAP_AN_PORT, t->analyzers[i].port);
		mnl_attr_nest_end(nlh, nest);
	}
	if ((rc = kmod_nl_simple(&k->nl, nlh)) != 0)
		return rc;
	memcpy(k->analyzers, t->analyzers, n * sizeof(*t->analyzers));
	k->n_analyzers = n;
	k->analyzers_sent = 1;
	return 0;
}

/* STAGE, TABLE in chunks, COMMIT; 0 or -errno, @what names the step. */
static int
stage(struct kmod_dp *k, const struct node_topology *t, uint64_t validity_ns,
    const char **what)
{
	struct nlmsghdr *nlh;
	uint32_t pos = t->position >= 0 ? (uint32_t)t->position : DICAP_DP_NOT_MEMBER;
	uint32_t n = t->n_members, off;
	uint8_t mode = t->mode;
	int at_marker = t->has_marker_token, rc;

	/*
	 * No members, or no table: the module needs N >= 1 and a full table
	 * in hash modes; round-robin from position "none" owns nothing too.
	 */
	if (n == 0 || (mode != DICAP_MODE_RR && t->table == NULL)) {
		mode = DICAP_MODE_RR;
		pos = DICAP_DP_NOT_MEMBER;
		n = n ? n : 1;
		at_marker = 0;
	}
	*what = "STAGE";
	nlh = kmod_nl_request(&k->nl, DICAP_CMD_STAGE);
	mnl_attr_put_u32(nlh, DICAP_A_EPOCH, t->epoch);
	mnl_attr_put_u8(nlh, DICAP_A_MODE, mode);
	mnl_attr_put_u32(nlh, DICAP_A_N, n);
	mnl_attr_put_u32(nlh, DICAP_A_POSITION, pos);
	mnl_attr_put_u64(nlh, DICAP_A_VALIDITY_NS, validity_ns);	/* UTC, as the module */
	mnl_attr_put_u32(nlh, DICAP_A_SEL_FLAGS, t->sel_flags);
	if (t->has_marker_token)
		mnl_attr_put(nlh, DICAP_A_TOKEN, DICAP_MARKER_TOKEN_LEN, t->marker_token);
	if (at_marker)
		mnl_attr_put(nlh, DICAP_A_AT_MARKER, 0, NULL);
	k->staged = 0;
	if ((rc = kmod_nl_simple(&k->nl, nlh)) != 0)
		return rc;
	*what = "TABLE";
	for (off = 0; mode != DICAP_MODE_RR && off < DICAP_BUCKETS;
	    off += DICAP_K_TABLE_CHUNK_MAX) {
		nlh = kmod_nl_request(&k->nl, DICAP_CMD_TABLE);
		mnl_attr_put_u32(nlh, DICAP_A_EPOCH, t->epoch);
		mnl_attr_put_u32(nlh, DICAP_A_TABLE_OFFSET, off);
		mnl_attr_put(nlh, DICAP_A_TABLE, 2 * DICAP_K_TABLE_CHUNK_MAX, t->table + off);
		if ((rc = kmod_nl_simple(&k->nl, nlh)) != 0)
			return rc;
	}
	*what = "COMMIT";
	nlh = kmod_nl_request(&k->nl, DICAP_CMD_COMMIT);
	mnl_attr_put_u32(nlh, DICAP_A_EPOCH, t->epoch);
	if ((rc = kmod_nl_simple(&k->nl, nlh)) != 0)
		return rc;
	k->staged = 1;
	k->staged_epoch = t->epoch;
	k->staged_validity_ns = validity_ns;
	k->staged_at_marker = at_marker;
	k->staged_switched = 0;
	return 0;
}

static int
kmod_load_topology(struct datapath *dp, const struct node_topology *t, uint64_t validity_ns)
{
	struct kmod_dp *k = dp->priv;
	const char *what = "";
	int rc;

	if (t->mode > DICAP_MODE_MAX || (t->sel_flags & ~DICAP_SEL_FLAGS_MASK) != 0) {
		k->stage_errors++;
		log_warnx("epoch %u: mode %u with selection flags 0x%x: not one dicap.ko"
		    " applies; keeping the previous topology", t->epoch, t->mode, t->sel_flags);
		return -1;
	}
	if ((rc = sync_node_id(k)) != 0)
		log_warnx("%s", kmod_nl_strerror(&k->nl, rc, "setting the node id"));
	if (k->opt.capture && (rc = send_analyzers(k, t)) != 0)
		log_warnx("epoch %u: %s", t->epoch,
		    kmod_nl_strerror(&k->nl, rc, "setting the analyzers"));
	if ((rc = stage(k, t, validity_ns, &what)) != 0) {
		k->stage_errors++;
		log_warnx("epoch %u: %s", t->epoch, kmod_nl_strerror(&k->nl, rc, what));
		return -1;
	}
	log_debug("kmod: epoch %u staged, switch %s", t->epoch,
	    k->staged_at_marker ? "at its marker" : "at its validity start");
	if (t->timeout_ms != 0 && k->opt.lease_ms == 0)
		k->lease_ms = KMOD_LEASE_FACTOR * t->timeout_ms;
	if ((rc = send_lease(k)) != 0)
		log_warnx("%s", kmod_nl_strerror(&k->nl, rc, "refreshing the lease"));
	return 0;
}

/* Switch to the staged topology now; the module accepts an active epoch too. */
static int
switch_now(struct kmod_dp *k, uint32_t epoch)
{
	struct nlmsghdr *nlh = kmod_nl_request(&k->nl, DICAP_CMD_ACTIVATE);
	int rc;

	mnl_attr_put_u32(nlh, DICAP_A_EPOCH, epoch);
	if ((rc = kmod_nl_simple(&k->nl, nlh)) == 0)
		k->staged_switched = 1;
	return rc;
}

/* A time switch that is due and that no frame made yet. */
static int
switch_due(struct kmod_dp *k, uint64_t now)
{
	if (!k->staged || k->staged_switched || k->staged_at_marker ||
	    now < k->staged_validity_ns)
		return 0;
	return switch_now(k, k->staged_epoch);
}

static int
kmod_activate(struct datapath *dp, uint32_t epoch)
{
	struct kmod_dp *k = dp->priv;
	uint64_t now = dp_clock_ns(CLOCK_REALTIME);
	struct kmod_get g;
	int rc, by_us;

	if (!k->staged || k->staged_epoch != epoch) {
		log_warnx("kmod: epoch %u was not staged in dicap.ko (see the error above)", epoch);
		return -1;
	}
	by_us = !k->staged_switched;
	if (!k->staged_at_marker && k->staged_validity_ns > now + KMOD_FORCE_AHEAD_NS) {
		/* The agent gave up waiting: a clock is off. */
		log_warnx("kmod: epoch %u starts %llu ms from now by CLOCK_REALTIME: switching now",
		    epoch, (unsigned long long)((k->staged_validity_ns - now) / 1000000));
		rc = switch_now(k, epoch);
	} else {
		rc = switch_due(k, now);
	}
	if (rc != 0) {
		log_warnx("kmod: switching to epoch %u: %s", epoch,
		    kmod_nl_strerror(&k->nl, rc, "ACTIVATE"));
		return -1;
	}
	by_us = by_us && k->staged_switched;
	if (!log_debug_enabled() || kmod_nl_get(&k->nl, &g) != 0)
		return 0;
	if (g.have_active && g.active_epoch == epoch)
		log_debug("kmod: epoch %u active (switched by %s)", epoch,
		    by_us ? "dicapd, or by a frame just before" : "the module");
	else if (g.have_pending)
		log_debug("kmod: epoch %u pending (%s)", epoch, k->staged_at_marker ?
		    "waiting for its marker" : "waiting for its first frame");
	return 0;
}

static int
kmod_in_force(struct datapath *dp, uint32_t epoch)
{
	struct kmod_dp *k = dp->priv;
	struct kmod_get g;

	if (!k->staged || k->staged_epoch != epoch)
		return 0;
	if (kmod_nl_get(&k->nl, &g) != 0)
		return 0;
	if (g.have_active && g.active_epoch == epoch)
		k->staged_switched = 1;
	return g.have_active && g.active_epoch == epoch;
}

static int
kmod_refresh_lease(struct datapath *dp)
{
	struct kmod_dp *k = dp->priv;
	int rc;

	if ((rc = send_lease(k)) != 0 || (rc = sync_node_id(k)) != 0 ||
	    (rc = switch_due(k, dp_clock_ns(CLOCK_REALTIME))) != 0) {
		if (!k->gone_logged)
			log_warnx("kmod: %s", kmod_nl_strerror(&k->nl, rc, "refreshing the lease"));
		k->gone_logged = 1;
		return -1;
	}
	k->gone_logged = 0;
	return 0;
}

static int
kmod_counters(struct datapath *dp, struct dp_counters *c)
{
	struct kmod_dp *k = dp->priv;
	struct kmod_get g;
	int i, rc;

	memset(c, 0, sizeof(*c));
	c->v[DP_STAGE_ERRORS] = k->stage_errors;
	if ((rc = kmod_nl_get(&k->nl, &g)) != 0) {
		log_debug("kmod: %s", kmod_nl_strerror(&k->nl, rc, "reading the counters"));
		return -1;
	}
	/* The module was reloaded under us: its counters started again. */
	for (i = 0; i < DICAP_K_CTR_MAX; i++)
		if (g.ctr[i] < k->base[i]) {
			memset(k->base, 0, sizeof(k->base));
			break;
		}
	for (i = 0; i < DICAP_DP_CTR_MAX; i++)
		c->v[i] = g.ctr[i] - k->base[i];
	c->v[DP_BATCHES_SENT] = g.ctr[DICAP_K_BATCHES_SENT] - k->base[DICAP_K_BATCHES_SENT];
	c->v[DP_RECORDS_SENT] = g.ctr[DICAP_K_RECORDS_SENT] - k->base[DICAP_K_RECORDS_SENT];
	c->v[DP_SEND_ERRORS] = g.ctr[DICAP_K_SEND_ERRORS] - k->base[DICAP_K_SEND_ERRORS];
	return 0;
}

static void
kmod_status_json(struct datapath *dp, struct jsonw *w)
{
	struct kmod_dp *k = dp->priv;
	char addr[DICAP_ADDR_STRLEN];
	struct kmod_get g;
	int have = kmod_nl_get(&k->nl, &g) == 0;
	uint32_t i;

	jw_key(w, "hook");
	jw_str(w, hook_name(k->opt.kmod_hook));
	jw_key(w, "attached");
	jw_bool(w, have && g.ifindex == k->ifindex);
	jw_key(w, "distribute");
	jw_bool(w, k->opt.distribute);
	jw_key(w, "capture");
	jw_bool(w, k->opt.capture);
	jw_key(w, "snaplen");
	jw_u64(w, k->opt.snaplen);
	jw_key(w, "lease_ms");
	jw_u64(w, k->lease_ms);
	jw_key(w, "lease_policy");
	jw_str(w, k->opt.lease_policy == DP_LEASE_DROP ? "drop" : "keep");
	jw_key(w, "lease_expired");
	jw_bool(w, dp_clock_ns(CLOCK_MONOTONIC) > k->lease_sent_mono + (uint64_t)k->lease_ms * 1000000);
	jw_key(w, "program_epoch");
	have && g.have_active ? jw_u64(w, g.active_epoch) : jw_null(w);
	jw_key(w, "program_pending");
	jw_bool(w, have && g.have_pending);
	jw_key(w, "program_mode");
	have && g.have_active ? jw_str(w, dicap_mode_name(g.active_mode)) : jw_null(w);
	jw_key(w, "program_tunnel");
	have && g.have_active ? jw_str(w, dicap_tunnel_name(g.active_sel_flags)) : jw_null(w);
	jw_key(w, "hook_frames");
	have ? jw_u64(w, g.ctr[DICAP_K_HOOK_FRAMES] - k->base[DICAP_K_HOOK_FRAMES]) : jw_null(w);
	jw_key(w, "rxh_frames");
	have ? jw_u64(w, g.ctr[DICAP_K_RXH_FRAMES] - k->base[DICAP_K_RXH_FRAMES]) : jw_null(w);
	if (k->opt.capture) {
		jw_key(w, "transport");
		jw_str(w, "udp");
		jw_key(w, "analyzers");
		jw_open(w, '[');
		for (i = 0; i < k->n_analyzers; i++) {
			jw_open(w, '{');
			jw_key(w, "addr");
			jw_str(w, dicap_addr_format(&k->analyzers[i], addr, sizeof(addr)) ? addr : "?");
			jw_close(w, '}');
		}
		jw_close(w, ']');
	}
}

/* dicap.ko's genetlink commands are GENL_ADMIN_PERM, checked at every message. */
static uint64_t
kmod_run_caps(struct datapath *dp)
{
	(void)dp;
	return DICAP_CAP(CAP_NET_ADMIN);
}

static void
kmod_close(struct datapath *dp)
{
	struct kmod_dp *k = dp->priv;

	if (k == NULL)
		return;
	kmod_free(k);
	dp->priv = NULL;
	log_debug("dicap.ko detached");
}

const struct datapath_ops datapath_kmod = {
	.name = "kmod",
	.summary = "the kernel module dicap.ko on IFACE: distribution and/or capture",
	.open = kmod_open,
	.load_topology = kmod_load_topology,
	.activate = kmod_activate,
	.refresh_lease = kmod_refresh_lease,
	.counters = kmod_counters,
	.close = kmod_close,
	.status_json = kmod_status_json,
	.in_force = kmod_in_force,
	.run_caps = kmod_run_caps,
};
