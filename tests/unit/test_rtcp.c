/* RTCP: what viewers send (RR, NACK, PLI, FIR, BYE), our sender reports. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "flv.h"
#include "rtcd.h"

static void
test_compound(void **state)
{
	uint8_t buf[512];
	struct rtcp_report r = {.ssrc = 0x1234,
	    .fraction_lost = 64,
	    .lost = -3,
	    .highest_seq = 70000,
	    .jitter = 900,
	    .lsr = 77,
	    .dlsr = 65536};
	uint16_t seqs[2] = {100, 65535};
	struct rtcp_info info;
	const char *why;
	size_t n;

	n = rtcp_receiver_report(buf, sizeof(buf), 0xaaaa, &r);
	n += rtcp_nack(buf + n, sizeof(buf) - n, 0xaaaa, 0x1234, seqs, 2);
	/* PLI and FIR by hand */
	memcpy(buf + n, "\x81\xce\x00\x02\x00\x00\xaa\xaa\x00\x00\x12\x34", 12);
	n += 12;
	memcpy(buf + n,
	    "\x84\xce\x00\x04\x00\x00\xaa\xaa\x00\x00\x00\x00"
	    "\x00\x00\x12\x34\x01\x00\x00\x00",
	    20);
	n += 20;
	n += rtcp_bye(buf + n, sizeof(buf) - n, 0xaaaa);
	assert_true(rtcp_is(buf, n));
	assert_int_equal(rtcp_parse(buf, n, &info, &why), 0);
	assert_int_equal(info.nrr, 1);
	assert_int_equal(info.rr[0].ssrc, 0x1234);
	assert_int_equal(info.rr[0].fraction_lost, 64);
	assert_int_equal(info.rr[0].lost, -3);
	assert_int_equal(info.rr[0].highest_seq, 70000);
	assert_int_equal(info.rr[0].jitter, 900);
	assert_int_equal(info.rr[0].lsr, 77);
	assert_int_equal(info.rr[0].dlsr, 65536);
	assert_int_equal(info.nnack, 2);
	assert_int_equal(info.nack[0], 100);
	assert_int_equal(info.nack[1], 65535);
	assert_int_equal(info.nack_ssrc[0], 0x1234);
	assert_int_equal(info.pli, 1);
	assert_int_equal(info.fir, 1);
	assert_true(info.bye);
}

/* A NACK's bitmask: PID and the 16 packets after it. */
static void
test_nack_mask(void **state)
{
	uint8_t buf[] = {0x81, 0xcd, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2, 0xff,
	    0xfe, 0x80, 0x01};
	struct rtcp_info info;
	const char *why;

	assert_int_equal(rtcp_parse(buf, sizeof(buf), &info, &why), 0);
	assert_int_equal(info.nnack, 3);
	assert_int_equal(info.nack[0], 65534);
	assert_int_equal(info.nack[1], 65535); /* bit 0 */
	assert_int_equal(info.nack[2], 14); /* bit 15: PID + 16, wrapped */
}

static void
test_sender_report(void **state)
{
	uint8_t buf[128];
	struct rtcp_info info;
	const char *why;
	size_t n;

	n = rtcp_sender_report(buf, sizeof(buf), 0x55, 0x0102030405060708ull,
	    90000, 10, 1000, "nyon");
	assert_int_equal(n % 4, 0);
	assert_int_equal(buf[1], 200);
	assert_int_equal(be32_read(buf + 8), 0x01020304);
	assert_int_equal(be32_read(buf + 16), 90000);
	assert_int_equal(buf[29], 202);
	assert_memory_equal(buf + 38, "nyon", 4);
	assert_int_equal(rtcp_parse(buf, n, &info, &why), 0);
	assert_int_equal(rtcp_sender_report(buf, 20, 1, 0, 0, 0, 0, "x"), 0);
}

static void
test_malformed(void **state)
{
	uint8_t buf[64];
	struct rtcp_info info;
	const char *why;
	struct rtcp_report r = {0};
	size_t n;

	n = rtcp_receiver_report(buf, sizeof(buf), 1, &r);
	/* a length past the datagram */
	buf[3] = 40;
	assert_int_equal(rtcp_parse(buf, n, &info, &why), -1);
	/* a report count the packet cannot hold */
	n = rtcp_receiver_report(buf, sizeof(buf), 1, &r);
	buf[0] = 0x85;
	assert_int_equal(rtcp_parse(buf, n, &info, &why), -1);
	/* version 1, a short feedback */
	buf[0] = 0x41;
	assert_int_equal(rtcp_parse(buf, n, &info, &why), -1);
	memcpy(buf, "\x81\xce\x00\x01\x00\x00\x00\x01", 8);
	assert_int_equal(rtcp_parse(buf, 8, &info, &why), -1);
	assert_int_equal(rtcp_parse(buf, 3, &info, &why), -1);
	/* RTP is not RTCP */
	memcpy(buf, "\x80\x60\x00\x01\x00\x00\x00\x01", 8);
	assert_false(rtcp_is(buf, 8));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_compound),
	    cmocka_unit_test(test_nack_mask),
	    cmocka_unit_test(test_sender_report),
	    cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
