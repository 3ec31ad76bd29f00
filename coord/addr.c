/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Addresses: struct dicap_addr (the wire form) and the socket API's.
 * IPv4 peers of an IPv6 socket appear v4-mapped; they are IPv4 here.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>

#include "coord.h"



int
addr_is_any(const struct dicap_addr *a)
{
	static const uint8_t zero[16];

	return memcmp(a->addr, zero, a->family == 4 ? 4 : 16) == 0;
}


void
in6_to_addr(const struct in6_addr *in6, struct dicap_addr *a)
{
	if (IN6_IS_ADDR_V4MAPPED(in6)) {
		a->family = 4;
		memcpy(a->addr, &in6->s6_addr[12], 4);
	} else {
		a->family = 6;
		memcpy(a->addr, in6, 16);
	}
}

