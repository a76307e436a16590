/*
 * SDP (RFC 8866) as WHEP uses it: the offer of a receiving browser is
 * read line by line into a struct sdp_offer, keeping only what we act on
 * (ICE credentials, the DTLS fingerprint and role, each m-line's codecs
 * and feedback); the answer is written from scratch, echoing nothing of
 * the offer but what was checked to be a token or a number.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rtcd.h"

#define SDP_LINE_MAX 4096

static int
sdp_fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/* ice-char: ALPHA / DIGIT / "+" / "/" */
static int
sdp_ice_chars(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s), i;

	if (n < min || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '+' && s[i] != '/')
			return 0;
	return 1;
}

static int
sdp_token(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("-_.", s[i]) == NULL)
			return 0;
	return 1;
}

/* A number in [0, max] spanning all of s up to end-of-token. */
static int
sdp_number(const char *s, long max, long *out, const char **end)
{
	char *e;
	long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	v = strtol(s, &e, 10);
	if (v < 0 || v > max)
		return -1;
	*out = v;
	if (end != NULL)
		*end = e;
	return 0;
}

static struct sdp_codec *
sdp_codec_of(struct sdp_media *m, long pt)
{
	int i;

	for (i = 0; i < m->ncodecs; i++)
		if (m->codecs[i].pt == pt)
			return &m->codecs[i];
	return NULL;
}

static int
sdp_fingerprint(struct sdp_offer *o, const char *v)
{
	const char *sp = strchr(v, ' ');
	size_t alen, n = 0;
	unsigned x;

	if (sp == NULL || (alen = (size_t)(sp - v)) == 0 ||
	    alen >= sizeof(o->fp_alg))
		return -1;
	memcpy(o->fp_alg, v, alen);
	o->fp_alg[alen] = '\0';
	for (v = sp + 1; *v != '\0'; v += 2) {
		if (n == sizeof(o->fp) || !isxdigit((unsigned char)v[0]) ||
		    !isxdigit((unsigned char)v[1]))
			return -1;
		sscanf(v, "%2x", &x);
		o->fp[n++] = (uint8_t)x;
		if (v[2] == ':')
			v++;
		else if (v[2] != '\0')
			return -1;
	}
	o->fplen = n;
	return n >= 20 ? 0 : -1;
}

static void
sdp_h264_fmtp(struct sdp_codec *c)
{
	const char *p;
	unsigned long v;

	c->pmode = 0;
	c->plid = 0;
	if ((p = strstr(c->fmtp, "packetization-mode=")) != NULL)
		c->pmode = atoi(p + 19) == 1;
	if ((p = strstr(c->fmtp, "profile-level-id=")) != NULL) {
		p += 17;
		if (strspn(p, "0123456789abcdefABCDEF") >= 6) {
			char hex[7];

			memcpy(hex, p, 6);
			hex[6] = '\0';
			v = strtoul(hex, NULL, 16);
			c->plid = (uint32_t)v;
		}
	}
}

/* rtx's apt=PT, the payload type whose packets it resends (RFC 4588) */
static void
sdp_rtx_fmtp(struct sdp_codec *c)
{
	const char *p;
	long pt;

	c->apt = -1;
	for (p = c->fmtp; (p = strstr(p, "apt=")) != NULL; p += 4)
		if ((p == c->fmtp || p[-1] == ';' || p[-1] == ' ') &&
		    sdp_number(p + 4, 127, &pt, &p) == 0 &&
		    (*p == '\0' || *p == ';' || *p == ' ')) {
			c->apt = (int)pt;
			return;
		}
}

static void
sdp_codec_fmtp(struct sdp_codec *c)
{
	if (c->id == SDP_C_H264)
		sdp_h264_fmtp(c);
	else if (c->id == SDP_C_RTX)
		sdp_rtx_fmtp(c);
}

/*
 * a=extmap:ID[/direction] URI [attributes] (RFC 8285): the id of the
 * playout-delay extension when it can go in a one-byte header (1 to 14),
 * 0 for any other extension, -1 if malformed.
 */
static int
sdp_extmap(const char *v)
{
	const char *p, *uri = SDP_URI_PLAYOUT_DELAY;
	long id;

	if (sdp_number(v, 4095, &id, &p) == -1 || id < 1)
		return -1;
	if (*p == '/')
		p += strcspn(p, " ");
	if (*p++ != ' ')
		return -1;
	if (strncmp(p, uri, strlen(uri)) != 0 ||
	    (p[strlen(uri)] != '\0' && p[strlen(uri)] != ' '))
		return 0;
	return id <= 14 ? (int)id : 0;
}

static enum sdp_codec_id
sdp_codec_id(const char *name)
{
	if (strcasecmp(name, "H264") == 0)
		return SDP_C_H264;
	if (strcasecmp(name, "H265") == 0)
		return SDP_C_H265;
	if (strcasecmp(name, "opus") == 0)
		return SDP_C_OPUS;
	if (strcasecmp(name, "rtx") == 0)
		return SDP_C_RTX;
	return SDP_C_OTHER;
}

static int
sdp_media_line(struct sdp_offer *o, const char *v, char *why, size_t whylen)
{
	struct sdp_media *m;
	char kind[16];
	const char *p;
	long port, pt;
	int n;

	if (o->nmedia == SDP_MEDIA_MAX)
		return sdp_fail(
		    why, whylen, "more than %d m-lines", SDP_MEDIA_MAX);
	m = &o->media[o->nmedia++];
	memset(m, 0, sizeof(*m));
	m->chosen = -1;
	m->rtx = -1;
	if (sscanf(v, "%15s %ld %31s%n", kind, &port, m->proto, &n) != 3 ||
	    port < 0 || port > 65535)
		return sdp_fail(why, whylen, "malformed m-line");
	m->port = (int)port;
	m->kind = strcmp(kind, "audio") == 0 ? SDP_AUDIO
	    : strcmp(kind, "video") == 0     ? SDP_VIDEO
	                                     : SDP_OTHER;
	m->recv = 1; /* sendrecv unless said otherwise */
	for (p = v + n; *p != '\0';) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		if (sdp_number(p, 127, &pt, &p) == -1 ||
		    (*p != ' ' && *p != '\0')) {
			/* application m-lines list words: not RTP */
			if (m->kind != SDP_OTHER)
				return sdp_fail(
				    why, whylen, "m-line: bad payload type");
			break;
		}
		if (m->ncodecs == SDP_CODECS_MAX)
			return sdp_fail(why, whylen,
			    "m-line: more than %d payload types",
			    SDP_CODECS_MAX);
		if (sdp_codec_of(m, pt) != NULL)
			continue;
		m->codecs[m->ncodecs].pt = (int)pt;
		m->codecs[m->ncodecs].apt = -1;
		m->ncodecs++;
	}
	return 0;
}

static int
sdp_attr(struct sdp_offer *o, struct sdp_media *m, const char *a, char *why,
    size_t whylen)
{
	const char *v = strchr(a, ':');
	char name[64];
	size_t nlen = v ? (size_t)(v - a) : strlen(a);
	struct sdp_codec *c;
	const char *p;
	long pt, clock, ch;

	if (nlen >= sizeof(name))
		return 0;
	memcpy(name, a, nlen);
	name[nlen] = '\0';
	v = v ? v + 1 : "";
	if (strcmp(name, "ice-ufrag") == 0) {
		if (!sdp_ice_chars(v, 4, 256))
			return sdp_fail(why, whylen, "bad ice-ufrag");
		if (o->ufrag[0] == '\0')
			strlcpy(o->ufrag, v, sizeof(o->ufrag));
	} else if (strcmp(name, "ice-pwd") == 0) {
		if (!sdp_ice_chars(v, 22, 256))
			return sdp_fail(why, whylen, "bad ice-pwd");
		if (o->pwd[0] == '\0')
			strlcpy(o->pwd, v, sizeof(o->pwd));
	} else if (strcmp(name, "fingerprint") == 0) {
		if (o->fplen == 0 && sdp_fingerprint(o, v) == -1)
			return sdp_fail(why, whylen, "bad fingerprint");
	} else if (strcmp(name, "setup") == 0) {
		if (!sdp_token(v, sizeof(o->setup) - 1))
			return sdp_fail(why, whylen, "bad setup");
		strlcpy(o->setup, v, sizeof(o->setup));
	} else if (strcmp(name, "extmap") == 0) {
		int id;

		if ((id = sdp_extmap(v)) == -1)
			return sdp_fail(why, whylen, "bad extmap");
		if (id > 0 && m != NULL)
			m->playout_id = id;
		else if (id > 0)
			o->playout_id = id;
	} else if (m == NULL)
		return 0;
	else if (strcmp(name, "mid") == 0) {
		if (!sdp_token(v, sizeof(m->mid) - 1))
			return sdp_fail(why, whylen,
			    "bad mid (1 to 32 of A-Z a-z 0-9 - _ .)");
		strlcpy(m->mid, v, sizeof(m->mid));
	} else if (strcmp(name, "sendonly") == 0 ||
	    strcmp(name, "inactive") == 0)
		m->recv = 0;
	else if (strcmp(name, "rtpmap") == 0) {
		if (sdp_number(v, 127, &pt, &p) == -1 || *p != ' ' ||
		    (c = sdp_codec_of(m, pt)) == NULL)
			return 0; /* not one of the m-line's: ignored */
		p++;
		nlen = strcspn(p, "/");
		if (nlen == 0 || nlen >= sizeof(c->name) || p[nlen] != '/')
			return sdp_fail(why, whylen, "bad rtpmap");
		memcpy(c->name, p, nlen);
		c->name[nlen] = '\0';
		if (sdp_number(p + nlen + 1, 1000000, &clock, &p) == -1)
			return sdp_fail(why, whylen, "bad rtpmap clock");
		c->clock = (unsigned)clock;
		c->channels = 1;
		if (*p == '/' && sdp_number(p + 1, 8, &ch, NULL) == 0)
			c->channels = (unsigned)ch;
		c->id = sdp_codec_id(c->name);
		sdp_codec_fmtp(c);
	} else if (strcmp(name, "fmtp") == 0) {
		if (sdp_number(v, 127, &pt, &p) == -1 || *p != ' ' ||
		    (c = sdp_codec_of(m, pt)) == NULL)
			return 0;
		if (strlen(p + 1) >= sizeof(c->fmtp))
			return sdp_fail(why, whylen, "fmtp too long");
		strlcpy(c->fmtp, p + 1, sizeof(c->fmtp));
		sdp_codec_fmtp(c);
	} else if (strcmp(name, "rtcp-fb") == 0) {
		int i, all = v[0] == '*';

		if (!all && (sdp_number(v, 127, &pt, &p) == -1 || *p != ' '))
			return 0;
		p = all ? v + 1 : p;
		while (*p == ' ')
			p++;
		for (i = 0; i < m->ncodecs; i++) {
			c = &m->codecs[i];
			if (!all && c->pt != pt)
				continue;
			if (strcmp(p, "nack") == 0)
				c->nack = 1;
			else if (strcmp(p, "nack pli") == 0)
				c->pli = 1;
			else if (strcmp(p, "ccm fir") == 0)
				c->fir = 1;
		}
	}
	return 0;
}

int
sdp_parse_offer(
    const char *sdp, size_t len, struct sdp_offer *o, char *why, size_t whylen)
{
	char line[SDP_LINE_MAX];
	struct sdp_media *m = NULL;
	size_t off = 0, n, i;
	int first = 1;

	memset(o, 0, sizeof(*o));
	while (off < len) {
		for (n = 0; off + n < len && sdp[off + n] != '\n'; n++)
			;
		if (n >= sizeof(line))
			return sdp_fail(why, whylen, "a line longer than %d",
			    SDP_LINE_MAX - 1);
		memcpy(line, sdp + off, n);
		off += n + 1;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		line[n] = '\0';
		if (n == 0)
			continue;
		for (i = 0; i < n; i++)
			if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
				return sdp_fail(
				    why, whylen, "control character in a line");
		if (n < 2 || line[1] != '=')
			return sdp_fail(why, whylen, "not an SDP line");
		if (first && strcmp(line, "v=0") != 0)
			return sdp_fail(why, whylen, "does not start with v=0");
		first = 0;
		if (line[0] == 'm') {
			if (sdp_media_line(o, line + 2, why, whylen) == -1)
				return -1;
			m = &o->media[o->nmedia - 1];
		} else if (line[0] == 'a' &&
		    sdp_attr(o, m, line + 2, why, whylen) == -1)
			return -1;
	}
	if (first)
		return sdp_fail(why, whylen, "empty");
	if (o->nmedia == 0)
		return sdp_fail(why, whylen, "no m-line");
	if (o->ufrag[0] == '\0' || o->pwd[0] == '\0')
		return sdp_fail(why, whylen, "no ice-ufrag or ice-pwd");
	if (o->fplen == 0)
		return sdp_fail(why, whylen, "no DTLS fingerprint");
	if (o->setup[0] != '\0' && strcmp(o->setup, "actpass") != 0 &&
	    strcmp(o->setup, "active") != 0)
		return sdp_fail(why, whylen,
		    "setup:%s: we can only be the DTLS server (passive)",
		    o->setup);
	for (i = 0; i < (size_t)o->nmedia; i++)
		if (o->media[i].mid[0] == '\0')
			return sdp_fail(
			    why, whylen, "m-line %zu has no mid", i);
	return 0;
}

/* RFC 6184 profiles by profile_idc and constraint flags. */
enum h264_class {
	H_UNKNOWN,
	H_CB, /* constrained baseline */
	H_B,
	H_E,
	H_M,
	H_CH, /* constrained high */
	H_H,
	H_H10,
	H_H422,
	H_H444,
};

static enum h264_class
sdp_h264_class(uint32_t plid)
{
	unsigned idc = (plid >> 16) & 0xff, iop = (plid >> 8) & 0xff;

	switch (idc) {
	case 66:
		return iop & 0x40 ? H_CB : H_B;
	case 77:
		return iop & 0x80 ? H_CB : H_M;
	case 88:
		return (iop & 0xc0) == 0xc0 ? H_CB : H_E;
	case 100:
		return (iop & 0x0c) == 0x0c ? H_CH : H_H;
	case 110:
		return H_H10;
	case 122:
		return H_H422;
	case 244:
		return H_H444;
	}
	return H_UNKNOWN;
}

/*
 * Whether a decoder of the offered profile decodes the stream's: the same
 * profile, or one the offered contains (constrained baseline is in all;
 * main in high; high in high 10, 4:2:2 and 4:4:4, each in the next).
 */
int
sdp_h264_compatible(uint32_t offered, uint32_t stream)
{
	enum h264_class o = sdp_h264_class(offered), s = sdp_h264_class(stream);

	if (o == H_UNKNOWN || s == H_UNKNOWN)
		return 0;
	if (o == s || s == H_CB)
		return 1;
	switch (o) {
	case H_E:
		return s == H_B;
	case H_H:
		return s == H_M || s == H_CH;
	case H_H10:
	case H_H422:
	case H_H444:
		return s == H_M || s == H_CH || s == H_H ||
		    (s >= H_H10 && s <= o);
	default:
		return 0;
	}
}

/* The rtx codec that resends pt's packets, -1 if none was offered. */
static int
sdp_rtx_of(const struct sdp_media *m, int pt)
{
	int k;

	for (k = 0; k < m->ncodecs; k++)
		if (m->codecs[k].id == SDP_C_RTX && m->codecs[k].apt == pt &&
		    m->codecs[k].clock == 90000 && m->codecs[k].pt != pt)
			return k;
	return -1;
}

/*
 * Picks each m-line's codec for what the stream carries: H.264 in a
 * profile the browser offers (packetization-mode 1), Opus.  0, or the
 * HTTP status and why.
 */
int
sdp_negotiate(struct sdp_offer *o, enum stream_video vcodec, uint32_t plid,
    int audio, int *vpt, int *apt, char *why, size_t whylen)
{
	struct sdp_media *m;
	struct sdp_codec *c;
	int i, k, best, mode0 = 0, offered_h264 = 0;

	*vpt = *apt = -1;
	for (i = 0; i < o->nmedia; i++) {
		m = &o->media[i];
		m->chosen = -1;
		m->rtx = -1;
		if (m->port == 0 || !m->recv ||
		    strcmp(m->proto, "UDP/TLS/RTP/SAVPF") != 0)
			continue;
		if (m->kind == SDP_VIDEO && *vpt < 0 && vcodec == VIDEO_H264) {
			best = -1;
			for (k = 0; k < m->ncodecs; k++) {
				c = &m->codecs[k];
				if (c->id != SDP_C_H264 || c->clock != 90000)
					continue;
				offered_h264 = 1;
				if (!sdp_h264_compatible(c->plid, plid))
					continue;
				if (!c->pmode) {
					mode0 = 1;
					continue;
				}
				/* the same profile first, else any that decodes */
				if (best < 0 ||
				    (sdp_h264_compatible(plid, c->plid) &&
				        !sdp_h264_compatible(
				            plid, m->codecs[best].plid)))
					best = k;
			}
			if (best >= 0) {
				m->chosen = best;
				*vpt = m->codecs[best].pt;
				m->rtx = sdp_rtx_of(m, *vpt);
				if (m->playout_id == 0)
					m->playout_id = o->playout_id;
			}
		} else if (m->kind == SDP_AUDIO && *apt < 0 && audio) {
			for (k = 0; k < m->ncodecs; k++)
				if (m->codecs[k].id == SDP_C_OPUS &&
				    m->codecs[k].clock == 48000) {
					m->chosen = k;
					*apt = m->codecs[k].pt;
					break;
				}
		}
	}
	if (vcodec == VIDEO_H264 && *vpt < 0) {
		if (mode0)
			snprintf(why, whylen,
			    "the offer allows only H.264 packetization-mode=0, "
			    "which cannot carry this stream's frames");
		else if (offered_h264)
			snprintf(why, whylen,
			    "the offer has no H.264 profile that decodes the "
			    "stream's (profile-level-id %06x)",
			    plid);
		else
			snprintf(why, whylen,
			    "the offer has no H.264 video to receive: the "
			    "stream is H.264");
		return 406;
	}
	if (*vpt < 0 && *apt < 0) {
		snprintf(why, whylen,
		    "nothing in the offer can carry this stream (H.264 video, "
		    "Opus audio)");
		return 406;
	}
	return 0;
}

struct sdp_out {
	char *buf;
	size_t cap, len;
	int overflow;
};

static void __attribute__((format(printf, 2, 3)))
sdp_put(struct sdp_out *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->len, w->cap - w->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= w->cap - w->len) {
		w->overflow = 1;
		return;
	}
	w->len += (size_t)n;
}

int
sdp_write_answer(char *out, size_t cap, const struct sdp_offer *o,
    const struct sdp_answer *a)
{
	struct sdp_out w = {out, cap, 0, 0};
	const struct sdp_media *m;
	const struct sdp_codec *c, *rtx;
	const char *kind;
	int i, k;

	sdp_put(&w, "v=0\r\no=- %u 2 IN IP4 127.0.0.1\r\ns=nyon\r\nt=0 0\r\n",
	    a->session_id);
	sdp_put(&w, "a=ice-lite\r\na=group:BUNDLE");
	for (i = 0; i < o->nmedia; i++)
		if (o->media[i].chosen >= 0)
			sdp_put(&w, " %s", o->media[i].mid);
	sdp_put(&w, "\r\na=msid-semantic: WMS nyon\r\n");
	for (i = 0; i < o->nmedia; i++) {
		m = &o->media[i];
		if (m->chosen < 0) {
			sdp_put(&w,
			    "m=%s 0 %s %s\r\nc=IN IP4 0.0.0.0\r\n"
			    "a=mid:%s\r\na=inactive\r\n",
			    m->kind == SDP_AUDIO       ? "audio"
			        : m->kind == SDP_VIDEO ? "video"
			                               : "application",
			    m->kind == SDP_OTHER ? "UDP/DTLS/SCTP"
			                         : "UDP/TLS/RTP/SAVPF",
			    m->kind == SDP_OTHER ? "webrtc-datachannel" : "0",
			    m->mid);
			continue;
		}
		c = &m->codecs[m->chosen];
		rtx = m->rtx >= 0 && a->rtx_ssrc[i] != 0 ? &m->codecs[m->rtx]
		                                         : NULL;
		sdp_put(&w, "m=%s 9 UDP/TLS/RTP/SAVPF %d",
		    m->kind == SDP_AUDIO ? "audio" : "video", c->pt);
		if (rtx != NULL)
			sdp_put(&w, " %d", rtx->pt);
		sdp_put(&w, "\r\n");
		sdp_put(&w, "c=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n");
		sdp_put(
		    &w, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", a->ufrag, a->pwd);
		sdp_put(&w, "a=fingerprint:sha-256 %s\r\na=setup:passive\r\n",
		    a->fingerprint);
		sdp_put(&w, "a=mid:%s\r\na=sendonly\r\na=rtcp-mux\r\n", m->mid);
		if (m->kind == SDP_VIDEO && a->playout_delay &&
		    m->playout_id > 0)
			sdp_put(&w, "a=extmap:%d %s\r\n", m->playout_id,
			    SDP_URI_PLAYOUT_DELAY);
		if (c->id == SDP_C_H264) {
			sdp_put(&w, "a=rtpmap:%d H264/90000\r\n", c->pt);
			sdp_put(&w,
			    "a=fmtp:%d level-asymmetry-allowed=1;"
			    "packetization-mode=1;profile-level-id=%06x\r\n",
			    c->pt, c->plid);
		} else {
			sdp_put(&w, "a=rtpmap:%d opus/48000/2\r\n", c->pt);
			sdp_put(&w,
			    "a=fmtp:%d minptime=10;useinbandfec=1;stereo=1;"
			    "sprop-stereo=1\r\n",
			    c->pt);
		}
		if (c->nack)
			sdp_put(&w, "a=rtcp-fb:%d nack\r\n", c->pt);
		if (c->pli)
			sdp_put(&w, "a=rtcp-fb:%d nack pli\r\n", c->pt);
		if (c->fir)
			sdp_put(&w, "a=rtcp-fb:%d ccm fir\r\n", c->pt);
		if (rtx != NULL)
			sdp_put(&w,
			    "a=rtpmap:%d rtx/90000\r\na=fmtp:%d apt=%d\r\n",
			    rtx->pt, rtx->pt, c->pt);
		kind = m->kind == SDP_AUDIO ? "audio" : "video";
		sdp_put(&w, "a=msid:nyon %s\r\n", kind);
		if (rtx != NULL)
			sdp_put(&w, "a=ssrc-group:FID %u %u\r\n", a->ssrc[i],
			    a->rtx_ssrc[i]);
		sdp_put(&w, "a=ssrc:%u cname:%s\r\na=ssrc:%u msid:nyon %s\r\n",
		    a->ssrc[i], a->cname, a->ssrc[i], kind);
		if (rtx != NULL)
			sdp_put(&w,
			    "a=ssrc:%u cname:%s\r\na=ssrc:%u msid:nyon %s\r\n",
			    a->rtx_ssrc[i], a->cname, a->rtx_ssrc[i], kind);
		for (k = 0; k < a->ncandidates; k++) {
			const char *ip = a->candidates[k];
			const char *port = strchr(ip, ' ');

			if (port == NULL)
				continue;
			sdp_put(&w,
			    "a=candidate:%d 1 udp %u %.*s %s typ host\r\n",
			    k + 1,
			    (126u << 24) | ((65535u - (unsigned)k) << 8) | 255u,
			    (int)(port - ip), ip, port + 1);
		}
		sdp_put(&w, "a=end-of-candidates\r\n");
	}
	return w.overflow ? -1 : (int)w.len;
}
