/*
 * MPEG-TS demuxer: an SRT publisher's transport stream in, FLV tag bodies
 * out.  PAT and PMT pick one program's first H.264/HEVC and AAC streams; PES
 * packets are reassembled (bounded) and turned into AVCC/HVCC video frames
 * and raw AAC frames with their sequence headers.
 *
 * A continuity counter gap drops the PES it broke and, for video, every frame
 * up to the next keyframe, so a viewer never sees a damaged GOP.  The demuxer
 * never trusts a length: garbage costs at most TS_PES_MAX bytes per stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nyon.h"
#include "nal.h"
#include "ts.h"

#define TS_SECTION_MAX 1024 /* 3-byte header + section_length <= 1021 */
#define TS_MASK33 ((1ULL << 33) - 1)
/* A timestamp moving more than this is an encoder restart, not time passing. */
#define TS_JUMP_MAX (10 * 90000LL)
#define TS_CTS_MAX 0x7fffff
#define TS_CONFIG_MAX (64 + 3 * NAL_PARAM_MAX)
#define TS_VIDEO_HDR 8 /* room for the largest FLV video header */

enum ts_codec {
	TS_NONE,
	TS_H264,
	TS_HEVC,
	TS_AAC,
};

/* Parameter set slots; H.264 leaves the VPS one empty. */
enum { TS_VPS, TS_SPS, TS_PPS, TS_NPARAM };

struct ts_psi {
	uint8_t buf[TS_SECTION_MAX];
	size_t len;
	size_t need; /* whole section length once the header is in */
	int active;
	int cc;
};

struct ts_stream {
	uint16_t pid; /* 0 when nothing is mapped */
	enum ts_codec codec;
	int cc; /* last continuity counter, -1 unknown */

	/* The PES being reassembled. */
	uint8_t *buf;
	size_t len, cap;
	int active;
	size_t pes_len; /* 6 + PES_packet_length, 0 for unbounded */
	size_t hdr_len; /* PES header bytes once parsed, else 0 */
	int has_pts;
	int64_t pts, dts; /* unwrapped 90 kHz */

	int64_t next; /* timestamp for a PES without one */
	int have_next;
	uint32_t last_ms; /* output timestamps never go back */
	int have_last;
	int need_key; /* video: drop until an IRAP/IDR */
	int logged_cc, logged_big, logged_blocks;

	uint8_t param[TS_NPARAM][NAL_PARAM_MAX];
	size_t param_len[TS_NPARAM];
	uint8_t config[TS_CONFIG_MAX]; /* last sequence header body sent */
	size_t config_len;

	uint8_t *out; /* tag body scratch */
	size_t outcap;
};

struct ts_demux {
	ts_tag_cb cb;
	void *arg;

	uint8_t pkt[TS_PACKET_SIZE];
	size_t pktlen;
	size_t unsynced; /* bytes skipped since sync was last solid */
	int lockstep; /* packets in a row without skipping */
	int failed;
	char err[128];

	int program; /* program_number from the PAT, -1 none */
	uint16_t pmt_pid; /* 0 none */
	int pmt_version; /* -1 none applied */
	struct ts_psi pat, pmt;
	struct ts_stream video, audio;
	uint8_t skip_logged[8192 / 8];

	int clock_set;
	uint64_t clock_raw; /* last 33-bit timestamp seen */
	int64_t clock_ext; /* the same, unwrapped, 0 = first seen */

	struct ts_stats stats;
};

static const uint32_t ts_aac_rates[13] = {96000, 88200, 64000, 48000, 44100,
    32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350};

static uint32_t
ts_crc32(const uint8_t *p, size_t len)
{
	uint32_t crc = 0xffffffff;
	size_t i;
	int bit;

	for (i = 0; i < len; i++) {
		crc ^= (uint32_t)p[i] << 24;
		for (bit = 0; bit < 8; bit++)
			crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7
			                       : crc << 1;
	}
	return crc;
}

static uint16_t
ts_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
ts_put_si24(uint8_t *p, int32_t v)
{
	p[0] = (uint32_t)v >> 16;
	p[1] = (uint32_t)v >> 8;
	p[2] = (uint32_t)v;
}

static void
ts_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* Grows a scratch buffer; callers bound need by TS_PES_MAX first. */
static void
ts_reserve(uint8_t **buf, size_t *cap, size_t need)
{
	size_t n = *cap ? *cap : 4096;

	if (need <= *cap)
		return;
	while (n < need)
		n *= 2;
	if (n > TS_PES_MAX)
		n = need; /* past the PES limit, no slack */
	*buf = xreallocarray(*buf, 1, n);
	*cap = n;
}

/*
 * Places a 33-bit timestamp on the shared timeline: unwrapped against the
 * last one seen on any stream, with encoder restarts folded away so the
 * output keeps going forward.
 */
static int64_t
ts_clock(struct ts_demux *d, uint64_t raw)
{
	int64_t delta;

	if (!d->clock_set) {
		d->clock_set = 1;
		d->clock_raw = raw;
		d->clock_ext = 0;
		return 0;
	}
	delta = (int64_t)((raw - d->clock_raw) & TS_MASK33);
	if (delta >= (1LL << 32))
		delta -= 1LL << 33;
	if (delta > TS_JUMP_MAX || delta < -TS_JUMP_MAX) {
		log_warnx("ts: timestamp jumped %lld ms, keeping the timeline",
		    (long long)(delta / 90));
		delta = 0;
	}
	d->clock_raw = raw;
	d->clock_ext += delta;
	return d->clock_ext;
}

static int64_t
ts_ms(int64_t ticks)
{
	return ticks >= 0 ? ticks / 90 : -((-ticks + 89) / 90);
}

/* A track's output time: never negative, never before its previous tag. */
static uint32_t
ts_track_time(struct ts_stream *st, int64_t ticks)
{
	int64_t ms = ts_ms(ticks);

	if (ms < 0)
		ms = 0;
	if (st->have_last && ms < (int64_t)st->last_ms)
		ms = st->last_ms;
	st->last_ms = (uint32_t)ms;
	st->have_last = 1;
	return st->last_ms;
}

static const char *
ts_codec_name(enum ts_codec codec)
{
	switch (codec) {
	case TS_H264:
		return "H.264";
	case TS_HEVC:
		return "HEVC";
	case TS_AAC:
		return "AAC";
	default:
		return "none";
	}
}

static void
ts_stream_reset(struct ts_stream *st)
{
	st->active = 0;
	st->len = 0;
	st->hdr_len = 0;
	st->cc = -1;
}

static void
ts_stream_drop(struct ts_demux *d, struct ts_stream *st)
{
	if (st->active && st->len > 0)
		d->stats.pes_dropped++;
	st->active = 0;
	st->len = 0;
	st->hdr_len = 0;
	if (st->codec != TS_AAC)
		st->need_key = 1;
}

static void
ts_stream_map(struct ts_stream *st, uint16_t pid, enum ts_codec codec)
{
	if (st->pid == pid && st->codec == codec)
		return;
	if (pid != 0)
		log_debug("ts: pid %u carries %s", pid, ts_codec_name(codec));
	if (st->codec != codec) {
		/* Another codec needs its own parameter sets and header. */
		memset(st->param_len, 0, sizeof(st->param_len));
		st->config_len = 0;
	}
	st->pid = pid;
	st->codec = codec;
	st->need_key = 1;
	ts_stream_reset(st);
}

static void
ts_emit(struct ts_demux *d, uint8_t type, uint32_t ms, const uint8_t *body,
    size_t len)
{
	d->cb(d->arg, type, ms, body, len);
}

/* PAT and PMT */

static void
ts_pat(struct ts_demux *d, const uint8_t *s, size_t len)
{
	size_t i;
	int program;
	uint16_t pid;

	for (i = 8; i + 4 <= len - 4; i += 4) {
		program = ts_be16(s + i);
		pid = ts_be16(s + i + 2) & 0x1fff;
		if (program == 0)
			continue; /* network PID */
		if (pid < 0x10 || pid == 0x1fff)
			return;
		if (pid != d->pmt_pid || program != d->program) {
			log_debug(
			    "ts: program %d, PMT on pid %u", program, pid);
			d->pmt_pid = pid;
			d->program = program;
			d->pmt_version = -1;
			d->pmt.active = 0;
			d->pmt.cc = -1;
		}
		return;
	}
}

static int
ts_pid_usable(const struct ts_demux *d, uint16_t pid)
{
	return pid >= 0x10 && pid != 0x1fff && pid != d->pmt_pid;
}

static void
ts_skip_log(struct ts_demux *d, uint16_t pid, int type)
{
	if (d->skip_logged[pid / 8] & (1 << (pid % 8)))
		return;
	d->skip_logged[pid / 8] |= 1 << (pid % 8);
	log_info(
	    "ts: pid %u: stream type 0x%02x not supported, skipped", pid, type);
}

static void
ts_pmt(struct ts_demux *d, const uint8_t *s, size_t len)
{
	size_t i, end = len - 4, info;
	int version, type;
	uint16_t pid, vpid = 0, apid = 0;
	enum ts_codec vcodec = TS_NONE;

	if (len < 16 || ts_be16(s + 3) != d->program)
		return;
	version = (s[5] >> 1) & 0x1f;
	if (version == d->pmt_version)
		return;
	info = ts_be16(s + 10) & 0x0fff;
	i = 12 + info;
	if (i > end)
		return;
	while (i + 5 <= end) {
		type = s[i];
		pid = ts_be16(s + i + 1) & 0x1fff;
		info = ts_be16(s + i + 3) & 0x0fff;
		i += 5 + info;
		if (i > end)
			return; /* a torn loop: keep the mapping we have */
		if (!ts_pid_usable(d, pid))
			continue;
		if ((type == 0x1b || type == 0x24) && vpid == 0) {
			vpid = pid;
			vcodec = type == 0x1b ? TS_H264 : TS_HEVC;
		} else if (type == 0x0f && apid == 0 && pid != vpid)
			apid = pid;
		else
			ts_skip_log(d, pid, type);
	}
	if (apid == vpid)
		apid = 0;
	log_debug("ts: PMT version %d: video pid %u, audio pid %u", version,
	    vpid, apid);
	d->pmt_version = version;
	ts_stream_map(&d->video, vpid, vcodec);
	ts_stream_map(&d->audio, apid, apid ? TS_AAC : TS_NONE);
}

static void
ts_section(struct ts_demux *d, struct ts_psi *psi)
{
	const uint8_t *s = psi->buf;
	size_t len = psi->len;

	/* syntax indicator, a header, and the CRC */
	if (len < 12 || !(s[1] & 0x80) || ts_crc32(s, len) != 0)
		return;
	if (!(s[5] & 1))
		return; /* current_next_indicator: not in force yet */
	if (psi == &d->pat && s[0] == 0x00)
		ts_pat(d, s, len);
	else if (psi == &d->pmt && s[0] == 0x02)
		ts_pmt(d, s, len);
}

/* Appends section bytes; returns how many were used. */
static size_t
ts_psi_append(
    struct ts_demux *d, struct ts_psi *psi, const uint8_t *p, size_t len)
{
	size_t n, want;

	want = psi->need ? psi->need : 3;
	n = want - psi->len;
	if (n > len)
		n = len;
	memcpy(psi->buf + psi->len, p, n);
	psi->len += n;
	if (psi->need == 0 && psi->len == 3) {
		psi->need = 3 + (ts_be16(psi->buf + 1) & 0x0fff);
		if (psi->need > TS_SECTION_MAX) {
			psi->active = 0;
			return n;
		}
		return n + ts_psi_append(d, psi, p + n, len - n);
	}
	if (psi->need && psi->len == psi->need) {
		psi->active = 0;
		ts_section(d, psi);
	}
	return n;
}

static void
ts_psi_start(struct ts_psi *psi)
{
	psi->active = 1;
	psi->len = 0;
	psi->need = 0;
}

static void
ts_psi_payload(struct ts_demux *d, struct ts_psi *psi, const uint8_t *p,
    size_t len, int pusi, int gap)
{
	size_t ptr, n;

	if (gap)
		psi->active = 0;
	if (!pusi) {
		if (psi->active)
			ts_psi_append(d, psi, p, len);
		return;
	}
	if (len < 1)
		return;
	ptr = p[0];
	p++;
	len--;
	if (ptr > len) {
		psi->active = 0;
		return;
	}
	if (psi->active)
		ts_psi_append(d, psi, p, ptr);
	p += ptr;
	len -= ptr;
	/* Sections follow each other until stuffing (0xff) or the end. */
	while (len > 0 && p[0] != 0xff) {
		ts_psi_start(psi);
		n = ts_psi_append(d, psi, p, len);
		if (psi->active || n == 0)
			return;
		p += n;
		len -= n;
	}
	psi->active = 0;
}

/* Video */

/*
 * Sends the sequence header if the parameter sets differ from the last one
 * sent.  Returns -1 when there is no usable configuration to decode with.
 */
static int
ts_video_config(struct ts_demux *d, struct ts_stream *st, uint32_t ms)
{
	uint8_t body[5 + TS_CONFIG_MAX];
	size_t n;

	if (st->codec == TS_H264)
		n = nal_avc_config(st->param[TS_SPS], st->param_len[TS_SPS],
		    st->param[TS_PPS], st->param_len[TS_PPS], body + 5,
		    TS_CONFIG_MAX);
	else
		n = nal_hevc_config(st->param[TS_VPS], st->param_len[TS_VPS],
		    st->param[TS_SPS], st->param_len[TS_SPS], st->param[TS_PPS],
		    st->param_len[TS_PPS], body + 5, TS_CONFIG_MAX);
	if (n == 0)
		return st->config_len ? 0 : -1;
	if (n == st->config_len && memcmp(st->config, body + 5, n) == 0)
		return 0;
	memcpy(st->config, body + 5, n);
	st->config_len = n;
	if (st->codec == TS_H264) {
		body[0] = 0x17; /* keyframe, AVC */
		body[1] = 0; /* AVCPacketType: sequence header */
		body[2] = body[3] = body[4] = 0;
	} else {
		body[0] = 0x80 | 1 << 4 | 0; /* ExHeader, key, SequenceStart */
		memcpy(body + 1, "hvc1", 4);
	}
	ts_emit(d, TS_TAG_VIDEO, ms, body, 5 + n);
	return 0;
}

static void
ts_param_store(struct ts_stream *st, int slot, const uint8_t *nal, size_t len)
{
	if (len > NAL_PARAM_MAX)
		return;
	memcpy(st->param[slot], nal, len);
	st->param_len[slot] = len;
}

static void
ts_video_frame(struct ts_demux *d, struct ts_stream *st, const uint8_t *es,
    size_t len, int64_t dts, int64_t pts)
{
	const uint8_t *nal;
	size_t pos = 0, nallen, n = TS_VIDEO_HDR, hdr;
	int hevc = st->codec == TS_HEVC, key = 0, type;
	int64_t cts;
	uint32_t ms;
	uint8_t *h;

	/* Each NAL has a start code of 3+ bytes, replaced by 4 length bytes. */
	ts_reserve(&st->out, &st->outcap, TS_VIDEO_HDR + len + len / 3 + 4);
	while (nal_next(es, len, &pos, &nal, &nallen)) {
		if (hevc) {
			if (nallen < 2)
				continue;
			type = nal_hevc_type(nal);
			if (type == NAL_HEVC_VPS || type == NAL_HEVC_SPS ||
			    type == NAL_HEVC_PPS) {
				ts_param_store(st, type - NAL_HEVC_VPS + TS_VPS,
				    nal, nallen);
				continue;
			}
			if (type == NAL_HEVC_AUD)
				continue;
			if (type >= NAL_HEVC_IRAP_FIRST &&
			    type <= NAL_HEVC_IRAP_LAST)
				key = 1;
		} else {
			type = nal_h264_type(nal);
			if (type == NAL_H264_SPS) {
				ts_param_store(st, TS_SPS, nal, nallen);
				continue;
			}
			if (type == NAL_H264_PPS) {
				ts_param_store(st, TS_PPS, nal, nallen);
				continue;
			}
			if (type == NAL_H264_AUD)
				continue;
			if (type == NAL_H264_IDR)
				key = 1;
		}
		ts_put32(st->out + n, (uint32_t)nallen);
		memcpy(st->out + n + 4, nal, nallen);
		n += 4 + nallen;
	}
	if (n == TS_VIDEO_HDR)
		return; /* parameter sets only, or nothing */
	if (st->need_key && !key) {
		d->stats.pes_dropped++;
		return;
	}

	ms = ts_track_time(st, dts);
	cts = ts_ms(pts) - (int64_t)ms;
	if (cts < 0)
		cts = 0;
	if (cts > TS_CTS_MAX)
		cts = TS_CTS_MAX;
	if (ts_video_config(d, st, ms) == -1) {
		d->stats.pes_dropped++;
		st->need_key = 1;
		return;
	}
	st->need_key = 0;

	if (!hevc) {
		hdr = 5;
		h = st->out + TS_VIDEO_HDR - hdr;
		h[0] = key ? 0x17 : 0x27;
		h[1] = 1; /* AVCPacketType: NALUs */
		ts_put_si24(h + 2, (int32_t)cts);
	} else if (cts != 0) {
		hdr = 8;
		h = st->out + TS_VIDEO_HDR - hdr;
		h[0] = 0x80 | (key ? 1 : 2) << 4 | 1; /* CodedFrames */
		memcpy(h + 1, "hvc1", 4);
		ts_put_si24(h + 5, (int32_t)cts);
	} else {
		hdr = 5;
		h = st->out + TS_VIDEO_HDR - hdr;
		h[0] = 0x80 | (key ? 1 : 2) << 4 | 3; /* CodedFramesX */
		memcpy(h + 1, "hvc1", 4);
	}
	ts_emit(d, TS_TAG_VIDEO, ms, h, n - TS_VIDEO_HDR + hdr);
	d->stats.video_frames++;
}

/* Audio */

static void
ts_audio_pes(struct ts_demux *d, struct ts_stream *st, const uint8_t *es,
    size_t len, int64_t pts)
{
	const uint8_t *p;
	size_t pos = 0, flen, hlen;
	unsigned int profile, rate, chan, frames = 0;
	uint8_t asc[2], seq[4];
	int64_t t = pts;
	uint32_t ms;

	while (pos + 7 <= len) {
		p = es + pos;
		/* syncword 0xfff, layer 0 */
		if (p[0] != 0xff || (p[1] & 0xf6) != 0xf0) {
			pos++;
			continue;
		}
		hlen = (p[1] & 1) ? 7 : 9; /* protection_absent */
		profile = p[2] >> 6;
		rate = (p[2] >> 2) & 0x0f;
		chan = (p[2] & 1) << 2 | p[3] >> 6;
		flen = (size_t)(p[3] & 3) << 11 | (size_t)p[4] << 3 | p[5] >> 5;
		if (rate >= nitems(ts_aac_rates) || flen <= hlen ||
		    flen > len - pos) {
			pos++;
			continue;
		}
		if ((p[6] & 3) != 0) {
			/* Several raw blocks need the AAC syntax to split. */
			if (!st->logged_blocks)
				log_warnx(
				    "ts: pid %u: ADTS frames with several "
				    "raw data blocks are not supported",
				    st->pid);
			st->logged_blocks = 1;
			d->stats.pes_dropped++;
			pos += flen;
			continue;
		}
		t = pts + (int64_t)frames * 1024 * 90000 / ts_aac_rates[rate];
		ms = ts_track_time(st, t);
		asc[0] = (profile + 1) << 3 | rate >> 1;
		asc[1] = (rate & 1) << 7 | chan << 3;
		if (st->config_len != 2 || memcmp(st->config, asc, 2) != 0) {
			memcpy(st->config, asc, 2);
			st->config_len = 2;
			seq[0] = 0xaf; /* AAC, 44 kHz, 16 bit, stereo */
			seq[1] = 0; /* AACPacketType: sequence header */
			memcpy(seq + 2, asc, 2);
			ts_emit(d, TS_TAG_AUDIO, ms, seq, sizeof(seq));
		}
		ts_reserve(&st->out, &st->outcap, 2 + flen - hlen);
		st->out[0] = 0xaf;
		st->out[1] = 1; /* AACPacketType: raw */
		memcpy(st->out + 2, p + hlen, flen - hlen);
		ts_emit(d, TS_TAG_AUDIO, ms, st->out, 2 + flen - hlen);
		d->stats.audio_frames++;
		frames++;
		t = pts + (int64_t)frames * 1024 * 90000 / ts_aac_rates[rate];
		pos += flen;
	}
	st->next = t;
	st->have_next = 1;
}

/* PES */

static uint64_t
ts_pes_time(const uint8_t *p)
{
	return (uint64_t)(p[0] >> 1 & 7) << 30 | (uint64_t)p[1] << 22 |
	    (uint64_t)(p[2] >> 1) << 15 | (uint64_t)p[3] << 7 | p[4] >> 1;
}

/* Parses the PES header once it is all in: 1 done, 0 need more, -1 bad. */
static int
ts_pes_header(struct ts_demux *d, struct ts_stream *st)
{
	const uint8_t *b = st->buf;
	size_t hl;
	int flags;

	if (st->len < 9)
		return 0;
	if (b[0] != 0 || b[1] != 0 || b[2] != 1 || (b[6] & 0xc0) != 0x80)
		return -1;
	hl = 9 + (size_t)b[8];
	st->pes_len = ts_be16(b + 4) ? 6 + (size_t)ts_be16(b + 4) : 0;
	if (st->pes_len && hl > st->pes_len)
		return -1;
	if (st->len < hl)
		return 0;
	flags = b[7] >> 6;
	st->has_pts = 0;
	/*
	 * DTS first: muxers interleave by DTS, so the first one seen is the
	 * earliest and the timeline starts at 0 without clamping anything.
	 */
	if (flags == 3 && hl >= 19) {
		st->dts = ts_clock(d, ts_pes_time(b + 14));
		st->pts = ts_clock(d, ts_pes_time(b + 9));
		st->has_pts = 1;
	} else if (flags & 2 && hl >= 14) {
		st->pts = st->dts = ts_clock(d, ts_pes_time(b + 9));
		st->has_pts = 1;
	}
	st->hdr_len = hl;
	return 1;
}

static void
ts_pes_end(struct ts_demux *d, struct ts_stream *st)
{
	size_t end = st->pes_len ? st->pes_len : st->len;
	int64_t pts, dts;

	st->active = 0;
	if (st->hdr_len == 0 || st->len < end) {
		if (st->len > 0)
			log_debug(
			    "ts: pid %u: PES cut short, dropped", st->pid);
		ts_stream_drop(d, st);
		return;
	}
	if (st->has_pts) {
		pts = st->pts;
		dts = st->dts;
	} else if (st->have_next) {
		pts = dts = st->next;
	} else {
		d->stats.pes_dropped++;
		st->len = 0;
		return;
	}
	if (st->codec == TS_AAC)
		ts_audio_pes(
		    d, st, st->buf + st->hdr_len, end - st->hdr_len, pts);
	else {
		ts_video_frame(
		    d, st, st->buf + st->hdr_len, end - st->hdr_len, dts, pts);
		st->next = dts;
		st->have_next = 1;
	}
	st->len = 0;
	st->hdr_len = 0;
}

static void
ts_es_payload(struct ts_demux *d, struct ts_stream *st, const uint8_t *p,
    size_t len, int pusi, int gap)
{
	int r;

	if (gap) {
		d->stats.cc_errors++;
		if (!st->logged_cc)
			log_warnx("ts: pid %u: continuity error, dropping "
			          "the broken %s",
			    st->pid, st->codec == TS_AAC ? "frame" : "GOP");
		else
			log_debug("ts: pid %u: continuity error", st->pid);
		st->logged_cc = 1;
		ts_stream_drop(d, st);
	}
	if (pusi) {
		if (st->active)
			ts_pes_end(d, st);
		st->active = 1;
		st->len = 0;
		st->hdr_len = 0;
		st->pes_len = 0;
	} else if (!st->active)
		return; /* the rest of a PES we dropped */
	if (len > TS_PES_MAX - st->len) {
		if (!st->logged_big)
			log_warnx("ts: pid %u: PES larger than %d bytes, "
			          "dropped",
			    st->pid, TS_PES_MAX);
		st->logged_big = 1;
		ts_stream_drop(d, st);
		return;
	}
	if (len == 0)
		return;
	ts_reserve(&st->buf, &st->cap, st->len + len);
	memcpy(st->buf + st->len, p, len);
	st->len += len;
	if (st->hdr_len == 0) {
		r = ts_pes_header(d, st);
		if (r == -1) {
			log_debug("ts: pid %u: bad PES header", st->pid);
			ts_stream_drop(d, st);
			return;
		}
		if (r == 0)
			return;
	}
	if (st->pes_len && st->len >= st->pes_len)
		ts_pes_end(d, st);
}

/* Packets */

/* 0 in order, 1 duplicate to skip, -1 gap. */
static int
ts_cc(int *last, int cc, int discontinuity)
{
	int prev = *last;

	*last = cc;
	if (prev < 0 || discontinuity || cc == ((prev + 1) & 0x0f))
		return 0;
	if (cc == prev)
		return 1;
	return -1;
}

static void
ts_packet(struct ts_demux *d, const uint8_t *p)
{
	uint16_t pid;
	int pusi, afc, cc, disc = 0, r;
	size_t off = 4;
	struct ts_stream *st;

	d->stats.packets++;
	if (p[1] & 0x80)
		return; /* transport_error_indicator */
	pid = ts_be16(p + 1) & 0x1fff;
	pusi = (p[1] & 0x40) != 0;
	afc = (p[3] >> 4) & 3;
	cc = p[3] & 0x0f;
	if (afc & 2) {
		off = 5 + (size_t)p[4];
		if (off > TS_PACKET_SIZE)
			return;
		if (p[4] > 0 && (p[5] & 0x80))
			disc = 1; /* discontinuity_indicator */
	}
	if (!(afc & 1))
		return; /* no payload, and no counter step */

	if (pid == 0 || (d->pmt_pid && pid == d->pmt_pid)) {
		struct ts_psi *psi = pid == 0 ? &d->pat : &d->pmt;

		r = ts_cc(&psi->cc, cc, disc);
		if (r != 1)
			ts_psi_payload(d, psi, p + off, TS_PACKET_SIZE - off,
			    pusi, r == -1);
		return;
	}
	if (d->video.pid && pid == d->video.pid)
		st = &d->video;
	else if (d->audio.pid && pid == d->audio.pid)
		st = &d->audio;
	else
		return;
	r = ts_cc(&st->cc, cc, disc);
	if (r == 1)
		return;
	ts_es_payload(d, st, p + off, TS_PACKET_SIZE - off, pusi, r == -1);
}

struct ts_demux *
ts_new(ts_tag_cb cb, void *arg)
{
	struct ts_demux *d = xcalloc(1, sizeof(*d));

	d->cb = cb;
	d->arg = arg;
	d->program = -1;
	d->pmt_version = -1;
	d->pat.cc = d->pmt.cc = -1;
	d->video.cc = d->audio.cc = -1;
	return d;
}

void
ts_free(struct ts_demux *d)
{
	if (d == NULL)
		return;
	free(d->video.buf);
	free(d->video.out);
	free(d->audio.buf);
	free(d->audio.out);
	free(d);
}

int
ts_feed(struct ts_demux *d, const uint8_t *buf, size_t len)
{
	const uint8_t *q;
	size_t n;

	if (d->failed)
		return -1;
	while (len > 0) {
		if (d->pktlen == 0 && buf[0] != 0x47) {
			q = memchr(buf, 0x47, len);
			n = q ? (size_t)(q - buf) : len;
			d->unsynced += n;
			d->lockstep = 0;
			buf += n;
			len -= n;
			if (d->unsynced > TS_SYNC_LOSS_MAX) {
				snprintf(d->err, sizeof(d->err),
				    "no MPEG-TS sync in %d bytes",
				    TS_SYNC_LOSS_MAX);
				d->failed = 1;
				return -1;
			}
			continue;
		}
		if (d->pktlen == 0 && len >= TS_PACKET_SIZE) {
			ts_packet(d, buf);
			buf += TS_PACKET_SIZE;
			len -= TS_PACKET_SIZE;
		} else {
			n = TS_PACKET_SIZE - d->pktlen;
			if (n > len)
				n = len;
			memcpy(d->pkt + d->pktlen, buf, n);
			d->pktlen += n;
			buf += n;
			len -= n;
			if (d->pktlen < TS_PACKET_SIZE)
				break;
			d->pktlen = 0;
			ts_packet(d, d->pkt);
		}
		/* One stray 0x47 is not sync; a few packets in step are. */
		if (++d->lockstep >= 3)
			d->unsynced = 0;
	}
	return 0;
}

const char *
ts_error(const struct ts_demux *d)
{
	return d->err[0] ? d->err : "no error";
}

void
ts_stats(const struct ts_demux *d, struct ts_stats *out)
{
	*out = d->stats;
}
