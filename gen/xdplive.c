/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The xdp-live engine (see xdplive.h).  dicap-gen does not link libbpf, and
 * the program is some 90 instructions, so it is assembled here and loaded
 * with the bpf(2) system call directly.
 *
 * Each run of the program takes the next number from a one-entry array map
 * (atomic fetch-and-add), writes the frame's first bytes back (see
 * XDPLIVE_HEAD), then the number, the source port and the IPv4 ID it
 * implies, and patches each checksum from a base sum that userspace
 * computed once per template: one's complement arithmetic needs no other
 * byte of the frame.  Then XDP_TX, which a live-frames run turns into a
 * transmission on the ingress device.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dicap/types.h"
#include "framegen.h"
#include "dicap/packet.h"
#include "xdplive.h"

struct xdplive {
	int map_fd;
	int prog_fd;
	int ifindex;
};

static long
sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static uint16_t
fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint16_t
csum_with(uint32_t base, uint32_t add)
{
	return (uint16_t)~fold(base + (add >> 16) + (add & 0xffff));
}

static uint32_t
ones_minus(uint32_t sum, uint16_t v)
{
	return sum + (uint16_t)~v;
}

/* The parse of @frame if copies of it may have their L4 fields changed. */
static int
plain_ip(const uint8_t *frame, size_t len, struct dicap_pkt *p)
{
	dicap_parse(frame, frame + len, p);
	return p->cls == DICAP_PKT_OK && !(p->flags & DICAP_PF_FRAG);
}

static void
template_l4(const uint8_t *frame, const struct dicap_pkt *p, uint32_t nflows,
    struct xdplive_tmpl *t)
{
	uint32_t sum;

	if (!(p->flags & DICAP_PF_L4CSUM))
		return;
	switch (p->l4proto) {
	case 6:
		t->csum_off = (uint32_t)p->l4_off + 16;
		break;
	case 17:
		t->csum_off = (uint32_t)p->l4_off + 6;
		break;
	case 1:
	case 58:
		t->csum_off = (uint32_t)p->l4_off + 2;
		break;
	default:
		return;			/* SCTP's CRC32c cannot be patched */
	}
	/* The sum of what stays: take the changing words out. */
	sum = ones_minus(0, dicap_get_be16(frame + t->csum_off));
	sum = ones_minus(sum, (uint16_t)(t->seq >> 16));
	sum = ones_minus(sum, (uint16_t)t->seq);
	if ((p->flags & DICAP_PF_PORTS) && nflows > 1) {
		t->port_off = p->l4_off;
		t->port_base = p->sport;
		t->nflows = nflows;
		sum = ones_minus(sum, p->sport);
	}
	t->csum_base = fold(sum);
}

void
xdplive_template(const uint8_t *frame, size_t len, uint32_t nflows, int vary_id,
    struct xdplive_tmpl *t)
{
	struct dicap_pkt p;
	const uint8_t *m;

	memset(t, 0, sizeof(*t));
	t->head_len = (uint32_t)(len < XDPLIVE_HEAD ? len : XDPLIVE_HEAD);
	memcpy(t->head, frame, t->head_len);
	m = memmem(frame, len, "DCAP", 4);
	if (!m || (size_t)(m - frame) + 8 > len)
		return;
	t->seq_off = (uint32_t)(m - frame) + 4;
	t->seq = dicap_get_be32(frame + t->seq_off);
	if (!plain_ip(frame, len, &p))
		return;
	template_l4(frame, &p, nflows, t);
	if (vary_id && p.l3 == DICAP_L3_IPV4) {
		t->id_off = p.l3_off + 4u;
		t->ipcsum_off = p.l3_off + 10u;
		t->ipcsum_base = fold(ones_minus(
		    ones_minus(0, dicap_get_be16(frame + t->ipcsum_off)),
		    dicap_get_be16(frame + t->id_off)));
	}
}

void
xdplive_stamp(uint8_t *frame, size_t len, const struct xdplive_tmpl *t, uint32_t seq)
{
	uint32_t sum;
	uint16_t port, c;

	if (!t->seq_off || t->seq_off + 4 > len)
		return;
	dicap_put_be32(frame + t->seq_off, seq);
	sum = t->csum_base + (seq >> 16) + (seq & 0xffff);
	if (t->port_off && t->port_off + 2 <= len) {
		port = (uint16_t)(t->port_base + seq % t->nflows);
		dicap_put_be16(frame + t->port_off, port);
		sum += port;
	}
	if (t->csum_off && t->csum_off + 2 <= len) {
		c = (uint16_t)~fold(sum);
		dicap_put_be16(frame + t->csum_off, c ? c : 0xffff);
	}
	if (t->id_off && t->ipcsum_off + 2 <= len) {
		dicap_put_be16(frame + t->id_off, (uint16_t)seq);
		dicap_put_be16(frame + t->ipcsum_off,
		    csum_with(t->ipcsum_base, seq & 0xffff));
	}
}

/* ---- the program: a small assembler with forward labels ---- */

#define INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), \
	    .off = (o), .imm = (i) })
#define MOV_REG(d, s)		INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV_IMM(d, i)		INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define ALU_IMM(op, d, i)	INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define ALU_REG(op, d, s)	INSN(BPF_ALU64 | (op) | BPF_X, d, s, 0, 0)
#define LDX_W(d, s, o)		INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define STX_W(d, s, o)		INSN(BPF_STX | BPF_MEM | BPF_W, d, s, o, 0)
#define STX_H(d, s, o)		INSN(BPF_STX | BPF_MEM | BPF_H, d, s, o, 0)
#define ST_W(d, o, i)		INSN(BPF_ST | BPF_MEM | BPF_W, d, 0, o, i)
#define JEQ_IMM(d, i, l)	INSN(BPF_JMP | BPF_JEQ | BPF_K, d, 0, LABEL_BASE + (l), i)
#define JNE_IMM(d, i, l)	INSN(BPF_JMP | BPF_JNE | BPF_K, d, 0, LABEL_BASE + (l), i)
#define JGT_REG(d, s, l)	INSN(BPF_JMP | BPF_JGT | BPF_X, d, s, LABEL_BASE + (l), 0)
#define JGT_IMM(d, i, l)	INSN(BPF_JMP | BPF_JGT | BPF_K, d, 0, LABEL_BASE + (l), i)
#define JLT_IMM(d, i, l)	INSN(BPF_JMP | BPF_JLT | BPF_K, d, 0, LABEL_BASE + (l), i)
#define TO_BE(d, bits)		INSN(BPF_ALU | BPF_END | BPF_TO_BE, d, 0, 0, bits)
#define CALL(f)			INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT()			INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define FETCH_ADD_W(d, s, o) \
	INSN(BPF_STX | BPF_ATOMIC | BPF_W, d, s, o, BPF_ADD | BPF_FETCH)

#define LABEL_BASE	0x7f00
#define PROG_MAX	128

enum { L_TX, L_LOOKED_UP, L_NO_HEAD, L_NO_PORT, L_NO_CSUM, L_ZERO_OK, L_MAX };

struct bpf_asm {
	struct bpf_insn insn[PROG_MAX];
	int n;
	int label[L_MAX];
};

static void
emit(struct bpf_asm *a, struct bpf_insn insn)
{
	if (a->n < PROG_MAX)
		a->insn[a->n] = insn;
	a->n++;
}

static void
label(struct bpf_asm *a, int l)
{
	a->label[l] = a->n;
}

static void
resolve(struct bpf_asm *a)
{
	int i, l;

	for (i = 0; i < a->n && i < PROG_MAX; i++) {
		l = a->insn[i].off - LABEL_BASE;
		if (BPF_CLASS(a->insn[i].code) == BPF_JMP && l >= 0 && l < L_MAX)
			a->insn[i].off = (__s16)(a->label[l] - (i + 1));
	}
}

/*
 * r5 = data + the u32 offset at map value + @field, 0x3fff at most, with
 * @bytes readable; to L_TX if the offset is 0 or the frame too short.
 * Registers: r2 data, r3 data_end, r7 map value, r4/r0 scratch.
 */
static void
field_ptr(struct bpf_asm *a, int field, int bytes, int if_zero)
{
	emit(a, LDX_W(4, 7, field));
	emit(a, JEQ_IMM(4, 0, if_zero));
	emit(a, ALU_IMM(BPF_AND, 4, 0x3fff));
	emit(a, MOV_REG(5, 2));
	emit(a, ALU_REG(BPF_ADD, 5, 4));
	emit(a, MOV_REG(0, 5));
	emit(a, ALU_IMM(BPF_ADD, 0, bytes));
	emit(a, JGT_REG(0, 3, L_TX));
}

/* r1 = ~fold(r1), 16 bits; r0 scratch. */
static void
emit_fold_not(struct bpf_asm *a)
{
	int i;

	for (i = 0; i < 2; i++) {
		emit(a, MOV_REG(0, 1));
		emit(a, ALU_IMM(BPF_RSH, 0, 16));
		emit(a, ALU_IMM(BPF_AND, 1, 0xffff));
		emit(a, ALU_REG(BPF_ADD, 1, 0));
	}
	emit(a, ALU_IMM(BPF_XOR, 1, 0xffff));
}

#define OFF(f)	((int)offsetof(struct xdplive_tmpl, f))

/* Number, port, L4 checksum; r8 = the number, r1 = the L4 sum. */
static void
emit_l4(struct bpf_asm *a)
{
	field_ptr(a, OFF(seq_off), 4, L_TX);
	emit(a, MOV_REG(9, 8));
	emit(a, TO_BE(9, 32));
	emit(a, STX_W(5, 9, 0));
	emit(a, LDX_W(1, 7, OFF(csum_base)));
	emit(a, MOV_REG(0, 8));
	emit(a, ALU_IMM(BPF_RSH, 0, 16));
	emit(a, ALU_REG(BPF_ADD, 1, 0));
	emit(a, MOV_REG(0, 8));
	emit(a, ALU_IMM(BPF_AND, 0, 0xffff));
	emit(a, ALU_REG(BPF_ADD, 1, 0));
	field_ptr(a, OFF(port_off), 2, L_NO_PORT);
	emit(a, MOV_REG(0, 8));
	emit(a, LDX_W(9, 7, OFF(nflows)));
	emit(a, ALU_REG(BPF_MOD, 0, 9));
	emit(a, LDX_W(9, 7, OFF(port_base)));
	emit(a, ALU_REG(BPF_ADD, 0, 9));
	emit(a, ALU_IMM(BPF_AND, 0, 0xffff));
	emit(a, ALU_REG(BPF_ADD, 1, 0));
	emit(a, TO_BE(0, 16));
	emit(a, STX_H(5, 0, 0));
	label(a, L_NO_PORT);
	field_ptr(a, OFF(csum_off), 2, L_NO_CSUM);
	emit_fold_not(a);
	emit(a, JNE_IMM(1, 0, L_ZERO_OK));
	emit(a, MOV_IMM(1, 0xffff));
	label(a, L_ZERO_OK);
	emit(a, TO_BE(1, 16));
	emit(a, STX_H(5, 1, 0));
	label(a, L_NO_CSUM);
}

/* bpf_xdp_store_bytes(ctx, 0, value->head, value->head_len). */
static void
emit_head(struct bpf_asm *a)
{
	emit(a, LDX_W(4, 7, OFF(head_len)));
	emit(a, JLT_IMM(4, 1, L_NO_HEAD));
	emit(a, JGT_IMM(4, XDPLIVE_HEAD, L_NO_HEAD));
	emit(a, MOV_REG(1, 6));
	emit(a, MOV_IMM(2, 0));
	emit(a, MOV_REG(3, 7));
	emit(a, ALU_IMM(BPF_ADD, 3, OFF(head)));
	emit(a, CALL(BPF_FUNC_xdp_store_bytes));
	label(a, L_NO_HEAD);
}

/* IPv4 ID and header checksum. */
static void
emit_ipid(struct bpf_asm *a)
{
	field_ptr(a, OFF(id_off), 2, L_TX);
	emit(a, MOV_REG(9, 8));
	emit(a, ALU_IMM(BPF_AND, 9, 0xffff));
	emit(a, MOV_REG(0, 9));
	emit(a, TO_BE(0, 16));
	emit(a, STX_H(5, 0, 0));
	field_ptr(a, OFF(ipcsum_off), 2, L_TX);
	emit(a, LDX_W(1, 7, OFF(ipcsum_base)));
	emit(a, ALU_REG(BPF_ADD, 1, 9));
	emit_fold_not(a);
	emit(a, TO_BE(1, 16));
	emit(a, STX_H(5, 1, 0));
}

static int
load_insns(const struct bpf_insn *insn, int n, char *log, size_t loglen)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_XDP;
	attr.insns = (uint64_t)(uintptr_t)insn;
	attr.insn_cnt = (uint32_t)n;
	attr.license = (uint64_t)(uintptr_t)"Dual BSD/GPL";
	if (log && loglen) {
		attr.log_buf = (uint64_t)(uintptr_t)log;
		attr.log_size = (uint32_t)loglen;
		attr.log_level = 1;
	}
	return (int)sys_bpf(BPF_PROG_LOAD, &attr);
}

static int
load_prog(int map_fd, char *log, size_t loglen)
{
	struct bpf_asm a;

	memset(&a, 0, sizeof(a));
	emit(&a, MOV_REG(6, 1));
	emit(&a, ST_W(10, -4, 0));				/* key 0 */
	emit(&a, INSN(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, map_fd));
	emit(&a, INSN(0, 0, 0, 0, 0));
	emit(&a, MOV_REG(2, 10));
	emit(&a, ALU_IMM(BPF_ADD, 2, -4));
	emit(&a, CALL(BPF_FUNC_map_lookup_elem));
	emit(&a, JNE_IMM(0, 0, L_LOOKED_UP));
	emit(&a, MOV_IMM(0, XDP_ABORTED));
	emit(&a, EXIT());
	label(&a, L_LOOKED_UP);
	emit(&a, MOV_REG(7, 0));
	emit(&a, MOV_IMM(8, 1));
	emit(&a, FETCH_ADD_W(7, 8, OFF(seq)));			/* r8 = seq++ */
	emit_head(&a);
	emit(&a, LDX_W(2, 6, offsetof(struct xdp_md, data)));
	emit(&a, LDX_W(3, 6, offsetof(struct xdp_md, data_end)));
	emit_l4(&a);
	emit_ipid(&a);
	label(&a, L_TX);
	emit(&a, MOV_IMM(0, XDP_TX));
	emit(&a, EXIT());
	if (a.n > PROG_MAX) {
		snprintf(log, loglen, "program too long");
		errno = E2BIG;
		return -1;
	}
	resolve(&a);
	return load_insns(a.insn, a.n, log, loglen);
}

/* BPF_PROG_RUN of @prog_fd over @repeat live copies of @frame, in from @ifindex. */
static int
run_live(int prog_fd, int ifindex, const uint8_t *frame, size_t len,
    unsigned repeat)
{
	struct xdp_md ctx;
	union bpf_attr attr;

	memset(&ctx, 0, sizeof(ctx));
	ctx.data_end = (uint32_t)len;
	ctx.ingress_ifindex = (uint32_t)ifindex;
	memset(&attr, 0, sizeof(attr));
	attr.test.prog_fd = (uint32_t)prog_fd;
	attr.test.data_in = (uint64_t)(uintptr_t)frame;
	attr.test.data_size_in = (uint32_t)len;
	attr.test.ctx_in = (uint64_t)(uintptr_t)&ctx;
	attr.test.ctx_size_in = sizeof(ctx);
	attr.test.repeat = repeat;
	attr.test.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
	while (sys_bpf(BPF_PROG_TEST_RUN, &attr) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

static const char *
errno_name(int e)
{
	const char *name = strerrorname_np(e);

	return name ? name : "an unknown error";
}

/*
 * Loading an XDP program and running it with BPF_PROG_RUN does not mean the
 * kernel runs it over live frames: some refuse (6.18.44-fc-v1300 answers
 * EPERM, to root too; kernels before 5.18 EINVAL).  Asks with a one-frame
 * live run of a program that drops the frame, so nothing is sent.
 */
static int
probe_live(int ifindex, char *err, size_t errlen)
{
	static const uint8_t frame[DICAP_FRAME_MIN_LEN];
	const struct bpf_insn drop[] = { MOV_IMM(0, XDP_DROP), EXIT() };
	int fd, e;

	fd = load_insns(drop, 2, NULL, 0);
	if (fd < 0) {
		snprintf(err, errlen,
		    "xdp-live: the kernel refused the probe program: %s",
		    strerror(errno));
		return -1;
	}
	if (run_live(fd, ifindex, frame, sizeof(frame), 1) == 0) {
		close(fd);
		return 0;
	}
	e = errno;
	close(fd);
	snprintf(err, errlen,
	    "xdp-live: this kernel refuses BPF_PROG_RUN with live frames "
	    "(%s%s); use --engine af_packet", errno_name(e),
	    e == EINVAL ? ": live frames need Linux 5.18 or later" : "");
	return -1;
}

struct xdplive *
xdplive_open(int ifindex, char *err, size_t errlen)
{
	static char log[16384];
	struct xdplive *x = calloc(1, sizeof(*x));
	union bpf_attr attr;

	if (!x) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	x->ifindex = ifindex;
	x->prog_fd = -1;
	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = sizeof(struct xdplive_tmpl);
	attr.max_entries = 1;
	x->map_fd = (int)sys_bpf(BPF_MAP_CREATE, &attr);
	if (x->map_fd < 0) {
		snprintf(err, errlen, "xdp-live: cannot create a BPF map: %s",
		    strerror(errno));
		goto fail;
	}
	log[0] = 0;
	x->prog_fd = load_prog(x->map_fd, log, sizeof(log));
	if (x->prog_fd < 0) {
		snprintf(err, errlen,
		    "xdp-live: the kernel refused the program: %s%s%.300s",
		    strerror(errno), log[0] ? "\n" : "", log);
		goto fail;
	}
	if (probe_live(ifindex, err, errlen))
		goto fail;
	return x;
fail:
	xdplive_close(x);
	return NULL;
}

int
xdplive_send(struct xdplive *x, const uint8_t *frame, size_t len,
    const struct xdplive_tmpl *t, unsigned repeat, char *err, size_t errlen)
{
	union bpf_attr attr;
	uint32_t key = 0;
	int e;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)x->map_fd;
	attr.key = (uint64_t)(uintptr_t)&key;
	attr.value = (uint64_t)(uintptr_t)t;
	if (sys_bpf(BPF_MAP_UPDATE_ELEM, &attr) < 0) {
		snprintf(err, errlen, "xdp-live: map update: %s", strerror(errno));
		return -1;
	}
	if (run_live(x->prog_fd, x->ifindex, frame, len, repeat)) {
		e = errno;
		snprintf(err, errlen, "xdp-live: BPF_PROG_RUN: %s%s", strerror(e),
		    e == EINVAL ? " (a live frame may be at most about 3 KB)" : "");
		return -1;
	}
	return 0;
}

void
xdplive_close(struct xdplive *x)
{
	if (!x)
		return;
	if (x->prog_fd >= 0)
		close(x->prog_fd);
	if (x->map_fd >= 0)
		close(x->map_fd);
	free(x);
}
