/*
 * The digest ("complex") RTMP handshake both ends of Nyon speak: Flash
 * Player's and Flash Media Server's keys, where a packet's digest sits,
 * and the HMAC-SHA256 that signs it.  ingestd answers it as a server,
 * fwdd starts it as a client.
 */
#ifndef RTMPHS_H
#define RTMPHS_H

#include <stddef.h>
#include <stdint.h>

#define RTMPHS_SIZE 1536 /* C1, C2, S1, S2 */
#define RTMPHS_DIGEST_LEN 32
/* C1 and S1 are signed with the text alone, the replies with the whole key */
#define RTMPHS_PLAYER_KEY_TEXT 30
#define RTMPHS_SERVER_KEY_TEXT 36

extern const uint8_t rtmphs_player_key[62];
extern const uint8_t rtmphs_server_key[68];

/* Where the digest sits, from the four bytes at schema (8 or 772). */
size_t rtmphs_digest_pos(const uint8_t *pkt, size_t schema);
/* HMAC-SHA256 of a packet without the digest bytes at pos. */
void rtmphs_digest(const uint8_t *pkt, size_t pos, const uint8_t *key,
    size_t keylen, uint8_t out[RTMPHS_DIGEST_LEN]);
/*
 * The schema whose digest, signed with key, the peer's packet carries,
 * with *pos where it sits; 0 for a plain packet.
 */
size_t rtmphs_find(
    const uint8_t *pkt, const uint8_t *key, size_t keylen, size_t *pos);
/*
 * A reply (C2, S2): random bytes signed with a key derived from the
 * peer's digest.
 */
void rtmphs_sign_reply(uint8_t reply[RTMPHS_SIZE], const uint8_t *key,
    size_t keylen, const uint8_t *peer_digest);

#endif
