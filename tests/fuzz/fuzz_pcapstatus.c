/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The dicap:IFACE module's reader of dicapd's "status" answer
 * (pcap-dicap/pcap-dicap-status.h, the code libpcap's module compiles).
 * Besides memory safety: its JSON validator must agree with dicapctl's
 * strict reader (node/dicapctl/json.c) on what a JSON document is, up to
 * its lower nesting limit, and the strings it takes out must be the ones
 * that reader decodes, NUL-terminated within their fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pcap-dicap/pcap-dicap-status.h"
#include "node/dicapctl/json.h"

#define CHECK(cond)	do { if (!(cond)) abort(); } while (0)

/* Containers nested in @v, @v included. */
static int
nesting(const struct jv *v)
{
	const struct jv *c;
	int n, max = 0;

	if (v->type != JV_ARRAY && v->type != JV_OBJECT)
		return 0;
	for (c = v->child; c != NULL; c = c->next)
		if ((n = nesting(c)) > max)
			max = n;
	return max + 1;
}

static int
terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

/* A field status_parse() took must be what json.c decodes for it. */
static void
same_str(const char *got, const struct jv *obj, const char *key)
{
	const char *want = jv_str(obj, key, NULL);

	CHECK(want != NULL && strcmp(got, want) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dicapd_status st;
	const char *buf, *end;
	char err[128], *copy;
	struct jv *doc;
	int valid, rc;

	copy = malloc(size ? size : 1);
	CHECK(copy != NULL);
	memcpy(copy, data, size);
	buf = copy;

	end = json_value_end(buf, buf + size, 0);
	valid = end != NULL && json_ws(end, buf + size) == buf + size;
	doc = jv_parse(buf, size, err, sizeof(err));
	if (valid)
		CHECK(doc != NULL);
	else if (doc != NULL)
		CHECK(nesting(doc) > JSON_MAX_DEPTH);

	err[0] = '\0';
	rc = status_parse(buf, size, &st, err, sizeof(err));
	CHECK(rc == 0 || rc == -1);
	if (rc == -1) {
		CHECK(err[0] != '\0');
	} else {
		CHECK(valid && doc != NULL && doc->type == JV_OBJECT);
		CHECK(terminated(st.iface, sizeof(st.iface)) &&
		    terminated(st.state, sizeof(st.state)) &&
		    terminated(st.coordinator, sizeof(st.coordinator)) &&
		    terminated(st.mode, sizeof(st.mode)) &&
		    terminated(st.datapath, sizeof(st.datapath)));
		CHECK(st.share == st.share);
		/* Escaped member names may match differently: json.c decodes them. */
		if (memchr(data, '\\', size) == NULL) {
			same_str(st.iface, doc, "iface");
			same_str(st.state, doc, "state");
			same_str(st.datapath, jv_get(doc, "datapath"), "name");
		}
	}
	jv_free(doc);
	free(copy);
	return 0;
}
