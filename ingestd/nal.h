/*
 * H.264 and HEVC bitstream helpers: Annex B splitting and the decoder
 * configuration records FLV sequence headers carry.  No I/O, no allocation.
 */
#ifndef NAL_H
#define NAL_H

#include <stddef.h>
#include <stdint.h>

#define NAL_H264_SLICE 1
#define NAL_H264_IDR 5
#define NAL_H264_SEI 6
#define NAL_H264_SPS 7
#define NAL_H264_PPS 8
#define NAL_H264_AUD 9

#define NAL_HEVC_IRAP_FIRST 16
#define NAL_HEVC_IRAP_LAST 23
#define NAL_HEVC_VPS 32
#define NAL_HEVC_SPS 33
#define NAL_HEVC_PPS 34
#define NAL_HEVC_AUD 35

/* Largest parameter set we keep; real ones are tens of bytes. */
#define NAL_PARAM_MAX 1024

/*
 * Finds the next NAL unit in an Annex B buffer starting at *pos.  Returns 1
 * and sets *nal and *nallen (start code and trailing zero bytes removed), or 0 at the
 * end.  Bytes before the first start code are skipped.
 */
int nal_next(const uint8_t *buf, size_t len, size_t *pos, const uint8_t **nal,
    size_t *nallen);
int nal_h264_type(const uint8_t *nal);
int nal_hevc_type(const uint8_t *nal);

/*
 * Writes an AVCDecoderConfigurationRecord (lengthSizeMinusOne 3, one SPS, one
 * PPS) into out.  Returns its length, or 0 if the SPS cannot be parsed or out
 * is too small.
 */
size_t nal_avc_config(const uint8_t *sps, size_t spslen, const uint8_t *pps,
    size_t ppslen, uint8_t *out, size_t outlen);

/* Same for an HEVCDecoderConfigurationRecord with VPS, SPS and PPS arrays. */
size_t nal_hevc_config(const uint8_t *vps, size_t vpslen, const uint8_t *sps,
    size_t spslen, const uint8_t *pps, size_t ppslen, uint8_t *out,
    size_t outlen);

#endif
