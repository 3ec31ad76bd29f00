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
addr_equal(const struct dicap_addr *a, const struct dicap_addr *b)
{
	return addr_same_host(a, b) && a->port == b->port;
}

int
addr_same_host(const struct dicap_addr *a, const struct dicap_addr *b)
{
	size_t len = a->family == 4 ? 4 : 16;

	return a->family == b->family && memcmp(a->addr, b->addr, len) == 0;
}

int
addr_is_any(const struct dicap_addr *a)
{
	static const uint8_t zero[16];

	return memcmp(a->addr, zero, a->family == 4 ? 4 : 16) == 0;
}

const char *
addr_str(const struct dicap_addr *a)
{
	static char bufs[4][DICAP_ADDR_STRLEN];
	static unsigned int next;
	char *b = bufs[next++ % 4];

	if (dicap_addr_format(a, b, DICAP_ADDR_STRLEN) == NULL)
		snprintf(b, DICAP_ADDR_STRLEN, "(bad address)");
	return b;
}

/* An IPv4 address on an IPv6 socket goes out v4-mapped. */
socklen_t
addr_to_sockaddr_on(const struct dicap_addr *a, int sock_family,
    struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (a->family == 4 && sock_family != AF_INET6) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(a->port);
		memcpy(&sin->sin_addr, a->addr, 4);
		return sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(a->port);
	if (a->family == 4) {
		sin6->sin6_addr.s6_addr[10] = 0xff;
		sin6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&sin6->sin6_addr.s6_addr[12], a->addr, 4);
	} else {
		memcpy(&sin6->sin6_addr, a->addr, 16);
	}
	return sizeof(*sin6);
}

socklen_t
addr_to_sockaddr(const struct dicap_addr *a, struct sockaddr_storage *ss)
{
	return addr_to_sockaddr_on(a, a->family == 4 ? AF_INET : AF_INET6, ss);
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

int
sockaddr_to_addr(const struct sockaddr_storage *ss, struct dicap_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		a->family = 4;
		a->port = ntohs(sin->sin_port);
		memcpy(a->addr, &sin->sin_addr, 4);
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		in6_to_addr(&sin6->sin6_addr, a);
		a->port = ntohs(sin6->sin6_port);
		return 0;
	}
	return -1;
}
