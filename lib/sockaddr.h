/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * struct dicap_addr <-> struct sockaddr, shared by every daemon.  IPv4
 * peers of an IPv6 socket are v4-mapped there and reported as the IPv4
 * address they are, so one peer has one identity whichever socket it used.
 */
#ifndef DICAP_SOCKADDR_H
#define DICAP_SOCKADDR_H

#include <sys/socket.h>

#include "ctlmsg.h"

/*
 * Fill @ss for @a as seen from a socket of @sock_family (AF_INET,
 * AF_INET6, or 0 for @a's own family): an IPv4 address on an AF_INET6
 * socket becomes v4-mapped.  Returns the length to pass to the socket call.
 */
socklen_t dicap_addr_to_sockaddr(const struct dicap_addr *a, int sock_family,
				 struct sockaddr_storage *ss);

/* Fill @a from @sa (AF_INET or AF_INET6, v4-mapped -> IPv4); 0 or -1. */
int dicap_addr_from_sockaddr(const struct sockaddr *sa, struct dicap_addr *a);

#endif /* DICAP_SOCKADDR_H */
