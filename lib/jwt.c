/*
 * HS256 JSON Web Tokens.  The header we issue is fixed; the one we accept
 * must name HS256 and nothing else, so "none" and algorithm confusion are
 * refused before any signature is looked at.  Every part is strict
 * base64url, every JSON part an object, every claim of the right type.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nyon.h"
#include "jwt.h"

#define JWT_HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define JWT_SIG_LEN 32 /* SHA-256 */
#define JWT_SIG_B64 43 /* its base64url length */

static const char jwt_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t
jwt_b64url_encode(const unsigned char *in, size_t len, char *out)
{
	size_t i, o = 0;
	unsigned v;

	for (i = 0; i + 2 < len; i += 3) {
		v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 |
		    in[i + 2];
		out[o++] = jwt_b64[v >> 18 & 63];
		out[o++] = jwt_b64[v >> 12 & 63];
		out[o++] = jwt_b64[v >> 6 & 63];
		out[o++] = jwt_b64[v & 63];
	}
	if (len - i == 1) {
		v = (unsigned)in[i] << 16;
		out[o++] = jwt_b64[v >> 18 & 63];
		out[o++] = jwt_b64[v >> 12 & 63];
	} else if (len - i == 2) {
		v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
		out[o++] = jwt_b64[v >> 18 & 63];
		out[o++] = jwt_b64[v >> 12 & 63];
		out[o++] = jwt_b64[v >> 6 & 63];
	}
	out[o] = '\0';
	return o;
}

static int
jwt_b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* out must hold len * 3 / 4 + 1 bytes. */
int
jwt_b64url_decode(
    const char *in, size_t len, unsigned char *out, size_t *outlen)
{
	size_t i, o = 0;
	unsigned v = 0;
	int bits = 0, d;

	if (len % 4 == 1)
		return -1;
	for (i = 0; i < len; i++) {
		if ((d = jwt_b64_value((unsigned char)in[i])) == -1)
			return -1;
		v = (v << 6 | (unsigned)d) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(v >> bits);
		}
	}
	/* leftover bits must be zero, so each token has one spelling */
	if (bits > 0 && (v & ((1u << bits) - 1)) != 0)
		return -1;
	*outlen = o;
	return 0;
}

int
jwt_sign(const void *secret, size_t secretlen, const struct jwt_claims *c,
    char *out, size_t outlen)
{
	unsigned char sig[JWT_SIG_LEN];
	const unsigned char *payload;
	size_t plen, hlen, need;
	yajl_gen g;
	int rc = -1;

	if (secretlen < JWT_SECRET_MIN || c->username[0] == '\0' || c->gen < 0)
		return -1;
	if ((g = yajl_gen_alloc(NULL)) == NULL)
		return -1;
	yajl_gen_map_open(g);
	json_int(g, "userId", c->user_id);
	json_str(g, "username", c->username);
	json_int(g, "iat", c->iat);
	json_int(g, "exp", c->exp);
	if (c->jti[0] != '\0')
		json_str(g, "jti", c->jti);
	if (c->gen != 0)
		json_int(g, "gen", c->gen);
	yajl_gen_map_close(g);
	yajl_gen_get_buf(g, &payload, &plen);
	hlen = (sizeof(JWT_HEADER) - 1 + 2) / 3 * 4;
	need = hlen + 1 + (plen + 2) / 3 * 4 + 1 + JWT_SIG_B64 + 1;
	if (need > outlen)
		goto out;
	hlen = jwt_b64url_encode(
	    (const unsigned char *)JWT_HEADER, sizeof(JWT_HEADER) - 1, out);
	out[hlen] = '.';
	hlen += 1 + jwt_b64url_encode(payload, plen, out + hlen + 1);
	hmac_sha256(secret, secretlen, out, hlen, sig);
	out[hlen] = '.';
	jwt_b64url_encode(sig, sizeof(sig), out + hlen + 1);
	rc = 0;
out:
	yajl_gen_free(g);
	explicit_bzero(sig, sizeof(sig));
	return rc;
}

/* Decodes one part into a fresh NUL-ended buffer; JSON parts must hold
 * no NUL so that yajl sees all of them. */
static char *
jwt_part(const char *in, size_t len, size_t *outlen)
{
	unsigned char *buf = xmalloc(len * 3 / 4 + 1);

	if (jwt_b64url_decode(in, len, buf, outlen) == -1 ||
	    memchr(buf, '\0', *outlen) != NULL) {
		free(buf);
		return NULL;
	}
	buf[*outlen] = '\0';
	return (char *)buf;
}

static yajl_val
jwt_object(const char *text)
{
	yajl_val v = yajl_tree_parse(text, NULL, 0);

	if (v != NULL && !YAJL_IS_OBJECT(v)) {
		yajl_tree_free(v);
		return NULL;
	}
	return v;
}

enum jwt_result
jwt_verify_raw(const void *secret, size_t secretlen, const char *token,
    char **payload, size_t *payloadlen)
{
	unsigned char want[JWT_SIG_LEN], got[JWT_SIG_LEN + 3];
	const char *dot1, *dot2, *alg, *typ;
	char *header = NULL, *body = NULL;
	size_t len, hlen, glen;
	yajl_val h = NULL;
	enum jwt_result r = JWT_EMALFORMED;

	*payload = NULL;
	if (token == NULL || (len = strnlen(token, JWT_MAX)) >= JWT_MAX ||
	    (dot1 = strchr(token, '.')) == NULL ||
	    (dot2 = strchr(dot1 + 1, '.')) == NULL ||
	    strchr(dot2 + 1, '.') != NULL)
		return JWT_EMALFORMED;
	if ((header = jwt_part(token, (size_t)(dot1 - token), &hlen)) == NULL ||
	    (h = jwt_object(header)) == NULL)
		goto out;
	/* the algorithm is ours to choose, never the token's */
	alg = json_get_str(h, "alg");
	typ = json_get_str(h, "typ");
	if (alg == NULL || strcmp(alg, "HS256") != 0) {
		r = JWT_EALG;
		goto out;
	}
	if (json_get(h, "typ") != NULL && (typ == NULL || strcmp(typ, "JWT")))
		goto out;
	if (strlen(dot2 + 1) != JWT_SIG_B64 ||
	    jwt_b64url_decode(dot2 + 1, JWT_SIG_B64, got, &glen) == -1 ||
	    glen != JWT_SIG_LEN)
		goto out;
	hmac_sha256(secret, secretlen, token, (size_t)(dot2 - token), want);
	if (!hmac_equal(want, got, JWT_SIG_LEN)) {
		r = JWT_ESIG;
		goto out;
	}
	if ((body = jwt_part(
	         dot1 + 1, (size_t)(dot2 - dot1 - 1), payloadlen)) == NULL)
		goto out;
	*payload = body;
	r = JWT_OK;
out:
	yajl_tree_free(h);
	free(header);
	explicit_bzero(want, sizeof(want));
	return r;
}

/* An integer claim: JSON integers only (no 1.5, no "1"). */
static int
jwt_claim_int(yajl_val o, const char *key, int64_t *out)
{
	yajl_val v = json_get(o, key);

	if (v == NULL || !YAJL_IS_INTEGER(v))
		return -1;
	*out = YAJL_GET_INTEGER(v);
	return 0;
}

enum jwt_result
jwt_verify(const void *secret, size_t secretlen, const char *token, int64_t now,
    struct jwt_claims *c)
{
	enum jwt_result r;
	const char *user;
	char *payload;
	size_t len;
	yajl_val p, v;

	memset(c, 0, sizeof(*c));
	if ((r = jwt_verify_raw(secret, secretlen, token, &payload, &len)) !=
	    JWT_OK)
		return r;
	p = jwt_object(payload);
	free(payload);
	if (p == NULL)
		return JWT_EMALFORMED;
	r = JWT_ECLAIMS;
	user = json_get_str(p, "username");
	if ((v = json_get(p, "jti")) != NULL &&
	    (!YAJL_IS_STRING(v) ||
	        strlcpy(c->jti, v->u.string, sizeof(c->jti)) >= sizeof(c->jti)))
		goto out;
	if (json_get(p, "gen") != NULL &&
	    (jwt_claim_int(p, "gen", &c->gen) == -1 || c->gen < 0))
		goto out;
	if (jwt_claim_int(p, "userId", &c->user_id) == -1 || c->user_id <= 0 ||
	    jwt_claim_int(p, "iat", &c->iat) == -1 ||
	    jwt_claim_int(p, "exp", &c->exp) == -1 || user == NULL ||
	    *user == '\0' ||
	    strlcpy(c->username, user, sizeof(c->username)) >=
	        sizeof(c->username))
		goto out;
	if (c->exp <= now)
		r = JWT_EEXPIRED;
	else if (c->iat > now + JWT_SKEW)
		r = JWT_EFUTURE;
	else
		r = JWT_OK;
out:
	yajl_tree_free(p);
	if (r != JWT_OK)
		memset(c, 0, sizeof(*c));
	return r;
}

const char *
jwt_strerror(enum jwt_result r)
{
	switch (r) {
	case JWT_OK:
		return "ok";
	case JWT_EMALFORMED:
		return "malformed token";
	case JWT_EALG:
		return "unsupported algorithm";
	case JWT_ESIG:
		return "bad signature";
	case JWT_ECLAIMS:
		return "bad claims";
	case JWT_EEXPIRED:
		return "token expired";
	case JWT_EFUTURE:
		return "token issued in the future";
	}
	return "invalid token";
}

void
jwt_token_id(const char *token, char id[JWT_ID_SZ])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t md[SHA256_LEN];
	size_t i;

	sha256(token, strlen(token), md);
	for (i = 0; i < sizeof(md); i++) {
		id[i * 2] = hex[md[i] >> 4];
		id[i * 2 + 1] = hex[md[i] & 15];
	}
	id[sizeof(md) * 2] = '\0';
}
