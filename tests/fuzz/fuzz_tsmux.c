/*
 * TS muxer: FLV tag bodies as a publisher could make them.  The input is
 * a run of tags: a type byte (its low bits pick audio, video or script),
 * a 16-bit length, the body.  Whatever the tags, the output must be whole
 * 188-byte packets, each starting with the sync byte.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nyon.h"
#include "tsmux.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_out(void *arg, const uint8_t *buf, size_t len)
{
	size_t off;

	if (len == 0 || len % TSMUX_PACKET != 0)
		abort();
	for (off = 0; off < len; off += TSMUX_PACKET)
		if (buf[off] != 0x47)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t types[4] = {8, 9, 18, 9};
	struct tsmux *m = tsmux_new(fuzz_out, NULL);
	uint32_t ts = 0;
	size_t len;
	uint8_t type;

	while (size >= 3) {
		type = types[data[0] & 3];
		ts += data[0] >> 2;
		len = (size_t)data[1] << 8 | data[2];
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		tsmux_tag(m, type, ts, data, len);
		data += len;
		size -= len;
	}
	tsmux_free(m);
	return 0;
}
