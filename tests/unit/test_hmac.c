/*
 * SHA-256 (FIPS 180-2 examples) and HMAC-SHA256 (RFC 4231 test cases),
 * including a key longer than a block and a message split over iovecs.
 */
#include <sys/uio.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nyon.h"

static void
hex(const uint8_t *d, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void
test_sha256(void **state)
{
	uint8_t d[SHA256_LEN];
	char h[2 * SHA256_LEN + 1];

	sha256("abc", 3, d);
	hex(d, sizeof(d), h);
	assert_string_equal(h,
	    "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	sha256("", 0, d);
	hex(d, sizeof(d), h);
	assert_string_equal(h,
	    "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	sha256(
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d);
	hex(d, sizeof(d), h);
	assert_string_equal(h,
	    "248d6a61d20638b8e5c026930c3e6039"
	    "a33ce45964ff2167f6ecedd419db06c1");
}

static void
check(const void *key, size_t keylen, const void *msg, size_t len,
    const char *want)
{
	uint8_t d[SHA256_LEN];
	char h[2 * SHA256_LEN + 1];

	hmac_sha256(key, keylen, msg, len, d);
	hex(d, sizeof(d), h);
	assert_string_equal(h, want);
}

static void
test_rfc4231(void **state)
{
	uint8_t k[131], m[50];

	memset(k, 0x0b, 20); /* case 1 */
	check(k, 20, "Hi There", 8,
	    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	check("Jefe", 4, "what do ya want for nothing?", 28, /* case 2 */
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	memset(k, 0xaa, 20); /* case 3 */
	memset(m, 0xdd, 50);
	check(k, 20, m, 50,
	    "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
	memset(k, 0xaa, 131); /* case 6: a key longer than a block */
	check(k, 131, "Test Using Larger Than Block-Size Key - Hash Key First",
	    54,
	    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	check(k, 131, /* case 7 */
	    "This is a test using a larger than block-size key and a larger "
	    "than block-size data. The key needs to be hashed before being "
	    "used by the HMAC algorithm.",
	    152,
	    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
	/* a 64-byte key is used as it is */
	check(k, 64, "", 0,
	    "db2cf93f633fcdfd9bb7f3b99763a63725cb8e38b4fa60a87d0e94b71d8b5970");
}

static void
test_iovec(void **state)
{
	const char *msg = "what do ya want for nothing?";
	struct iovec iov[3] = {
	    {(void *)msg, 4}, {(void *)(msg + 4), 0}, {(void *)(msg + 4), 24}};
	uint8_t a[SHA256_LEN], b[SHA256_LEN];

	hmac_sha256("Jefe", 4, msg, 28, a);
	hmac_sha256v("Jefe", 4, iov, 3, b);
	assert_memory_equal(a, b, SHA256_LEN);
}

static void
test_equal(void **state)
{
	assert_true(hmac_equal("abcd", "abcd", 4));
	assert_false(hmac_equal("abcd", "abce", 4));
	assert_false(hmac_equal("xbcd", "abcd", 4));
	assert_true(hmac_equal("", "", 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sha256),
	    cmocka_unit_test(test_rfc4231),
	    cmocka_unit_test(test_iovec),
	    cmocka_unit_test(test_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
