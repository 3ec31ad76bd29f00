/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicapctl: the DiCAP control tool.  Options and commands.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "dicapctl.h"
#include "keyfile.h"
#include "opt.h"

enum {
	OPT_JSON = 256,
	OPT_INSECURE,
	OPT_TIMEOUT,
	OPT_COUNT,
	OPT_ANALYZER_STATS,
	OPT_ROLE,
	OPT_FROM,
};

static const struct option long_options[] = {
	{ "coordinator", required_argument, NULL, 'c' },
	{ "key", required_argument, NULL, 'k' },
	{ "iface", required_argument, NULL, 'i' },
	{ "socket", required_argument, NULL, 's' },
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "interval", required_argument, NULL, 'n' },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "analyzer-stats", required_argument, NULL, OPT_ANALYZER_STATS },
	{ "role", required_argument, NULL, OPT_ROLE },
	{ "from", required_argument, NULL, OPT_FROM },
	{ NULL, 0, NULL, 0 },
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: dicapctl -c ADDR:PORT (-k KEYFILE | --insecure) status [--json]\n"
	    "       dicapctl -c ADDR:PORT (-k KEYFILE | --insecure) top [-n SECS] [--count N]\n"
	    "                [--analyzer-stats FILE]\n"
	    "       dicapctl -i IFACE [-s SOCKPATH] status [--json]\n"
	    "       dicapctl -i IFACE [-s SOCKPATH] owned\n"
	    "       dicapctl keygen [--role node|status --from COORDFILE] FILE\n"
	    "\n"
	    "  -c ADDR:PORT     ask this coordinator (STATUS over the control protocol)\n"
	    "  -k FILE          a status (or coordinator) credential\n"
	    "  --insecure       talk to a coordinator that runs without a key\n"
	    "  -i IFACE         ask the node agent of this interface (%s/IFACE.sock)\n"
	    "  -s SOCKPATH      the node agent's socket, if not the default\n"
	    "  --json           print JSON (the format is stable; see dicapctl(8))\n"
	    "  --timeout MS     wait per try for a coordinator (default 1000; 3 tries;\n"
	    "                   top: one try, at most the interval)\n"
	    "  -n, --interval SECS  top: refresh every SECS seconds (default 1, from 0.1)\n"
	    "  --count N        top: stop after N refreshes (default: until q or Ctrl-C)\n"
	    "  --analyzer-stats FILE  top: the analyzer's intake, from its --stats FILE\n"
	    "  -h, --help       this help\n"
	    "\n"
	    "commands:\n"
	    "  status           what the coordinator, or the node, knows\n"
	    "  top              the nodes' shares and rates, refreshed (q quits)\n"
	    "  owned            the node's buckets as START-END lines, or \"rr POS/N\"\n"
	    "  keygen FILE      write a new coordinator credential to FILE (mode 0600);\n"
	    "                   with --role node|status --from COORDFILE, the node or\n"
	    "                   status credential that goes with it\n",
	    DICAPCTL_SOCK_DIR);
}

void
ctl_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	opt_verror(fmt, ap);
	va_end(ap);
}

/*
 * keygen FILE: a new coordinator credential.  keygen --role node|status
 * --from COORDFILE FILE: the credential of that role for the cluster of
 * COORDFILE.
 */
static int
keygen(const struct ctl_opts *o, int argc, char **argv)
{
	const char *role = o->role != NULL ? o->role : "coordinator", *from = o->from;
	const char *file;
	char err[256];
	int rc;

	if (argc != 2)
		opt_fail("keygen [--role coordinator|node|status] [--from COORDFILE] FILE");
	file = argv[1];
	if (sodium_init() == -1) {
		ctl_error("libsodium does not initialise");
		return 1;
	}
	if (strcmp(role, "coordinator") == 0) {
		if (from != NULL)
			opt_fail("keygen: a coordinator credential is new; --from is for "
			    "node and status credentials");
		rc = dicap_cred_generate(file, err, sizeof(err));
	} else if (strcmp(role, "node") == 0 || strcmp(role, "status") == 0) {
		if (from == NULL)
			opt_fail("keygen --role %s: --from COORDFILE, the cluster's coordinator "
			    "credential, is needed", role);
		rc = dicap_cred_derive(from, role[0] == 'n' ? DICAP_ROLE_NODE :
		    DICAP_ROLE_STATUS, file, err, sizeof(err));
	} else
		opt_fail("keygen --role %s: the roles are coordinator, node and status", role);
	if (rc == -1) {
		ctl_error("%s", err);
		return 1;
	}
	return 0;
}

/* Seconds, decimals allowed: 0.1 to 3600. */
static uint32_t
parse_interval(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= 0.1 && v <= 3600.0))
		opt_fail("-n %s: expected seconds from 0.1 to 3600", s);
	return (uint32_t)(v * 1000.0 + 0.5);
}

static void
parse_options(struct ctl_opts *o, int argc, char **argv)
{
	uint64_t v;
	int ch;

	while ((ch = getopt_long(argc, argv, "c:k:i:s:n:h", long_options, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->coord = optarg;
			break;
		case 'k':
			o->keyfile = optarg;
			break;
		case 'i':
			o->iface = optarg;
			break;
		case 's':
			o->sock_path = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_ROLE:
			o->role = optarg;
			break;
		case OPT_FROM:
			o->from = optarg;
			break;
		case OPT_INSECURE:
			o->insecure = 1;
			break;
		case 'n':
			o->interval_ms = parse_interval(optarg);
			break;
		case OPT_COUNT:
			if (opt_parse_number(optarg, NULL, 1, UINT32_MAX, &v) != OPT_OK)
				opt_fail("--count %s: expected a number of refreshes, from 1", optarg);
			o->count = v;
			break;
		case OPT_ANALYZER_STATS:
			o->analyzer_stats = optarg;
			break;
		case OPT_TIMEOUT:
			if (opt_parse_number(optarg, NULL, 10, 60000, &v) != OPT_OK)
				opt_fail("--timeout %s: expected milliseconds from 10 to 60000",
				    optarg);
			o->timeout_ms = (int)v;
			break;
		default:
			fprintf(stderr, "(dicapctl --help shows the usage)\n");
			exit(1);
		}
	}
}

/* Which daemon a command asks: exactly one of -c and -i/-s. */
static void
check_target(const struct ctl_opts *o, const char *cmd, int coord_ok)
{
	int node = o->iface != NULL || o->sock_path != NULL;

	if (o->coord != NULL && node)
		opt_fail("%s: give -c ADDR:PORT (a coordinator) or -i IFACE (a node), not both",
		    cmd);
	if (o->coord == NULL && !node)
		opt_fail("%s: whom to ask? -c ADDR:PORT for a coordinator, -i IFACE for a node",
		    cmd);
	if (o->coord != NULL && !coord_ok)
		opt_fail("%s asks a node: use -i IFACE", cmd);
	if (o->coord != NULL && o->keyfile == NULL && !o->insecure)
		opt_fail("%s: -k KEYFILE is required to talk to a coordinator "
		    "(or --insecure if it runs without a key)", cmd);
	if (o->keyfile != NULL && o->insecure)
		opt_fail("-k and --insecure exclude each other");
	if (node && (o->keyfile != NULL || o->insecure))
		opt_fail("%s: -k and --insecure are for -c; a node's socket needs no key", cmd);
	if (o->iface != NULL && (o->iface[0] == '\0' || strchr(o->iface, '/') != NULL))
		opt_fail("-i %s: not an interface name", o->iface);
}

int
main(int argc, char **argv)
{
	struct ctl_opts o = { .timeout_ms = 1000, .tries = 3, .interval_ms = 1000 };
	const char *cmd;

	opt_program("dicapctl", "(dicapctl --help shows the usage)", 1);
	parse_options(&o, argc, argv);
	if (optind >= argc)
		opt_fail("no command: status, top, owned or keygen");
	cmd = argv[optind];
	if (strcmp(cmd, "keygen") == 0)
		return keygen(&o, argc - optind, argv + optind);
	if (optind + 1 != argc)
		opt_fail("%s: unexpected argument \"%s\"", cmd, argv[optind + 1]);
	if (strcmp(cmd, "top") != 0 && (o.count != 0 || o.analyzer_stats != NULL ||
	    o.interval_ms != 1000))
		opt_fail("%s: -n, --count and --analyzer-stats are for top", cmd);
	if (strcmp(cmd, "top") == 0) {
		check_target(&o, cmd, 1);
		if (o.coord == NULL)
			opt_fail("top asks a coordinator: use -c ADDR:PORT");
		if (o.json)
			opt_fail("top has no --json form: use status --json");
		return coord_top(&o);
	}
	if (strcmp(cmd, "status") == 0) {
		check_target(&o, cmd, 1);
		return o.coord != NULL ? coord_status(&o) : node_status(&o);
	}
	if (strcmp(cmd, "owned") == 0) {
		check_target(&o, cmd, 0);
		if (o.json)
			opt_fail("owned has no --json form: it prints START-END lines");
		return node_owned(&o);
	}
	opt_fail("unknown command \"%s\": the commands are status, top, owned and keygen", cmd);
}
