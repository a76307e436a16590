/*
 * SHA-256 and HMAC-SHA256 (RFC 2104) over libmd, for the RTMP digest
 * handshake and JWT signatures.  libmd comes with libbsd; OpenSSL's
 * libcrypto would cost each daemon that maps it 1.4 MiB of RSS for
 * two 32-byte digests.
 */
#include <sys/uio.h>
#include <string.h>

#include <sha2.h>

#include "nyon.h"

void
sha256(const void *data, size_t len, uint8_t out[SHA256_LEN])
{
	SHA2_CTX c;

	SHA256Init(&c);
	SHA256Update(&c, data, len);
	SHA256Final(out, &c);
	explicit_bzero(&c, sizeof(c));
}

void
hmac_sha256v(const void *key, size_t keylen, const struct iovec *iov,
    int iovcnt, uint8_t out[SHA256_LEN])
{
	uint8_t k[SHA256_BLOCK_LENGTH], pad[SHA256_BLOCK_LENGTH];
	SHA2_CTX c;
	int i;

	/* a key longer than a block is replaced by its digest */
	memset(k, 0, sizeof(k));
	if (keylen > sizeof(k))
		sha256(key, keylen, k);
	else if (keylen > 0)
		memcpy(k, key, keylen);

	for (i = 0; i < (int)sizeof(pad); i++)
		pad[i] = k[i] ^ 0x36;
	SHA256Init(&c);
	SHA256Update(&c, pad, sizeof(pad));
	for (i = 0; i < iovcnt; i++)
		SHA256Update(&c, iov[i].iov_base, iov[i].iov_len);
	SHA256Final(out, &c);

	for (i = 0; i < (int)sizeof(pad); i++)
		pad[i] = k[i] ^ 0x5c;
	SHA256Init(&c);
	SHA256Update(&c, pad, sizeof(pad));
	SHA256Update(&c, out, SHA256_LEN);
	SHA256Final(out, &c);

	explicit_bzero(k, sizeof(k));
	explicit_bzero(pad, sizeof(pad));
	explicit_bzero(&c, sizeof(c));
}

void
hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
    uint8_t out[SHA256_LEN])
{
	struct iovec iov = {(void *)(uintptr_t)data, len};

	hmac_sha256v(key, keylen, &iov, 1, out);
}

/* 1 when equal; the time taken does not depend on where they differ. */
int
hmac_equal(const void *a, const void *b, size_t len)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;
	size_t i;

	for (i = 0; i < len; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}
