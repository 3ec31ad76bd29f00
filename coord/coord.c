/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicap-coord: the DiCAP node coordinator (paper section III).
 *
 * Options, start-up and signals.  It needs no privilege: it only binds a
 * UDP port (the default, 7467, is not a privileged one) and sends
 * multicast; run it as an ordinary user, or as root if that is simpler.
 * Only --inject-dev (round-robin markers) needs CAP_NET_RAW.
 */
#include <sys/random.h>

#include <net/if.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conffile.h"
#include "coord.h"
#include "keyfile.h"
#include "log.h"
#include "opt.h"
#include "options.h"
#include "privdrop.h"
#include "selflags.h"
#include "dicap/select.h"

#define PROG	"dicap-coord"

enum long_only {
	OPT_INSECURE = 256,
	OPT_ID,
	OPT_PEER,
	OPT_PRIORITY,
	OPT_SELECT,
	OPT_ANALYZER,
	OPT_HEARTBEAT,
	OPT_TIMEOUT,
	OPT_GUARD,
	OPT_RESEND,
	OPT_COALESCE,
	OPT_GROUP,
	OPT_NO_ANNOUNCE,
	OPT_WEIGHT,
	OPT_PAPER_TIMERS,
	OPT_ADVERTISE,
	OPT_INJECT_DEV,
	OPT_MARKER_INTERVAL,
	OPT_TUNNEL,
	OPT_CONFIG,
	OPT_TERM_FILE,
	OPT_USER,
	OPT_METRICS,
};

static const char short_opts[] = "l:k:fdh";

static const struct option long_opts[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "key", required_argument, NULL, 'k' },
	{ "foreground", no_argument, NULL, 'f' },
	{ "debug", no_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "id", required_argument, NULL, OPT_ID },
	{ "peer", required_argument, NULL, OPT_PEER },
	{ "priority", required_argument, NULL, OPT_PRIORITY },
	{ "select", required_argument, NULL, OPT_SELECT },
	{ "tunnel", required_argument, NULL, OPT_TUNNEL },
	{ "analyzer", required_argument, NULL, OPT_ANALYZER },
	{ "heartbeat", required_argument, NULL, OPT_HEARTBEAT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "guard", required_argument, NULL, OPT_GUARD },
	{ "resend", required_argument, NULL, OPT_RESEND },
	{ "coalesce", required_argument, NULL, OPT_COALESCE },
	{ "announce-group", required_argument, NULL, OPT_GROUP },
	{ "no-announce", no_argument, NULL, OPT_NO_ANNOUNCE },
	{ "weight", required_argument, NULL, OPT_WEIGHT },
	{ "paper-timers", no_argument, NULL, OPT_PAPER_TIMERS },
	{ "advertise", required_argument, NULL, OPT_ADVERTISE },
	{ "inject-dev", required_argument, NULL, OPT_INJECT_DEV },
	{ "marker-interval", required_argument, NULL, OPT_MARKER_INTERVAL },
	{ "term-file", required_argument, NULL, OPT_TERM_FILE },
	{ "user", required_argument, NULL, OPT_USER },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ NULL, 0, NULL, 0 },
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: " PROG " [-fd] [--config file] [-l addr:port] (-k keyfile | --insecure)\n"
	    "\t[--id id]"
	    " [--peer addr:port]... [--priority n] [--select rr|ipid|packet|flow|host]\n"
	    "\t[--tunnel inner|outer] [--analyzer addr:port]... [--heartbeat ms]\n"
	    "\t[--timeout ms] [--paper-timers] [--guard ms] [--resend ms] [--coalesce ms]\n"
	    "\t[--weight id=w]...\n"
	    "\t[--announce-group addr:port | --no-announce] [--advertise addr:port]\n"
	    "\t[--inject-dev iface] [--marker-interval ms] [--term-file file] [--user name]\n"
	    "\t[--metrics addr:port]\n"
	    "defaults: -l " COORD_DEFAULT_LISTEN ", --heartbeat %d, --timeout %d, --guard %d,\n"
	    "\t--resend %d, --coalesce %d, --priority %d, --select flow, --tunnel inner,\n"
	    "\t--announce-group " COORD_DEFAULT_GROUP ", --marker-interval %d\n"
	    "--inject-dev: send marker frames out of iface (needs CAP_NET_RAW)\n"
	    "--user: started as root, run as this user once the key is read and the\n"
	    "\tsockets are open (default " DICAP_PRIV_USER " if it exists, else "
	    DICAP_PRIV_FALLBACK ")\n"
	    "--metrics: serve Prometheus metrics at http://addr:port/metrics (default off;\n"
	    "\tsee docs/security.md)\n"
	    "--config: read options from file first, one \"name value\" a line\n"
	    "\t(see dicap.conf(5)); the command line has the last word\n",
	    COORD_DEFAULT_HEARTBEAT_MS, COORD_DEFAULT_TIMEOUT_MS, COORD_DEFAULT_GUARD_MS,
	    COORD_DEFAULT_RESEND_MS, COORD_DEFAULT_COALESCE_MS, COORD_DEFAULT_PRIORITY,
	    COORD_DEFAULT_MARKER_MS);
}

/* ADDR:PORT, or ADDR alone with @port (0: the port is required). */
static void
address(const char *opt, const char *s, struct dicap_addr *a, uint16_t port)
{
	switch (coord_parse_address(s, port, a)) {
	case OPTVAL_OK:
		return;
	case OPTVAL_PORT_ZERO:
		opt_fail("%s %s: port 0", opt, s);
	default:
		opt_fail("%s %s is not ADDR:PORT (e.g. 192.0.2.1:7467 or [2001:db8::1]:7467)",
			 opt, s);
	}
}

static void
add_weight(struct coord_conf *conf, const char *s)
{
	struct weight_override *w;
	uint32_t node_id;
	uint16_t weight;

	switch (coord_parse_weight(s, &node_id, &weight)) {
	case OPTVAL_OK:
		break;
	case OPTVAL_RANGE:
		opt_fail("--weight %s is out of range (ID 0..%u, WEIGHT 1..%u)", s, UINT32_MAX,
		    DICAP_MAX_WEIGHT);
	default:
		opt_fail("--weight %s is not ID=WEIGHT", s);
	}
	HASH_FIND(hh, conf->weights, &node_id, sizeof(node_id), w);
	if (w == NULL) {
		if ((w = calloc(1, sizeof(*w))) == NULL)
			opt_fail("out of memory");
		w->node_id = node_id;
		HASH_ADD(hh, conf->weights, node_id, sizeof(w->node_id), w);
	}
	w->weight = weight;
}

static void
add_addr(const char *opt, const char *s, struct dicap_addr *list, int *n, int max,
    uint16_t port)
{
	struct dicap_addr a;
	int i;

	address(opt, s, &a, port);
	for (i = 0; i < *n; i++)
		if (dicap_addr_equal(&list[i], &a))
			opt_fail("%s %s is given twice", opt, s);
	if (*n >= max)
		opt_fail("%s: at most %d", opt, max);
	list[(*n)++] = a;
}

static void
defaults(struct coord_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	dicap_addr_parse(COORD_DEFAULT_LISTEN, &conf->listen);
	dicap_addr_parse(COORD_DEFAULT_GROUP, &conf->announce_group);
	conf->announce = 1;
	conf->priority = COORD_DEFAULT_PRIORITY;
	conf->mode = DICAP_MODE_FLOW;
	conf->heartbeat_ms = COORD_DEFAULT_HEARTBEAT_MS;
	conf->timeout_ms = COORD_DEFAULT_TIMEOUT_MS;
	conf->guard_ms = COORD_DEFAULT_GUARD_MS;
	conf->resend_ms = COORD_DEFAULT_RESEND_MS;
	conf->coalesce_ms = COORD_DEFAULT_COALESCE_MS;
	conf->marker_interval_ms = COORD_DEFAULT_MARKER_MS;
}

static void
check(struct coord_conf *conf, const char *keyfile, int insecure)
{
	char err[256];
	int i;

	if (conf->timeout_ms <= conf->heartbeat_ms)
		opt_fail("--timeout %u must be larger than --heartbeat %u", conf->timeout_ms,
		    conf->heartbeat_ms);
	if (conf->resend_ms != 0 && conf->resend_ms < conf->heartbeat_ms)
		opt_fail("--resend %u must be 0 (off) or at least --heartbeat %u", conf->resend_ms,
		    conf->heartbeat_ms);
	if (conf->marker_interval_ms != 0 && conf->marker_interval_ms < 10)
		opt_fail("--marker-interval %u must be 0 (no resync markers) or at least 10",
		    conf->marker_interval_ms);
	if (conf->announce && (conf->announce_group.family != 4 ||
	    (conf->announce_group.addr[0] & 0xf0) != 0xe0))
		opt_fail("--announce-group %s is not an IPv4 multicast address",
		    dicap_addr_str(&conf->announce_group));
	for (i = 0; i < conf->n_peers; i++)
		if (dicap_addr_equal(&conf->peers[i], &conf->listen) ||
		    (conf->advertise.family && dicap_addr_equal(&conf->peers[i], &conf->advertise)))
			opt_fail("--peer %s is this coordinator's own address",
			    dicap_addr_str(&conf->peers[i]));
	if (keyfile != NULL && insecure)
		opt_fail("-k and --insecure exclude each other");
	if (dicap_priv_check(conf->user, err, sizeof(err)) == -1)
		opt_fail("--user: %s", err);
	if (keyfile == NULL && !insecure)
		opt_fail("a coordinator credential is required (-k FILE; create one with "
		    "dicapctl keygen FILE), or --insecure to run without authentication");
	if (keyfile != NULL) {
		if (dicap_cred_load(keyfile, DICAP_ROLE_COORD, &conf->keys, err, sizeof(err)) == -1)
			opt_fail("%s", err);
		conf->have_key = 1;
	}
	while (conf->id == 0)
		if (getrandom(&conf->id, sizeof(conf->id), 0) != sizeof(conf->id))
			opt_fail("getrandom: %s", strerror(errno));
}

static void
parse_options(int argc, char **argv, struct coord_conf *conf)
{
	const char *keyfile = NULL;
	int ch, insecure = 0;

	defaults(conf);
	conf_args(&argc, &argv, short_opts, long_opts);
	while ((ch = conf_getopt(argc, argv, short_opts, long_opts)) != -1) {
		switch (ch) {
		case 'l':
			address("-l", optarg, &conf->listen, DICAP_CTL_DEFAULT_PORT);
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'f':
			conf->foreground = 1;
			break;
		case 'd':
			conf->debug = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case OPT_CONFIG:
			break;
		case OPT_TERM_FILE:
			conf->term_file = optarg;
			break;
		case OPT_USER:
			conf->user = optarg;
			break;
		case OPT_INSECURE:
			insecure = 1;
			break;
		case OPT_ID:
			conf->id = (uint32_t)opt_number("--id", optarg, 1, UINT32_MAX);
			break;
		case OPT_PEER:
			add_addr("--peer", optarg, conf->peers, &conf->n_peers, COORD_MAX_PEERS,
			    DICAP_CTL_DEFAULT_PORT);
			break;
		case OPT_PRIORITY:
			conf->priority = (uint32_t)opt_number("--priority", optarg, 0, UINT32_MAX);
			break;
		case OPT_SELECT:
			if (coord_parse_select(optarg, &conf->mode) != OPTVAL_OK)
				opt_fail("--select %s: use rr, ipid, packet, flow or host", optarg);
			break;
		case OPT_TUNNEL:
			if (coord_parse_tunnel(optarg, &conf->sel_flags) != OPTVAL_OK)
				opt_fail("--tunnel %s: use inner (hash a tunnel's innermost"
				    " flow) or outer (its outer headers)", optarg);
			break;
		case OPT_ANALYZER: {
			int n = (int)conf->n_analyzers;

			add_addr("--analyzer", optarg, conf->analyzers, &n, DICAP_MAX_ANALYZERS, 0);
			conf->n_analyzers = (uint32_t)n;
			break;
		}
		case OPT_HEARTBEAT:
			conf->heartbeat_ms = (uint32_t)opt_number("--heartbeat", optarg,
			    10, DICAP_INTERVAL_MS_MAX);
			break;
		case OPT_TIMEOUT:
			conf->timeout_ms = (uint32_t)opt_number("--timeout", optarg,
			    20, DICAP_INTERVAL_MS_MAX);
			break;
		case OPT_GUARD:
			conf->guard_ms = (uint32_t)opt_number("--guard", optarg, 0, 30000);
			break;
		case OPT_RESEND:
			conf->resend_ms = (uint32_t)opt_number("--resend", optarg,
			    0, DICAP_INTERVAL_MS_MAX);
			break;
		case OPT_COALESCE:
			conf->coalesce_ms = (uint32_t)opt_number("--coalesce", optarg, 0, 10000);
			break;
		case OPT_GROUP:
			address("--announce-group", optarg, &conf->announce_group,
			    COORD_DEFAULT_GROUP_PORT);
			conf->announce = 1;
			break;
		case OPT_NO_ANNOUNCE:
			conf->announce = 0;
			break;
		case OPT_WEIGHT:
			add_weight(conf, optarg);
			break;
		case OPT_PAPER_TIMERS:
			conf->heartbeat_ms = COORD_PAPER_HEARTBEAT_MS;
			conf->timeout_ms = COORD_PAPER_TIMEOUT_MS;
			break;
		case OPT_ADVERTISE:
			address("--advertise", optarg, &conf->advertise, 0);
			if (addr_is_any(&conf->advertise))
				opt_fail("--advertise %s: give an address nodes can reach", optarg);
			break;
		case OPT_INJECT_DEV:
			if (optarg[0] == '\0' || strlen(optarg) >= IF_NAMESIZE ||
			    strchr(optarg, '/') != NULL || strpbrk(optarg, " \t\n:") != NULL)
				opt_fail("--inject-dev '%s' is not an interface name", optarg);
			conf->inject_dev = optarg;
			break;
		case OPT_METRICS:
			address("--metrics", optarg, &conf->metrics, 0);
			break;
		case OPT_MARKER_INTERVAL:
			conf->marker_interval_ms = (uint32_t)opt_number("--marker-interval",
			    optarg, 0, DICAP_INTERVAL_MS_MAX);
			break;
		default:
			usage(stderr);
			exit(1);
		}
	}
	if (optind != argc)
		opt_fail("unexpected argument %s (see --help)", argv[optind]);
	check(conf, keyfile, insecure);
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct coord *c = arg;

	(void)fd;
	(void)what;
	if (c->role == ROLE_ACTIVE) {
		election_tick(c);
		announce_send(c);
		inject_tick(c);
	}
	net_replay_gc(c);
	status_table_ready(c);
	if (++c->ticks % 10 == 0)
		net_log_drops(c);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct coord *c = arg;

	(void)what;
	if (sig == SIGHUP) {
		log_info("SIGHUP ignored: restart to change the configuration");
		return;
	}
	log_info("%s: exiting", strsignal((int)sig));
	event_base_loopbreak(c->base);
}

static void
add_signal(struct coord *c, struct event **ev, int sig)
{
	*ev = evsignal_new(c->base, sig, signal_cb, c);
	if (*ev == NULL || event_add(*ev, NULL) == -1)
		fatalx("cannot watch signal %d", sig);
}

static void
start_events(struct coord *c)
{
	struct timeval tv;

	add_signal(c, &c->ev_sigterm, SIGTERM);
	add_signal(c, &c->ev_sigint, SIGINT);
	add_signal(c, &c->ev_sighup, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	tv.tv_sec = c->conf.heartbeat_ms / 1000;
	tv.tv_usec = (suseconds_t)(c->conf.heartbeat_ms % 1000) * 1000;
	c->ev_tick = event_new(c->base, -1, EV_PERSIST, tick_cb, c);
	if (c->ev_tick == NULL || event_add(c->ev_tick, &tv) == -1)
		fatalx("cannot start the interval timer");
	topology_resend_schedule(c);
}

static void
open_all(struct coord *c)
{
	char err[256];

	if ((c->base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	if (nodes_init(c) == -1 || topology_init(c) == -1 || table_init(c) == -1 ||
	    election_init(c) == -1 || status_init(c) == -1)
		fatalx("out of memory");
	if (inject_open(c, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (net_open(c, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (announce_open(c, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (metrics_start(c, err, sizeof(err)) == -1)
		fatalx("%s", err);
}

static void
close_all(struct coord *c)
{
	struct weight_override *w, *tmp;
	struct event **evs[] = { &c->ev_tick, &c->ev_sigterm, &c->ev_sigint, &c->ev_sighup };
	size_t i;

	metrics_stop(c);
	status_free(c);
	election_free(c);
	table_free(c);
	inject_close(c);
	topology_free(c);
	nodes_free(c);
	announce_close(c);
	net_close(c);
	for (i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (*evs[i] != NULL)
			event_free(*evs[i]);
	HASH_ITER(hh, c->conf.weights, w, tmp) {
		HASH_DEL(c->conf.weights, w);
		free(w);
	}
	event_base_free(c->base);
}

/* Once at start: what the round-robin count of the nodes rests on. */
static void
log_markers(const struct coord_conf *conf)
{
	if (conf->mode == DICAP_MODE_RR && conf->inject_dev == NULL)
		log_info("round-robin without --inject-dev: no markers, so every node restarts"
		    " its count at each validity start by its own clock; the nodes split"
		    " the packets without gaps or duplicates only as far as their clocks"
		    " agree");
	else if (conf->mode != DICAP_MODE_RR && conf->inject_dev == NULL)
		log_info("%s mode without --inject-dev: no markers, so every node changes"
		    " tables at each validity start by its own clock; frames that reach"
		    " the nodes on either side of that instant can be captured twice or"
		    " not at all", dicap_mode_name(conf->mode));
	else if (conf->marker_interval_ms != 0)
		log_info("markers on %s: a switch marker per epoch, a resync every %u ms",
		    conf->inject_dev, conf->marker_interval_ms);
	else
		log_info("markers on %s: a switch marker per epoch, no resyncs",
		    conf->inject_dev);
}

/*
 * Only --inject-dev needs a privilege (CAP_NET_RAW), and only to create
 * its AF_PACKET socket: the kernel checks it in socket(), never when a
 * frame is sent on the socket, which stays open until exit.  So once the
 * key is read and every socket is open, nothing is kept, with or without
 * --inject-dev.
 */
static void
drop_privileges(const struct coord_conf *conf)
{
	struct dicap_priv p;
	char err[256];

	if (dicap_priv_drop(conf->user, 0, &p, err, sizeof(err)) == -1)
		fatalx("cannot drop privileges: %s", err);
	dicap_priv_log(&p);
}

int
main(int argc, char **argv)
{
	static struct coord c;

	opt_program(PROG, NULL, 1);
	parse_options(argc, argv, &c.conf);
	c.fd = c.mfd = c.pfd = c.term_fd = -1;
	log_init(c.conf.debug, 1, PROG);
	open_all(&c);
	{
		char err[512];

		if (topology_term_load(&c, err, sizeof(err)) == -1)
			fatalx("%s", err);
	}
	/*
	 * daemon(3) opens /dev/null: as root, because a minimal root may have
	 * no device node there that another user can open.
	 */
	if (!c.conf.foreground) {
		if (daemon(0, 0) == -1)
			fatal("daemon");
		log_init(c.conf.debug, 0, PROG);
		if (event_reinit(c.base) == -1)
			fatalx("event_reinit failed");
	}
	drop_privileges(&c.conf);
	if (!c.conf.have_key)
		log_warnx("running without a cluster key (--insecure): anyone who can reach"
		    " %s can change what every capture node captures", dicap_addr_str(&c.conf.listen));
	log_info("listening on %s: id 0x%08x, priority %u, select %s, tunnel %s,"
	    " heartbeat %u ms, timeout %u ms, %d peer(s)", dicap_addr_str(&c.conf.listen),
	    c.conf.id, c.conf.priority, dicap_mode_name(c.conf.mode),
	    dicap_tunnel_name(c.conf.sel_flags), c.conf.heartbeat_ms, c.conf.timeout_ms,
	    c.conf.n_peers);
	log_markers(&c.conf);
	start_events(&c);
	election_start(&c);
	event_base_dispatch(c.base);
	close_all(&c);
	return 0;
}
