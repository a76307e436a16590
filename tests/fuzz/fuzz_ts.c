/*
 * libFuzzer target for the MPEG-TS demuxer.  The first byte picks a chunk
 * size so that packet reassembly across feeds is exercised too; each tag body
 * is read in full so ASan sees any length that points past the data.
 */
#include <stddef.h>
#include <stdint.h>

#include "nyon.h"
#include "ts.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_ts_tag(void *arg, uint8_t type, uint32_t timestamp, const uint8_t *body,
    size_t len)
{
	unsigned int *sum = arg;
	size_t i;

	for (i = 0; i < len; i++)
		*sum += body[i];
	*sum += type + timestamp;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int logs_off;
	struct ts_demux *d;
	struct ts_stats st;
	unsigned int sum = 0;
	size_t chunk, n;

	if (!logs_off) {
		log_init("fuzz_ts", 1, 0);
		logs_off = 1;
	}
	if (size < 1)
		return 0;
	chunk = data[0] ? data[0] * 7 : size;
	data++;
	size--;
	d = ts_new(fuzz_ts_tag, &sum);
	while (size > 0) {
		n = size < chunk ? size : chunk;
		if (ts_feed(d, data, n) == -1)
			break;
		data += n;
		size -= n;
	}
	ts_stats(d, &st);
	ts_free(d);
	return 0;
}
