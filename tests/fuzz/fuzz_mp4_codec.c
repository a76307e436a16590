/*
 * libFuzzer target for recd's codec parsers and its MP4 muxer.  The first
 * byte picks the parser (avcC, hvcC, AudioSpecificConfig, an H.264 or
 * HEVC SPS) and the length of the configuration that follows; when it is
 * taken, the rest drives the muxer as samples (a flags byte, a 24-bit
 * timestamp step and a length each), and what it wrote is read back by
 * the scanner, which must take the whole file.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nyon.h"
#include "mp4.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_feed(const struct mp4_track *t, const uint8_t *p, size_t len)
{
	struct mp4_patch patch[MP4_PATCH_MAX];
	struct mp4buf b = {0};
	struct mp4scan sc;
	struct mp4mux *m;
	const char *why;
	uint32_t ts = 0;
	size_t n, need, i;
	int video = t->kind == MP4_VIDEO;

	m = mp4mux_new(video ? t : NULL, video ? NULL : t, 0);
	mp4mux_init(m, &b);
	while (len >= 6) {
		ts += (uint32_t)(p[1] << 16 | p[2] << 8 | p[3]);
		n = (size_t)(p[4] << 8 | p[5]);
		if (n > len - 6)
			n = len - 6;
		if (video)
			mp4mux_video(
			    m, ts, (int8_t)p[0], p[0] & 1, p + 6, n, &b, &why);
		else
			mp4mux_audio(m, ts, p + 6, n, &b, &why);
		p += 6 + n;
		len -= 6 + n;
	}
	mp4mux_finish(m, &b);
	n = mp4mux_patches(m, patch, MP4_PATCH_MAX);
	for (i = 0; i < n; i++) {
		if (patch[i].offset + patch[i].len > b.len)
			abort();
		memcpy(b.data + patch[i].offset, patch[i].bytes, patch[i].len);
	}
	/* our own output: always readable */
	if (mp4scan_init(b.data, b.len, &sc, &need, &why) != 0)
		abort();
	mp4mux_free(m);
	mp4buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int logs_off;
	struct mp4_track t;
	const char *why;
	uint16_t w, h;
	size_t clen;
	int r = -1;

	if (!logs_off) {
		log_init("fuzz_mp4_codec", 1, 0);
		logs_off = 1;
	}
	if (size < 3)
		return 0;
	clen = (size_t)(data[1] << 8 | data[2]);
	if (clen > size - 3)
		clen = size - 3;
	memset(&t, 0, sizeof(t));
	switch (data[0] % 5) {
	case 0:
		r = codec_avc(data + 3, clen, &t, &why);
		break;
	case 1:
		r = codec_hevc(data + 3, clen, &t, &why);
		break;
	case 2:
		r = codec_aac(data + 3, clen, &t, &why);
		break;
	case 3:
		codec_h264_sps_size(data + 3, clen, &w, &h);
		return 0;
	case 4:
		codec_hevc_sps_size(data + 3, clen, &w, &h);
		return 0;
	}
	if (r == 0)
		fuzz_feed(&t, data + 3 + clen, size - 3 - clen);
	return 0;
}
