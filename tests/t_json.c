/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dicapctl's JSON reader (node/dicapctl/json.c, compiled in here: it is
 * part of dicapctl, not of the library).
 */
#include <string.h>

#include "node/dicapctl/json.h"
#include "tap.h"

int
main(void)
{
	char err[128];
	struct jv *v;
	const char *doc = "{\"a\":[1,\"x\\u00e9\",null],\"b\":true}";

	plan(4);
	v = jv_parse(doc, strlen(doc), err, sizeof(err));
	ok(v != NULL && jv_get(v, "a") != NULL && jv_get(v, "a")->child->num == 1 &&
	    !strcmp(jv_get(v, "a")->child->next->text, "x\xc3\xa9") && !jv_is_null(v, "b"),
	    "a document parses into its values");
	jv_free(v);
	/* It used to count the bytes left after the error, not the offset. */
	ok(jv_parse("{\"a\":1,}", 8, err, sizeof(err)) == NULL &&
	    strstr(err, "at byte 7") != NULL, "an error names its offset: %s", err);
	ok(jv_parse("[1] x", 5, err, sizeof(err)) == NULL && strstr(err, "at byte 4") != NULL,
	    "trailing data names its offset: %s", err);
	ok(jv_parse("01", 2, err, sizeof(err)) == NULL, "a leading zero is no JSON number");
	return done_testing();
}
