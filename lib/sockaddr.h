/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * struct dicap_addr <-> struct sockaddr, shared by every daemon.  IPv4
 * peers of an IPv6 socket are v4-mapped there and reported as the IPv4
 * address they are, so one peer has one identity whichever socket it used.
 */
#ifndef LIB_SOCKADDR_H
#define LIB_SOCKADDR_H

#include <sys/socket.h>

#include "ctlmsg.h"

/*
 * Fill @ss for @a as seen from a socket of @sock_family (AF_INET,
 * AF_INET6, or 0 for @a's own family): an IPv4 address on an AF_INET6
 * socket becomes v4-mapped.  Returns the length to pass to the socket call.
 */
socklen_t	dicap_addr_to_sockaddr(const struct dicap_addr *a, int sock_family,
	    struct sockaddr_storage *ss);

/* Fill @a from @sa (AF_INET or AF_INET6, v4-mapped -> IPv4); 0 or -1. */
int	dicap_addr_from_sockaddr(const struct sockaddr *sa, struct dicap_addr *a);

/* Same family and address (the port may differ). */
int	dicap_addr_same_host(const struct dicap_addr *a, const struct dicap_addr *b);

/* Same family, address and port. */
int	dicap_addr_equal(const struct dicap_addr *a, const struct dicap_addr *b);

/*
 * "ADDR:PORT" or "[V6ADDR]:PORT", "(bad address)" if @a is not valid, for
 * messages: the result stays valid until the fourth call after this one.
 * Not thread-safe (the daemons are single-threaded).
 */
const char	*dicap_addr_str(const struct dicap_addr *a);

#endif /* LIB_SOCKADDR_H */
