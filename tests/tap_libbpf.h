/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * For the tests that load BPF programs: libbpf's messages, the verifier
 * log among them, as TAP diagnostics, so a rejected program explains itself
 * in the prove output.  Install with libbpf_set_print(tap_libbpf_print).
 */
#ifndef DICAP_TAP_LIBBPF_H
#define DICAP_TAP_LIBBPF_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

static int
tap_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[1024], *s, *nl;

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	for (s = line; *s != '\0'; s = nl + 1) {
		nl = strchr(s, '\n');
		if (nl != NULL)
			*nl = '\0';
		if (*s != '\0')
			printf("# libbpf: %s\n", s);
		if (nl == NULL)
			break;
	}
	fflush(stdout);
	return 0;
}

#endif /* DICAP_TAP_LIBBPF_H */
