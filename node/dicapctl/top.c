/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicapctl top: ask the coordinator every interval, draw the nodes' rates.
 * On a terminal the screen is redrawn with plain ANSI escapes and the
 * keyboard read without line buffering (q quits); the terminal's modes are
 * put back on every way out.  Otherwise successive tables, like top -b.
 */
#include <sys/stat.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "dicapctl.h"
#include "replay.h"
#include "selflags.h"
#include "topview.h"

#define ANA_FILE_MAX	(16 << 20)

static volatile sig_atomic_t stop_signal, suspend_asked;
static struct termios saved_tio;
static int tio_saved;
static int screen_ansi;

static void
on_signal(int sig)
{
	stop_signal = sig;
}

static void
on_tstp(int sig)
{
	(void)sig;
	suspend_asked = 1;
}

static void
terminal_restore(void)
{
	if (tio_saved) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
		tio_saved = 0;
	}
	if (screen_ansi) {
		fputs("\033[0m\033[?25h", stdout);
		fflush(stdout);
		screen_ansi = 0;
	}
}

/* Keys without Enter and without echo; the cursor hidden. */
static void
terminal_take(void)
{
	struct termios t;

	screen_ansi = 1;
	fputs("\033[?25l", stdout);
	fflush(stdout);
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
		t = saved_tio;
		t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		t.c_cc[VMIN] = 0;
		t.c_cc[VTIME] = 0;
		tio_saved = 1;
		tcsetattr(STDIN_FILENO, TCSANOW, &t);
	}
}

static void
terminal_setup(void)
{
	terminal_take();
	atexit(terminal_restore);
}

/*
 * Ctrl-Z: give the terminal back before stopping (the shell's prompt needs
 * its modes), take it again when continued.
 */
static void
suspend_self(void)
{
	struct sigaction sa, old;

	suspend_asked = 0;
	terminal_restore();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTSTP, &sa, &old);
	raise(SIGTSTP);
	/* Here when continued. */
	sigaction(SIGTSTP, &old, NULL);
	terminal_take();
}

static void
signals_setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (screen_ansi) {
		sa.sa_handler = on_tstp;
		sigaction(SIGTSTP, &sa, NULL);
	}
}

static void
clock_str(char *buf, size_t len, time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%H:%M:%S", &tm);
}

/* The coordinator's answer as the view's sample. */
static int
sample_from(const struct coord_status *st, uint64_t mono_ns, struct top_sample *s)
{
	const struct dicap_node_info *ni;
	struct top_node *n;
	const char *const *d;
	uint64_t v;
	uint32_t i;
	int found;

	s->mono_ns = mono_ns;
	s->n_nodes = 0;
	if ((s->nodes = calloc(st->n_nodes ? st->n_nodes : 1, sizeof(*s->nodes))) == NULL)
		return -1;
	for (i = 0; i < st->n_nodes; i++) {
		ni = &st->nodes[i];
		n = &s->nodes[i];
		n->id = ni->node_id;
		snprintf(n->addr, sizeof(n->addr), "%s", dicap_addr_str(&ni->addr));
		n->weight = ni->weight;
		n->share_ppm = ni->share_ppm;
		n->hb_age_ms = ni->last_heartbeat_ms;
		n->epoch = ni->epoch;
		n->seen = node_counter(ni, "seen", &found);
		n->has_seen = found;
		n->selected = node_counter(ni, "selected", &found);
		n->has_selected = found;
		for (d = top_drop_counters; *d != NULL; d++) {
			v = node_counter(ni, *d, &found);
			if (found) {
				n->drops += v;
				n->has_drops = 1;
			}
		}
	}
	s->n_nodes = st->n_nodes;
	return 0;
}

/* Read the analyzer's --stats file; -1 with @err. */
static int
ana_read(const char *path, struct top_ana *a, uint32_t *age_s, char *err, size_t errlen)
{
	struct stat sb;
	char *buf;
	size_t n;
	FILE *f;
	int rc;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &sb) == -1 || sb.st_size > ANA_FILE_MAX ||
	    (buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		snprintf(err, errlen, "cannot read it");
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, (size_t)sb.st_size, f);
	fclose(f);
	rc = top_ana_parse(buf, n, a, err, errlen);
	free(buf);
	*age_s = time(NULL) > sb.st_mtime ? (uint32_t)(time(NULL) - sb.st_mtime) : 0;
	return rc;
}

/* Wait until @deadline (monotonic ns); 1 when the user asked to quit. */
static int
wait_keys(uint64_t deadline)
{
	struct pollfd pfd = { STDIN_FILENO, POLLIN, 0 };
	uint64_t now;
	char c;
	int rc;

	while (!stop_signal && !suspend_asked && (now = dicap_mono_ns()) < deadline) {
		rc = poll(&pfd, tio_saved ? 1 : 0, (int)((deadline - now) / 1000000) + 1);
		if (rc <= 0 || !(pfd.revents & (POLLIN | POLLHUP)))
			continue;
		if (read(STDIN_FILENO, &c, 1) != 1) {
			if (pfd.revents & POLLHUP)
				return 1;	/* the terminal is gone */
			continue;
		}
		if (c == 'q' || c == 'Q')
			return 1;
	}
	return stop_signal != 0;
}

int
coord_top(const struct ctl_opts *opts)
{
	struct ctl_opts o = *opts;
	struct coord_client *cl;
	struct coord_status st;
	struct top_sample prev = { 0, NULL, 0 }, cur = { 0, NULL, 0 };
	struct top_node_rates *rates = NULL, *more;
	struct top_ana ana_prev, ana_cur;
	struct top_head h;
	char why[320], now_s[16], since_s[16], ana_err[160], coord_s[DICAP_ADDR_STRLEN];
	uint64_t next, shown = 0;
	time_t last_ok;
	int have_ana_prev = 0, answered, rc = 0;

	memset(&ana_prev, 0, sizeof(ana_prev));
	memset(&ana_cur, 0, sizeof(ana_cur));
	/* One try per refresh: the next refresh is the retry. */
	o.tries = 1;
	if ((uint32_t)o.timeout_ms > o.interval_ms)
		o.timeout_ms = (int)(o.interval_ms < 10 ? 10 : o.interval_ms);
	if ((cl = coord_client_open(&o)) == NULL)
		return 1;
	snprintf(coord_s, sizeof(coord_s), "%s", dicap_addr_str(coord_client_target(cl)));
	if (isatty(STDOUT_FILENO))
		terminal_setup();
	signals_setup();
	memset(&h, 0, sizeof(h));
	last_ok = time(NULL);
	next = dicap_mono_ns();
	while (!stop_signal) {
		next += (uint64_t)o.interval_ms * 1000000;
		answered = coord_client_fetch(cl, &o, 1, &st, why, sizeof(why)) == 0;
		if (stop_signal)
			break;
		if (answered) {
			free(prev.nodes);
			prev = cur;
			cur.nodes = NULL;
			if (sample_from(&st, dicap_mono_ns(), &cur) == -1 ||
			    (more = reallocarray(rates, cur.n_nodes ? cur.n_nodes : 1,
			    sizeof(*rates))) == NULL) {
				coord_status_free(&st);
				ctl_error("out of memory");
				rc = 1;
				break;
			}
			rates = more;
			top_rates(prev.nodes != NULL ? &prev : NULL, &cur, rates);
			h.have_status = 1;
			h.role = coord_role_name(st.role);
			h.term = st.head.term;
			h.epoch = st.head.epoch;
			h.mode = DICAP_HAS(&st.head, DICAP_AVP_SELECT) ?
			    dicap_mode_name(st.head.mode) : NULL;
			h.tunnel = DICAP_HAS(&st.head, DICAP_AVP_SELECT_FLAGS) ?
			    dicap_tunnel_name(st.head.sel_flags) : NULL;
			if (DICAP_HAS(&st.head, DICAP_AVP_COORD))
				snprintf(coord_s, sizeof(coord_s), "%s",
				    dicap_addr_str(&st.head.coord));
			coord_status_free(&st);
			last_ok = time(NULL);
			h.no_answer_since = NULL;
		} else {
			clock_str(since_s, sizeof(since_s), last_ok);
			h.no_answer_since = since_s;
			h.no_answer_why = why;
		}
		h.coord = coord_s;
		clock_str(now_s, sizeof(now_s), time(NULL));
		h.now = now_s;
		h.ana_file = o.analyzer_stats;
		h.ana = NULL;
		if (o.analyzer_stats != NULL) {
			h.ana_error = ana_err;
			if (ana_read(o.analyzer_stats, &ana_cur, &h.ana_age_s, ana_err,
			    sizeof(ana_err)) == 0) {
				top_ana_rates(have_ana_prev ? &ana_prev : NULL, &ana_cur);
				top_ana_free(&ana_prev);
				ana_prev = ana_cur;
				memset(&ana_cur, 0, sizeof(ana_cur));
				have_ana_prev = 1;
				h.ana = &ana_prev;
			}
		}
		if (!screen_ansi && shown > 0)
			putchar('\n');
		top_render(stdout, &h, &cur, rates, screen_ansi);
		if (fflush(stdout) == EOF) {
			rc = 1;
			break;
		}
		if (++shown == o.count) {
			rc = answered ? 0 : 1;
			break;
		}
		if (wait_keys(next))
			break;
		if (suspend_asked) {
			suspend_self();
			next = dicap_mono_ns();		/* redraw at once */
		}
		/* Behind (a slow answer, a stopped process): start the beat from now. */
		if (dicap_mono_ns() > next + (uint64_t)o.interval_ms * 1000000)
			next = dicap_mono_ns();
	}
	terminal_restore();
	free(prev.nodes);
	free(cur.nodes);
	free(rates);
	top_ana_free(&ana_prev);
	coord_client_close(cl);
	return rc;
}
