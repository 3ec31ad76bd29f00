/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicap-analyzer: options, start, signals, the one-second tick, shutdown.
 *
 * It runs in the foreground (-f is accepted for symmetry with the other
 * daemons) and needs no privilege: it binds a port and writes a file.
 * SIGTERM, SIGINT and SIGHUP end it cleanly: what the sockets still hold
 * is read, the reorder window is written out in order, the file is closed,
 * and the exit status is 0 unless the output failed.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "analyzer.h"
#include "batch.h"
#include "conffile.h"
#include "log.h"
#include "opt.h"
#include "privdrop.h"
#include "replay.h"

enum long_only {
	OPT_TRANSPORT = 256,
	OPT_REORDER_MS,
	OPT_REORDER_MAX,
	OPT_SNAPLEN,
	OPT_LINKTYPE,
	OPT_STATS,
	OPT_JSON,
	OPT_CONFIG,
	OPT_REORDER_BYTES,
	OPT_NODE_TIMEOUT,
	OPT_CLOCK_SKEW,
	OPT_TCP_PER_SOURCE,
	OPT_TCP_IDLE,
	OPT_FORMAT,
	OPT_USER,
	OPT_METRICS,
};

static const char short_opts[] = "l:w:C:G:qfdh";

static const struct option long_opts[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "write", required_argument, NULL, 'w' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "foreground", no_argument, NULL, 'f' },
	{ "debug", no_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "rotate-size", required_argument, NULL, 'C' },
	{ "rotate-seconds", required_argument, NULL, 'G' },
	{ "transport", required_argument, NULL, OPT_TRANSPORT },
	{ "reorder-ms", required_argument, NULL, OPT_REORDER_MS },
	{ "reorder-max", required_argument, NULL, OPT_REORDER_MAX },
	{ "reorder-bytes", required_argument, NULL, OPT_REORDER_BYTES },
	{ "node-timeout", required_argument, NULL, OPT_NODE_TIMEOUT },
	{ "max-clock-skew", required_argument, NULL, OPT_CLOCK_SKEW },
	{ "tcp-per-source", required_argument, NULL, OPT_TCP_PER_SOURCE },
	{ "tcp-idle-timeout", required_argument, NULL, OPT_TCP_IDLE },
	{ "snaplen", required_argument, NULL, OPT_SNAPLEN },
	{ "linktype", required_argument, NULL, OPT_LINKTYPE },
	{ "stats", required_argument, NULL, OPT_STATS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "user", required_argument, NULL, OPT_USER },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ NULL, 0, NULL, 0 },
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: " PROG " -l addr:port -w file|- [-C size] [-G seconds] [-dfq]\n"
	    "\t[--format pcap|pcapng] [--transport udp|tcp|both] [--reorder-ms ms]\n"
	    "\t[--reorder-max records] [--reorder-bytes size] [--node-timeout s]\n"
	    "\t[--max-clock-skew s] [--tcp-per-source n] [--tcp-idle-timeout s]\n"
	    "\t[--snaplen bytes] [--linktype dlt] [--stats file]\n"
	    "\t[--json] [--config file] [--user name] [--metrics addr:port]\n"
	    "  -l addr:port      receive batches here (UDP; TCP too with --transport tcp)\n"
	    "  -w file|-         output file (nanosecond timestamps); - is standard output\n"
	    "  --format f        pcap (default) or pcapng: one interface per node, with\n"
	    "                    its statistics when a file closes\n"
	    "  -C size           start a new file when one exceeds size (--rotate-size): millions\n"
	    "                    of bytes, or with a k, m or g suffix KiB, MiB, GiB\n"
	    "  -G seconds        start a new file every so many seconds of record time\n"
	    "                    (--rotate-seconds); the name goes through strftime(3)\n"
	    "  --transport t     udp (default), tcp or both: tcp listens on TCP as well\n"
	    "  --reorder-ms ms   reorder window (default %d)\n"
	    "  --reorder-max n   records held at most (default %d)\n"
	    "  --reorder-bytes n bytes of records held at most, k, m or g suffix (default 256m)\n"
	    "  --node-timeout s  forget a node silent that long (default %d)\n"
	    "  --max-clock-skew s refuse records stamped further from this clock (default %d,\n"
	    "                    0: off)\n"
	    "  --tcp-per-source n TCP connections from one address at most (default %d)\n"
	    "  --tcp-idle-timeout s close a TCP connection silent that long (default %d,\n"
	    "                    0: never)\n"
	    "  --snaplen n       pcap snapshot length; longer records are cut (default %d)\n"
	    "  --linktype dlt    link type of the output (default %d, Ethernet)\n"
	    "  --stats file      write JSON statistics there every second (and on SIGUSR1)\n"
	    "  --json            print the final JSON statistics on exit\n"
	    "  --metrics a:p     serve Prometheus metrics at http://a:p/metrics (default\n"
	    "                    off; see docs/security.md)\n"
	    "  -q                no live line on a terminal, no summary\n"
	    "  -d                debug messages\n"
	    "  -f                foreground (always)\n"
	    "  --config file     read options from file first, \"name value\" a line\n"
	    "                    (dicap.conf(5)); the command line has the last word\n"
	    "  --user name       started as root, run as this user once the sockets are\n"
	    "                    bound (default " DICAP_PRIV_USER " if it exists, else "
	    DICAP_PRIV_FALLBACK "); it\n"
	    "                    creates the output and statistics files\n",
	    ANA_DEFAULT_REORDER_MS, ANA_DEFAULT_REORDER_MAX, ANA_DEFAULT_NODE_TIMEOUT,
	    ANA_DEFAULT_CLOCK_SKEW, ANA_DEFAULT_TCP_PER_SOURCE, ANA_DEFAULT_TCP_IDLE,
	    ANA_DEFAULT_SNAPLEN,
	    ANA_DEFAULT_LINKTYPE);
}

/* tcpdump's -C: millions of bytes, or KiB/MiB/GiB with a suffix. */
static uint64_t
file_size(const char *s)
{
	const char *end;
	uint64_t v = opt_number_prefix("-C", s, &end, 1, 1000000000), unit;

	if (*end == '\0')
		unit = 1000000;
	else if (strcmp(end, "k") == 0 || strcmp(end, "K") == 0)
		unit = 1024;
	else if (strcmp(end, "m") == 0 || strcmp(end, "M") == 0)
		unit = 1024 * 1024;
	else if (strcmp(end, "g") == 0 || strcmp(end, "G") == 0)
		unit = 1024 * 1024 * 1024;
	else
		opt_fail("-C %s: the size is a number with an optional k, m or g", s);
	return v * unit;
}

/* A byte count: a number, with an optional k, m or g suffix (KiB, MiB, GiB). */
static uint64_t
byte_size(const char *name, const char *s, uint64_t min, uint64_t max)
{
	const char *end;
	uint64_t v = opt_number_prefix(name, s, &end, 1, max), unit = 1;

	if (strcmp(end, "k") == 0 || strcmp(end, "K") == 0)
		unit = 1024;
	else if (strcmp(end, "m") == 0 || strcmp(end, "M") == 0)
		unit = 1024 * 1024;
	else if (strcmp(end, "g") == 0 || strcmp(end, "G") == 0)
		unit = 1024 * 1024 * 1024;
	else if (*end != '\0')
		opt_fail("%s %s: a number with an optional k, m or g", name, s);
	if (v > max / unit || v * unit < min)
		opt_fail("%s %s: between %llu and %llu bytes", name, s,
		    (unsigned long long)min, (unsigned long long)max);
	return v * unit;
}

static int
file_format(const char *s)
{
	if (strcmp(s, "pcap") == 0)
		return ANA_FMT_PCAP;
	if (strcmp(s, "pcapng") == 0)
		return ANA_FMT_PCAPNG;
	opt_fail("--format %s: use pcap or pcapng", s);
}

static int
transport(const char *s)
{
	if (strcmp(s, "udp") == 0)
		return ANA_T_UDP;
	if (strcmp(s, "tcp") == 0 || strcmp(s, "both") == 0)
		return ANA_T_UDP | ANA_T_TCP;
	opt_fail("--transport %s: use udp, tcp or both", s);
}


static void
parse_options(int argc, char **argv, struct ana_conf *conf)
{
	const char *listen = NULL;
	char err[256];
	int ch;

	memset(conf, 0, sizeof(*conf));
	conf->transports = ANA_T_UDP;
	conf->reorder_ms = ANA_DEFAULT_REORDER_MS;
	conf->reorder_max = ANA_DEFAULT_REORDER_MAX;
	conf->reorder_bytes = ANA_DEFAULT_REORDER_BYTES;
	conf->node_timeout = ANA_DEFAULT_NODE_TIMEOUT;
	conf->clock_skew = ANA_DEFAULT_CLOCK_SKEW;
	conf->tcp_per_source = ANA_DEFAULT_TCP_PER_SOURCE;
	conf->tcp_idle = ANA_DEFAULT_TCP_IDLE;
	conf->snaplen = ANA_DEFAULT_SNAPLEN;
	conf->linktype = ANA_DEFAULT_LINKTYPE;
	conf_args(&argc, &argv, short_opts, long_opts);
	while ((ch = conf_getopt(argc, argv, short_opts, long_opts)) != -1) {
		switch (ch) {
		case 'l':
			listen = optarg;
			break;
		case 'w':
			conf->outfile = optarg;
			break;
		case 'C':
			conf->rotate_bytes = file_size(optarg);
			break;
		case 'G':
			conf->rotate_secs = (uint32_t)opt_number("-G", optarg, 1,
			    366ULL * 86400);
			break;
		case 'q':
			conf->quiet = 1;
			break;
		case 'f':
		case OPT_CONFIG:
			break;
		case 'd':
			conf->debug = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case OPT_TRANSPORT:
			conf->transports = transport(optarg);
			break;
		case OPT_REORDER_MS:
			conf->reorder_ms = (uint32_t)opt_number("--reorder-ms", optarg, 0,
			    3600000);
			break;
		case OPT_REORDER_MAX:
			conf->reorder_max = (uint32_t)opt_number("--reorder-max", optarg, 1,
			    100000000);
			break;
		case OPT_REORDER_BYTES:
			/* at least a largest batch, so that one always fits */
			conf->reorder_bytes = byte_size("--reorder-bytes", optarg,
			    1 << 20, 1ULL << 40);
			break;
		case OPT_NODE_TIMEOUT:
			conf->node_timeout = (uint32_t)opt_number("--node-timeout", optarg, 1,
			    7 * 86400);
			break;
		case OPT_CLOCK_SKEW:
			conf->clock_skew = (uint32_t)opt_number("--max-clock-skew", optarg, 0,
			    100ULL * 365 * 86400);
			break;
		case OPT_TCP_PER_SOURCE:
			conf->tcp_per_source = (uint32_t)opt_number("--tcp-per-source", optarg,
			    1, ANA_MAX_TCP_CONNS);
			break;
		case OPT_TCP_IDLE:
			conf->tcp_idle = (uint32_t)opt_number("--tcp-idle-timeout", optarg, 0,
			    7 * 86400);
			break;
		case OPT_SNAPLEN:
			conf->snaplen = (uint32_t)opt_number("--snaplen", optarg, 1,
			    ANA_MAX_SNAPLEN);
			break;
		case OPT_LINKTYPE:
			conf->linktype = (uint16_t)opt_number("--linktype", optarg, 0, 65535);
			break;
		case OPT_STATS:
			if (optarg[0] == '\0')
				opt_fail("--stats needs a file name");
			conf->stats_file = optarg;
			break;
		case OPT_JSON:
			conf->json = 1;
			break;
		case OPT_FORMAT:
			conf->format = file_format(optarg);
			break;
		case OPT_USER:
			conf->user = optarg;
			break;
		case OPT_METRICS:
			if (dicap_addr_parse(optarg, &conf->metrics) == -1)
				opt_fail("--metrics %s is not ADDR:PORT (e.g. 127.0.0.1:9470)",
				    optarg);
			break;
		default:
			usage(stderr);
			exit(1);
		}
	}
	if (optind < argc)
		opt_fail("unexpected argument %s (see --help)", argv[optind]);
	if (listen == NULL)
		opt_fail("-l addr:port is required (see --help)");
	if (dicap_addr_parse(listen, &conf->listen) == -1)
		opt_fail("-l %s is not ADDR:PORT (e.g. 192.0.2.1:7470 or [2001:db8::1]:7470)",
		    listen);
	if (conf->outfile == NULL)
		opt_fail("-w file is required (- for standard output)");
	if (conf->outfile[0] == '\0')
		opt_fail("-w needs a file name (- for standard output)");
	if (strcmp(conf->outfile, "-") == 0 && (conf->rotate_bytes || conf->rotate_secs))
		opt_fail("-C and -G rotate files: they do not apply to -w -");
	if (dicap_priv_check(conf->user, err, sizeof(err)) == -1)
		opt_fail("--user: %s", err);
}

/*
 * Everything that needs privilege (a port below 1024) is open; the files
 * are created from here on, as the unprivileged user, so that what it
 * writes is its own and a rotation needs no more than the first file did.
 */
static void
drop_privileges(const struct ana_conf *conf, struct dicap_priv *p)
{
	char err[256];

	if (dicap_priv_drop(conf->user, 0, p, err, sizeof(err)) == -1)
		fatalx("cannot drop privileges: %s", err);
	dicap_priv_log(p);
}

void
ana_stop(struct analyzer *a, int status)
{
	if (status > a->exit_status)
		a->exit_status = status;
	if (a->base != NULL)
		event_base_loopbreak(a->base);
}

static void
stop_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	log_debug("signal %d: stopping", (int)sig);
	ana_stop(arg, 0);
}

static void
usr1_cb(evutil_socket_t sig, short what, void *arg)
{
	struct analyzer *a = arg;

	(void)sig;
	(void)what;
	net_note_drops(a);
	if (a->conf.stats_file != NULL)
		stats_write_file(a, a->conf.stats_file);
	else
		stats_print_json(a, stderr);
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct analyzer *a = arg;

	(void)fd;
	(void)what;
	output_flush(a);
	net_note_drops(a);
	nodes_expire(a);
	stats_tick(a);
}

static void
add_event(struct event *ev, const struct timeval *tv)
{
	if (ev == NULL || event_add(ev, tv) == -1)
		fatalx("cannot set up the event loop");
}

static void
summary(const struct analyzer *a)
{
	struct node_totals t;

	nodes_sum(a, &t);
	log_info("%llu records from %u nodes written to %s (%llu file%s); %llu batches "
	    "missing, %llu duplicates, %llu malformed, %llu late",
	    (unsigned long long)a->ctr.written, HASH_COUNT(a->nodes),
	    strcmp(a->conf.outfile, "-") == 0 ? "standard output" : a->conf.outfile,
	    (unsigned long long)a->ctr.files, a->ctr.files == 1 ? "" : "s",
	    (unsigned long long)t.gaps, (unsigned long long)t.duplicates,
	    (unsigned long long)a->ctr.malformed, (unsigned long long)a->ctr.late);
}

static void
shut_down(struct analyzer *a)
{
	net_drain(a);
	net_note_drops(a);
	reorder_flush_all(a);
	if (output_close(a) == -1)
		a->exit_status = 1;
	if (a->conf.stats_file != NULL)
		stats_write_file(a, a->conf.stats_file);
	if (a->conf.json)
		stats_print_json(a, strcmp(a->conf.outfile, "-") == 0 ? stderr : stdout);
	if (!a->conf.quiet)
		summary(a);
}

int
main(int argc, char **argv)
{
	struct analyzer a;
	struct dicap_priv priv;
	struct event *ev[5];
	const struct timeval second = { 1, 0 };
	size_t i;

	memset(&a, 0, sizeof(a));
	a.udp_fd = -1;
	a.live = -1;
	opt_program(PROG, NULL, 1);
	parse_options(argc, argv, &a.conf);
	log_init(a.conf.debug, 1, PROG);
	signal(SIGPIPE, SIG_IGN);
	a.ctr.start_ns = dicap_now_ns();
	a.ctr.start_mono_ns = dicap_mono_ns();
	if ((a.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	reorder_init(&a);
	net_raise_nofile(&a);
	if (net_open(&a) == -1)
		exit(1);
	drop_privileges(&a.conf, &priv);
	if (output_open(&a) == -1) {
		if (priv.switched)
			log_warnx("(it runs as user %s: the directory of -w must let that user "
			    "create files, or name another with --user)", priv.user);
		exit(1);
	}
	if (metrics_start(&a) == -1)
		exit(1);
	ev[0] = evsignal_new(a.base, SIGTERM, stop_cb, &a);
	ev[1] = evsignal_new(a.base, SIGINT, stop_cb, &a);
	ev[2] = evsignal_new(a.base, SIGHUP, stop_cb, &a);
	ev[3] = evsignal_new(a.base, SIGUSR1, usr1_cb, &a);
	ev[4] = event_new(a.base, -1, EV_PERSIST, tick_cb, &a);
	for (i = 0; i < 4; i++)
		add_event(ev[i], NULL);
	add_event(ev[4], &second);
	log_info("listening on %s %s, writing %s, reorder window %u ms",
	    a.conf.transports & ANA_T_TCP ? "udp+tcp" : "udp", dicap_addr_str(&a.conf.listen),
	    strcmp(a.conf.outfile, "-") == 0 ? "standard output" : a.conf.outfile,
	    a.conf.reorder_ms);
	if (a.conf.stats_file != NULL)
		stats_write_file(&a, a.conf.stats_file);
	event_base_dispatch(a.base);
	metrics_stop(&a);
	shut_down(&a);
	for (i = 0; i < 5; i++)
		event_free(ev[i]);
	net_close(&a);
	reorder_free(&a);
	nodes_free(&a);
	event_base_free(a.base);
	return a.exit_status;
}
