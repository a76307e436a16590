/*
 * libFuzzer target for SRT stream id parsing, which runs on libsrt's thread
 * during every handshake.  The input becomes a NUL-terminated stream id, as
 * libsrt hands it over; an accepted key must be one we could publish with.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingestd.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char key[SRT_KEY_MAX + 1], *sid;
	const char *why;
	size_t len;

	if ((sid = malloc(size + 1)) == NULL)
		return 0;
	memcpy(sid, data, size);
	sid[size] = '\0';
	if (srt_streamid_parse(sid, "live", key, &why) == SRT_STREAMID_OK) {
		len = strlen(key);
		if (len == 0 || len > SRT_KEY_MAX || strchr(key, '/') != NULL ||
		    why != NULL)
			abort();
	} else if (why == NULL || key[0] != '\0')
		abort();
	free(sid);
	return 0;
}
