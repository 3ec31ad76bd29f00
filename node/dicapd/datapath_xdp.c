/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The XDP datapath: the program of kmod/xdp/ (embedded through its libbpf
 * skeleton), attached to the capture interface with a BPF link, so that it
 * goes away with this process however it ends.  Topologies go into the
 * maps with lib/xdpctl.c; capture mode's ring buffer is
 * drained by capture.c.
 *
 * Clocks: the wire's validity start is UTC (CLOCK_REALTIME); the program
 * compares with bpf_ktime_get_tai_ns(), so it is converted with the
 * TAI - UTC offset (whole seconds, re-read at every topology and lease
 * refresh: a leap second or chrony setting the offset is followed).  The
 * lease is in CLOCK_MONOTONIC (bpf_ktime_get_ns()), which no clock step
 * moves.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <linux/capability.h>
#include <linux/if_link.h>
#include <net/if.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dicap_xdp.skel.h"
#include "xdpctl.h"

#include "capture.h"
#include "datapath.h"
#include "jsonw.h"
#include "log.h"
#include "privdrop.h"
#include "replay.h"
#include "selflags.h"
#include "dicap/select.h"

#define XDP_DEFAULT_TIMEOUT_MS	3000	/* the coordinator's default, until it says */
#define XDP_LEASE_FACTOR	3
#define XDP_FORCE_AHEAD_NS	1000000000ULL	/* see xdp_activate() */

struct xdp_dp {
	struct dicap_xdp_bpf *skel;
	int link_fd;
	struct dicap_xdp_ctl ctl;
	size_t cfg_len;
	char iface[IF_NAMESIZE];
	int ifindex;
	const char *attached;		/* "native" or "generic" */
	struct datapath_options opt;
	uint32_t lease_ms;
	int64_t tai_offset;
	struct capture *cap;
	uint64_t stage_errors;
	uint32_t staged_epoch;
};

static int
libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[1024];
	size_t n;

	if (level == LIBBPF_DEBUG || !log_debug_enabled())
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	/* Warnings include the verifier's log: detail for -d, not for syslog. */
	log_debug("%s", line);
	return 0;
}

static const char *
privilege_hint(void)
{
	return "loading and attaching XDP programs needs root "
	    "(or CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON)";
}

/* The interface suits a datapath (dp_check_iface) and has no XDP program yet. */
static int
check_iface(struct xdp_dp *x, const char *iface, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int rc;

	snprintf(x->iface, sizeof(x->iface), "%s", iface);
	if (dp_check_iface(iface, "XDP program", &x->ifindex, err, errlen) == -1)
		return -1;
	if ((rc = bpf_xdp_query(x->ifindex, 0, &q)) != 0) {
		snprintf(err, errlen, "interface %s: cannot query XDP: %s", iface, strerror(-rc));
		return -1;
	}
	if (q.attach_mode != XDP_ATTACHED_NONE) {
		snprintf(err, errlen, "interface %s already has an XDP program (id %u%s); remove it "
		    "first, e.g. ip link set dev %s xdp off", iface,
		    q.prog_id ? q.prog_id : q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id,
		    q.attach_mode == XDP_ATTACHED_SKB ? ", generic" :
		    q.attach_mode == XDP_ATTACHED_DRV ? ", native" : "", iface);
		return -1;
	}
	return 0;
}

static uint32_t
rec_cap(uint32_t snaplen)
{
	uint32_t cap = (snaplen + 7) & ~7u;

	return cap > DICAP_XDP_CAP_MAX ? DICAP_XDP_CAP_MAX : cap;
}

static int
load(struct xdp_dp *x, char *err, size_t errlen)
{
	long page = sysconf(_SC_PAGESIZE);
	void *cfg;
	int rc;

	if ((x->skel = dicap_xdp_bpf__open()) == NULL) {
		snprintf(err, errlen, "cannot open the embedded XDP program: %s", strerror(errno));
		return -1;
	}
	x->skel->rodata->dicap_rec_cap = rec_cap(x->opt.snaplen);
	if (!x->opt.capture)
		bpf_map__set_max_entries(x->skel->maps.dicap_ring, (uint32_t)page);
	if ((rc = dicap_xdp_bpf__load(x->skel)) != 0) {
		if (rc == -EPERM || rc == -EACCES)
			snprintf(err, errlen, "%s", privilege_hint());
		else
			snprintf(err, errlen, "the kernel refused the XDP program: %s "
			    "(dicapd -d -f shows the verifier's log)", strerror(-rc));
		return -1;
	}
	x->cfg_len = (size_t)page;
	cfg = mmap(NULL, x->cfg_len, PROT_READ | PROT_WRITE, MAP_SHARED,
	    bpf_map__fd(x->skel->maps.dicap_config), 0);
	if (cfg == MAP_FAILED) {
		snprintf(err, errlen, "cannot map the XDP configuration: %s", strerror(errno));
		return -1;
	}
	x->ctl.cfg = cfg;
	x->ctl.slots_fd = bpf_map__fd(x->skel->maps.dicap_slots);
	x->ctl.tables_fd = bpf_map__fd(x->skel->maps.dicap_tables);
	x->ctl.rr_fd = bpf_map__fd(x->skel->maps.dicap_rr);
	x->ctl.stats_fd = bpf_map__fd(x->skel->maps.dicap_stats);
	x->ctl.ncpus = libbpf_num_possible_cpus();
	if (x->ctl.ncpus <= 0) {
		snprintf(err, errlen, "cannot count the CPUs: %s", strerror(-x->ctl.ncpus));
		return -1;
	}
	return 0;
}

static void
set_lease(struct xdp_dp *x)
{
	dicap_xdp_set_lease(&x->ctl, dp_clock_ns(CLOCK_MONOTONIC) + (uint64_t)x->lease_ms * 1000000);
}

/* Everything but the topology, which comes from the coordinator. */
static void
init_config(struct xdp_dp *x)
{
	struct dicap_xdp_config *cfg = x->ctl.cfg;

	dicap_xdp_set_switch_at(&x->ctl, DICAP_DP_NEVER);
	cfg->actions = (x->opt.distribute ? DICAP_DP_ACT_PASS : 0) |
	    (x->opt.capture ? DICAP_DP_ACT_RING : 0);
	cfg->snaplen = x->opt.snaplen;
	cfg->lease_policy = x->opt.lease_policy == DP_LEASE_DROP ? DICAP_DP_LEASE_DROP :
	    DICAP_DP_LEASE_KEEP;
	cfg->wakeup_every = DICAP_XDP_WAKEUP_EVERY;
	x->lease_ms = x->opt.lease_ms ? x->opt.lease_ms :
	    XDP_LEASE_FACTOR * XDP_DEFAULT_TIMEOUT_MS;
	set_lease(x);
	x->tai_offset = dicap_xdp_tai_offset_ns();
}

static int
mtu_of(const char *iface)
{
	struct ifreq ifr;
	int fd, mtu = -1;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (ioctl(fd, SIOCGIFMTU, &ifr) == 0)
		mtu = ifr.ifr_mtu;
	close(fd);
	return mtu;
}

/* Why attaching in @mode failed, and (@hint) what to do about it. */
static void
explain_attach(struct xdp_dp *x, const char *mode, int rc, int hint, char *err,
    size_t errlen)
{
	switch (-rc) {
	case ERANGE:
		snprintf(err, errlen, "%s XDP on %s refused: MTU %d too large for %s XDP "
		    "(on veth: peer MTU above 3506)%s", mode, x->iface, mtu_of(x->iface), mode,
		    hint ? "; lower the MTU or use --xdp-mode generic" : "");
		break;
	case EOPNOTSUPP:
		snprintf(err, errlen, "the driver of %s has no %s XDP%s", x->iface, mode,
		    hint ? "; use --xdp-mode generic" : "");
		break;
	case EBUSY:
	case EEXIST:
		snprintf(err, errlen, "%s already has an XDP program; remove it first, e.g. "
		    "ip link set dev %s xdp off", x->iface, x->iface);
		break;
	case EPERM:
	case EACCES:
		snprintf(err, errlen, "%s", privilege_hint());
		break;
	default:
		snprintf(err, errlen, "%s XDP on %s (MTU %d) refused: %s", mode, x->iface,
		    mtu_of(x->iface), strerror(-rc));
	}
}

static int
link_xdp(struct xdp_dp *x, uint32_t flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, o, .flags = flags);
	int fd;

	fd = bpf_link_create(bpf_program__fd(x->skel->progs.dicap_xdp), x->ifindex, BPF_XDP, &o);
	return fd;	/* or -errno */
}

static int
attach(struct xdp_dp *x, char *err, size_t errlen)
{
	int rc;

	if (x->opt.xdp_mode != DP_XDP_GENERIC) {
		if ((rc = link_xdp(x, XDP_FLAGS_DRV_MODE)) >= 0) {
			x->link_fd = rc;
			x->attached = "native";
			return 0;
		}
		explain_attach(x, "native", rc, x->opt.xdp_mode == DP_XDP_NATIVE, err, errlen);
		if (x->opt.xdp_mode == DP_XDP_NATIVE || rc == -EPERM || rc == -EACCES ||
		    rc == -EBUSY || rc == -EEXIST)
			return -1;
		log_info("%s: using generic XDP", err);
	}
	if ((rc = link_xdp(x, XDP_FLAGS_SKB_MODE)) < 0) {
		explain_attach(x, "generic", rc, 0, err, errlen);
		return -1;
	}
	x->link_fd = rc;
	x->attached = "generic";
	return 0;
}

static void
xdp_free(struct xdp_dp *x)
{
	capture_close(x->cap);
	if (x->link_fd >= 0)
		close(x->link_fd);	/* detaches the program */
	if (x->ctl.cfg != NULL)
		munmap(x->ctl.cfg, x->cfg_len);
	dicap_xdp_bpf__destroy(x->skel);
	free(x);
}

static int
xdp_open(struct datapath *dp, const char *iface, char *err, size_t errlen)
{
	struct xdp_dp *x;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		fatal("%s", __func__);
	x->link_fd = -1;
	x->opt = dp->opt;
	libbpf_set_print(libbpf_log);
	if (check_iface(x, iface, err, errlen) == -1 || load(x, err, errlen) == -1)
		goto fail;
	init_config(x);
	if (attach(x, err, errlen) == -1)
		goto fail;
	if (x->opt.capture) {
		x->cap = capture_open(dp->base, bpf_map__fd(x->skel->maps.dicap_ring), dp->node_id,
		    x->opt.transport == DP_TRANSPORT_TCP ? CAPTURE_TCP : CAPTURE_UDP, err, errlen);
		if (x->cap == NULL)
			goto fail;
		capture_set_tai_offset(x->cap, x->tai_offset);
	}
	dp->priv = x;
	log_info("XDP datapath on %s (%s): %s%s%s, lease %u ms then %s", iface, x->attached,
	    x->opt.distribute ? "distribute" : "",
	    x->opt.distribute && x->opt.capture ? " + " : "",
	    x->opt.capture ? (x->opt.transport == DP_TRANSPORT_TCP ? "capture over TCP" :
	    "capture over UDP") : "", x->lease_ms,
	    x->opt.lease_policy == DP_LEASE_DROP ? "drop everything" : "keep the last share");
	if (x->opt.capture)
		log_info("capture: snaplen %u, ring buffer %u KiB", x->opt.snaplen,
		    bpf_map__max_entries(x->skel->maps.dicap_ring) / 1024);
	return 0;
fail:
	xdp_free(x);
	return -1;
}

static void
resample_clock(struct xdp_dp *x)
{
	int64_t off = dicap_xdp_tai_offset_ns();

	if (off != x->tai_offset)
		log_info("CLOCK_TAI - CLOCK_REALTIME is now %lld s (was %lld s)",
		    (long long)(off / 1000000000), (long long)(x->tai_offset / 1000000000));
	x->tai_offset = off;
	if (x->cap != NULL)
		capture_set_tai_offset(x->cap, off);
}

static int
xdp_load_topology(struct datapath *dp, const struct node_topology *t, uint64_t validity_ns)
{
	struct xdp_dp *x = dp->priv;
	struct dicap_xdp_topo topo;
	int slot;

	if (t->mode > DICAP_MODE_MAX || (t->sel_flags & ~DICAP_SEL_FLAGS_MASK) != 0) {
		x->stage_errors++;
		log_warnx("epoch %u: mode %u with selection flags 0x%x: not one the XDP program"
		    " applies; keeping the previous topology", t->epoch, t->mode, t->sel_flags);
		return -1;
	}
	resample_clock(x);
	memset(&topo, 0, sizeof(topo));
	topo.mode = t->mode;
	topo.sel_flags = t->sel_flags;
	topo.n = t->n_members;
	topo.position = t->position >= 0 ? (uint32_t)t->position : DICAP_DP_NOT_MEMBER;
	topo.epoch = t->epoch;
	topo.validity_tai_ns = validity_ns + (uint64_t)x->tai_offset;
	topo.has_token = t->has_marker_token;
	memcpy(topo.token, t->marker_token, sizeof(topo.token));
	topo.table = t->mode == DICAP_MODE_RR ? NULL : t->table;
	if (t->mode != DICAP_MODE_RR && t->table == NULL)
		topo.position = DICAP_DP_NOT_MEMBER;	/* no members, no table */
	if ((slot = dicap_xdp_stage(&x->ctl, &topo)) < 0) {
		x->stage_errors++;
		log_warnx("epoch %u: cannot write it into the XDP maps: %s", t->epoch,
		    strerror(-slot));
		return -1;
	}
	x->staged_epoch = t->epoch;
	log_debug("XDP: epoch %u staged in slot %d, switch %s", t->epoch, slot,
	    t->mode == DICAP_MODE_RR && t->has_marker_token ? "at its marker" :
	    "at its validity start");
	if (t->timeout_ms != 0 && x->opt.lease_ms == 0)
		x->lease_ms = XDP_LEASE_FACTOR * t->timeout_ms;
	set_lease(x);
	if (x->cap != NULL)
		capture_set_analyzers(x->cap, t->analyzers, t->n_analyzers);
	return 0;
}

static int
xdp_activate(struct datapath *dp, uint32_t epoch)
{
	struct xdp_dp *x = dp->priv;
	struct dicap_xdp_slot slot;
	uint64_t now = dp_clock_ns(CLOCK_TAI);
	int rc, pending = 0;

	rc = dicap_xdp_switch_due(&x->ctl, now);
	/*
	 * Far from its validity start by our clock: the agent gave up waiting
	 * (a clock is off), and the program must not keep the old share.
	 */
	if (rc == 0 && dicap_xdp_pending_slot(&x->ctl, &slot) == 0 && slot.epoch == epoch &&
	    slot.validity_tai_ns > now + XDP_FORCE_AHEAD_NS) {
		log_warnx("XDP: epoch %u starts %llu ms from now by CLOCK_TAI: switching now",
		    epoch, (unsigned long long)((slot.validity_tai_ns - now) / 1000000));
		rc = dicap_xdp_switch_due(&x->ctl, DICAP_DP_NEVER);
	}
	if (rc < 0) {
		log_warnx("XDP: switching to epoch %u: %s", epoch, strerror(-rc));
		return -1;
	}
	if (dicap_xdp_active_slot(&x->ctl, &slot, &pending) == 0 && slot.epoch == epoch)
		log_debug("XDP: epoch %u active (switched by %s)", epoch,
		    rc ? "dicapd, no frame came" : "the program");
	else if (pending)
		log_debug("XDP: epoch %u pending (%s)", epoch,
		    x->staged_epoch == epoch ? "waiting for its marker or its first frame" :
		    "a newer one is staged");
	return 0;
}

/* The program switched to @epoch: by time, by a marker, or by xdp_activate(). */
static int
xdp_in_force(struct datapath *dp, uint32_t epoch)
{
	struct xdp_dp *x = dp->priv;
	struct dicap_xdp_slot slot;

	return dicap_xdp_active_slot(&x->ctl, &slot, NULL) == 0 && slot.epoch == epoch;
}

static int
xdp_refresh_lease(struct datapath *dp)
{
	struct xdp_dp *x = dp->priv;

	resample_clock(x);
	set_lease(x);
	/* Take frames off the slow path once a switch is done. */
	dicap_xdp_switch_due(&x->ctl, dp_clock_ns(CLOCK_TAI));
	return 0;
}

/*
 * Linux before 6.5 refuses every bpf(2) command to a process without
 * CAP_BPF while unprivileged BPF is disabled (Debian's default), map
 * lookups and updates through a descriptor it holds too; 6.5 moved the
 * check to map creation and program loading.  A child without any
 * capability reads the statistics map: refused, dicapd keeps CAP_BPF.
 */
static uint64_t
xdp_run_caps(struct datapath *dp)
{
	struct xdp_dp *x = dp->priv;
	struct dicap_xdp_stats s;
	pid_t pid;
	int st;

	if ((pid = fork()) == 0)
		_exit(dicap_caps_clear() == 0 && dicap_xdp_read_stats(&x->ctl, &s) == 0 ? 0 : 1);
	if (pid != -1 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	log_info("XDP: this kernel checks CAP_BPF at every map access: keeping CAP_BPF");
	return DICAP_CAP(CAP_BPF);
}

static int
xdp_counters(struct datapath *dp, struct dp_counters *c)
{
	static const struct {
		int dp, xdp;
	} map[] = {
		{ DP_SEEN, DICAP_DP_SEEN },
		{ DP_SELECTED, DICAP_DP_SELECTED },
		{ DP_NOT_MINE, DICAP_DP_NOT_MINE },
		{ DP_NON_IP, DICAP_DP_NON_IP },
		{ DP_MALFORMED, DICAP_DP_MALFORMED },
		{ DP_MARKERS_OK, DICAP_DP_MARKERS_OK },
		{ DP_MARKERS_BAD, DICAP_DP_MARKERS_BAD },
		{ DP_RINGBUF_FULL, DICAP_DP_RINGBUF_FULL },
		{ DP_LEASE_DROPS, DICAP_DP_LEASE_DROPS },
		{ DP_INACTIVE, DICAP_DP_INACTIVE },
		{ DP_RING_RECORDS, DICAP_DP_RING_RECORDS },
		{ DP_SLOT_SWITCHES, DICAP_DP_SWITCHES },
		{ DP_RING_ERRORS, DICAP_DP_RING_ERRORS },
	};
	struct xdp_dp *x = dp->priv;
	struct dicap_xdp_stats s;
	struct capture_counters cc;
	uint64_t mark;
	uint32_t key;
	size_t i;
	int rc;

	memset(c, 0, sizeof(*c));
	if ((rc = dicap_xdp_read_stats(&x->ctl, &s)) != 0) {
		log_debug("XDP: reading the counters: %s", strerror(-rc));
		return -1;
	}
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		c->v[map[i].dp] = s.v[map[i].xdp];
	c->v[DP_STAGE_ERRORS] = x->stage_errors;
	key = DICAP_XDP_RR_MARK;
	if (bpf_map_lookup_elem(x->ctl.rr_fd, &key, &mark) == 0)
		c->v[DP_RR_MARKER] = mark;
	if (x->cap == NULL)
		return 0;
	capture_counters(x->cap, &cc);
	c->v[DP_BATCHES_SENT] = cc.batches_sent;
	c->v[DP_RECORDS_SENT] = cc.records_sent;
	c->v[DP_BYTES_SENT] = cc.bytes_sent;
	c->v[DP_SEND_ERRORS] = cc.send_errors;
	c->v[DP_ANALYZER_SKIPS] = cc.analyzer_skips;
	c->v[DP_RECORDS_UNSENT] = cc.records_unsent;
	c->v[DP_QUEUE_DROPS] = cc.queue_drops;
	c->v[DP_TCP_CONNECTS] = cc.tcp_connects;
	c->v[DP_TCP_DISCONNECTS] = cc.tcp_disconnects;
	return 0;
}

static void
xdp_status_json(struct datapath *dp, struct jsonw *w)
{
	struct xdp_dp *x = dp->priv;
	struct dicap_xdp_slot slot;
	uint64_t now = dp_clock_ns(CLOCK_MONOTONIC), expiry;
	uint32_t key = 0;
	uint64_t c = 0;
	int pending = 0, have;

	have = dicap_xdp_active_slot(&x->ctl, &slot, &pending) == 0;
	expiry = __atomic_load_n(&x->ctl.cfg->lease_expiry_ns, __ATOMIC_ACQUIRE);
	jw_key(w, "xdp_mode");
	jw_str(w, x->attached);
	jw_key(w, "distribute");
	jw_bool(w, x->opt.distribute);
	jw_key(w, "capture");
	jw_bool(w, x->opt.capture);
	jw_key(w, "snaplen");
	jw_u64(w, x->opt.snaplen);
	jw_key(w, "lease_ms");
	jw_u64(w, x->lease_ms);
	jw_key(w, "lease_policy");
	jw_str(w, x->opt.lease_policy == DP_LEASE_DROP ? "drop" : "keep");
	jw_key(w, "lease_expired");
	jw_bool(w, now > expiry);
	jw_key(w, "program_epoch");
	have ? jw_u64(w, slot.epoch) : jw_null(w);
	jw_key(w, "program_pending");
	jw_bool(w, pending);
	jw_key(w, "program_mode");
	have ? jw_str(w, dicap_mode_name((int)slot.mode)) : jw_null(w);
	jw_key(w, "program_tunnel");
	have ? jw_str(w, dicap_tunnel_name(slot.sel_flags)) : jw_null(w);
	if (have && slot.mode == DICAP_MODE_RR) {
		bpf_map_lookup_elem(x->ctl.rr_fd, &key, &c);
		jw_key(w, "rr_counter");
		jw_u64(w, c);
	}
	if (x->cap != NULL) {
		jw_key(w, "transport");
		jw_str(w, x->opt.transport == DP_TRANSPORT_TCP ? "tcp" : "udp");
		jw_key(w, "analyzers");
		capture_status_json(x->cap, w);
	}
}

static void
xdp_close(struct datapath *dp)
{
	struct xdp_dp *x = dp->priv;

	if (x == NULL)
		return;
	xdp_free(x);
	dp->priv = NULL;
	log_debug("XDP program detached");
}

const struct datapath_ops datapath_xdp = {
	.name = "xdp",
	.summary = "the XDP program on IFACE: distribution and/or capture",
	.open = xdp_open,
	.load_topology = xdp_load_topology,
	.activate = xdp_activate,
	.refresh_lease = xdp_refresh_lease,
	.counters = xdp_counters,
	.close = xdp_close,
	.status_json = xdp_status_json,
	.in_force = xdp_in_force,
	.run_caps = xdp_run_caps,
};
