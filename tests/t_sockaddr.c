/* SPDX-License-Identifier: BSD-2-Clause */
#include <arpa/inet.h>
#include <string.h>

#include "sockaddr.h"
#include "tap.h"

int
main(void)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct dicap_addr a, b;
	socklen_t len;

	plan(10);
	ok(dicap_addr_parse("198.18.0.1:7467", &a) == 0, "parse an IPv4 address");
	len = dicap_addr_to_sockaddr(&a, 0, &ss);
	ok(len == sizeof(struct sockaddr_in) && ss.ss_family == AF_INET, "IPv4 on its own family is a sockaddr_in");
	ok(dicap_addr_from_sockaddr((struct sockaddr *)&ss, &b) == 0 && memcmp(&a, &b, sizeof(a)) == 0,
	    "and converts back unchanged");
	len = dicap_addr_to_sockaddr(&a, AF_INET6, &ss);
	ok(len == sizeof(struct sockaddr_in6) && IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) &&
	    ntohs(sin6->sin6_port) == 7467, "IPv4 on an AF_INET6 socket is v4-mapped");
	ok(dicap_addr_from_sockaddr((struct sockaddr *)&ss, &b) == 0 && b.family == 4 &&
	    memcmp(&a, &b, sizeof(a)) == 0, "a v4-mapped sender is the IPv4 address it maps");
	ok(dicap_addr_parse("[2001:db8::1]:9", &a) == 0, "parse an IPv6 address");
	len = dicap_addr_to_sockaddr(&a, AF_INET, &ss);
	ok(len == sizeof(struct sockaddr_in6) && ss.ss_family == AF_INET6,
	    "an IPv6 address stays IPv6 whatever the socket");
	ok(dicap_addr_from_sockaddr((struct sockaddr *)&ss, &b) == 0 && memcmp(&a, &b, sizeof(a)) == 0,
	    "and converts back unchanged");
	ss.ss_family = AF_UNIX;
	ok(dicap_addr_from_sockaddr((struct sockaddr *)&ss, &b) == -1, "other families are refused");
	is(b.family, 0, "and leave no family behind");
	return done_testing();
}
