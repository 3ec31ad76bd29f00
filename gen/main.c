/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicap-gen: a traffic generator for DiCAP's tests and benchmarks.  It
 * sends synthetic frames (a mix of kinds over a set of flows, each frame
 * numbered in its payload) or replays a capture file, at a given rate, out
 * of an interface or into a pcap file.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pcap/pcap.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "framegen.h"
#include "gen.h"
#include "opt.h"
#include "xdplive.h"

#define DEFAULT_SIZE	64
#define DEFAULT_FLOWS	64
#define DEFAULT_BATCH	32
#define DEFAULT_MIX	"ipv4-udp"

volatile sig_atomic_t gen_stop;

struct opts {
	const char *ifname, *rfile, *wfile, *mix;
	uint64_t count;			/* 0: no limit */
	double duration;		/* seconds; 0: no limit */
	double rate;			/* frames per second; 0: as fast as possible */
	struct synth_cfg synth;
	int size_set, synth_set;	/* options only synthetic traffic takes */
	unsigned loops;
	int loops_set;
	int dry_run, engine, bypass, cpu, verbose, quiet, json;
	unsigned batch;
};

struct run {
	struct opts *o;
	struct synth synth;
	struct replay *replay;
	struct tx *tx;
	pcap_t *dead;
	pcap_dumper_t *dump;
	uint8_t *slots;
	struct iovec iov[GEN_BATCH_MAX];
	uint8_t ok[GEN_BATCH_MAX];
	struct gen_stats st;
	uint64_t built;			/* frames taken from the source */
	uint64_t t0_mono, t0_real, t_end;
	FILE *report;			/* where summaries go: not the pcap stream */
	char err[512];
};

static void
usage(FILE *f)
{
	int k;

	fprintf(f,
	    "usage: dicap-gen -i IFACE [options]          send synthetic frames\n"
	    "       dicap-gen -i IFACE -r FILE [options]  replay a capture file\n"
	    "       dicap-gen --dry-run -w FILE [options] write the frames to a pcap file\n"
	    "\n"
	    "Where frames go:\n"
	    "  -i, --interface IFACE  send out of IFACE (needs root or CAP_NET_RAW)\n"
	    "  -w, --write FILE       also write every frame sent to the pcap FILE ('-': stdout)\n"
	    "      --dry-run          do not send: only write the frames (-w), at full speed;\n"
	    "                         timestamps follow --rate as if they had been sent\n"
	    "  -r, --read FILE        replay the frames of FILE (pcap/pcapng, Ethernet) as they\n"
	    "                         are; frames under 60 bytes are padded with zeros\n"
	    "      --loop N           replay FILE N times (default 1; 0: until stopped)\n"
	    "\n"
	    "How much and how fast:\n"
	    "  -c, --count N          stop after N frames (default: no limit; -r: the file)\n"
	    "  -d, --duration S       stop after S seconds (decimals allowed)\n"
	    "  -R, --rate PPS         frames per second, suffix k or M allowed (default 0:\n"
	    "                         as fast as possible); a token bucket on CLOCK_MONOTONIC\n"
	    "      --batch N          frames per system call, 1-%d (default %d; xdp-live:\n"
	    "                         copies per run, up to %d, default %d)\n"
	    "      --engine E         af_packet (sendmmsg, default), tx_ring (PACKET_TX_RING)\n"
	    "                         or xdp-live (BPF_PROG_RUN live frames: each batch is\n"
	    "                         one frame sent --batch times, numbered in turn)\n"
	    "      --no-bypass        send through the qdisc (default: PACKET_QDISC_BYPASS,\n"
	    "                         which taps on IFACE itself do not see)\n"
	    "      --cpu N            run on CPU N\n"
	    "\n"
	    "What to send (synthetic traffic only):\n"
	    "  -s, --size N|A-B       frame length in bytes, Ethernet header included, FCS\n"
	    "                         excluded: 60-%d, or uniform in A-B (default %d); a kind\n"
	    "                         whose headers need more is sent at its minimum (noted)\n"
	    "  -m, --mix SPEC         kinds and weights: KIND[=W],... (default %s); weights\n"
	    "                         are shares of frames; 'all' is a mix of everything\n"
	    "  -f, --flows N          number of flows, each sent in both directions in turn\n"
	    "                         (default %d); hosts in 198.18.0.0/15, 2001:db8::/32\n"
	    "      --ipid MODE        IPv4 ID (and IPv6 fragment ID): random (default), seq\n"
	    "                         (low 16 bits of the sequence number), zero, or\n"
	    "                         mostly-zero (90%% of unfragmented packets 0, as Linux\n"
	    "                         sends DF traffic; the rest and fragments random)\n"
	    "      --seq-start N      first payload sequence number (default 0)\n"
	    "      --seed N           random seed (default 1): same options, same frames\n"
	    "\n"
	    "Output:\n"
	    "  -v, --verbose          a line per second, and frames per kind at the end\n"
	    "  -q, --quiet            no notes and no summary (errors only)\n"
	    "      --json             the final numbers as one JSON object on stdout\n"
	    "      --decode FILE      list the frames of a capture: number, sequence number,\n"
	    "                         length, kind, parser class, IP ID, addresses, ports\n"
	    "  -h, --help             this text\n"
	    "\n"
	    "Kinds for --mix:\n",
	    GEN_BATCH_MAX, DEFAULT_BATCH, GEN_LIVE_BATCH_MAX, GEN_LIVE_BATCH,
	    GEN_FRAME_MAX, DEFAULT_SIZE,
	    DEFAULT_MIX, DEFAULT_FLOWS);
	for (k = 0; k < K_MAX; k++)
		fprintf(f, "  %-10s %s\n", gen_kinds[k].name, gen_kinds[k].help);
	fprintf(f,
	    "  tcp, udp, sctp, icmp, frag: the IPv4 and IPv6 kinds, half each;\n"
	    "  ipv4, ipv6: TCP and UDP of that version, half each\n"
	    "  all        ipv4-tcp=30,ipv4-udp=15,ipv4-sctp=2,ipv4-icmp=3,ipv6-tcp=12,\n"
	    "             ipv6-udp=8,ipv6-sctp=2,ipv6-icmp=2,vlan=6,qinq=3,ipv4-frag=4,\n"
	    "             ipv6-frag=2,ipv4-opt=2,ipv6-ext=3,malformed=4,arp=2\n"
	    "\n"
	    "Every synthetic frame carries \"DCAP\" and a 32-bit big-endian sequence number\n"
	    "right after its L4 header (after the IP header in later fragments, after the\n"
	    "ARP body in ARP frames).\n"
	    "\n"
	    "Exit status: 0 all frames sent, 1 error, 2 bad command line, 3 some frames\n"
	    "could not be sent.\n");
}

/* A non-negative number with an optional k/M/G suffix (powers of 1000). */
static double
parse_num(const char *opt, const char *s, int suffix)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (suffix && end != s && *end && !end[1]) {
		if (*end == 'k' || *end == 'K')
			v *= 1e3, end++;
		else if (*end == 'M')
			v *= 1e6, end++;
		else if (*end == 'G')
			v *= 1e9, end++;
	}
	if (end == s || *end || errno || !(v >= 0) || isinf(v) || *s == '-' || *s == '+')
		opt_fail("%s: '%s' is not a valid number", opt, s);
	return v;
}

static uint64_t
parse_uint(const char *opt, const char *s, int suffix, uint64_t max)
{
	double v = parse_num(opt, s, suffix);

	if (v != floor(v) || v > (double)max)
		opt_fail("%s: '%s' must be a whole number up to %llu", opt, s,
		    (unsigned long long)max);
	return (uint64_t)v;
}

static void
parse_size(struct opts *o, const char *s)
{
	const char *dash = strchr(s, '-');
	char lo[32];

	if (dash && (size_t)(dash - s) < sizeof(lo)) {
		memcpy(lo, s, (size_t)(dash - s));
		lo[dash - s] = 0;
		o->synth.size_min = (unsigned)parse_uint("--size", lo, 0,
		    GEN_FRAME_MAX + 1);
		o->synth.size_max = (unsigned)parse_uint("--size", dash + 1, 0,
		    GEN_FRAME_MAX + 1);
	} else {
		o->synth.size_min = (unsigned)parse_uint("--size", s, 0,
		    GEN_FRAME_MAX + 1);
		o->synth.size_max = o->synth.size_min;
	}
	if (o->synth.size_min < DICAP_FRAME_MIN_LEN ||
	    o->synth.size_max > GEN_FRAME_MAX ||
	    o->synth.size_min > o->synth.size_max)
		opt_fail("--size: '%s' must be N or A-B with %d <= A <= B <= %d", s,
		    DICAP_FRAME_MIN_LEN, GEN_FRAME_MAX);
	o->size_set = 1;
}

enum {
	OPT_DRY_RUN = 256, OPT_LOOP, OPT_BATCH, OPT_ENGINE, OPT_NO_BYPASS, OPT_CPU,
	OPT_IPID, OPT_SEQ_START, OPT_SEED, OPT_JSON, OPT_DECODE,
};

static const struct option long_opts[] = {
	{ "interface", required_argument, NULL, 'i' },
	{ "write", required_argument, NULL, 'w' },
	{ "read", required_argument, NULL, 'r' },
	{ "count", required_argument, NULL, 'c' },
	{ "duration", required_argument, NULL, 'd' },
	{ "rate", required_argument, NULL, 'R' },
	{ "size", required_argument, NULL, 's' },
	{ "mix", required_argument, NULL, 'm' },
	{ "flows", required_argument, NULL, 'f' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "loop", required_argument, NULL, OPT_LOOP },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "engine", required_argument, NULL, OPT_ENGINE },
	{ "no-bypass", no_argument, NULL, OPT_NO_BYPASS },
	{ "cpu", required_argument, NULL, OPT_CPU },
	{ "ipid", required_argument, NULL, OPT_IPID },
	{ "seq-start", required_argument, NULL, OPT_SEQ_START },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "decode", required_argument, NULL, OPT_DECODE },
	{ NULL, 0, NULL, 0 },
};

static void
parse_synth_opt(struct opts *o, int c, const char *arg)
{
	char err[256];

	o->synth_set = 1;
	switch (c) {
	case 's':
		parse_size(o, arg);
		break;
	case 'm':
		if (synth_parse_mix(arg, o->synth.weight, err, sizeof(err)))
			opt_fail("--mix: %s", err);
		o->mix = arg;
		break;
	case 'f':
		o->synth.flows = (uint32_t)parse_uint("--flows", arg, 1, 1u << 24);
		if (!o->synth.flows)
			opt_fail("--flows: must be at least 1");
		break;
	case OPT_IPID:
		o->synth.ipid = synth_parse_ipid(arg);
		if (o->synth.ipid < 0)
			opt_fail("--ipid: '%s' is not random, seq, zero or mostly-zero",
			    arg);
		break;
	case OPT_SEQ_START:
		o->synth.seq_start = (uint32_t)parse_uint("--seq-start", arg, 0,
		    UINT32_MAX);
		break;
	case OPT_SEED:
		o->synth.seed = parse_uint("--seed", arg, 0, UINT64_MAX >> 11);
		break;
	}
}

static void
parse_opt(struct opts *o, int c, const char *arg)
{
	switch (c) {
	case 'i':
		o->ifname = arg;
		break;
	case 'w':
		o->wfile = arg;
		break;
	case 'r':
		o->rfile = arg;
		break;
	case 'c':
		o->count = parse_uint("--count", arg, 1, UINT64_MAX >> 11);
		break;
	case 'd':
		o->duration = parse_num("--duration", arg, 0);
		break;
	case 'R':
		o->rate = parse_num("--rate", arg, 1);
		break;
	case 'v':
		o->verbose++;
		break;
	case 'q':
		o->quiet = 1;
		break;
	case 'h':
		usage(stdout);
		exit(GEN_EXIT_OK);
	case OPT_DECODE:
		exit(gen_decode(arg));
	case OPT_DRY_RUN:
		o->dry_run = 1;
		break;
	case OPT_NO_BYPASS:
		o->bypass = 0;
		break;
	case OPT_JSON:
		o->json = 1;
		break;
	case OPT_LOOP:
		o->loops = (unsigned)parse_uint("--loop", arg, 0, UINT32_MAX);
		o->loops_set = 1;
		break;
	case OPT_BATCH:
		o->batch = (unsigned)parse_uint("--batch", arg, 0, GEN_LIVE_BATCH_MAX);
		if (!o->batch)
			opt_fail("--batch: must be at least 1");
		break;
	case OPT_ENGINE:
		o->engine = gen_engine_parse(arg);
		if (o->engine < 0)
			opt_fail("--engine: '%s' is not af_packet, tx_ring or xdp-live",
			    arg);
		break;
	case OPT_CPU:
		o->cpu = (int)parse_uint("--cpu", arg, 0, CPU_SETSIZE - 1);
		break;
	default:
		parse_synth_opt(o, c, arg);
		break;
	}
}

static void
check_opts(struct opts *o)
{
	if (o->dry_run && !o->wfile)
		opt_fail("--dry-run needs -w FILE");
	if (!o->dry_run && !o->ifname)
		opt_fail("no interface: give -i IFACE (or --dry-run -w FILE)");
	if (o->rfile && o->synth_set)
		opt_fail("--size, --mix, --flows, --ipid, --seq-start and --seed "
		    "make synthetic traffic; they do not go with -r");
	if (o->loops_set && !o->rfile)
		opt_fail("--loop only applies to -r");
	if (o->wfile && !strcmp(o->wfile, "-") && o->json)
		opt_fail("--json and -w - would both write to stdout");
	if (o->rate > 1e9)
		opt_fail("--rate: at most 1G frames per second");
	if (!o->batch)
		o->batch = o->engine == GEN_ENGINE_XDP_LIVE ? GEN_LIVE_BATCH :
		    DEFAULT_BATCH;
	if (o->engine == GEN_ENGINE_XDP_LIVE && o->synth.size_max > GEN_LIVE_FRAME_MAX)
		opt_fail("--size: xdp-live frames must fit in a page with the kernel's "
		    "headroom: at most %d bytes", GEN_LIVE_FRAME_MAX);
	if (o->engine != GEN_ENGINE_XDP_LIVE && o->batch > GEN_BATCH_MAX)
		opt_fail("--batch: at most %d (more only with --engine xdp-live)",
		    GEN_BATCH_MAX);
}

static void
parse_args(struct opts *o, int argc, char **argv)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->bypass = 1;
	o->cpu = -1;
	o->mix = DEFAULT_MIX;
	o->synth.size_min = o->synth.size_max = DEFAULT_SIZE;
	o->synth.flows = DEFAULT_FLOWS;
	o->synth.seed = 1;
	synth_parse_mix(DEFAULT_MIX, o->synth.weight, NULL, 0);
	while ((c = getopt_long(argc, argv, "i:w:r:c:d:R:s:m:f:vqh", long_opts,
	    NULL)) != -1) {
		if (c == '?')
			opt_fail("bad option");
		parse_opt(o, c, optarg);
	}
	if (optind < argc)
		opt_fail("unexpected argument '%s'", argv[optind]);
	check_opts(o);
}

static void
on_signal(int sig)
{
	(void)sig;
	gen_stop = 1;
}

static void
setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Notes on kinds that cannot be as small as asked; errors if too big to send. */
static int
check_sizes(struct run *r)
{
	struct opts *o = r->o;
	unsigned limit = r->tx ? tx_mtu(r->tx) + 14 : GEN_FRAME_MAX;
	unsigned need;
	int k;

	if (o->rfile)
		return 0;
	if (o->synth.size_max > limit) {
		fprintf(stderr, "dicap-gen: --size %u is more than the MTU of %s allows "
		    "(%u + 14 = %u bytes)\n", o->synth.size_max, o->ifname,
		    tx_mtu(r->tx), limit);
		return -1;
	}
	for (k = 0; k < K_MAX; k++) {
		if (!(o->synth.weight[k] > 0))
			continue;
		need = synth_kind_min(k);
		if (need > limit) {
			fprintf(stderr,
			    "dicap-gen: %s frames need %u bytes, more than the MTU "
			    "of %s allows (%u)\n", gen_kinds[k].name, need, o->ifname,
			    limit);
			return -1;
		}
		if (need > o->synth.size_min && !o->quiet)
			fprintf(stderr, "dicap-gen: note: %s frames need up to %u bytes "
			    "(headers, \"DCAP\" and the sequence number); below that they "
			    "are sent at their smallest\n", gen_kinds[k].name, need);
	}
	return 0;
}

static int
open_output(struct run *r)
{
	r->dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535,
	    PCAP_TSTAMP_PRECISION_NANO);
	if (!r->dead) {
		fprintf(stderr, "dicap-gen: pcap_open_dead failed\n");
		return -1;
	}
	r->dump = pcap_dump_open(r->dead, r->o->wfile);
	if (!r->dump) {
		fprintf(stderr, "dicap-gen: cannot write %s: %s\n", r->o->wfile,
		    pcap_geterr(r->dead));
		return -1;
	}
	return 0;
}

static void
pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		fprintf(stderr, "dicap-gen: cannot run on CPU %d: %s\n", cpu,
		    strerror(errno));
}

static int
setup(struct run *r)
{
	struct opts *o = r->o;

	r->report = o->wfile && !strcmp(o->wfile, "-") ? stderr : stdout;
	if (o->cpu >= 0)
		pin_cpu(o->cpu);
	/* Sleeps of a few microseconds must not turn into 50. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	r->slots = aligned_alloc(64, (size_t)(o->batch < GEN_BATCH_MAX ? o->batch + 1 :
	    GEN_BATCH_MAX) * GEN_SLOT);
	if (!r->slots) {
		fprintf(stderr, "dicap-gen: out of memory\n");
		return -1;
	}
	if (!o->dry_run) {
		r->tx = tx_open(o->ifname, o->engine, o->bypass, o->batch, r->err,
		    sizeof(r->err));
		if (!r->tx) {
			fprintf(stderr, "dicap-gen: %s\n", r->err);
			return -1;
		}
		if (!tx_has_carrier(r->tx) && !o->quiet)
			fprintf(stderr,
			    "dicap-gen: warning: %s has no carrier (is its peer "
			    "up?); frames will be dropped\n", o->ifname);
		if (o->engine == GEN_ENGINE_XDP_LIVE && !o->quiet)
			fprintf(stderr,
			    "dicap-gen: note: xdp-live frames reach a veth peer only "
			    "if it has GRO on (ethtool -K PEER gro on) or an XDP program\n");
	}
	if (check_sizes(r))
		return -1;
	if (o->rfile) {
		r->replay = replay_open(o->rfile, o->loops_set ? o->loops : 1, r->err,
		    sizeof(r->err));
		if (!r->replay) {
			fprintf(stderr, "dicap-gen: %s\n", r->err);
			return -1;
		}
	} else {
		synth_init(&r->synth, &o->synth);
	}
	return o->wfile ? open_output(r) : 0;
}

/* Fills up to @n slots; returns how many (fewer at the end of a replay), -1 on error. */
static int
fill(struct run *r, unsigned n)
{
	unsigned i;
	size_t len;
	int rc;

	for (i = 0; i < n; i++) {
		uint8_t *buf = r->slots + (size_t)i * GEN_SLOT;

		if (r->replay) {
			rc = replay_next(r->replay, buf, &len, r->err, sizeof(r->err));
			if (rc < 0)
				return -1;
			if (rc == 0)
				break;
		} else {
			len = synth_next(&r->synth, buf);
		}
		r->iov[i].iov_base = buf;
		r->iov[i].iov_len = len;
	}
	return (int)i;
}

/* Writes one frame, the @index-th of the run, to the -w file. */
static void
dump_one(struct run *r, const struct iovec *f, uint64_t index)
{
	struct pcap_pkthdr h;
	uint64_t ts;

	if (r->o->dry_run && r->o->rate > 0)
		ts = r->t0_real + (uint64_t)((double)index * 1e9 / r->o->rate);
	else
		ts = r->t0_real + (gen_mono_ns() - r->t0_mono);
	h.ts.tv_sec = (time_t)(ts / 1000000000u);
	h.ts.tv_usec = (suseconds_t)(ts % 1000000000u);	/* nanoseconds */
	h.caplen = h.len = (bpf_u_int32)f->iov_len;
	pcap_dump((u_char *)r->dump, &h, f->iov_base);
}

static void
dump_frames(struct run *r, unsigned n, uint64_t first)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (r->ok[i])
			dump_one(r, &r->iov[i], first + i);
}

/*
 * Seconds from @from to @to on CLOCK_MONOTONIC; 0 if @to is not later (a
 * time never taken), never a difference wrapped around 2^64.
 */
static double
elapsed_s(uint64_t from, uint64_t to)
{
	return to > from ? (double)(to - from) / 1e9 : 0;
}

static void
report_second(struct run *r, uint64_t now, struct gen_stats *last,
    uint64_t *last_ns)
{
	double dt = elapsed_s(*last_ns, now);

	fprintf(stderr, "dicap-gen: %7.1f s %12llu frames %10.0f pps %9.2f Mbit/s "
	    "%llu errors %llu retries\n", elapsed_s(r->t0_mono, now),
	    (unsigned long long)r->st.packets,
	    dt > 0 ? (double)(r->st.packets - last->packets) / dt : 0,
	    dt > 0 ? (double)(r->st.bytes - last->bytes) * 8 / dt / 1e6 : 0,
	    (unsigned long long)r->st.errors, (unsigned long long)r->st.retries);
	*last = r->st;
	*last_ns = now;
}

static int
send_batch(struct run *r, unsigned n)
{
	unsigned i;

	if (r->o->dry_run) {
		for (i = 0; i < n; i++) {
			r->ok[i] = 1;
			r->st.packets++;
			r->st.bytes += r->iov[i].iov_len;
		}
		return 0;
	}
	return tx_send(r->tx, r->iov, n, r->ok, &r->st, r->err, sizeof(r->err));
}

/* Writes @n copies of the frame in slot 0, as the BPF program numbers them. */
static void
live_dump(struct run *r, const struct xdplive_tmpl *tm, unsigned n)
{
	struct iovec copy = { r->slots + GEN_SLOT, r->iov[0].iov_len };
	unsigned i;

	for (i = 0; i < n; i++) {
		memcpy(copy.iov_base, r->iov[0].iov_base, copy.iov_len);
		xdplive_stamp(copy.iov_base, copy.iov_len, tm, tm->seq + i);
		dump_one(r, &copy, r->built + i);
	}
}

/*
 * xdp-live with synthetic frames: one frame, sent @n times with numbers
 * S..S+n-1 (and spread over the flows) by the BPF program.
 */
static int
live_batch(struct run *r, unsigned n)
{
	struct opts *o = r->o;
	struct xdplive_tmpl tm;

	if (fill(r, 1) != 1)
		return -1;
	xdplive_template(r->iov[0].iov_base, r->iov[0].iov_len, o->synth.flows,
	    o->synth.ipid == GEN_IPID_SEQ, &tm);
	synth_skip(&r->synth, n - 1);
	if (r->dump)
		live_dump(r, &tm, n);
	if (o->dry_run) {
		r->st.packets += n;
		r->st.bytes += (uint64_t)n * r->iov[0].iov_len;
		return 0;
	}
	return tx_send_copies(r->tx, &r->iov[0], &tm, n, &r->st, r->err, sizeof(r->err));
}

/* One batch from the source to the sender; returns frames done or -1. */
static int
do_batch(struct run *r, unsigned n)
{
	int got;

	got = fill(r, n);
	if (got < 0 || (got > 0 && send_batch(r, (unsigned)got)))
		return -1;
	if (r->dump)
		dump_frames(r, (unsigned)got, r->built);
	return got;
}

static int
run_loop(struct run *r)
{
	struct opts *o = r->o;
	struct pace pace;
	struct gen_stats last = { 0 };
	uint64_t now, last_ns, dur_ns = (uint64_t)(o->duration * 1e9);
	int live = o->engine == GEN_ENGINE_XDP_LIVE && !r->replay;
	unsigned want, n;
	int got, rc = 0;

	pace_init(&pace, o->dry_run ? 0 : o->rate, o->batch);
	r->t0_mono = last_ns = gen_mono_ns();
	r->t0_real = gen_real_ns();
	for (;;) {
		want = live || o->batch < GEN_BATCH_MAX ? o->batch : GEN_BATCH_MAX;
		if (o->count && o->count - r->built < want)
			want = (unsigned)(o->count - r->built);
		if (!want || gen_stop)
			break;
		now = gen_mono_ns();
		if (dur_ns && now - r->t0_mono >= dur_ns)
			break;
		if (o->verbose && now - last_ns >= 1000000000u)
			report_second(r, now, &last, &last_ns);
		if (live) {
			/* Whole batches, so the frames do not depend on timing. */
			if (!pace_take_all(&pace, want))
				break;
			got = live_batch(r, want) ? -1 : (int)want;
			n = want;
		} else {
			n = pace_take(&pace, want);
			if (!n)
				break;
			got = do_batch(r, n);
		}
		if (got < 0) {
			fprintf(stderr, "dicap-gen: %s\n", r->err);
			rc = -1;
			break;
		}
		r->built += (unsigned)got;
		if ((unsigned)got < n)
			break;			/* end of the replay */
	}
	/* Also after an error: the summary tells what went out until then. */
	r->t_end = gen_mono_ns();
	return rc;
}

static void
print_kinds(struct run *r, FILE *f, int json)
{
	int k, first = 1;

	for (k = 0; k < K_MAX; k++) {
		if (!r->synth.frames[k])
			continue;
		if (json)
			fprintf(f, "%s\"%s\":%llu", first ? "" : ",", gen_kinds[k].name,
			    (unsigned long long)r->synth.frames[k]);
		else
			fprintf(f, "%s%s %llu", first ? "" : ", ", gen_kinds[k].name,
			    (unsigned long long)r->synth.frames[k]);
		first = 0;
	}
}

static void
print_json(struct run *r, double secs)
{
	struct opts *o = r->o;
	FILE *f = r->report;

	fprintf(f, "{\"mode\":\"%s\",", o->dry_run ? "dry-run" : "send");
	if (o->ifname && !o->dry_run)
		fprintf(f, "\"interface\":\"%s\",\"engine\":\"%s\",", o->ifname,
		    gen_engine_name(o->engine));
	fprintf(f, "\"packets\":%llu,\"bytes\":%llu,\"elapsed_s\":%.6f,"
	    "\"rate_pps\":%.1f,\"rate_mbps\":%.3f,\"send_errors\":%llu,"
	    "\"enobufs_retries\":%llu",
	    (unsigned long long)r->st.packets, (unsigned long long)r->st.bytes, secs,
	    secs > 0 ? (double)r->st.packets / secs : 0,
	    secs > 0 ? (double)r->st.bytes * 8 / secs / 1e6 : 0,
	    (unsigned long long)r->st.errors, (unsigned long long)r->st.retries);
	if (r->replay) {
		fprintf(f, ",\"padded\":%llu,\"skipped\":%llu",
		    (unsigned long long)replay_padded(r->replay),
		    (unsigned long long)replay_skipped(r->replay));
	} else {
		fprintf(f, ",\"seq_first\":%u,\"seq_next\":%u,\"kinds\":{",
		    o->synth.seq_start, r->synth.seq);
		print_kinds(r, f, 1);
		fprintf(f, "}");
	}
	fprintf(f, "}\n");
}

static void
print_summary(struct run *r)
{
	struct opts *o = r->o;
	double secs = elapsed_s(r->t0_mono, r->t_end);

	if (o->json)
		print_json(r, secs);
	if (o->quiet)
		return;
	fprintf(stderr, "dicap-gen: %s %llu frames, %llu bytes in %.3f s: %.0f pps, "
	    "%.2f Mbit/s; %llu send errors, %llu ENOBUFS retries\n",
	    o->dry_run ? "wrote" : "sent", (unsigned long long)r->st.packets,
	    (unsigned long long)r->st.bytes, secs,
	    secs > 0 ? (double)r->st.packets / secs : 0,
	    secs > 0 ? (double)r->st.bytes * 8 / secs / 1e6 : 0,
	    (unsigned long long)r->st.errors, (unsigned long long)r->st.retries);
	if (r->st.errors && r->st.last_errno)
		fprintf(stderr, "dicap-gen: last send error: %s\n",
		    strerror(r->st.last_errno));
	if (r->replay && (replay_padded(r->replay) || replay_skipped(r->replay) ||
	    replay_truncated(r->replay)))
		fprintf(stderr, "dicap-gen: replay: %llu frames padded to 60 bytes, %llu "
		    "longer than %d bytes skipped, %llu captured truncated\n",
		    (unsigned long long)replay_padded(r->replay),
		    (unsigned long long)replay_skipped(r->replay), GEN_FRAME_MAX,
		    (unsigned long long)replay_truncated(r->replay));
	if (o->verbose && !r->replay) {
		fprintf(stderr, "dicap-gen: frames by kind: ");
		print_kinds(r, stderr, 0);
		fprintf(stderr, "\n");
	}
}

static int
finish_output(struct run *r)
{
	int rc = 0;

	if (r->dump) {
		if (pcap_dump_flush(r->dump) < 0 || ferror(pcap_dump_file(r->dump))) {
			fprintf(stderr, "dicap-gen: writing %s failed\n", r->o->wfile);
			rc = -1;
		}
		pcap_dump_close(r->dump);
	}
	if (r->dead)
		pcap_close(r->dead);
	return rc;
}

int
main(int argc, char **argv)
{
	static struct run run;
	struct opts opts;
	int rc = GEN_EXIT_OK;

	opt_program("dicap-gen", "Try 'dicap-gen --help'.", GEN_EXIT_USAGE);
	parse_args(&opts, argc, argv);
	run.o = &opts;
	setup_signals();
	if (setup(&run)) {
		rc = GEN_EXIT_FAIL;
		goto out;
	}
	if (run_loop(&run))
		rc = GEN_EXIT_FAIL;
	/* A run that failed before its first frame has nothing to sum up. */
	if (rc == GEN_EXIT_OK || run.st.packets || run.st.errors)
		print_summary(&run);
	if (rc == GEN_EXIT_OK && run.st.errors)
		rc = GEN_EXIT_LOST;
out:
	if (finish_output(&run))
		rc = GEN_EXIT_FAIL;
	tx_close(run.tx);
	replay_close(run.replay);
	free(run.slots);
	return rc;
}
