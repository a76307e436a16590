/*
 * One WebRTC viewer: its ICE credentials, the address its checks come
 * from, DTLS and SRTP, where it is in the stream's packet history, and
 * what its receiver reports say.  Nothing is queued per viewer: its
 * queue is the span of the stream's history it has not been sent yet, so
 * a viewer that cannot keep up costs no memory and delays no one; when it
 * falls too far behind it skips to the newest keyframe.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "flv.h"
#include "rtcd.h"
#include "vreport.h"

#define SESS_ICE_TIMEOUT_MS 15000 /* from the answer to a working DTLS */
#define SESS_CONSENT_MS 30000 /* no STUN check this long: gone */
#define SESS_TICK_MS 1000
#define SESS_SQUEEZE 64 /* a cached GOP plays this many times faster */
#define SESS_NACK_PER_S 1000 /* retransmissions a viewer may ask for */
#define ADDR_BUCKETS 256

static LIST_HEAD(, session) session_byaddr[ADDR_BUCKETS];
static TAILQ_HEAD(, session) session_blocked = TAILQ_HEAD_INITIALIZER(
    session_blocked);

static void session_arm(struct session *, int ms);

static unsigned
session_addr_hash(const struct sockaddr *sa)
{
	const uint8_t *p;
	size_t n, i;
	unsigned h = 2166136261u;

	if (sa->sa_family == AF_INET) {
		p = (const uint8_t *)&((const struct sockaddr_in *)sa)
		        ->sin_port;
		n = 6; /* port and address are adjacent */
	} else {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		h ^= in6->sin6_port;
		p = in6->sin6_addr.s6_addr;
		n = 16;
	}
	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h % ADDR_BUCKETS;
}

static int
session_addr_eq(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return 0;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a,
		                         *y = (const void *)b;

		return x->sin_port == y->sin_port &&
		    x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a,
		                          *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		    memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
	}
	return 0;
}

static struct session *
session_by_addr(int sock, const struct sockaddr *sa)
{
	struct session *s;

	LIST_FOREACH(s, &session_byaddr[session_addr_hash(sa)], byaddr)
		if (s->sock == sock &&
		    session_addr_eq((struct sockaddr *)&s->peer, sa))
			return s;
	return NULL;
}

static struct session *
session_by_ufrag(const char *ufrag, size_t len)
{
	struct session *s;

	TAILQ_FOREACH(s, &rtcd->sessions, all)
		if (strlen(s->ufrag) == len &&
		    memcmp(s->ufrag, ufrag, len) == 0)
			return s;
	return NULL;
}

struct session *
session_find_id(const char *id)
{
	struct session *s;

	TAILQ_FOREACH(s, &rtcd->sessions, all)
		if (strcmp(s->id, id) == 0)
			return s;
	return NULL;
}

static void
session_random(char *out, size_t n)
{
	static const char chars[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = chars[arc4random_uniform(sizeof(chars) - 1)];
	out[n] = '\0';
}

/* DTLS's datagrams go to the peer as they come */
static void
session_dtls_send(const uint8_t *p, size_t len, void *arg)
{
	struct session *s = arg;

	if (s->has_peer)
		udp_send(
		    s->sock, (struct sockaddr *)&s->peer, s->peerlen, p, len);
}

/*
 * RTX when the offer has it for our H.264 payload type; the playout-delay
 * extension when it has that and rtc_playout_delay_ms is not -1.
 */
static void
session_video_extras(struct session *s, const struct sdp_offer *o)
{
	const struct sdp_media *m;
	long long ms = conf_int(rtcd->d.conf, "rtc_playout_delay_ms");
	int i;

	s->rtx_pt = -1;
	s->rtx_seq = (uint16_t)arc4random();
	for (i = 0; i < o->nmedia; i++) {
		m = &o->media[i];
		if (m->kind != SDP_VIDEO || m->chosen < 0)
			continue;
		if (m->rtx >= 0)
			s->rtx_pt = m->codecs[m->rtx].pt;
		if (m->playout_id > 0 && ms >= 0) {
			s->playout_id = m->playout_id;
			s->playout_units = (unsigned)(ms + 9) / 10;
			s->playout_pending = 1;
		}
		break;
	}
}

struct session *
session_new(
    struct rstream *st, const struct sdp_offer *o, int video_pt, int audio_pt)
{
	struct session *s = xcalloc(1, sizeof(*s));

	s->stream = st;
	session_random(s->id, 24);
	session_random(s->ufrag, 8);
	session_random(s->pwd, 32);
	strlcpy(s->peer_ufrag, o->ufrag, sizeof(s->peer_ufrag));
	memcpy(s->fp, o->fp, o->fplen);
	s->fplen = o->fplen;
	strlcpy(s->fp_alg, o->fp_alg, sizeof(s->fp_alg));
	s->video_pt = video_pt;
	s->audio_pt = audio_pt;
	session_video_extras(s, o);
	s->state = SESS_NEW;
	s->created_ms = now_ms();
	s->sock = -1;
	strlcpy(s->addr, "-", sizeof(s->addr));
	if ((s->dtls = dtls_new(1, session_dtls_send, s)) == NULL) {
		free(s);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&rtcd->sessions, s, all);
	rtcd->nsessions++;
	rtcd->sessions_total++;
	st->viewers_total++;
	stream_attach(st, s);
	session_arm(s, SESS_TICK_MS);
	return s;
}

static void
session_send_rtcp(struct session *s, uint8_t *buf, size_t len)
{
	int n;

	if (s->srtp == NULL || !s->has_peer)
		return;
	if ((n = srtp_pair_protect(s->srtp, buf, len, 1)) > 0)
		udp_send(s->sock, (struct sockaddr *)&s->peer, s->peerlen, buf,
		    (size_t)n);
}

void
session_end(struct session *s, const char *why)
{
	uint8_t buf[64 + RTC_SRTP_TRAILER];
	size_t n;

	if (s->state == SESS_LIVE) {
		if (s->video_pt >= 0 &&
		    (n = rtcp_bye(buf, 64, s->stream->video.ssrc)) > 0)
			session_send_rtcp(s, buf, n);
		if (s->audio_pt >= 0 &&
		    (n = rtcp_bye(buf, 64, s->stream->audio.ssrc)) > 0)
			session_send_rtcp(s, buf, n);
	}
	dtls_close(s->dtls);
	log_info("viewer %s of %s (%s): ends: %s; %llu packets, %llu "
	         "retransmitted",
	    s->id, s->stream->name, s->addr, why,
	    (unsigned long long)s->packets, (unsigned long long)s->retransmits);
	vreport_end(s->vs, s->octets);
	if (s->has_peer)
		LIST_REMOVE(s, byaddr);
	if (s->is_blocked)
		TAILQ_REMOVE(&session_blocked, s, blocked);
	TAILQ_REMOVE(&rtcd->sessions, s, all);
	rtcd->nsessions--;
	stream_detach(s->stream, s);
	if (s->timer != NULL)
		event_free(s->timer);
	dtls_free(s->dtls);
	srtp_pair_free(s->srtp);
	free(s);
}

void
session_end_all(void)
{
	struct session *s;

	while ((s = TAILQ_FIRST(&rtcd->sessions)) != NULL)
		session_end(s, "rtcd stops");
}

/* sending ---------------------------------------------------------------- */

/* Where a live viewer starts: the cached GOP, squeezed, or the next key. */
static void
session_start_media(struct session *s)
{
	struct rstream *st = s->stream;
	struct track *v = &st->video;
	struct pkt *first, *last;

	s->anext = st->audio.head;
	s->vnext = v->head;
	s->waiting_key = 1;
	s->first_media_ms = 0;
	if (s->video_pt < 0)
		return;
	if (strcmp(conf_str(rtcd->d.conf, "rtc_start"), "gop") == 0 &&
	    v->has_key && (first = track_get(v, v->last_key)) != NULL &&
	    (last = track_get(v, v->head - 1)) != NULL &&
	    v->head - v->last_key < v->cap / 2) {
		s->vnext = v->last_key;
		s->waiting_key = 0;
		s->squeeze_end = v->head;
		s->squeeze_first_ts = first->ts;
		s->squeeze_last_ts = last->ts;
		s->squeezing = 1;
	}
	s->vfloor = s->vnext;
}

/*
 * A cached frame's timestamp, moved so that the GOP seems to have been
 * made SESS_SQUEEZE times faster and to end where it ends: the browser
 * decodes it at once and plays the next live frame on time, instead of
 * playing the GOP at its pace and staying that far behind for good.
 */
static uint32_t
session_ts(const struct session *s, uint64_t idx, uint32_t ts)
{
	uint32_t d;

	if (!s->squeezing || idx >= s->squeeze_end)
		return ts;
	d = s->squeeze_last_ts - ts;
	return s->squeeze_last_ts - d / SESS_SQUEEZE;
}

/*
 * Copies packet p for this viewer (its pt, timestamp, the playout-delay
 * extension; on its RTX stream when rtx) and protects it.
 */
static int
session_seal(struct session *s, const struct track *t, const struct pkt *p,
    uint64_t idx, uint8_t *out, int rtx)
{
	struct rtp_out o;
	size_t len;
	int n, video = t->kind == SDP_VIDEO;

	memset(&o, 0, sizeof(o));
	o.pt = video ? s->video_pt : s->audio_pt;
	o.ts = video && s->squeezing ? session_ts(s, idx, p->ts) : p->ts;
	/*
	 * Chromium keeps the last delay a frame carried; libwebrtc sends it
	 * on every keyframe and until a frame with it is likely delivered.
	 * Ours: on every packet of keyframes, and on all until a receiver
	 * report says a packet that had it arrived.
	 */
	if (video && s->playout_id > 0 &&
	    (s->playout_pending || (p->flags & PKT_INKEY))) {
		o.playout_id = s->playout_id;
		o.playout_min = o.playout_max = s->playout_units;
		if (!s->playout_sent) {
			s->playout_sent = 1;
			s->playout_first_seq = p->seq;
		}
	}
	if (rtx) {
		o.rtx = 1;
		o.pt = s->rtx_pt;
		o.rtx_seq = s->rtx_seq++;
		o.rtx_ssrc = t->rtx_ssrc;
	}
	if ((len = rtp_rewrite(out, RTC_MTU, p->data, p->len, &o)) == 0)
		return -1;
	if ((n = srtp_pair_protect(s->srtp, out, len, 0)) < 0)
		return -1;
	return n;
}

/* Skips a viewer that fell too far behind to the newest keyframe. */
static void
session_catch_up(struct session *s)
{
	struct track *v = &s->stream->video;

	if (s->vnext >= v->head ||
	    (v->head - s->vnext <= v->cap / 2 &&
	        track_get(v, s->vnext) != NULL))
		return;
	s->skips++;
	s->stream->skips++;
	if (v->has_key && v->last_key > s->vnext &&
	    track_get(v, v->last_key) != NULL)
		s->vnext = v->last_key;
	else {
		s->vnext = v->head;
		s->waiting_key = 1;
	}
	s->vfloor = s->vnext;
	log_info("viewer %s of %s: fell behind; skipped to a keyframe", s->id,
	    s->stream->name);
}

void
session_pump(struct session *s)
{
	static uint8_t bufs[1][RTC_MTU + RTC_SRTP_TRAILER];
	struct rstream *st = s->stream;
	struct pkt *p;
	struct track *t;
	uint64_t *next, idx;
	int n, r, which;

	if (s->state != SESS_LIVE || s->is_blocked)
		return;
	if (s->video_pt >= 0)
		session_catch_up(s);
	if (st->audio.head - s->anext > st->audio.cap / 2)
		s->anext = st->audio.head;
	for (;;) {
		/* audio first: small, and late audio is heard */
		if (s->audio_pt >= 0 && s->anext < st->audio.head) {
			t = &st->audio;
			next = &s->anext;
			which = 0;
		} else if (s->video_pt >= 0 && s->vnext < st->video.head) {
			t = &st->video;
			next = &s->vnext;
			which = 1;
		} else
			return;
		idx = *next;
		if ((p = track_get(t, idx)) == NULL) {
			(*next)++;
			continue;
		}
		if (which == 1 && s->waiting_key) {
			if (!(p->flags & PKT_KEY)) {
				(*next)++;
				s->vfloor = *next;
				continue;
			}
			s->waiting_key = 0;
		}
		if ((n = session_seal(s, t, p, idx, bufs[0], 0)) < 0) {
			(*next)++;
			continue;
		}
		r = udp_send(s->sock, (struct sockaddr *)&s->peer, s->peerlen,
		    bufs[0], (size_t)n);
		if (r == 1) {
			session_block(s);
			return;
		}
		(*next)++;
		if (r == 0) {
			s->packets++;
			s->octets += (size_t)n;
			if (which) {
				s->vpackets++;
				s->voctets += p->len - RTP_HEADER;
			} else {
				s->apackets++;
				s->aoctets += p->len - RTP_HEADER;
			}
			rtcd->packets_out++;
			rtcd->bytes_out += (size_t)n;
			s->stream->bytes_out += (size_t)n;
			if (s->first_media_ms == 0)
				s->first_media_ms = now_ms();
		}
	}
}

/* The socket is writable again: the blocked viewers go on in turn. */
void
session_writable(void)
{
	struct session *s;
	TAILQ_HEAD(, session) now = TAILQ_HEAD_INITIALIZER(now);

	TAILQ_CONCAT(&now, &session_blocked, blocked);
	while ((s = TAILQ_FIRST(&now)) != NULL) {
		TAILQ_REMOVE(&now, s, blocked);
		s->is_blocked = 0;
		session_pump(s);
	}
}

void
session_block(struct session *s)
{
	if (s->is_blocked)
		return;
	s->is_blocked = 1;
	TAILQ_INSERT_TAIL(&session_blocked, s, blocked);
	udp_want_write();
}

static void
session_resend(struct session *s, struct track *t, uint16_t seq)
{
	uint8_t buf[RTC_MTU + RTC_SRTP_TRAILER];
	struct pkt *p;
	int64_t idx;
	int n;

	if ((idx = track_index(t, seq)) < 0 ||
	    (p = track_get(t, (uint64_t)idx)) == NULL)
		return;
	/* only what it was sent, and not what it skipped */
	if (t->kind == SDP_VIDEO &&
	    ((uint64_t)idx < s->vfloor || (uint64_t)idx >= s->vnext))
		return;
	if (t->kind == SDP_AUDIO && (uint64_t)idx >= s->anext)
		return;
	/* RFC 4588 when negotiated: the browser tells resent from late */
	if ((n = session_seal(s, t, p, (uint64_t)idx, buf,
	         t->kind == SDP_VIDEO && s->rtx_pt >= 0)) < 0)
		return;
	if (udp_send(s->sock, (struct sockaddr *)&s->peer, s->peerlen, buf,
	        (size_t)n) == 0) {
		s->retransmits++;
		rtcd->retransmits++;
	}
}

/* receiving -------------------------------------------------------------- */

static void
session_rtcp(struct session *s, uint8_t *p, size_t len)
{
	struct rstream *st = s->stream;
	struct rtcp_info info;
	const char *why;
	uint64_t now;
	uint32_t mid;
	int i, n, budget;

	if ((n = srtp_pair_unprotect(s->srtp, p, len, 1)) < 0)
		return; /* a replay or garbage: not from the peer */
	if (rtcp_parse(p, (size_t)n, &info, &why) == -1) {
		log_debug("viewer %s: bad RTCP: %s", s->id, why);
		return;
	}
	s->last_rtcp_ms = now_ms();
	now = rtcp_ntp_now();
	mid = (uint32_t)(now >> 16);
	for (i = 0; i < info.nrr; i++) {
		struct rtcp_report *r = &info.rr[i];

		if (r->ssrc == st->video.ssrc) {
			s->rr_video = *r;
			/* a packet with the playout delay arrived */
			if (s->playout_pending && s->playout_sent &&
			    (int16_t)((uint16_t)r->highest_seq -
			        s->playout_first_seq) >= 0)
				s->playout_pending = 0;
		} else if (r->ssrc == st->audio.ssrc)
			s->rr_audio = *r;
		else
			continue;
		if (r->lsr != 0)
			s->rtt_ms = (double)(uint32_t)(mid - r->lsr - r->dlsr) *
			    1000.0 / 65536.0;
	}
	budget = SESS_NACK_PER_S / 10; /* per report, reports come often */
	for (i = 0; i < info.nnack && budget > 0; i++, budget--) {
		s->nacks++;
		if (info.nack_ssrc[i] == st->video.ssrc)
			session_resend(s, &st->video, info.nack[i]);
		else if (info.nack_ssrc[i] == st->audio.ssrc)
			session_resend(s, &st->audio, info.nack[i]);
	}
	/* nothing can be asked of an RTMP or SRT publisher: the next key */
	s->plis += (uint64_t)info.pli;
	s->firs += (uint64_t)info.fir;
	if (info.bye)
		log_debug("viewer %s: RTCP BYE", s->id);
}

static void
session_dtls(struct session *s, const uint8_t *p, size_t len)
{
	uint8_t tx[DTLS_SRTP_KEY], rx[DTLS_SRTP_KEY];
	const char *why = NULL;
	int r;

	if (s->state == SESS_NEW)
		s->state = SESS_DTLS;
	r = dtls_input(s->dtls, p, len, &why);
	if (r == -1) {
		session_end(s, why ? why : "DTLS failed");
		return;
	}
	if (r == 0) {
		if (s->state == SESS_DTLS)
			session_arm(s, dtls_timer(s->dtls));
		return;
	}
	if (!dtls_peer_matches(s->dtls, s->fp_alg, s->fp, s->fplen)) {
		session_end(s, "its DTLS certificate is not the offer's");
		return;
	}
	if (dtls_srtp_keys(s->dtls, tx, rx) == -1 ||
	    (s->srtp = srtp_pair_new(tx, rx)) == NULL) {
		explicit_bzero(tx, sizeof(tx));
		explicit_bzero(rx, sizeof(rx));
		session_end(s, "no SRTP keys from DTLS");
		return;
	}
	explicit_bzero(tx, sizeof(tx));
	explicit_bzero(rx, sizeof(rx));
	s->state = SESS_LIVE;
	s->connected_ms = now_ms();
	log_info("viewer %s of %s (%s): connected in %llu ms", s->id,
	    s->stream->name, s->addr,
	    (unsigned long long)(s->connected_ms - s->created_ms));
	session_start_media(s);
	session_arm(s, SESS_TICK_MS);
	session_pump(s);
}

/* A Binding request for one of our sessions; s is NULL if unknown. */
static void
session_stun(int sock, const struct sockaddr *sa, socklen_t salen,
    const uint8_t *p, size_t len, struct session *s)
{
	uint8_t out[256];
	struct stun_msg m;
	const char *why;
	size_t n, colon;

	if (stun_parse(p, len, &m, &why) == -1) {
		log_debug("STUN from %s: %s", "peer", why);
		return;
	}
	if (m.type != STUN_BINDING_REQUEST)
		return; /* indications and answers: nothing to do */
	if (m.username == NULL || m.integrity_off == 0)
		return;
	for (colon = 0; colon < m.username_len && m.username[colon] != ':';
	     colon++)
		;
	if (colon == m.username_len)
		return;
	if (s == NULL)
		s = session_by_ufrag((const char *)m.username, colon);
	else if (strlen(s->ufrag) != colon ||
	    memcmp(s->ufrag, m.username, colon) != 0)
		return;
	if (s == NULL ||
	    stun_check_integrity(p, len, &m, s->pwd, strlen(s->pwd)) == -1 ||
	    (m.fingerprint_off != 0 &&
	        stun_check_fingerprint(p, len, &m) == -1))
		return; /* not for us, or forged: no answer */
	if (m.username_len - colon - 1 != strlen(s->peer_ufrag) ||
	    memcmp(m.username + colon + 1, s->peer_ufrag,
	        m.username_len - colon - 1) != 0)
		return;
	s->last_stun_ms = now_ms();
	/* the pair the browser nominates (or the first) carries the media */
	if (!s->has_peer ||
	    (m.use_candidate &&
	        (s->sock != sock ||
	            !session_addr_eq((struct sockaddr *)&s->peer, sa)))) {
		if (s->has_peer)
			LIST_REMOVE(s, byaddr);
		memcpy(&s->peer, sa, salen);
		s->peerlen = salen;
		s->sock = sock;
		s->has_peer = 1;
		LIST_INSERT_HEAD(
		    &session_byaddr[session_addr_hash(sa)], s, byaddr);
		addr_string(sa, s->addr, sizeof(s->addr));
		log_debug("viewer %s: ICE from %s", s->id, s->addr);
		/* a viewer session from its first address on */
		if (s->vs == NULL)
			s->vs = vreport_open(
			    s->stream->name, "webrtc", s->addr, s->user_agent);
	}
	if ((n = stun_binding_response(
	         out, sizeof(out), m.txid, sa, s->pwd, NULL)) > 0)
		udp_send(sock, sa, salen, out, n);
}

void
session_input(int sock, const struct sockaddr *sa, socklen_t salen, uint8_t *p,
    size_t len)
{
	struct session *s = session_by_addr(sock, sa);

	if (len == 0)
		return;
	/* RFC 7983: the first byte says which protocol */
	if (p[0] < 4) {
		session_stun(sock, sa, salen, p, len, s);
		return;
	}
	if (s == NULL)
		return; /* not one of ours */
	if (p[0] >= 20 && p[0] <= 63)
		session_dtls(s, p, len);
	else if (p[0] >= 128 && p[0] <= 191 && s->state == SESS_LIVE &&
	    rtcp_is(p, len))
		session_rtcp(s, p, len);
}

/* timers ----------------------------------------------------------------- */

static void
session_report(struct session *s)
{
	struct rstream *st = s->stream;
	uint8_t buf[128 + RTC_SRTP_TRAILER];
	uint64_t ntp = rtcp_ntp_now();
	uint32_t lag;
	size_t n;

	s->last_sr_ntp_mid = (uint32_t)(ntp >> 16);
	if (st->clock_offset_ms == INT64_MAX)
		return;
	/*
	 * Both tracks' reports map their RTP clocks to the same NTP time,
	 * drawn from the publisher's timeline, so a browser syncs them; the
	 * audio's is moved rtc_audio_lag later, as if its sound had been
	 * made that much later, so a browser holds the picture back only
	 * for the part of the audio's delay beyond it (rtcd(8)).
	 */
	lag = (uint32_t)conf_int(rtcd->d.conf, "rtc_audio_lag") *
	    st->audio.clock / 1000;
	if (s->video_pt >= 0 &&
	    (n = rtcp_sender_report(buf, 128, st->video.ssrc, ntp,
	         stream_rtp_now(st, &st->video), (uint32_t)s->vpackets,
	         (uint32_t)s->voctets, st->name)) > 0)
		session_send_rtcp(s, buf, n);
	if (s->audio_pt >= 0 &&
	    (n = rtcp_sender_report(buf, 128, st->audio.ssrc, ntp,
	         stream_rtp_now(st, &st->audio) - lag, (uint32_t)s->apackets,
	         (uint32_t)s->aoctets, st->name)) > 0)
		session_send_rtcp(s, buf, n);
}

static void
session_tick(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	uint64_t now = now_ms();
	int ms;

	if (s->state != SESS_LIVE) {
		if (now - s->created_ms > SESS_ICE_TIMEOUT_MS) {
			rtcd->ended_timeout++;
			session_end(s,
			    s->has_peer ? "DTLS did not complete"
			                : "no ICE check came");
			return;
		}
		ms = s->state == SESS_DTLS ? dtls_timer(s->dtls) : -1;
		session_arm(s, ms > 0 && ms < SESS_TICK_MS ? ms : SESS_TICK_MS);
		return;
	}
	if (now - s->last_stun_ms > SESS_CONSENT_MS) {
		rtcd->ended_timeout++;
		session_end(s, "no ICE consent check for 30 s");
		return;
	}
	session_report(s);
	session_arm(s, SESS_TICK_MS);
}

static void
session_arm(struct session *s, int ms)
{
	struct timeval tv;

	if (ms < 0)
		ms = SESS_TICK_MS;
	if (s->timer == NULL)
		s->timer = evtimer_new(rtcd->d.base, session_tick, s);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(s->timer, &tv);
}

void
session_status(yajl_gen g, const struct session *s)
{
	static const char *states[] = {"ice", "dtls", "live", "closed"};
	uint64_t now = now_ms();

	yajl_gen_map_open(g);
	json_str(g, "id", s->id);
	json_str(g, "address", s->addr);
	json_str(g, "state", states[s->state]);
	json_int(g, "age_s", (long long)((now - s->created_ms) / 1000));
	if (s->connected_ms)
		json_int(g, "connect_ms",
		    (long long)(s->connected_ms - s->created_ms));
	json_int(g, "packets", (long long)s->packets);
	json_int(g, "bytes", (long long)s->octets);
	json_int(g, "retransmits", (long long)s->retransmits);
	json_bool(g, "rtx", s->rtx_pt >= 0);
	json_int(g, "playout_delay_ms",
	    s->playout_id > 0 ? (long long)s->playout_units * 10 : -1);
	json_int(g, "nacks", (long long)s->nacks);
	json_int(g, "plis", (long long)(s->plis + s->firs));
	json_int(g, "skips", (long long)s->skips);
	/* from the viewer's receiver reports */
	json_double(g, "loss_pct", s->rr_video.fraction_lost * 100.0 / 256);
	json_int(g, "lost", s->rr_video.lost);
	json_double(g, "jitter_ms", s->rr_video.jitter / 90.0);
	json_double(
	    g, "audio_loss_pct", s->rr_audio.fraction_lost * 100.0 / 256);
	json_double(g, "audio_jitter_ms", s->rr_audio.jitter / 48.0);
	json_double(g, "rtt_ms", s->rtt_ms);
	yajl_gen_map_close(g);
}
