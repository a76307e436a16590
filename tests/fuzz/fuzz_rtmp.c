/*
 * RTMP engine: input to a fresh engine.  If the first byte is 0xff, a valid
 * plain handshake is synthesized first so the fuzzer spends its time in the
 * chunk parser and commands; the second byte then picks whether publish is
 * accepted right away, refused, or left pending.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nyon.h"
#include "rtmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct rtmp *fuzz_r;
static int fuzz_accept;
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
fuzz_unpublish(void *arg)
{
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct rtmp_cb cb = {
	    fuzz_send, fuzz_connect, fuzz_publish, fuzz_media, fuzz_unpublish};
	struct rtmp_limits lim = {1 << 20, 1 << 20};
	uint8_t hs[1 + 2 * 1536];
	size_t half;

	fuzz_accept = 1;
	fuzz_r = rtmp_new(&cb, NULL, &lim);
	if (size >= 2 && data[0] == 0xff) {
		fuzz_accept = data[1] % 3;
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
	rtmp_free(fuzz_r);
	return 0;
}
