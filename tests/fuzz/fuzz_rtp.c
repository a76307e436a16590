/*
 * H.264 frames from publishers (AVCC in FLV tags) cut into RTP payloads:
 * any bytes, each length size; every payload must fit the MTU.
 */
#include <stdint.h>
#include <stdlib.h>

#include "rtcd.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
emit(const uint8_t *p, size_t len, int marker, int start, void *arg)
{
	if (len == 0 || len + RTP_HEADER > RTC_MTU)
		abort();
	(*(size_t *)arg) += len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t sps[] = {0x67, 0x42, 0xc0, 0x1f};
	static const uint8_t pps[] = {0x68, 0xce};
	struct rtp_h264 f;
	size_t total;
	int lensize;

	for (lensize = 1; lensize <= 4; lensize++) {
		if (rtp_h264_split(data, size, lensize, &f) == -1)
			continue;
		total = 0;
		rtp_h264_packetize(&f, sps, sizeof(sps), pps, sizeof(pps),
		    RTC_MTU, emit, &total);
	}
	return 0;
}
