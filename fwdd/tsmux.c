/*
 * FLV tags to MPEG-TS, I/O free (tsmux.h).  Each tag becomes one PES
 * (video: one access unit; audio: one AAC frame with its ADTS header) cut
 * into TS packets, which leave through the callback together, so an SRT
 * sender can put them into datagrams at once.  Timestamps are the FLV
 * ones on a 90 kHz clock, shifted by TSMUX_DELAY_MS so that the PCR
 * (the DTS without the shift) is always behind what it clocks.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nyon.h"
#include "flv.h"
#include "tsmux.h"

#define TSMUX_DELAY_MS 500
#define TSMUX_PSI_MS 500 /* PAT and PMT at least this often */
#define PID_PAT 0x0000
#define PID_PMT 0x1000
#define PID_VIDEO 0x0100
#define PID_AUDIO 0x0101
#define STREAM_H264 0x1b
#define STREAM_HEVC 0x24
#define STREAM_AAC 0x0f
#define PES_HEADER_MAX 19 /* start code, length, flags, PTS and DTS */

enum tsmux_vcodec { VCODEC_NONE, VCODEC_H264, VCODEC_HEVC };

struct tsmux_buf {
	uint8_t *data;
	size_t len, cap;
};

struct tsmux {
	tsmux_out out;
	void *arg;
	char error[160];
	struct tsmux_stats stats;

	enum tsmux_vcodec vcodec;
	uint8_t params[TSMUX_PARAMS_MAX]; /* Annex B VPS/SPS/PPS */
	size_t paramslen;
	int nalu_len; /* 1, 2 or 4 */

	int has_audio;
	uint8_t aac_profile, aac_freq, aac_chan;

	uint8_t cc[3]; /* continuity: PAT, PMT, video; audio below */
	uint8_t cc_audio;
	int pmt_version;
	int pmt_video, pmt_audio; /* what the last PMT listed */
	int psi_sent;
	uint32_t psi_ts;

	struct tsmux_buf pes; /* the PES being packetized */
	struct tsmux_buf pkts; /* packets for the callback */
};

static int tsmux_fail(struct tsmux *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static int
tsmux_fail(struct tsmux *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->error, sizeof(m->error), fmt, ap);
	va_end(ap);
	m->stats.dropped++;
	return -1;
}

struct tsmux *
tsmux_new(tsmux_out out, void *arg)
{
	struct tsmux *m;

	m = xcalloc(1, sizeof(*m));
	m->out = out;
	m->arg = arg;
	return m;
}

void
tsmux_free(struct tsmux *m)
{
	if (m == NULL)
		return;
	free(m->pes.data);
	free(m->pkts.data);
	free(m);
}

const char *
tsmux_error(const struct tsmux *m)
{
	return m->error;
}

void
tsmux_stats(const struct tsmux *m, struct tsmux_stats *st)
{
	*st = m->stats;
}

/* Room for n more bytes; sizes are bounded by the callers. */
static uint8_t *
tsmux_grow(struct tsmux_buf *b, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = b->cap ? b->cap : 4096;
		while (b->len + n > b->cap)
			b->cap *= 2;
		b->data = xreallocarray(b->data, b->cap, 1);
	}
	b->len += n;
	return b->data + b->len - n;
}

static void
tsmux_put(struct tsmux_buf *b, const void *p, size_t n)
{
	memcpy(tsmux_grow(b, n), p, n);
}

/* MPEG-2 CRC32 (polynomial 0x04c11db7, no reflection), as PSI uses. */
static uint32_t
tsmux_crc32(const uint8_t *p, size_t len)
{
	uint32_t crc = 0xffffffff;
	size_t i;
	int k;

	for (i = 0; i < len; i++) {
		crc ^= (uint32_t)p[i] << 24;
		for (k = 0; k < 8; k++)
			crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7
			                       : crc << 1;
	}
	return crc;
}

/* One packet holding a PSI section. */
static void
tsmux_section(
    struct tsmux *m, uint16_t pid, uint8_t *cc, const uint8_t *sec, size_t len)
{
	uint8_t *p = tsmux_grow(&m->pkts, TSMUX_PACKET);
	uint32_t crc = tsmux_crc32(sec, len);

	p[0] = 0x47;
	p[1] = 0x40 | pid >> 8;
	p[2] = pid & 0xff;
	p[3] = 0x10 | (*cc & 0x0f);
	(*cc)++;
	p[4] = 0; /* pointer field */
	memcpy(p + 5, sec, len);
	be32_write(p + 5 + len, crc);
	memset(p + 9 + len, 0xff, TSMUX_PACKET - 9 - len);
	m->stats.packets++;
}

static void
tsmux_psi(struct tsmux *m, uint32_t ts)
{
	uint8_t sec[64];
	size_t n;
	int video = m->vcodec != VCODEC_NONE, audio = m->has_audio;

	/* PAT: program 1 on PID_PMT */
	sec[0] = 0x00;
	be16_write(sec + 1, 0xb000 | 13);
	be16_write(sec + 3, 1); /* transport stream id */
	sec[5] = 0xc1; /* version 0, current */
	sec[6] = sec[7] = 0;
	be16_write(sec + 8, 1);
	be16_write(sec + 10, 0xe000 | PID_PMT);
	tsmux_section(m, PID_PAT, &m->cc[0], sec, 12);

	if (m->psi_sent && (video != m->pmt_video || audio != m->pmt_audio))
		m->pmt_version = (m->pmt_version + 1) & 0x1f;
	m->pmt_video = video;
	m->pmt_audio = audio;
	n = 12;
	sec[0] = 0x02;
	be16_write(sec + 3, 1); /* program number */
	sec[5] = 0xc1 | m->pmt_version << 1;
	sec[6] = sec[7] = 0;
	be16_write(sec + 8, 0xe000 | (video || !audio ? PID_VIDEO : PID_AUDIO));
	be16_write(sec + 10, 0xf000); /* no program info */
	if (video) {
		sec[n] = m->vcodec == VCODEC_H264 ? STREAM_H264 : STREAM_HEVC;
		be16_write(sec + n + 1, 0xe000 | PID_VIDEO);
		be16_write(sec + n + 3, 0xf000);
		n += 5;
	}
	if (audio) {
		sec[n] = STREAM_AAC;
		be16_write(sec + n + 1, 0xe000 | PID_AUDIO);
		be16_write(sec + n + 3, 0xf000);
		n += 5;
	}
	be16_write(sec + 1, 0xb000 | (uint16_t)(n - 3 + 4));
	tsmux_section(m, PID_PMT, &m->cc[1], sec, n);
	m->psi_sent = 1;
	m->psi_ts = ts;
}

/*
 * PAT and PMT go first, on keyframes (where a receiver may start), when
 * the streams change (a receiver ignores a PID no PMT lists) and twice a
 * second.
 */
static int
tsmux_psi_due(const struct tsmux *m, uint32_t ts, int key)
{
	return !m->psi_sent || key ||
	    m->pmt_video != (m->vcodec != VCODEC_NONE) ||
	    m->pmt_audio != m->has_audio ||
	    (int32_t)(ts - m->psi_ts) >= TSMUX_PSI_MS;
}

static void
tsmux_timestamp(uint8_t *p, int prefix, uint64_t t)
{
	t &= 0x1ffffffffULL;
	p[0] = (uint8_t)(prefix << 4 | ((t >> 29) & 0x0e) | 1);
	p[1] = (uint8_t)(t >> 22);
	p[2] = (uint8_t)(((t >> 14) & 0xfe) | 1);
	p[3] = (uint8_t)(t >> 7);
	p[4] = (uint8_t)(((t << 1) & 0xfe) | 1);
}

/*
 * Fills the PES header in front of m->pes (PES_HEADER_MAX bytes were
 * reserved) and returns where the PES starts.
 */
static uint8_t *
tsmux_pes_header(struct tsmux *m, uint8_t stream_id, uint64_t pts, uint64_t dts,
    int with_dts, int bounded)
{
	size_t hl = with_dts ? 19 : 14, body = m->pes.len - PES_HEADER_MAX;
	uint8_t *h = m->pes.data + PES_HEADER_MAX - hl;
	size_t pes_len = hl - 6 + body;

	h[0] = h[1] = 0;
	h[2] = 1;
	h[3] = stream_id;
	be16_write(h + 4, bounded && pes_len <= 0xffff ? (uint16_t)pes_len : 0);
	h[6] = 0x80; /* marker bits, nothing scrambled */
	h[7] = with_dts ? 0xc0 : 0x80;
	h[8] = (uint8_t)(hl - 9);
	tsmux_timestamp(h + 9, with_dts ? 3 : 2, pts);
	if (with_dts)
		tsmux_timestamp(h + 14, 1, dts);
	return h;
}

/* Cuts a PES into packets on pid, with a PCR in the first if asked. */
static void
tsmux_packetize(struct tsmux *m, uint16_t pid, uint8_t *cc, const uint8_t *pes,
    size_t len, int pcr, uint64_t pcr_base, int rai)
{
	uint8_t *p;
	size_t af, space, n, off = 0;
	int first = 1;

	while (off < len) {
		p = tsmux_grow(&m->pkts, TSMUX_PACKET);
		m->stats.packets++;
		p[0] = 0x47;
		p[1] = (first ? 0x40 : 0) | pid >> 8;
		p[2] = pid & 0xff;
		af = 0; /* adaptation field bytes, its length byte included */
		if (first && (pcr || rai)) {
			af = 2 + (pcr ? 6 : 0);
			p[4] = (uint8_t)(af - 1);
			p[5] = (rai ? 0x40 : 0) | (pcr ? 0x10 : 0);
			if (pcr) {
				p[6] = (uint8_t)(pcr_base >> 25);
				p[7] = (uint8_t)(pcr_base >> 17);
				p[8] = (uint8_t)(pcr_base >> 9);
				p[9] = (uint8_t)(pcr_base >> 1);
				p[10] = (uint8_t)((pcr_base & 1) << 7 | 0x7e);
				p[11] = 0;
			}
		}
		space = TSMUX_PACKET - 4 - af;
		n = len - off;
		if (n < space) {
			/* the last packet: its adaptation field stuffs the rest */
			size_t stuff;

			if (af == 0) {
				af = 1;
				p[4] = 0;
				if (TSMUX_PACKET - 4 - af - n >= 1) {
					p[5] = 0;
					af = 2;
				}
			}
			stuff = TSMUX_PACKET - 4 - af - n;
			memset(p + 4 + af, 0xff, stuff);
			af += stuff;
			p[4] = (uint8_t)(af - 1);
			space = n;
		}
		p[3] = (af > 0 ? 0x30 : 0x10) | (*cc & 0x0f);
		(*cc)++;
		memcpy(p + 4 + af, pes + off, space);
		off += space;
		first = 0;
	}
}

static void
tsmux_flush(struct tsmux *m)
{
	if (m->pkts.len > 0 && m->out != NULL)
		m->out(m->arg, m->pkts.data, m->pkts.len);
	m->pkts.len = 0;
}

/* Video. */

static void
tsmux_param(struct tsmux *m, const uint8_t *nal, size_t len, int *ok)
{
	static const uint8_t sc[4] = {0, 0, 0, 1};

	if (m->paramslen + sizeof(sc) + len > sizeof(m->params)) {
		*ok = 0;
		return;
	}
	memcpy(m->params + m->paramslen, sc, sizeof(sc));
	memcpy(m->params + m->paramslen + sizeof(sc), nal, len);
	m->paramslen += sizeof(sc) + len;
}

/* count (16-bit length, bytes) NAL units at *off into the parameters. */
static int
tsmux_nalus(struct tsmux *m, const uint8_t *b, size_t len, size_t *off,
    unsigned count, int *ok)
{
	size_t n;

	while (count-- > 0) {
		if (len - *off < 2)
			return -1;
		n = be16_read(b + *off);
		*off += 2;
		if (len - *off < n)
			return -1;
		if (n > 0)
			tsmux_param(m, b + *off, n, ok);
		*off += n;
	}
	return 0;
}

static int
tsmux_avcc(struct tsmux *m, const uint8_t *b, size_t len)
{
	size_t off = 6;
	int ok = 1;

	if (len < 7 || b[0] != 1)
		return tsmux_fail(m, "malformed AVC sequence header");
	m->paramslen = 0;
	m->nalu_len = (b[4] & 3) + 1;
	if (tsmux_nalus(m, b, len, &off, b[5] & 0x1f, &ok) == -1 || off >= len)
		return tsmux_fail(m, "malformed AVC sequence header");
	off++;
	if (tsmux_nalus(m, b, len, &off, b[off - 1], &ok) == -1)
		return tsmux_fail(m, "malformed AVC sequence header");
	if (!ok)
		return tsmux_fail(
		    m, "AVC parameter sets over %d bytes", TSMUX_PARAMS_MAX);
	return 0;
}

static int
tsmux_hvcc(struct tsmux *m, const uint8_t *b, size_t len)
{
	size_t off = 23;
	unsigned narrays;
	int ok = 1;

	if (len < 23 || b[0] != 1)
		return tsmux_fail(m, "malformed HEVC sequence header");
	m->paramslen = 0;
	m->nalu_len = (b[21] & 3) + 1;
	for (narrays = b[22]; narrays > 0; narrays--) {
		if (len - off < 3)
			return tsmux_fail(m, "malformed HEVC sequence header");
		off += 3;
		if (tsmux_nalus(m, b, len, &off, be16_read(b + off - 2), &ok) ==
		    -1)
			return tsmux_fail(m, "malformed HEVC sequence header");
	}
	if (!ok)
		return tsmux_fail(
		    m, "HEVC parameter sets over %d bytes", TSMUX_PARAMS_MAX);
	return 0;
}

static int
tsmux_video_config(
    struct tsmux *m, enum tsmux_vcodec codec, const uint8_t *b, size_t len)
{
	int r;

	r = codec == VCODEC_H264 ? tsmux_avcc(m, b, len)
	                         : tsmux_hvcc(m, b, len);
	if (r == -1) {
		m->vcodec = VCODEC_NONE;
		return -1;
	}
	if (m->nalu_len == 3) {
		m->vcodec = VCODEC_NONE;
		return tsmux_fail(m, "NAL unit length size of 3");
	}
	m->vcodec = codec;
	return 0;
}

static int
tsmux_is_param(enum tsmux_vcodec codec, uint8_t h)
{
	int t = codec == VCODEC_H264 ? h & 0x1f : (h >> 1) & 0x3f;

	return codec == VCODEC_H264 ? t == 7 || t == 8 : t >= 32 && t <= 34;
}

static int
tsmux_is_aud(enum tsmux_vcodec codec, uint8_t h)
{
	return codec == VCODEC_H264 ? (h & 0x1f) == 9 : ((h >> 1) & 0x3f) == 35;
}

static int
tsmux_video_frame(struct tsmux *m, uint32_t ts, int32_t cts, int key,
    const uint8_t *b, size_t len)
{
	static const uint8_t aud_h264[6] = {0, 0, 0, 1, 0x09, 0xf0};
	static const uint8_t aud_hevc[7] = {0, 0, 0, 1, 0x46, 0x01, 0x50};
	static const uint8_t sc[4] = {0, 0, 0, 1};
	size_t off, n, i, params_at;
	uint64_t dts, pts;
	uint8_t *h;
	int has_params = 0;

	if (m->vcodec == VCODEC_NONE)
		return tsmux_fail(m, "video before its sequence header");
	m->pes.len = 0;
	tsmux_grow(&m->pes, PES_HEADER_MAX);
	if (m->vcodec == VCODEC_H264)
		tsmux_put(&m->pes, aud_h264, sizeof(aud_h264));
	else
		tsmux_put(&m->pes, aud_hevc, sizeof(aud_hevc));
	params_at = m->pes.len;
	for (off = 0; off < len; off += n) {
		if (len - off < (size_t)m->nalu_len)
			return tsmux_fail(m, "truncated NAL unit length");
		for (n = 0, i = 0; i < (size_t)m->nalu_len; i++)
			n = n << 8 | b[off + i];
		off += m->nalu_len;
		if (n > len - off)
			return tsmux_fail(
			    m, "NAL unit past the end of the tag");
		if (n == 0 || tsmux_is_aud(m->vcodec, b[off]))
			continue;
		if (tsmux_is_param(m->vcodec, b[off]))
			has_params = 1;
		if (m->pes.len + sizeof(sc) + n > TSMUX_PES_MAX)
			return tsmux_fail(
			    m, "access unit over %d bytes", TSMUX_PES_MAX);
		tsmux_put(&m->pes, sc, sizeof(sc));
		tsmux_put(&m->pes, b + off, n);
	}
	if (key && !has_params && m->paramslen > 0) {
		/* decoders joining here need the parameter sets in band */
		tsmux_grow(&m->pes, m->paramslen);
		memmove(m->pes.data + params_at + m->paramslen,
		    m->pes.data + params_at,
		    m->pes.len - params_at - m->paramslen);
		memcpy(m->pes.data + params_at, m->params, m->paramslen);
	}
	if (tsmux_psi_due(m, ts, key))
		tsmux_psi(m, ts);
	dts = (uint64_t)(ts + (uint64_t)TSMUX_DELAY_MS) * 90;
	pts = cts > 0 ? dts + (uint64_t)cts * 90 : dts;
	h = tsmux_pes_header(m, 0xe0, pts, dts, pts != dts, 0);
	tsmux_packetize(m, PID_VIDEO, &m->cc[2], h,
	    m->pes.len - (h - m->pes.data), 1, (uint64_t)ts * 90, key);
	m->stats.video_frames++;
	tsmux_flush(m);
	return 0;
}

static int
tsmux_video(struct tsmux *m, uint32_t ts, const uint8_t *b, size_t len)
{
	enum tsmux_vcodec codec;
	int key, pkt;
	int32_t cts = 0;
	uint32_t fourcc;

	if (len < 5)
		return tsmux_fail(m, "short video tag");
	if (b[0] & 0x80) {
		/* enhanced RTMP: frame type, packet type, FourCC */
		key = ((b[0] >> 4) & 7) == 1;
		pkt = b[0] & 0x0f;
		fourcc = be32_read(b + 1);
		if (fourcc == FLV_FOURCC_AVC)
			codec = VCODEC_H264;
		else if (fourcc == FLV_FOURCC_HEVC)
			codec = VCODEC_HEVC;
		else
			return tsmux_fail(m,
			    "video codec 0x%08x cannot go over SRT (H.264 and "
			    "HEVC can)",
			    fourcc);
		switch (pkt) {
		case 0: /* SequenceStart */
			return tsmux_video_config(m, codec, b + 5, len - 5);
		case 1: /* CodedFrames: composition time first */
			if (len < 8)
				return tsmux_fail(m, "short video tag");
			cts = (int32_t)(be24_read(b + 5) << 8) >> 8;
			b += 8;
			len -= 8;
			break;
		case 3: /* CodedFramesX: no composition time */
			b += 5;
			len -= 5;
			break;
		default: /* SequenceEnd, metadata, multitrack: nothing to mux */
			return 0;
		}
	} else {
		key = b[0] >> 4 == 1;
		switch (b[0] & 0x0f) {
		case 7:
			codec = VCODEC_H264;
			break;
		case 12:
			codec = VCODEC_HEVC;
			break;
		default:
			return tsmux_fail(m,
			    "video codec %d cannot go over SRT (H.264 and HEVC "
			    "can)",
			    b[0] & 0x0f);
		}
		if (b[1] == 0)
			return tsmux_video_config(m, codec, b + 5, len - 5);
		if (b[1] != 1)
			return 0; /* end of sequence */
		cts = (int32_t)(be24_read(b + 2) << 8) >> 8;
		b += 5;
		len -= 5;
	}
	if (m->vcodec == VCODEC_NONE)
		return tsmux_fail(m, "video before its sequence header");
	if (codec != m->vcodec)
		return tsmux_fail(m,
		    "video frame of another codec than the "
		    "sequence header's");
	return tsmux_video_frame(m, ts, cts, key, b, len);
}

/* Audio. */

struct tsmux_bits {
	const uint8_t *p;
	size_t len, pos; /* in bits */
};

static int
tsmux_bits(struct tsmux_bits *br, int n, unsigned *v)
{
	*v = 0;
	while (n-- > 0) {
		if (br->pos >= br->len * 8)
			return -1;
		*v = *v << 1 | ((br->p[br->pos / 8] >> (7 - br->pos % 8)) & 1);
		br->pos++;
	}
	return 0;
}

static int
tsmux_aot(struct tsmux_bits *br, unsigned *aot)
{
	unsigned ext;

	if (tsmux_bits(br, 5, aot) == -1)
		return -1;
	if (*aot == 31) {
		if (tsmux_bits(br, 6, &ext) == -1)
			return -1;
		*aot = 32 + ext;
	}
	return 0;
}

/* An AudioSpecificConfig, as far as ADTS can say it. */
static int
tsmux_asc(struct tsmux *m, const uint8_t *b, size_t len)
{
	struct tsmux_bits br = {b, len, 0};
	unsigned aot, freq, chan, ext;

	if (tsmux_aot(&br, &aot) == -1 || tsmux_bits(&br, 4, &freq) == -1 ||
	    freq == 15 || tsmux_bits(&br, 4, &chan) == -1)
		return tsmux_fail(
		    m, "AAC configuration ADTS cannot carry (explicit rate)");
	if (aot == 5 || aot == 29) {
		/* HE-AAC: ADTS carries the core AAC, decoders find SBR */
		if (tsmux_bits(&br, 4, &ext) == -1 ||
		    (ext == 15 && tsmux_bits(&br, 24, &ext) == -1) ||
		    tsmux_aot(&br, &aot) == -1)
			return tsmux_fail(m, "malformed AAC configuration");
	}
	if (aot < 1 || aot > 4)
		return tsmux_fail(
		    m, "AAC object type %u cannot go in ADTS", aot);
	if (chan == 0 || chan > 7)
		return tsmux_fail(m, "AAC channel configuration %u", chan);
	m->aac_profile = (uint8_t)(aot - 1);
	m->aac_freq = (uint8_t)freq;
	m->aac_chan = (uint8_t)chan;
	m->has_audio = 1;
	return 0;
}

static int
tsmux_audio_frame(struct tsmux *m, uint32_t ts, const uint8_t *b, size_t len)
{
	size_t flen = len + 7;
	uint8_t adts[7], *h;
	uint64_t pts;

	if (!m->has_audio)
		return tsmux_fail(m, "audio before its sequence header");
	if (len == 0)
		return 0;
	if (flen > 0x1fff)
		return tsmux_fail(m, "AAC frame of %zu bytes", len);
	adts[0] = 0xff;
	adts[1] = 0xf1; /* MPEG-4, no CRC */
	adts[2] = (uint8_t)(m->aac_profile << 6 | m->aac_freq << 2 |
	    m->aac_chan >> 2);
	adts[3] = (uint8_t)((m->aac_chan & 3) << 6 | flen >> 11);
	adts[4] = (uint8_t)(flen >> 3);
	adts[5] = (uint8_t)((flen & 7) << 5 | 0x1f);
	adts[6] = 0xfc;
	m->pes.len = 0;
	tsmux_grow(&m->pes, PES_HEADER_MAX);
	tsmux_put(&m->pes, adts, sizeof(adts));
	tsmux_put(&m->pes, b, len);
	if (tsmux_psi_due(m, ts, 0))
		tsmux_psi(m, ts);
	pts = (uint64_t)(ts + (uint64_t)TSMUX_DELAY_MS) * 90;
	h = tsmux_pes_header(m, 0xc0, pts, pts, 0, 1);
	/* without video, audio carries the clock */
	tsmux_packetize(m, PID_AUDIO, &m->cc_audio, h,
	    m->pes.len - (h - m->pes.data), m->vcodec == VCODEC_NONE,
	    (uint64_t)ts * 90, m->vcodec == VCODEC_NONE);
	m->stats.audio_frames++;
	tsmux_flush(m);
	return 0;
}

static int
tsmux_audio(struct tsmux *m, uint32_t ts, const uint8_t *b, size_t len)
{
	int format = b[0] >> 4;

	if (format == 10) { /* AAC */
		if (len < 2)
			return tsmux_fail(m, "short AAC tag");
		if (b[1] == 0)
			return tsmux_asc(m, b + 2, len - 2);
		return tsmux_audio_frame(m, ts, b + 2, len - 2);
	}
	if (format == 9) { /* enhanced RTMP: packet type, FourCC */
		if (len < 5)
			return tsmux_fail(m, "short audio tag");
		if (memcmp(b + 1, "mp4a", 4) != 0)
			return tsmux_fail(m,
			    "audio codec 0x%08x cannot go over SRT (AAC can)",
			    be32_read(b + 1));
		if ((b[0] & 0x0f) == 0)
			return tsmux_asc(m, b + 5, len - 5);
		if ((b[0] & 0x0f) == 1)
			return tsmux_audio_frame(m, ts, b + 5, len - 5);
		return 0;
	}
	return tsmux_fail(
	    m, "audio format %d cannot go over SRT (AAC can)", format);
}

int
tsmux_tag(struct tsmux *m, uint8_t type, uint32_t timestamp,
    const uint8_t *body, size_t len)
{
	m->pkts.len = 0;
	if (len == 0)
		return 0;
	switch (type) {
	case FLV_TAG_VIDEO:
		return tsmux_video(m, timestamp, body, len);
	case FLV_TAG_AUDIO:
		return tsmux_audio(m, timestamp, body, len);
	}
	return 0; /* script data has no place in this TS */
}
