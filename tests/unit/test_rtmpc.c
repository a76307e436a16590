/*
 * The RTMP client engine (fwdd/rtmpc.c) against a real server engine:
 * ingestd's (ingestd/rtmp.c), wired back to back in memory, so the
 * handshake, the commands, the chunking and the media are checked by the
 * code that takes publishers.  Then hand-written server replies for what
 * ingestd never says: errors with descriptions, pings, acknowledgement
 * windows, oversized and malformed messages.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nyon.h"
#include "amf0.h"
#include "flv.h"
#include "rtmp.h"
#include "rtmpc.h"

struct media {
	uint8_t type;
	uint32_t ts;
	size_t len;
	uint8_t *body;
};

struct pair {
	struct rtmpc *c;
	struct rtmp *s;
	struct amf0_buf c2s, s2c; /* bytes on their way */
	int live; /* rtmpc's live callback */
	int accept; /* the server's answer: 1 yes, 0 "Bad key." */
	char app[64], tcurl[256], name[256];
	int unpublished;
	struct media media[64];
	size_t nmedia;
};

static void
c_send(void *arg, const void *buf, size_t len)
{
	struct pair *p = arg;

	amf0_put_raw(&p->c2s, buf, len);
}

static void
c_live(void *arg)
{
	struct pair *p = arg;

	p->live++;
}

static void
s_send(void *arg, const void *buf, size_t len)
{
	struct pair *p = arg;

	amf0_put_raw(&p->s2c, buf, len);
}

static int
s_connect(void *arg, const char *app, const char *tcurl)
{
	struct pair *p = arg;

	snprintf(p->app, sizeof(p->app), "%s", app);
	snprintf(p->tcurl, sizeof(p->tcurl), "%s", tcurl);
	return 0;
}

static void
s_publish(void *arg, const char *name)
{
	struct pair *p = arg;

	snprintf(p->name, sizeof(p->name), "%s", name);
	rtmp_publish_result(p->s, p->accept, "Bad key.");
}

static void
s_media(void *arg, uint8_t type, uint32_t ts, const uint8_t *body, size_t len)
{
	struct pair *p = arg;
	struct media *m;

	assert_true(p->nmedia < nitems(p->media));
	m = &p->media[p->nmedia++];
	m->type = type;
	m->ts = ts;
	m->len = len;
	m->body = xmalloc(len);
	memcpy(m->body, body, len);
}

static void
s_unpublish(void *arg, const char *why)
{
	struct pair *p = arg;

	p->unpublished++;
}

static const struct rtmpc_cb ccb = {c_send, c_live};
static const struct rtmp_cb scb = {
    s_send, s_connect, s_publish, s_media, s_unpublish};

static void
pair_init(struct pair *p, int accept)
{
	struct rtmpc_params params = {
	    .app = "live2",
	    .tcurl = "rtmp://127.0.0.1:1935/live2",
	    .name = "secret-key?s_bl=1",
	    .enhanced = 1,
	};

	memset(p, 0, sizeof(*p));
	p->accept = accept;
	p->c = rtmpc_new(&ccb, p, &params);
	p->s = rtmp_new(&scb, p, NULL);
}

static void
pair_free(struct pair *p)
{
	size_t i;

	for (i = 0; i < p->nmedia; i++)
		free(p->media[i].body);
	rtmpc_free(p->c);
	rtmp_free(p->s);
	amf0_buf_free(&p->c2s);
	amf0_buf_free(&p->s2c);
}

/* Delivers what is on the wire, piece bytes at a time, until quiet. */
static void
pair_pump(struct pair *p, size_t piece)
{
	struct amf0_buf b = {0};
	size_t off, n;
	int moved;

	do {
		moved = 0;
		if (p->c2s.len > 0) {
			b = p->c2s;
			memset(&p->c2s, 0, sizeof(p->c2s));
			for (off = 0; off < b.len; off += n) {
				n = b.len - off < piece ? b.len - off : piece;
				rtmp_feed(p->s, b.data + off, n);
			}
			amf0_buf_free(&b);
			moved = 1;
		}
		if (p->s2c.len > 0) {
			b = p->s2c;
			memset(&p->s2c, 0, sizeof(p->s2c));
			for (off = 0; off < b.len; off += n) {
				n = b.len - off < piece ? b.len - off : piece;
				rtmpc_feed(p->c, b.data + off, n);
			}
			amf0_buf_free(&b);
			moved = 1;
		}
	} while (moved);
}

static void
pair_live(struct pair *p, size_t piece)
{
	rtmpc_start(p->c);
	pair_pump(p, piece);
	assert_null(rtmpc_error(p->c));
	assert_int_equal(p->live, 1);
	assert_int_equal(rtmpc_state(p->c), RTMPC_LIVE);
}

/* The whole way to live, as a publisher into ingestd. */
static void
test_publish(void **state)
{
	struct pair p;

	pair_init(&p, 1);
	pair_live(&p, 1 << 20);
	assert_string_equal(p.app, "live2");
	assert_string_equal(p.tcurl, "rtmp://127.0.0.1:1935/live2");
	/* ingestd drops the query of a publish name */
	assert_string_equal(p.name, "secret-key");
	/* ingestd signs S1 only for a C1 signed the way Flash Player does */
	assert_true(rtmpc_digest_handshake(p.c));
	assert_true(rtmp_publishing(p.s));
	pair_free(&p);
}

static void
test_byte_by_byte(void **state)
{
	struct pair p;

	pair_init(&p, 1);
	pair_live(&p, 1);
	assert_string_equal(p.name, "secret-key");
	pair_free(&p);
}

static void
test_refused(void **state)
{
	struct pair p;

	pair_init(&p, 0);
	rtmpc_start(p.c);
	pair_pump(&p, 7);
	assert_int_equal(p.live, 0);
	assert_int_equal(rtmpc_state(p.c), RTMPC_FAILED);
	assert_string_equal(
	    rtmpc_error(p.c), "NetStream.Publish.BadName: Bad key.");
	assert_int_equal(rtmpc_feed(p.c, (const uint8_t *)"x", 1), -1);
	pair_free(&p);
}

/*
 * Metadata goes as @setDataFrame (the server hands on "onMetaData");
 * a large keyframe is chunked; timestamps come out as given, across the
 * 24-bit boundary (extended timestamps) and when time goes back.
 */
static void
test_media(void **state)
{
	static const uint32_t ts[] = {
	    0, 0, 20, 40, 33, 0xfffffe, 0x1000005, 0x1000006, 7};
	struct amf0_buf meta = {0};
	uint8_t *big;
	size_t i, bigl = 300000;
	struct pair p;

	pair_init(&p, 1);
	pair_live(&p, 4096);
	assert_int_equal(rtmpc_media(p.c, 7, 0, (const uint8_t *)"x", 1), -1);
	amf0_put_string(&meta, "onMetaData");
	amf0_put_ecma_array(&meta, 1);
	amf0_put_key(&meta, "width");
	amf0_put_number(&meta, 1280);
	amf0_put_object_end(&meta);
	assert_int_equal(
	    rtmpc_media(p.c, FLV_TAG_SCRIPT, 0, meta.data, meta.len), 0);
	big = xmalloc(bigl);
	for (i = 0; i < bigl; i++)
		big[i] = (uint8_t)(i * 31 + 7);
	big[0] = 0x17;
	big[1] = 1;
	for (i = 0; i < nitems(ts); i++)
		assert_int_equal(
		    rtmpc_media(p.c, i % 2 ? FLV_TAG_AUDIO : FLV_TAG_VIDEO,
		        ts[i], big, i == 1 ? bigl : 100 + i),
		    0);
	pair_pump(&p, 1000);
	assert_null(rtmpc_error(p.c));
	assert_int_equal(p.nmedia, 1 + nitems(ts));
	assert_int_equal(p.media[0].type, FLV_TAG_SCRIPT);
	assert_int_equal(p.media[0].len, meta.len);
	assert_memory_equal(p.media[0].body, meta.data, meta.len);
	for (i = 0; i < nitems(ts); i++) {
		struct media *m = &p.media[1 + i];

		assert_int_equal(
		    m->type, i % 2 ? FLV_TAG_AUDIO : FLV_TAG_VIDEO);
		assert_int_equal(m->ts, ts[i]);
		assert_int_equal(m->len, i == 1 ? bigl : 100 + i);
		assert_memory_equal(m->body, big, m->len);
	}
	amf0_buf_free(&meta);
	/* stopping says FCUnpublish and deleteStream */
	rtmpc_stop(p.c);
	pair_pump(&p, 1 << 20);
	assert_int_equal(p.unpublished, 1);
	assert_int_equal(rtmpc_media(p.c, FLV_TAG_AUDIO, 1, big, 1), -1);
	free(big);
	pair_free(&p);
}

/* Hand-written server replies. */

static void
put_msg(struct amf0_buf *w, uint32_t chunk, uint32_t csid, uint8_t type,
    uint32_t sid, const void *body, size_t len)
{
	uint8_t h[12];
	size_t off = 0, n;

	h[0] = (uint8_t)csid;
	be24_write(h + 1, 0);
	be24_write(h + 4, (uint32_t)len);
	h[7] = type;
	h[8] = sid;
	h[9] = sid >> 8;
	h[10] = sid >> 16;
	h[11] = sid >> 24;
	amf0_put_raw(w, h, sizeof(h));
	do {
		if (off > 0) {
			uint8_t c3 = 0xc0 | csid;

			amf0_put_raw(w, &c3, 1);
		}
		n = len - off < chunk ? len - off : chunk;
		amf0_put_raw(w, (const uint8_t *)body + off, n);
		off += n;
	} while (off < len);
}

struct solo {
	struct rtmpc *c;
	struct amf0_buf out;
	int live;
};

static void
solo_send(void *arg, const void *buf, size_t len)
{
	struct solo *s = arg;

	amf0_put_raw(&s->out, buf, len);
}

static void
solo_live(void *arg)
{
	struct solo *s = arg;

	s->live++;
}

/* An engine past a plain handshake, connect sent. */
static void
solo_init(struct solo *s)
{
	static const struct rtmpc_cb cb = {solo_send, solo_live};
	struct rtmpc_params params = {"app", "rtmp://h/app", "key", 0};
	uint8_t hs[1 + 2 * RTMPC_HANDSHAKE_SIZE];

	memset(s, 0, sizeof(*s));
	s->c = rtmpc_new(&cb, s, &params);
	rtmpc_start(s->c);
	memset(hs, 0, sizeof(hs));
	hs[0] = 3;
	assert_int_equal(rtmpc_feed(s->c, hs, sizeof(hs)), 0);
	assert_int_equal(rtmpc_state(s->c), RTMPC_CONNECTING);
	/* C0 C1, C2 (S1 was not signed: it echoes S1), then commands */
	assert_true(s->out.len > 1 + 2 * RTMPC_HANDSHAKE_SIZE);
	assert_memory_equal(s->out.data + 1 + RTMPC_HANDSHAKE_SIZE, hs + 1,
	    RTMPC_HANDSHAKE_SIZE);
	assert_false(rtmpc_digest_handshake(s->c));
	s->out.len = 0;
}

static void
solo_free(struct solo *s)
{
	rtmpc_free(s->c);
	amf0_buf_free(&s->out);
}

static void
put_status(struct amf0_buf *w, const char *cmd, double txn, const char *level,
    const char *code, const char *desc)
{
	struct amf0_buf b = {0};

	amf0_put_string(&b, cmd);
	amf0_put_number(&b, txn);
	amf0_put_null(&b);
	amf0_put_object(&b);
	amf0_put_key(&b, "level");
	amf0_put_string(&b, level);
	amf0_put_key(&b, "code");
	amf0_put_string(&b, code);
	if (desc != NULL) {
		amf0_put_key(&b, "description");
		amf0_put_string(&b, desc);
	}
	amf0_put_object_end(&b);
	put_msg(w, 128, 3, 20, 0, b.data, b.len);
	amf0_buf_free(&b);
}

static void
test_connect_error(void **state)
{
	struct amf0_buf w = {0};
	struct solo s;

	solo_init(&s);
	put_status(&w, "_error", 1, "error", "NetConnection.Connect.Rejected",
	    "[ AccessManager.Reject ] : [ code=403 need auth ]");
	assert_int_equal(rtmpc_feed(s.c, w.data, w.len), -1);
	assert_string_equal(rtmpc_error(s.c),
	    "NetConnection.Connect.Rejected: [ AccessManager.Reject ] : [ "
	    "code=403 need auth ]");
	solo_free(&s);
	amf0_buf_free(&w);
}

/* The whole flow by hand, with the replies Twitch and YouTube send. */
static void
test_flow_by_hand(void **state)
{
	struct amf0_buf w = {0}, b = {0};
	struct solo s;
	uint8_t ping[6] = {0, 6, 0, 0, 0x12, 0x34},
	        pong[6] = {0, 7, 0, 0, 0x12, 0x34};

	solo_init(&s);
	/* a window of 100 bytes: we must acknowledge what we read */
	{
		uint8_t v[4];

		be32_write(v, 100);
		put_msg(&w, 128, 2, 5, 0, v, 4);
		be32_write(v, 4096);
		put_msg(&w, 128, 2, 1, 0, v, 4);
	}
	/* Set Peer Bandwidth: answered with a Window Acknowledgement Size */
	put_msg(&w, 4096, 2, 6, 0, "\x00\x4c\x4b\x40\x02", 5);
	/* _result of connect */
	amf0_put_string(&b, "_result");
	amf0_put_number(&b, 1);
	amf0_put_object(&b);
	amf0_put_key(&b, "fmsVer");
	amf0_put_string(&b, "FMS/3,5,7,7009");
	amf0_put_object_end(&b);
	amf0_put_object(&b);
	amf0_put_key(&b, "code");
	amf0_put_string(&b, "NetConnection.Connect.Success");
	amf0_put_object_end(&b);
	put_msg(&w, 4096, 3, 20, 0, b.data, b.len);
	assert_int_equal(rtmpc_feed(s.c, w.data, w.len), 0);
	assert_int_equal(rtmpc_state(s.c), RTMPC_CREATING);
	assert_non_null(memmem(s.out.data, s.out.len, "releaseStream", 13));
	assert_non_null(memmem(s.out.data, s.out.len, "FCPublish", 9));
	assert_non_null(memmem(s.out.data, s.out.len, "createStream", 12));
	assert_non_null(memmem(
	    s.out.data, s.out.len, "\x00\x00\x04\x05\x00\x4c\x4b\x40", 8));
	/* more than the window read: an Acknowledgement (type 3) went out */
	assert_non_null(memmem(s.out.data, s.out.len, "\x00\x00\x04\x03", 4));
	s.out.len = 0;
	w.len = 0;
	b.len = 0;
	/* _error to releaseStream is harmless; createStream gives 1 */
	put_status(&w, "_error", 2, "error", "NetStream.Failed", NULL);
	amf0_put_string(&b, "_result");
	amf0_put_number(&b, 4);
	amf0_put_null(&b);
	amf0_put_number(&b, 1);
	put_msg(&w, 4096, 3, 20, 0, b.data, b.len);
	/* a ping is answered */
	put_msg(&w, 4096, 2, 4, 0, ping, sizeof(ping));
	assert_int_equal(rtmpc_feed(s.c, w.data, w.len), 0);
	assert_int_equal(rtmpc_state(s.c), RTMPC_PUBLISHING);
	assert_non_null(memmem(s.out.data, s.out.len, "publish", 7));
	assert_non_null(memmem(s.out.data, s.out.len, pong, sizeof(pong)));
	w.len = 0;
	put_status(&w, "onStatus", 0, "status", "NetStream.Publish.Start",
	    "Publishing key.");
	assert_int_equal(rtmpc_feed(s.c, w.data, w.len), 0);
	assert_int_equal(s.live, 1);
	assert_int_equal(rtmpc_state(s.c), RTMPC_LIVE);
	/* the server ends it: the reason is kept */
	w.len = 0;
	put_status(&w, "onStatus", 0, "status", "NetStream.Unpublish.Success",
	    "Stopped by the admin.");
	assert_int_equal(rtmpc_feed(s.c, w.data, w.len), -1);
	assert_string_equal(rtmpc_error(s.c),
	    "the server ended the publish: NetStream.Unpublish.Success: "
	    "Stopped by the admin.");
	solo_free(&s);
	amf0_buf_free(&w);
	amf0_buf_free(&b);
}

/* What a server may not make us hold or believe. */
static void
test_hostile(void **state)
{
	struct amf0_buf w = {0};
	uint8_t *big = xcalloc(1, 200000);
	struct solo s;
	uint32_t i;

	/* a 200 kB video message is skipped, not held */
	solo_init(&s);
	put_msg(&w, 128, 4, 9, 1, big, 200000);
	assert_int_equal(rtmpc_feed(s.c, w.data, w.len), 0);
	/* a 70 kB command is refused */
	w.len = 0;
	big[0] = 2;
	put_msg(&w, 128, 3, 20, 0, big, 70000);
	assert_int_equal(rtmpc_feed(s.c, w.data, w.len), -1);
	assert_non_null(strstr(rtmpc_error(s.c), "70000-byte message"));
	solo_free(&s);

	/* too many chunk streams */
	solo_init(&s);
	w.len = 0;
	for (i = 0; i <= RTMPC_MAX_CHUNK_STREAMS; i++)
		put_msg(&w, 128, 4 + i, 8, 1, big, 10);
	assert_int_equal(rtmpc_feed(s.c, w.data, w.len), -1);
	assert_non_null(strstr(rtmpc_error(s.c), "chunk streams"));
	solo_free(&s);

	/* a continuation on a chunk stream never started */
	solo_init(&s);
	assert_int_equal(rtmpc_feed(s.c, (const uint8_t *)"\xc9", 1), -1);
	solo_free(&s);

	/* a command that is not one */
	solo_init(&s);
	w.len = 0;
	put_msg(&w, 128, 3, 20, 0, "\x05\x05", 2);
	assert_int_equal(rtmpc_feed(s.c, w.data, w.len), -1);
	assert_non_null(strstr(rtmpc_error(s.c), "malformed"));
	solo_free(&s);

	/* a bad chunk size */
	solo_init(&s);
	w.len = 0;
	put_msg(&w, 128, 2, 1, 0, "\x80\0\0\0", 4);
	assert_int_equal(rtmpc_feed(s.c, w.data, w.len), -1);
	solo_free(&s);

	/* not RTMP at all */
	{
		static const struct rtmpc_cb cb = {solo_send, solo_live};
		struct rtmpc_params params = {"a", "rtmp://h/a", "k", 0};

		memset(&s, 0, sizeof(s));
		s.c = rtmpc_new(&cb, &s, &params);
		rtmpc_start(s.c);
		assert_int_equal(
		    rtmpc_feed(s.c, (const uint8_t *)"HTTP/1.1 400", 12), -1);
		assert_non_null(strstr(rtmpc_error(s.c), "not an RTMP server"));
		solo_free(&s);
	}
	free(big);
	amf0_buf_free(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_publish),
	    cmocka_unit_test(test_byte_by_byte),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_media),
	    cmocka_unit_test(test_connect_error),
	    cmocka_unit_test(test_flow_by_hand),
	    cmocka_unit_test(test_hostile),
	};

	log_init("test_rtmpc", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
