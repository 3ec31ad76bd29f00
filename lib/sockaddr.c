/* SPDX-License-Identifier: BSD-2-Clause */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>

#include "sockaddr.h"

socklen_t
dicap_addr_to_sockaddr(const struct dicap_addr *a, int sock_family,
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

int
dicap_addr_from_sockaddr(const struct sockaddr *sa, struct dicap_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		a->family = 4;
		a->port = ntohs(sin->sin_port);
		memcpy(a->addr, &sin->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			a->family = 4;
			memcpy(a->addr, &sin6->sin6_addr.s6_addr[12], 4);
		} else {
			a->family = 6;
			memcpy(a->addr, &sin6->sin6_addr, 16);
		}
		a->port = ntohs(sin6->sin6_port);
		return 0;
	}
	return -1;
}

int
dicap_addr_same_host(const struct dicap_addr *a, const struct dicap_addr *b)
{
	size_t len = a->family == 4 ? 4 : 16;

	return a->family == b->family && memcmp(a->addr, b->addr, len) == 0;
}

int
dicap_addr_equal(const struct dicap_addr *a, const struct dicap_addr *b)
{
	return dicap_addr_same_host(a, b) && a->port == b->port;
}

const char *
dicap_addr_str(const struct dicap_addr *a)
{
	/* Several in one log line: a few buffers used in turn. */
	static char bufs[4][DICAP_ADDR_STRLEN];
	static unsigned int next;
	char *b = bufs[next++ % 4];

	if (dicap_addr_format(a, b, DICAP_ADDR_STRLEN) == NULL)
		snprintf(b, DICAP_ADDR_STRLEN, "(bad address)");
	return b;
}

/* The text form; declared in ctlmsg.h beside struct dicap_addr. */

static int
port_parse(const char *s, uint16_t *port)
{
	unsigned long v = 0;
	size_t i;

	if (s[0] == '\0' || strlen(s) > 5)
		return -1;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int
dicap_addr_parse(const char *s, struct dicap_addr *a)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *start = s;
	size_t hlen;
	int family = 4;

	memset(a, 0, sizeof(*a));
	if (!s)
		return -1;
	if (s[0] == '[') {
		colon = strstr(s, "]:");
		start = s + 1;
		family = 6;
		if (!colon)
			return -1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -1;
	}
	hlen = (size_t)(colon - start);
	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, start, hlen);
	host[hlen] = '\0';
	if (port_parse(colon + (family == 6 ? 2 : 1), &a->port) < 0 ||
	    inet_pton(family == 6 ? AF_INET6 : AF_INET, host, a->addr) != 1) {
		memset(a, 0, sizeof(*a));
		return -1;
	}
	a->family = (uint8_t)family;
	return 0;
}

const char *
dicap_addr_format(const struct dicap_addr *a, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	int n = -1;

	if (!buf || len == 0)
		return "";
	if (a->family == 4 && inet_ntop(AF_INET, a->addr, host, sizeof(host)))
		n = snprintf(buf, len, "%s:%u", host, a->port);
	else if (a->family == 6 && inet_ntop(AF_INET6, a->addr, host, sizeof(host)))
		n = snprintf(buf, len, "[%s]:%u", host, a->port);
	if (n < 0 || (size_t)n >= len)
		snprintf(buf, len, "(invalid)");
	return buf;
}
