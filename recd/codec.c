/*
 * Decoder configurations as FLV sequence headers carry them: avcC, hvcC
 * and the AAC AudioSpecificConfig.  They came from a publisher, so each is
 * checked for what the MP4 sample entry needs (the structure, the picture
 * size from the SPS, the sample rate and channels) and refused with a
 * reason when it cannot be recorded.  No I/O, no allocation.
 */
#include <stdio.h>
#include <string.h>

#include "flv.h"
#include "mp4.h"

#define CODEC_SPS_MAX 1024 /* an SPS is tens of bytes; more is not one */

struct codec_bits {
	uint8_t rbsp[CODEC_SPS_MAX];
	size_t len, pos; /* bytes, bits */
	int overrun;
};

/* The NAL unit's payload from byte skip on, emulation prevention removed. */
static int
codec_bits_init(
    struct codec_bits *b, const uint8_t *nal, size_t len, size_t skip)
{
	size_t i, zeros = 0;

	b->len = b->pos = 0;
	b->overrun = 0;
	for (i = skip; i < len; i++) {
		if (zeros >= 2 && nal[i] == 3) {
			zeros = 0;
			continue;
		}
		if (b->len >= sizeof(b->rbsp))
			return -1;
		b->rbsp[b->len++] = nal[i];
		zeros = nal[i] == 0 ? zeros + 1 : 0;
	}
	return 0;
}

static uint32_t
codec_bits_get(struct codec_bits *b, int n)
{
	uint32_t v = 0;

	while (n-- > 0) {
		if (b->pos >= b->len * 8) {
			b->overrun = 1;
			return 0;
		}
		v = v << 1 | ((b->rbsp[b->pos / 8] >> (7 - b->pos % 8)) & 1);
		b->pos++;
	}
	return v;
}

static void
codec_bits_skip(struct codec_bits *b, size_t n)
{
	if (b->pos + n > b->len * 8) {
		b->overrun = 1;
		b->pos = b->len * 8;
	} else
		b->pos += n;
}

static uint32_t
codec_bits_ue(struct codec_bits *b)
{
	int zeros = 0;

	while (codec_bits_get(b, 1) == 0) {
		if (b->overrun || ++zeros > 31) {
			b->overrun = 1;
			return 0;
		}
	}
	if (zeros == 0)
		return 0;
	return ((1u << zeros) - 1) + codec_bits_get(b, zeros);
}

static int32_t
codec_bits_se(struct codec_bits *b)
{
	uint32_t v = codec_bits_ue(b);

	return v & 1 ? (int32_t)((v + 1) / 2) : -(int32_t)(v / 2);
}

static void
codec_scaling_list(struct codec_bits *b, int size)
{
	int32_t last = 8, next = 8, delta;
	int j;

	for (j = 0; j < size && !b->overrun; j++) {
		if (next != 0) {
			delta = codec_bits_se(b);
			if (delta < -128 || delta > 127) {
				b->overrun = 1; /* not an SPS: -128..127 */
				return;
			}
			next = (last + delta + 256) % 256;
		}
		last = next == 0 ? last : next;
	}
}

/* A picture size that is one: what a real encoder could have made. */
static int
codec_size_ok(uint32_t w, uint32_t h)
{
	return w >= 16 && h >= 16 && w <= 16384 && h <= 16384;
}

int
codec_h264_sps_size(const uint8_t *nal, size_t len, uint16_t *w, uint16_t *h)
{
	struct codec_bits b;
	uint32_t profile, chroma = 1, poc, n, i, mbw, mbh, frame_mbs;
	uint32_t cl = 0, cr = 0, ct = 0, cb = 0, cx, cy, width, height;

	if (len < 4 || (nal[0] & 0x1f) != 7 ||
	    codec_bits_init(&b, nal, len, 1) == -1)
		return -1;
	profile = codec_bits_get(&b, 8);
	codec_bits_skip(&b, 16); /* constraint flags, level */
	(void)codec_bits_ue(&b); /* seq_parameter_set_id */
	if (profile == 100 || profile == 110 || profile == 122 ||
	    profile == 244 || profile == 44 || profile == 83 || profile == 86 ||
	    profile == 118 || profile == 128 || profile == 138 ||
	    profile == 139 || profile == 134 || profile == 135) {
		chroma = codec_bits_ue(&b);
		if (chroma > 3)
			return -1;
		if (chroma == 3)
			codec_bits_skip(&b, 1);
		(void)codec_bits_ue(&b); /* bit depths */
		(void)codec_bits_ue(&b);
		codec_bits_skip(&b, 1);
		if (codec_bits_get(&b, 1)) /* seq_scaling_matrix_present */
			for (i = 0; i < (chroma != 3 ? 8u : 12u); i++)
				if (codec_bits_get(&b, 1))
					codec_scaling_list(&b, i < 6 ? 16 : 64);
	}
	(void)codec_bits_ue(&b); /* log2_max_frame_num_minus4 */
	poc = codec_bits_ue(&b);
	if (poc == 0)
		(void)codec_bits_ue(&b);
	else if (poc == 1) {
		codec_bits_skip(&b, 1);
		(void)codec_bits_se(&b);
		(void)codec_bits_se(&b);
		if ((n = codec_bits_ue(&b)) > 255)
			return -1;
		for (i = 0; i < n && !b.overrun; i++)
			(void)codec_bits_se(&b);
	} else if (poc != 2)
		return -1;
	(void)codec_bits_ue(&b); /* max_num_ref_frames */
	codec_bits_skip(&b, 1);
	mbw = codec_bits_ue(&b) + 1;
	mbh = codec_bits_ue(&b) + 1;
	frame_mbs = codec_bits_get(&b, 1);
	if (!frame_mbs)
		codec_bits_skip(&b, 1);
	codec_bits_skip(&b, 1); /* direct_8x8_inference */
	if (codec_bits_get(&b, 1)) {
		cl = codec_bits_ue(&b);
		cr = codec_bits_ue(&b);
		ct = codec_bits_ue(&b);
		cb = codec_bits_ue(&b);
	}
	if (b.overrun || mbw > 1024 || mbh > 1024)
		return -1;
	cx = chroma == 0 || chroma == 3 ? 1 : 2;
	cy = (chroma == 1 ? 2 : 1) * (2 - frame_mbs);
	width = mbw * 16;
	height = (2 - frame_mbs) * mbh * 16;
	if ((uint64_t)(cl + cr) * cx >= width ||
	    (uint64_t)(ct + cb) * cy >= height)
		return -1;
	width -= (cl + cr) * cx;
	height -= (ct + cb) * cy;
	if (!codec_size_ok(width, height))
		return -1;
	*w = (uint16_t)width;
	*h = (uint16_t)height;
	return 0;
}

int
codec_hevc_sps_size(const uint8_t *nal, size_t len, uint16_t *w, uint16_t *h)
{
	struct codec_bits b;
	uint32_t sub, i, chroma, width, height, l, r, t, bo, cx, cy;
	uint8_t prof[8], lev[8];

	if (len < 4 || ((nal[0] >> 1) & 0x3f) != 33 ||
	    codec_bits_init(&b, nal, len, 2) == -1)
		return -1;
	codec_bits_skip(&b, 4); /* sps_video_parameter_set_id */
	sub = codec_bits_get(&b, 3); /* sps_max_sub_layers_minus1 */
	codec_bits_skip(&b, 1);
	codec_bits_skip(&b, 88 + 8); /* general profile, tier and level */
	for (i = 0; i < sub; i++) {
		prof[i] = (uint8_t)codec_bits_get(&b, 1);
		lev[i] = (uint8_t)codec_bits_get(&b, 1);
	}
	if (sub > 0)
		codec_bits_skip(&b, 2 * (8 - sub));
	for (i = 0; i < sub; i++) {
		if (prof[i])
			codec_bits_skip(&b, 88);
		if (lev[i])
			codec_bits_skip(&b, 8);
	}
	(void)codec_bits_ue(&b); /* sps_seq_parameter_set_id */
	if ((chroma = codec_bits_ue(&b)) > 3)
		return -1;
	if (chroma == 3)
		codec_bits_skip(&b, 1);
	width = codec_bits_ue(&b);
	height = codec_bits_ue(&b);
	l = r = t = bo = 0;
	if (codec_bits_get(&b, 1)) {
		l = codec_bits_ue(&b);
		r = codec_bits_ue(&b);
		t = codec_bits_ue(&b);
		bo = codec_bits_ue(&b);
	}
	if (b.overrun || width > 16384 || height > 16384)
		return -1;
	cx = chroma == 1 || chroma == 2 ? 2 : 1;
	cy = chroma == 1 ? 2 : 1;
	if ((uint64_t)(l + r) * cx >= width ||
	    (uint64_t)(t + bo) * cy >= height)
		return -1;
	width -= (l + r) * cx;
	height -= (t + bo) * cy;
	if (!codec_size_ok(width, height))
		return -1;
	*w = (uint16_t)width;
	*h = (uint16_t)height;
	return 0;
}

int
codec_avc(
    const uint8_t *avcc, size_t len, struct mp4_track *t, const char **why)
{
	struct flv_codec_config cfg;
	size_t n;

	if (flv_avcc_parse(avcc, len, &cfg) == -1) {
		*why = "malformed AVC decoder configuration";
		return -1;
	}
	if (len > sizeof(t->config)) {
		*why = "AVC decoder configuration too large";
		return -1;
	}
	/* flv_avcc_parse checked that the first SPS is whole */
	n = be16_read(avcc + 6);
	if (codec_h264_sps_size(avcc + 8, n, &t->width, &t->height) == -1) {
		*why = "H.264 SPS without a picture size we can read";
		return -1;
	}
	t->kind = MP4_VIDEO;
	t->fourcc = MP4_FOURCC('a', 'v', 'c', '1');
	t->nalu_length_size = cfg.nalu_length_size;
	snprintf(t->codecs, sizeof(t->codecs), "avc1.%02x%02x%02x", avcc[1],
	    avcc[2], avcc[3]);
	memcpy(t->config, avcc, len);
	t->config_len = len;
	return 0;
}

int
codec_hevc(
    const uint8_t *hvcc, size_t len, struct mp4_track *t, const char **why)
{
	struct flv_codec_config cfg;
	size_t off = 23, n;
	unsigned narrays, nnalus, type, j;
	uint32_t compat, rev = 0;
	int found = 0;

	if (flv_hvcc_parse(hvcc, len, &cfg) == -1) {
		*why = "malformed HEVC decoder configuration";
		return -1;
	}
	if (len > sizeof(t->config)) {
		*why = "HEVC decoder configuration too large";
		return -1;
	}
	/* flv_hvcc_parse walked the arrays: they are whole */
	narrays = hvcc[22];
	while (narrays-- > 0 && !found) {
		type = hvcc[off] & 0x3f;
		nnalus = be16_read(hvcc + off + 1);
		off += 3;
		for (j = 0; j < nnalus; j++) {
			n = be16_read(hvcc + off);
			if (type == 33 && !found &&
			    codec_hevc_sps_size(
			        hvcc + off + 2, n, &t->width, &t->height) == 0)
				found = 1;
			off += 2 + n;
		}
	}
	if (!found) {
		*why = "HEVC SPS without a picture size we can read";
		return -1;
	}
	t->kind = MP4_VIDEO;
	t->fourcc = MP4_FOURCC('h', 'v', 'c', '1');
	t->nalu_length_size = cfg.nalu_length_size;
	/* ISO 14496-15 E.3: the compatibility flags bit-reversed */
	compat = be32_read(hvcc + 2);
	for (j = 0; j < 32; j++)
		rev |= ((compat >> j) & 1) << (31 - j);
	snprintf(t->codecs, sizeof(t->codecs), "hvc1.%s%u.%x.%c%u.%x",
	    (hvcc[1] >> 6) == 0       ? ""
	        : (hvcc[1] >> 6) == 1 ? "A"
	                              : "B",
	    hvcc[1] & 0x1f, rev, hvcc[1] & 0x20 ? 'H' : 'L', hvcc[12], hvcc[6]);
	memcpy(t->config, hvcc, len);
	t->config_len = len;
	return 0;
}

static const uint32_t codec_aac_rates[13] = {96000, 88200, 64000, 48000, 44100,
    32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350};

int
codec_aac(const uint8_t *asc, size_t len, struct mp4_track *t, const char **why)
{
	struct codec_bits b;
	uint32_t aot, idx, rate, chan;

	if (len < 2 || len > sizeof(t->config) ||
	    codec_bits_init(&b, asc, len, 0) == -1) {
		*why = "malformed AudioSpecificConfig";
		return -1;
	}
	aot = codec_bits_get(&b, 5);
	if (aot == 31)
		aot = 32 + codec_bits_get(&b, 6);
	idx = codec_bits_get(&b, 4);
	rate = idx == 15 ? codec_bits_get(&b, 24)
	    : idx < 13   ? codec_aac_rates[idx]
	                 : 0;
	chan = codec_bits_get(&b, 4);
	if (b.overrun || rate < 7350 || rate > 96000) {
		*why = "AudioSpecificConfig without a sample rate";
		return -1;
	}
	/* AAC main, LC, SSR, LTP and the SBR and PS extensions of LC */
	if (!(aot >= 1 && aot <= 5) && aot != 29) {
		*why = "an AAC object type other than LC, HE-AAC";
		return -1;
	}
	if (chan > 7) {
		*why = "an AAC channel configuration out of range";
		return -1;
	}
	t->kind = MP4_AUDIO;
	t->fourcc = MP4_FOURCC('m', 'p', '4', 'a');
	t->sample_rate = rate;
	/* 0: a program config element says; stereo is the likely answer */
	t->channels = chan == 0 ? 2 : chan == 7 ? 8 : (uint8_t)chan;
	t->aot = (uint8_t)aot;
	snprintf(t->codecs, sizeof(t->codecs), "mp4a.40.%u", aot);
	memcpy(t->config, asc, len);
	t->config_len = len;
	return 0;
}
