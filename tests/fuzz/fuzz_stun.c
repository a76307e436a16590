/* STUN: any datagram parsed, checked, and answered as rtcd would. */
#include <sys/socket.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtcd.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = 1};
	uint8_t out[512];
	struct stun_msg m;
	const char *why;
	size_t n;

	if (stun_parse(data, size, &m, &why) == -1)
		return 0;
	if (m.username != NULL && m.username_len == 0)
		abort();
	stun_check_integrity(data, size, &m, "0123456789012345678901", 22);
	stun_check_fingerprint(data, size, &m);
	n = stun_binding_response(out, sizeof(out), m.txid,
	    (struct sockaddr *)&peer, "0123456789012345678901", NULL);
	/* what we answer parses and checks */
	if (n == 0 || stun_parse(out, n, &m, &why) == -1 ||
	    stun_check_integrity(out, n, &m, "0123456789012345678901", 22) ==
	        -1 ||
	    stun_check_fingerprint(out, n, &m) == -1)
		abort();
	return 0;
}
