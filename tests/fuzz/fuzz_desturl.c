/*
 * Destination URLs, as an operator (or anyone with an API token) sends
 * them: parsing must not overrun, and the masked form must never hold
 * the secrets the parse found.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nyon.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char url[DESTURL_SZ + 8], masked[DESTURL_SZ], why[160];
	struct desturl u;
	const char *p;
	size_t n = size < sizeof(url) - 1 ? size : sizeof(url) - 1;

	memcpy(url, data, n);
	url[n] = '\0';
	if (desturl_parse(url, &u, why, sizeof(why)) == -1) {
		if (strlen(why) == 0)
			abort();
		return 0;
	}
	desturl_mask(url, masked, sizeof(masked));
	if (u.proto != DESTURL_SRT) {
		/* the application stays, the key goes */
		if (strncmp(masked, u.tcurl, strlen(u.tcurl)) != 0 ||
		    strcmp(masked + strlen(u.tcurl), "/****") != 0)
			abort();
		return 0;
	}
	for (p = masked; (p = strchr(p, '=')) != NULL; p++)
		if (((p - masked >= 8 && strncmp(p - 8, "streamid", 8) == 0) ||
		        (p - masked >= 10 &&
		            strncmp(p - 10, "passphrase", 10) == 0)) &&
		    (strncmp(p + 1, "****", 4) != 0 ||
		        (p[5] != '\0' && p[5] != '&')))
			abort();
	return 0;
}
