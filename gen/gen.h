/* SPDX-License-Identifier: BSD-2-Clause */
/* dicap-gen: pieces shared by the generator's files. */
#ifndef DICAP_GEN_H
#define DICAP_GEN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define GEN_FRAME_MAX	9216		/* largest frame, Ethernet header included */
#define GEN_SLOT	9728		/* buffer per frame: GEN_FRAME_MAX and slack */
#define GEN_BATCH_MAX	1024		/* UIO_MAXIOV */
#define GEN_LIVE_BATCH	65536		/* xdp-live: copies per BPF_PROG_RUN */
#define GEN_LIVE_BATCH_MAX (1 << 24)
#define GEN_LIVE_FRAME_MAX 3072		/* a page less XDP headroom and skb tailroom */

enum gen_exit {
	GEN_EXIT_OK = 0,
	GEN_EXIT_FAIL = 1,		/* could not start, or a fatal error */
	GEN_EXIT_USAGE = 2,		/* bad command line */
	GEN_EXIT_LOST = 3,		/* ran, but some frames could not be sent */
};

extern volatile sig_atomic_t gen_stop;

/* ---- synthetic traffic (synth.c) ---- */

enum gen_ipid {
	GEN_IPID_RANDOM = 0,
	GEN_IPID_SEQ,
	GEN_IPID_ZERO,
	GEN_IPID_MOSTLY_ZERO,
};

enum gen_kind {
	K_IPV4_TCP = 0,
	K_IPV4_UDP,
	K_IPV4_SCTP,
	K_IPV4_ICMP,
	K_IPV6_TCP,
	K_IPV6_UDP,
	K_IPV6_SCTP,
	K_IPV6_ICMP,
	K_VLAN,
	K_QINQ,
	K_IPV4_FRAG,
	K_IPV6_FRAG,
	K_IPV4_OPT,
	K_IPV6_EXT,
	K_MALFORMED,
	K_ARP,
	K_MAX,
};

struct gen_kind_info {
	const char *name;
	const char *help;
};

extern const struct gen_kind_info gen_kinds[K_MAX];

struct synth_cfg {
	double weight[K_MAX];		/* share of frames of each kind */
	unsigned size_min, size_max;	/* frame length, uniform in [min, max] */
	uint32_t flows;
	int ipid;			/* enum gen_ipid */
	uint32_t seq_start;
	uint64_t seed;
};

struct synth_train {
	int left;			/* fragments still to send */
	int kind;
	uint16_t next_off;		/* 8-byte units */
	uint64_t unit;
	uint32_t ip_id;
	uint16_t csum;
};

struct synth {
	struct synth_cfg cfg;
	double cum[K_MAX];		/* cumulative pick probabilities */
	uint64_t rng;
	uint32_t seq;
	uint64_t unit;			/* picks so far: flow and direction */
	struct synth_train train;
	int last_kind;
	uint64_t frames[K_MAX];		/* frames built per kind */
};

/* Parses "kind=w,kind,...", "all" or a single kind into @w.  0 or -1 (@err). */
int	synth_parse_mix(const char *spec, double *w, char *err, size_t errlen);
int	synth_parse_ipid(const char *name);
const char *synth_ipid_name(int ipid);
void	synth_init(struct synth *s, const struct synth_cfg *cfg);
/* Builds the next frame into @buf (GEN_SLOT bytes); returns its length. */
size_t	synth_next(struct synth *s, uint8_t *buf);
/* Counts @n more frames like the last one (xdp-live sends copies of it). */
void	synth_skip(struct synth *s, unsigned n);
/* Smallest frame of @kind (marker and sequence number included). */
unsigned synth_kind_min(int kind);

/* ---- pcap replay (replay.c) ---- */

struct replay;

struct replay *replay_open(const char *path, unsigned loops, char *err, size_t errlen);
/* Next frame into @buf (GEN_SLOT bytes); 0 at the end, -1 on error (@err). */
int	replay_next(struct replay *r, uint8_t *buf, size_t *len, char *err,
	    size_t errlen);
void	replay_close(struct replay *r);
/* Frames skipped because they were longer than GEN_FRAME_MAX; short ones padded. */
uint64_t replay_skipped(const struct replay *r);
uint64_t replay_padded(const struct replay *r);
uint64_t replay_truncated(const struct replay *r);

/* ---- --decode (decode.c) ---- */

/* Lists the frames of a capture with their sequence numbers; an exit code. */
int	gen_decode(const char *path);

/* ---- senders (tx.c) ---- */

enum gen_engine {
	GEN_ENGINE_AF_PACKET = 0,	/* sendmmsg() on an AF_PACKET socket */
	GEN_ENGINE_TX_RING,		/* PACKET_TX_RING */
	GEN_ENGINE_XDP_LIVE,		/* BPF_PROG_RUN with live frames */
};

struct gen_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t errors;		/* frames given up on */
	uint64_t retries;		/* ENOBUFS/EAGAIN retries */
	int last_errno;			/* of the last frame given up on */
};

struct tx;
struct xdplive_tmpl;

struct tx *tx_open(const char *ifname, int engine, int bypass, unsigned batch,
	    char *err, size_t errlen);
/* Interface MTU, for the frame size check. */
unsigned tx_mtu(const struct tx *t);
int	tx_has_carrier(const struct tx *t);
/*
 * Sends @n frames; sets ok[i] for each frame that went out.  Returns 0,
 * or -1 on a fatal error (@err), e.g. the interface went away.
 */
int	tx_send(struct tx *t, const struct iovec *frames, unsigned n, uint8_t *ok,
	    struct gen_stats *st, char *err, size_t errlen);
/* xdp-live: @n copies of @frame numbered from tm->seq on (see xdplive.h). */
int	tx_send_copies(struct tx *t, const struct iovec *frame,
	    const struct xdplive_tmpl *tm, unsigned n, struct gen_stats *st, char *err,
	    size_t errlen);
void	tx_close(struct tx *t);
int	gen_engine_parse(const char *name);
const char *gen_engine_name(int engine);

/* ---- pacing and clocks (pace.c) ---- */

struct pace {
	double rate;			/* frames per second; 0: no limit */
	double tokens;
	double burst;
	uint64_t last_ns;
};

uint64_t gen_mono_ns(void);
uint64_t gen_real_ns(void);
void	pace_init(struct pace *p, double rate, unsigned batch);
/* Waits until at least one frame may go; returns how many (<= @want), 0 if stopped. */
unsigned pace_take(struct pace *p, unsigned want);
/* Waits until @n frames may go at once; returns @n, or 0 if stopped. */
unsigned pace_take_all(struct pace *p, unsigned n);

/* Random numbers: splitmix64. */
uint64_t gen_rand(uint64_t *state);
uint64_t gen_hash64(uint64_t x);

#endif /* DICAP_GEN_H */
