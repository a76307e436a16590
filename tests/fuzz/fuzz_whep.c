/*
 * WHEP requests: the request target (/whep/NAME[/ID], percent-encoded)
 * as evhttp hands it over; a name that comes out passes the name rule.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtcd.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char uri[2048], name[STREAM_NAME_SZ], id[33], why[128];
	int kind;

	if (size >= sizeof(uri))
		return 0;
	memcpy(uri, data, size);
	uri[size] = '\0';
	kind = whep_path(uri, name, id);
	if (kind > 0 && stream_name_check(name, why, sizeof(why)) == -1)
		abort();
	if (kind == 2 && (strlen(id) == 0 || strlen(id) > 32))
		abort();
	return 0;
}
