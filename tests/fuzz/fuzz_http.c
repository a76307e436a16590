/*
 * flvd's request parsing: arbitrary bytes as a request head, fed whole and
 * in two pieces as a slow client would send them; and the query lookup.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "flvd.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request req;
	const char *why = NULL;
	char val[64];
	size_t used = 0, cut;
	int r;

	if (size > HTTP_HEAD_MAX * 2)
		return 0;
	r = http_parse((const char *)data, size, &req, &used, &why);
	if (r == 1) {
		if (used == 0 || used > size || req.path[0] == '\0')
			__builtin_trap();
		http_query_get(req.query, "start", val, sizeof(val));
	} else if (r == -1 && why == NULL)
		__builtin_trap();
	/* a prefix is never complete when the whole is incomplete */
	cut = size / 2;
	if (r == 0 &&
	    http_parse((const char *)data, cut, &req, &used, &why) == 1)
		__builtin_trap();
	return 0;
}
