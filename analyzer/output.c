/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pcap output through libpcap's dump API, with nanosecond timestamps (the
 * file gets the nanosecond magic; readers such as tcpdump --nano keep the
 * digits).  Rotation in tcpdump's spirit:
 *
 *   -C: before a record is written, if the file already holds more than
 *       the limit, the next file is started (a file may exceed the limit by
 *       one record, never holds zero records because of it);
 *   -G: an interval covers SECONDS of record time from its first record:
 *       the first record at or past that starts the next interval and file
 *       (-C files within an interval share its name plus a counter, and do
 *       not restart it, as in tcpdump).  Record time,
 *       not wall time, so that a file's name and contents agree even when
 *       the records arrive late or are replayed.  The first file is created
 *       at start (so that a bad path fails at once) under the wall time's
 *       name and renamed after its first record when the name differs.
 *
 * The output is flushed every second by the tick and on close.  A write
 * error (a full disk, the reader of -w - gone) stops the analyzer with
 * status 1: writing on would lose records silently.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>

#include "analyzer.h"
#include "log.h"
#include "outname.h"
#include "replay.h"

#define PCAP_FILE_HDR_LEN	24
#define PCAP_REC_HDR_LEN	16

static pcap_t *dead;
static pcap_dumper_t *dumper;
static struct outname names;
static char cur_name[sizeof(names.base) + 32];
static uint64_t file_bytes;
static uint64_t interval_start_ts;	/* -G: the current interval's first record */
static int interval_started;
static uint64_t file_records;
static int first_file;		/* the file opened at start */

const char *
output_name(const struct analyzer *a)
{
	(void)a;
	return cur_name;
}

static int
to_stdout(const struct analyzer *a)
{
	return strcmp(a->conf.outfile, "-") == 0;
}

static void
output_failed(struct analyzer *a, const char *what)
{
	log_warnx("%s: %s; stopping", to_stdout(a) ? "standard output" : cur_name, what);
	if (dumper != NULL)
		pcap_dump_close(dumper);
	dumper = NULL;
	ana_stop(a, 1);
}

/* Flush and check: pcap_dump() itself reports nothing. */
static int
check_file(struct analyzer *a)
{
	FILE *f = pcap_dump_file(dumper);

	errno = 0;
	if (pcap_dump_flush(dumper) == -1 || ferror(f)) {
		output_failed(a, strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}

static int
open_file(struct analyzer *a, time_t start)
{
	if (outname_next(&names, start, cur_name, sizeof(cur_name)) == -1) {
		log_warnx("-w %s: the file name is empty or too long", a->conf.outfile);
		return -1;
	}
	dumper = pcap_dump_open(dead, cur_name);
	if (dumper == NULL) {
		log_warnx("%s", pcap_geterr(dead));
		return -1;
	}
	file_bytes = PCAP_FILE_HDR_LEN;
	file_records = 0;
	a->ctr.files++;
	return 0;
}

int
output_open(struct analyzer *a)
{
	dead = pcap_open_dead_with_tstamp_precision(a->conf.linktype, (int)a->conf.snaplen,
	    PCAP_TSTAMP_PRECISION_NANO);
	if (dead == NULL) {
		log_warnx("pcap_open_dead failed");
		return -1;
	}
	outname_init(&names, a->conf.outfile, a->conf.rotate_secs != 0);
	if (!to_stdout(a)) {
		first_file = 1;
		return open_file(a, (time_t)(dicap_now_ns() / NS_PER_SEC));
	}
	snprintf(cur_name, sizeof(cur_name), "-");
	dumper = pcap_dump_fopen(dead, stdout);
	if (dumper == NULL) {
		log_warnx("standard output: %s", pcap_geterr(dead));
		return -1;
	}
	a->ctr.files++;
	/* a reader (tcpdump -r -) waits for the file header: send it now */
	return check_file(a);
}

enum rotation { ROT_NONE, ROT_SIZE, ROT_TIME };

static enum rotation
rotation_due(const struct analyzer *a, uint64_t ts)
{
	if (a->conf.rotate_secs && interval_started && ts >= interval_start_ts &&
	    ts - interval_start_ts >= a->conf.rotate_secs * NS_PER_SEC)
		return ROT_TIME;
	if (a->conf.rotate_bytes && file_records > 0 && file_bytes > a->conf.rotate_bytes)
		return ROT_SIZE;
	return ROT_NONE;
}

/* A -C rotation stays in the -G interval (and its name, plus a counter). */
static int
rotate(struct analyzer *a, uint64_t ts, enum rotation why)
{
	char old[sizeof(cur_name)];

	if (check_file(a) == -1)
		return -1;
	pcap_dump_close(dumper);
	dumper = NULL;
	snprintf(old, sizeof(old), "%s", cur_name);
	if (why == ROT_TIME)
		interval_start_ts = ts;
	first_file = 0;
	if (open_file(a, (time_t)(interval_start_ts / NS_PER_SEC)) == -1) {
		ana_stop(a, 1);
		return -1;
	}
	log_debug("rotated %s -> %s", old, cur_name);
	return 0;
}

/* The first file named after its first record, as the later ones are. */
static void
rename_first(struct analyzer *a, uint64_t ts)
{
	char name[sizeof(cur_name)];

	first_file = 0;
	if (!names.use_time)
		return;
	outname_init(&names, a->conf.outfile, 1);
	if (outname_next(&names, (time_t)(ts / NS_PER_SEC), name, sizeof(name)) == -1 ||
	    strcmp(name, cur_name) == 0)
		return;
	if (rename(cur_name, name) == -1) {
		log_warn("rename %s to %s", cur_name, name);
		return;
	}
	snprintf(cur_name, sizeof(cur_name), "%s", name);
}

void
output_write(struct analyzer *a, uint64_t ts, uint32_t wirelen, uint32_t caplen,
    const uint8_t *data)
{
	struct pcap_pkthdr ph;
	enum rotation why;

	if (dumper == NULL)
		return;
	if (!interval_started) {
		interval_started = 1;
		interval_start_ts = ts;
	}
	why = rotation_due(a, ts);
	if (why != ROT_NONE && rotate(a, ts, why) == -1)
		return;
	memset(&ph, 0, sizeof(ph));
	ph.ts.tv_sec = (time_t)(ts / NS_PER_SEC);
	/* with nanosecond precision libpcap stores tv_usec as nanoseconds */
	ph.ts.tv_usec = (suseconds_t)(ts % NS_PER_SEC);
	ph.caplen = caplen;
	ph.len = wirelen;
	errno = 0;
	pcap_dump((u_char *)dumper, &ph, data);
	if (ferror(pcap_dump_file(dumper))) {
		output_failed(a, strerror(errno ? errno : EIO));
		return;
	}
	if (file_records++ == 0 && first_file)
		rename_first(a, ts);
	file_bytes += PCAP_REC_HDR_LEN + caplen;
	a->ctr.written++;
	a->ctr.written_bytes += caplen;
}

int
output_flush(struct analyzer *a)
{
	if (dumper == NULL)
		return -1;
	return check_file(a);
}

int
output_close(struct analyzer *a)
{
	int rc = 0;

	if (dumper != NULL) {
		rc = check_file(a);
		if (dumper != NULL)
			pcap_dump_close(dumper);
		dumper = NULL;
	}
	if (dead != NULL)
		pcap_close(dead);
	dead = NULL;
	return rc;
}
