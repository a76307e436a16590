/*
 * SDP: a real Chromium offer read, codecs chosen for the stream's H.264
 * profile, the answer written; malformed offers refused with a reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rtcd.h"

#define OFFER "tests/fuzz/corpus/fuzz_sdp/chrome-offer"

static char offer[65536];
static size_t offerlen;

static int
setup(void **state)
{
	FILE *f = fopen(OFFER, "r");

	if (f == NULL) {
		fprintf(stderr, "%s: run from the top of the tree\n", OFFER);
		return -1;
	}
	offerlen = fread(offer, 1, sizeof(offer) - 1, f);
	offer[offerlen] = '\0';
	fclose(f);
	return 0;
}

static struct sdp_codec *
chosen(struct sdp_offer *o, enum sdp_kind kind)
{
	int i;

	for (i = 0; i < o->nmedia; i++)
		if (o->media[i].kind == kind && o->media[i].chosen >= 0)
			return &o->media[i].codecs[o->media[i].chosen];
	return NULL;
}

static void
test_chrome_offer(void **state)
{
	static struct sdp_offer o;
	char why[256];
	int i, h264 = 0;

	assert_int_equal(
	    sdp_parse_offer(offer, offerlen, &o, why, sizeof(why)), 0);
	assert_string_equal(o.ufrag, "6FOO");
	assert_string_equal(o.pwd, "9PuDd+omi8V0F94tfmYDQ7Sk");
	assert_string_equal(o.fp_alg, "sha-256");
	assert_int_equal(o.fplen, 32);
	assert_int_equal(o.fp[0], 0x4a);
	assert_string_equal(o.setup, "actpass");
	assert_int_equal(o.nmedia, 2);
	assert_int_equal(o.media[0].kind, SDP_VIDEO);
	assert_string_equal(o.media[0].mid, "0");
	assert_true(o.media[0].recv);
	assert_int_equal(o.media[1].kind, SDP_AUDIO);
	for (i = 0; i < o.media[0].ncodecs; i++)
		if (o.media[0].codecs[i].id == SDP_C_H264) {
			h264++;
			assert_int_equal(o.media[0].codecs[i].clock, 90000);
			assert_true(o.media[0].codecs[i].plid != 0);
		}
	assert_int_equal(h264, 8);
	assert_true(o.media[0].codecs[0].nack);
	assert_true(o.media[0].codecs[0].pli);
	/* a=extmap:5 ...playout-delay; a=fmtp:97 apt=96 */
	assert_int_equal(o.media[0].playout_id, 5);
	assert_int_equal(o.media[1].playout_id, 0);
	for (i = 0; i < o.media[0].ncodecs; i++)
		if (o.media[0].codecs[i].pt == 97) {
			assert_int_equal(o.media[0].codecs[i].id, SDP_C_RTX);
			assert_int_equal(o.media[0].codecs[i].apt, 96);
		}
}

/* The extensions and RTX of an offer, and what is answered. */
static void
test_rtx_extmap(void **state)
{
	static struct sdp_offer o;
	struct sdp_answer a;
	char sdp[2048], out[8192], why[256];
	int vpt, apt;

	/* Chromium's: rtx 109 for 108 (constrained baseline) */
	assert_int_equal(
	    sdp_parse_offer(offer, offerlen, &o, why, sizeof(why)), 0);
	assert_int_equal(sdp_negotiate(&o, VIDEO_H264, 0x42c01f, 1, &vpt, &apt,
	                     why, sizeof(why)),
	    0);
	assert_int_equal(vpt, 108);
	assert_true(o.media[0].rtx >= 0);
	assert_int_equal(o.media[0].codecs[o.media[0].rtx].pt, 109);
	memset(&a, 0, sizeof(a));
	a.ufrag = "uFrag123";
	a.pwd = "0123456789abcdef0123456789abcdef";
	a.fingerprint = "AA:BB";
	a.cname = "nyon";
	a.ssrc[0] = 1111;
	a.ssrc[1] = 2222;
	/* neither asked for: neither answered */
	assert_true(sdp_write_answer(out, sizeof(out), &o, &a) > 0);
	assert_null(strstr(out, "extmap"));
	assert_null(strstr(out, "rtx"));
	assert_non_null(strstr(out, "m=video 9 UDP/TLS/RTP/SAVPF 108\r\n"));
	a.rtx_ssrc[0] = 3333;
	a.playout_delay = 1;
	assert_true(sdp_write_answer(out, sizeof(out), &o, &a) > 0);
	assert_non_null(strstr(out, "m=video 9 UDP/TLS/RTP/SAVPF 108 109\r\n"));
	assert_non_null(strstr(out,
	    "a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/"
	    "playout-delay\r\n"));
	assert_non_null(strstr(out, "a=rtpmap:109 rtx/90000\r\n"));
	assert_non_null(strstr(out, "a=fmtp:109 apt=108\r\n"));
	assert_non_null(strstr(out, "a=ssrc-group:FID 1111 3333\r\n"));
	assert_non_null(strstr(out, "a=ssrc:3333 cname:nyon\r\n"));
	/* only on the video m-line */
	assert_null(strstr(strstr(out, "m=audio"), "extmap"));
	assert_null(strstr(strstr(out, "m=audio"), "3333"));

	/* no rtx for the chosen type, a session-level extmap, id 15 */
	snprintf(sdp, sizeof(sdp),
	    "v=0\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
	    "a=fingerprint:sha-256 %s\r\n"
	    "a=extmap:3 " SDP_URI_PLAYOUT_DELAY "\r\n"
	    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98\r\na=mid:v\r\n"
	    "a=rtpmap:96 H264/90000\r\n"
	    "a=fmtp:96 packetization-mode=1;profile-level-id=42e01f\r\n"
	    "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=100\r\n"
	    "a=fmtp:98 apt=96\r\na=rtpmap:98 rtx/48000\r\n",
	    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD");
	assert_int_equal(
	    sdp_parse_offer(sdp, strlen(sdp), &o, why, sizeof(why)), 0);
	assert_int_equal(o.media[0].codecs[1].apt, 100);
	assert_int_equal(o.media[0].codecs[2].apt, 96); /* fmtp first */
	assert_int_equal(sdp_negotiate(&o, VIDEO_H264, 0x42c01f, 0, &vpt, &apt,
	                     why, sizeof(why)),
	    0);
	assert_int_equal(o.media[0].rtx, -1); /* 98 is no 90 kHz rtx */
	assert_int_equal(o.media[0].playout_id, 3);
	strlcat(sdp, "a=extmap:15 " SDP_URI_PLAYOUT_DELAY "\r\n", sizeof(sdp));
	assert_int_equal(
	    sdp_parse_offer(sdp, strlen(sdp), &o, why, sizeof(why)), 0);
	/* 15 needs the two-byte header: the session's 3 stays */
	assert_int_equal(o.media[0].playout_id, 0);
	sdp_negotiate(
	    &o, VIDEO_H264, 0x42c01f, 0, &vpt, &apt, why, sizeof(why));
	assert_int_equal(o.media[0].playout_id, 3);
	strlcat(sdp, "a=extmap:x nothing\r\n", sizeof(sdp));
	assert_int_equal(
	    sdp_parse_offer(sdp, strlen(sdp), &o, why, sizeof(why)), -1);
	assert_string_equal(why, "bad extmap");
}

static void
test_negotiate(void **state)
{
	static struct sdp_offer o;
	struct sdp_codec *c;
	char why[256];
	int vpt, apt;

	/* constrained baseline (x264 ultrafast): its own class first */
	sdp_parse_offer(offer, offerlen, &o, why, sizeof(why));
	assert_int_equal(sdp_negotiate(&o, VIDEO_H264, 0x42c01f, 1, &vpt, &apt,
	                     why, sizeof(why)),
	    0);
	c = chosen(&o, SDP_VIDEO);
	assert_non_null(c);
	assert_int_equal(c->plid, 0x42e01f);
	assert_true(c->pmode);
	assert_int_equal(vpt, c->pt);
	assert_int_equal(apt, 111);
	/* high (OBS's x264): this Chromium offers no high, but 4:4:4 */
	sdp_parse_offer(offer, offerlen, &o, why, sizeof(why));
	assert_int_equal(sdp_negotiate(&o, VIDEO_H264, 0x640028, 1, &vpt, &apt,
	                     why, sizeof(why)),
	    0);
	assert_int_equal(chosen(&o, SDP_VIDEO)->plid, 0xf4001f);
	/* main */
	sdp_parse_offer(offer, offerlen, &o, why, sizeof(why));
	assert_int_equal(sdp_negotiate(&o, VIDEO_H264, 0x4d0029, 0, &vpt, &apt,
	                     why, sizeof(why)),
	    0);
	assert_int_equal(chosen(&o, SDP_VIDEO)->plid, 0x4d001f);
	assert_int_equal(apt, -1); /* audio off */
	assert_null(chosen(&o, SDP_AUDIO));
	/* audio only */
	sdp_parse_offer(offer, offerlen, &o, why, sizeof(why));
	assert_int_equal(
	    sdp_negotiate(&o, VIDEO_NONE, 0, 1, &vpt, &apt, why, sizeof(why)),
	    0);
	assert_int_equal(vpt, -1);
	assert_int_equal(apt, 111);
}

static const char small[] =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\n"
    "a=fingerprint:sha-256 "
    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n"
    "a=setup:actpass\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=mid:v\r\na=recvonly\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=fmtp:96 packetization-mode=0;profile-level-id=42e01f\r\n"
    "a=rtpmap:97 H264/90000\r\n"
    "a=fmtp:97 packetization-mode=%d;profile-level-id=%s\r\n";

static void
test_refusals(void **state)
{
	static struct sdp_offer o;
	char sdp[2048], why[256];
	int vpt, apt;

	/* only packetization-mode 0 */
	snprintf(sdp, sizeof(sdp), small, 0, "42e01f");
	assert_int_equal(
	    sdp_parse_offer(sdp, strlen(sdp), &o, why, sizeof(why)), 0);
	assert_int_equal(sdp_negotiate(&o, VIDEO_H264, 0x42c01f, 1, &vpt, &apt,
	                     why, sizeof(why)),
	    406);
	assert_non_null(strstr(why, "packetization-mode=0"));
	/* high stream, baseline browser */
	snprintf(sdp, sizeof(sdp), small, 1, "42e01f");
	sdp_parse_offer(sdp, strlen(sdp), &o, why, sizeof(why));
	assert_int_equal(sdp_negotiate(&o, VIDEO_H264, 0x640028, 1, &vpt, &apt,
	                     why, sizeof(why)),
	    406);
	assert_non_null(strstr(why, "640028"));
	/* but a constrained baseline stream plays */
	sdp_parse_offer(sdp, strlen(sdp), &o, why, sizeof(why));
	assert_int_equal(sdp_negotiate(&o, VIDEO_H264, 0x42c01f, 1, &vpt, &apt,
	                     why, sizeof(why)),
	    0);
	assert_int_equal(vpt, 97);
}

static void
test_malformed(void **state)
{
	static struct sdp_offer o;
	char sdp[8192], why[256];
	size_t i;
	static const char *bad[] = {
	    "",
	    "x",
	    "v=1\r\n",
	    "v=0\r\nm=video\r\n",
	    "v=0\r\na=ice-ufrag:a\r\n", /* too short */
	    "v=0\r\na=ice-ufrag:ab\"cd\r\n",
	    "v=0\r\na=fingerprint:sha-256 zz:zz\r\n",
	    "v=0\r\na=fingerprint:sha-256\r\n",
	    "v=0\r\nm=video 99999 UDP/TLS/RTP/SAVPF 96\r\n",
	    "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 300\r\n",
	    "v=0\r\nm=video 9 X 96\r\na=mid:<script>\r\n",
	    "v=0\r\nm=video 9 X 96\r\na=rtpmap:96 H264\r\n",
	    "v=0\r\nm=video 9 X 96\r\na=rtpmap:96 /90000\r\n",
	    "v=0\r\nq\r\n",
	    "v=0\r\na=x\001y\r\n",
	};

	for (i = 0; i < nitems(bad); i++)
		assert_int_equal(sdp_parse_offer(bad[i], strlen(bad[i]), &o,
		                     why, sizeof(why)),
		    -1);
	/* no m-line, a missing fingerprint, setup:passive */
	snprintf(sdp, sizeof(sdp), small, 1, "42e01f");
	assert_int_equal(
	    sdp_parse_offer(sdp, strstr(sdp, "m=") - sdp, &o, why, sizeof(why)),
	    -1);
	assert_string_equal(why, "no m-line");
	memcpy(strstr(sdp, "actpass"), "passive", 7);
	assert_int_equal(
	    sdp_parse_offer(sdp, strlen(sdp), &o, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "passive"));
	/* nine m-lines */
	snprintf(sdp, sizeof(sdp), "v=0\r\n");
	for (i = 0; i < 9; i++)
		strlcat(sdp, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:a\r\n",
		    sizeof(sdp));
	assert_int_equal(
	    sdp_parse_offer(sdp, strlen(sdp), &o, why, sizeof(why)), -1);
	/* a line of 5000 bytes */
	memset(sdp, 'a', sizeof(sdp));
	memcpy(sdp, "v=0\r\na=", 7);
	assert_int_equal(sdp_parse_offer(sdp, 5000, &o, why, sizeof(why)), -1);
}

static void
test_answer(void **state)
{
	static struct sdp_offer o;
	struct sdp_answer a;
	char out[8192], why[256];
	int vpt, apt, n;

	sdp_parse_offer(offer, offerlen, &o, why, sizeof(why));
	sdp_negotiate(
	    &o, VIDEO_H264, 0x42c01f, 1, &vpt, &apt, why, sizeof(why));
	memset(&a, 0, sizeof(a));
	a.ufrag = "uFrag123";
	a.pwd = "0123456789abcdef0123456789abcdef";
	a.fingerprint = "AA:BB";
	a.cname = "nyon";
	a.ssrc[0] = 1111;
	a.ssrc[1] = 2222;
	a.ncandidates = 2;
	strlcpy(a.candidates[0], "192.168.1.20 8189", 64);
	strlcpy(a.candidates[1], "2001:db8::1 8189", 64);
	n = sdp_write_answer(out, sizeof(out), &o, &a);
	assert_true(n > 0);
	assert_non_null(strstr(out, "a=ice-lite\r\n"));
	assert_non_null(strstr(out, "a=group:BUNDLE 0 1\r\n"));
	assert_non_null(strstr(out, "a=setup:passive\r\n"));
	assert_non_null(strstr(out, "m=video 9 UDP/TLS/RTP/SAVPF 108\r\n"));
	assert_non_null(strstr(out, "profile-level-id=42e01f"));
	assert_non_null(strstr(out, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"));
	assert_non_null(strstr(out, "a=rtpmap:111 opus/48000/2\r\n"));
	assert_non_null(
	    strstr(out, "udp 2130706431 192.168.1.20 8189 typ host\r\n"));
	assert_non_null(strstr(out, "2001:db8::1 8189 typ host\r\n"));
	assert_non_null(strstr(out, "a=ssrc:1111 cname:nyon\r\n"));
	assert_non_null(strstr(out, "a=sendonly\r\n"));
	/* too small a buffer fails whole */
	assert_int_equal(sdp_write_answer(out, 100, &o, &a), -1);
	/* a rejected m-line is answered with port 0 */
	sdp_parse_offer(offer, offerlen, &o, why, sizeof(why));
	sdp_negotiate(
	    &o, VIDEO_H264, 0x42c01f, 0, &vpt, &apt, why, sizeof(why));
	n = sdp_write_answer(out, sizeof(out), &o, &a);
	assert_non_null(strstr(out, "m=audio 0 "));
	assert_non_null(strstr(out, "a=group:BUNDLE 0\r\n"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chrome_offer),
	    cmocka_unit_test(test_negotiate),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_answer),
	    cmocka_unit_test(test_rtx_extmap),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
