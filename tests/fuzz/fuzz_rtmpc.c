/*
 * RTMP client engine: what a server sends, to a fresh engine.  If the first
 * byte is 0xff, a plain S0 S1 S2 is synthesized first so the fuzzer spends
 * its time in the chunk parser and the replies to our commands; media is
 * offered after the input, as fwdd would once live.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nyon.h"
#include "rtmpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint64_t fuzz_sink;

static void
fuzz_send(void *arg, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t i;

	/* touch every byte so ASan checks the whole span */
	for (i = 0; i < len; i++)
		fuzz_sink += p[i];
}

static void
fuzz_live(void *arg)
{
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct rtmpc_cb cb = {fuzz_send, fuzz_live};
	struct rtmpc_params p = {"app", "rtmp://host/app", "key?x=1", 1};
	static const uint8_t body[] = {0x17, 1, 0, 0, 0, 0, 0, 0, 1, 0x65};
	uint8_t hs[1 + 2 * RTMPC_HANDSHAKE_SIZE];
	struct rtmpc *c;
	size_t half;

	c = rtmpc_new(&cb, NULL, &p);
	rtmpc_start(c);
	if (size >= 1 && data[0] == 0xff) {
		memset(hs, 0, sizeof(hs));
		hs[0] = 3;
		rtmpc_feed(c, hs, sizeof(hs));
		data++;
		size--;
	}
	/* two pieces, split where the input says, to exercise resumption */
	half = size > 0 ? data[0] % (size + 1) : 0;
	if (rtmpc_feed(c, data, half) == 0)
		rtmpc_feed(c, data + half, size - half);
	rtmpc_media(c, 9, 40, body, sizeof(body));
	rtmpc_media(
	    c, 18, 0, (const uint8_t *)"\x02\x00\x0aonMetaData\x05", 14);
	if (rtmpc_error(c) != NULL && strlen(rtmpc_error(c)) >= 256)
		abort();
	rtmpc_stop(c);
	rtmpc_free(c);
	return 0;
}
