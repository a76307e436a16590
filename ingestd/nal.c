/*
 * H.264 and HEVC bitstream helpers for the MPEG-TS demuxer: Annex B start
 * code splitting and the AVC/HEVC decoder configuration
 * records (ISO/IEC 14496-15) that FLV sequence headers carry.
 */
#include <string.h>

#include "nal.h"
#include "rbsp.h"

int
nal_next(const uint8_t *buf, size_t len, size_t *pos, const uint8_t **nal,
    size_t *nallen)
{
	size_t i = *pos, start, end;

	for (;;) {
		while (i + 3 <= len &&
		    !(buf[i] == 0 && buf[i + 1] == 0 && buf[i + 2] == 1))
			i++;
		if (i + 3 > len) {
			*pos = len;
			return 0;
		}
		start = i + 3;
		i = start;
		while (i + 3 <= len &&
		    !(buf[i] == 0 && buf[i + 1] == 0 && buf[i + 2] == 1))
			i++;
		if (i + 3 > len)
			i = len;
		/* Trailing zeros belong to the next 4-byte start code or padding. */
		end = i;
		while (end > start && buf[end - 1] == 0)
			end--;
		if (end > start) {
			*pos = i;
			*nal = buf + start;
			*nallen = end - start;
			return 1;
		}
	}
}

int
nal_h264_type(const uint8_t *nal)
{
	return nal[0] & 0x1f;
}

int
nal_hevc_type(const uint8_t *nal)
{
	return (nal[0] >> 1) & 0x3f;
}

static void
nal_put16(uint8_t *p, size_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

size_t
nal_avc_config(const uint8_t *sps, size_t spslen, const uint8_t *pps,
    size_t ppslen, uint8_t *out, size_t outlen)
{
	struct rbsp b;
	uint32_t profile, chroma = 1, depth_luma = 0, depth_chroma = 0;
	int high;
	size_t need, n = 0;

	if (spslen < 4 || ppslen < 1 || spslen > NAL_PARAM_MAX ||
	    ppslen > NAL_PARAM_MAX)
		return 0;
	profile = sps[1];
	high = profile == 100 || profile == 110 || profile == 122 ||
	    profile == 144 || profile == 244;
	if (high) {
		if (rbsp_init(&b, sps, spslen, 4) == -1)
			return 0;
		(void)rbsp_ue(&b); /* seq_parameter_set_id */
		chroma = rbsp_ue(&b);
		if (chroma == 3)
			(void)rbsp_get(&b, 1);
		depth_luma = rbsp_ue(&b);
		depth_chroma = rbsp_ue(&b);
		if (b.overrun || chroma > 3 || depth_luma > 6 ||
		    depth_chroma > 6)
			return 0;
	}
	need = 6 + 2 + spslen + 1 + 2 + ppslen + (high ? 4 : 0);
	if (need > outlen)
		return 0;
	out[n++] = 1; /* configurationVersion */
	out[n++] = sps[1]; /* AVCProfileIndication */
	out[n++] = sps[2]; /* profile_compatibility */
	out[n++] = sps[3]; /* AVCLevelIndication */
	out[n++] = 0xfc | 3; /* lengthSizeMinusOne */
	out[n++] = 0xe0 | 1; /* numOfSequenceParameterSets */
	nal_put16(out + n, spslen);
	n += 2;
	memcpy(out + n, sps, spslen);
	n += spslen;
	out[n++] = 1; /* numOfPictureParameterSets */
	nal_put16(out + n, ppslen);
	n += 2;
	memcpy(out + n, pps, ppslen);
	n += ppslen;
	if (high) {
		out[n++] = 0xfc | chroma;
		out[n++] = 0xf8 | depth_luma;
		out[n++] = 0xf8 | depth_chroma;
		out[n++] = 0; /* numOfSequenceParameterSetExt */
	}
	return n;
}

static size_t
nal_hevc_array(uint8_t *out, int type, const uint8_t *nal, size_t len)
{
	out[0] = 0x80 | type; /* array_completeness */
	nal_put16(out + 1, 1);
	nal_put16(out + 3, len);
	memcpy(out + 5, nal, len);
	return 5 + len;
}

size_t
nal_hevc_config(const uint8_t *vps, size_t vpslen, const uint8_t *sps,
    size_t spslen, const uint8_t *pps, size_t ppslen, uint8_t *out,
    size_t outlen)
{
	struct rbsp b;
	uint32_t max_sub_layers, nesting, ptl0, compat, cons_hi, cons_lo;
	uint32_t level, chroma, depth_luma, depth_chroma, i;
	uint8_t sub_profile[8], sub_level[8];
	size_t need, n = 0;

	if (vpslen < 2 || spslen < 3 || ppslen < 2 || vpslen > NAL_PARAM_MAX ||
	    spslen > NAL_PARAM_MAX || ppslen > NAL_PARAM_MAX)
		return 0;
	if (rbsp_init(&b, sps, spslen, 2) == -1)
		return 0;
	(void)rbsp_get(&b, 4); /* sps_video_parameter_set_id */
	max_sub_layers = rbsp_get(&b, 3);
	nesting = rbsp_get(&b, 1);
	/* profile_tier_level(1, sps_max_sub_layers_minus1) */
	ptl0 = rbsp_get(&b, 8); /* profile_space, tier, profile_idc */
	compat = rbsp_get(&b, 32);
	cons_hi = rbsp_get(&b, 16);
	cons_lo = rbsp_get(&b, 32);
	level = rbsp_get(&b, 8);
	for (i = 0; i < max_sub_layers; i++) {
		sub_profile[i] = rbsp_get(&b, 1);
		sub_level[i] = rbsp_get(&b, 1);
	}
	if (max_sub_layers > 0)
		rbsp_skip(&b, 2 * (8 - max_sub_layers));
	for (i = 0; i < max_sub_layers; i++) {
		if (sub_profile[i])
			rbsp_skip(&b, 88);
		if (sub_level[i])
			rbsp_skip(&b, 8);
	}
	(void)rbsp_ue(&b); /* sps_seq_parameter_set_id */
	chroma = rbsp_ue(&b);
	if (chroma == 3)
		(void)rbsp_get(&b, 1);
	(void)rbsp_ue(&b); /* pic_width_in_luma_samples */
	(void)rbsp_ue(&b); /* pic_height_in_luma_samples */
	if (rbsp_get(&b, 1)) { /* conformance_window_flag */
		for (i = 0; i < 4; i++)
			(void)rbsp_ue(&b);
	}
	depth_luma = rbsp_ue(&b);
	depth_chroma = rbsp_ue(&b);
	if (b.overrun || max_sub_layers > 6 || chroma > 3 || depth_luma > 7 ||
	    depth_chroma > 7)
		return 0;

	need = 23 + 3 * 5 + vpslen + spslen + ppslen;
	if (need > outlen)
		return 0;
	out[n++] = 1; /* configurationVersion */
	out[n++] = ptl0;
	out[n++] = compat >> 24;
	out[n++] = compat >> 16;
	out[n++] = compat >> 8;
	out[n++] = compat;
	out[n++] = cons_hi >> 8;
	out[n++] = cons_hi;
	out[n++] = cons_lo >> 24;
	out[n++] = cons_lo >> 16;
	out[n++] = cons_lo >> 8;
	out[n++] = cons_lo;
	out[n++] = level;
	out[n++] = 0xf0; /* min_spatial_segmentation_idc 0 */
	out[n++] = 0x00;
	out[n++] = 0xfc; /* parallelismType 0: unknown */
	out[n++] = 0xfc | chroma;
	out[n++] = 0xf8 | depth_luma;
	out[n++] = 0xf8 | depth_chroma;
	out[n++] = 0; /* avgFrameRate: unspecified */
	out[n++] = 0;
	/* constantFrameRate 0, numTemporalLayers, temporalIdNested, 4 bytes */
	out[n++] = ((max_sub_layers + 1) << 3) | (nesting << 2) | 3;
	out[n++] = 3; /* numOfArrays */
	n += nal_hevc_array(out + n, NAL_HEVC_VPS, vps, vpslen);
	n += nal_hevc_array(out + n, NAL_HEVC_SPS, sps, spslen);
	n += nal_hevc_array(out + n, NAL_HEVC_PPS, pps, ppslen);
	return n;
}
