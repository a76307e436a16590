/*
 * STUN for ICE-lite (RFC 5389, RFC 8445): parsing what a browser sends
 * to check connectivity and building our answers.  Every attribute is
 * bounded by the message, the message by the datagram; nothing is copied
 * or allocated.  MESSAGE-INTEGRITY is HMAC-SHA1 (OpenSSL), FINGERPRINT a
 * CRC-32 of our own table.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>

#include "flv.h"
#include "rtcd.h"

#define ATTR_MAPPED_ADDRESS 0x0001
#define ATTR_USERNAME 0x0006
#define ATTR_INTEGRITY 0x0008
#define ATTR_ERROR_CODE 0x0009
#define ATTR_XOR_MAPPED 0x0020
#define ATTR_PRIORITY 0x0024
#define ATTR_USE_CANDIDATE 0x0025
#define ATTR_SOFTWARE 0x8022
#define ATTR_FINGERPRINT 0x8028
#define ATTR_CONTROLLED 0x8029
#define ATTR_CONTROLLING 0x802A
#define FINGERPRINT_XOR 0x5354554eu
#define INTEGRITY_LEN 20

uint32_t
stun_crc32(const uint8_t *p, size_t len)
{
	static uint32_t table[256];
	uint32_t c;
	size_t i;
	int k;

	if (table[1] == 0)
		for (i = 0; i < 256; i++) {
			c = (uint32_t)i;
			for (k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	c = 0xffffffffu;
	for (i = 0; i < len; i++)
		c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

int
stun_is(const uint8_t *p, size_t len)
{
	return len >= STUN_HEADER && p[0] < 4 && be32_read(p + 4) == STUN_MAGIC;
}

static int
stun_xor_address(const uint8_t *v, size_t len, const uint8_t *txid,
    struct sockaddr_storage *out)
{
	struct sockaddr_in *in = (struct sockaddr_in *)out;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
	uint8_t cookie[16];
	int i;

	be32_write(cookie, STUN_MAGIC);
	memcpy(cookie + 4, txid, 12);
	memset(out, 0, sizeof(*out));
	if (len == 8 && v[1] == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(be16_read(v + 2) ^ (STUN_MAGIC >> 16));
		for (i = 0; i < 4; i++)
			((uint8_t *)&in->sin_addr)[i] = v[4 + i] ^ cookie[i];
		return 0;
	}
	if (len == 20 && v[1] == 2) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(be16_read(v + 2) ^ (STUN_MAGIC >> 16));
		for (i = 0; i < 16; i++)
			in6->sin6_addr.s6_addr[i] = v[4 + i] ^ cookie[i];
		return 0;
	}
	return -1;
}

int
stun_parse(const uint8_t *p, size_t len, struct stun_msg *m, const char **why)
{
	size_t off, mlen, alen;
	uint16_t type;
	const uint8_t *v;

	memset(m, 0, sizeof(*m));
	if (!stun_is(p, len)) {
		*why = "not STUN";
		return -1;
	}
	m->type = be16_read(p);
	mlen = be16_read(p + 2);
	if ((mlen & 3) != 0 || mlen + STUN_HEADER != len) {
		*why = "length does not match the datagram";
		return -1;
	}
	memcpy(m->txid, p + 8, 12);
	for (off = STUN_HEADER; off < len; off += 4 + ((alen + 3) & ~3u)) {
		if (len - off < 4) {
			*why = "truncated attribute";
			return -1;
		}
		type = be16_read(p + off);
		alen = be16_read(p + off + 2);
		if (alen > len - off - 4 ||
		    ((alen + 3) & ~3u) > len - off - 4) {
			*why = "attribute overruns the message";
			return -1;
		}
		v = p + off + 4;
		/* after FINGERPRINT nothing; after INTEGRITY only FINGERPRINT */
		if (m->fingerprint_off != 0) {
			*why = "attribute after FINGERPRINT";
			return -1;
		}
		if (m->integrity_off != 0 && type != ATTR_FINGERPRINT)
			continue; /* ignored, as RFC 5389 15.4 says */
		switch (type) {
		case ATTR_USERNAME:
			if (alen == 0 || alen >= STUN_USERNAME_MAX) {
				*why = "bad USERNAME length";
				return -1;
			}
			m->username = v;
			m->username_len = alen;
			break;
		case ATTR_INTEGRITY:
			if (alen != INTEGRITY_LEN) {
				*why = "bad MESSAGE-INTEGRITY length";
				return -1;
			}
			m->integrity_off = off;
			break;
		case ATTR_FINGERPRINT:
			if (alen != 4) {
				*why = "bad FINGERPRINT length";
				return -1;
			}
			m->fingerprint_off = off;
			m->fingerprint = be32_read(v);
			break;
		case ATTR_PRIORITY:
			if (alen != 4) {
				*why = "bad PRIORITY length";
				return -1;
			}
			m->priority = be32_read(v);
			break;
		case ATTR_USE_CANDIDATE:
			m->use_candidate = 1;
			break;
		case ATTR_CONTROLLING:
			m->controlling = alen == 8;
			break;
		case ATTR_CONTROLLED:
			m->controlled = alen == 8;
			break;
		case ATTR_ERROR_CODE:
			if (alen >= 4)
				m->error_code = (v[2] & 7) * 100 + v[3];
			break;
		case ATTR_XOR_MAPPED:
			if (stun_xor_address(v, alen, m->txid, &m->mapped) == 0)
				m->has_mapped = 1;
			break;
		default:
			if (type < 0x8000) {
				/* comprehension-required and unknown */
				*why = "unknown comprehension-required "
				       "attribute";
				return -1;
			}
		}
	}
	return 0;
}

/* HMAC-SHA1 over the message up to the attribute, length patched. */
static void
stun_hmac(const uint8_t *p, size_t upto, size_t mlen, const void *key,
    size_t keylen, uint8_t out[INTEGRITY_LEN])
{
	uint8_t buf[RTC_DGRAM_MAX];
	unsigned int n = INTEGRITY_LEN;

	memset(out, 0, INTEGRITY_LEN);
	if (upto > sizeof(buf))
		return;
	memcpy(buf, p, upto);
	be16_write(buf + 2, (uint16_t)mlen);
	HMAC(EVP_sha1(), key, (int)keylen, buf, upto, out, &n);
}

int
stun_check_integrity(const uint8_t *p, size_t len, const struct stun_msg *m,
    const void *key, size_t keylen)
{
	uint8_t mac[INTEGRITY_LEN];
	size_t off = m->integrity_off;

	if (off == 0 || off + 4 + INTEGRITY_LEN > len)
		return -1;
	/* the length as if the message ended after MESSAGE-INTEGRITY */
	stun_hmac(
	    p, off, off + 4 + INTEGRITY_LEN - STUN_HEADER, key, keylen, mac);
	return CRYPTO_memcmp(mac, p + off + 4, INTEGRITY_LEN) == 0 ? 0 : -1;
}

int
stun_check_fingerprint(const uint8_t *p, size_t len, const struct stun_msg *m)
{
	if (m->fingerprint_off == 0 || m->fingerprint_off + 8 != len)
		return -1;
	return (stun_crc32(p, m->fingerprint_off) ^ FINGERPRINT_XOR) ==
	        m->fingerprint
	    ? 0
	    : -1;
}

/* Appends an attribute; the new length, or 0 if it does not fit. */
static size_t
stun_attr(uint8_t *out, size_t cap, size_t off, uint16_t type, const void *v,
    size_t len)
{
	size_t padded = (len + 3) & ~(size_t)3;

	if (off == 0 || cap < off || cap - off < 4 + padded)
		return 0;
	be16_write(out + off, type);
	be16_write(out + off + 2, (uint16_t)len);
	if (len > 0)
		memcpy(out + off + 4, v, len);
	memset(out + off + 4 + len, 0, padded - len);
	return off + 4 + padded;
}

/* MESSAGE-INTEGRITY and FINGERPRINT at off, the header's length set. */
static size_t
stun_finish(uint8_t *out, size_t cap, size_t off, const char *pwd)
{
	uint8_t mac[INTEGRITY_LEN], crc[4];

	if (off == 0 || cap < off + 4 + INTEGRITY_LEN + 8)
		return 0;
	stun_hmac(out, off, off + 4 + INTEGRITY_LEN - STUN_HEADER, pwd,
	    strlen(pwd), mac);
	off = stun_attr(out, cap, off, ATTR_INTEGRITY, mac, INTEGRITY_LEN);
	be16_write(out + 2, (uint16_t)(off + 8 - STUN_HEADER));
	be32_write(crc, stun_crc32(out, off) ^ FINGERPRINT_XOR);
	off = stun_attr(out, cap, off, ATTR_FINGERPRINT, crc, 4);
	return off;
}

static size_t
stun_start(uint8_t *out, size_t cap, uint16_t type, const uint8_t txid[12])
{
	if (cap < STUN_HEADER)
		return 0;
	be16_write(out, type);
	be16_write(out + 2, 0);
	be32_write(out + 4, STUN_MAGIC);
	memcpy(out + 8, txid, 12);
	return STUN_HEADER;
}

size_t
stun_binding_response(uint8_t *out, size_t cap, const uint8_t txid[12],
    const struct sockaddr *peer, const char *pwd, const char *software)
{
	uint8_t v[20];
	size_t off, vlen, i;

	off = stun_start(out, cap, STUN_BINDING_SUCCESS, txid);
	if (software != NULL)
		off = stun_attr(
		    out, cap, off, ATTR_SOFTWARE, software, strlen(software));
	memset(v, 0, sizeof(v));
	if (peer->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)peer;
		uint32_t a;

		v[1] = 1;
		be16_write(v + 2, ntohs(in->sin_port) ^ (STUN_MAGIC >> 16));
		memcpy(&a, &in->sin_addr, 4);
		be32_write(v + 4, ntohl(a) ^ STUN_MAGIC);
		vlen = 8;
	} else {
		const struct sockaddr_in6 *in6 = (const void *)peer;
		uint8_t cookie[16];

		be32_write(cookie, STUN_MAGIC);
		memcpy(cookie + 4, txid, 12);
		v[1] = 2;
		be16_write(v + 2, ntohs(in6->sin6_port) ^ (STUN_MAGIC >> 16));
		for (i = 0; i < 16; i++)
			v[4 + i] = in6->sin6_addr.s6_addr[i] ^ cookie[i];
		vlen = 20;
	}
	off = stun_attr(out, cap, off, ATTR_XOR_MAPPED, v, vlen);
	return stun_finish(out, cap, off, pwd);
}

size_t
stun_binding_request(uint8_t *out, size_t cap, const uint8_t txid[12],
    const char *username, const char *pwd, uint32_t priority, int use_candidate,
    uint64_t tiebreaker)
{
	uint8_t v[8];
	size_t off;

	off = stun_start(out, cap, STUN_BINDING_REQUEST, txid);
	off =
	    stun_attr(out, cap, off, ATTR_USERNAME, username, strlen(username));
	be32_write(v, priority);
	off = stun_attr(out, cap, off, ATTR_PRIORITY, v, 4);
	be32_write(v, (uint32_t)(tiebreaker >> 32));
	be32_write(v + 4, (uint32_t)tiebreaker);
	off = stun_attr(out, cap, off, ATTR_CONTROLLING, v, 8);
	if (use_candidate)
		off = stun_attr(out, cap, off, ATTR_USE_CANDIDATE, NULL, 0);
	return stun_finish(out, cap, off, pwd);
}
