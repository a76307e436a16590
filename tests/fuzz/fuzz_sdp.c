/*
 * SDP offers: any bytes parsed; what parses is negotiated for streams of
 * several H.264 profiles and answered, and the answer must fit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtcd.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sdp_offer o;
	static const uint32_t plids[] = {0x42c01f, 0x4d0029, 0x640028};
	static char out[16384];
	struct sdp_answer a;
	char why[512];
	size_t i;
	int vpt, apt;

	if (size > WHEP_BODY_MAX)
		return 0;
	if (sdp_parse_offer((const char *)data, size, &o, why, sizeof(why)) ==
	    -1) {
		if (why[0] == '\0')
			abort(); /* a refusal always says why */
		return 0;
	}
	memset(&a, 0, sizeof(a));
	a.ufrag = "abcdefgh";
	a.pwd = "0123456789abcdef0123456789abcdef";
	a.fingerprint = "AA:BB";
	a.cname = "nyon";
	a.ncandidates = 1;
	strlcpy(a.candidates[0], "127.0.0.1 8189", 64);
	for (i = 0; i < nitems(plids); i++) {
		if (sdp_negotiate(&o, VIDEO_H264, plids[i], (int)i & 1, &vpt,
		        &apt, why, sizeof(why)) != 0)
			continue;
		if (sdp_write_answer(out, sizeof(out), &o, &a) < 0)
			abort(); /* 8 m-lines always fit */
	}
	return 0;
}
