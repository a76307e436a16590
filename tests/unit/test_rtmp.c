/*
 * The RTMP engine driven as a publisher would drive it: a small client-side
 * encoder writes the handshake and chunked messages, the engine's replies
 * are parsed back and its callbacks recorded.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "nyon.h"
#include "amf0.h"
#include "flv.h"
#include "rtmp.h"

#define HS 1536

/* What the callbacks saw, serialized so two runs can be compared. */
struct sess {
	struct rtmp *r;
	struct amf0_buf out; /* bytes from the engine */
	struct amf0_buf events;
	char app[64], tcurl[128], name[300], why[160];
	int connects, publishes, unpublishes, nmedia;
	int reject_connect;
	int accept; /* answer publish right away: 1 ok, -1 no */
	int stop_after; /* rtmp_stop after this many media, if > 0 */
};

static void
cb_send(void *arg, const void *buf, size_t len)
{
	struct sess *s = arg;

	amf0_put_raw(&s->out, buf, len);
}

static int
cb_connect(void *arg, const char *app, const char *tcurl)
{
	struct sess *s = arg;

	s->connects++;
	snprintf(s->app, sizeof(s->app), "%s", app);
	snprintf(s->tcurl, sizeof(s->tcurl), "%s", tcurl);
	amf0_put_raw(&s->events, "C", 1);
	return s->reject_connect ? -1 : 0;
}

static void
cb_publish(void *arg, const char *name)
{
	struct sess *s = arg;

	s->publishes++;
	snprintf(s->name, sizeof(s->name), "%s", name);
	amf0_put_raw(&s->events, "P", 1);
	if (s->accept)
		rtmp_publish_result(s->r, s->accept > 0, "Bad key.");
}

static void
cb_media(void *arg, uint8_t type, uint32_t ts, const uint8_t *body, size_t len)
{
	struct sess *s = arg;
	uint8_t h[9];

	h[0] = type;
	be32_write(h + 1, ts);
	be32_write(h + 5, (uint32_t)len);
	amf0_put_raw(&s->events, h, sizeof(h));
	amf0_put_raw(&s->events, body, len);
	if (++s->nmedia == s->stop_after)
		rtmp_stop(s->r, "Key revoked.");
}

static void
cb_unpublish(void *arg, const char *why)
{
	struct sess *s = arg;

	if (why != NULL)
		snprintf(s->why, sizeof(s->why), "%s", why);

	s->unpublishes++;
	amf0_put_raw(&s->events, "U", 1);
}

static const struct rtmp_cb cbs = {
    cb_send, cb_connect, cb_publish, cb_media, cb_unpublish};

static void
sess_init(struct sess *s, const struct rtmp_limits *lim)
{
	memset(s, 0, sizeof(*s));
	s->accept = 1;
	s->r = rtmp_new(&cbs, s, lim);
}

static void
sess_free(struct sess *s)
{
	rtmp_free(s->r);
	amf0_buf_free(&s->out);
	amf0_buf_free(&s->events);
}

/* Client-side encoder. */

#define NO_CONT_EXT 1 /* leave the extended timestamp off continuations */

static void
put_basic(struct amf0_buf *w, int fmt, uint32_t csid)
{
	uint8_t b[3];

	if (csid < 64) {
		b[0] = fmt << 6 | csid;
		amf0_put_raw(w, b, 1);
	} else if (csid < 320) {
		b[0] = fmt << 6;
		b[1] = csid - 64;
		amf0_put_raw(w, b, 2);
	} else {
		b[0] = fmt << 6 | 1;
		b[1] = (csid - 64) & 0xff;
		b[2] = (csid - 64) >> 8;
		amf0_put_raw(w, b, 3);
	}
}

/*
 * One message: the first chunk with a type fmt header carrying ts (absolute
 * for fmt 0, a delta otherwise; for fmt 3 only its extended form is
 * written), then fmt 3 continuations.
 */
static void
put_msg(struct amf0_buf *w, uint32_t chunk, int fmt, uint32_t csid, uint32_t ts,
    uint8_t type, uint32_t sid, const void *body, size_t len, int flags)
{
	uint8_t h[11], e[4];
	size_t off = 0, n, mh[4] = {11, 7, 3, 0};
	int ext = ts >= 0xffffff;

	put_basic(w, fmt, csid);
	be24_write(h, ext ? 0xffffff : ts);
	be24_write(h + 3, (uint32_t)len);
	h[6] = type;
	h[7] = sid;
	h[8] = sid >> 8;
	h[9] = sid >> 16;
	h[10] = sid >> 24;
	amf0_put_raw(w, h, mh[fmt]);
	be32_write(e, ts);
	if (ext)
		amf0_put_raw(w, e, 4);
	do {
		if (off > 0) {
			put_basic(w, 3, csid);
			if (ext && !(flags & NO_CONT_EXT))
				amf0_put_raw(w, e, 4);
		}
		n = len - off < chunk ? len - off : chunk;
		amf0_put_raw(w, (const uint8_t *)body + off, n);
		off += n;
	} while (off < len);
}

static void
put_control(struct amf0_buf *w, uint8_t type, uint32_t v)
{
	uint8_t b[4];

	be32_write(b, v);
	put_msg(w, 128, 0, 2, 0, type, 0, b, 4, 0);
}

static void
put_handshake(struct amf0_buf *w)
{
	uint8_t c[1 + HS];
	size_t i;

	c[0] = 3;
	for (i = 1; i < sizeof(c); i++)
		c[i] = (uint8_t)(i * 7);
	memset(c + 1, 0, 8);
	amf0_put_raw(w, c, sizeof(c));
	amf0_put_raw(w, c + 1, HS); /* C2: the server does not check it */
}

static void
amf_connect(struct amf0_buf *b, const char *app)
{
	amf0_put_string(b, "connect");
	amf0_put_number(b, 1);
	amf0_put_object(b);
	amf0_put_key(b, "app");
	amf0_put_string(b, app);
	amf0_put_key(b, "type");
	amf0_put_string(b, "nonprivate");
	amf0_put_key(b, "flashVer");
	amf0_put_string(b, "FMLE/3.0 (compatible; FMSc/1.0)");
	amf0_put_key(b, "swfUrl");
	amf0_put_string(b, "rtmp://127.0.0.1/live");
	amf0_put_key(b, "tcUrl");
	amf0_put_string(b, "rtmp://127.0.0.1/live");
	amf0_put_object_end(b);
}

/* name(txn, null, [arg]) */
static void
amf_cmd(struct amf0_buf *b, const char *name, double txn, const char *arg)
{
	amf0_buf_reset(b);
	amf0_put_string(b, name);
	amf0_put_number(b, txn);
	amf0_put_null(b);
	if (arg != NULL)
		amf0_put_string(b, arg);
}

static void
put_cmd(struct amf0_buf *w, uint32_t chunk, int fmt, uint32_t csid,
    uint32_t sid, const char *name, double txn, const char *arg)
{
	struct amf0_buf b = {0};

	amf_cmd(&b, name, txn, arg);
	if (strcmp(name, "publish") == 0)
		amf0_put_string(&b, "live");
	put_msg(w, chunk, fmt, csid, 0, 20, sid, b.data, b.len, 0);
	amf0_buf_free(&b);
}

/* Up to connect and a client chunk size of 200. */
static void
put_connect(struct amf0_buf *w)
{
	struct amf0_buf b = {0};

	put_handshake(w);
	amf_connect(&b, "live");
	put_msg(w, 128, 0, 3, 0, 20, 0, b.data, b.len, 0);
	put_control(w, 1, 200);
	amf0_buf_free(&b);
}

static void
put_publish(struct amf0_buf *w, const char *name)
{
	put_cmd(w, 200, 1, 3, 0, "releaseStream", 2, name);
	put_cmd(w, 200, 1, 3, 0, "FCPublish", 3, name);
	put_cmd(w, 200, 1, 3, 0, "createStream", 4, NULL);
	put_cmd(w, 200, 0, 4, 1, "publish", 5, name);
}

/* Server output reader: messages after S0S1S2. */

struct smsg {
	uint8_t type;
	uint32_t sid;
	uint8_t body[8192];
	size_t len;
};

static size_t
parse_out(const struct amf0_buf *o, struct smsg *m, size_t max)
{
	size_t off = 1 + 2 * HS, n = 0, chunk = 128, k;
	struct {
		uint32_t len, got;
		uint8_t type;
		uint32_t sid;
		uint8_t buf[8192];
	} *cs = calloc(64, sizeof(*cs));
	uint8_t *p;
	int fmt, id;

	assert_true(o->len >= off);
	while (off < o->len) {
		p = o->data + off;
		fmt = p[0] >> 6;
		id = p[0] & 0x3f;
		assert_true(id >= 2);
		assert_true(fmt == 0 || fmt == 3);
		off++;
		if (fmt == 0) {
			cs[id].len = be24_read(p + 4);
			cs[id].type = p[7];
			cs[id].sid = p[8] | p[9] << 8;
			cs[id].got = 0;
			assert_true(cs[id].len <= 8192);
			off += 11;
		}
		k = cs[id].len - cs[id].got;
		if (k > chunk)
			k = chunk;
		assert_true(off + k <= o->len);
		memcpy(cs[id].buf + cs[id].got, o->data + off, k);
		cs[id].got += k;
		off += k;
		if (cs[id].got < cs[id].len)
			continue;
		assert_true(n < max);
		m[n].type = cs[id].type;
		m[n].sid = cs[id].sid;
		m[n].len = cs[id].len;
		memcpy(m[n].body, cs[id].buf, cs[id].len);
		if (m[n].type == 1)
			chunk = be32_read(m[n].body);
		n++;
	}
	free(cs);
	return n;
}

/* Decodes a command reply: its name, txn and the "code" and "description". */
static int
reply(const struct smsg *m, char *name, double *txn, char *code, char *desc,
    double *num)
{
	struct amf0_value v;
	size_t off = 0;
	ssize_t n;
	int i;
	const char *s;

	if (m->type != 20)
		return -1;
	name[0] = code[0] = desc[0] = '\0';
	*num = -1;
	for (i = 0; off < m->len; i++) {
		n = amf0_decode(m->body + off, m->len - off, &v);
		assert_true(n > 0);
		off += n;
		if (i == 0)
			snprintf(name, 64, "%s", v.str);
		else if (i == 1)
			*txn = v.num;
		else if (v.type == AMF0_NUMBER)
			*num = v.num;
		if ((s = amf0_get_str(&v, "code")) != NULL)
			snprintf(code, 64, "%s", s);
		if ((s = amf0_get_str(&v, "description")) != NULL)
			snprintf(desc, 64, "%s", s);
		amf0_free(&v);
	}
	return 0;
}

/* Whether the output holds a command name with code (NULL: any). */
static int
has_reply(struct sess *s, const char *want, double wtxn, const char *wcode)
{
	static struct smsg m[64];
	char name[64], code[64], desc[64];
	double txn = -1, num;
	size_t i, n = parse_out(&s->out, m, 64);

	for (i = 0; i < n; i++) {
		if (reply(&m[i], name, &txn, code, desc, &num) == -1)
			continue;
		if (strcmp(name, want) == 0 && (wtxn < 0 || txn == wtxn) &&
		    (wcode == NULL || strcmp(code, wcode) == 0))
			return 1;
	}
	return 0;
}

static const char *
find_desc(struct sess *s, const char *wcode)
{
	static struct smsg m[64];
	static char desc[64];
	char name[64], code[64];
	double txn, num;
	size_t i, n = parse_out(&s->out, m, 64);

	for (i = 0; i < n; i++)
		if (reply(&m[i], name, &txn, code, desc, &num) == 0 &&
		    strcmp(code, wcode) == 0)
			return desc;
	return NULL;
}

/* Index of the first message of type (and user control event), or -1. */
static int
find_msg(struct sess *s, uint8_t type, int event, uint32_t *value)
{
	static struct smsg m[64];
	size_t i, n = parse_out(&s->out, m, 64);

	for (i = 0; i < n; i++) {
		if (m[i].type != type)
			continue;
		if (type == 4 && be16_read(m[i].body) != event)
			continue;
		if (value != NULL)
			*value = be32_read(m[i].body + (type == 4 ? 2 : 0));
		return (int)i;
	}
	return -1;
}

static void
fill(uint8_t *b, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(seed + i * 13);
}

/* The media part of a session, with what cb_media should report. */
static void
put_media(struct amf0_buf *w, struct amf0_buf *want)
{
	static uint8_t key[1000], small[300], big[500];
	uint8_t asc[4] = {0xaf, 0x00, 0x12, 0x10}, h[9], aac[7] = {0xaf, 1};
	struct amf0_buf meta = {0};
	size_t metaoff;

#define WANT(type, ts, body, blen) \
	do { \
		h[0] = (type); \
		be32_write(h + 1, (ts)); \
		be32_write(h + 5, (uint32_t)(blen)); \
		amf0_put_raw(want, h, 9); \
		amf0_put_raw(want, (body), (blen)); \
	} while (0)

	/* @setDataFrame: forwarded without its first string. */
	amf0_put_string(&meta, "@setDataFrame");
	metaoff = meta.len;
	amf0_put_string(&meta, "onMetaData");
	amf0_put_ecma_array(&meta, 2);
	amf0_put_key(&meta, "width");
	amf0_put_number(&meta, 1280);
	amf0_put_key(&meta, "height");
	amf0_put_number(&meta, 720);
	amf0_put_object_end(&meta);
	put_msg(w, 200, 0, 4, 0, 18, 1, meta.data, meta.len, 0);
	WANT(18, 0, meta.data + metaoff, meta.len - metaoff);

	fill(key, sizeof(key), 1);
	key[0] = 0x17;
	key[1] = 0;
	put_msg(w, 200, 0, 6, 0, 9, 1, key, 40, 0);
	WANT(9, 0, key, 40);
	put_msg(w, 200, 0, 7, 0, 8, 1, asc, 4, 0);
	WANT(8, 0, asc, 4);

	/* A 1000-byte keyframe at +40 in five chunks, audio in between. */
	key[1] = 1;
	{
		struct amf0_buf v = {0};
		size_t first;

		put_msg(&v, 200, 1, 6, 40, 9, 1, key, sizeof(key), 0);
		first = 1 + 7 + 200;
		amf0_put_raw(w, v.data, first);
		put_msg(w, 200, 1, 7, 23, 8, 1, aac, sizeof(aac), 0);
		WANT(8, 23, aac, sizeof(aac));
		amf0_put_raw(w, v.data + first, v.len - first);
		WANT(9, 40, key, sizeof(key));
		amf0_buf_free(&v);
	}
	/* fmt 2 (+33), then fmt 3 (+33 again, same length). */
	fill(small, sizeof(small), 2);
	small[0] = 0x27;
	put_msg(w, 200, 2, 6, 33, 9, 1, key, sizeof(key), 0);
	WANT(9, 73, key, sizeof(key));
	put_msg(w, 200, 3, 6, 33, 9, 1, key, sizeof(key), 0);
	WANT(9, 106, key, sizeof(key));
	/* Two- and three-byte chunk stream ids. */
	put_msg(w, 200, 0, 100, 200, 9, 1, small, sizeof(small), 0);
	WANT(9, 200, small, sizeof(small));
	put_msg(w, 200, 0, 65599, 201, 8, 1, aac, sizeof(aac), 0);
	WANT(8, 201, aac, sizeof(aac));
	put_msg(w, 200, 1, 100, 10, 9, 1, small, 250, 0);
	WANT(9, 210, small, 250);

	/* Extended timestamps, repeated in continuations. */
	fill(big, sizeof(big), 3);
	big[0] = 0x27;
	put_msg(w, 200, 0, 8, 0x12345678, 9, 1, big, sizeof(big), 0);
	WANT(9, 0x12345678, big, sizeof(big));
	put_msg(w, 200, 1, 8, 0xffffff, 9, 1, big, 450, 0);
	WANT(9, 0x12345678 + 0xffffff, big, 450);
	put_msg(w, 200, 3, 8, 0xffffff, 9, 1, big, 450, 0);
	WANT(9, 0x12345678 + 2 * 0xffffff, big, 450);
	/* ... and left off them, as some senders do. */
	put_msg(w, 200, 2, 8, 0x1000000, 9, 1, big, 450, NO_CONT_EXT);
	WANT(9, 0x12345678 + 2 * 0xffffff + 0x1000000, big, 450);
	/* 32-bit wrap: 0xfffffff0 + 0x20. */
	put_msg(w, 200, 0, 9, 0xfffffff0, 8, 1, aac, sizeof(aac), 0);
	WANT(8, 0xfffffff0, aac, sizeof(aac));
	put_msg(w, 200, 2, 9, 0x20, 8, 1, aac, sizeof(aac), 0);
	WANT(8, 0x10, aac, sizeof(aac));

	/* Abort a half-sent message, then send another on the same stream. */
	{
		struct amf0_buf v = {0};

		put_msg(&v, 200, 0, 10, 300, 9, 1, big, sizeof(big), 0);
		amf0_put_raw(w, v.data, 1 + 11 + 200);
		put_control(w, 2, 10);
		put_msg(w, 200, 0, 10, 301, 9, 1, small, 100, 0);
		WANT(9, 301, small, 100);
		amf0_buf_free(&v);
	}
	/* Ping. */
	{
		uint8_t ping[6] = {0, 6, 0xde, 0xad, 0xbe, 0xef};

		put_msg(w, 200, 0, 2, 0, 4, 0, ping, sizeof(ping), 0);
	}
	/* Unknown commands and message types are ignored. */
	put_cmd(w, 200, 0, 3, 0, "someVendorThing", 9, "x");
	put_msg(w, 200, 0, 11, 0, 22, 1, small, 30, 0);
	amf0_buf_free(&meta);
#undef WANT
}

static void
put_session(struct amf0_buf *w, struct amf0_buf *want)
{
	uint8_t early[2] = {0xaf, 0x01};

	put_connect(w);
	/* Media before publish is dropped. */
	put_msg(w, 200, 0, 7, 0, 8, 1, early, sizeof(early), 0);
	put_publish(w, "key?token=abc");
	put_media(w, want);
	put_cmd(w, 200, 0, 3, 0, "FCUnpublish", 6, "key");
	put_cmd(w, 200, 1, 3, 0, "deleteStream", 7, NULL);
}

static void
check_session(struct sess *s, const struct amf0_buf *want)
{
	uint32_t v;

	assert_int_equal(s->connects, 1);
	assert_string_equal(s->app, "live");
	assert_string_equal(s->tcurl, "rtmp://127.0.0.1/live");
	assert_int_equal(s->publishes, 1);
	assert_string_equal(s->name, "key");
	assert_int_equal(s->unpublishes, 1);
	/* C, P, the media in order, U. */
	assert_int_equal(s->events.len, want->len + 3);
	assert_memory_equal(s->events.data, "CP", 2);
	assert_memory_equal(s->events.data + 2, want->data, want->len);
	assert_int_equal(s->events.data[s->events.len - 1], 'U');

	assert_true(find_msg(s, 5, 0, &v) >= 0);
	assert_int_equal(v, 2500000);
	assert_true(find_msg(s, 6, 0, NULL) >= 0);
	assert_true(find_msg(s, 1, 0, &v) >= 0);
	assert_int_equal(v, 4096);
	assert_true(
	    has_reply(s, "_result", 1, "NetConnection.Connect.Success"));
	assert_true(has_reply(s, "onBWDone", 0, NULL));
	assert_true(has_reply(s, "_result", 2, NULL));
	assert_true(has_reply(s, "onFCPublish", 0, "NetStream.Publish.Start"));
	assert_true(has_reply(s, "_result", 4, NULL));
	assert_true(find_msg(s, 4, 0, &v) >= 0); /* StreamBegin 1 */
	assert_int_equal(v, 1);
	assert_true(has_reply(s, "onStatus", 0, "NetStream.Publish.Start"));
	assert_true(find_msg(s, 4, 7, &v) >= 0); /* Ping Response */
	assert_int_equal(v, 0xdeadbeef);
	assert_false(has_reply(s, "_result", 9, NULL));
}

static void
test_session(void **state)
{
	struct amf0_buf w = {0}, want = {0};
	static struct smsg m[64];
	char name[64], code[64], desc[64];
	double txn, num;
	struct sess s;
	size_t i, n;

	put_session(&w, &want);
	sess_init(&s, NULL);
	if (rtmp_feed(s.r, w.data, w.len) != 0)
		fail_msg("%s", rtmp_error(s.r));
	assert_int_equal(rtmp_bytes_in(s.r), w.len);
	check_session(&s, &want);
	/* createStream's _result carries stream id 1. */
	n = parse_out(&s.out, m, 64);
	for (i = 0; i < n; i++)
		if (reply(&m[i], name, &txn, code, desc, &num) == 0 && txn == 4)
			assert_true(num == 1);
	/* S0 is version 3; a plain C1 gets its echo as S2. */
	assert_int_equal(s.out.data[0], 3);
	assert_memory_equal(s.out.data + 1 + HS, w.data + 1, HS);
	sess_free(&s);
	amf0_buf_free(&w);
	amf0_buf_free(&want);
}

static void
test_byte_by_byte(void **state)
{
	struct amf0_buf w = {0}, want = {0};
	struct sess a, b;
	size_t i;

	put_session(&w, &want);
	sess_init(&a, NULL);
	sess_init(&b, NULL);
	assert_int_equal(rtmp_feed(a.r, w.data, w.len), 0);
	for (i = 0; i < w.len; i++)
		assert_int_equal(rtmp_feed(b.r, w.data + i, 1), 0);
	check_session(&b, &want);
	assert_int_equal(a.events.len, b.events.len);
	assert_memory_equal(a.events.data, b.events.data, a.events.len);
	/* Same replies after the (random) S1. */
	assert_int_equal(a.out.len, b.out.len);
	assert_memory_equal(a.out.data + 1 + 2 * HS, b.out.data + 1 + 2 * HS,
	    a.out.len - 1 - 2 * HS);
	sess_free(&a);
	sess_free(&b);
	amf0_buf_free(&w);
	amf0_buf_free(&want);
}

/* Every prefix of a session is fine, and freeing mid-message leaks nothing. */
static void
test_truncated(void **state)
{
	struct amf0_buf w = {0}, want = {0};
	struct sess s;
	size_t cut, i;

	put_session(&w, &want);
	for (cut = 0; cut < w.len; cut += 97) {
		sess_init(&s, NULL);
		for (i = 0; i < cut; i++)
			assert_int_equal(rtmp_feed(s.r, w.data + i, 1), 0);
		sess_free(&s);
	}
	amf0_buf_free(&w);
	amf0_buf_free(&want);
}

static void
digest(
    const uint8_t *p, size_t pos, const void *key, size_t keylen, uint8_t *out)
{
	uint8_t msg[HS - 32];
	unsigned int n = 32;

	memcpy(msg, p, pos);
	memcpy(msg + pos, p + pos + 32, HS - pos - 32);
	HMAC(EVP_sha256(), key, (int)keylen, msg, sizeof(msg), out, &n);
}

static size_t
digest_pos(const uint8_t *p, size_t off)
{
	return (p[off] + p[off + 1] + p[off + 2] + p[off + 3]) % 728 + off + 4;
}

/* The handshake as ffmpeg and librtmp do it with digests, both schemas. */
static void
test_digest_handshake(void **state)
{
	static const uint8_t fp_key[] = "Genuine Adobe Flash Player 001";
	static const uint8_t fms_key[68] =
	    "Genuine Adobe Flash Media Server 001"
	    "\xF0\xEE\xC2\x4A\x80\x68\xBE\xE8"
	    "\x2E\x00\xD0\xD1\x02\x9E\x7E\x57"
	    "\x6E\xEC\x5D\x2D\x29\x80\x6F\xAB"
	    "\x93\xB8\xE6\x36\xCF\xEB\x31\xAE";
	static const size_t schemas[] = {8, 772};
	uint8_t c[1 + HS], d[32], key[32];
	const uint8_t *s1, *s2;
	unsigned int n = 32;
	size_t i, k, cpos, spos;
	struct sess s;

	for (k = 0; k < 2; k++) {
		c[0] = 3;
		for (i = 1; i < sizeof(c); i++)
			c[i] = (uint8_t)(i * 31 + k);
		memset(c + 1, 0, 4);
		memcpy(c + 5, "\x80\x00\x07\x02", 4); /* ffmpeg's version */
		cpos = digest_pos(c + 1, schemas[k]);
		digest(c + 1, cpos, fp_key, 30, c + 1 + cpos);

		sess_init(&s, NULL);
		assert_int_equal(rtmp_feed(s.r, c, sizeof(c)), 0);
		assert_int_equal(s.out.len, 1 + 2 * HS);
		s1 = s.out.data + 1;
		s2 = s1 + HS;
		/* What ffmpeg checks when S1's version is nonzero. */
		assert_true(s1[4] >= 3);
		spos = digest_pos(s1, schemas[k]);
		digest(s1, spos, fms_key, 36, d);
		assert_memory_equal(d, s1 + spos, 32);
		HMAC(EVP_sha256(), fms_key, sizeof(fms_key), c + 1 + cpos, 32,
		    key, &n);
		HMAC(EVP_sha256(), key, 32, s2, HS - 32, d, &n);
		assert_memory_equal(d, s2 + HS - 32, 32);
		sess_free(&s);
	}

	/* A nonzero version with a wrong digest falls back to the plain echo. */
	c[1 + cpos] ^= 1;
	sess_init(&s, NULL);
	assert_int_equal(rtmp_feed(s.r, c, sizeof(c)), 0);
	assert_memory_equal(s.out.data + 1 + HS, c + 1, HS);
	assert_int_equal(be32_read(s.out.data + 5), 0);
	sess_free(&s);
}

static void
test_publish_flow(void **state)
{
	struct amf0_buf w = {0}, w2 = {0};
	uint8_t aac[3] = {0xaf, 1, 2};
	struct sess s;
	uint32_t v;

	/* Asynchronous refusal: BadName with our description, media dropped. */
	put_connect(&w);
	put_publish(&w, "nokey");
	sess_init(&s, NULL);
	s.accept = 0;
	assert_int_equal(rtmp_feed(s.r, w.data, w.len), 0);
	assert_int_equal(s.publishes, 1);
	assert_false(has_reply(&s, "onStatus", 0, NULL));
	rtmp_publish_result(s.r, 0, "Unknown stream key.");
	assert_string_equal(
	    find_desc(&s, "NetStream.Publish.BadName"), "Unknown stream key.");
	put_msg(&w2, 200, 0, 7, 0, 8, 1, aac, sizeof(aac), 0);
	put_cmd(&w2, 200, 0, 4, 1, "publish", 8, "again");
	assert_int_equal(rtmp_feed(s.r, w2.data, w2.len), 0);
	assert_int_equal(s.nmedia, 0);
	assert_int_equal(s.publishes, 1); /* the second one is refused */
	assert_string_equal(
	    find_desc(&s, "NetStream.Publish.BadName"), "Unknown stream key.");
	sess_free(&s);

	/* Accepted, then a second publish refused while live. */
	sess_init(&s, NULL);
	s.accept = 0;
	assert_int_equal(rtmp_feed(s.r, w.data, w.len), 0);
	rtmp_publish_result(s.r, 1, NULL);
	assert_true(rtmp_publishing(s.r));
	assert_true(has_reply(&s, "onStatus", 0, "NetStream.Publish.Start"));
	assert_int_equal(rtmp_feed(s.r, w2.data, w2.len), 0);
	assert_int_equal(s.nmedia, 1);
	assert_int_equal(s.publishes, 1);
	assert_true(has_reply(&s, "onStatus", 0, "NetStream.Publish.BadName"));
	/* The server stops it: Unpublish status, StreamEOF, no more media. */
	rtmp_stop(s.r, "Key revoked.");
	assert_string_equal(
	    find_desc(&s, "NetStream.Unpublish.Success"), "Key revoked.");
	assert_true(find_msg(&s, 4, 1, &v) >= 0);
	assert_false(rtmp_publishing(s.r));
	amf0_buf_reset(&w2);
	put_msg(&w2, 200, 1, 7, 10, 8, 1, aac, sizeof(aac), 0);
	assert_int_equal(rtmp_feed(s.r, w2.data, w2.len), 0);
	assert_int_equal(s.nmedia, 1);
	assert_int_equal(s.unpublishes, 0);
	sess_free(&s);

	/* rtmp_stop from inside the media callback. */
	amf0_buf_reset(&w2);
	put_msg(&w2, 200, 0, 7, 0, 8, 1, aac, sizeof(aac), 0);
	put_msg(&w2, 200, 3, 7, 0, 8, 1, aac, sizeof(aac), 0);
	sess_init(&s, NULL);
	s.stop_after = 1;
	assert_int_equal(rtmp_feed(s.r, w.data, w.len), 0);
	assert_int_equal(rtmp_feed(s.r, w2.data, w2.len), 0);
	assert_int_equal(s.nmedia, 1);
	sess_free(&s);

	/* closeStream ends a pending publish; a late answer is ignored. */
	amf0_buf_reset(&w2);
	put_cmd(&w2, 200, 0, 4, 1, "closeStream", 0, NULL);
	sess_init(&s, NULL);
	s.accept = 0;
	assert_int_equal(rtmp_feed(s.r, w.data, w.len), 0);
	assert_int_equal(rtmp_feed(s.r, w2.data, w2.len), 0);
	assert_int_equal(s.unpublishes, 1);
	rtmp_publish_result(s.r, 1, NULL);
	assert_false(rtmp_publishing(s.r));
	sess_free(&s);
	amf0_buf_free(&w);
	amf0_buf_free(&w2);
}

static void
test_acks(void **state)
{
	struct amf0_buf w = {0};
	uint8_t body[3000] = {0xaf, 1};
	struct sess s;
	uint32_t v;

	put_connect(&w);
	put_control(&w, 5, 5000);
	put_publish(&w, "k");
	put_msg(&w, 200, 0, 7, 0, 8, 1, body, sizeof(body), 0);
	sess_init(&s, NULL);
	assert_int_equal(rtmp_feed(s.r, w.data, w.len), 0);
	assert_true(w.len > 5000 && w.len < 10000);
	assert_true(find_msg(&s, 3, 0, &v) >= 0);
	assert_int_equal(v, w.len);
	assert_int_equal(s.nmedia, 1);
	amf0_buf_free(&w);
	sess_free(&s);
}

/* Feeds w to a fresh engine, expecting an error mentioning what. */
static void
expect_error(
    const struct amf0_buf *w, const struct rtmp_limits *lim, const char *what)
{
	struct sess s;

	sess_init(&s, lim);
	if (rtmp_feed(s.r, w->data, w->len) != -1)
		fail_msg("no error, expected \"%s\"", what);
	if (strstr(rtmp_error(s.r), what) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", rtmp_error(s.r), what);
	assert_int_equal(rtmp_feed(s.r, w->data, 1), -1);
	sess_free(&s);
}

static void
test_errors(void **state)
{
	struct rtmp_limits lim = {.max_message = 1000, .max_chunk_size = 65536};
	struct amf0_buf w = {0};
	static const uint8_t garbage[] = {0x02, 0x00, 0x07, 'c', 'o'};
	static const uint8_t noname[] = {0x00, 0, 0, 0, 0, 0, 0, 0, 0};
	static uint8_t body[200000], big[200000];
	uint32_t i;

	w.len = 0;
	amf0_put_raw(&w, "\x06", 1);
	expect_error(&w, NULL, "version");

	amf0_buf_reset(&w);
	put_connect(&w);
	put_control(&w, 1, 0);
	expect_error(&w, NULL, "chunk size");
	amf0_buf_reset(&w);
	put_connect(&w);
	put_control(&w, 1, 0x80000001);
	expect_error(&w, NULL, "chunk size");
	amf0_buf_reset(&w);
	put_connect(&w);
	put_control(&w, 1, 65537);
	expect_error(&w, &lim, "chunk size");

	amf0_buf_reset(&w);
	put_connect(&w);
	put_msg(&w, 200, 0, 6, 0, 9, 1, body, 1001, 0);
	w.len -= 1001; /* refused on the header, before the body */
	expect_error(&w, &lim, "message of 1001 bytes");

	amf0_buf_reset(&w);
	put_handshake(&w);
	for (i = 0; i < RTMP_MAX_CHUNK_STREAMS + 1; i++)
		put_msg(&w, 128, 0, 3 + i, 0, 3, 0, body, 4, 0);
	expect_error(&w, NULL, "chunk streams");

	amf0_buf_reset(&w);
	put_handshake(&w);
	put_msg(&w, 128, 0, 3, 0, 20, 0, garbage, sizeof(garbage), 0);
	expect_error(&w, NULL, "AMF0");
	amf0_buf_reset(&w);
	put_handshake(&w);
	put_msg(&w, 128, 0, 3, 0, 20, 0, noname, sizeof(noname), 0);
	expect_error(&w, NULL, "without a name");

	amf0_buf_reset(&w);
	put_handshake(&w);
	put_msg(&w, 128, 1, 5, 0, 9, 0, body, 4, 0);
	expect_error(&w, NULL, "starts with a type 1");
	amf0_buf_reset(&w);
	put_handshake(&w);
	put_msg(&w, 128, 3, 5, 0, 9, 0, body, 4, 0);
	expect_error(&w, NULL, "starts with a type 3");

	/* A new header on a stream whose message is half sent. */
	amf0_buf_reset(&w);
	put_handshake(&w);
	put_msg(&w, 128, 0, 5, 0, 9, 0, body, 300, 0);
	w.len -= 1 + 128 + 1 + 44; /* keep the first chunk only */
	put_msg(&w, 128, 1, 5, 0, 9, 0, body, 4, 0);
	expect_error(&w, NULL, "before the last one ended");

	amf0_buf_reset(&w);
	put_handshake(&w);
	put_cmd(&w, 128, 0, 3, 0, "createStream", 2, NULL);
	expect_error(&w, NULL, "before connect");

	amf0_buf_reset(&w);
	put_connect(&w);
	put_cmd(&w, 200, 0, 3, 0, "connect", 2, NULL);
	expect_error(&w, NULL, "twice");

	amf0_buf_reset(&w);
	put_handshake(&w);
	put_msg(&w, 128, 0, 2, 0, 1, 0, body, 2, 0);
	expect_error(&w, NULL, "short");

	/* Many big messages open at once exceed the buffer budget. */
	amf0_buf_reset(&w);
	put_connect(&w);
	put_publish(&w, "k");
	lim.max_message = 200000;
	for (i = 0; i < 4; i++) {
		size_t before = w.len;

		put_msg(&w, 200, 0, 10 + i, 0, 9, 1, big, 200000, 0);
		w.len = before + 12 + 200; /* the first chunk */
	}
	expect_error(&w, &lim, "pending");
	amf0_buf_free(&w);
}

/* The first chunk of a len-byte message, in chunks of chunk bytes. */
static void
put_first_chunk(struct amf0_buf *w, uint32_t chunk, uint32_t csid, uint8_t type,
    const uint8_t *body, size_t len)
{
	size_t before = w->len;

	put_msg(w, chunk, 0, csid, 0, type, 1, body, len, 0);
	w->len = before + 12 + (len < chunk ? len : chunk);
}

/*
 * Issue 13: before a publish is accepted a connection can make the engine
 * hold commands only.  The attack that took ingestd to 1 GB: Set Chunk
 * Size 0xffffff, a whole 16 MiB video message and most of a 16 MiB data
 * message, no connect.
 */
static void
test_pending_limits(void **state)
{
	const size_t big = 0xffffff;
	struct amf0_buf w = {0}, cmd = {0};
	uint8_t *body = calloc(1, big);
	struct sess s;
	size_t i;

	assert_non_null(body);
	body[0] = 0x17;
	put_handshake(&w);
	put_control(&w, 1, 0xffffff);
	put_msg(&w, big, 0, 4, 0, 9, 1, body, big, 0);
	put_msg(&w, big, 0, 6, 0, 18, 1, body, big, 0);
	w.len -= 4096;
	sess_init(&s, NULL);
	assert_int_equal(rtmp_feed(s.r, w.data, w.len), 0);
	/* Nothing of the media is held: the chunk size message's buffer. */
	assert_true(rtmp_buffered(s.r) <= RTMP_KEEP_BUFFER);
	assert_int_equal(s.nmedia, 0);
	sess_free(&s);

	/* Skipped whole, such messages leave the connection usable. */
	w.len += 4096;
	amf_connect(&cmd, "live");
	put_msg(&w, big, 0, 3, 0, 20, 0, cmd.data, cmd.len, 0);
	put_publish(&w, "k");
	put_msg(&w, big, 0, 6, 0, 9, 1, body, 5000, 0);
	sess_init(&s, NULL);
	assert_int_equal(rtmp_feed(s.r, w.data, w.len), 0);
	assert_int_equal(s.connects, 1);
	assert_int_equal(s.publishes, 1);
	assert_int_equal(s.nmedia, 1);
	sess_free(&s);

	/* A command longer than RTMP_MAX_COMMAND is refused on its header. */
	amf0_buf_reset(&w);
	put_handshake(&w);
	put_first_chunk(&w, 128, 3, 20, body, RTMP_MAX_COMMAND + 1);
	w.len -= 128; /* no body byte at all */
	expect_error(&w, NULL, "command of 65537 bytes");
	amf0_buf_reset(&w);
	put_handshake(&w);
	put_first_chunk(&w, 128, 2, 4, body, RTMP_MAX_COMMAND + 1);
	expect_error(&w, NULL, "command of 65537 bytes");

	/* Commands in flight on many chunk streams: RTMP_PENDING_BUFFERS. */
	amf0_buf_reset(&w);
	put_handshake(&w);
	for (i = 0; i < 3; i++)
		put_first_chunk(&w, 128, 3 + i, 20, body, RTMP_MAX_COMMAND);
	sess_init(&s, NULL);
	assert_int_equal(rtmp_feed(s.r, w.data, w.len), 0);
	assert_true(rtmp_buffered(s.r) <= RTMP_PENDING_BUFFERS);
	sess_free(&s);
	put_first_chunk(&w, 128, 6, 20, body, RTMP_MAX_COMMAND);
	expect_error(&w, NULL, "pending");

	/*
	 * Media while the publish waits for its answer is skipped as it
	 * arrives, a 4 MiB keyframe included; once accepted, media flows.
	 */
	amf0_buf_reset(&w);
	put_connect(&w);
	put_publish(&w, "k");
	put_msg(&w, 200, 0, 6, 0, 9, 1, body, 4 << 20, 0);
	sess_init(&s, NULL);
	s.accept = 0;
	assert_int_equal(rtmp_feed(s.r, w.data, w.len), 0);
	assert_int_equal(s.publishes, 1);
	assert_int_equal(s.nmedia, 0);
	assert_true(rtmp_buffered(s.r) <= RTMP_KEEP_BUFFER * 4);
	rtmp_publish_result(s.r, 1, NULL);
	amf0_buf_reset(&w);
	put_msg(&w, 200, 1, 6, 40, 9, 1, body, 5000, 0);
	assert_int_equal(rtmp_feed(s.r, w.data, w.len), 0);
	assert_int_equal(s.nmedia, 1);
	sess_free(&s);

	free(body);
	amf0_buf_free(&w);
	amf0_buf_free(&cmd);
}

/* Once live: the publish's own message limit, and big buffers given back. */
static void
test_live_limits(void **state)
{
	struct rtmp_limits lim = {.max_message = 4 << 20};
	struct amf0_buf w = {0};
	uint8_t *body = calloc(1, (4 << 20) + 1);
	struct sess s;
	size_t i;

	assert_non_null(body);
	body[0] = 0x17;
	put_connect(&w);
	put_publish(&w, "k");
	put_msg(&w, 200, 0, 6, 0, 9, 1, body, 100000, 0);
	sess_init(&s, &lim);
	s.accept = 0;
	assert_int_equal(rtmp_feed(s.r, w.data, w.len), 0);
	rtmp_set_max_media(s.r, 100000);
	rtmp_publish_result(s.r, 1, NULL);
	amf0_buf_reset(&w);
	put_msg(&w, 200, 0, 6, 0, 9, 1, body, 100000, 0);
	assert_int_equal(rtmp_feed(s.r, w.data, w.len), 0);
	assert_int_equal(s.nmedia, 1);
	/* Its 100000 byte buffer went back as soon as it was handled. */
	assert_true(rtmp_buffered(s.r) <= 2 * RTMP_KEEP_BUFFER);
	amf0_buf_reset(&w);
	put_msg(&w, 200, 0, 7, 0, 9, 1, body, 100001, 0);
	w.len = 12; /* refused on the header */
	assert_int_equal(rtmp_feed(s.r, w.data, w.len), -1);
	assert_non_null(strstr(rtmp_error(s.r), "media message of 100001"));
	sess_free(&s);

	/* 0, or more than max_message, means max_message. */
	for (i = 0; i < 2; i++) {
		amf0_buf_reset(&w);
		put_connect(&w);
		put_publish(&w, "k");
		sess_init(&s, &lim);
		s.accept = 0;
		assert_int_equal(rtmp_feed(s.r, w.data, w.len), 0);
		rtmp_set_max_media(s.r, i == 0 ? 0 : 64 << 20);
		rtmp_publish_result(s.r, 1, NULL);
		amf0_buf_reset(&w);
		put_msg(&w, 200, 0, 6, 0, 9, 1, body, 4 << 20, 0);
		assert_int_equal(rtmp_feed(s.r, w.data, w.len), 0);
		assert_int_equal(s.nmedia, 1);
		amf0_buf_reset(&w);
		put_msg(&w, 200, 0, 6, 0, 9, 1, body, (4 << 20) + 1, 0);
		w.len = 12;
		assert_int_equal(rtmp_feed(s.r, w.data, w.len), -1);
		assert_non_null(strstr(rtmp_error(s.r), "message of 4194305"));
		sess_free(&s);
	}

	/* Two big messages may be in flight, not three. */
	amf0_buf_reset(&w);
	put_connect(&w);
	put_publish(&w, "k");
	for (i = 0; i < 3; i++)
		put_first_chunk(&w, 200, 6 + i, 9, body, 1 << 20);
	lim.max_message = 1 << 20;
	expect_error(&w, &lim, "pending");
	w.len -= 12 + 200;
	sess_init(&s, &lim);
	assert_int_equal(rtmp_feed(s.r, w.data, w.len), 0);
	assert_true(rtmp_buffered(s.r) >= 2 << 20);
	sess_free(&s);

	free(body);
	amf0_buf_free(&w);
}

/*
 * One budget over several connections: the one whose message does not fit
 * fails, the others carry on, and every byte is given back.
 */
static void
test_shared_budget(void **state)
{
	struct rtmp_budget budget = {.limit = 300 * 1024};
	struct rtmp_limits lim = {.budget = &budget};
	struct amf0_buf w = {0}, rest = {0};
	static uint8_t body[200000];
	struct sess a, b, c;
	size_t first;

	body[0] = 0x17;
	put_connect(&w);
	put_publish(&w, "k");
	sess_init(&a, &lim);
	sess_init(&b, &lim);
	sess_init(&c, &lim);
	assert_int_equal(rtmp_feed(a.r, w.data, w.len), 0);
	assert_int_equal(rtmp_feed(b.r, w.data, w.len), 0);
	assert_true(budget.used > 0 && budget.used <= 2 * RTMP_KEEP_BUFFER * 8);

	/* a: the first chunk of a 200000 byte video message */
	amf0_buf_reset(&w);
	put_msg(&w, 200, 0, 6, 0, 9, 1, body, sizeof(body), 0);
	first = 12 + 200;
	assert_int_equal(rtmp_feed(a.r, w.data, first), 0);
	assert_true(budget.used >= sizeof(body));
	/* b: the same does not fit in what is left */
	assert_int_equal(rtmp_feed(b.r, w.data, first), -1);
	assert_non_null(strstr(rtmp_error(b.r), "all may use"));
	/* c, not yet connected, still gets its commands through */
	amf0_buf_reset(&rest);
	put_connect(&rest);
	assert_int_equal(rtmp_feed(c.r, rest.data, rest.len), 0);
	assert_int_equal(c.connects, 1);
	/* a is unaffected and ends its message */
	assert_int_equal(rtmp_feed(a.r, w.data + first, w.len - first), 0);
	assert_int_equal(a.nmedia, 1);
	assert_true(budget.used < 64 * 1024);
	/* b's buffers are returned when it is freed, then everyone's */
	sess_free(&b);
	sess_free(&a);
	sess_free(&c);
	assert_int_equal(budget.used, 0);
	amf0_buf_free(&w);
	amf0_buf_free(&rest);
}

static void
test_connect_rejected(void **state)
{
	struct amf0_buf w = {0};
	struct sess s;

	put_connect(&w);
	sess_init(&s, NULL);
	s.reject_connect = 1;
	assert_int_equal(rtmp_feed(s.r, w.data, w.len), -1);
	assert_non_null(strstr(rtmp_error(s.r), "rejected"));
	assert_true(
	    has_reply(&s, "_error", 1, "NetConnection.Connect.Rejected"));
	sess_free(&s);
	amf0_buf_free(&w);
}

/* The properties object of connect's _result, decoded; -1 if none. */
static int
connect_props(struct sess *s, struct amf0_value *props)
{
	static struct smsg m[64];
	struct amf0_value v;
	size_t i, n = parse_out(&s->out, m, 64), off;
	ssize_t k;
	int found = -1, j;

	for (i = 0; i < n && found == -1; i++) {
		if (m[i].type != 20)
			continue;
		for (off = 0, j = 0; off < m[i].len; j++) {
			k = amf0_decode(m[i].body + off, m[i].len - off, &v);
			assert_true(k > 0);
			off += (size_t)k;
			if (j == 0 &&
			    (v.type != AMF0_STRING ||
			        strcmp(v.str, "_result") != 0)) {
				amf0_free(&v);
				break;
			}
			if (j == 1 && v.num != 1) {
				amf0_free(&v);
				break;
			}
			if (j == 2) {
				*props = v;
				found = 0;
				break;
			}
			amf0_free(&v);
		}
	}
	return found;
}

/* connect with a fourCcList, as ffmpeg 6.1 and OBS 30 send it. */
static void
put_connect_enhanced(struct amf0_buf *w)
{
	struct amf0_buf b = {0};

	put_handshake(w);
	amf0_put_string(&b, "connect");
	amf0_put_number(&b, 1);
	amf0_put_object(&b);
	amf0_put_key(&b, "app");
	amf0_put_string(&b, "live");
	amf0_put_key(&b, "tcUrl");
	amf0_put_string(&b, "rtmp://127.0.0.1/live");
	amf0_put_key(&b, "fourCcList");
	amf0_put_strict_array(&b, 3);
	amf0_put_string(&b, "av01");
	amf0_put_string(&b, "vp09");
	amf0_put_string(&b, "hvc1");
	amf0_put_object_end(&b);
	put_msg(w, 128, 0, 3, 0, 20, 0, b.data, b.len, 0);
	put_control(w, 1, 200);
	amf0_buf_free(&b);
}

static void
test_enhanced(void **state)
{
	/* hvcC: Main, level 93, one VPS, SPS and PPS */
	static const uint8_t hvcc[] = {0x01, 0x01, 0x60, 0x00, 0x00, 0x00, 0x90,
	    0x00, 0x00, 0x00, 0x00, 0x00, 0x5d, 0xf0, 0x00, 0xfc, 0xfd, 0xf8,
	    0xf8, 0x00, 0x00, 0x0f, 0x03, 0xa0, 0x00, 0x01, 0x00, 0x03, 0x40,
	    0x01, 0x0c, 0xa1, 0x00, 0x01, 0x00, 0x03, 0x42, 0x01, 0x01, 0xa2,
	    0x00, 0x01, 0x00, 0x02, 0x44, 0x01};
	struct amf0_buf w = {0}, w2 = {0};
	struct amf0_value props;
	const struct amf0_value *v, *map;
	uint8_t body[128],
	    frame[16] = {0x80 | 0x10 | 3, 'h', 'v', 'c', '1', 0, 0, 0, 3, 0x26,
	        0x01, 0xaf};
	struct sess s;
	size_t i;
	uint32_t eof;
	int have_hvc1 = 0, have_opus = 0;

	/* A legacy client hears nothing about FourCCs. */
	put_connect(&w);
	sess_init(&s, NULL);
	assert_int_equal(rtmp_feed(s.r, w.data, w.len), 0);
	assert_false(rtmp_enhanced(s.r));
	assert_int_equal(connect_props(&s, &props), 0);
	assert_null(amf0_get(&props, "fourCcList"));
	amf0_free(&props);
	sess_free(&s);
	amf0_buf_reset(&w);

	/* An enhanced one is told every FourCC we forward. */
	put_connect_enhanced(&w);
	put_publish(&w, "hevc");
	sess_init(&s, NULL);
	assert_int_equal(rtmp_feed(s.r, w.data, w.len), 0);
	assert_true(rtmp_enhanced(s.r));
	assert_true(
	    has_reply(&s, "_result", 1, "NetConnection.Connect.Success"));
	assert_int_equal(connect_props(&s, &props), 0);
	assert_non_null(v = amf0_get(&props, "fourCcList"));
	assert_int_equal(v->type, AMF0_STRICT_ARRAY);
	for (i = 0; i < v->n; i++) {
		assert_int_equal(v->items[i].type, AMF0_STRING);
		have_hvc1 |= strcmp(v->items[i].str, "hvc1") == 0;
		have_opus |= strcmp(v->items[i].str, "Opus") == 0;
	}
	assert_true(have_hvc1 && have_opus);
	assert_non_null(map = amf0_get(&props, "videoFourCcInfoMap"));
	assert_non_null(v = amf0_get(map, "av01"));
	assert_true(v->type == AMF0_NUMBER && v->num == 4); /* CanForward */
	assert_non_null(map = amf0_get(&props, "audioFourCcInfoMap"));
	assert_non_null(amf0_get(map, "Opus"));
	assert_non_null(v = amf0_get(&props, "capsEx"));
	assert_true(v->num == 4); /* ModEx */
	amf0_free(&props);

	/* hvc1: sequence start, CodedFramesX, SequenceEnd reach media. */
	body[0] = 0x80 | 0x10 | 0;
	memcpy(body + 1, "hvc1", 4);
	memcpy(body + 5, hvcc, sizeof(hvcc));
	put_msg(&w2, 200, 0, 6, 0, 9, 1, body, 5 + sizeof(hvcc), 0);
	put_msg(&w2, 200, 1, 6, 40, 9, 1, frame, 12, 0);
	body[0] = 0x80 | 0x10 | 2;
	put_msg(&w2, 200, 1, 6, 40, 9, 1, body, 5, 0);
	assert_int_equal(rtmp_feed(s.r, w2.data, w2.len), 0);
	assert_int_equal(s.nmedia, 3);
	assert_int_equal(s.unpublishes, 0);

	/* vvc2 is no FourCC anyone defined: refused, with why, at once. */
	amf0_buf_reset(&w2);
	memcpy(frame + 1, "vvc2", 4);
	put_msg(&w2, 200, 1, 6, 40, 9, 1, frame, 12, 0);
	memcpy(frame + 1, "hvc1", 4);
	put_msg(&w2, 200, 1, 6, 40, 9, 1, frame, 12, 0);
	assert_int_equal(rtmp_feed(s.r, w2.data, w2.len), 0);
	assert_int_equal(s.nmedia, 3); /* neither */
	assert_int_equal(s.unpublishes, 1);
	assert_non_null(strstr(s.why, "video codec vvc2"));
	assert_non_null(find_desc(&s, "NetStream.Publish.Rejected"));
	assert_true(find_msg(&s, 4, 1, &eof) >= 0); /* StreamEOF */
	assert_false(rtmp_publishing(s.r));
	sess_free(&s);

	/* A multitrack message is refused the same way. */
	sess_init(&s, NULL);
	amf0_buf_reset(&w2);
	body[0] = 0x80 | 0x10 | 6;
	body[1] = 0 << 4 | 1; /* OneTrack, CodedFrames */
	memcpy(body + 2, "hvc1", 4);
	memset(body + 6, 0, 8);
	put_msg(&w2, 200, 0, 6, 0, 9, 1, body, 14, 0);
	assert_int_equal(rtmp_feed(s.r, w.data, w.len), 0);
	assert_int_equal(rtmp_feed(s.r, w2.data, w2.len), 0);
	assert_int_equal(s.unpublishes, 1);
	assert_non_null(strstr(s.why, "multitrack video"));
	sess_free(&s);
	amf0_buf_free(&w);
	amf0_buf_free(&w2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_session),
	    cmocka_unit_test(test_byte_by_byte),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_digest_handshake),
	    cmocka_unit_test(test_publish_flow),
	    cmocka_unit_test(test_acks),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_connect_rejected),
	    cmocka_unit_test(test_enhanced),
	    cmocka_unit_test(test_pending_limits),
	    cmocka_unit_test(test_live_limits),
	    cmocka_unit_test(test_shared_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
