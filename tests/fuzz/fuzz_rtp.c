/*
 * H.264 frames from publishers (AVCC in FLV tags) cut into RTP payloads:
 * any bytes, each length size; every payload must fit the MTU, and so
 * must each viewer's copy of its packet with the playout-delay extension
 * and as an RTX retransmission.  Any bytes as a packet to rewrite, too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtcd.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
emit(const uint8_t *p, size_t len, int marker, int start, void *arg)
{
	static const struct rtp_out plain = {.pt = 102},
	                            both = {.pt = 103,
	                                .playout_id = 14,
	                                .playout_max = 5000,
	                                .rtx = 1,
	                                .rtx_seq = 65535,
	                                .rtx_ssrc = 1};
	uint8_t pkt[RTC_MTU], out[RTC_MTU];

	if (len == 0 || len + RTP_HEADER + RTP_EXTRA_MAX > RTC_MTU)
		abort();
	rtp_header(pkt, 96, marker, 1, 2, 3);
	memcpy(pkt + RTP_HEADER, p, len);
	if (rtp_rewrite(out, sizeof(out), pkt, RTP_HEADER + len, &plain) !=
	        RTP_HEADER + len ||
	    rtp_rewrite(out, sizeof(out), pkt, RTP_HEADER + len, &both) !=
	        RTP_HEADER + 8 + 2 + len ||
	    memcmp(out + RTP_HEADER + 10, p, len) != 0)
		abort();
	(*(size_t *)arg) += len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t sps[] = {0x67, 0x42, 0xc0, 0x1f};
	static const uint8_t pps[] = {0x68, 0xce};
	struct rtp_out o = {.pt = 97, .playout_id = 5, .rtx = 1};
	uint8_t out[RTC_MTU];
	struct rtp_h264 f;
	size_t total, n;
	int lensize;

	n = rtp_rewrite(out, sizeof(out), data, size, &o);
	if (n > sizeof(out) || (n != 0 && n != size + 10))
		abort();
	for (lensize = 1; lensize <= 4; lensize++) {
		if (rtp_h264_split(data, size, lensize, &f) == -1)
			continue;
		total = 0;
		rtp_h264_packetize(&f, sps, sizeof(sps), pps, sizeof(pps),
		    RTC_MTU - RTP_EXTRA_MAX, emit, &total);
	}
	return 0;
}
