/*
 * Decoder configurations as FLV sequence headers carry them: avcC, hvcC
 * and the AAC AudioSpecificConfig.  They came from a publisher, so each is
 * checked for what the MP4 sample entry needs (the structure, the picture
 * size from the SPS, the sample rate and channels) and refused with a
 * reason when it cannot be recorded.  The bits are read by lib's
 * avinfo.c, which ingestd's stream figures use too.  No I/O, no
 * allocation.
 */
#include <stdio.h>
#include <string.h>

#include "avinfo.h"
#include "flv.h"
#include "mp4.h"

int
codec_h264_sps_size(const uint8_t *nal, size_t len, uint16_t *w, uint16_t *h)
{
	struct avinfo_video v;

	if (avinfo_h264_sps(nal, len, &v) == -1)
		return -1;
	*w = v.width;
	*h = v.height;
	return 0;
}

int
codec_hevc_sps_size(const uint8_t *nal, size_t len, uint16_t *w, uint16_t *h)
{
	struct avinfo_video v;

	if (avinfo_hevc_sps(nal, len, &v) == -1)
		return -1;
	*w = v.width;
	*h = v.height;
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

int
codec_aac(const uint8_t *asc, size_t len, struct mp4_track *t, const char **why)
{
	struct avinfo_audio a;

	if (len < 2 || len > sizeof(t->config) || len > AVINFO_SPS_MAX) {
		*why = "malformed AudioSpecificConfig";
		return -1;
	}
	if (avinfo_aac_config(asc, len, &a) == -1) {
		*why = "AudioSpecificConfig without a sample rate";
		return -1;
	}
	/* AAC main, LC, SSR, LTP and the SBR and PS extensions of LC */
	if (!(a.aot >= 1 && a.aot <= 5) && a.aot != 29) {
		*why = "an AAC object type other than LC, HE-AAC";
		return -1;
	}
	if (a.channel_config > 7) {
		*why = "an AAC channel configuration out of range";
		return -1;
	}
	t->kind = MP4_AUDIO;
	t->fourcc = MP4_FOURCC('m', 'p', '4', 'a');
	t->sample_rate = a.sample_rate;
	t->channels = a.channels;
	t->aot = a.aot;
	snprintf(t->codecs, sizeof(t->codecs), "mp4a.40.%u", a.aot);
	memcpy(t->config, asc, len);
	t->config_len = len;
	return 0;
}
