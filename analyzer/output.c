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
 * Under rotation no file is ever overwritten (issue 14: one record with a
 * crafted time stamp renamed the start-up file over an existing one).
 * Files are created with O_EXCL and the first file is renamed with
 * RENAME_NOREPLACE; a name that is taken is skipped, counted
 * (files_skipped) and the next counter tried (FILE1, FILE2 ...), up to
 * NAME_TRIES; after that the analyzer stops with status 1.  Without -C and
 * -G, -w FILE replaces FILE, as tcpdump -w does.
 *
 * The output is flushed every second by the tick and on close.  A write
 * error (a full disk, the reader of -w - gone) stops the analyzer with
 * status 1: writing on would lose records silently.
 *
 * pcap: libpcap writes the file header (pcap_dump_open()); the records
 * are gathered in OUT_BUF_LEN bytes of our own, in the layout pcap_dump()
 * writes (struct pcap_sf_pkthdr: 32-bit seconds, 32-bit fraction, caplen,
 * wire length, host byte order), and go to the dumper's FILE in one
 * fwrite().  pcap_dump() makes two fwrite() calls per record, which were
 * 15% of the analyzer's time under load (bench/b5-ingest.sh, perf).
 *
 * pcapng (--format pcapng; libpcap 1.10 cannot write it): the blocks of
 * pcapng.c through the same buffer.  Each file is one section: its
 * section header block, then for each capture node an interface
 * description block just before the node's first record in that file
 * (so a rotated file holds the interfaces of the nodes it carries, each
 * once, numbered from 0 in order of appearance), enhanced packet blocks,
 * and when the file closes (rotation, exit) one interface statistics
 * block per interface.  The statistics count from the node's first batch
 * over the analyzer's whole run, not per file, as dumpcap's do over a
 * ring buffer.  A failed file gets no statistics: the analyzer stops.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "analyzer.h"
#include "log.h"
#include "outname.h"
#include "pcapng.h"
#include "replay.h"

#define PCAP_FILE_HDR_LEN	24
#define PCAP_REC_HDR_LEN	16
#define OUT_BUF_LEN		(256 * 1024)	/* > a record: a batch is < 64 KiB */
#define NAME_TRIES		1000		/* names taken in a row: give up */

/* libpcap's struct pcap_sf_pkthdr, the record header in a pcap file */
struct rec_hdr {
	uint32_t sec;
	uint32_t frac;			/* nanoseconds with the nanosecond magic */
	uint32_t caplen;
	uint32_t len;
};

const char *
output_name(const struct analyzer *a)
{
	return a->out_name;
}

static int
to_stdout(const struct analyzer *a)
{
	return strcmp(a->conf.outfile, "-") == 0;
}

static int
is_open(const struct analyzer *a)
{
	return a->dumper != NULL || a->ng_file != NULL;
}

static FILE *
out_file(const struct analyzer *a)
{
	return a->dumper != NULL ? pcap_dump_file(a->dumper) : a->ng_file;
}

static void
close_file(struct analyzer *a)
{
	if (a->dumper != NULL)
		pcap_dump_close(a->dumper);
	else if (a->ng_file != NULL)
		fclose(a->ng_file);
	a->dumper = NULL;
	a->ng_file = NULL;
}

static void
output_failed(struct analyzer *a, const char *what)
{
	log_warnx("%s: %s; stopping", to_stdout(a) ? "standard output" : a->out_name, what);
	close_file(a);
	a->out_len = 0;
	ana_stop(a, 1);
}

/* Our buffer into the FILE; stdio reports errors through ferror(). */
static void
put_buffer(struct analyzer *a)
{
	if (a->out_len > 0)
		fwrite(a->out_buf, 1, a->out_len, out_file(a));
	a->out_len = 0;
}

/* Flush and check: the flush alone does not see stdio's earlier errors. */
static int
check_file(struct analyzer *a)
{
	FILE *f = out_file(a);

	errno = 0;
	put_buffer(a);
	if (fflush(f) == EOF || ferror(f)) {
		output_failed(a, strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}

/* Room for @need more bytes in the buffer: 0, or -1 when the FILE failed. */
static int
make_room(struct analyzer *a, size_t need)
{
	if (a->out_len + need <= OUT_BUF_LEN)
		return 0;
	errno = 0;
	put_buffer(a);
	if (ferror(out_file(a))) {
		output_failed(a, strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}

/* pcapng: a new file's section header, into the (empty) buffer. */
static void
ng_start(struct analyzer *a)
{
	a->out_len = pcapng_shb(a->out_buf, OUT_BUF_LEN, PROG);
	a->file_bytes = a->out_len;
	a->ng_ifaces = 0;
}

/* pcapng: node @n's interface in this file, described before its first record. */
static int
ng_interface(struct analyzer *a, struct node *n)
{
	char name[32];
	size_t len;

	if (n->ng_file_no == a->ctr.files)
		return 0;
	if (make_room(a, PCAPNG_IDB_MAX) == -1)
		return -1;
	snprintf(name, sizeof(name), "node-0x%08x", n->id);
	len = pcapng_idb(a->out_buf + a->out_len, OUT_BUF_LEN - a->out_len,
	    a->conf.linktype, a->conf.snaplen, name, n->addr);
	a->out_len += len;
	a->file_bytes += len;
	n->ng_file_no = a->ctr.files;
	n->ng_if = a->ng_ifaces++;
	return 0;
}

/*
 * pcapng: the statistics of every interface of the file, before it
 * closes.  0, or -1 when the file failed (and is closed).
 */
static int
ng_statistics(struct analyzer *a)
{
	struct pcapng_isb s;
	const struct node *n;
	char comment[512];
	uint64_t now = dicap_now_ns();

	if (a->ng_file == NULL)
		return 0;
	for (n = a->nodes; n != NULL; n = n->hh.next) {
		if (n->ng_file_no != a->ctr.files)
			continue;
		snprintf(comment, sizeof(comment), "node 0x%08x, last from %s: %llu records "
		    "received in %llu batches, %llu written, %llu not written (another link "
		    "type); %llu batches lost (sequence gaps), %llu duplicate, %llu out of "
		    "order, %llu restarts, %llu malformed", n->id, n->addr,
		    (unsigned long long)n->records, (unsigned long long)n->batches,
		    (unsigned long long)n->written, (unsigned long long)n->linktype_mismatch,
		    (unsigned long long)seqwin_missing(&n->seq),
		    (unsigned long long)n->duplicates, (unsigned long long)n->out_of_order,
		    (unsigned long long)n->restarts, (unsigned long long)n->malformed);
		s.time_ns = now;
		s.start_ns = n->first_seen_ns;
		s.end_ns = now;
		s.ifrecv = n->records;
		s.ifdrop = UINT64_MAX;		/* the node's own drops are not sent */
		s.osdrop = n->linktype_mismatch;
		s.usrdeliv = n->written;
		s.comment = comment;
		if (make_room(a, PCAPNG_ISB_MAX) == -1)
			return -1;
		a->out_len += pcapng_isb(a->out_buf + a->out_len, OUT_BUF_LEN - a->out_len,
		    n->ng_if, &s);
	}
	return 0;
}

static FILE *
ng_open(const char *name)
{
	FILE *f = fopen(name, "w");

	if (f == NULL)
		log_warn("%s", name);
	return f;
}

static int
rotating(const struct analyzer *a)
{
	return a->conf.rotate_bytes != 0 || a->conf.rotate_secs != 0;
}

static void
name_taken(struct analyzer *a, const char *name, int tries)
{
	a->ctr.files_skipped++;
	if (tries == 0)
		log_warnx("%s exists: not overwritten, taking the next name (%llu names "
		    "skipped so far)", name, (unsigned long long)a->ctr.files_skipped);
}

/* A new file under the next free name: a descriptor, or -1. */
static int
create_exclusive(struct analyzer *a, time_t start)
{
	int fd, tries;

	for (tries = 0; tries < NAME_TRIES; tries++) {
		if (outname_next(&a->outnames, start, a->out_name, sizeof(a->out_name)) == -1) {
			log_warnx("-w %s: the file name is empty or too long", a->conf.outfile);
			return -1;
		}
		fd = open(a->out_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd != -1)
			return fd;
		if (errno != EEXIST) {
			log_warn("%s", a->out_name);
			return -1;
		}
		name_taken(a, a->out_name, tries);
	}
	log_warnx("-w %s: %d names in a row are taken; not overwriting any", a->conf.outfile,
	    NAME_TRIES);
	return -1;
}

static int
open_file(struct analyzer *a, time_t start)
{
	FILE *f = NULL;
	int fd;

	if (!rotating(a)) {
		if (outname_next(&a->outnames, start, a->out_name, sizeof(a->out_name)) == -1) {
			log_warnx("-w %s: the file name is empty or too long", a->conf.outfile);
			return -1;
		}
		if (a->conf.format == ANA_FMT_PCAPNG && (f = ng_open(a->out_name)) == NULL)
			return -1;
	} else {
		if ((fd = create_exclusive(a, start)) == -1)
			return -1;
		if ((f = fdopen(fd, "w")) == NULL) {
			log_warn("%s", a->out_name);
			close(fd);
			return -1;
		}
	}
	a->file_records = 0;
	if (a->conf.format == ANA_FMT_PCAPNG) {
		a->ng_file = f;
		a->ctr.files++;
		ng_start(a);
		return 0;
	}
	if (f == NULL)
		a->dumper = pcap_dump_open(a->pcap_dead, a->out_name);
	else if ((a->dumper = pcap_dump_fopen(a->pcap_dead, f)) == NULL)
		fclose(f);
	if (a->dumper == NULL) {
		log_warnx("%s", pcap_geterr(a->pcap_dead));
		return -1;
	}
	a->file_bytes = PCAP_FILE_HDR_LEN;
	a->ctr.files++;
	return 0;
}

int
output_open(struct analyzer *a)
{
	if ((a->out_buf = malloc(OUT_BUF_LEN)) == NULL) {
		log_warn("output buffer");
		return -1;
	}
	a->out_len = 0;
	a->pcap_dead = pcap_open_dead_with_tstamp_precision(a->conf.linktype,
	    (int)a->conf.snaplen, PCAP_TSTAMP_PRECISION_NANO);
	if (a->pcap_dead == NULL) {
		log_warnx("pcap_open_dead failed");
		return -1;
	}
	outname_init(&a->outnames, a->conf.outfile, a->conf.rotate_secs != 0);
	if (!to_stdout(a)) {
		a->first_file = 1;
		return open_file(a, (time_t)(dicap_now_ns() / NS_PER_SEC));
	}
	snprintf(a->out_name, sizeof(a->out_name), "-");
	a->ctr.files++;
	if (a->conf.format == ANA_FMT_PCAPNG) {
		a->ng_file = stdout;
		ng_start(a);
		return check_file(a);
	}
	a->dumper = pcap_dump_fopen(a->pcap_dead, stdout);
	if (a->dumper == NULL) {
		log_warnx("standard output: %s", pcap_geterr(a->pcap_dead));
		return -1;
	}
	/* a reader (tcpdump -r -) waits for the file header: send it now */
	return check_file(a);
}

enum rotation { ROT_NONE, ROT_SIZE, ROT_TIME };

static enum rotation
rotation_due(const struct analyzer *a, uint64_t ts)
{
	if (a->conf.rotate_secs && a->interval_started && ts >= a->interval_start_ts &&
	    ts - a->interval_start_ts >= a->conf.rotate_secs * NS_PER_SEC)
		return ROT_TIME;
	if (a->conf.rotate_bytes && a->file_records > 0 &&
	    a->file_bytes > a->conf.rotate_bytes)
		return ROT_SIZE;
	return ROT_NONE;
}

/* A -C rotation stays in the -G interval (and its name, plus a counter). */
static int
rotate(struct analyzer *a, uint64_t ts, enum rotation why)
{
	char old[sizeof(a->out_name)];

	if (ng_statistics(a) == -1 || check_file(a) == -1)
		return -1;
	close_file(a);
	snprintf(old, sizeof(old), "%s", a->out_name);
	if (why == ROT_TIME)
		a->interval_start_ts = ts;
	a->first_file = 0;
	if (open_file(a, (time_t)(a->interval_start_ts / NS_PER_SEC)) == -1) {
		ana_stop(a, 1);
		return -1;
	}
	log_debug("rotated %s -> %s", old, a->out_name);
	return 0;
}

/* rename(2) that never replaces @to: -1 with EEXIST when it exists. */
static int
rename_noreplace(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* a file system without RENAME_NOREPLACE: link() does not replace either */
	if (link(from, to) == -1)
		return -1;
	unlink(from);
	return 0;
}

/* The first file named after its first record, as the later ones are. */
static void
rename_first(struct analyzer *a, uint64_t ts)
{
	char name[sizeof(a->out_name)];
	int tries;

	a->first_file = 0;
	if (!a->outnames.use_time)
		return;
	outname_init(&a->outnames, a->conf.outfile, 1);
	for (tries = 0; tries < NAME_TRIES; tries++) {
		if (outname_next(&a->outnames, (time_t)(ts / NS_PER_SEC), name,
		    sizeof(name)) == -1 || strcmp(name, a->out_name) == 0)
			return;
		if (rename_noreplace(a->out_name, name) == 0) {
			snprintf(a->out_name, sizeof(a->out_name), "%s", name);
			return;
		}
		if (errno != EEXIST) {
			log_warn("rename %s to %s", a->out_name, name);
			return;
		}
		name_taken(a, name, tries);
	}
	log_warnx("%s: %d names in a row are taken; the file keeps its name", a->out_name,
	    NAME_TRIES);
}

/* pcapng: the record as an enhanced packet block of @n's interface. */
static void
ng_write(struct analyzer *a, struct node *n, uint64_t ts, uint32_t wirelen,
    uint32_t caplen, const uint8_t *data)
{
	uint8_t *p;

	if (ng_interface(a, n) == -1 || make_room(a, pcapng_epb_len(caplen)) == -1)
		return;
	p = a->out_buf + a->out_len;
	pcapng_epb_hdr(p, n->ng_if, ts, caplen, wirelen);
	memcpy(p + PCAPNG_EPB_HDR_LEN, data, caplen);
	pcapng_epb_trailer(p + PCAPNG_EPB_HDR_LEN + caplen, caplen);
	a->out_len += pcapng_epb_len(caplen);
	if (a->file_records++ == 0 && a->first_file)
		rename_first(a, ts);
	a->file_bytes += pcapng_epb_len(caplen);
	a->ctr.written++;
	a->ctr.written_bytes += caplen;
}

void
output_write(struct analyzer *a, struct node *n, uint64_t ts, uint32_t wirelen,
    uint32_t caplen, const uint8_t *data)
{
	struct rec_hdr rh;
	enum rotation why;

	if (!is_open(a))
		return;
	if (!a->interval_started) {
		a->interval_started = 1;
		a->interval_start_ts = ts;
	}
	why = rotation_due(a, ts);
	if (why != ROT_NONE && rotate(a, ts, why) == -1)
		return;
	if (a->conf.format == ANA_FMT_PCAPNG) {
		ng_write(a, n, ts, wirelen, caplen, data);
		return;
	}
	if (make_room(a, sizeof(rh) + caplen) == -1)
		return;
	rh.sec = (uint32_t)(ts / NS_PER_SEC);
	rh.frac = (uint32_t)(ts % NS_PER_SEC);
	rh.caplen = caplen;
	rh.len = wirelen;
	memcpy(a->out_buf + a->out_len, &rh, sizeof(rh));
	memcpy(a->out_buf + a->out_len + sizeof(rh), data, caplen);
	a->out_len += sizeof(rh) + caplen;
	if (a->file_records++ == 0 && a->first_file)
		rename_first(a, ts);
	a->file_bytes += PCAP_REC_HDR_LEN + caplen;
	a->ctr.written++;
	a->ctr.written_bytes += caplen;
}

int
output_flush(struct analyzer *a)
{
	if (!is_open(a))
		return -1;
	return check_file(a);
}

int
output_close(struct analyzer *a)
{
	int rc = 0;

	if (is_open(a)) {
		rc = ng_statistics(a) == -1 ? -1 : check_file(a);
		close_file(a);
	}
	if (a->pcap_dead != NULL)
		pcap_close(a->pcap_dead);
	a->pcap_dead = NULL;
	free(a->out_buf);
	a->out_buf = NULL;
	return rc;
}
