/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The dicap:IFACE module's reader of dicapd's status answer
 * (pcap-dicap/pcap-dicap-status.h): what it accepts and what it takes out.
 * The refusals below were found by tests/fuzz/fuzz_pcapstatus.c, which
 * compares this reader with dicapctl's strict one.
 */
#include <string.h>

#include "pcap-dicap/pcap-dicap-status.h"
#include "tap.h"

#define DOC(epoch, iface) \
	"{\"iface\":\"" iface "\",\"state\":\"joined\",\"epoch\":" epoch "," \
	"\"position\":1,\"members\":3,\"share\":0.3333,\"coordinators\":[\"192.0.2.1:7467\"]," \
	"\"datapath\":{\"name\":\"xdp\",\"distribute\":true,\"prog_id\":42}}\n"

static int
parse(const char *doc, struct dicapd_status *st, char *err, size_t errlen)
{
	err[0] = '\0';
	return status_parse(doc, strlen(doc), st, err, errlen);
}

int
main(void)
{
	struct dicapd_status st;
	char err[128];

	plan(8);
	ok(parse(DOC("7", "eth0"), &st, err, sizeof(err)) == 0 && st.have_topology &&
	    st.epoch == 7 && st.member && st.position == 1 && st.members == 3 &&
	    st.distribute && st.prog_id == 42 && !strcmp(st.iface, "eth0") &&
	    !strcmp(st.datapath, "xdp") && !strcmp(st.coordinator, "192.0.2.1:7467"),
	    "a status answer gives every field");
	ok(parse(DOC("null", "eth0"), &st, err, sizeof(err)) == 0 && !st.have_topology,
	    "epoch null: no topology");
	ok(parse(DOC("07", "eth0"), &st, err, sizeof(err)) == -1 && err[0] != '\0',
	    "a number with a leading zero is no JSON: %s", err);
	ok(parse(DOC("7", "e\\\\q"), &st, err, sizeof(err)) == 0 && !strcmp(st.iface, "e\\q"),
	    "an escaped backslash is taken out as one");
	ok(parse(DOC("7", "e\\q"), &st, err, sizeof(err)) == -1,
	    "an unknown escape is no JSON");
	ok(parse(DOC("7", "e\\ud800x"), &st, err, sizeof(err)) == -1,
	    "a lone high surrogate is no JSON");
	ok(parse(DOC("7", "e\\udc00"), &st, err, sizeof(err)) == -1,
	    "a lone low surrogate is no JSON");
	ok(parse(DOC("7", "e\\u12g4"), &st, err, sizeof(err)) == -1,
	    "a \\u escape with a non-hex digit is no JSON");
	return done_testing();
}
