/*
 * HS256 tokens: known vectors (jwt.io's, and one computed with Python's
 * hmac), the round trip, and every refusal: tampering, alg none and
 * others, expiry, claims of the wrong type, non-canonical base64url.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "nyon.h"
#include "jwt.h"

#define SECRET "0123456789abcdef0123456789abcdef"
#define NOW 1700000100

/* python3: hmac.new(SECRET, h + "." + p, sha256), base64url, no padding */
#define PY_TOKEN \
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." \
	"eyJ1c2VySWQiOjEsInVzZXJuYW1lIjoiYWRtaW4iLCJpYXQiOjE3MDAwMDAwMDAsImV4" \
	"cCI6MTcwMDA4NjQwMH0.GxNDo0msIbsbki4X1tAGu2e0FhBM5i2TMV2SVmlgtbo"

/* https://jwt.io's example, secret "your-256-bit-secret" */
#define JWTIO_TOKEN \
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." \
	"eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5" \
	"MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"

static struct jwt_claims
claims(void)
{
	struct jwt_claims c;

	memset(&c, 0, sizeof(c));
	c.user_id = 1;
	strlcpy(c.username, "admin", sizeof(c.username));
	c.iat = 1700000000;
	c.exp = 1700086400;
	return c;
}

static enum jwt_result
verify(const char *token, struct jwt_claims *c)
{
	return jwt_verify(SECRET, strlen(SECRET), token, NOW, c);
}

/* Signs header.payload (given as JSON) with SECRET. */
static void
forge(const char *header, const char *payload, const char *secret, char *out,
    size_t len)
{
	char h[512], p[512];
	unsigned char sig[32];
	unsigned int n;
	char data[1100];

	jwt_b64url_encode((const unsigned char *)header, strlen(header), h);
	jwt_b64url_encode((const unsigned char *)payload, strlen(payload), p);
	snprintf(data, sizeof(data), "%s.%s", h, p);
	HMAC(EVP_sha256(), secret, (int)strlen(secret),
	    (const unsigned char *)data, strlen(data), sig, &n);
	snprintf(out, len, "%s.", data);
	jwt_b64url_encode(sig, n, out + strlen(out));
}

static void
test_known_vector(void **state)
{
	struct jwt_claims c = claims(), got;
	char tok[JWT_MAX];

	assert_int_equal(
	    jwt_sign(SECRET, strlen(SECRET), &c, tok, sizeof(tok)), 0);
	assert_string_equal(tok, PY_TOKEN);
	assert_int_equal(verify(PY_TOKEN, &got), JWT_OK);
	assert_int_equal(got.user_id, 1);
	assert_string_equal(got.username, "admin");
	assert_int_equal(got.iat, 1700000000);
	assert_int_equal(got.exp, 1700086400);
}

static void
test_jwtio_vector(void **state)
{
	char *payload;
	size_t len;
	struct jwt_claims c;

	assert_int_equal(jwt_verify_raw("your-256-bit-secret", 19, JWTIO_TOKEN,
	                     &payload, &len),
	    JWT_OK);
	assert_string_equal(payload,
	    "{\"sub\":\"1234567890\",\"name\":\"John Doe\",\"iat\":1516239022}");
	free(payload);
	assert_int_equal(jwt_verify_raw("your-256-bit-secreT", 19, JWTIO_TOKEN,
	                     &payload, &len),
	    JWT_ESIG);
	assert_null(payload);
	/* a good signature, but none of our claims */
	assert_int_equal(
	    jwt_verify("your-256-bit-secret", 19, JWTIO_TOKEN, 1516239023, &c),
	    JWT_ECLAIMS);
}

static void
test_round_trip_jti(void **state)
{
	struct jwt_claims c = claims(), got;
	char a[JWT_MAX], b[JWT_MAX], ida[JWT_ID_SZ], idb[JWT_ID_SZ];

	strlcpy(c.jti, "00112233aabbccdd", sizeof(c.jti));
	assert_int_equal(jwt_sign(SECRET, strlen(SECRET), &c, a, sizeof(a)), 0);
	strlcpy(c.jti, "00112233aabbccde", sizeof(c.jti));
	assert_int_equal(jwt_sign(SECRET, strlen(SECRET), &c, b, sizeof(b)), 0);
	assert_string_not_equal(a, b);
	assert_int_equal(verify(a, &got), JWT_OK);
	assert_string_equal(got.jti, "00112233aabbccdd");
	jwt_token_id(a, ida);
	jwt_token_id(b, idb);
	assert_int_equal(strlen(ida), 64);
	assert_string_not_equal(ida, idb);
	assert_int_equal(got.gen, 0); /* absent: generation 0 */
	/* a short secret or a buffer too small is refused */
	assert_int_equal(jwt_sign("short", 5, &c, a, sizeof(a)), -1);
	assert_int_equal(jwt_sign(SECRET, strlen(SECRET), &c, a, 40), -1);
}

/* The user's token generation travels in the token, exactly. */
static void
test_round_trip_gen(void **state)
{
	struct jwt_claims c = claims(), got;
	char tok[JWT_MAX];

	c.gen = 7;
	assert_int_equal(
	    jwt_sign(SECRET, strlen(SECRET), &c, tok, sizeof(tok)), 0);
	assert_int_equal(verify(tok, &got), JWT_OK);
	assert_true(got.gen == 7);
	c.gen = INT64_MAX;
	assert_int_equal(
	    jwt_sign(SECRET, strlen(SECRET), &c, tok, sizeof(tok)), 0);
	assert_int_equal(verify(tok, &got), JWT_OK);
	assert_true(got.gen == INT64_MAX);
	c.gen = -1;
	assert_int_equal(
	    jwt_sign(SECRET, strlen(SECRET), &c, tok, sizeof(tok)), -1);
}

static void
test_tampered(void **state)
{
	struct jwt_claims c;
	char tok[JWT_MAX], *p;

	/* another payload under the old signature */
	strlcpy(tok, PY_TOKEN, sizeof(tok));
	p = strchr(tok, '.') + 1;
	p[3] = p[3] == 'A' ? 'B' : 'A';
	assert_int_equal(verify(tok, &c), JWT_ESIG);
	assert_int_equal(c.user_id, 0);
	/* a flipped signature character */
	strlcpy(tok, PY_TOKEN, sizeof(tok));
	tok[strlen(tok) - 2] ^= 1;
	assert_int_equal(verify(tok, &c), JWT_ESIG);
	/* another secret */
	assert_int_equal(jwt_verify("0123456789abcdef0123456789abcdeF", 32,
	                     PY_TOKEN, NOW, &c),
	    JWT_ESIG);
}

static void
test_alg(void **state)
{
	struct jwt_claims c;
	char tok[JWT_MAX];
	const char *pl = "{\"userId\":1,\"username\":\"admin\",\"iat\":"
	                 "1700000000,\"exp\":1700086400}";

	/* alg none, with and without a signature */
	forge(
	    "{\"alg\":\"none\",\"typ\":\"JWT\"}", pl, SECRET, tok, sizeof(tok));
	assert_int_equal(verify(tok, &c), JWT_EALG);
	*(strrchr(tok, '.') + 1) = '\0';
	assert_int_equal(verify(tok, &c), JWT_EALG);
	forge("{\"alg\":\"HS512\"}", pl, SECRET, tok, sizeof(tok));
	assert_int_equal(verify(tok, &c), JWT_EALG);
	forge("{\"alg\":\"hs256\"}", pl, SECRET, tok, sizeof(tok));
	assert_int_equal(verify(tok, &c), JWT_EALG);
	forge("{\"typ\":\"JWT\"}", pl, SECRET, tok, sizeof(tok));
	assert_int_equal(verify(tok, &c), JWT_EALG);
	forge("{\"alg\":1}", pl, SECRET, tok, sizeof(tok));
	assert_int_equal(verify(tok, &c), JWT_EALG);
	forge("{\"alg\":\"HS256\",\"typ\":\"JWS\"}", pl, SECRET, tok,
	    sizeof(tok));
	assert_int_equal(verify(tok, &c), JWT_EMALFORMED);
	forge("[\"HS256\"]", pl, SECRET, tok, sizeof(tok));
	assert_int_equal(verify(tok, &c), JWT_EMALFORMED);
	/* no typ is fine */
	forge("{\"alg\":\"HS256\"}", pl, SECRET, tok, sizeof(tok));
	assert_int_equal(verify(tok, &c), JWT_OK);
}

static void
test_time(void **state)
{
	struct jwt_claims c;

	assert_int_equal(
	    jwt_verify(SECRET, strlen(SECRET), PY_TOKEN, 1700086399, &c),
	    JWT_OK);
	assert_int_equal(
	    jwt_verify(SECRET, strlen(SECRET), PY_TOKEN, 1700086400, &c),
	    JWT_EEXPIRED);
	assert_int_equal(
	    jwt_verify(SECRET, strlen(SECRET), PY_TOKEN, 1699999000, &c),
	    JWT_EFUTURE);
}

static void
test_claim_types(void **state)
{
	static const char *const bad[] = {
	    "{\"userId\":\"1\",\"username\":\"admin\",\"iat\":1,\"exp\":"
	    "1800000000}",
	    "{\"userId\":1.5,\"username\":\"admin\",\"iat\":1,\"exp\":"
	    "1800000000}",
	    "{\"userId\":0,\"username\":\"admin\",\"iat\":1,\"exp\":1800000000}",
	    "{\"userId\":1,\"username\":7,\"iat\":1,\"exp\":1800000000}",
	    "{\"userId\":1,\"username\":\"\",\"iat\":1,\"exp\":1800000000}",
	    "{\"userId\":1,\"username\":\"admin\",\"exp\":1800000000}",
	    "{\"userId\":1,\"username\":\"admin\",\"iat\":1,\"exp\":\"never\"}",
	    "{\"userId\":1,\"username\":\"admin\",\"iat\":1,\"exp\":1800000000,"
	    "\"jti\":5}",
	    "{\"userId\":1,\"username\":\"admin\",\"iat\":1,\"exp\":1800000000,"
	    "\"gen\":\"1\"}",
	    "{\"userId\":1,\"username\":\"admin\",\"iat\":1,\"exp\":1800000000,"
	    "\"gen\":-1}",
	    "{\"userId\":1,\"username\":\"admin\",\"iat\":1,\"exp\":1800000000,"
	    "\"gen\":1.5}",
	};
	struct jwt_claims c;
	char tok[JWT_MAX];
	size_t i;

	for (i = 0; i < nitems(bad); i++) {
		forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", bad[i], SECRET,
		    tok, sizeof(tok));
		assert_int_equal(verify(tok, &c), JWT_ECLAIMS);
	}
	forge("{\"alg\":\"HS256\"}", "[1,2]", SECRET, tok, sizeof(tok));
	assert_int_equal(verify(tok, &c), JWT_EMALFORMED);
	forge("{\"alg\":\"HS256\"}", "{\"userId\":", SECRET, tok, sizeof(tok));
	assert_int_equal(verify(tok, &c), JWT_EMALFORMED);
}

static void
test_garbage(void **state)
{
	static const char *const bad[] = {
	    "",
	    "a",
	    "a.b",
	    "a.b.c.d",
	    "...",
	    "garbage.garbage.garbage",
	    PY_TOKEN ".",
	    PY_TOKEN "=",
	    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9=.e30.AAAA",
	};
	struct jwt_claims c;
	char tok[JWT_MAX * 2];
	size_t i;

	for (i = 0; i < nitems(bad); i++)
		assert_int_not_equal(verify(bad[i], &c), JWT_OK);
	assert_int_not_equal(verify(NULL, &c), JWT_OK);
	memset(tok, 'A', sizeof(tok) - 1);
	tok[sizeof(tok) - 1] = '\0';
	tok[10] = tok[20] = '.';
	assert_int_equal(verify(tok, &c), JWT_EMALFORMED);
}

static void
test_b64url_strict(void **state)
{
	unsigned char out[16];
	size_t n;
	char enc[32];

	assert_int_equal(jwt_b64url_decode("TWE", 3, out, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "Ma", 2);
	/* unused bits set: another spelling of "Ma" */
	assert_int_equal(jwt_b64url_decode("TWF", 3, out, &n), -1);
	assert_int_equal(jwt_b64url_decode("TWE=", 4, out, &n), -1);
	assert_int_equal(jwt_b64url_decode("TW+z", 4, out, &n), -1);
	assert_int_equal(jwt_b64url_decode("TW/z", 4, out, &n), -1);
	assert_int_equal(jwt_b64url_decode("TWFuT", 5, out, &n), -1);
	assert_int_equal(jwt_b64url_decode("-_-_", 4, out, &n), 0);
	assert_int_equal(
	    jwt_b64url_encode((const unsigned char *)"\xfb\xff", 2, enc), 3);
	assert_string_equal(enc, "-_8");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_vector),
	    cmocka_unit_test(test_jwtio_vector),
	    cmocka_unit_test(test_round_trip_jti),
	    cmocka_unit_test(test_round_trip_gen),
	    cmocka_unit_test(test_tampered),
	    cmocka_unit_test(test_alg),
	    cmocka_unit_test(test_time),
	    cmocka_unit_test(test_claim_types),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_b64url_strict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
