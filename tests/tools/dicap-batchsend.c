/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicap-batchsend: a test sender of header batches, standing in for one or
 * more capture nodes in front of dicap-analyzer.
 *
 * Records come from a pcap file (-r, read by hand: no libpcap) or are
 * synthesized: Ethernet/IPv4/UDP frames carrying "DCAP" and a 32-bit frame
 * sequence number at offset 42 (the tests' convention), record i with
 * timestamp ts-start + i * ts-step.  Record i goes to node i mod N, so the
 * nodes' batches interleave in time and the analyzer has to merge them.
 * Each node has its own socket (UDP, or a TCP connection) and its own
 * batch sequence numbers, like a dicapd's stream to one analyzer.
 *
 * Faults on request, per node id and batch sequence number: --skip (the
 * batch is numbered but not sent: loss), --dup (sent twice), --swap (sent
 * after the next one: out of order); --malformed N bad batches of several
 * kinds spread over the run; --split sends each TCP batch in pieces.
 *
 * --sent FILE lists every record actually sent, once: "SEC.NSEC FRAMESEQ
 * NODEID" (frame seq -1 when a record carries none), the format the tests
 * compare with `tcpdump -nn -tt --nano`.  A JSON summary goes to stdout.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "ctlmsg.h"
#include "opt.h"
#include "replay.h"

#define PROG		"dicap-batchsend"
#define MAX_NODES	64
#define MAX_FAULTS	4096
#define MAX_RECS	(DICAP_BATCH_MAX_LEN / DICAP_BATCH_REC_HDR_LEN + 1)
#define FRAME_MAX	65535
#define MARK_OFF	42		/* Ethernet 14 + IPv4 20 + UDP 8 */
#define MARKER		0x44434150u	/* "DCAP" */
#define BAD_SEQ_BASE	0xbad00000u	/* frame seqs inside malformed batches */
#define NO_SEQ		UINT64_MAX

enum fault { F_SKIP, F_DUP, F_SWAP };

enum bad_kind {
	BAD_SHORT, BAD_MAGIC, BAD_LENGTH, BAD_FLAGS,	/* header unreadable */
	BAD_CAPLEN, BAD_COUNT, BAD_RECTRUNC,		/* node id readable */
	BAD_KINDS,
};

static const char *const bad_names[BAD_KINDS] = {
	"short", "magic", "length", "flags", "caplen", "count", "rectrunc",
};

struct meta {
	uint64_t ts;
	uint64_t frame_seq;
};

struct held {
	uint8_t buf[DICAP_BATCH_MAX_LEN];
	uint32_t len;
	struct meta meta[MAX_RECS];
	uint32_t n;
};

struct snode {
	uint32_t id;
	int fd;
	uint32_t seq;
	struct dicap_batch_writer w;
	uint8_t buf[DICAP_BATCH_MAX_LEN];
	struct meta meta[MAX_RECS];
	uint32_t n;
	struct held *held;	/* a swapped batch waiting for the next one */
};

struct fault_ent {
	enum fault kind;
	uint32_t id;
	uint32_t seq;
	int used;
};

static struct {
	struct dicap_addr to;
	int tcp;
	uint32_t first_id;
	uint32_t nnodes;
	uint64_t count;
	uint64_t frame_seq;
	uint32_t batch_seq;
	uint32_t per_batch;
	uint32_t max_bytes;
	uint32_t snaplen;
	uint32_t size;
	uint64_t ts_start;
	uint64_t ts_step;
	uint32_t rate;
	uint32_t split;
	int linktype;
	const char *pcap;
	const char *sent_path;
	uint32_t malformed;
	int bad_kinds[BAD_KINDS];
	int nbad_kinds;
	int tail_garbage;
} opt;

static struct snode nodes[MAX_NODES];
static struct fault_ent faults[MAX_FAULTS];
static int nfaults;
static FILE *sent_f;
static uint64_t next_send_ns;

static struct {
	uint64_t records, sent_records, sent_batches, skipped_batches, skipped_records;
	uint64_t dup_batches, swapped_batches, malformed, malformed_with_node;
	uint64_t send_errors, bytes;
} st;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: " PROG " -s addr:port [--tcp] [--node id] [--nodes n] [--count n]\n"
	    "\t[-r file.pcap] [--frame-seq n] [--batch-seq n] [--per-batch n]\n"
	    "\t[--max-bytes n] [--snaplen n] [--size n] [--ts-start ns] [--ts-step ns]\n"
	    "\t[--rate batches/s] [--split bytes] [--linktype n] [--sent file]\n"
	    "\t[--skip id:seq[,seq...]] [--dup id:seq[,...]] [--swap id:seq[,...]]\n"
	    "\t[--malformed n] [--malformed-kinds k,...] [--tail-garbage]\n"
	    "defaults: --node 1 --nodes 1 --count 1000 (with -r: 0, the whole file)\n"
	    "\t--max-bytes %d --snaplen 96\n"
	    "\t--size 128 --ts-start now --ts-step 1234 --linktype 1 (or the file's)\n"
	    "malformed kinds: short magic length flags (header unreadable),\n"
	    "\tcaplen count rectrunc (node readable); over TCP only the last three\n",
	    DICAP_BATCH_DEFAULT_MAX);
}

/* "ID:SEQ[,SEQ...]" */
static void
add_faults(enum fault kind, const char *o, const char *arg)
{
	char buf[4096], *colon, *tok, *save = NULL;
	uint32_t id;

	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf))
		opt_fail("%s: too long", o);
	if ((colon = strchr(buf, ':')) == NULL)
		opt_fail("%s %s is not ID:SEQ[,SEQ...]", o, arg);
	*colon = '\0';
	id = (uint32_t)opt_number(o, buf, 0, UINT32_MAX);
	for (tok = strtok_r(colon + 1, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (nfaults == MAX_FAULTS)
			opt_fail("too many faults");
		faults[nfaults].kind = kind;
		faults[nfaults].id = id;
		faults[nfaults].seq = (uint32_t)opt_number(o, tok, 0, UINT32_MAX);
		nfaults++;
	}
}

static void
set_bad_kinds(const char *arg)
{
	char buf[256], *tok, *save = NULL;
	int k;

	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf))
		opt_fail("--malformed-kinds: too long");
	opt.nbad_kinds = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (k = 0; k < BAD_KINDS; k++)
			if (strcmp(tok, bad_names[k]) == 0)
				break;
		if (k == BAD_KINDS)
			opt_fail("--malformed-kinds: unknown kind %s", tok);
		opt.bad_kinds[opt.nbad_kinds++] = k;
	}
	if (opt.nbad_kinds == 0)
		opt_fail("--malformed-kinds: empty");
}

static int
has_fault(enum fault kind, uint32_t id, uint32_t seq)
{
	int i;

	for (i = 0; i < nfaults; i++) {
		if (faults[i].kind == kind && faults[i].id == id && faults[i].seq == seq) {
			faults[i].used = 1;
			return 1;
		}
	}
	return 0;
}

/* --- sending */

static void
pace(void)
{
	struct timespec ts;
	uint64_t now;

	if (opt.rate == 0)
		return;
	now = dicap_mono_ns();
	if (next_send_ns == 0 || next_send_ns + 100000000ULL < now)
		next_send_ns = now;
	if (next_send_ns > now) {
		ts.tv_sec = (time_t)(next_send_ns / 1000000000ULL);
		ts.tv_nsec = (long)(next_send_ns % 1000000000ULL);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
	next_send_ns += 1000000000ULL / opt.rate;
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
send_raw(struct snode *n, const uint8_t *p, size_t len)
{
	struct timespec pause = { 0, 200000 };
	size_t off, chunk;

	pace();
	st.bytes += len;
	if (!opt.tcp) {
		if (send(n->fd, p, len, 0) == (ssize_t)len)
			return 0;
		st.send_errors++;
		return -1;
	}
	if (opt.split == 0)
		return write_all(n->fd, p, len) == 0 ? 0 : (st.send_errors++, -1);
	for (off = 0; off < len; off += chunk) {
		chunk = len - off < opt.split ? len - off : opt.split;
		if (write_all(n->fd, p + off, chunk) == -1) {
			st.send_errors++;
			return -1;
		}
		nanosleep(&pause, NULL);	/* one segment per piece */
	}
	return 0;
}

static void
log_sent(const struct snode *n, const struct meta *m, uint32_t count)
{
	uint32_t i;

	st.sent_records += count;
	if (sent_f == NULL)
		return;
	for (i = 0; i < count; i++) {
		fprintf(sent_f, "%" PRIu64 ".%09" PRIu64 " ", m[i].ts / UINT64_C(1000000000),
		    m[i].ts % UINT64_C(1000000000));
		if (m[i].frame_seq == NO_SEQ)
			fprintf(sent_f, "-1");
		else
			fprintf(sent_f, "%" PRIu64, m[i].frame_seq);
		fprintf(sent_f, " 0x%08x\n", n->id);
	}
}

static void
send_batch(struct snode *n, const uint8_t *p, uint32_t len, const struct meta *m,
    uint32_t count, int twice)
{
	send_raw(n, p, len);
	st.sent_batches++;
	log_sent(n, m, count);
	if (twice) {
		send_raw(n, p, len);
		st.dup_batches++;
	}
}

static void
send_held(struct snode *n)
{
	struct held *h = n->held;

	if (h == NULL)
		return;
	send_batch(n, h->buf, h->len, h->meta, h->n, 0);
	free(h);
	n->held = NULL;
}

static void
flush_node(struct snode *n)
{
	uint32_t len, seq;
	struct held *h;

	if (n->n == 0)
		return;
	seq = n->seq++;
	len = dicap_batch_finish(&n->w, n->id, seq, (uint16_t)opt.linktype, 0);
	if (has_fault(F_SKIP, n->id, seq)) {
		st.skipped_batches++;
		st.skipped_records += n->n;
	} else if (n->held == NULL && has_fault(F_SWAP, n->id, seq)) {
		if ((h = malloc(sizeof(*h))) == NULL)
			opt_fail("out of memory");
		memcpy(h->buf, n->buf, len);
		h->len = len;
		memcpy(h->meta, n->meta, n->n * sizeof(n->meta[0]));
		h->n = n->n;
		n->held = h;
		st.swapped_batches++;
	} else {
		send_batch(n, n->buf, len, n->meta, n->n, has_fault(F_DUP, n->id, seq));
		send_held(n);
	}
	dicap_batch_begin(&n->w, n->buf, opt.max_bytes);
	n->n = 0;
}

static void
add_record(struct snode *n, uint64_t ts, uint32_t wirelen, const uint8_t *data,
    uint32_t caplen, uint64_t frame_seq)
{
	if (opt.per_batch && n->n == opt.per_batch)
		flush_node(n);
	if (dicap_batch_add(&n->w, ts, wirelen, data, caplen) == -1) {
		flush_node(n);
		if (dicap_batch_add(&n->w, ts, wirelen, data, caplen) == -1)
			opt_fail("a record of %u bytes does not fit in a batch of %u", caplen,
			    opt.max_bytes);
	}
	n->meta[n->n].ts = ts;
	n->meta[n->n].frame_seq = frame_seq;
	n->n++;
	st.records++;
}

/* --- malformed batches */

static uint32_t
bad_batch(struct snode *n, enum bad_kind kind, uint8_t *buf, const uint8_t *frame,
    uint32_t caplen)
{
	struct dicap_batch_writer w;
	uint32_t len, rec1;

	dicap_batch_begin(&w, buf, DICAP_BATCH_MAX_LEN);
	dicap_batch_add(&w, dicap_now_ns(), caplen, frame, caplen);
	rec1 = w.len;
	dicap_batch_add(&w, dicap_now_ns(), caplen, frame, caplen);
	len = dicap_batch_finish(&w, n->id, n->seq, (uint16_t)opt.linktype, 0);
	switch (kind) {
	case BAD_SHORT:
		return 10;
	case BAD_MAGIC:
		buf[0] ^= 0xff;
		break;
	case BAD_LENGTH:
		dicap_put_be32(buf + 16, len + 1);
		break;
	case BAD_FLAGS:
		buf[3] = 0x80;
		break;
	case BAD_CAPLEN:
		dicap_put_be16(buf + DICAP_BATCH_HDR_LEN + 8, (uint16_t)(caplen - 1));
		break;
	case BAD_COUNT:
		dicap_put_be16(buf + 12, 3);
		break;
	case BAD_RECTRUNC:
		dicap_put_be16(buf + rec1 + 10, (uint16_t)(caplen + 5));
		dicap_put_be16(buf + rec1 + 8, (uint16_t)(caplen + 5));
		break;
	case BAD_KINDS:
		break;
	}
	return len;
}

static void build_frame(uint8_t *f, uint32_t size, uint32_t node_idx, uint32_t seq);

static void
send_malformed(struct snode *n, uint32_t idx)
{
	static uint8_t buf[DICAP_BATCH_MAX_LEN];
	uint8_t frame[128];
	enum bad_kind kind = (enum bad_kind)opt.bad_kinds[idx % (uint32_t)opt.nbad_kinds];
	uint32_t len;

	build_frame(frame, sizeof(frame), 0, BAD_SEQ_BASE + idx);
	len = bad_batch(n, kind, buf, frame, sizeof(frame));
	send_raw(n, buf, len);
	st.malformed++;
	if (kind >= BAD_CAPLEN)
		st.malformed_with_node++;
}

/* --- synthesized frames */

static uint16_t
ip_checksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)dicap_get_be16(p + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Ethernet / IPv4 198.18.0.x -> 198.18.1.1 / UDP 40000 -> 9 / "DCAP" seq. */
static void
build_frame(uint8_t *f, uint32_t size, uint32_t node_idx, uint32_t seq)
{
	static const uint8_t dst[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	uint8_t *ip = f + 14, *udp = f + 34;

	memset(f, 0, size);
	memcpy(f, dst, 6);
	f[6] = 0x02;
	f[11] = (uint8_t)(0x10 + node_idx);
	dicap_put_be16(f + 12, 0x0800);
	ip[0] = 0x45;
	dicap_put_be16(ip + 2, (uint16_t)(size - 14));
	dicap_put_be16(ip + 4, (uint16_t)seq);
	ip[8] = 64;
	ip[9] = 17;
	ip[12] = 198, ip[13] = 18, ip[14] = 0, ip[15] = (uint8_t)(1 + node_idx);
	ip[16] = 198, ip[17] = 18, ip[18] = 1, ip[19] = 1;
	dicap_put_be16(ip + 10, ip_checksum(ip, 20));
	dicap_put_be16(udp, 40000);
	dicap_put_be16(udp + 2, 9);
	dicap_put_be16(udp + 4, (uint16_t)(size - 34));
	dicap_put_be32(f + MARK_OFF, MARKER);
	dicap_put_be32(f + MARK_OFF + 4, seq);
}

static void
synthesize(void)
{
	static uint8_t frame[FRAME_MAX];
	uint32_t caplen = opt.size < opt.snaplen ? opt.size : opt.snaplen;
	uint64_t i, every = opt.malformed ? opt.count / (opt.malformed + 1) + 1 : 0;
	uint32_t bad = 0, idx;

	for (i = 0; i < opt.count; i++) {
		idx = (uint32_t)(i % opt.nnodes);
		build_frame(frame, opt.size, idx, (uint32_t)(opt.frame_seq + i));
		add_record(&nodes[idx], opt.ts_start + i * opt.ts_step, opt.size, frame,
		    caplen, (uint32_t)(opt.frame_seq + i));
		if (every && (i + 1) % every == 0 && bad < opt.malformed)
			send_malformed(&nodes[idx], bad++);
	}
	while (bad < opt.malformed)
		send_malformed(&nodes[bad % opt.nnodes], bad), bad++;
}

/* --- pcap files, read by hand with strict checks */

static uint16_t
get16(const uint8_t *p, int swap)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return swap ? __builtin_bswap16(v) : v;
}

static uint32_t
get32(const uint8_t *p, int swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

static uint64_t
frame_seq_of(const uint8_t *p, uint32_t len)
{
	uint32_t i;

	for (i = 0; i + 8 <= len; i++)
		if (dicap_get_be32(p + i) == MARKER)
			return dicap_get_be32(p + i + 4);
	return NO_SEQ;
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL, *nb;
	size_t cap = 0, n;

	if (f == NULL)
		opt_fail("%s: %s", path, strerror(errno));
	*len = 0;
	for (;;) {
		if (*len == cap) {
			cap = cap ? cap * 2 : 1 << 20;
			if ((nb = realloc(buf, cap)) == NULL)
				opt_fail("%s: out of memory", path);
			buf = nb;
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
		if (n == 0)
			break;
	}
	if (ferror(f))
		opt_fail("%s: read error", path);
	fclose(f);
	return buf;
}

struct pcap_file {
	const uint8_t *b;
	size_t len;
	int swap, nano;
};

/* Check every record (@send 0), or send them (@send 1): nothing is sent from a bad file. */
static void
walk_pcap(const struct pcap_file *pf, int send)
{
	size_t off = 24, len = pf->len;
	const uint8_t *b = pf->b;
	uint32_t incl, orig, frac, caplen;
	uint64_t ts, i = 0;

	while (off < len && (opt.count == 0 || i < opt.count)) {
		if (len - off < 16)
			opt_fail("%s: record %" PRIu64 ": header cut at byte %zu",
			    opt.pcap, i, off);
		frac = get32(b + off + 4, pf->swap);
		incl = get32(b + off + 8, pf->swap);
		orig = get32(b + off + 12, pf->swap);
		if (frac >= (pf->nano ? 1000000000u : 1000000u))
			opt_fail("%s: record %" PRIu64 ": fraction %u out of range",
			    opt.pcap, i, frac);
		if (incl > orig || orig == 0 || orig > 0xffff)
			opt_fail("%s: record %" PRIu64 ": lengths %u/%u unusable",
			    opt.pcap, i, incl, orig);
		if (len - off - 16 < incl)
			opt_fail("%s: record %" PRIu64 ": %u bytes run past the end",
			    opt.pcap, i, incl);
		if (send) {
			ts = (uint64_t)get32(b + off, pf->swap) * 1000000000ULL +
			    (pf->nano ? frac : frac * 1000ULL);
			caplen = incl < opt.snaplen ? incl : opt.snaplen;
			add_record(&nodes[i % opt.nnodes], ts, orig, b + off + 16, caplen,
			    frame_seq_of(b + off + 16, caplen));
		}
		off += 16 + incl;
		i++;
	}
}

static void
read_pcap(void)
{
	struct pcap_file pf;
	uint8_t *b;
	uint32_t magic;

	b = slurp(opt.pcap, &pf.len);
	pf.b = b;
	if (pf.len < 24)
		opt_fail("%s: %zu bytes, shorter than a pcap file header", opt.pcap, pf.len);
	magic = get32(b, 0);
	pf.swap = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
	pf.nano = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
	if (!pf.swap && !pf.nano && magic != 0xa1b2c3d4)
		opt_fail("%s: not a pcap file (magic 0x%08x; pcapng is not supported)", opt.pcap,
		    magic);
	if (get16(b + 4, pf.swap) != 2 || get16(b + 6, pf.swap) != 4)
		opt_fail("%s: pcap version %u.%u, expected 2.4", opt.pcap, get16(b + 4, pf.swap),
		    get16(b + 6, pf.swap));
	if (opt.linktype < 0)
		opt.linktype = (int)(get32(b + 20, pf.swap) & 0xffff);
	walk_pcap(&pf, 0);
	walk_pcap(&pf, 1);
	free(b);
}

/* --- setup */

static void
open_sockets(void)
{
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	struct sockaddr *sa;
	socklen_t salen;
	uint32_t i;
	int one = 1;

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (opt.to.family == 4) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons(opt.to.port);
		memcpy(&sin.sin_addr, opt.to.addr, 4);
		sa = (struct sockaddr *)&sin;
		salen = sizeof(sin);
	} else {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(opt.to.port);
		memcpy(&sin6.sin6_addr, opt.to.addr, 16);
		sa = (struct sockaddr *)&sin6;
		salen = sizeof(sin6);
	}
	for (i = 0; i < opt.nnodes; i++) {
		struct snode *n = &nodes[i];

		n->id = opt.first_id + i;
		n->seq = opt.batch_seq;
		dicap_batch_begin(&n->w, n->buf, opt.max_bytes);
		n->fd = socket(sa->sa_family, opt.tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
		if (n->fd == -1)
			opt_fail("socket: %s", strerror(errno));
		if (opt.tcp)
			setsockopt(n->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(n->fd, sa, salen) == -1)
			opt_fail("connect to %s: %s",
			    dicap_addr_format(&opt.to, (char[64]){ 0 }, 64),
			    strerror(errno));
	}
}

static void
report(void)
{
	int i, unused = 0;

	for (i = 0; i < nfaults; i++)
		unused += !faults[i].used;
	printf("{\"nodes\":%u,\"records\":%" PRIu64 ",\"sent_records\":%" PRIu64
	    ",\"sent_batches\":%" PRIu64 ",\"skipped_batches\":%" PRIu64
	    ",\"skipped_records\":%" PRIu64 ",\"dup_batches\":%" PRIu64
	    ",\"swapped_batches\":%" PRIu64 ",\"malformed\":%" PRIu64
	    ",\"malformed_with_node\":%" PRIu64 ",\"send_errors\":%" PRIu64
	    ",\"bytes\":%" PRIu64 ",\"unused_faults\":%d,\"last_seq\":[",
	    opt.nnodes, st.records, st.sent_records, st.sent_batches, st.skipped_batches,
	    st.skipped_records, st.dup_batches, st.swapped_batches, st.malformed,
	    st.malformed_with_node, st.send_errors, st.bytes, unused);
	for (i = 0; i < (int)opt.nnodes; i++)
		printf("%s%u", i ? "," : "", nodes[i].seq - 1);
	printf("]}\n");
}

static void
parse(int argc, char **argv)
{
	enum {
		O_TCP = 256, O_NODE, O_NODES, O_COUNT, O_FSEQ, O_BSEQ, O_PER, O_MAXB,
		O_SNAP, O_SIZE, O_TS0, O_TSSTEP, O_RATE, O_SPLIT, O_LT, O_SENT, O_SKIP,
		O_DUP, O_SWAP, O_BAD, O_BADK, O_TAIL,
	};
	static const struct option lo[] = {
		{ "to", required_argument, NULL, 's' },
		{ "read", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "tcp", no_argument, NULL, O_TCP },
		{ "node", required_argument, NULL, O_NODE },
		{ "nodes", required_argument, NULL, O_NODES },
		{ "count", required_argument, NULL, O_COUNT },
		{ "frame-seq", required_argument, NULL, O_FSEQ },
		{ "batch-seq", required_argument, NULL, O_BSEQ },
		{ "per-batch", required_argument, NULL, O_PER },
		{ "max-bytes", required_argument, NULL, O_MAXB },
		{ "snaplen", required_argument, NULL, O_SNAP },
		{ "size", required_argument, NULL, O_SIZE },
		{ "ts-start", required_argument, NULL, O_TS0 },
		{ "ts-step", required_argument, NULL, O_TSSTEP },
		{ "rate", required_argument, NULL, O_RATE },
		{ "split", required_argument, NULL, O_SPLIT },
		{ "linktype", required_argument, NULL, O_LT },
		{ "sent", required_argument, NULL, O_SENT },
		{ "skip", required_argument, NULL, O_SKIP },
		{ "dup", required_argument, NULL, O_DUP },
		{ "swap", required_argument, NULL, O_SWAP },
		{ "malformed", required_argument, NULL, O_BAD },
		{ "malformed-kinds", required_argument, NULL, O_BADK },
		{ "tail-garbage", no_argument, NULL, O_TAIL },
		{ NULL, 0, NULL, 0 },
	};
	const char *to = NULL, *kinds = NULL;
	int ch, count_given = 0;

	opt.first_id = 1;
	opt.nnodes = 1;
	opt.count = 1000;
	opt.max_bytes = DICAP_BATCH_DEFAULT_MAX;
	opt.snaplen = DICAP_SNAPLEN_DEFAULT;
	opt.size = 128;
	opt.ts_start = dicap_now_ns();
	opt.ts_step = 1234;
	opt.linktype = -1;
	while ((ch = getopt_long(argc, argv, "s:r:h", lo, NULL)) != -1) {
		switch (ch) {
		case 's': to = optarg; break;
		case 'r': opt.pcap = optarg; break;
		case 'h': usage(stdout); exit(0);
		case O_TCP: opt.tcp = 1; break;
		case O_NODE:
			opt.first_id = (uint32_t)opt_number("--node", optarg, 0, UINT32_MAX);
			break;
		case O_NODES:
			opt.nnodes = (uint32_t)opt_number("--nodes", optarg, 1, MAX_NODES);
			break;
		case O_COUNT:
			opt.count = opt_number("--count", optarg, 0, UINT32_MAX);
			count_given = 1;
			break;
		case O_FSEQ:
			opt.frame_seq = opt_number("--frame-seq", optarg, 0, UINT32_MAX);
			break;
		case O_BSEQ:
			opt.batch_seq = (uint32_t)opt_number("--batch-seq", optarg, 0, UINT32_MAX);
			break;
		case O_PER:
			opt.per_batch = (uint32_t)opt_number("--per-batch", optarg, 1, 0xffff);
			break;
		case O_MAXB:
			opt.max_bytes = (uint32_t)opt_number("--max-bytes", optarg, 64,
			    DICAP_BATCH_MAX_LEN);
			break;
		case O_SNAP:
			opt.snaplen = (uint32_t)opt_number("--snaplen", optarg, 0, 0xffff);
			break;
		case O_SIZE:
			opt.size = (uint32_t)opt_number("--size", optarg, 60, FRAME_MAX);
			break;
		case O_TS0: opt.ts_start = opt_number("--ts-start", optarg, 0, UINT64_MAX); break;
		case O_TSSTEP:
			opt.ts_step = opt_number("--ts-step", optarg, 0, 1000000000000ULL);
			break;
		case O_RATE: opt.rate = (uint32_t)opt_number("--rate", optarg, 0, 10000000); break;
		case O_SPLIT: opt.split = (uint32_t)opt_number("--split", optarg, 1, 65535); break;
		case O_LT: opt.linktype = (int)opt_number("--linktype", optarg, 0, 65535); break;
		case O_SENT: opt.sent_path = optarg; break;
		case O_SKIP: add_faults(F_SKIP, "--skip", optarg); break;
		case O_DUP: add_faults(F_DUP, "--dup", optarg); break;
		case O_SWAP: add_faults(F_SWAP, "--swap", optarg); break;
		case O_BAD:
			opt.malformed = (uint32_t)opt_number("--malformed", optarg, 0, 1000000);
			break;
		case O_BADK: kinds = optarg; break;
		case O_TAIL: opt.tail_garbage = 1; break;
		default: usage(stderr); exit(1);
		}
	}
	if (optind < argc)
		opt_fail("unexpected argument %s", argv[optind]);
	if (to == NULL || dicap_addr_parse(to, &opt.to) == -1)
		opt_fail("-s ADDR:PORT is required (the analyzer)");
	set_bad_kinds(kinds ? kinds : opt.tcp ? "caplen,count,rectrunc" :
	    "short,magic,length,flags,caplen,count,rectrunc");
	if (opt.pcap == NULL && opt.snaplen < MARK_OFF + 8)
		opt_fail("--snaplen %u cuts the DCAP sequence number (needs %d)", opt.snaplen,
		    MARK_OFF + 8);
	if (opt.linktype < 0 && opt.pcap == NULL)
		opt.linktype = 1;
	if (opt.pcap != NULL && !count_given)
		opt.count = 0;		/* the whole file */
}

int
main(int argc, char **argv)
{
	uint32_t i;

	opt_program(PROG, NULL, 1);
	parse(argc, argv);
	if (opt.sent_path && (sent_f = fopen(opt.sent_path, "w")) == NULL)
		opt_fail("%s: %s", opt.sent_path, strerror(errno));
	open_sockets();
	if (opt.pcap)
		read_pcap();
	else
		synthesize();
	for (i = 0; i < opt.nnodes; i++) {
		flush_node(&nodes[i]);
		send_held(&nodes[i]);
	}
	if (opt.tail_garbage)
		send_raw(&nodes[0], (const uint8_t *)"garbage garbage garbage!", 24);
	for (i = 0; i < opt.nnodes; i++)
		close(nodes[i].fd);
	if (sent_f && fclose(sent_f) != 0)
		opt_fail("%s: write error", opt.sent_path);
	report();
	return 0;
}
