/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicap-mirror: the testbed's XDP mirror (tests/testbed.sh, TB_MIRROR=xdp).
 *
 *	dicap-mirror [--probe] -i IFACE... -o IFACE...
 *
 * Attaches tests/bpf/mirror.bpf.c natively (XDP_FLAGS_DRV_MODE) to every
 * ingress port -i, through BPF links, and puts every node port -o into its
 * devmap: each frame arriving at an ingress port goes out of every node
 * port, as an xdp_frame.  Prints "ready" when everything is in place, then
 * waits for SIGTERM or SIGINT.  The links belong to this process, so the
 * programs go when it exits, however it ends; deleting the namespace
 * removes them too.  --probe exits after attaching: a check that this
 * kernel can do it.  Run it in the switch's namespace (interface names
 * are resolved there).
 */
#include <sys/types.h>

#include <linux/if_link.h>

#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mirror.skel.h"

#define PROG		"dicap-mirror"
#define MAX_PORTS	1024

static void
usage(void)
{
	fprintf(stderr, "usage: %s [--probe] -i IFACE... -o IFACE...\n", PROG);
	exit(2);
}

static int
libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static unsigned int
ifindex_of(const char *name)
{
	unsigned int ifindex;

	if ((ifindex = if_nametoindex(name)) == 0) {
		fprintf(stderr, "%s: no interface %s: %s\n", PROG, name, strerror(errno));
		exit(1);
	}
	return ifindex;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "probe", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char *in[MAX_PORTS];
	struct mirror_bpf *skel;
	sigset_t sigs;
	__u32 ifindex;
	int c, i, nin = 0, nout = 0, probe = 0, fd, sig;

	while ((c = getopt_long(argc, argv, "i:o:", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (nin == MAX_PORTS)
				usage();
			in[nin++] = optarg;
			break;
		case 'o':
			nout++;
			break;
		case 'p':
			probe = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || nin == 0 || nout == 0)
		usage();

	/* Signals wait for sigwait() from here on; a TERM while loading
	 * still ends the process once the links exist. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);

	libbpf_set_print(libbpf_quiet);
	if ((skel = mirror_bpf__open_and_load()) == NULL) {
		fprintf(stderr, "%s: loading the BPF program failed: %s\n", PROG,
		    strerror(errno));
		return 1;
	}
	/* getopt again for -o, in order: the node ports into the devmap */
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:o:", longopts, NULL)) != -1) {
		if (c != 'o')
			continue;
		ifindex = ifindex_of(optarg);
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.mirror_ports), &ifindex, &ifindex,
		    BPF_ANY) != 0) {
			fprintf(stderr, "%s: %s into the devmap: %s\n", PROG, optarg,
			    strerror(errno));
			return 1;
		}
	}
	for (i = 0; i < nin; i++) {
		LIBBPF_OPTS(bpf_link_create_opts, o, .flags = XDP_FLAGS_DRV_MODE);

		fd = bpf_link_create(bpf_program__fd(skel->progs.dicap_mirror), ifindex_of(in[i]),
		    BPF_XDP, &o);
		if (fd < 0) {
			fprintf(stderr, "%s: native XDP on %s refused: %s\n", PROG, in[i],
			    strerror(-fd));
			return 1;
		}
		/* fd stays open until exit: the link's lifetime */
	}
	printf("ready: %d ingress port%s, %d node port%s\n", nin, nin == 1 ? "" : "s", nout,
	    nout == 1 ? "" : "s");
	fflush(stdout);
	if (probe)
		return 0;
	if (sigwait(&sigs, &sig) != 0)
		return 1;
	mirror_bpf__destroy(skel);
	return 0;
}
