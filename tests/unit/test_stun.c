/* STUN for ICE-lite: the RFC 5769 test vectors, our answers, bad input. */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "rtcd.h"

static const char pwd5769[] = "VOkJxbRl1RmTxUk/WvJxBt";

/* RFC 5769 2.1: a Binding request with USERNAME "evtj:h6vY" */
static const uint8_t req5769[] = {0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4,
    0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf,
    0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65,
    0x73, 0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00,
    0x04, 0x6e, 0x00, 0x01, 0xff, 0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9,
    0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74,
    0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00,
    0x14, 0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2,
    0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00,
    0x04, 0xe5, 0x7a, 0x3b, 0xcf};

/* RFC 5769 2.2: the response, XOR-MAPPED-ADDRESS 192.0.2.1:32853 */
static const uint8_t resp4[] = {0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42,
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
    0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47,
    0xe1, 0x12, 0xa6, 0x43, 0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99,
    0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53,
    0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96};

/* RFC 5769 2.3: the same for 2001:db8:1234:5678:11:2233:4455:6677 */
static const uint8_t resp6[] = {0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42,
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
    0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47,
    0x01, 0x13, 0xa9, 0xfa, 0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5,
    0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e,
    0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75,
    0xbf, 0xe3, 0xed, 0x41, 0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c};

static void
test_request_vector(void **state)
{
	struct stun_msg m;
	const char *why = NULL;
	uint8_t bad[sizeof(req5769)];

	assert_true(stun_is(req5769, sizeof(req5769)));
	assert_int_equal(stun_parse(req5769, sizeof(req5769), &m, &why), 0);
	assert_int_equal(m.type, STUN_BINDING_REQUEST);
	assert_int_equal(m.username_len, 9);
	assert_memory_equal(m.username, "evtj:h6vY", 9);
	assert_int_equal(m.priority, 0x6e0001ff);
	assert_true(m.controlled);
	assert_false(m.use_candidate);
	assert_int_equal(stun_check_integrity(req5769, sizeof(req5769), &m,
	                     pwd5769, strlen(pwd5769)),
	    0);
	assert_int_equal(
	    stun_check_fingerprint(req5769, sizeof(req5769), &m), 0);
	/* a wrong password, a flipped bit */
	assert_int_equal(stun_check_integrity(req5769, sizeof(req5769), &m,
	                     "VOkJxbRl1RmTxUk/WvJxBT", 22),
	    -1);
	memcpy(bad, req5769, sizeof(bad));
	bad[30] ^= 1;
	assert_int_equal(stun_parse(bad, sizeof(bad), &m, &why), 0);
	assert_int_equal(
	    stun_check_integrity(bad, sizeof(bad), &m, pwd5769, 22), -1);
	assert_int_equal(stun_check_fingerprint(bad, sizeof(bad), &m), -1);
}

static void
test_response_vectors(void **state)
{
	struct stun_msg m;
	const char *why = NULL;
	struct sockaddr_in *in;
	struct sockaddr_in6 *in6;
	struct in6_addr want6;

	assert_int_equal(stun_parse(resp4, sizeof(resp4), &m, &why), 0);
	assert_int_equal(m.type, STUN_BINDING_SUCCESS);
	assert_true(m.has_mapped);
	in = (struct sockaddr_in *)&m.mapped;
	assert_int_equal(in->sin_family, AF_INET);
	assert_int_equal(ntohs(in->sin_port), 32853);
	assert_int_equal(ntohl(in->sin_addr.s_addr), 0xc0000201);
	assert_int_equal(
	    stun_check_integrity(resp4, sizeof(resp4), &m, pwd5769, 22), 0);
	assert_int_equal(stun_check_fingerprint(resp4, sizeof(resp4), &m), 0);

	assert_int_equal(stun_parse(resp6, sizeof(resp6), &m, &why), 0);
	in6 = (struct sockaddr_in6 *)&m.mapped;
	assert_int_equal(in6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(in6->sin6_port), 32853);
	inet_pton(AF_INET6, "2001:db8:1234:5678:11:2233:4455:6677", &want6);
	assert_memory_equal(&in6->sin6_addr, &want6, 16);
	assert_int_equal(
	    stun_check_integrity(resp6, sizeof(resp6), &m, pwd5769, 22), 0);
	assert_int_equal(stun_check_fingerprint(resp6, sizeof(resp6), &m), 0);
}

/* Our answer to the vector's request is the vector's answer, but padding. */
static void
test_our_response(void **state)
{
	struct sockaddr_in peer;
	struct sockaddr_in6 peer6;
	uint8_t out[256];
	struct stun_msg m;
	const char *why;
	size_t n;

	memset(&peer, 0, sizeof(peer));
	peer.sin_family = AF_INET;
	peer.sin_port = htons(32853);
	peer.sin_addr.s_addr = htonl(0xc0000201);
	n = stun_binding_response(out, sizeof(out), req5769 + 8,
	    (struct sockaddr *)&peer, pwd5769, "test vector");
	assert_int_equal(n, sizeof(resp4));
	/* RFC 5769 pads SOFTWARE with a space, we with a zero */
	assert_memory_equal(out, resp4, 35);
	assert_memory_equal(out + 36, resp4 + 36, 12);
	assert_int_equal(stun_parse(out, n, &m, &why), 0);
	assert_int_equal(stun_check_integrity(out, n, &m, pwd5769, 22), 0);
	assert_int_equal(stun_check_fingerprint(out, n, &m), 0);

	memset(&peer6, 0, sizeof(peer6));
	peer6.sin6_family = AF_INET6;
	peer6.sin6_port = htons(32853);
	inet_pton(
	    AF_INET6, "2001:db8:1234:5678:11:2233:4455:6677", &peer6.sin6_addr);
	n = stun_binding_response(out, sizeof(out), req5769 + 8,
	    (struct sockaddr *)&peer6, pwd5769, "test vector");
	assert_int_equal(n, sizeof(resp6));
	assert_memory_equal(out + 36, resp6 + 36, 24);
	/* too small a buffer: nothing */
	assert_int_equal(stun_binding_response(out, 40, req5769 + 8,
	                     (struct sockaddr *)&peer, pwd5769, NULL),
	    0);
}

/* What the load client sends, read back as the daemon reads it. */
static void
test_our_request(void **state)
{
	uint8_t out[256], txid[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
	struct stun_msg m;
	const char *why;
	size_t n;

	n = stun_binding_request(out, sizeof(out), txid, "abcd:efgh",
	    "0123456789012345678901", 12345, 1, 42);
	assert_true(n > 0);
	assert_int_equal(stun_parse(out, n, &m, &why), 0);
	assert_true(m.use_candidate);
	assert_true(m.controlling);
	assert_int_equal(m.priority, 12345);
	assert_int_equal(
	    stun_check_integrity(out, n, &m, "0123456789012345678901", 22), 0);
	assert_int_equal(stun_check_fingerprint(out, n, &m), 0);
}

static void
test_bad(void **state)
{
	uint8_t b[sizeof(req5769)];
	struct stun_msg m;
	const char *why = NULL;

	/* length that disagrees with the datagram */
	assert_int_equal(
	    stun_parse(req5769, sizeof(req5769) - 4, &m, &why), -1);
	/* an attribute longer than the message */
	memcpy(b, req5769, sizeof(b));
	b[22] = 0xff;
	assert_int_equal(stun_parse(b, sizeof(b), &m, &why), -1);
	assert_non_null(why);
	/* not STUN: no cookie */
	memcpy(b, req5769, sizeof(b));
	b[4] = 0;
	assert_false(stun_is(b, sizeof(b)));
	assert_int_equal(stun_parse(b, sizeof(b), &m, &why), -1);
	/* an unknown comprehension-required attribute */
	memcpy(b, req5769, sizeof(b));
	b[20] = 0x00;
	b[21] = 0x7f;
	assert_int_equal(stun_parse(b, sizeof(b), &m, &why), -1);
	assert_int_equal(stun_parse(b, 3, &m, &why), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_vector),
	    cmocka_unit_test(test_response_vectors),
	    cmocka_unit_test(test_our_response),
	    cmocka_unit_test(test_our_request),
	    cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
