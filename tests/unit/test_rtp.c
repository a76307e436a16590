/*
 * H.264 over RTP (RFC 6184): a frame cut into STAP-A, single NAL units
 * and FU-A comes back whole when put together as a receiver would; every
 * packet fits the MTU; the marker is on the last.  A viewer's copy of a
 * packet: the playout-delay extension in RFC 8285's one-byte form, an RTX
 * packet (RFC 4588) with the original sequence number first.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "flv.h"
#include "rtcd.h"

struct got {
	uint8_t nals[16][8192];
	size_t len[16];
	int n;
	int packets, markers, last_marker, starts;
	size_t fu; /* bytes of the FU-A being put together */
	int stap_first;
};

static void
collect(const uint8_t *p, size_t len, int marker, int start, void *arg)
{
	struct got *g = arg;
	size_t off, n;

	assert_true(len + RTP_HEADER <= RTC_MTU);
	if (g->packets == 0)
		g->stap_first = (p[0] & 0x1f) == 24;
	g->packets++;
	g->markers += marker;
	g->last_marker = marker;
	g->starts += start;
	switch (p[0] & 0x1f) {
	case 24: /* STAP-A */
		for (off = 1; off + 2 <= len; off += 2 + n) {
			n = be16_read(p + off);
			assert_true(off + 2 + n <= len);
			memcpy(g->nals[g->n], p + off + 2, n);
			g->len[g->n++] = n;
		}
		break;
	case 28: /* FU-A */
		if (p[1] & 0x80) {
			g->nals[g->n][0] = (p[0] & 0xe0) | (p[1] & 0x1f);
			g->fu = 1;
		}
		memcpy(g->nals[g->n] + g->fu, p + 2, len - 2);
		g->fu += len - 2;
		if (p[1] & 0x40) {
			g->len[g->n++] = g->fu;
			g->fu = 0;
		}
		break;
	default:
		memcpy(g->nals[g->n], p, len);
		g->len[g->n++] = len;
	}
}

static size_t
avcc_put(uint8_t *out, const uint8_t *nal, size_t len)
{
	be32_write(out, (uint32_t)len);
	memcpy(out + 4, nal, len);
	return 4 + len;
}

static void
test_keyframe(void **state)
{
	static uint8_t frame[16384], idr[3000];
	static const uint8_t sps[] = {0x67, 0x42, 0xc0, 0x1f, 0xda, 0x01};
	static const uint8_t pps[] = {0x68, 0xce, 0x3c, 0x80};
	static const uint8_t aud[] = {0x09, 0xf0};
	static const uint8_t sei[] = {0x06, 0x05, 0x01, 0x02, 0x80};
	static struct got g;
	struct rtp_h264 f;
	size_t n = 0, i;

	idr[0] = 0x65;
	for (i = 1; i < sizeof(idr); i++)
		idr[i] = (uint8_t)(i * 7);
	n += avcc_put(frame + n, aud, sizeof(aud));
	n += avcc_put(frame + n, sei, sizeof(sei));
	n += avcc_put(frame + n, idr, sizeof(idr));
	assert_int_equal(rtp_h264_split(frame, n, 4, &f), 0);
	assert_int_equal(f.nnal, 2); /* the AUD is left out */
	assert_int_equal(rtp_h264_packetize(&f, sps, sizeof(sps), pps,
	                     sizeof(pps), RTC_MTU, collect, &g),
	    0);
	assert_true(g.stap_first);
	assert_int_equal(g.n, 4); /* SPS, PPS, SEI, IDR */
	assert_memory_equal(g.nals[0], sps, sizeof(sps));
	assert_memory_equal(g.nals[1], pps, sizeof(pps));
	assert_int_equal(g.len[2], sizeof(sei));
	assert_int_equal(g.len[3], sizeof(idr));
	assert_memory_equal(g.nals[3], idr, sizeof(idr));
	/* STAP-A, SEI, three FU-A for 3000 bytes */
	assert_int_equal(g.packets, 5);
	assert_int_equal(g.markers, 1);
	assert_true(g.last_marker);
	assert_int_equal(g.starts, 1);
}

static void
test_small_frame(void **state)
{
	static const uint8_t p[] = {0x41, 0x9a, 0x02, 0x03};
	uint8_t frame[16];
	static struct got g;
	struct rtp_h264 f;
	size_t n;

	n = avcc_put(frame, p, sizeof(p));
	assert_int_equal(rtp_h264_split(frame, n, 4, &f), 0);
	assert_int_equal(
	    rtp_h264_packetize(&f, NULL, 0, NULL, 0, RTC_MTU, collect, &g), 0);
	assert_int_equal(g.packets, 1);
	assert_true(g.last_marker);
	assert_int_equal(g.len[0], sizeof(p));
}

static void
test_split_bad(void **state)
{
	uint8_t frame[] = {0, 0, 0, 9, 0x41, 1, 2};
	struct rtp_h264 f;
	uint8_t hdr[RTP_HEADER];

	/* a length past the end, a truncated length, a bad size */
	assert_int_equal(rtp_h264_split(frame, sizeof(frame), 4, &f), -1);
	assert_int_equal(rtp_h264_split(frame, 2, 4, &f), -1);
	assert_int_equal(rtp_h264_split(frame, sizeof(frame), 3, &f), -1);
	/* two-byte lengths */
	frame[0] = 0;
	frame[1] = 5;
	assert_int_equal(rtp_h264_split(frame, sizeof(frame), 2, &f), 0);
	assert_int_equal(f.nnal, 1);
	rtp_header(hdr, 96, 1, 0xabcd, 0x01020304, 0xdeadbeef);
	assert_int_equal(hdr[0], 0x80);
	assert_int_equal(hdr[1], 0x80 | 96);
	assert_int_equal(be16_read(hdr + 2), 0xabcd);
	assert_int_equal(be32_read(hdr + 4), 0x01020304);
	assert_int_equal(be32_read(hdr + 8), 0xdeadbeef);
}

static void
test_rewrite(void **state)
{
	uint8_t pkt[64], out[128];
	struct rtp_out o;
	size_t i, n;

	rtp_header(pkt, 96, 1, 0x1234, 1000, 0xaabbccdd);
	for (i = 0; i < 20; i++)
		pkt[RTP_HEADER + i] = (uint8_t)i;
	/* the viewer's payload type and timestamp, nothing added */
	memset(&o, 0, sizeof(o));
	o.pt = 102;
	o.ts = 5000;
	n = rtp_rewrite(out, sizeof(out), pkt, RTP_HEADER + 20, &o);
	assert_int_equal(n, RTP_HEADER + 20);
	assert_int_equal(out[0], 0x80);
	assert_int_equal(out[1], 0x80 | 102);
	assert_int_equal(be16_read(out + 2), 0x1234);
	assert_int_equal(be32_read(out + 4), 5000);
	assert_int_equal(be32_read(out + 8), 0xaabbccdd);
	assert_memory_equal(out + RTP_HEADER, pkt + RTP_HEADER, 20);
	/* playout-delay, id 5, min = max = 0: X bit, 0xBEDE, 1 word */
	o.playout_id = 5;
	n = rtp_rewrite(out, sizeof(out), pkt, RTP_HEADER + 20, &o);
	assert_int_equal(n, RTP_HEADER + 8 + 20);
	assert_int_equal(out[0], 0x90);
	assert_int_equal(be16_read(out + 12), 0xbede);
	assert_int_equal(be16_read(out + 14), 1);
	assert_int_equal(out[16], 5 << 4 | 2);
	assert_int_equal(be24_read(out + 17), 0);
	assert_memory_equal(out + 20, pkt + RTP_HEADER, 20);
	/* 120 ms, 250 ms: 12 and 25 units of 10 ms; over 12 bits capped */
	o.playout_min = 12;
	o.playout_max = 25;
	rtp_rewrite(out, sizeof(out), pkt, RTP_HEADER + 20, &o);
	assert_int_equal(be24_read(out + 17), 12 << 12 | 25);
	o.playout_max = 100000;
	rtp_rewrite(out, sizeof(out), pkt, RTP_HEADER + 20, &o);
	assert_int_equal(be24_read(out + 17), 12 << 12 | 0xfff);
	/* RTX: its pt, seq and SSRC, the marker kept, the OSN first */
	memset(&o, 0, sizeof(o));
	o.pt = 97;
	o.ts = 1000;
	o.rtx = 1;
	o.rtx_seq = 7;
	o.rtx_ssrc = 0x01020304;
	n = rtp_rewrite(out, sizeof(out), pkt, RTP_HEADER + 20, &o);
	assert_int_equal(n, RTP_HEADER + 2 + 20);
	assert_int_equal(out[1], 0x80 | 97);
	assert_int_equal(be16_read(out + 2), 7);
	assert_int_equal(be32_read(out + 4), 1000);
	assert_int_equal(be32_read(out + 8), 0x01020304);
	assert_int_equal(be16_read(out + 12), 0x1234);
	assert_memory_equal(out + 14, pkt + RTP_HEADER, 20);
	/* both: the extension, then the OSN, then the payload */
	o.playout_id = 14;
	n = rtp_rewrite(out, sizeof(out), pkt, RTP_HEADER + 20, &o);
	assert_int_equal(n, RTP_HEADER + 8 + 2 + 20);
	assert_int_equal(out[0], 0x90);
	assert_int_equal(out[16], 14 << 4 | 2);
	assert_int_equal(be16_read(out + 20), 0x1234);
	assert_memory_equal(out + 22, pkt + RTP_HEADER, 20);
	/* not one of our packets, or no room: nothing */
	assert_int_equal(rtp_rewrite(out, sizeof(out), pkt, 11, &o), 0);
	assert_int_equal(rtp_rewrite(out, RTP_HEADER + 20 + RTP_EXTRA_MAX - 1,
	                     pkt, RTP_HEADER + 20, &o),
	    0);
	pkt[0] = 0x90;
	assert_int_equal(
	    rtp_rewrite(out, sizeof(out), pkt, RTP_HEADER + 20, &o), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keyframe),
	    cmocka_unit_test(test_small_frame),
	    cmocka_unit_test(test_split_bad),
	    cmocka_unit_test(test_rewrite),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
