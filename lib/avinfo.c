/*
 * Decoder configurations read for what they say: the SPS of H.264 (ITU-T
 * H.264 7.3.2.1.1, with the VUI's timing) and HEVC (H.265 7.3.2.2, as far
 * as the picture size and bit depth), and the AAC AudioSpecificConfig
 * (ISO/IEC 14496-3 1.6.2.1).  ingestd reports them per stream, recd needs
 * the picture size for its MP4 sample entries.
 */
#include <stdio.h>
#include <string.h>

#include "avinfo.h"
#include "rbsp.h"
#include "flv.h"

static void
avinfo_scaling_list(struct rbsp *b, int size)
{
	int32_t last = 8, next = 8, delta;
	int j;

	for (j = 0; j < size && !b->overrun; j++) {
		if (next != 0) {
			delta = rbsp_se(b);
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
avinfo_size_ok(uint32_t w, uint32_t h)
{
	return w >= 16 && h >= 16 && w <= 16384 && h <= 16384;
}

/* The VUI's timing_info, the only part of it we want: frames a second. */
static double
avinfo_h264_vui_fps(struct rbsp *b)
{
	uint32_t units, scale;

	if (!rbsp_get(b, 1)) /* vui_parameters_present_flag */
		return 0;
	if (rbsp_get(b, 1) && rbsp_get(b, 8) == 255)
		rbsp_skip(b, 32); /* aspect_ratio_idc: sar */
	if (rbsp_get(b, 1)) /* overscan_info_present_flag */
		rbsp_skip(b, 1);
	if (rbsp_get(b, 1)) { /* video_signal_type_present_flag */
		rbsp_skip(b, 4);
		if (rbsp_get(b, 1))
			rbsp_skip(b, 24);
	}
	if (rbsp_get(b, 1)) { /* chroma_loc_info_present_flag */
		(void)rbsp_ue(b);
		(void)rbsp_ue(b);
	}
	if (!rbsp_get(b, 1)) /* timing_info_present_flag */
		return 0;
	units = rbsp_get(b, 32);
	scale = rbsp_get(b, 32);
	if (b->overrun || units == 0 || scale == 0)
		return 0;
	/* a frame is two fields' ticks; more than 1000 a second is not real */
	if ((double)scale / (2.0 * units) > 1000)
		return 0;
	return (double)scale / (2.0 * units);
}

int
avinfo_h264_sps(const uint8_t *nal, size_t len, struct avinfo_video *v)
{
	struct rbsp b;
	uint32_t profile, chroma = 1, depth = 0, poc, n, i, mbw, mbh, frame_mbs;
	uint32_t cl = 0, cr = 0, ct = 0, cb = 0, cx, cy, width, height;

	if (len < 4 || (nal[0] & 0x1f) != 7 || rbsp_init(&b, nal, len, 1) == -1)
		return -1;
	profile = rbsp_get(&b, 8);
	v->constraints = (uint8_t)rbsp_get(&b, 8);
	v->level = (uint8_t)rbsp_get(&b, 8);
	(void)rbsp_ue(&b); /* seq_parameter_set_id */
	if (profile == 100 || profile == 110 || profile == 122 ||
	    profile == 244 || profile == 44 || profile == 83 || profile == 86 ||
	    profile == 118 || profile == 128 || profile == 138 ||
	    profile == 139 || profile == 134 || profile == 135) {
		chroma = rbsp_ue(&b);
		if (chroma > 3)
			return -1;
		if (chroma == 3)
			rbsp_skip(&b, 1);
		depth = rbsp_ue(&b); /* bit_depth_luma_minus8 */
		(void)rbsp_ue(&b);
		rbsp_skip(&b, 1);
		if (rbsp_get(&b, 1)) /* seq_scaling_matrix_present */
			for (i = 0; i < (chroma != 3 ? 8u : 12u); i++)
				if (rbsp_get(&b, 1))
					avinfo_scaling_list(
					    &b, i < 6 ? 16 : 64);
	}
	(void)rbsp_ue(&b); /* log2_max_frame_num_minus4 */
	poc = rbsp_ue(&b);
	if (poc == 0)
		(void)rbsp_ue(&b);
	else if (poc == 1) {
		rbsp_skip(&b, 1);
		(void)rbsp_se(&b);
		(void)rbsp_se(&b);
		if ((n = rbsp_ue(&b)) > 255)
			return -1;
		for (i = 0; i < n && !b.overrun; i++)
			(void)rbsp_se(&b);
	} else if (poc != 2)
		return -1;
	(void)rbsp_ue(&b); /* max_num_ref_frames */
	rbsp_skip(&b, 1);
	mbw = rbsp_ue(&b) + 1;
	mbh = rbsp_ue(&b) + 1;
	frame_mbs = rbsp_get(&b, 1);
	if (!frame_mbs)
		rbsp_skip(&b, 1);
	rbsp_skip(&b, 1); /* direct_8x8_inference */
	if (rbsp_get(&b, 1)) {
		cl = rbsp_ue(&b);
		cr = rbsp_ue(&b);
		ct = rbsp_ue(&b);
		cb = rbsp_ue(&b);
	}
	if (b.overrun || mbw > 1024 || mbh > 1024 || depth > 6)
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
	if (!avinfo_size_ok(width, height))
		return -1;
	v->codec = FLV_FOURCC_AVC;
	v->profile = (uint8_t)profile;
	v->tier = 0;
	v->chroma = (uint8_t)chroma;
	v->bit_depth = (uint8_t)(8 + depth);
	v->width = (uint16_t)width;
	v->height = (uint16_t)height;
	/* what follows is optional: an SPS cut short there still counts */
	v->fps = avinfo_h264_vui_fps(&b);
	return 0;
}

int
avinfo_hevc_sps(const uint8_t *nal, size_t len, struct avinfo_video *v)
{
	struct rbsp b;
	uint32_t sub, i, ptl0, level, chroma, width, height, l, r, t, bo, cx,
	    cy, depth;
	uint8_t prof[8], lev[8];

	if (len < 4 || ((nal[0] >> 1) & 0x3f) != 33 ||
	    rbsp_init(&b, nal, len, 2) == -1)
		return -1;
	rbsp_skip(&b, 4); /* sps_video_parameter_set_id */
	sub = rbsp_get(&b, 3); /* sps_max_sub_layers_minus1 */
	rbsp_skip(&b, 1);
	/* general profile_space, tier, profile_idc; compatibility and
	 * constraint flags; level */
	ptl0 = rbsp_get(&b, 8);
	rbsp_skip(&b, 32 + 48);
	level = rbsp_get(&b, 8);
	for (i = 0; i < sub; i++) {
		prof[i] = (uint8_t)rbsp_get(&b, 1);
		lev[i] = (uint8_t)rbsp_get(&b, 1);
	}
	if (sub > 0)
		rbsp_skip(&b, 2 * (8 - sub));
	for (i = 0; i < sub; i++) {
		if (prof[i])
			rbsp_skip(&b, 88);
		if (lev[i])
			rbsp_skip(&b, 8);
	}
	(void)rbsp_ue(&b); /* sps_seq_parameter_set_id */
	if ((chroma = rbsp_ue(&b)) > 3)
		return -1;
	if (chroma == 3)
		rbsp_skip(&b, 1);
	width = rbsp_ue(&b);
	height = rbsp_ue(&b);
	l = r = t = bo = 0;
	if (rbsp_get(&b, 1)) {
		l = rbsp_ue(&b);
		r = rbsp_ue(&b);
		t = rbsp_ue(&b);
		bo = rbsp_ue(&b);
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
	if (!avinfo_size_ok(width, height))
		return -1;
	depth = rbsp_ue(&b); /* bit_depth_luma_minus8 */
	v->codec = FLV_FOURCC_HEVC;
	v->profile = (uint8_t)(ptl0 & 0x1f);
	v->tier = (uint8_t)((ptl0 >> 5) & 1);
	v->level = (uint8_t)level;
	v->constraints = 0;
	v->chroma = (uint8_t)chroma;
	v->bit_depth = b.overrun || depth > 8 ? 0 : (uint8_t)(8 + depth);
	v->width = (uint16_t)width;
	v->height = (uint16_t)height;
	v->fps = 0;
	return 0;
}

/* The first SPS of an avcC that reads. */
static int
avinfo_avcc(const uint8_t *p, size_t len, struct avinfo_video *v)
{
	struct flv_codec_config cfg;
	size_t off = 6, n;
	unsigned nsps;

	if (flv_avcc_parse(p, len, &cfg) == -1)
		return -1;
	/* flv_avcc_parse checked that the SPS are whole */
	for (nsps = p[5] & 0x1f; nsps > 0; nsps--) {
		n = be16_read(p + off);
		if (avinfo_h264_sps(p + off + 2, n, v) == 0)
			return 0;
		off += 2 + n;
	}
	return -1;
}

/* The first SPS of an hvcC's arrays that reads. */
static int
avinfo_hvcc(const uint8_t *p, size_t len, struct avinfo_video *v)
{
	struct flv_codec_config cfg;
	size_t off = 23, n;
	unsigned narrays, nnalus, type, j;

	if (flv_hvcc_parse(p, len, &cfg) == -1)
		return -1;
	/* flv_hvcc_parse walked the arrays: they are whole */
	for (narrays = p[22]; narrays > 0; narrays--) {
		type = p[off] & 0x3f;
		nnalus = be16_read(p + off + 1);
		off += 3;
		for (j = 0; j < nnalus; j++) {
			n = be16_read(p + off);
			if (type == 33 &&
			    avinfo_hevc_sps(p + off + 2, n, v) == 0)
				return 0;
			off += 2 + n;
		}
	}
	return -1;
}

int
avinfo_video_tag(const uint8_t *body, size_t len, struct avinfo_video *v)
{
	struct flv_media m;
	const char *why;

	memset(v, 0, sizeof(*v));
	if (flv_media_parse(FLV_TAG_VIDEO, body, len, &m, &why) == -1 ||
	    m.command || m.packet != FLV_PKT_SEQUENCE_START || m.codec == 0)
		return -1;
	switch (m.codec) {
	case FLV_FOURCC_AVC:
		return avinfo_avcc(body + m.payload, len - m.payload, v);
	case FLV_FOURCC_HEVC:
		return avinfo_hvcc(body + m.payload, len - m.payload, v);
	}
	v->codec = m.codec;
	return 1;
}

static const uint32_t avinfo_aac_rates[13] = {96000, 88200, 64000, 48000, 44100,
    32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350};

int
avinfo_aac_config(const uint8_t *asc, size_t len, struct avinfo_audio *a)
{
	struct rbsp b;
	uint32_t aot, idx, rate, chan;

	if (len < 2 || rbsp_init(&b, asc, len, 0) == -1)
		return -1;
	aot = rbsp_get(&b, 5);
	if (aot == 31)
		aot = 32 + rbsp_get(&b, 6);
	idx = rbsp_get(&b, 4);
	rate = idx == 15 ? rbsp_get(&b, 24)
	    : idx < 13   ? avinfo_aac_rates[idx]
	                 : 0;
	chan = rbsp_get(&b, 4);
	if (b.overrun || rate < 7350 || rate > 96000)
		return -1;
	a->codec = FLV_FOURCC_AAC;
	a->aot = (uint8_t)aot;
	a->sample_rate = rate;
	/* 0: a program config element says; stereo is the likely answer */
	a->channel_config = (uint8_t)chan;
	a->channels = chan == 0 ? 2
	    : chan == 7         ? 8
	    : chan > 7          ? 0
	                        : (uint8_t)chan;
	/* explicit SBR/PS signalling: the sound heard is HE-AAC */
	if (aot == 5 || aot == 29) {
		idx = rbsp_get(&b, 4);
		rate = idx == 15 ? rbsp_get(&b, 24)
		    : idx < 13   ? avinfo_aac_rates[idx]
		                 : 0;
		if (!b.overrun && rate >= 7350 && rate <= 96000)
			a->ext_sample_rate = rate;
	}
	return 0;
}

/* Legacy FLV's sound rate field, for codecs without a config. */
static const uint32_t avinfo_flv_rates[4] = {5512, 11025, 22050, 44100};

int
avinfo_audio_tag(const uint8_t *body, size_t len, struct avinfo_audio *a)
{
	struct flv_media m;
	const char *why;

	memset(a, 0, sizeof(*a));
	if (flv_media_parse(FLV_TAG_AUDIO, body, len, &m, &why) == -1)
		return -1;
	if (m.codec == FLV_FOURCC_AAC && m.packet == FLV_PKT_SEQUENCE_START)
		return avinfo_aac_config(body + m.payload, len - m.payload, a);
	a->codec = m.codec;
	if (!m.enhanced && m.codec == FLV_FOURCC_MP3) {
		a->sample_rate = avinfo_flv_rates[(body[0] >> 2) & 3];
		a->channels = (body[0] & 1) + 1;
	}
	return 0;
}

const char *
avinfo_codec_name(uint32_t codec)
{
	switch (codec) {
	case FLV_FOURCC_AVC:
		return "h264";
	case FLV_FOURCC_HEVC:
		return "hevc";
	case FLV_FOURCC_AV1:
		return "av1";
	case FLV_FOURCC_VP9:
		return "vp9";
	case FLV_FOURCC_VP8:
		return "vp8";
	case FLV_FOURCC_VVC:
		return "vvc";
	case FLV_FOURCC_AAC:
		return "aac";
	case FLV_FOURCC_OPUS:
		return "opus";
	case FLV_FOURCC_MP3:
		return "mp3";
	case FLV_FOURCC_FLAC:
		return "flac";
	case FLV_FOURCC_AC3:
		return "ac3";
	case FLV_FOURCC_EAC3:
		return "eac3";
	}
	return codec != 0 ? "other" : "";
}

const char *
avinfo_profile_name(const struct avinfo_video *v)
{
	if (v->codec == FLV_FOURCC_AVC) {
		switch (v->profile) {
		case 66:
			/* constraint_set1: decodable as Main too */
			return v->constraints & 0x40 ? "Constrained Baseline"
			                             : "Baseline";
		case 77:
			return "Main";
		case 88:
			return "Extended";
		case 100:
			return "High";
		case 110:
			return "High 10";
		case 122:
			return "High 4:2:2";
		case 244:
			return "High 4:4:4";
		}
	} else if (v->codec == FLV_FOURCC_HEVC) {
		switch (v->profile) {
		case 1:
			return "Main";
		case 2:
			return "Main 10";
		case 3:
			return "Main Still Picture";
		case 4:
			return "Range Extensions";
		}
	}
	return "";
}

const char *
avinfo_level_string(const struct avinfo_video *v, char buf[8])
{
	unsigned lv;

	buf[0] = '\0';
	if (v->codec == FLV_FOURCC_AVC && v->level > 0) {
		/* level_idc 9 is 1b, 11 with constraint_set3 in Baseline too */
		lv = v->level;
		if (lv % 10 != 0)
			snprintf(buf, 8, "%u.%u", lv / 10, lv % 10);
		else
			snprintf(buf, 8, "%u", lv / 10);
	} else if (v->codec == FLV_FOURCC_HEVC && v->level > 0) {
		/* general_level_idc is 30 times the level */
		lv = v->level / 3;
		if (lv % 10 != 0)
			snprintf(buf, 8, "%u.%u", lv / 10, lv % 10);
		else
			snprintf(buf, 8, "%u", lv / 10);
	}
	return buf;
}

const char *
avinfo_aac_profile(const struct avinfo_audio *a)
{
	if (a->codec != FLV_FOURCC_AAC)
		return "";
	switch (a->aot) {
	case 1:
		return "Main";
	case 2:
		return "LC";
	case 3:
		return "SSR";
	case 4:
		return "LTP";
	case 5:
		return "HE-AAC";
	case 29:
		return "HE-AACv2";
	}
	return "";
}
