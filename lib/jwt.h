/*
 * JSON Web Tokens, HS256 only (RFC 7519, RFC 7515).  Pure functions: the
 * caller gives the secret and the time, so tests can pin both.  The HMAC is
 * OpenSSL's; signatures are compared in constant time.
 */
#ifndef NYON_JWT_H
#define NYON_JWT_H

#include <stddef.h>
#include <stdint.h>

#define JWT_SECRET_MIN 32 /* bytes of secret we accept */
#define JWT_USER_SZ 65 /* DB_USER_MAX + NUL */
#define JWT_MAX 2048 /* longest token we issue or accept, with NUL */
#define JWT_ID_SZ 65 /* hex SHA-256 of a token, with NUL */
#define JWT_JTI_SZ 33 /* a token's unique id, with NUL */
#define JWT_SKEW 60 /* seconds an iat may lie in the future */

struct jwt_claims {
	int64_t user_id; /* "userId" */
	char username[JWT_USER_SZ]; /* "username" */
	int64_t iat, exp; /* seconds since the epoch */
	/* "jti", optional: tells apart two tokens of one user and second */
	char jti[JWT_JTI_SZ];
	/*
	 * "gen", optional (0 if absent): the user's token generation when the
	 * token was issued; a password change moves it on, which ends every
	 * older token exactly, whatever the clock says.
	 */
	int64_t gen;
};

enum jwt_result {
	JWT_OK = 0,
	JWT_EMALFORMED, /* not three strict base64url parts of JSON objects */
	JWT_EALG, /* header's alg is not HS256 ("none" included) */
	JWT_ESIG, /* signature does not match */
	JWT_ECLAIMS, /* a claim missing or of the wrong type */
	JWT_EEXPIRED, /* exp <= now */
	JWT_EFUTURE, /* iat later than now + JWT_SKEW */
};

/* Writes a token for c into out; -1 if it does not fit or c is bad. */
int jwt_sign(const void *secret, size_t secretlen, const struct jwt_claims *c,
    char *out, size_t outlen);
/* Checks header, signature and claims in that order; fills *c on JWT_OK. */
enum jwt_result jwt_verify(const void *secret, size_t secretlen,
    const char *token, int64_t now, struct jwt_claims *c);
/*
 * Header and signature only: on JWT_OK, the decoded payload (NUL-ended,
 * for the caller to free) for tokens with claims of other shapes.
 */
enum jwt_result jwt_verify_raw(const void *secret, size_t secretlen,
    const char *token, char **payload, size_t *payloadlen);
const char *jwt_strerror(enum jwt_result);
/* A token's identity for revocation lists: hex SHA-256 of the whole. */
void jwt_token_id(const char *token, char id[JWT_ID_SZ]);

/* Strict base64url without padding: -1 on any other character, a length
 * of 1 mod 4, or nonzero unused bits. */
size_t jwt_b64url_encode(const unsigned char *in, size_t len, char *out);
int jwt_b64url_decode(
    const char *in, size_t len, unsigned char *out, size_t *outlen);

#endif
