/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The XDP datapath program without traffic: load build/bpf/dicap_xdp.bpf.o
 * (or $DICAP_BPF_DIR/dicap_xdp.bpf.o) with libbpf, set its maps up with
 * lib/xdpctl.c exactly as dicapd does, and drive it frame by
 * frame with BPF_PROG_RUN:
 *   - every mode, N = 3: each corpus frame is passed by exactly one of the
 *     three positions, the one userspace computes;
 *   - capture: ring records carry the frame's first snaplen bytes, its
 *     length and a TAI timestamp; a full ring is counted;
 *   - the slot switch happens at the validity start, not before; dicapd's
 *     own switch when no frame comes; a newer topology replaces a pending
 *     one;
 *   - round-robin markers: wrong token or epoch rejected and counted, the
 *     right one switches and restarts C, a resync restarts C;
 *   - lease expiry under both policies;
 *   - the counters add up.
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bucket_table.h"
#include "frames.h"
#include "dicap/select.h"
#include "tap.h"
#include "tap_libbpf.h"
#include "xdpctl.h"

#define CORPUS_SEED	11
#define REC_CAP		128	/* dicap_rec_cap for this test */
#define N_NODES		3

static struct frame corpus[FRAMES_CORPUS_MAX];
static size_t n_corpus;
static const char *const mode_list[] = { "rr", "ipid", "packet", "flow", "host" };

static struct bpf_object *obj;
static struct dicap_xdp_ctl ctl;
static int prog_fd, ring_fd;
static uint64_t runs_total;	/* frames the program has seen, repeats included */
static uint32_t next_epoch = 1;

static uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* A read-only global of the object, before load: found through its BTF. */
static int
set_rodata_u32(const char *name, uint32_t value)
{
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec, *var;
	struct bpf_map *map;
	struct btf *btf = bpf_object__btf(obj);
	size_t size;
	const void *init;
	uint8_t *copy;
	int id, i, rc = -1;

	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	if (btf == NULL || id < 0)
		return -1;
	sec = btf__type_by_id(btf, (uint32_t)id);
	bpf_object__for_each_map(map, obj) {
		const char *n = bpf_map__name(map);

		if (strlen(n) >= 7 && strcmp(n + strlen(n) - 7, ".rodata") == 0)
			break;
	}
	if (map == NULL || (init = bpf_map__initial_value(map, &size)) == NULL)
		return -1;
	vs = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		var = btf__type_by_id(btf, vs->type);
		if (strcmp(btf__name_by_offset(btf, var->name_off), name) != 0 ||
		    vs->size != sizeof(value) || vs->offset + sizeof(value) > size)
			continue;
		if ((copy = malloc(size)) == NULL)
			return -1;
		memcpy(copy, init, size);
		memcpy(copy + vs->offset, &value, sizeof(value));
		rc = bpf_map__set_initial_value(map, copy, size);
		free(copy);
	}
	return rc;
}

static int
map_fd(const char *name, size_t value_size)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	if (m == NULL) {
		diag("map %s missing", name);
		return -1;
	}
	if (value_size != 0 && bpf_map__value_size(m) != value_size) {
		diag("map %s: value is %u bytes, include/dicap/xdp_kern_user.h says %zu", name,
		    bpf_map__value_size(m), value_size);
		return -1;
	}
	return bpf_map__fd(m);
}

static void
report_size(void)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) == 0)
		diag("dicap_xdp: %u BPF instructions, %u verified instructions "
		    "(limit 1000000), %u bytes JITed", info.xlated_prog_len / 8,
		    info.verified_insns, info.jited_prog_len);
}

static int
load(const char *path)
{
	struct bpf_program *prog;
	void *cfg;
	int err, cfg_fd;

	if ((obj = bpf_object__open_file(path, NULL)) == NULL) {
		diag("open %s: %s", path, strerror(errno));
		return -1;
	}
	if (set_rodata_u32("dicap_rec_cap", REC_CAP) != 0) {
		diag("%s: no read-only dicap_rec_cap to set", path);
		return -1;
	}
	if ((err = bpf_object__load(obj)) != 0) {
		diag("load %s: %s (verifier log above)", path, strerror(-err));
		return -1;
	}
	prog = bpf_object__find_program_by_name(obj, "dicap_xdp");
	if (prog == NULL) {
		diag("%s: program dicap_xdp missing", path);
		return -1;
	}
	prog_fd = bpf_program__fd(prog);
	cfg_fd = map_fd("dicap_config", sizeof(struct dicap_xdp_config));
	ctl.slots_fd = map_fd("dicap_slots", sizeof(struct dicap_xdp_slot));
	ctl.tables_fd = map_fd("dicap_tables", sizeof(struct dicap_xdp_table));
	ctl.rr_fd = map_fd("dicap_rr", sizeof(uint64_t));
	ctl.stats_fd = map_fd("dicap_stats", sizeof(struct dicap_xdp_stats));
	ring_fd = map_fd("dicap_ring", 0);
	ctl.ncpus = libbpf_num_possible_cpus();
	if (cfg_fd < 0 || ctl.slots_fd < 0 || ctl.tables_fd < 0 || ctl.rr_fd < 0 ||
	    ctl.stats_fd < 0 || ring_fd < 0 || ctl.ncpus <= 0)
		return -1;
	cfg = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_SHARED,
	    cfg_fd, 0);
	if (cfg == MAP_FAILED) {
		diag("mmap dicap_config: %s", strerror(errno));
		return -1;
	}
	ctl.cfg = cfg;
	report_size();
	return 0;
}

/* One frame through the program; its verdict, or -1. */
static int
run_repeat(const uint8_t *buf, size_t len, uint32_t repeat, uint32_t *avg_ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
	    .data_in = buf,
	    .data_size_in = (__u32)len,
	    .repeat = repeat,
	);

	if (bpf_prog_test_run_opts(prog_fd, &opts) != 0) {
		diag("BPF_PROG_RUN on %zu bytes: %s", len, strerror(errno));
		return -1;
	}
	runs_total += repeat;
	if (avg_ns != NULL)
		*avg_ns = opts.duration;
	return (int)opts.retval;
}

static int
run(const struct frame *f)
{
	return run_repeat(f->buf, f->len, 1, NULL);
}

static uint64_t
rr_value(void)
{
	uint32_t key = 0;
	uint64_t v = UINT64_MAX;

	bpf_map_lookup_elem(ctl.rr_fd, &key, &v);
	return v;
}

/* A dicap_rr entry: DICAP_XDP_RR_MARK (the report), DICAP_XDP_RR_SUM. */
static uint64_t
rr_entry(uint32_t key)
{
	uint64_t v = UINT64_MAX;

	bpf_map_lookup_elem(ctl.rr_fd, &key, &v);
	return v;
}

static struct dicap_xdp_stats
stats(void)
{
	struct dicap_xdp_stats s;

	if (dicap_xdp_read_stats(&ctl, &s) != 0)
		memset(&s, 0xff, sizeof(s));
	return s;
}

#define DELTA(a, b, ctr)	((long long)((b).v[ctr] - (a).v[ctr]))

/* The epoch the program uses, or -1 with nothing active. */
static long long
active_epoch(int *pending)
{
	struct dicap_xdp_slot slot;

	if (dicap_xdp_active_slot(&ctl, &slot, pending) != 0)
		return -1;
	return slot.epoch;
}

static void
make_token(uint32_t epoch, uint8_t *token)
{
	int i;

	for (i = 0; i < 16; i++)
		token[i] = (uint8_t)(epoch * 37 + (uint32_t)i * 101 + 7);
}

/* The last marker's sequence number: each marker carries the next one. */
static uint32_t marker_seq = 100;

static void
make_marker_flags(struct frame *f, uint32_t epoch, const uint8_t *token, uint32_t flags)
{
	static const uint8_t src[6] = { 0x02, 0x00, 0xc6, 0x12, 0x00, 0x01 };

	memset(f, 0, sizeof(*f));
	marker_seq = (marker_seq + 1) | flags;
	f->len = dicap_marker_build(f->buf, src, epoch, token, marker_seq);
	marker_seq &= ~DICAP_MARKER_SEQ_REPORT;
	snprintf(f->desc, sizeof(f->desc), "marker epoch %u", epoch);
}

static void
make_marker(struct frame *f, uint32_t epoch, const uint8_t *token)
{
	make_marker_flags(f, epoch, token, 0);
	snprintf(f->desc, sizeof(f->desc), "marker epoch %u", epoch);
}

/* Stage a topology as dicapd would; its epoch, or 0 on failure. */
static uint32_t
stage(uint32_t mode, uint32_t n, uint32_t position, uint64_t validity_tai,
    int with_token, const uint16_t *table)
{
	struct dicap_xdp_topo t;
	int rc;

	memset(&t, 0, sizeof(t));
	t.mode = mode;
	t.n = n;
	t.position = position;
	t.epoch = next_epoch++;
	t.validity_tai_ns = validity_tai;
	t.has_token = with_token;
	make_token(t.epoch, t.token);
	t.table = mode == DICAP_MODE_RR ? NULL : table;
	if ((rc = dicap_xdp_stage(&ctl, &t)) < 0) {
		diag("stage epoch %u: %s", t.epoch, strerror(-rc));
		return 0;
	}
	return t.epoch;
}

static uint64_t
past(void)
{
	return clock_ns(CLOCK_TAI) - 1000000000ULL;
}

static void
set_actions(uint32_t actions, uint32_t snaplen)
{
	ctl.cfg->actions = actions;
	ctl.cfg->snaplen = snaplen;
}

/* Table of a one-member topology: every bucket is position 0's. */
static uint16_t all_mine[DICAP_BUCKETS];

static void
check_inactive(const struct frame *f)
{
	struct dicap_xdp_stats a = stats(), b;
	uint8_t token[16] = { 0 };
	struct frame mk;
	int rc;

	rc = run(f);
	b = stats();
	ok(rc == XDP_DROP && DELTA(a, b, DICAP_DP_INACTIVE) == 1 &&
	    DELTA(a, b, DICAP_DP_SEEN) == 1,
	    "before any topology: the frame is dropped and counted inactive");

	make_marker(&mk, 7, token);
	a = stats();
	rc = run(&mk);
	b = stats();
	ok(rc == XDP_DROP && DELTA(a, b, DICAP_DP_INACTIVE) == 1 &&
	    DELTA(a, b, DICAP_DP_MARKERS_BAD) == 0,
	    "before any topology: a marker is dropped and counted inactive, not bad");
}

/* Userspace's owner of corpus frame @k: the bucket table, or C mod N. */
static uint32_t
expected_owner(int mode, const uint16_t *table, size_t k, uint64_t c)
{
	struct dicap_pkt p;
	const struct frame *f = &corpus[k];

	if (mode == DICAP_MODE_RR)
		return dicap_rr_owner(c, N_NODES);
	return table[dicap_select_bucket(mode, 0, f->buf, f->buf + f->len, &p)];
}

static void
check_mode(int mode, const uint16_t *table)
{
	static unsigned char passes[FRAMES_CORPUS_MAX];
	struct dicap_xdp_stats a, b;
	struct frame mk;
	size_t k, frames, once = 0, wrong_owner = 0, bad_rc = 0, bad_ctr = 0;
	long long non_ip = 0, malformed = 0, want_non_ip = 0, want_malformed = 0;
	struct dicap_pkt p;
	uint32_t pos, epoch;
	uint64_t c;
	int rc;

	memset(passes, 0, sizeof(passes));
	set_actions(DICAP_DP_ACT_PASS, 0);
	for (pos = 0; pos < N_NODES; pos++) {
		epoch = stage((uint32_t)mode, N_NODES, pos, past(), 1, table);
		{	/* with a token, every mode switches at its marker */
			uint8_t token[16];

			make_token(epoch, token);
			make_marker(&mk, epoch, token);
			run(&mk);
		}
		a = stats();
		frames = 0;
		c = 0;
		for (k = 0; k < n_corpus; k++) {
			if (corpus[k].len < ETH_HLEN)
				continue;	/* BPF_PROG_RUN needs an Ethernet header */
			rc = run(&corpus[k]);
			frames++;
			if (rc != XDP_PASS && rc != XDP_DROP) {
				if (bad_rc++ < 3)
					diag("%s frame %zu: verdict %d", mode_list[mode], k, rc);
				continue;
			}
			if ((rc == XDP_PASS) != (expected_owner(mode, table, k, c) == pos) &&
			    wrong_owner++ < 3)
				diag("%s position %u frame %zu (%s): verdict %s, userspace owner %u",
				    mode_list[mode], pos, k, corpus[k].desc,
				    rc == XDP_PASS ? "PASS" : "DROP",
				    expected_owner(mode, table, k, c));
			passes[k] += rc == XDP_PASS;
			c++;
		}
		b = stats();
		non_ip += DELTA(a, b, DICAP_DP_NON_IP);
		malformed += DELTA(a, b, DICAP_DP_MALFORMED);
		if (active_epoch(NULL) != epoch) {
			bad_ctr++;
			diag("%s position %u: epoch %lld active, not %u", mode_list[mode], pos,
			    active_epoch(NULL), epoch);
		}
		if (DELTA(a, b, DICAP_DP_SEEN) != (long long)frames ||
		    DELTA(a, b, DICAP_DP_SELECTED) + DELTA(a, b, DICAP_DP_NOT_MINE) !=
		    (long long)frames) {
			bad_ctr++;
			diag("%s position %u: %zu frames, seen %lld, selected %lld, not mine %lld",
			    mode_list[mode], pos, frames, DELTA(a, b, DICAP_DP_SEEN),
			    DELTA(a, b, DICAP_DP_SELECTED), DELTA(a, b, DICAP_DP_NOT_MINE));
		}
	}
	for (k = 0; k < n_corpus; k++) {
		once += corpus[k].len < ETH_HLEN || passes[k] == 1;
		if (corpus[k].len < ETH_HLEN)
			continue;
		dicap_parse(corpus[k].buf, corpus[k].buf + corpus[k].len, &p);
		want_non_ip += p.cls == DICAP_PKT_NON_IP;
		want_malformed += p.cls != DICAP_PKT_NON_IP && p.cls != DICAP_PKT_OK;
	}
	ok(bad_rc == 0, "%s: every verdict is XDP_PASS or XDP_DROP", mode_list[mode]);
	ok(once == n_corpus, "%s: each of %zu frames passed by exactly one of %d positions",
	    mode_list[mode], n_corpus, N_NODES);
	ok(wrong_owner == 0, "%s: the passing position is the one userspace computes",
	    mode_list[mode]);
	ok(bad_ctr == 0, "%s: epoch switched, seen = selected + not mine per position",
	    mode_list[mode]);
	ok(non_ip == want_non_ip && malformed == want_malformed,
	    "%s: non_ip %lld and malformed %lld, of the positions' own frames, sum to "
	    "the corpus's %lld and %lld", mode_list[mode], non_ip, malformed, want_non_ip,
	    want_malformed);
}

static void
check_modes(void)
{
	struct dicap_member m[N_NODES] = { { 0x1001, 1 }, { 0x2002, 1 }, { 0x3003, 1 } };
	static uint16_t table[DICAP_BUCKETS];
	const char *why = NULL;
	int mode;

	if (dicap_members_normalize(m, N_NODES, &why) != 0 ||
	    dicap_table_build(m, N_NODES, table, &why) != 0) {
		ok(0, "bucket table for 3 members: %s", why ? why : "?");
		return;
	}
	for (mode = DICAP_MODE_RR; mode <= DICAP_MODE_MAX; mode++)
		check_mode(mode, table);
}

/* Ring records, collected by the ring_buffer callback. */
struct rec_seen {
	uint64_t ts;
	uint32_t wirelen;
	uint16_t caplen;
	uint8_t data[REC_CAP];
	int size_ok;
};

static struct rec_seen recs[64];
static size_t n_recs, n_recs_total;

static int
ring_cb(void *ctx, void *data, size_t size)
{
	const struct dicap_xdp_rec *r = data;
	struct rec_seen *s;

	(void)ctx;
	n_recs_total++;
	if (n_recs >= sizeof(recs) / sizeof(recs[0]))
		return 0;
	s = &recs[n_recs++];
	s->size_ok = size == DICAP_XDP_REC_HDR + REC_CAP;
	if (size < DICAP_XDP_REC_HDR)
		return 0;
	s->ts = r->ts_tai_ns;
	s->wirelen = r->wirelen;
	s->caplen = r->caplen;
	memcpy(s->data, (const uint8_t *)data + DICAP_XDP_REC_HDR,
	    s->caplen <= REC_CAP ? s->caplen : REC_CAP);
	return 0;
}

/* Run @count corpus frames from @first; check their records. */
static void
check_ring_run(struct ring_buffer *rb, uint32_t actions, uint32_t snaplen, size_t first,
    size_t count)
{
	size_t k, i, bad = 0;
	uint64_t t0, t1;
	int want = actions & DICAP_DP_ACT_PASS ? XDP_PASS : XDP_DROP, bad_rc = 0;

	set_actions(actions, snaplen);
	n_recs = 0;
	t0 = clock_ns(CLOCK_TAI);
	for (k = first, i = 0; i < count && k < n_corpus; k++) {
		if (corpus[k].len < ETH_HLEN)
			continue;
		bad_rc += run(&corpus[k]) != want;
		i++;
	}
	t1 = clock_ns(CLOCK_TAI);
	ring_buffer__consume(rb);
	for (k = first, i = 0; i < n_recs && k < n_corpus; k++) {
		const struct frame *f = &corpus[k];
		size_t cap = f->len < snaplen ? f->len : snaplen;
		const struct rec_seen *r = &recs[i];

		if (f->len < ETH_HLEN)
			continue;
		if (cap > REC_CAP)
			cap = REC_CAP;
		if (!r->size_ok || r->wirelen != f->len || r->caplen != cap ||
		    memcmp(r->data, f->buf, cap) != 0 || r->ts < t0 || r->ts > t1) {
			if (bad++ < 3)
				diag("record %zu (frame %s): wirelen %u caplen %u ts %+lld ns",
				    i, f->desc, r->wirelen, r->caplen, (long long)(r->ts - t0));
		}
		i++;
	}
	ok(bad_rc == 0, "actions %#x: verdict %s for every selected frame", actions,
	    want == XDP_PASS ? "PASS" : "DROP");
	ok(n_recs == count && bad == 0, "snaplen %u: %zu records of %zu frames, each with the "
	    "frame's length, first bytes and a TAI time", snaplen, n_recs, count);
}

static void
check_ring(void)
{
	struct dicap_xdp_stats a, b;
	struct ring_buffer *rb;
	struct frame f;
	size_t drained;
	uint32_t ns = 0;

	rb = ring_buffer__new(ring_fd, ring_cb, NULL, NULL);
	if (!ok(rb != NULL, "ring buffer opened"))
		return;
	stage(DICAP_MODE_PACKET, 1, 0, past(), 0, all_mine);
	ctl.cfg->wakeup_every = DICAP_XDP_WAKEUP_EVERY;
	check_ring_run(rb, DICAP_DP_ACT_RING, 64, 0, 40);
	check_ring_run(rb, DICAP_DP_ACT_RING | DICAP_DP_ACT_PASS, 64, 100, 40);
	check_ring_run(rb, DICAP_DP_ACT_RING, 1000, 200, 40);

	/* No consumer: the ring fills up, and that is counted. */
	set_actions(DICAP_DP_ACT_RING, 96);
	f = corpus[n_corpus / 2];
	a = stats();
	run_repeat(f.buf, f.len, 40000, &ns);
	b = stats();
	n_recs = n_recs_total = 0;
	ring_buffer__consume(rb);
	drained = n_recs_total;
	ok(DELTA(a, b, DICAP_DP_RINGBUF_FULL) > 0 &&
	    DELTA(a, b, DICAP_DP_RING_RECORDS) + DELTA(a, b, DICAP_DP_RINGBUF_FULL) == 40000 &&
	    (long long)drained == DELTA(a, b, DICAP_DP_RING_RECORDS),
	    "a full ring: %lld records, %lld counted ringbuf_full, %zu drained",
	    DELTA(a, b, DICAP_DP_RING_RECORDS), DELTA(a, b, DICAP_DP_RINGBUF_FULL), drained);
	ring_buffer__free(rb);
	set_actions(DICAP_DP_ACT_PASS, 0);
}

static const struct frame *
some_frame(void)
{
	return &corpus[3];
}

static void
check_switch(void)
{
	struct dicap_xdp_stats a, b;
	uint32_t e1, e2, e3, e4;
	uint64_t v;
	int pending = 0, rc1, rc2, rc3;

	set_actions(DICAP_DP_ACT_PASS, 0);
	e1 = stage(DICAP_MODE_FLOW, 1, 0, past(), 0, all_mine);
	rc1 = run(some_frame());
	ok(rc1 == XDP_PASS && active_epoch(&pending) == e1 && !pending,
	    "validity in the past: the next frame switches (epoch %u, PASS)", e1);

	a = stats();
	v = clock_ns(CLOCK_TAI) + 400000000ULL;
	e2 = stage(DICAP_MODE_FLOW, 1, DICAP_DP_NOT_MEMBER, v, 0, all_mine);
	rc1 = run(some_frame());
	sleep_ms(200);
	rc2 = run(some_frame());
	ok(rc1 == XDP_PASS && rc2 == XDP_PASS && active_epoch(&pending) == e1 && pending,
	    "validity in the future: the old topology holds before it");
	while (clock_ns(CLOCK_TAI) < v)
		sleep_ms(10);
	rc3 = run(some_frame());
	b = stats();
	ok(rc3 == XDP_DROP && active_epoch(&pending) == e2 && !pending &&
	    DELTA(a, b, DICAP_DP_SWITCHES) == 1,
	    "past the validity start: the first frame switches to epoch %u (not a member: DROP)",
	    e2);
	is(dicap_xdp_switch_due(&ctl, clock_ns(CLOCK_TAI)), 0,
	    "dicapd's timer finds the switch done");
	ok(ctl.cfg->switch_at_tai == DICAP_DP_NEVER, "... and takes frames off the slow path");

	v = clock_ns(CLOCK_TAI) + 100000000ULL;
	e3 = stage(DICAP_MODE_FLOW, 1, 0, v, 0, all_mine);
	is(dicap_xdp_switch_due(&ctl, clock_ns(CLOCK_TAI)), 0,
	    "dicapd does not switch before the validity start");
	sleep_ms(150);
	is(dicap_xdp_switch_due(&ctl, clock_ns(CLOCK_TAI)), 1,
	    "without frames, dicapd's timer switches at the validity start");
	ok(active_epoch(&pending) == e3 && !pending && run(some_frame()) == XDP_PASS,
	    "epoch %u active, frames pass", e3);

	e4 = stage(DICAP_MODE_FLOW, 1, DICAP_DP_NOT_MEMBER, clock_ns(CLOCK_TAI) + 10000000000ULL,
	    0, all_mine);
	e4 = stage(DICAP_MODE_PACKET, 1, 0, past(), 0, all_mine);
	rc1 = run(some_frame());
	ok(rc1 == XDP_PASS && active_epoch(&pending) == e4 && !pending,
	    "a newer topology replaces the pending one (epoch %u, never %u)", e4, e4 - 1);

	/* Round-robin without a marker token switches by time, C from 0. */
	bpf_map_update_elem(ctl.rr_fd, &(uint32_t){ 0 }, &(uint64_t){ 999 }, BPF_ANY);
	e1 = stage(DICAP_MODE_RR, N_NODES, 2, past(), 0, NULL);
	rc1 = run(some_frame());
	rc2 = run(some_frame());
	rc3 = run(some_frame());
	ok(active_epoch(NULL) == e1 && rr_value() == 3 && rc1 == XDP_DROP && rc2 == XDP_DROP &&
	    rc3 == XDP_PASS, "rr without a token: switched at its time, C restarted at 0");
}

/*
 * The flag staged with lib/xdpctl.c is the one the program selects with:
 * position 0 of 3 in @mode, tunnel outer and then inner, passes exactly the
 * frames userspace gives it with the same flag, and some tunnelled frames
 * of the corpus change owner between the two.
 */
static void
check_flag_owners(int mode)
{
	static const uint32_t flag_set[] = { DICAP_SEL_TUNNEL_OUTER, 0 };
	struct dicap_member m[N_NODES] = { { 0x1001, 1 }, { 0x2002, 1 }, { 0x3003, 1 } };
	static uint16_t table[DICAP_BUCKETS];
	struct dicap_xdp_topo t;
	struct dicap_pkt p;
	const struct frame *f;
	size_t k, wrong = 0, moved = 0, runs = 0;
	uint16_t own[2];
	const char *why = NULL;
	int i, rc;

	if (dicap_members_normalize(m, N_NODES, &why) != 0 ||
	    dicap_table_build(m, N_NODES, table, &why) != 0) {
		ok(0, "bucket table for 3 members: %s", why ? why : "?");
		return;
	}
	for (i = 0; i < 2; i++) {
		memset(&t, 0, sizeof(t));
		t.mode = (uint32_t)mode;
		t.sel_flags = flag_set[i];
		t.n = N_NODES;
		t.epoch = next_epoch++;
		t.validity_tai_ns = past();
		t.table = table;
		if (dicap_xdp_stage(&ctl, &t) < 0) {
			ok(0, "%s: stage with selection flags %u", mode_list[mode], flag_set[i]);
			return;
		}
		for (k = 0; k < n_corpus; k++) {
			f = &corpus[k];
			if (f->len < ETH_HLEN)
				continue;
			own[i] = table[dicap_select_bucket(mode, flag_set[i], f->buf,
			    f->buf + f->len, &p)];
			rc = run(f);
			runs++;
			if ((rc == XDP_PASS) != (own[i] == 0) && wrong++ < 3)
				diag("%s, tunnel %s, frame %zu (%s): %s, userspace owner %u",
				    mode_list[mode], flag_set[i] ? "outer" : "inner", k, f->desc,
				    rc == XDP_PASS ? "PASS" : "DROP", own[i]);
			if (i == 1 && own[1] != table[dicap_select_bucket(mode, flag_set[0], f->buf,
			    f->buf + f->len, &p)])
				moved++;
		}
	}
	ok(wrong == 0 && runs > 0, "%s: with tunnel outer, then inner, the program passes what "
	    "userspace owns with the same flag (%zu runs)", mode_list[mode], runs);
	ok(moved > 0, "%s: %zu corpus frames change owner between tunnel outer and inner",
	    mode_list[mode], moved);
}

/* dicapd's selection flags reach the slot the program reads (lib/xdpctl.c). */
static void
check_sel_flags(void)
{
	struct dicap_xdp_slot slot;
	struct dicap_xdp_topo t;
	int pending = 1, rc;

	set_actions(DICAP_DP_ACT_PASS, 0);
	memset(&t, 0, sizeof(t));
	t.mode = DICAP_MODE_HOST;
	t.sel_flags = DICAP_SEL_TUNNEL_OUTER;
	t.n = 1;
	t.epoch = next_epoch++;
	t.validity_tai_ns = past();
	t.table = all_mine;
	rc = dicap_xdp_stage(&ctl, &t);
	ok(rc >= 0 && dicap_xdp_pending_slot(&ctl, &slot) == 0 && slot.epoch == t.epoch &&
	    slot.mode == DICAP_MODE_HOST && slot.sel_flags == DICAP_SEL_TUNNEL_OUTER,
	    "a staged slot holds mode host and the tunnel-outer flag");
	run(some_frame());
	ok(dicap_xdp_active_slot(&ctl, &slot, &pending) == 0 && slot.epoch == t.epoch &&
	    !pending && slot.sel_flags == DICAP_SEL_TUNNEL_OUTER,
	    "... and keeps the flag once the program switched to it");
	t.mode = DICAP_MODE_FLOW;
	t.sel_flags = 0;
	t.epoch = next_epoch++;
	rc = dicap_xdp_stage(&ctl, &t);
	ok(rc >= 0 && dicap_xdp_pending_slot(&ctl, &slot) == 0 && slot.epoch == t.epoch &&
	    slot.sel_flags == 0, "the next topology, tunnel inner, clears it in the other slot");
	run(some_frame());
	check_flag_owners(DICAP_MODE_FLOW);
	check_flag_owners(DICAP_MODE_HOST);
}

static void
check_markers(void)
{
	struct dicap_xdp_stats a, b;
	uint8_t token[16], wrong[16];
	struct frame mk, f;
	uint32_t e0, e, eh;
	int pending = 0, i, rc, passed = 0;

	set_actions(DICAP_DP_ACT_PASS, 0);
	e0 = stage(DICAP_MODE_PACKET, 1, 0, past(), 0, all_mine);
	run(some_frame());
	e = stage(DICAP_MODE_RR, N_NODES, 0, past(), 1, NULL);
	make_token(e, token);
	memcpy(wrong, token, 16);
	wrong[15] ^= 1;

	a = stats();
	rc = run(some_frame());
	ok(rc == XDP_PASS && active_epoch(&pending) == e0 && pending,
	    "rr with a token: no switch by time, epoch %u holds", e0);
	make_marker(&mk, e, wrong);
	rc = run(&mk);
	make_marker(&mk, e + 1, token);
	rc |= run(&mk);
	make_marker(&mk, e0, token);
	rc |= run(&mk);
	b = stats();
	ok(rc == XDP_DROP && DELTA(a, b, DICAP_DP_MARKERS_BAD) == 3 &&
	    active_epoch(&pending) == e0 && pending,
	    "markers with a wrong token or epoch: dropped, counted, nothing changes");

	bpf_map_update_elem(ctl.rr_fd, &(uint32_t){ 0 }, &(uint64_t){ 12345 }, BPF_ANY);
	make_marker(&mk, e, token);
	a = stats();
	rc = run(&mk);
	b = stats();
	ok(rc == XDP_DROP && DELTA(a, b, DICAP_DP_MARKERS_OK) == 1 &&
	    active_epoch(&pending) == e && !pending && rr_value() == 0 &&
	    rr_entry(DICAP_XDP_RR_SUM) == 0 && rr_entry(DICAP_XDP_RR_MARK) == 0,
	    "the right marker switches to epoch %u and restarts C and the report's sum"
	    " (dropped itself)", e);
	for (i = 0; i < 7; i++)
		passed += run(&corpus[i + 20]) == XDP_PASS;
	ok(rr_value() == 7 && passed == 3, "7 frames: C = %llu, position 0 of 3 passed %d",
	    (unsigned long long)rr_value(), passed);
	make_marker(&mk, e, token);
	rc = run(&mk);
	ok(rc == XDP_DROP && rr_value() == 0 && active_epoch(NULL) == e &&
	    rr_entry(DICAP_XDP_RR_SUM) == 8 && rr_entry(DICAP_XDP_RR_MARK) == 0,
	    "a marker for the active epoch resynchronises C; the sum holds 7 frames and it");
	for (i = 0; i < 3; i++)
		run(&corpus[i + 20]);
	make_marker_flags(&mk, e, token, DICAP_MARKER_SEQ_REPORT);
	rc = run(&mk);
	ok(rc == XDP_DROP && rr_value() == 0 && rr_entry(DICAP_XDP_RR_SUM) == 0 &&
	    rr_entry(DICAP_XDP_RR_MARK) ==
	    DICAP_RR_MARK(marker_seq | DICAP_MARKER_SEQ_REPORT, 12),
	    "a report marker hands dicapd its sequence number and the 12 frames since the switch"
	    " (%#llx)", (unsigned long long)rr_entry(DICAP_XDP_RR_MARK));
	run(&corpus[20]);
	mk.len = DICAP_MARKER_LEN + 2;	/* too short for a sequence number */
	rc = run(&mk);
	ok(rc == XDP_DROP && rr_value() == 0 && rr_entry(DICAP_XDP_RR_SUM) == 2 &&
	    rr_entry(DICAP_XDP_RR_MARK) ==
	    DICAP_RR_MARK(marker_seq | DICAP_MARKER_SEQ_REPORT, 12),
	    "a marker without a sequence number resynchronises and reports nothing");
	make_marker(&mk, e, token);
	run(&mk);
	ok(rr_entry(DICAP_XDP_RR_SUM) == 3, "so does one without the report flag");

	/* The EtherType alone does not make a marker. */
	memset(&f, 0, sizeof(f));
	memcpy(f.buf, mk.buf, 14);
	memcpy(f.buf + 14, "DCMX", 4);
	f.len = 60;
	a = stats();
	rc = run(&f);
	b = stats();
	ok(rc == XDP_PASS && rr_value() == 1 && DELTA(a, b, DICAP_DP_SELECTED) == 1 &&
	    DELTA(a, b, DICAP_DP_MARKERS_BAD) == 0,
	    "0x88B5 without the magic is ordinary traffic (C = 0: position 0 takes it)");
	f.len = 30;
	memcpy(f.buf + 14, "DCMK", 4);
	a = stats();
	run(&f);
	b = stats();
	ok(DELTA(a, b, DICAP_DP_MARKERS_BAD) == 0 && DELTA(a, b, DICAP_DP_MARKERS_OK) == 0 &&
	    rr_value() == 2, "a marker cut short is ordinary traffic");

	/*
	 * A hash-mode topology with a token switches at its marker only, as a
	 * round-robin one does: past its validity start it still waits.
	 */
	eh = stage(DICAP_MODE_FLOW, 1, 0, past(), 1, all_mine);
	run(some_frame());
	ok(active_epoch(&pending) != eh && pending,
	    "a hash-mode topology with a token is not switched by time");
	make_token(eh, token);
	make_marker(&mk, eh, token);
	rc = run(&mk);
	ok(rc == XDP_DROP && active_epoch(&pending) == eh && !pending,
	    "a hash-mode topology with a token switches at its marker");

	/* A node that missed the switch marker catches up at a report marker. */
	e = stage(DICAP_MODE_RR, N_NODES, 0, past(), 1, NULL);
	make_token(e, token);
	bpf_map_update_elem(ctl.rr_fd, &(uint32_t){ DICAP_XDP_RR_C }, &(uint64_t){ 5 }, BPF_ANY);
	bpf_map_update_elem(ctl.rr_fd, &(uint32_t){ DICAP_XDP_RR_SUM }, &(uint64_t){ 9 }, BPF_ANY);
	make_marker_flags(&mk, e, token, DICAP_MARKER_SEQ_REPORT);
	rc = run(&mk);
	ok(rc == XDP_DROP && active_epoch(NULL) == e && rr_value() == 0 &&
	    rr_entry(DICAP_XDP_RR_SUM) == 0 &&
	    rr_entry(DICAP_XDP_RR_MARK) == DICAP_RR_MARK(marker_seq | DICAP_MARKER_SEQ_REPORT, 15),
	    "a report marker that switches reports what the sum held, then restarts it");
}

static void
check_lease(void)
{
	struct dicap_xdp_stats a, b;
	struct frame mk;
	uint8_t token[16];
	uint32_t e;
	int rc1, rc2, rc3, i;

	set_actions(DICAP_DP_ACT_PASS, 0);
	stage(DICAP_MODE_FLOW, 1, 0, past(), 0, all_mine);
	run(some_frame());
	a = stats();
	ctl.cfg->lease_policy = DICAP_DP_LEASE_KEEP;
	dicap_xdp_set_lease(&ctl, 1);
	rc1 = run(some_frame());
	ctl.cfg->lease_policy = DICAP_DP_LEASE_DROP;
	rc2 = run(some_frame());
	dicap_xdp_set_lease(&ctl, clock_ns(CLOCK_MONOTONIC) + 10000000000ULL);
	rc3 = run(some_frame());
	b = stats();
	ok(rc1 == XDP_PASS, "lease expired, policy keep: the share is still passed");
	ok(rc2 == XDP_DROP && DELTA(a, b, DICAP_DP_LEASE_DROPS) == 1,
	    "lease expired, policy drop: dropped and counted");
	ok(rc3 == XDP_PASS, "lease refreshed: passed again");

	/* C keeps counting under a dropping lease, so it stays in step. */
	e = stage(DICAP_MODE_RR, N_NODES, 1, past(), 1, NULL);
	make_token(e, token);
	make_marker(&mk, e, token);
	run(&mk);
	dicap_xdp_set_lease(&ctl, 1);
	for (i = 0; i < 4; i++)
		rc1 = run(some_frame());
	ok(rc1 == XDP_DROP && rr_value() == 4, "C counts frames dropped by the lease (C = %llu)",
	    (unsigned long long)rr_value());
	ctl.cfg->lease_policy = DICAP_DP_LEASE_KEEP;
	dicap_xdp_set_lease(&ctl, clock_ns(CLOCK_MONOTONIC) + 10000000000ULL);
}

/* Per-frame cost with BPF_PROG_RUN's repeat: a diagnostic, not a test. */
static void
report_cost(const uint16_t *table)
{
	const struct frame *f = &corpus[0];
	uint32_t ns_sel = 0, ns_drop = 0, ns_ring = 0;
	int mode;

	for (mode = DICAP_MODE_RR; mode <= DICAP_MODE_MAX; mode++) {
		set_actions(DICAP_DP_ACT_PASS, 0);
		stage((uint32_t)mode, 1, 0, past(), 0, table);
		run_repeat(f->buf, f->len, 100000, &ns_sel);
		stage((uint32_t)mode, 1, DICAP_DP_NOT_MEMBER, past(), 0, table);
		run_repeat(f->buf, f->len, 100000, &ns_drop);
		diag("%s: %u ns per selected frame, %u ns per frame of another node",
		    mode_list[mode], ns_sel, ns_drop);
	}
	set_actions(DICAP_DP_ACT_RING, 96);
	stage(DICAP_MODE_FLOW, 1, 0, past(), 0, table);
	run_repeat(f->buf, f->len, 10000, &ns_ring);
	diag("flow, capture (ring record, no consumer): %u ns per frame", ns_ring);
	set_actions(DICAP_DP_ACT_PASS, 0);
}

static void
check_sums(void)
{
	struct dicap_xdp_stats s = stats();
	unsigned long long ends = s.v[DICAP_DP_SELECTED] + s.v[DICAP_DP_NOT_MINE] +
	    s.v[DICAP_DP_MARKERS_OK] + s.v[DICAP_DP_MARKERS_BAD] +
	    s.v[DICAP_DP_LEASE_DROPS] + s.v[DICAP_DP_INACTIVE];
	int i;

	for (i = 0; i < DICAP_DP_CTR_MAX; i++)
		diag("counter %d: %llu", i, (unsigned long long)s.v[i]);
	is(s.v[DICAP_DP_SEEN], runs_total, "seen counts every frame run (%llu)",
	    (unsigned long long)runs_total);
	is(ends, s.v[DICAP_DP_SEEN],
	    "seen = selected + not mine + markers ok/bad + lease drops + inactive");
	ok(s.v[DICAP_DP_NON_IP] > 0 && s.v[DICAP_DP_MALFORMED] > 0 &&
	    s.v[DICAP_DP_NON_IP] + s.v[DICAP_DP_MALFORMED] <= s.v[DICAP_DP_SELECTED],
	    "non-IP (%llu) and malformed (%llu) frames counted among the selected ones",
	    (unsigned long long)s.v[DICAP_DP_NON_IP],
	    (unsigned long long)s.v[DICAP_DP_MALFORMED]);
}

int
main(void)
{
	const char *dir = getenv("DICAP_BPF_DIR");
	char path[4096];

	if (geteuid() != 0)
		skip_all("loading BPF programs needs root");
	if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_XDP, NULL) != 1)
		skip_all("this kernel cannot load XDP programs (libbpf probe)");
	snprintf(path, sizeof(path), "%s/dicap_xdp.bpf.o", dir != NULL ? dir : "build/bpf");
	if (access(path, R_OK) != 0) {
		ok(0, "BPF object %s exists (build it with make bpf)", path);
		return done_testing();
	}
	libbpf_set_print(tap_libbpf_print);
	if (!ok(load(path) == 0, "%s passes the verifier and loads", path))
		return done_testing();
	n_corpus = frames_corpus(corpus, FRAMES_CORPUS_MAX, CORPUS_SEED);
	diag("%zu corpus frames", n_corpus);

	check_inactive(some_frame());
	check_modes();
	check_ring();
	check_switch();
	check_sel_flags();
	check_markers();
	check_lease();
	report_cost(all_mine);
	check_sums();
	bpf_object__close(obj);
	return done_testing();
}
