/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicapd: the DiCAP node agent.  Options, start-up, signals and shut-down.
 */
#include <sys/types.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "dicap/genl.h"
#include "batch.h"
#include "conffile.h"
#include "dicap/xdp_kern_user.h"
#include "dicapd.h"
#include "keyfile.h"
#include "log.h"
#include "opt.h"
#include "privdrop.h"
#include "dicap/packet.h"

enum {
	OPT_DISCOVER = 256,
	OPT_ANNOUNCE_GROUP,
	OPT_INSECURE,
	OPT_ID,
	OPT_WEIGHT,
	OPT_DATAPATH,
	OPT_BIND,
	OPT_CAPTURE,
	OPT_DISTRIBUTE,
	OPT_XDP_MODE,
	OPT_SNAPLEN,
	OPT_TRANSPORT,
	OPT_LEASE,
	OPT_LEASE_POLICY,
	OPT_HOOK,
	OPT_CONFIG,
	OPT_USER,
	OPT_METRICS,
};

static const char short_opts[] = "i:c:k:s:fdh";

static const struct option long_options[] = {
	{ "iface", required_argument, NULL, 'i' },
	{ "coordinator", required_argument, NULL, 'c' },
	{ "key", required_argument, NULL, 'k' },
	{ "socket", required_argument, NULL, 's' },
	{ "foreground", no_argument, NULL, 'f' },
	{ "debug", no_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "discover", no_argument, NULL, OPT_DISCOVER },
	{ "announce-group", required_argument, NULL, OPT_ANNOUNCE_GROUP },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "id", required_argument, NULL, OPT_ID },
	{ "weight", required_argument, NULL, OPT_WEIGHT },
	{ "datapath", required_argument, NULL, OPT_DATAPATH },
	{ "bind", required_argument, NULL, OPT_BIND },
	{ "capture", no_argument, NULL, OPT_CAPTURE },
	{ "distribute", no_argument, NULL, OPT_DISTRIBUTE },
	{ "xdp-mode", required_argument, NULL, OPT_XDP_MODE },
	{ "snaplen", required_argument, NULL, OPT_SNAPLEN },
	{ "transport", required_argument, NULL, OPT_TRANSPORT },
	{ "lease", required_argument, NULL, OPT_LEASE },
	{ "lease-policy", required_argument, NULL, OPT_LEASE_POLICY },
	{ "hook", required_argument, NULL, OPT_HOOK },
	{ "user", required_argument, NULL, OPT_USER },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ NULL, 0, NULL, 0 },
};

struct options {
	const char *keyfile;
	int insecure;
	int foreground;
	int debug;
	const char *datapath;
	const char *packet_option;	/* a datapath option given, for "none" */
	const char *xdp_option;		/* an option of the xdp datapath only */
	const char *kmod_option;	/* an option of the kmod datapath only */
	const char *user;		/* --user; NULL: dicap_priv_drop()'s default */
	int snaplen_set, transport_set;
	char sock_default[PATH_MAX];
};

static void
usage(FILE *f)
{
	char names[DATAPATH_NAMES_LEN];

	fprintf(f,
	    "usage: dicapd -i IFACE (-c ADDR:PORT ... | --discover) (-k KEYFILE | --insecure)\n"
	    "              [--id N] [--weight W] [-s SOCKPATH] [--datapath xdp|kmod|none]\n"
	    "              [--capture] [--distribute] [--xdp-mode native|generic|auto]\n"
	    "              [--hook driver|rx_handler] [--snaplen N] [--transport udp|tcp]\n"
	    "              [--lease MS] [--lease-policy keep|drop]\n"
	    "              [--announce-group ADDR:PORT] [--bind ADDR] [-f] [-d]\n"
	    "              [--metrics ADDR:PORT] [--config FILE] [--user NAME]\n"
	    "\n"
	    "  -i IFACE                capture interface (the datapath \"none\" does not\n"
	    "                          open it, so it need not exist)\n"
	    "  -c ADDR:PORT            a coordinator (repeat for standbys; port default %d)\n"
	    "  --discover              find coordinators by their multicast announcements\n"
	    "  --announce-group A:P    announcement group (default %s)\n"
	    "  -k KEYFILE              cluster key (see dicapctl keygen)\n"
	    "  --insecure              run without a key: messages are not authenticated\n"
	    "  --id N                  node id, decimal or 0x hex (default: random)\n"
	    "  --weight W              relative capacity 1..65535 (default 1)\n"
	    "  -s SOCKPATH             control socket (default %s/IFACE.sock)\n"
	    "  --bind ADDR[:PORT]      source address of the control traffic (default: any)\n"
	    "  --datapath NAME         packet datapath: %s (default xdp)\n"
	    "  --distribute            pass this node's share to the local stack and\n"
	    "                          libpcap (the default without --capture)\n"
	    "  --capture               send the headers of this node's share to the\n"
	    "                          analyzers (with --distribute: both)\n"
	    "  --xdp-mode MODE         xdp: native, generic, or auto: native, else generic\n"
	    "                          (default auto)\n"
	    "  --hook HOOK             kmod: driver (a patched driver calls it, default)\n"
	    "                          or rx_handler (any driver, --capture only)\n"
	    "  --snaplen N             bytes captured per frame, 1..%d (default %d)\n"
	    "  --transport udp|tcp     how headers reach the analyzers (default udp;\n"
	    "                          kmod: udp only)\n"
	    "  --lease MS              the datapath keeps its share this long without\n"
	    "                          a coordinator (default 3 x the coordinator's timeout)\n"
	    "  --lease-policy P        past the lease: keep (the last share, default) or\n"
	    "                          drop (everything)\n"
	    "  --metrics ADDR:PORT     serve Prometheus metrics at http://ADDR:PORT/metrics\n"
	    "                          (default: off; see docs/security.md)\n"
	    "  -f                      stay in the foreground, log to stderr\n"
	    "  -d                      debug logging\n"
	    "  --config FILE           read options from FILE first, \"name value\" a line\n"
	    "                          (dicap.conf(5)); the command line has the last word\n"
	    "  --user NAME             started as root, run as NAME once the datapath is\n"
	    "                          set up (default " DICAP_PRIV_USER " if it exists, else "
	    DICAP_PRIV_FALLBACK ")\n"
	    "  -h, --help              this help\n",
	    DICAP_CTL_DEFAULT_PORT, DICAPD_ANNOUNCE_GROUP, DICAPD_DEFAULT_SOCK_DIR,
	    datapath_names(names, sizeof(names)), DICAP_XDP_CAP_MAX, DICAP_SNAPLEN_DEFAULT);
}

/* "ADDR:PORT", or a bare address with the default control port. */
static int
parse_coord(const char *s, struct dicap_addr *a)
{
	char buf[DICAP_ADDR_STRLEN + 16];
	const char *colon = strchr(s, ':');

	if (dicap_addr_parse(s, a) == 0)
		return a->port != 0 ? 0 : -1;
	if (colon == NULL)
		snprintf(buf, sizeof(buf), "%s:%d", s, DICAP_CTL_DEFAULT_PORT);
	else if (s[0] != '[' && strchr(colon + 1, ':') != NULL)
		snprintf(buf, sizeof(buf), "[%s]:%d", s, DICAP_CTL_DEFAULT_PORT);
	else
		return -1;
	return dicap_addr_parse(buf, a);
}

/* "ADDR" or "ADDR:PORT"; without a port, any port. */
static int
parse_bind(const char *s, struct dicap_addr *a)
{
	char buf[DICAP_ADDR_STRLEN + 16];
	const char *colon = strchr(s, ':');

	if (dicap_addr_parse(s, a) == 0)
		return 0;
	/* The parser wants a port: give it one, then make it "any". */
	if (colon == NULL)
		snprintf(buf, sizeof(buf), "%s:1", s);
	else if (s[0] != '[' && strchr(colon + 1, ':') != NULL)
		snprintf(buf, sizeof(buf), "[%s]:1", s);
	else if (s[0] == '[' && s[strlen(s) - 1] == ']')
		snprintf(buf, sizeof(buf), "%s:1", s);
	else
		return -1;
	if (dicap_addr_parse(buf, a) == -1)
		return -1;
	a->port = 0;
	return 0;
}

static void
check_iface(const char *iface)
{
	size_t i;

	if (iface[0] == '\0' || strlen(iface) >= IFNAMSIZ)
		opt_fail("-i %s: an interface name has 1 to %d characters", iface, IFNAMSIZ - 1);
	for (i = 0; iface[i] != '\0'; i++)
		if (iface[i] == '/' || iface[i] == ' ' || iface[i] == ':')
			opt_fail("-i %s: not a valid interface name", iface);
}

/* One of @words (NULL-terminated, two or three): its index, or die naming them. */
static int
parse_word(const char *opt, const char *arg, const char *const *words)
{
	int i;

	for (i = 0; words[i] != NULL; i++)
		if (strcmp(arg, words[i]) == 0)
			return i;
	if (words[2] != NULL)
		opt_fail("--%s %s: expected %s, %s or %s", opt, arg, words[0], words[1],
		    words[2]);
	opt_fail("--%s %s: expected %s or %s", opt, arg, words[0], words[1]);
}

/* The options of the packet datapath (struct datapath_options). */
static void
parse_packet_option(struct dicapd *d, struct options *o, int ch)
{
	static const char *const xdp_modes[] = { "auto", "native", "generic", NULL };
	static const char *const transports[] = { "udp", "tcp", NULL };
	static const char *const policies[] = { "keep", "drop", NULL };
	static const char *const hooks[] = { "driver", "rx_handler", NULL };
	struct datapath_options *p = &d->dp.opt;
	uint64_t v;

	switch (ch) {
	case OPT_CAPTURE:
		p->capture = 1;
		o->packet_option = "--capture";
		break;
	case OPT_DISTRIBUTE:
		p->distribute = 1;
		o->packet_option = "--distribute";
		break;
	case OPT_XDP_MODE:
		p->xdp_mode = parse_word("xdp-mode", optarg, xdp_modes);
		o->packet_option = o->xdp_option = "--xdp-mode";
		break;
	case OPT_HOOK:
		/* The words' indices are enum dicap_hook's values. */
		p->kmod_hook = parse_word("hook", optarg, hooks);
		o->packet_option = o->kmod_option = "--hook";
		break;
	case OPT_SNAPLEN:
		if (opt_parse_number(optarg, NULL, 1, DICAP_XDP_CAP_MAX, &v) != OPT_OK)
			opt_fail("--snaplen %s: expected bytes per frame from 1 to %d (a record "
			    "must fit a %d-byte batch)", optarg, DICAP_XDP_CAP_MAX,
			    DICAP_BATCH_DEFAULT_MAX);
		p->snaplen = (uint32_t)v;
		o->snaplen_set = 1;
		o->packet_option = "--snaplen";
		break;
	case OPT_TRANSPORT:
		p->transport = parse_word("transport", optarg, transports);
		o->transport_set = 1;
		o->packet_option = "--transport";
		break;
	case OPT_LEASE:
		if (opt_parse_number(optarg, NULL, 100, 86400000, &v) != OPT_OK)
			opt_fail("--lease %s: expected milliseconds from 100 to 86400000", optarg);
		p->lease_ms = (uint32_t)v;
		o->packet_option = "--lease";
		break;
	case OPT_LEASE_POLICY:
		p->lease_policy = parse_word("lease-policy", optarg, policies);
		o->packet_option = "--lease-policy";
		break;
	}
}

static void
parse_options(struct dicapd *d, struct options *o, int argc, char **argv)
{
	struct dicap_addr a;
	uint64_t v;
	int ch;

	conf_args(&argc, &argv, short_opts, long_options);
	while ((ch = conf_getopt(argc, argv, short_opts, long_options)) != -1) {
		switch (ch) {
		case 'i':
			check_iface(optarg);
			d->iface = optarg;
			break;
		case 'c':
			if (parse_coord(optarg, &a) == -1)
				opt_fail("-c %s: expected ADDR:PORT, e.g. 10.0.0.1:%d or [fd00::1]:%d",
				    optarg, DICAP_CTL_DEFAULT_PORT, DICAP_CTL_DEFAULT_PORT);
			if (membership_add_coord(d, &a, 1) == -1)
				opt_fail("-c: at most %d coordinators", DICAPD_MAX_COORDS);
			break;
		case 'k':
			o->keyfile = optarg;
			break;
		case 's':
			if (optarg[0] == '\0')
				opt_fail("-s: empty socket path");
			d->sock_path = optarg;
			break;
		case 'f':
			o->foreground = 1;
			break;
		case 'd':
			o->debug = 1;
			break;
		case OPT_USER:
			o->user = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case OPT_CONFIG:
			break;
		case OPT_DISCOVER:
			d->discover = 1;
			break;
		case OPT_ANNOUNCE_GROUP:
			if (dicap_addr_parse(optarg, &d->announce_group) == -1 ||
			    d->announce_group.family != 4 ||
			    (d->announce_group.addr[0] & 0xf0) != 0xe0 ||
			    d->announce_group.port == 0)
				opt_fail("--announce-group %s: expected an IPv4 multicast ADDR:PORT, "
				    "e.g. %s", optarg, DICAPD_ANNOUNCE_GROUP);
			break;
		case OPT_INSECURE:
			o->insecure = 1;
			break;
		case OPT_ID:
			if (opt_parse_number(optarg, NULL, 1, UINT32_MAX, &v) != OPT_OK)
				opt_fail("--id %s: expected a node id from 1 to 0xffffffff, "
				    "decimal or 0x hex", optarg);
			d->node_id = (uint32_t)v;
			break;
		case OPT_WEIGHT:
			if (opt_parse_number(optarg, NULL, 1, DICAP_MAX_WEIGHT, &v) != OPT_OK)
				opt_fail("--weight %s: expected a number from 1 to %d", optarg,
				    DICAP_MAX_WEIGHT);
			d->weight = (uint16_t)v;
			break;
		case OPT_DATAPATH:
			o->datapath = optarg;
			break;
		case OPT_CAPTURE:
		case OPT_DISTRIBUTE:
		case OPT_XDP_MODE:
		case OPT_SNAPLEN:
		case OPT_TRANSPORT:
		case OPT_LEASE:
		case OPT_LEASE_POLICY:
		case OPT_HOOK:
			parse_packet_option(d, o, ch);
			break;
		case OPT_METRICS:
			if (dicap_addr_parse(optarg, &d->metrics_addr) == -1)
				opt_fail("--metrics %s: expected ADDR:PORT, e.g. 127.0.0.1:9469 or "
				    "[::1]:9469", optarg);
			break;
		case OPT_BIND:
			if (parse_bind(optarg, &d->bind_addr) == -1)
				opt_fail("--bind %s: expected an address, e.g. 10.0.0.5 or "
				    "10.0.0.5:7469 or [fd00::5]", optarg);
			break;
		default:
			fprintf(stderr, "(dicapd --help lists the options)\n");
			exit(1);
		}
	}
	if (optind < argc)
		opt_fail("unexpected argument \"%s\"", argv[optind]);
}

/* What dicap.ko cannot do (include/dicap/genl.h). */
static void
check_kmod_options(struct dicapd *d)
{
	const struct datapath_options *p = &d->dp.opt;

	if (p->kmod_hook == DICAP_HOOK_RX_HANDLER && p->distribute)
		opt_fail("%s with --hook rx_handler: AF_PACKET taps run before rx_handler: "
		    "use a patched driver (see docs/kmod.md)",
		    p->capture ? "--distribute" : "distribution (the default without --capture)");
	if (p->capture && p->transport == DP_TRANSPORT_TCP)
		opt_fail("--transport tcp: dicap.ko sends its batches over UDP only");
	if (p->capture && p->snaplen < DICAP_ETH_HLEN)
		opt_fail("--snaplen %u: dicap.ko captures at least the %d-byte Ethernet header",
		    p->snaplen, DICAP_ETH_HLEN);
}

static void
check_options(struct dicapd *d, struct options *o)
{
	char names[DATAPATH_NAMES_LEN], err[256];

	if (d->iface == NULL)
		opt_fail("-i IFACE is required: the interface this node captures on");
	if (d->n_coords == 0 && !d->discover)
		opt_fail("no coordinator: give -c ADDR:PORT (repeatable), or --discover");
	if (o->keyfile != NULL && o->insecure)
		opt_fail("-k and --insecure exclude each other");
	if (dicap_priv_check(o->user, err, sizeof(err)) == -1)
		opt_fail("--user: %s", err);
	if (o->keyfile == NULL && !o->insecure)
		opt_fail("a cluster key is required: -k KEYFILE (make one with "
		    "\"dicapctl keygen FILE\"), or --insecure to run without authentication");
	if ((d->dp.ops = datapath_find(o->datapath)) == NULL)
		opt_fail("--datapath %s: unknown; the datapaths are: %s", o->datapath,
		    datapath_names(names, sizeof(names)));
	if (d->dp.ops == &datapath_none && o->packet_option != NULL)
		opt_fail("%s is an option of the packet datapaths, not of --datapath none",
		    o->packet_option);
	if (d->dp.ops != &datapath_xdp && o->xdp_option != NULL)
		opt_fail("%s is an option of --datapath xdp", o->xdp_option);
	if (d->dp.ops != &datapath_kmod && o->kmod_option != NULL)
		opt_fail("%s is an option of --datapath kmod", o->kmod_option);
	if (!d->dp.opt.capture && (o->snaplen_set || o->transport_set))
		opt_fail("%s only matters with --capture", o->snaplen_set ? "--snaplen" :
		    "--transport");
	if (!d->dp.opt.capture)
		d->dp.opt.distribute = 1;
	if (!o->snaplen_set)
		d->dp.opt.snaplen = DICAP_SNAPLEN_DEFAULT;
	if (d->dp.ops == &datapath_kmod)
		check_kmod_options(d);
	if (d->announce_group.family != 0 && !d->discover)
		opt_fail("--announce-group is for --discover");
	if (d->sock_path == NULL) {
		snprintf(o->sock_default, sizeof(o->sock_default), "%s/%s.sock",
		    DICAPD_DEFAULT_SOCK_DIR, d->iface);
		d->sock_path = o->sock_default;
	}
}

/* daemon(3) changes to "/": keep the socket path valid for unlinking. */
static const char *
absolute_path(const char *path)
{
	char cwd[PATH_MAX], *abs;

	if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return path;
	if (asprintf(&abs, "%s/%s", cwd, path) == -1)
		fatal("asprintf");
	return abs;
}

static void
cleanup(struct dicapd *d)
{
	membership_stop(d);
	topology_stop(d);
	ctlsock_close(d);
	metrics_stop(d);
	net_close(d);
	if (d->dp.ops != NULL && d->dp.priv != NULL)
		d->dp.ops->close(&d->dp);
	sodium_memzero(&d->keys, sizeof(d->keys));
	sodium_memzero(d->kx_sk, sizeof(d->kx_sk));
}

void
dicapd_shutdown(struct dicapd *d, int status)
{
	cleanup(d);
	exit(status);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct dicapd *d = arg;

	(void)what;
	if (d->state == NODE_LEAVING) {
		log_info("%s again: exiting now", strsignal((int)sig));
		event_base_loopbreak(d->base);
		return;
	}
	log_info("%s: leaving", strsignal((int)sig));
	if (membership_leave(d) == 0)
		event_base_loopbreak(d->base);
}

static void
start(struct dicapd *d, struct options *o)
{
	char err[512] = "";

	if (o->insecure)
		log_warnx("running without a key (--insecure): anyone who can send to this "
		    "node can change its share of the traffic");
	else if (dicap_cred_load(o->keyfile, DICAP_ROLE_NODE, &d->keys, err, sizeof(err)) == -1)
		fatalx("%s", err);
	d->have_key = !o->insecure;
	randombytes_buf(d->session, sizeof(d->session));
	crypto_kx_keypair(d->kx_pk, d->kx_sk);
	if ((d->base = event_base_new()) == NULL)
		fatalx("cannot create the event base");
	d->dp.base = d->base;
	d->dp.node_id = &d->node_id;
	if (d->dp.ops->open(&d->dp, d->iface, err, sizeof(err)) == -1)
		fatalx("datapath %s on %s: %s", d->dp.ops->name, d->iface, err);
	if (net_open(d, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (d->discover && net_open_announce(d, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (topology_init(d) == -1)
		fatalx("cannot create the validity timer");
	if (ctlsock_open(d, err, sizeof(err)) == -1) {
		d->dp.ops->close(&d->dp);
		fatalx("control socket: %s", err);
	}
	if (metrics_start(d, err, sizeof(err)) == -1) {
		d->dp.ops->close(&d->dp);
		fatalx("%s", err);
	}
}

/*
 * Tests only (tests/faults/f04): DICAP_TEST_CLOCK_AHEAD_MS=N makes the
 * node switch topologies as if its clock were N ms ahead of the
 * coordinator's (negative: behind), the one effect a clock offset has on
 * the hash modes.  Not an option: no installation wants it.
 */
static void
test_clock_knob(struct dicapd *d)
{
	const char *v = getenv("DICAP_TEST_CLOCK_AHEAD_MS");
	char *end;
	long ms;

	if (v == NULL || *v == '\0')
		return;
	errno = 0;
	ms = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || ms < -60000 || ms > 60000)
		fatalx("DICAP_TEST_CLOCK_AHEAD_MS=%s: not a number of ms in -60000..60000", v);
	d->test_clock_ahead_ns = (int64_t)ms * 1000000;
	log_warnx("DICAP_TEST_CLOCK_AHEAD_MS=%ld: switching as if this node's clock were"
	    " %ld ms ahead (a test knob)", ms, ms);
}

/*
 * Everything that needs privilege is open: the key read, the program
 * loaded and attached (the BPF link), the sockets bound, the control
 * socket made.  What runs from here on (topology updates and the lease
 * written through the map file descriptors or the mmap()ed config, the
 * capture ring, closing the link fd at exit, which detaches the program)
 * needs no capability; the datapath names what it still needs (kmod:
 * CAP_NET_ADMIN, checked on every generic netlink command, including the
 * detach at exit).  no_new_privs then makes the drop final.
 */
static void
drop_privileges(struct dicapd *d, const struct options *o)
{
	struct dicap_priv p;
	char err[256];
	uint64_t keep;

	keep = d->dp.ops->run_caps != NULL ? d->dp.ops->run_caps(&d->dp) : 0;
	if (dicap_priv_drop(o->user, keep, &p, err, sizeof(err)) == -1) {
		cleanup(d);
		fatalx("cannot drop privileges: %s", err);
	}
	dicap_priv_log(&p);
}

int
main(int argc, char **argv)
{
	static struct dicapd d;
	struct options o = { .datapath = "xdp" };
	struct event *ev_term, *ev_int;

	opt_program("dicapd", "(dicapd --help lists the options)", 1);
	d.fd4 = d.fd6 = d.mcast_fd = -1;
	d.cur = -1;
	d.weight = 1;
	parse_options(&d, &o, argc, argv);
	check_options(&d, &o);
	if (d.discover && d.announce_group.family == 0 &&
	    dicap_addr_parse(DICAPD_ANNOUNCE_GROUP, &d.announce_group) == -1)
		fatalx("bad built-in announce group");
	if (sodium_init() == -1)
		fatalx("libsodium does not initialise");
	if (d.node_id == 0) {
		d.id_random = 1;
		while (d.node_id == 0)
			d.node_id = randombytes_random();
	}
	d.sock_path = absolute_path(d.sock_path);
	signal(SIGPIPE, SIG_IGN);
	log_init(o.debug, 1, "dicapd");
	test_clock_knob(&d);
	start(&d, &o);
	/* daemon(3) opens /dev/null: as root, as in dicap-coord. */
	if (!o.foreground) {
		if (daemon(0, 0) == -1)
			fatal("daemon");
		log_init(o.debug, 0, "dicapd");
		if (event_reinit(d.base) == -1)
			fatalx("event_reinit");
	}
	drop_privileges(&d, &o);
	ev_term = evsignal_new(d.base, SIGTERM, signal_cb, &d);
	ev_int = evsignal_new(d.base, SIGINT, signal_cb, &d);
	if (ev_term == NULL || ev_int == NULL || evsignal_add(ev_term, NULL) == -1 ||
	    evsignal_add(ev_int, NULL) == -1)
		fatalx("cannot handle signals");
	log_info("node 0x%08x%s on %s: datapath %s, weight %u, socket %s", d.node_id,
	    d.id_random ? " (random)" : "", d.iface, d.dp.ops->name, d.weight, d.sock_path);
	membership_start(&d);
	event_base_dispatch(d.base);
	event_free(ev_term);
	event_free(ev_int);
	cleanup(&d);
	event_base_free(d.base);
	log_info("exiting");
	return 0;
}
