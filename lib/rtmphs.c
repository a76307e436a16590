/*
 * The RTMP digest handshake's arithmetic (rtmphs.h), as Flash Player and
 * Flash Media Server do it: a packet's digest sits at an offset its own
 * bytes give, and covers the rest of the packet.
 */
#include <sys/uio.h>

#include <stdlib.h>

#include "nyon.h"
#include "flv.h"
#include "rtmphs.h"

/* "Genuine Adobe Flash Player 001" and "... Media Server 001", then 32 bytes */
const uint8_t rtmphs_player_key[62] = "Genuine Adobe Flash Player 001"
                                      "\xF0\xEE\xC2\x4A\x80\x68\xBE\xE8"
                                      "\x2E\x00\xD0\xD1\x02\x9E\x7E\x57"
                                      "\x6E\xEC\x5D\x2D\x29\x80\x6F\xAB"
                                      "\x93\xB8\xE6\x36\xCF\xEB\x31\xAE";
const uint8_t rtmphs_server_key[68] = "Genuine Adobe Flash Media Server 001"
                                      "\xF0\xEE\xC2\x4A\x80\x68\xBE\xE8"
                                      "\x2E\x00\xD0\xD1\x02\x9E\x7E\x57"
                                      "\x6E\xEC\x5D\x2D\x29\x80\x6F\xAB"
                                      "\x93\xB8\xE6\x36\xCF\xEB\x31\xAE";

size_t
rtmphs_digest_pos(const uint8_t *pkt, size_t schema)
{
	return (pkt[schema] + pkt[schema + 1] + pkt[schema + 2] +
	           pkt[schema + 3]) %
	    728 +
	    schema + 4;
}

void
rtmphs_digest(const uint8_t *pkt, size_t pos, const uint8_t *key, size_t keylen,
    uint8_t out[RTMPHS_DIGEST_LEN])
{
	struct iovec iov[2] = {
	    {(void *)(uintptr_t)pkt, pos},
	    {(void *)(uintptr_t)(pkt + pos + RTMPHS_DIGEST_LEN),
	        RTMPHS_SIZE - pos - RTMPHS_DIGEST_LEN},
	};

	hmac_sha256v(key, keylen, iov, 2, out);
}

size_t
rtmphs_find(const uint8_t *pkt, const uint8_t *key, size_t keylen, size_t *pos)
{
	static const size_t schemas[] = {8, 772};
	uint8_t d[RTMPHS_DIGEST_LEN];
	size_t i;

	/* plain handshakes (librtmp without crypto) send a zero version */
	if (be32_read(pkt + 4) == 0)
		return 0;
	for (i = 0; i < nitems(schemas); i++) {
		*pos = rtmphs_digest_pos(pkt, schemas[i]);
		rtmphs_digest(pkt, *pos, key, keylen, d);
		if (hmac_equal(d, pkt + *pos, RTMPHS_DIGEST_LEN))
			return schemas[i];
	}
	return 0;
}

void
rtmphs_sign_reply(uint8_t reply[RTMPHS_SIZE], const uint8_t *key, size_t keylen,
    const uint8_t *peer_digest)
{
	uint8_t k[RTMPHS_DIGEST_LEN];

	arc4random_buf(reply, RTMPHS_SIZE);
	hmac_sha256(key, keylen, peer_digest, RTMPHS_DIGEST_LEN, k);
	hmac_sha256(k, sizeof(k), reply, RTMPHS_SIZE - RTMPHS_DIGEST_LEN,
	    reply + RTMPHS_SIZE - RTMPHS_DIGEST_LEN);
}
