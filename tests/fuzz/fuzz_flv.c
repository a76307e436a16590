/*
 * FLV tag bodies as publishers send them (legacy FLV and enhanced RTMP):
 * the first byte picks audio, video or script; the rest is the body.
 * Classifying, parsing the (Ex)TagHeader with its ModEx prefixes, deciding
 * what ingestd carries and parsing decoder configurations must agree with
 * each other and never read beyond the body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flv.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t types[] = {
	    FLV_TAG_AUDIO, FLV_TAG_VIDEO, FLV_TAG_SCRIPT};
	struct flv_codec_config cfg;
	struct flv_media m;
	const char *why;
	char reason[160], cc[12];
	uint8_t type, *body;
	size_t len;
	int flags, parsed, accepted;

	if (size < 1)
		return 0;
	type = types[data[0] % 3];
	/* a copy of exactly len bytes: ASan sees any read past it */
	len = size - 1;
	body = malloc(len > 0 ? len : 1);
	memcpy(body, data + 1, len);
	flags = flv_classify(type, body, len);
	parsed = flv_media_parse(type, body, len, &m, &why);
	if (type != FLV_TAG_SCRIPT) {
		accepted =
		    flv_media_accept(type, body, len, reason, sizeof(reason));
		/* what is accepted with an enhanced header was parsed */
		if (accepted == 0 && parsed == 0 && m.payload > len)
			abort();
		if (parsed == 0 && m.enhanced && accepted == 0 &&
		    m.packet == FLV_PKT_SEQUENCE_START && !m.command &&
		    !(flags & FLV_F_SEQHDR))
			abort();
		if (parsed == 0)
			flv_fourcc_string(m.codec, cc);
	}
	if (type == FLV_TAG_VIDEO && flv_video_config(body, len, &cfg) == 0) {
		/* a configuration is only ever found in a sequence header */
		if (!(flags & FLV_F_SEQHDR))
			abort();
		if (cfg.nalu_length_size != 1 && cfg.nalu_length_size != 2 &&
		    cfg.nalu_length_size != 4)
			abort();
	}
	free(body);
	return 0;
}
