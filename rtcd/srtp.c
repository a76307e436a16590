/*
 * SRTP and SRTCP through libsrtp2, keyed from DTLS: one context for what
 * we send (retransmissions allowed: NACKs are answered with the same
 * packet) and one for what the peer sends us (its RTCP).
 */
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "rtcd.h"

struct srtp_pair {
	srtp_t tx, rx;
};

int
srtp_lib_init(void)
{
	return srtp_init() == srtp_err_status_ok ? 0 : -1;
}

static int
srtp_make(srtp_t *s, const uint8_t key[DTLS_SRTP_KEY], int outbound)
{
	srtp_policy_t p;
	uint8_t k[DTLS_SRTP_KEY];

	memset(&p, 0, sizeof(p));
	memcpy(k, key, sizeof(k));
	srtp_crypto_policy_set_rtp_default(&p.rtp);
	srtp_crypto_policy_set_rtcp_default(&p.rtcp);
	p.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	p.key = k;
	p.window_size = 1024;
	p.allow_repeat_tx = 1;
	if (srtp_create(s, &p) != srtp_err_status_ok)
		return -1;
	explicit_bzero(k, sizeof(k));
	return 0;
}

struct srtp_pair *
srtp_pair_new(const uint8_t tx[DTLS_SRTP_KEY], const uint8_t rx[DTLS_SRTP_KEY])
{
	struct srtp_pair *s = xcalloc(1, sizeof(*s));

	if (srtp_make(&s->tx, tx, 1) == -1) {
		free(s);
		return NULL;
	}
	if (srtp_make(&s->rx, rx, 0) == -1) {
		srtp_dealloc(s->tx);
		free(s);
		return NULL;
	}
	return s;
}

void
srtp_pair_free(struct srtp_pair *s)
{
	if (s == NULL)
		return;
	srtp_dealloc(s->tx);
	srtp_dealloc(s->rx);
	free(s);
}

int
srtp_pair_protect(struct srtp_pair *s, uint8_t *p, size_t len, int rtcp)
{
	int n = (int)len;

	if ((rtcp ? srtp_protect_rtcp(s->tx, p, &n)
	          : srtp_protect(s->tx, p, &n)) != srtp_err_status_ok)
		return -1;
	return n;
}

int
srtp_pair_unprotect(struct srtp_pair *s, uint8_t *p, size_t len, int rtcp)
{
	int n = (int)len;

	if ((rtcp ? srtp_unprotect_rtcp(s->rx, p, &n)
	          : srtp_unprotect(s->rx, p, &n)) != srtp_err_status_ok)
		return -1;
	return n;
}
