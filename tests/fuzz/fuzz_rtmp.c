/*
 * RTMP engine: input to a fresh engine.  If the first byte is 0xff, a valid
 * plain handshake is synthesized first so the fuzzer spends its time in the
 * chunk parser and commands; the second byte then picks whether publish is
 * accepted right away, refused, or left pending, and the media limit of the
 * publish.  The engine shares a small buffer budget, which must be back to
 * zero once it is freed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nyon.h"
#include "rtmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct rtmp *fuzz_r;
static int fuzz_accept;
static size_t fuzz_max_media;
static uint64_t fuzz_sink;

static void
fuzz_send(void *arg, const void *buf, size_t len)
{
	fuzz_sink += len;
}

static int
fuzz_connect(void *arg, const char *app, const char *tcurl)
{
	return strcmp(app, "reject") == 0 ? -1 : 0;
}

static void
fuzz_publish(void *arg, const char *name)
{
	rtmp_set_max_media(fuzz_r, fuzz_max_media);
	if (fuzz_accept == 1)
		rtmp_publish_result(fuzz_r, 1, NULL);
	else if (fuzz_accept == 2)
		rtmp_publish_result(fuzz_r, 0, "no");
}

static void
fuzz_media(
    void *arg, uint8_t type, uint32_t ts, const uint8_t *body, size_t len)
{
	/* Touch every byte so ASan checks the whole span. */
	size_t i;

	for (i = 0; i < len; i++)
		fuzz_sink += body[i];
	if (len > 0 && body[0] == 0xee)
		rtmp_stop(fuzz_r, "stop");
}

static void
fuzz_unpublish(void *arg, const char *why)
{
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct rtmp_cb cb = {
	    fuzz_send, fuzz_connect, fuzz_publish, fuzz_media, fuzz_unpublish};
	static struct rtmp_budget budget = {.limit = 1536 * 1024};
	struct rtmp_limits lim = {.max_message = 1 << 20,
	    .max_chunk_size = 1 << 20,
	    .budget = &budget};
	uint8_t hs[1 + 2 * 1536];
	size_t half;

	fuzz_accept = 1;
	fuzz_max_media = 0;
	fuzz_r = rtmp_new(&cb, NULL, &lim);
	if (size >= 2 && data[0] == 0xff) {
		fuzz_accept = data[1] % 3;
		fuzz_max_media = (size_t)(data[1] >> 2) * 4096;
		memset(hs, 0, sizeof(hs));
		hs[0] = 3;
		rtmp_feed(fuzz_r, hs, sizeof(hs));
		data += 2;
		size -= 2;
	}
	/* Two pieces, split where the input says, to exercise resumption. */
	half = size > 0 ? data[0] % (size + 1) : 0;
	if (rtmp_feed(fuzz_r, data, half) == 0)
		rtmp_feed(fuzz_r, data + half, size - half);
	rtmp_publish_result(fuzz_r, 1, NULL);
	rtmp_feed(fuzz_r, data, size > 64 ? 64 : size);
	if (budget.used != rtmp_buffered(fuzz_r))
		abort();
	rtmp_free(fuzz_r);
	if (budget.used != 0) {
		fprintf(
		    stderr, "budget: %zu bytes not given back\n", budget.used);
		abort();
	}
	return 0;
}
