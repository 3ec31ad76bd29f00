/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * xdp-cost: nanoseconds per frame of DiCAP's XDP program, without traffic,
 * by BPF_PROG_RUN with a large repeat count (B4 of the benchmarks).
 *
 *	xdp-cost OBJ FRAMES.pcap CBPF.txt REPEAT ROUNDS [quick | drops | drops4]
 *
 * OBJ is build/bpf/dicap_xdp.bpf.o; FRAMES.pcap holds the test frames
 * (every frame is measured, the mean over them is one sample); CBPF.txt is
 * `tcpdump -dd 'ip[4:2] % 2 = 0'` output.  Prints one line per case and
 * round: "CASE ROUND NS_PER_FRAME".
 *
 * The cases:
 *   floor          an XDP program that only returns XDP_DROP;
 *   MODE-drop      the DiCAP program, the frame is another node's (N = 2);
 *                  MODE ipid, packet, flow, host, and flow-outer and
 *                  host-outer: flow and host with --tunnel outer
 *                  (DICAP_SEL_TUNNEL_OUTER in the slot);
 *   MODE-pass      the frame is this node's, distribution (XDP_PASS);
 *   MODE-ring      the frame is this node's, capture (a ring record);
 *   rr-mix         round-robin, N = 2: every other frame is ours;
 *   clock-tai, clock-mono, clock-coarse
 *                  the floor program plus one call of bpf_ktime_get_tai_ns(),
 *                  bpf_ktime_get_ns() or bpf_ktime_get_coarse_ns(): what
 *                  reading the clock costs the DiCAP program;
 *   cbpf-sockfilt  the classic filter, translated to eBPF exactly as the
 *                  kernel does for SO_ATTACH_FILTER (LD_ABS kept), run as a
 *                  BPF_PROG_TYPE_SOCKET_FILTER program.
 * The time per frame is the kernel's own figure (opts.duration: the time
 * of the repeat loop divided by the repeat count, in whole nanoseconds,
 * so each sample is rounded down by up to 1 ns).  The wall time of the
 * call is no use: on this kernel every XDP BPF_PROG_RUN call costs a
 * fixed 25-30 ms besides the loop (socket filters do not).  Every case
 * includes the loop's own overhead, which the floor measures.
 *
 * rr-mix runs round-robin with every other frame the node's; rr-drop as a
 * node outside the topology (position DICAP_DP_NOT_MEMBER), so that every
 * frame takes the not-mine path.
 *
 * "quick" measures only floor, ipid-drop, flow-drop, rr-mix and rr-drop: enough to
 * compare variants of the program (bench/b4-xdp-cost.sh builds them).
 * "drops" measures floor, every MODE-drop, rr-mix and rr-drop: the not-mine path of
 * each mode.  "drops4" the same for a program older than host mode and the
 * selection flags (floor, ipid, packet, flow, rr-mix), run on frames its
 * rules and today's give the same owners.
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/filter.h>

#include "batch.h"
#include "bucket_table.h"
#include "dicap/packet.h"
#include "dicap/select.h"
#include "xdpctl.h"

#define MAX_FRAMES	64
#define MAX_INSNS	256
#define RING_CHUNK	16384	/* repeats per run in capture mode: the ring has room */

struct frame {
	uint8_t buf[2048];
	uint32_t len;
};

static struct frame frames[MAX_FRAMES];
static int n_frames;
static struct bpf_object *obj;
static struct dicap_xdp_ctl ctl;
static struct ring_buffer *ring;
static int xdp_fd, floor_fd, cbpf_fd;
static int clock_fd[3];
static const char *const clock_name[3] = { "clock-tai", "clock-mono", "clock-coarse" };
enum what { ALL, QUICK, DROPS, DROPS4 };
static enum what what = ALL;
static uint32_t epoch = 1;
static uint16_t table[DICAP_BUCKETS];

static int
silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static void
die(const char *what)
{
	fprintf(stderr, "xdp-cost: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The frames of a pcap file (either byte order), read by hand: libpcap's
 * <pcap/bpf.h> and <linux/bpf.h> cannot be included together. */
static void
read_frames(const char *path)
{
	uint32_t gh[6], rh[4], magic;
	int swap;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL)
		die(path);
	if (fread(gh, sizeof(gh), 1, fp) != 1)
		goto bad;
	magic = gh[0];
	swap = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
	if (!swap && magic != 0xa1b2c3d4 && magic != 0xa1b23c4d)
		goto bad;
	while (n_frames < MAX_FRAMES && fread(rh, sizeof(rh), 1, fp) == 1) {
		uint32_t caplen = swap ? __builtin_bswap32(rh[2]) : rh[2];

		if (caplen > sizeof(frames[0].buf) ||
		    fread(frames[n_frames].buf, caplen, 1, fp) != 1)
			goto bad;
		frames[n_frames++].len = caplen;
	}
	fclose(fp);
	if (n_frames == 0)
		goto bad;
	return;
bad:
	fprintf(stderr, "xdp-cost: %s: not a pcap file with frames up to 2048 bytes\n", path);
	exit(1);
}

/* ns per run of @fd over @len bytes of @data, @repeat times. */
static double
time_run(int fd, const void *data, uint32_t len, uint32_t repeat, uint32_t *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = data, .data_size_in = len,
	    .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &o) != 0)
		die("BPF_PROG_RUN");
	if (retval != NULL)
		*retval = o.retval;
	return o.duration;
}

static int
drop_ring(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	return 0;
}

/* ns per run over frame @f; in capture mode in ring-sized chunks. */
static double
sample(int fd, const struct frame *f, uint32_t repeat, int chunked, const uint8_t *prefix,
    uint32_t plen)
{
	static uint8_t buf[2048 + 14];
	uint32_t done, r;
	double t = 0;

	memcpy(buf, prefix, plen);
	memcpy(buf + plen, f->buf, f->len);
	if (!chunked)
		return time_run(fd, buf, f->len + plen, repeat, NULL);
	for (done = 0; done < repeat; done += r) {
		r = repeat - done < RING_CHUNK ? repeat - done : RING_CHUNK;
		t += time_run(fd, buf, f->len, r, NULL) * r;
		ring_buffer__consume(ring);
	}
	return t / repeat;
}

static int
floor_prog(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_DROP },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "xdp_floor", "GPL", insns, 2, NULL);

	if (fd < 0)
		die("load the XDP_DROP program");
	return fd;
}

/* The floor program with one call of @helper (no arguments) before it returns. */
static int
helper_prog(int helper)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_JMP | BPF_CALL, .imm = helper },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_DROP },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "xdp_clock", "GPL", insns, 3, NULL);

	if (fd < 0)
		die("load a clock helper program");
	return fd;
}

/* ---- classic BPF, translated as the kernel's bpf_convert_filter() does ---- */

#define A	BPF_REG_0
#define X	BPF_REG_7
#define CTX	BPF_REG_6
#define TMP	BPF_REG_9

static struct bpf_insn ebpf[MAX_INSNS * 6];
static int n_ebpf;

static void
emit(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct bpf_insn in = { .code = code, .dst_reg = dst, .src_reg = src, .off = off,
	    .imm = imm };

	if (n_ebpf >= (int)(sizeof(ebpf) / sizeof(ebpf[0]))) {
		fprintf(stderr, "xdp-cost: classic program too long\n");
		exit(1);
	}
	ebpf[n_ebpf++] = in;
}

static int
negate(int op)
{
	switch (op) {
	case BPF_JEQ: return BPF_JNE;
	case BPF_JGT: return BPF_JLE;
	case BPF_JGE: return BPF_JLT;
	default: return -1;
	}
}

/* eBPF instructions one classic instruction becomes. */
static int
ebpf_len(const struct sock_filter *c)
{
	switch (BPF_CLASS(c->code)) {
	case BPF_RET:
		return 2;
	case BPF_LDX:
		return BPF_MODE(c->code) == BPF_MSH ? 6 : 1;
	case BPF_JMP:
		if (BPF_OP(c->code) == BPF_JA || c->jf == 0)
			return 1;
		return c->jt == 0 && negate(BPF_OP(c->code)) >= 0 ? 1 : 2;
	default:
		return 1;
	}
}

static void
translate_one(const struct sock_filter *c, int pc, const int *start)
{
	int op = BPF_OP(c->code), src = BPF_SRC(c->code) == BPF_X ? BPF_X : BPF_K;
	int here = start[pc], t = start[pc + 1 + c->jt], f = start[pc + 1 + c->jf];

	switch (BPF_CLASS(c->code)) {
	case BPF_LD:
		if (BPF_MODE(c->code) == BPF_IMM)
			emit(BPF_ALU | BPF_MOV | BPF_K, A, 0, 0, (int32_t)c->k);
		else if (BPF_MODE(c->code) == BPF_ABS || BPF_MODE(c->code) == BPF_IND)
			emit(BPF_LD | BPF_SIZE(c->code) | BPF_MODE(c->code), 0,
			    BPF_MODE(c->code) == BPF_IND ? X : 0, 0, (int32_t)c->k);
		else
			goto unsupported;
		break;
	case BPF_LDX:
		if (BPF_MODE(c->code) == BPF_IMM) {
			emit(BPF_ALU | BPF_MOV | BPF_K, X, 0, 0, (int32_t)c->k);
		} else if (BPF_MODE(c->code) == BPF_MSH) {
			emit(BPF_ALU64 | BPF_MOV | BPF_X, TMP, A, 0, 0);
			emit(BPF_LD | BPF_B | BPF_ABS, 0, 0, 0, (int32_t)c->k);
			emit(BPF_ALU | BPF_AND | BPF_K, A, 0, 0, 0xf);
			emit(BPF_ALU | BPF_LSH | BPF_K, A, 0, 0, 2);
			emit(BPF_ALU64 | BPF_MOV | BPF_X, X, A, 0, 0);
			emit(BPF_ALU64 | BPF_MOV | BPF_X, A, TMP, 0, 0);
		} else {
			goto unsupported;
		}
		break;
	case BPF_ALU:
		if (op == BPF_NEG)
			emit(BPF_ALU | BPF_NEG, A, 0, 0, 0);
		else
			emit(BPF_ALU | op | src, A, src == BPF_X ? X : 0, 0,
			    src == BPF_K ? (int32_t)c->k : 0);
		break;
	case BPF_JMP:
		if (op == BPF_JA) {
			emit(BPF_JMP | BPF_JA, 0, 0, (int16_t)(start[pc + 1 + c->k] - here - 1), 0);
		} else if (c->jf == 0) {
			emit(BPF_JMP32 | op | src, A, src == BPF_X ? X : 0,
			    (int16_t)(t - here - 1), (int32_t)c->k);
		} else if (c->jt == 0 && negate(op) >= 0) {
			emit(BPF_JMP32 | negate(op) | src, A, src == BPF_X ? X : 0,
			    (int16_t)(f - here - 1), (int32_t)c->k);
		} else {
			emit(BPF_JMP32 | op | src, A, src == BPF_X ? X : 0,
			    (int16_t)(t - here - 1), (int32_t)c->k);
			emit(BPF_JMP | BPF_JA, 0, 0, (int16_t)(f - here - 2), 0);
		}
		break;
	case BPF_RET:
		if (BPF_RVAL(c->code) == BPF_K)
			emit(BPF_ALU | BPF_MOV | BPF_K, A, 0, 0, (int32_t)c->k);
		else
			emit(BPF_ALU64 | BPF_MOV | BPF_X, A, A, 0, 0);
		emit(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
		break;
	case BPF_MISC:
		if (BPF_MISCOP(c->code) == BPF_TAX)
			emit(BPF_ALU64 | BPF_MOV | BPF_X, X, A, 0, 0);
		else
			emit(BPF_ALU64 | BPF_MOV | BPF_X, A, X, 0, 0);
		break;
	default:
		goto unsupported;
	}
	return;
unsupported:
	fprintf(stderr, "xdp-cost: classic opcode 0x%02x not supported\n", c->code);
	exit(1);
}

static int
cbpf_prog(const char *path, int *n_classic)
{
	struct sock_filter c[MAX_INSNS];
	int start[MAX_INSNS + 1], n = 0, i, fd;
	unsigned code, jt, jf, k;
	char line[256];
	FILE *fp;
	LIBBPF_OPTS(bpf_prog_load_opts, lo);

	if ((fp = fopen(path, "r")) == NULL)
		die(path);
	while (n < MAX_INSNS && fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, " { 0x%x, %u, %u, 0x%x }", &code, &jt, &jf, &k) == 4)
			c[n++] = (struct sock_filter){ (uint16_t)code, (uint8_t)jt, (uint8_t)jf, k };
	fclose(fp);
	if (n == 0) {
		fprintf(stderr, "xdp-cost: no classic instructions in %s\n", path);
		exit(1);
	}
	*n_classic = n;
	/* prologue: A = X = 0, the context where LD_ABS expects it */
	start[0] = 3;
	for (i = 0; i < n; i++)
		start[i + 1] = start[i] + ebpf_len(&c[i]);
	emit(BPF_ALU64 | BPF_MOV | BPF_X, CTX, BPF_REG_1, 0, 0);
	emit(BPF_ALU | BPF_MOV | BPF_K, A, 0, 0, 0);
	emit(BPF_ALU | BPF_MOV | BPF_K, X, 0, 0, 0);
	for (i = 0; i < n; i++) {
		translate_one(&c[i], i, start);
		if (n_ebpf != start[i + 1]) {
			fprintf(stderr, "xdp-cost: translation of insn %d went wrong\n", i);
			exit(1);
		}
	}
	fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "cbpf_mod", "GPL", ebpf,
	    (size_t)n_ebpf, &lo);
	if (fd < 0)
		die("load the translated classic filter");
	return fd;
}

/* ---- the DiCAP program ---- */

static void
load_dicap(const char *path)
{
	struct bpf_program *prog;
	struct bpf_map *m;
	void *cfg;
	int err;

	if ((obj = bpf_object__open_file(path, NULL)) == NULL)
		die(path);
	if ((err = bpf_object__load(obj)) != 0) {
		errno = -err;
		die("load the DiCAP XDP program");
	}
	prog = bpf_object__find_program_by_name(obj, "dicap_xdp");
	if (prog == NULL)
		die("no program dicap_xdp");
	xdp_fd = bpf_program__fd(prog);
	m = bpf_object__find_map_by_name(obj, "dicap_config");
	cfg = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_SHARED,
	    bpf_map__fd(m), 0);
	if (cfg == MAP_FAILED)
		die("mmap dicap_config");
	ctl.cfg = cfg;
	ctl.slots_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "dicap_slots"));
	ctl.tables_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "dicap_tables"));
	ctl.rr_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "dicap_rr"));
	ctl.stats_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "dicap_stats"));
	ctl.ncpus = libbpf_num_possible_cpus();
	ring = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "dicap_ring")),
	    drop_ring, NULL, NULL);
	if (ring == NULL)
		die("ring buffer");
	ctl.cfg->lease_policy = DICAP_DP_LEASE_KEEP;
	ctl.cfg->snaplen = DICAP_SNAPLEN_DEFAULT;
	ctl.cfg->wakeup_every = DICAP_XDP_WAKEUP_EVERY;	/* as dicapd */
}

/* Make (mode, selection flags, N, position) the active topology at once. */
static void
activate(uint32_t mode, uint32_t sel_flags, uint32_t n, uint32_t position)
{
	struct timespec ts;
	struct dicap_xdp_topo t;
	uint64_t tai;

	clock_gettime(CLOCK_TAI, &ts);
	tai = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	memset(&t, 0, sizeof(t));
	t.mode = mode;
	t.sel_flags = sel_flags;
	t.n = n;
	t.position = position;
	t.epoch = epoch++;
	t.validity_tai_ns = tai - 1000000000ULL;
	t.table = mode == DICAP_MODE_RR ? NULL : table;
	if (dicap_xdp_stage(&ctl, &t) < 0 || dicap_xdp_switch_due(&ctl, tai) != 1) {
		fprintf(stderr, "xdp-cost: cannot activate mode %u\n", mode);
		exit(1);
	}
	dicap_xdp_reset_rr(&ctl);
}

/* The owner of frame @f under @mode and @sel_flags, of two members. */
static uint32_t
owner(uint32_t mode, uint32_t sel_flags, const struct frame *f)
{
	struct dicap_pkt p;

	return table[dicap_select_bucket((int)mode, sel_flags, f->buf, f->buf + f->len, &p)];
}

/* Check a verdict, so that a case measures what it says. */
static void
expect(const struct frame *f, uint32_t want, const char *what)
{
	uint32_t got;

	time_run(xdp_fd, f->buf, f->len, 1, &got);
	ring_buffer__consume(ring);
	if (got != want) {
		fprintf(stderr, "xdp-cost: %s: verdict %u, expected %u\n", what, got, want);
		exit(1);
	}
}

#define MAX_CASES	24

static char case_name[MAX_CASES][32];
static double case_sum[MAX_CASES];
static int n_cases;

static void
add(const char *name, double ns)
{
	int i;

	for (i = 0; i < n_cases; i++)
		if (strcmp(case_name[i], name) == 0)
			break;
	if (i == n_cases) {
		snprintf(case_name[n_cases++], sizeof(case_name[0]), "%s", name);
		case_sum[i] = 0;
	}
	case_sum[i] += ns;
}

static const struct {
	const char *name;
	uint32_t mode, sel_flags;
	int old;	/* known to a program older than host mode and the flags */
} sel_cases[] = {
	{ "ipid", DICAP_MODE_IPID, 0, 1 },
	{ "packet", DICAP_MODE_PACKET, 0, 1 },
	{ "flow", DICAP_MODE_FLOW, 0, 1 },
	{ "host", DICAP_MODE_HOST, 0, 0 },
	{ "flow-outer", DICAP_MODE_FLOW, DICAP_SEL_TUNNEL_OUTER, 0 },
	{ "host-outer", DICAP_MODE_HOST, DICAP_SEL_TUNNEL_OUTER, 0 },
};

static void
one_frame(const struct frame *f, uint32_t repeat)
{
	static const uint8_t l2pad[14] = { [12] = 0x08, [13] = 0x00 };
	char name[32];
	uint32_t mode, sel, o;
	size_t i;

	add("floor", sample(floor_fd, f, repeat, 0, NULL, 0));
	if (what == ALL) {
		/* the 14 bytes eth_type_trans() pulls: the filter then sees the frame */
		add("cbpf-sockfilt", sample(cbpf_fd, f, repeat, 0, l2pad, 14));
		for (mode = 0; mode < 3; mode++)
			add(clock_name[mode], sample(clock_fd[mode], f, repeat, 0, NULL, 0));
	}
	for (i = 0; i < sizeof(sel_cases) / sizeof(sel_cases[0]); i++) {
		mode = sel_cases[i].mode;
		sel = sel_cases[i].sel_flags;
		if (what == QUICK && mode != DICAP_MODE_IPID && !(mode == DICAP_MODE_FLOW && !sel))
			continue;
		if (what == DROPS4 && !sel_cases[i].old)
			continue;
		/* an older program never opened a tunnel */
		o = owner(mode, what == DROPS4 ? DICAP_SEL_TUNNEL_OUTER : sel, f);
		ctl.cfg->actions = DICAP_DP_ACT_PASS;
		activate(mode, sel, 2, 1 - o);
		expect(f, XDP_DROP, "drop");
		snprintf(name, sizeof(name), "%s-drop", sel_cases[i].name);
		add(name, sample(xdp_fd, f, repeat, 0, NULL, 0));
		if (what != ALL || sel != 0)
			continue;
		activate(mode, sel, 2, o);
		expect(f, XDP_PASS, "pass");
		snprintf(name, sizeof(name), "%s-pass", sel_cases[i].name);
		add(name, sample(xdp_fd, f, repeat, 0, NULL, 0));
		ctl.cfg->actions = DICAP_DP_ACT_RING;
		expect(f, XDP_DROP, "ring");
		snprintf(name, sizeof(name), "%s-ring", sel_cases[i].name);
		add(name, sample(xdp_fd, f, repeat, 1, NULL, 0));
		if (getenv("XDP_COST_DEBUG") != NULL) {
			struct dicap_xdp_stats st;

			dicap_xdp_read_stats(&ctl, &st);
			fprintf(stderr, "records %llu full %llu errors %llu\n",
			    (unsigned long long)st.v[DICAP_DP_RING_RECORDS],
			    (unsigned long long)st.v[DICAP_DP_RINGBUF_FULL],
			    (unsigned long long)st.v[DICAP_DP_RING_ERRORS]);
		}
	}
	ctl.cfg->actions = DICAP_DP_ACT_PASS;
	activate(DICAP_MODE_RR, 0, 2, 0);
	add("rr-mix", sample(xdp_fd, f, repeat, 0, NULL, 0));
	/* a node outside the topology: every frame takes the not-mine path */
	activate(DICAP_MODE_RR, 0, 2, DICAP_DP_NOT_MEMBER);
	expect(f, XDP_DROP, "rr drop");
	add("rr-drop", sample(xdp_fd, f, repeat, 0, NULL, 0));
}

int
main(int argc, char **argv)
{
	struct dicap_member m[2] = { { 0x1001, 1 }, { 0x2002, 1 } };
	uint32_t repeat, rounds, r;
	const char *why = NULL;
	int n_classic, i;

	if (argc == 7 && strcmp(argv[6], "quick") == 0)
		what = QUICK;
	else if (argc == 7 && strcmp(argv[6], "drops") == 0)
		what = DROPS;
	else if (argc == 7 && strcmp(argv[6], "drops4") == 0)
		what = DROPS4;
	else if (argc != 6) {
		fprintf(stderr, "usage: xdp-cost OBJ FRAMES.pcap CBPF.txt REPEAT ROUNDS"
		    " [quick | drops | drops4]\n");
		return 2;
	}
	repeat = (uint32_t)strtoul(argv[4], NULL, 10);
	rounds = (uint32_t)strtoul(argv[5], NULL, 10);
	libbpf_set_print(silent);
	read_frames(argv[2]);
	if (dicap_members_normalize(m, 2, &why) != 0 || dicap_table_build(m, 2, table, &why) != 0) {
		fprintf(stderr, "xdp-cost: table: %s\n", why);
		return 1;
	}
	floor_fd = floor_prog();
	clock_fd[0] = helper_prog(BPF_FUNC_ktime_get_tai_ns);
	clock_fd[1] = helper_prog(BPF_FUNC_ktime_get_ns);
	clock_fd[2] = helper_prog(BPF_FUNC_ktime_get_coarse_ns);
	cbpf_fd = cbpf_prog(argv[3], &n_classic);
	load_dicap(argv[1]);
	fprintf(stderr, "xdp-cost: %d frames, classic filter %d insns -> %d eBPF insns\n",
	    n_frames, n_classic, n_ebpf);
	for (r = 0; r < rounds; r++) {
		n_cases = 0;
		for (i = 0; i < n_frames; i++)
			one_frame(&frames[i], repeat);
		for (i = 0; i < n_cases; i++)
			printf("%s %u %.2f\n", case_name[i], r, case_sum[i] / n_frames);
		fflush(stdout);
	}
	return 0;
}
