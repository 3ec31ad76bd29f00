/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pcap-dicap-check [-w FILE] DEVICE: the libpcap API on a dicap: device,
 * the way programs use it.  Run it through dicap-run (the drop-in library)
 * while traffic flows on the interface.  Prints one line per check, "ok
 * NAME" or "not ok NAME", and "# ..." details; tests/pcap/t03-api.t turns
 * them into TAP.  Every frame received is also written to FILE, so the
 * test can tell whether each one is this node's.
 *
 * pcap-dicap-check -n ROUNDS DEVICE: pcap_findalldevs, pcap_create,
 * pcap_activate and pcap_close ROUNDS times, for a fake dicapd answering
 * garbage (tests/pcap/t05-fake-dicapd.t, under valgrind).
 */
#include <sys/time.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#define WANT_FRAMES	20
#define WAIT_MS		5000

static int failures;
static int delivered;		/* frames handed to this program */
static pcap_dumper_t *dump;
static pcap_t *alarm_target;

static void
check(int pass, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", pass ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!pass)
		failures++;
}

static void
note(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *
hex(const u_char *d, u_int len)
{
	static char buf[2 * 64 + 1];
	u_int i;

	for (i = 0; i < len && i < 64; i++)
		snprintf(buf + 2 * i, 3, "%02x", d[i]);
	buf[2 * i] = '\0';
	return buf;
}

static void
save(const struct pcap_pkthdr *h, const u_char *bytes)
{
	delivered++;
	if (dump != NULL)
		pcap_dump((u_char *)dump, h, bytes);
}

static int
find_device(const char *dev)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_if_t *all, *d;
	int found = 0;

	if (pcap_findalldevs(&all, err) == -1) {
		check(0, "pcap_findalldevs: %s", err);
		return -1;
	}
	for (d = all; d != NULL; d = d->next) {
		if (strncmp(d->name, "dicap:", 6) == 0)
			note("findalldevs: %s (%s) flags 0x%x", d->name,
			    d->description ? d->description : "-", d->flags);
		if (strcmp(d->name, dev) == 0)
			found = d->description != NULL &&
			    strncmp(d->description, "DiCAP node ", 11) == 0 ? 2 : 1;
	}
	pcap_freealldevs(all);
	check(found == 2, "pcap_findalldevs lists %s as \"DiCAP node N of M on ...\"", dev);
	return 0;
}

static pcap_t *
open_device(const char *dev)
{
	char err[PCAP_ERRBUF_SIZE];
	int *types = NULL, n, rc, host_only;
	pcap_t *p;

	if ((p = pcap_create(dev, err)) == NULL) {
		check(0, "pcap_create(%s): %s", dev, err);
		return NULL;
	}
	check(1, "pcap_create(%s)", dev);
	rc = pcap_set_snaplen(p, 128) | pcap_set_promisc(p, 1) | pcap_set_timeout(p, 100) |
	    pcap_set_immediate_mode(p, 1) | pcap_set_buffer_size(p, 4 << 20);
	check(rc == 0, "snaplen, promisc, timeout, immediate mode, buffer size are accepted");
	check(pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO) == 0,
	    "nanosecond time stamps are offered");
	n = pcap_list_tstamp_types(p, &types);
	host_only = n == 1 && types[0] == PCAP_TSTAMP_HOST;
	pcap_free_tstamp_types(types);
	check(host_only, "the one time stamp type is host (%d types)", n);
	check(pcap_set_tstamp_type(p, PCAP_TSTAMP_ADAPTER) == PCAP_WARNING_TSTAMP_TYPE_NOTSUP,
	    "adapter time stamps are refused with a warning");
	rc = pcap_activate(p);
	check(rc == 0, "pcap_activate: %d %s", rc, rc ? pcap_geterr(p) : "");
	if (rc < 0) {
		pcap_close(p);
		return NULL;
	}
	return p;
}

static void
check_basics(pcap_t *p)
{
	int *dlts = NULL, n, i, en10mb = 0;
	u_char frame[60];

	check(pcap_datalink(p) == DLT_EN10MB, "link type Ethernet (%d)", pcap_datalink(p));
	check(pcap_snapshot(p) == 128, "snapshot length 128 (%d)", pcap_snapshot(p));
	check(pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO,
	    "time stamp precision nano");
	n = pcap_list_datalinks(p, &dlts);
	for (i = 0; i < n; i++)
		en10mb |= dlts[i] == DLT_EN10MB;
	pcap_free_datalinks(dlts);
	check(en10mb && pcap_set_datalink(p, DLT_EN10MB) == 0,
	    "pcap_list_datalinks has Ethernet, pcap_set_datalink accepts it");
	memset(frame, 0, sizeof(frame));
	check(pcap_inject(p, frame, sizeof(frame)) == -1 &&
	    strstr(pcap_geterr(p), "passive") != NULL, "pcap_inject is refused: %s",
	    pcap_geterr(p));
	check(pcap_sendpacket(p, frame, sizeof(frame)) == -1, "pcap_sendpacket is refused");
	check(pcap_setdirection(p, PCAP_D_OUT) == -1, "direction out is refused: %s",
	    pcap_geterr(p));
	check(pcap_setdirection(p, PCAP_D_IN) == 0 && pcap_setdirection(p, PCAP_D_INOUT) == 0,
	    "directions in and in/out are accepted");
}

static int
set_filter(pcap_t *p, const char *expr, struct bpf_program *prog)
{
	if (pcap_compile(p, prog, expr, 1, PCAP_NETMASK_UNKNOWN) == -1 ||
	    pcap_setfilter(p, prog) == -1) {
		check(0, "filter \"%s\": %s", expr, pcap_geterr(p));
		return -1;
	}
	return 0;
}

/* pcap_next_ex: frames come, match the filter, carry plausible nano times. */
static void
check_next_ex(pcap_t *p)
{
	struct bpf_program prog, want;
	pcap_t *dead;
	struct pcap_pkthdr *h;
	const u_char *d;
	struct timeval tv;
	long long t0 = now_ms();
	int got = 0, bad_match = 0, bad_len = 0, bad_time = 0, rc = 0;

	if (set_filter(p, "udp", &prog) == -1)
		return;
	/*
	 * The kernel runs the filter with a frame's outer VLAN tag in
	 * metadata, and libpcap puts the tag back before handing it over.
	 * Compiled for a file: on the live handle "vlan" reads the metadata.
	 */
	if ((dead = pcap_open_dead(DLT_EN10MB, 65535)) == NULL)
		return;
	rc = pcap_compile(dead, &want, "udp or (vlan and udp)", 1, PCAP_NETMASK_UNKNOWN);
	pcap_close(dead);
	if (rc == -1) {
		check(0, "cannot compile the expected filter");
		return;
	}
	gettimeofday(&tv, NULL);
	while (got < WANT_FRAMES && now_ms() - t0 < WAIT_MS) {
		if ((rc = pcap_next_ex(p, &h, &d)) < 0)
			break;
		if (rc == 0)
			continue;
		got++;
		save(h, d);
		if (pcap_offline_filter(&want, h, d) == 0) {
			bad_match++;
			note("not \"udp\": %s", hex(d, h->caplen));
		}
		bad_len += h->caplen > 128 || h->caplen > h->len;
		bad_time += h->ts.tv_usec >= 1000000000 || h->ts.tv_sec < tv.tv_sec - 60 ||
		    h->ts.tv_sec > tv.tv_sec + 60;
	}
	check(got == WANT_FRAMES, "pcap_next_ex returns %d frames (%d; last rc %d %s)",
	    WANT_FRAMES, got, rc, rc < 0 ? pcap_geterr(p) : "");
	check(got > 0 && bad_match == 0, "each matches the kernel filter \"udp\" (%d do not)",
	    bad_match);
	check(got > 0 && bad_len == 0, "caplen <= snaplen 128 <= len (%d do not)", bad_len);
	check(got > 0 && bad_time == 0, "nanosecond time stamps near now (%d are not)", bad_time);
	pcap_freecode(&prog);
	pcap_freecode(&want);
}

static void
count_cb(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	(*(int *)user)++;
	save(h, bytes);
}

static void
check_nonblock_select(pcap_t *p)
{
	char err[PCAP_ERRBUF_SIZE];
	const struct timeval *rt;
	struct pollfd pfd;
	long long t0;
	int fd, got = 0, rc, woke = 0, ms;

	check(pcap_setnonblock(p, 1, err) == 0 && pcap_getnonblock(p, err) == 1,
	    "pcap_setnonblock(1), pcap_getnonblock() == 1");
	fd = pcap_get_selectable_fd(p);
	check(fd >= 0 && fd == pcap_fileno(p), "pcap_get_selectable_fd %d == pcap_fileno", fd);
	rt = pcap_get_required_select_timeout(p);
	ms = rt != NULL ? (int)(rt->tv_sec * 1000 + rt->tv_usec / 1000) : 1000;
	t0 = now_ms();
	while (got < WANT_FRAMES && now_ms() - t0 < WAIT_MS) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, ms) > 0)
			woke++;
		if ((rc = pcap_dispatch(p, -1, count_cb, (u_char *)&got)) < 0)
			break;
	}
	check(woke > 0 && got >= WANT_FRAMES, "poll() on it wakes up (%d times), "
	    "pcap_dispatch() then reads %d frames", woke, got);
	t0 = now_ms();
	rc = pcap_dispatch(p, -1, count_cb, (u_char *)&got);
	check(rc >= 0 && now_ms() - t0 < 100, "non-blocking pcap_dispatch returns at once (%d)",
	    rc);
	check(pcap_setnonblock(p, 0, err) == 0 && pcap_getnonblock(p, err) == 0,
	    "back to blocking mode");
}

static void
break_cb(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	int *n = (int *)user;

	save(h, bytes);
	if (++*n == 5)
		pcap_breakloop(alarm_target);
}

static void
on_alarm(int sig)
{
	(void)sig;
	pcap_breakloop(alarm_target);
}

static void
check_breakloop(pcap_t *p)
{
	struct sigaction sa;
	struct bpf_program prog;
	long long t0;
	int n = 0, rc;

	alarm_target = p;
	rc = pcap_loop(p, -1, break_cb, (u_char *)&n);
	check(rc == PCAP_ERROR_BREAK && n == 5, "pcap_breakloop in the callback ends pcap_loop "
	    "(rc %d after %d frames)", rc, n);

	/* Blocked with nothing to read: broken from a signal handler. */
	if (set_filter(p, "udp port 1 and udp port 2", &prog) == -1)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	t0 = now_ms();
	rc = pcap_loop(p, -1, break_cb, (u_char *)&n);
	alarm(0);
	check(rc == PCAP_ERROR_BREAK && now_ms() - t0 < 3000, "pcap_breakloop from a signal "
	    "handler ends a blocked pcap_loop (rc %d after %lld ms)", rc, now_ms() - t0);
	pcap_freecode(&prog);
}

static void
check_stats(pcap_t *p, int delivered)
{
	struct pcap_stat ps;

	if (pcap_stats(p, &ps) == -1) {
		check(0, "pcap_stats: %s", pcap_geterr(p));
		return;
	}
	note("stats: ps_recv %u ps_drop %u ps_ifdrop %u, %d delivered", ps.ps_recv, ps.ps_drop,
	    ps.ps_ifdrop, delivered);
	check(ps.ps_recv >= (u_int)delivered && ps.ps_drop == 0,
	    "pcap_stats: ps_recv %u >= %d frames delivered, ps_drop 0", ps.ps_recv, delivered);
}

static void
check_legacy(const char *dev)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr h;
	const u_char *d = NULL;
	long long t0 = now_ms();
	pcap_t *p;

	if ((p = pcap_open_live(dev, 96, 1, 100, err)) == NULL) {
		check(0, "pcap_open_live(%s): %s", dev, err);
		return;
	}
	while (d == NULL && now_ms() - t0 < WAIT_MS)
		d = pcap_next(p, &h);
	if (d != NULL)
		save(&h, d);
	check(d != NULL && h.caplen <= 96, "pcap_open_live + pcap_next return a frame (caplen %u)",
	    d != NULL ? h.caplen : 0);
	pcap_close(p);
}

static int
usage(void)
{
	fprintf(stderr, "usage: pcap-dicap-check [-w FILE] DEVICE\n"
	    "       pcap-dicap-check -n ROUNDS DEVICE\n");
	return 2;
}

/* -n N: N rounds of findalldevs, create, activate, close; only the outcome counts. */
static int
churn(const char *dev, int rounds)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_if_t *all;
	pcap_t *p;
	int i, activated = 0, failed = 0, listed = 0;

	for (i = 0; i < rounds; i++) {
		if (pcap_findalldevs(&all, err) == 0) {
			listed++;
			pcap_freealldevs(all);
		}
		if ((p = pcap_create(dev, err)) == NULL) {
			failed++;
			continue;
		}
		if (pcap_activate(p) < 0)
			failed++;
		else
			activated++;
		pcap_close(p);
	}
	printf("rounds %d listed %d activated %d failed %d\n", rounds, listed, activated, failed);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *dev, *out = NULL;
	pcap_t *p;
	int c, rounds = 0;

	while ((c = getopt(argc, argv, "n:w:")) != -1) {
		switch (c) {
		case 'n':
			rounds = atoi(optarg);
			break;
		case 'w':
			out = optarg;
			break;
		default:
			return usage();
		}
	}
	if (optind + 1 != argc)
		return usage();
	dev = argv[optind];
	if (rounds > 0)
		return churn(dev, rounds);
	setvbuf(stdout, NULL, _IOLBF, 0);
	check(strstr(pcap_lib_version(), "DiCAP") != NULL, "pcap_lib_version mentions DiCAP: %s",
	    pcap_lib_version());
	find_device(dev);
	if ((p = open_device(dev)) == NULL)
		return 1;
	if (out != NULL && (dump = pcap_dump_open(p, out)) == NULL) {
		check(0, "pcap_dump_open %s: %s", out, pcap_geterr(p));
		return 1;
	}
	check_basics(p);
	check_next_ex(p);
	check_nonblock_select(p);
	check_breakloop(p);
	check_stats(p, delivered);
	pcap_close(p);
	check_legacy(dev);
	if (dump != NULL)
		pcap_dump_close(dump);
	return failures ? 1 : 0;
}
