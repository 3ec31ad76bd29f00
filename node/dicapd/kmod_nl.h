/* SPDX-License-Identifier: BSD-2-Clause */
/* A libmnl client of dicap.ko's generic netlink family (kmod_nl.c). */
#ifndef DICAPD_KMOD_NL_H
#define DICAPD_KMOD_NL_H

#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

#include "dicap/genl.h"

struct kmod_nl {
	struct mnl_socket *sock;
	unsigned int portid;
	unsigned int seq;
	uint16_t family;
	char extack[256];		/* the kernel's message for the last request */
	char errbuf[512];		/* kmod_nl_strerror()'s text */
	/* A TABLE request carries 2 x DICAP_K_TABLE_CHUNK_MAX bytes of owners. */
	_Alignas(8) uint8_t tx[2 * DICAP_K_TABLE_CHUNK_MAX + 256];
	_Alignas(8) uint8_t rx[32768];
};

/* What DICAP_CMD_GET answers. */
struct kmod_get {
	uint64_t state;			/* DICAP_DP_ST_* */
	uint32_t ifindex;		/* 0: not attached */
	int have_active, have_pending;
	uint32_t active_epoch, pending_epoch;
	uint8_t active_mode;		/* enum dicap_mode, with have_active */
	uint32_t active_sel_flags;	/* DICAP_SEL_*, with have_active */
	uint64_t ctr[DICAP_K_CTR_MAX];
};

/* Open the socket and look the family up; -1 with @err set. */
int	kmod_nl_open(struct kmod_nl *, char *err, size_t errlen);
void	kmod_nl_close(struct kmod_nl *);

/* A new request of command @cmd in the transmit buffer, to add attributes to. */
struct nlmsghdr *kmod_nl_request(struct kmod_nl *, uint8_t cmd);

/* Send @nlh, run @cb on the replies until the ACK; 0 or -errno. */
int	kmod_nl_transact(struct kmod_nl *, struct nlmsghdr *nlh, mnl_cb_t cb, void *out);

/* A request without a reply but the ACK; 0 or -errno. */
int	kmod_nl_simple(struct kmod_nl *, struct nlmsghdr *nlh);

/* A command without attributes, e.g. DICAP_CMD_DETACH; 0 or -errno. */
int	kmod_nl_command(struct kmod_nl *, uint8_t cmd);

/* DICAP_CMD_GET; 0 or -errno. */
int	kmod_nl_get(struct kmod_nl *, struct kmod_get *);

/*
 * "@what: reason: the module's message", for logs and open()'s error;
 * valid until the next call.
 */
const char *kmod_nl_strerror(struct kmod_nl *, int rc, const char *what);

#endif /* DICAPD_KMOD_NL_H */
