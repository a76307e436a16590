/*
 * libFuzzer target for recd's MP4 reader: the start of a file (ftyp,
 * moov), one fragment header read against the tracks found, and the
 * duration fields a repair would patch, which must lie inside the bytes
 * it was given.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "nyon.h"
#include "mp4.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mp4_patch p[MP4_PATCH_MAX];
	struct mp4scan sc;
	struct mp4_frag f;
	const char *why;
	uint64_t end, bsize;
	uint32_t type;
	size_t need, n, i, hl;

	if (mp4scan_init(data, size, &sc, &need, &why) == 0) {
		if (sc.init_len > size)
			abort();
		n = mp4scan_patches(data, size, &sc, 1000, p, MP4_PATCH_MAX);
		for (i = 0; i < n; i++)
			if (p[i].offset + p[i].len > size)
				abort();
		/* the bytes after moov as a fragment of these tracks */
		mp4scan_moof(
		    data + sc.init_len, size - sc.init_len, &sc, &f, &end);
	} else {
		/* or as a fragment of two made-up tracks */
		sc.ntracks = 2;
		sc.track[0].id = 1;
		sc.track[0].timescale = 90000;
		sc.track[0].fourcc = MP4_FOURCC('a', 'v', 'c', '1');
		sc.track[1].id = 2;
		sc.track[1].timescale = 1;
		mp4scan_moof(data, size, &sc, &f, &end);
	}
	mp4scan_box(data, size, &type, &bsize, &hl);
	return 0;
}
