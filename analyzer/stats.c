/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Statistics: the live line (one per second on a terminal) and the JSON
 * document for --stats, SIGUSR1 and --json.  "gaps" are batches missing
 * between a node and this analyzer (sequence numbers never received);
 * "loss" relates them to the batches the node sent us (received + gaps).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analyzer.h"
#include "log.h"
#include "replay.h"

#define LIVE_MAX_NODES	6

static void
jstr(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static double
ratio(uint64_t part, uint64_t whole)
{
	return whole ? (double)part / (double)whole : 0.0;
}

#define U(x)	((unsigned long long)(x))

static void
json_node(FILE *f, const struct node *n, uint64_t all_records)
{
	uint64_t gaps = seqwin_missing(&n->seq);

	fprintf(f, "{\"id\":\"0x%08x\",\"addr\":", n->id);
	jstr(f, n->addr);
	fprintf(f, ",\"batches\":%llu,\"records\":%llu,\"bytes\":%llu,\"wire_bytes\":%llu,"
	    "\"gaps\":%llu,\"gap_events\":%llu,\"duplicates\":%llu,\"out_of_order\":%llu,"
	    "\"restarts\":%llu,\"seq_resets\":%llu,\"malformed\":%llu,"
	    "\"linktype_mismatch\":%llu,\"ts_refused\":%llu,\"written\":%llu,\"late\":%llu,"
	    "\"first_seq\":%u,\"last_seq\":%u,"
	    "\"first_seen_ns\":%llu,\"last_seen_ns\":%llu,\"share\":%.6f,\"loss\":%.6f}",
	    U(n->batches), U(n->records), U(n->bytes), U(n->wire_bytes), U(gaps),
	    U(n->gap_events), U(n->duplicates), U(n->out_of_order), U(n->restarts),
	    U(n->seq.out_of_window), U(n->malformed), U(n->linktype_mismatch),
	    U(n->ts_refused), U(n->written), U(n->late),
	    n->first_seq, n->last_seq, U(n->first_seen_ns), U(n->last_seen_ns),
	    ratio(n->records, all_records), ratio(gaps, n->batches + gaps));
}

static void
json_sender(FILE *f, const struct sender *s)
{
	fputs("{\"addr\":", f);
	jstr(f, s->name);
	fprintf(f, ",\"batches\":%llu,\"malformed\":%llu,\"first_seen_ns\":%llu,"
	    "\"last_seen_ns\":%llu,\"last_error\":", U(s->batches), U(s->malformed),
	    U(s->first_seen_ns), U(s->last_seen_ns));
	jstr(f, s->last_error);
	fputc('}', f);
}

void
stats_print_json(const struct analyzer *a, FILE *f)
{
	const struct ana_counters *ctr = &a->ctr;
	struct node_totals t;
	const struct node *n;
	const struct sender *s;
	uint64_t now = dicap_now_ns();
	const char *sep = "";

	nodes_sum(a, &t);
	fprintf(f, "{\"version\":%d,\"time_ns\":%llu,\"uptime_ms\":%llu,\"listen\":",
	    ANA_STATS_VERSION, U(now), U((dicap_mono_ns() - ctr->start_mono_ns) / NS_PER_MS));
	jstr(f, dicap_addr_str(&a->conf.listen));
	fprintf(f, ",\"transport\":\"%s\",\"reorder_ms\":%u,\"output\":{\"file\":",
	    a->conf.transports & ANA_T_TCP ? "udp+tcp" : "udp", a->conf.reorder_ms);
	jstr(f, output_name(a));
	fprintf(f, ",\"files\":%llu,\"files_skipped\":%llu,\"written\":%llu,"
	    "\"written_bytes\":%llu,\"late\":%llu,"
	    "\"forced\":%llu,\"forced_bytes\":%llu,\"buffered\":%llu,\"buffered_max\":%llu,"
	    "\"buffered_bytes\":%llu,\"buffered_bytes_max\":%llu,\"reorder_bytes\":%llu},",
	    U(ctr->files), U(ctr->files_skipped), U(ctr->written), U(ctr->written_bytes),
	    U(ctr->late),
	    U(ctr->forced), U(ctr->forced_bytes), U(reorder_len(a)), U(ctr->buffered_max),
	    U(a->buffered_bytes), U(ctr->buffered_bytes_max), U(a->conf.reorder_bytes));
	fprintf(f, "\"totals\":{\"nodes\":%u,\"batches\":%llu,\"records\":%llu,\"bytes\":%llu,"
	    "\"wire_bytes\":%llu,\"gaps\":%llu,\"duplicates\":%llu,\"out_of_order\":%llu,"
	    "\"restarts\":%llu,\"seq_resets\":%llu,\"malformed\":%llu,"
	    "\"malformed_with_node\":%llu,\"linktype_mismatch\":%llu,\"ts_refused\":%llu,"
	    "\"ts_future\":%llu,\"ts_past\":%llu,\"datagrams\":%llu,\"socket_drops\":%llu,"
	    "\"tcp_accepted\":%llu,\"tcp_open\":%llu,\"tcp_refused\":%llu,"
	    "\"tcp_source_refused\":%llu,\"tcp_idle_closed\":%llu,"
	    "\"tcp_accept_errors\":%llu,\"nodes_refused\":%llu,\"nodes_expired\":%llu},",
	    HASH_COUNT(a->nodes), U(t.batches), U(t.records), U(t.bytes), U(t.wire_bytes),
	    U(t.gaps), U(t.duplicates), U(t.out_of_order), U(t.restarts), U(t.seq_resets),
	    U(ctr->malformed), U(t.node_malformed), U(t.linktype_mismatch), U(t.ts_refused),
	    U(ctr->ts_future), U(ctr->ts_past), U(ctr->datagrams),
	    U(ctr->socket_drops), U(ctr->tcp_accepted), U(ctr->tcp_open), U(ctr->tcp_refused),
	    U(ctr->tcp_source_refused), U(ctr->tcp_idle_closed), U(ctr->tcp_accept_errors),
	    U(ctr->nodes_refused), U(ctr->nodes_expired));
	fputs("\"nodes\":[", f);
	for (n = a->nodes; n != NULL; n = n->hh.next, sep = ",") {
		fputs(sep, f);
		json_node(f, n, t.records);
	}
	fputs("],\"senders\":[", f);
	sep = "";
	for (s = a->senders; s != NULL; s = s->hh.next, sep = ",") {
		fputs(sep, f);
		json_sender(f, s);
	}
	fputs("]}\n", f);
}

/* Written beside the target and renamed over it: readers never see half. */
int
stats_write_file(const struct analyzer *a, const char *path)
{
	char tmp[4096];
	FILE *f;
	int fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		log_warnx("--stats %s: name too long", path);
		return -1;
	}
	/*
	 * The directory may be writable by others (/tmp): a symlink planted
	 * at the temporary name would have the analyzer, often root,
	 * truncate and write its target.  So a fresh file only, created here
	 * and never through a link; a leftover from a crash (or a planted
	 * link) is removed first, and a link planted again in between makes
	 * this write fail, not follow it (issue 14).
	 */
	if (unlink(tmp) == -1 && errno != ENOENT)
		log_warn("unlink %s", tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd == -1 || (f = fdopen(fd, "w")) == NULL) {
		log_warn("%s", tmp);
		if (fd != -1) {
			close(fd);
			unlink(tmp);
		}
		return -1;
	}
	stats_print_json(a, f);
	if (ferror(f) | fclose(f)) {
		log_warn("%s", tmp);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) == -1) {
		log_warn("rename %s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int
by_rate(const void *a, const void *b)
{
	const struct node *x = *(const struct node *const *)a;
	const struct node *y = *(const struct node *const *)b;
	uint64_t rx = x->records - x->tick_records, ry = y->records - y->tick_records;

	if (rx != ry)
		return rx > ry ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static void
live_line(const struct analyzer *a, uint64_t dt_ns)
{
	struct node *n, **v;
	char stamp[16];
	time_t now = time(NULL);
	struct tm tm;
	uint64_t all = 0, rate, gaps, batches;
	unsigned int i, count = HASH_COUNT(a->nodes);
	double secs = dt_ns ? (double)dt_ns / 1e9 : 1.0;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	v = calloc(count ? count : 1, sizeof(*v));
	if (v == NULL)
		return;
	for (i = 0, n = a->nodes; n != NULL; n = n->hh.next) {
		v[i++] = n;
		all += n->records - n->tick_records;
	}
	qsort(v, count, sizeof(*v), by_rate);
	fprintf(stderr, "%s %.0f rec/s %u node%s", stamp, (double)all / secs, count,
	    count == 1 ? "" : "s");
	for (i = 0; i < count && i < LIVE_MAX_NODES; i++) {
		n = v[i];
		rate = n->records - n->tick_records;
		gaps = seqwin_missing(&n->seq) - n->tick_missing;
		batches = n->batches - n->tick_batches;
		fprintf(stderr, " | 0x%08x %.0f/s %.1f%% loss %.2f%%", n->id,
		    (double)rate / secs, 100.0 * ratio(rate, all),
		    100.0 * ratio(gaps, gaps + batches));
	}
	if (count > LIVE_MAX_NODES)
		fprintf(stderr, " | +%u more", count - LIVE_MAX_NODES);
	fprintf(stderr, " | buf %zu late %llu bad %llu\n", reorder_len(a), U(a->ctr.late),
	    U(a->ctr.malformed));
	free(v);
}

void
stats_tick(struct analyzer *a)
{
	uint64_t now = dicap_mono_ns();
	struct node *n;

	if (a->live == -1)
		a->live = !a->conf.quiet && isatty(STDERR_FILENO);
	if (a->live)
		live_line(a, a->tick_mono ? now - a->tick_mono : 0);
	a->tick_mono = now;
	for (n = a->nodes; n != NULL; n = n->hh.next) {
		n->tick_records = n->records;
		n->tick_missing = seqwin_missing(&n->seq);
		n->tick_batches = n->batches;
	}
	if (a->conf.stats_file != NULL)
		stats_write_file(a, a->conf.stats_file);
}
