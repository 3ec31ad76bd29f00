/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Address fuzzer: "ADDR:PORT" and "[V6ADDR]:PORT" strings (options, the
 * daemons' configuration) and struct sockaddr from the kernel.  A string
 * that parses must format to a string that parses to the same address, and
 * an address must survive the trip through a struct sockaddr of either
 * family (a v4-mapped IPv6 address comes back as the IPv4 one it is).
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctlmsg.h"
#include "sockaddr.h"

#define CHECK(cond)	do { if (!(cond)) abort(); } while (0)

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static void
check_sockaddr(const struct dicap_addr *a)
{
	static const int families[] = { 0, AF_INET, AF_INET6 };
	struct sockaddr_storage ss;
	struct dicap_addr b, want = *a;
	socklen_t len;
	size_t i;

	if (a->family == 6 && !memcmp(a->addr, v4mapped, sizeof(v4mapped))) {
		memset(&want, 0, sizeof(want));
		want.family = 4;
		want.port = a->port;
		memcpy(want.addr, a->addr + 12, 4);
	}
	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		len = dicap_addr_to_sockaddr(a, families[i], &ss);
		CHECK(len == (ss.ss_family == AF_INET ? sizeof(struct sockaddr_in) :
		    sizeof(struct sockaddr_in6)));
		CHECK(dicap_addr_from_sockaddr((struct sockaddr *)&ss, &b) == 0);
		CHECK(!memcmp(&b, &want, sizeof(b)));
	}
}

/* Raw bytes as a struct sockaddr: only the two families are taken. */
static void
fuzz_raw_sockaddr(const uint8_t *data, size_t size)
{
	struct sockaddr_storage ss;
	struct dicap_addr a;

	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, data, size < sizeof(ss) ? size : sizeof(ss));
	if (dicap_addr_from_sockaddr((struct sockaddr *)&ss, &a) != 0) {
		CHECK(ss.ss_family != AF_INET && ss.ss_family != AF_INET6);
		return;
	}
	CHECK(a.family == 4 || a.family == 6);
	if (a.port != 0)
		check_sockaddr(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[DICAP_ADDR_STRLEN], *s;
	struct dicap_addr a, b;

	fuzz_raw_sockaddr(data, size);
	/* As a C string: exactly the bytes up to the first NUL, on the heap. */
	s = malloc(size + 1);
	CHECK(s != NULL);
	memcpy(s, data, size);
	s[size] = '\0';
	if (dicap_addr_parse(s, &a) == 0) {
		CHECK(a.port != 0 && (a.family == 4 || a.family == 6));
		CHECK(s[0] == '[' ? a.family == 6 : a.family == 4);
		CHECK(dicap_addr_format(&a, out, sizeof(out)) == out);
		CHECK(strlen(out) < sizeof(out) && strcmp(out, "(invalid)") != 0);
		CHECK(dicap_addr_parse(out, &b) == 0 && !memcmp(&a, &b, sizeof(a)));
		check_sockaddr(&a);
	} else {
		CHECK(a.family == 0 && a.port == 0);
	}
	free(s);
	return 0;
}
