/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicap-analyzer: the packet data analyzer of DiCAP's distributed capture
 * mode (paper III.D).  It receives header batches from the capture nodes,
 * merges their records in timestamp order and writes one pcap stream.
 * One concern per file:
 *   analyzer.c  options, start, signals, the one-second tick, shutdown
 *   net.c       UDP and TCP reception, TCP framing
 *   nodes.c     batch decoding, per-node and per-sender accounting
 *   seqwin.c    a node stream's sequence numbers: gaps, duplicates, order
 *   reorder.c   the reorder window in front of the output
 *   heap.c      the reorder window's binary heap
 *   output.c    pcap or pcapng output, rotation
 *   pcapng.c    pcapng block encoding
 *   outname.c   rotated file names
 *   stats.c     the live line and the JSON statistics
 *   metrics.c   --metrics: the statistics for Prometheus
 */
#ifndef ANA_ANALYZER_H
#define ANA_ANALYZER_H

#include <sys/queue.h>

#include <stdint.h>
#include <stdio.h>

#include <event2/event.h>
#include <pcap/pcap.h>
#include <uthash.h>

#include "ctlmsg.h"
#include "heap.h"
#include "outname.h"
#include "seqwin.h"
#include "sockaddr.h"

#define PROG			"dicap-analyzer"
#define ANA_STATS_VERSION	1

#define ANA_T_UDP		0x1
#define ANA_T_TCP		0x2

#define ANA_FMT_PCAP		0	/* --format; the default */
#define ANA_FMT_PCAPNG		1

#define ANA_DEFAULT_REORDER_MS	200
#define ANA_DEFAULT_REORDER_MAX	1000000
#define ANA_DEFAULT_SNAPLEN	65535
#define ANA_MAX_SNAPLEN		262144	/* libpcap's MAXIMUM_SNAPLEN */
#define ANA_DEFAULT_LINKTYPE	1	/* DLT_EN10MB */
#define ANA_MAX_SENDERS		4096	/* beyond: counted in one "other" entry */
#define ANA_MAX_NODES		4096	/* beyond: batches of new node ids dropped */
#define ANA_DEFAULT_NODE_TIMEOUT 300	/* s: a silent node is forgotten */
#define ANA_FULL_NODE_TIMEOUT	10	/* s: the same while the table is full */
#define ANA_DEFAULT_CLOCK_SKEW	300	/* s: records stamped further off: refused */
#define ANA_DEFAULT_REORDER_BYTES (256ULL << 20)
#define ANA_MAX_TCP_CONNS	1024
#define ANA_DEFAULT_TCP_PER_SOURCE 32	/* connections from one address */
#define ANA_DEFAULT_TCP_IDLE	300	/* s: a connection silent that long is closed */
#define ANA_ACCEPT_PAUSE_MS	500	/* the listener rests after an accept() error */
#define ANA_ADDR_STRLEN		64
/* An output file's name: outname's base and room for a -C counter. */
#define ANA_FILENAME_LEN	(sizeof(((struct outname *)0)->base) + 32)

#define NS_PER_MS		1000000ULL
#define NS_PER_SEC		1000000000ULL

struct ana_conf {
	struct dicap_addr listen;
	const char *outfile;		/* "-": standard output */
	uint64_t rotate_bytes;		/* -C, 0: off */
	uint32_t rotate_secs;		/* -G, 0: off */
	int transports;			/* ANA_T_* */
	uint32_t reorder_ms;
	uint32_t reorder_max;		/* records buffered at most */
	uint64_t reorder_bytes;		/* bytes buffered at most */
	uint32_t node_timeout;		/* s */
	uint32_t clock_skew;		/* s, 0: off */
	uint32_t tcp_per_source;
	uint32_t tcp_idle;		/* s, 0: off */
	uint32_t snaplen;
	uint16_t linktype;
	int format;			/* ANA_FMT_* */
	const char *stats_file;
	const char *user;		/* --user; NULL: dicap_priv_drop()'s default */
	struct dicap_addr metrics;	/* --metrics; family 0: off */
	int json;
	int quiet;
	int debug;
};

/* Who sent it: transport, address and port, zero-padded (a hash key). */
struct sender_key {
	uint8_t transport;		/* ANA_T_* */
	uint8_t family;			/* 4 or 6, 0 for the overflow entry */
	uint16_t port;
	uint8_t addr[16];
};

struct sender {
	struct sender_key key;
	char name[ANA_ADDR_STRLEN];	/* "udp 192.0.2.1:4000" */
	uint64_t batches;		/* decoded, duplicates included */
	uint64_t malformed;
	char last_error[200];
	uint64_t first_seen_ns, last_seen_ns;
	UT_hash_handle hh;
};

struct node {
	uint32_t id;
	struct seqwin seq;
	uint64_t batches;		/* accepted: duplicates not included */
	uint64_t records;
	uint64_t bytes;			/* batch bytes */
	uint64_t wire_bytes;		/* sum of the records' wire lengths */
	uint64_t duplicates;
	uint64_t out_of_order;
	uint64_t gap_events;		/* jumps; the missing count is in seq */
	uint64_t restarts;
	uint64_t malformed;
	uint64_t linktype_mismatch;	/* records not written: other link type */
	uint64_t written;
	uint64_t late;			/* written after a later record */
	uint32_t first_seq, last_seq;
	uint64_t ts_refused;		/* records stamped beyond --max-clock-skew */
	uint64_t first_seen_ns, last_seen_ns;
	uint64_t last_mono;		/* last_seen_ns on the monotonic clock */
	unsigned int runs;		/* its runs in the reorder window (reorder.c) */
	char addr[ANA_ADDR_STRLEN];	/* last sender */
	uint64_t tick_records;		/* at the previous tick (live line) */
	uint64_t tick_missing;
	uint64_t tick_batches;
	struct run *run;		/* reorder.c: where its records go */
	uint64_t ng_file_no;		/* output.c: its pcapng interface is in file */
	uint32_t ng_if;			/* ... number ng_file_no (ctr.files), as this one */
	UT_hash_handle hh;
};

/* The per-node counters summed (stats.c), expired nodes' included. */
struct node_totals {
	uint64_t batches, records, bytes, wire_bytes, gaps, duplicates, out_of_order;
	uint64_t restarts, seq_resets, node_malformed, linktype_mismatch, ts_refused;
};

struct ana_counters {
	uint64_t batches;		/* decoded, duplicates included */
	uint64_t malformed;
	uint64_t datagrams;
	uint64_t socket_drops;		/* SO_MEMINFO: dropped by the kernel */
	uint64_t tcp_accepted;
	uint64_t tcp_refused;		/* over ANA_MAX_TCP_CONNS */
	uint64_t nodes_refused;		/* batches of node ids over ANA_MAX_NODES */
	uint64_t nodes_expired;		/* silent for --node-timeout: forgotten */
	uint64_t ts_future, ts_past;	/* records beyond --max-clock-skew */
	uint64_t tcp_source_refused;	/* over --tcp-per-source */
	uint64_t tcp_idle_closed;	/* silent for --tcp-idle-timeout */
	uint64_t tcp_accept_errors;	/* accept() failed: the listener paused */
	uint64_t tcp_open;
	uint64_t written;
	uint64_t written_bytes;		/* captured bytes written */
	uint64_t late;
	uint64_t forced;		/* written early: reorder_max reached */
	uint64_t forced_bytes;		/* of them: reorder_bytes reached */
	uint64_t buffered_max;
	uint64_t buffered_bytes_max;
	uint64_t files;
	uint64_t files_skipped;		/* names taken: not overwritten */
	uint64_t start_ns, start_mono_ns;
};

struct conn;			/* net.c: a TCP connection */
LIST_HEAD(conn_list, conn);
struct udp_rx;			/* net.c: recvmmsg() buffers */
struct source;			/* net.c: connections from one address */
struct run;			/* reorder.c: a node's records in time order */
struct chunk;			/* reorder.c: a run's storage */

/* Everything the analyzer holds, passed to every function that needs it. */
struct analyzer {
	struct ana_conf conf;
	struct ana_counters ctr;
	struct event_base *base;
	int exit_status;

	/* net.c */
	int udp_fd;
	struct event *ev_udp;
	struct udp_rx *rx;		/* allocated with the UDP socket */
	uint32_t last_ovfl;		/* the socket's drop count so far */
	int drops_unknown;		/* SO_MEMINFO failed */
	uint64_t now_ns;		/* wall time of the current read */
	uint64_t now_mono;		/* the same, monotonic */
	struct evconnlistener *listener;
	struct event *ev_listen;	/* re-enables the listener after a pause */
	struct conn_list conns;
	struct source *sources;		/* by address */
	unsigned int tcp_max;		/* ANA_MAX_TCP_CONNS, or what RLIMIT_NOFILE allows */
	uint64_t accept_logged_mono;	/* the last accept() error logged */
	uint64_t accept_unlogged;

	/* nodes.c */
	struct node *nodes;
	struct sender *senders;
	unsigned int sender_count;
	struct node_totals gone;	/* expired nodes' counters */
	uint64_t refused_logged_mono;	/* the last "table full" line */
	uint64_t refused_unlogged;

	/* reorder.c */
	struct heap heap;		/* of runs, by their first record */
	size_t buffered;		/* records in the runs */
	uint64_t buffered_bytes;	/* the runs' storage */
	struct chunk *spare;		/* written chunks kept for reuse */
	unsigned int spare_count;
	struct event *ev_idle;
	uint64_t newest_ts;		/* T */
	uint64_t newest_mono;		/* when T last grew */
	int newest_grew;
	uint64_t arrivals;		/* tie-break: arrival order */
	uint64_t last_written_ts;
	int any_written;

	/* output.c */
	pcap_t *pcap_dead;		/* the dumper's link type and snaplen */
	pcap_dumper_t *dumper;		/* pcap; NULL: closed, or failed */
	FILE *ng_file;			/* pcapng; NULL: closed, or failed */
	uint32_t ng_ifaces;		/* pcapng: interfaces in the current file */
	uint8_t *out_buf;		/* blocks or records not yet given to the FILE */
	size_t out_len;
	struct outname outnames;
	char out_name[ANA_FILENAME_LEN];	/* the current file, "-": stdout */
	uint64_t file_bytes;
	uint64_t file_records;
	uint64_t interval_start_ts;	/* -G: the current interval's first record */
	int interval_started;
	int first_file;			/* the file opened at start */

	/* metrics.c */
	struct metrics_server *metrics;

	/* stats.c */
	uint64_t tick_mono;		/* the previous tick, 0: none yet */
	int live;			/* print the live line; -1: not decided yet */
};

/* analyzer.c */
void	ana_stop(struct analyzer *, int status);

/* net.c */
int	net_open(struct analyzer *);
void	net_drain(struct analyzer *);
void	net_note_drops(struct analyzer *);
void	net_close(struct analyzer *);
void	net_raise_nofile(struct analyzer *);

/* nodes.c: the caller sets a->now_ns, and calls reorder_input_done() after */
struct sender *sender_get(struct analyzer *, const struct sender_key *);
void	sender_name(const struct sender_key *, char *buf, size_t len);
void	sender_malformed(struct analyzer *, struct sender *, const char *why);
void	ingest_batch(struct analyzer *, const uint8_t *buf, size_t len, struct sender *);
void	nodes_expire(struct analyzer *);
void	nodes_sum(const struct analyzer *, struct node_totals *);
void	nodes_free(struct analyzer *);

/* reorder.c */
void	reorder_init(struct analyzer *);
void	reorder_push(struct analyzer *, struct node *, uint64_t ts, uint32_t wirelen,
	    const uint8_t *data, uint32_t caplen);
void	reorder_input_done(struct analyzer *);
void	reorder_flush_all(struct analyzer *);
void	reorder_forget(struct analyzer *, struct node *);
size_t	reorder_len(const struct analyzer *);
void	reorder_free(struct analyzer *);

/* output.c */
int	output_open(struct analyzer *);
void	output_write(struct analyzer *, struct node *, uint64_t ts, uint32_t wirelen,
	    uint32_t caplen, const uint8_t *data);
int	output_flush(struct analyzer *);
int	output_close(struct analyzer *);
const char *output_name(const struct analyzer *);

/* metrics.c */
int	metrics_start(struct analyzer *);
void	metrics_stop(struct analyzer *);

/* stats.c */
void	stats_tick(struct analyzer *);
int	stats_write_file(const struct analyzer *, const char *path);
void	stats_print_json(const struct analyzer *, FILE *);

#endif /* ANA_ANALYZER_H */
