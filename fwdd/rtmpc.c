/*
 * RTMP for publishing to a server, I/O free (rtmpc.h).  The server's
 * bytes go through rtmpc_feed() in whatever pieces the socket gave; the
 * handshake and chunk headers gather in small fixed buffers and command
 * bodies in one buffer per chunk stream, allocated once at
 * RTMPC_MAX_MESSAGE.  Anything the engine does not read (media, data) is
 * skipped as it arrives.  The chunk layer and the digest handshake are
 * lib's (rtmpchunk.c, rtmphs.c), shared with ingestd's server engine.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nyon.h"
#include "amf0.h"
#include "flv.h"
#include "rtmpc.h"
#include "rtmpchunk.h"
#include "rtmphs.h"

#define RTMPC_VERSION 3
#define RTMPC_CMD_VALUES 8

#define MSG_SET_CHUNK_SIZE 1
#define MSG_ABORT 2
#define MSG_ACK 3
#define MSG_USER_CONTROL 4
#define MSG_WINDOW_ACK_SIZE 5
#define MSG_SET_PEER_BANDWIDTH 6
#define MSG_AUDIO 8
#define MSG_VIDEO 9
#define MSG_COMMAND_AMF3 17
#define MSG_DATA_AMF0 18
#define MSG_COMMAND_AMF0 20

#define UC_PING_REQUEST 6
#define UC_PING_RESPONSE 7

/* Our chunk streams. */
#define CSID_CONTROL 2
#define CSID_COMMAND 3
#define CSID_AUDIO 4
#define CSID_DATA 5
#define CSID_VIDEO 6

/* Transaction ids of our commands. */
#define TXN_CONNECT 1
#define TXN_RELEASE 2
#define TXN_FCPUBLISH 3
#define TXN_CREATE 4
#define TXN_PUBLISH 5

/* A nonzero version in C1 says it is signed; Flash Player 9's. */
static const uint8_t rtmpc_client_version[4] = {9, 0, 124, 2};

enum rtmpc_read {
	READ_S0S1,
	READ_S2,
	READ_CHUNKS,
	READ_DEAD,
};

struct rtmpc_out {
	int used;
	uint32_t timestamp;
	uint32_t stream_id;
};

struct rtmpc {
	struct rtmpc_cb cb;
	void *arg;
	char *app, *tcurl, *name;
	int enhanced;
	enum rtmpc_state state;
	enum rtmpc_read rd;
	char error[256];
	uint64_t bytes_in;
	int digest; /* S1 was signed */

	uint8_t c1[RTMPC_HANDSHAKE_SIZE];
	uint8_t hs[1 + RTMPC_HANDSHAKE_SIZE]; /* S0 S1 */
	size_t hslen;

	struct rtmpchunk_reader chunks;

	uint32_t window; /* acknowledge every this many bytes */
	uint64_t acked;
	uint32_t peer_bw; /* the Window Acknowledgement Size we last sent */

	struct rtmpc_out outs[8]; /* by our csid */
	struct amf0_buf amf;
	uint32_t stream_id; /* from createStream */
};

static int rtmpc_fail(struct rtmpc *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static int
rtmpc_fail(struct rtmpc *c, const char *fmt, ...)
{
	va_list ap;

	if (c->state == RTMPC_FAILED)
		return -1;
	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
	c->state = RTMPC_FAILED;
	c->rd = READ_DEAD;
	return -1;
}

static int rtmpc_chunk_begin(void *, struct rtmpchunk_stream *);
static int rtmpc_chunk_message(void *, struct rtmpchunk_stream *);
static int rtmpc_chunk_fail(void *, const char *);
static const struct rtmpchunk_cb rtmpc_chunk_cb = {
    rtmpc_chunk_begin, rtmpc_chunk_message, rtmpc_chunk_fail};

struct rtmpc *
rtmpc_new(const struct rtmpc_cb *cb, void *arg, const struct rtmpc_params *p)
{
	struct rtmpc *c;

	c = xcalloc(1, sizeof(*c));
	c->cb = *cb;
	c->arg = arg;
	c->app = xstrdup(p->app);
	c->tcurl = xstrdup(p->tcurl);
	c->name = xstrdup(p->name);
	c->enhanced = p->enhanced;
	rtmpchunk_init(&c->chunks, &rtmpc_chunk_cb, c, RTMPC_MAX_CHUNK_STREAMS);
	c->state = RTMPC_HANDSHAKE;
	c->rd = READ_S0S1;
	return c;
}

void
rtmpc_free(struct rtmpc *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->chunks.nstreams; i++)
		free(c->chunks.streams[i].buf);
	amf0_buf_free(&c->amf);
	free(c->app);
	free(c->tcurl);
	if (c->name != NULL) {
		explicit_bzero(c->name, strlen(c->name));
		free(c->name);
	}
	free(c);
}

enum rtmpc_state
rtmpc_state(const struct rtmpc *c)
{
	return c->state;
}

const char *
rtmpc_state_name(enum rtmpc_state s)
{
	switch (s) {
	case RTMPC_HANDSHAKE:
		return "handshake";
	case RTMPC_CONNECTING:
		return "connect";
	case RTMPC_CREATING:
		return "createStream";
	case RTMPC_PUBLISHING:
		return "publish";
	case RTMPC_LIVE:
		return "live";
	case RTMPC_STOPPED:
		return "stopped";
	case RTMPC_FAILED:
		return "failed";
	}
	return "?";
}

const char *
rtmpc_error(const struct rtmpc *c)
{
	return c->state == RTMPC_FAILED ? c->error : NULL;
}

int
rtmpc_digest_handshake(const struct rtmpc *c)
{
	return c->digest;
}

uint64_t
rtmpc_bytes_in(const struct rtmpc *c)
{
	return c->bytes_in;
}

/* Output. */

/*
 * One message, chunked: a type 0 header when the chunk stream is new, its
 * message stream changes or time goes back, else a type 1 with the delta.
 * An extended timestamp is repeated in each continuation, as Flash did
 * and every server we speak to expects.
 */
static void
rtmpc_send_message(struct rtmpc *c, uint8_t csid, uint8_t type,
    uint32_t stream_id, uint32_t timestamp, const uint8_t *body, size_t len)
{
	struct rtmpc_out *o = &c->outs[csid];
	uint8_t h[RTMPCHUNK_HEADER_MAX], c3[5];
	size_t hl, c3l = 1, off, n;
	uint32_t field;
	int fmt0;

	fmt0 =
	    !o->used || o->stream_id != stream_id || timestamp < o->timestamp;
	field = fmt0 ? timestamp : timestamp - o->timestamp;
	h[0] = (fmt0 ? 0x00 : 0x40) | csid;
	be24_write(h + 1,
	    field >= RTMPCHUNK_EXT_TIMESTAMP ? RTMPCHUNK_EXT_TIMESTAMP : field);
	be24_write(h + 4, (uint32_t)len);
	h[7] = type;
	hl = 8;
	if (fmt0) {
		/* little endian, unlike everything else */
		h[8] = stream_id;
		h[9] = stream_id >> 8;
		h[10] = stream_id >> 16;
		h[11] = stream_id >> 24;
		hl = 12;
	}
	c3[0] = 0xc0 | csid;
	if (field >= RTMPCHUNK_EXT_TIMESTAMP) {
		be32_write(h + hl, field);
		hl += 4;
		be32_write(c3 + 1, field);
		c3l = 5;
	}
	o->used = 1;
	o->stream_id = stream_id;
	o->timestamp = timestamp;
	c->cb.send(c->arg, h, hl);
	for (off = 0; off < len; off += n) {
		if (off > 0)
			c->cb.send(c->arg, c3, c3l);
		n = len - off;
		if (n > RTMPC_CHUNK_SIZE)
			n = RTMPC_CHUNK_SIZE;
		c->cb.send(c->arg, body + off, n);
	}
}

static void
rtmpc_send_control(struct rtmpc *c, uint8_t type, uint32_t value)
{
	uint8_t b[4];

	be32_write(b, value);
	rtmpc_send_message(c, CSID_CONTROL, type, 0, 0, b, sizeof(b));
}

static struct amf0_buf *
rtmpc_amf_begin(struct rtmpc *c, const char *name, double txn)
{
	amf0_buf_reset(&c->amf);
	amf0_put_string(&c->amf, name);
	amf0_put_number(&c->amf, txn);
	return &c->amf;
}

static void
rtmpc_send_amf(struct rtmpc *c, uint32_t stream_id)
{
	rtmpc_send_message(c, CSID_COMMAND, MSG_COMMAND_AMF0, stream_id, 0,
	    c->amf.data, c->amf.len);
}

static void
rtmpc_send_connect(struct rtmpc *c)
{
	static const char *const fourccs[] = {"hvc1", "av01", "vp09"};
	struct amf0_buf *b = rtmpc_amf_begin(c, "connect", TXN_CONNECT);
	uint8_t n[4];
	size_t i;

	amf0_put_object(b);
	amf0_put_key(b, "app");
	amf0_put_string(b, c->app);
	amf0_put_key(b, "type");
	amf0_put_string(b, "nonprivate");
	amf0_put_key(b, "flashVer");
	amf0_put_string(b, "FMLE/3.0 (compatible; Nyon " NYON_VERSION ")");
	amf0_put_key(b, "tcUrl");
	amf0_put_string(b, c->tcurl);
	if (c->enhanced) {
		/* enhanced RTMP: the codecs we may send beyond FLV's own */
		amf0_put_key(b, "fourCcList");
		amf0_put_raw(b, "\x0a", 1); /* strict array */
		be32_write(n, nitems(fourccs));
		amf0_put_raw(b, n, sizeof(n));
		for (i = 0; i < nitems(fourccs); i++)
			amf0_put_string(b, fourccs[i]);
	}
	amf0_put_object_end(b);
	rtmpc_send_amf(c, 0);
	c->state = RTMPC_CONNECTING;
}

/* What FMLE and OBS send once connected: the stream is ours to create. */
static void
rtmpc_send_create(struct rtmpc *c)
{
	struct amf0_buf *b;

	b = rtmpc_amf_begin(c, "releaseStream", TXN_RELEASE);
	amf0_put_null(b);
	amf0_put_string(b, c->name);
	rtmpc_send_amf(c, 0);
	b = rtmpc_amf_begin(c, "FCPublish", TXN_FCPUBLISH);
	amf0_put_null(b);
	amf0_put_string(b, c->name);
	rtmpc_send_amf(c, 0);
	b = rtmpc_amf_begin(c, "createStream", TXN_CREATE);
	amf0_put_null(b);
	rtmpc_send_amf(c, 0);
	c->state = RTMPC_CREATING;
}

static void
rtmpc_send_publish(struct rtmpc *c)
{
	struct amf0_buf *b = rtmpc_amf_begin(c, "publish", TXN_PUBLISH);

	amf0_put_null(b);
	amf0_put_string(b, c->name);
	amf0_put_string(b, "live");
	rtmpc_send_amf(c, c->stream_id);
	c->state = RTMPC_PUBLISHING;
}

void
rtmpc_stop(struct rtmpc *c)
{
	struct amf0_buf *b;

	if (c->state == RTMPC_FAILED || c->state == RTMPC_STOPPED)
		return;
	if (c->state == RTMPC_LIVE || c->state == RTMPC_PUBLISHING) {
		b = rtmpc_amf_begin(c, "FCUnpublish", 0);
		amf0_put_null(b);
		amf0_put_string(b, c->name);
		rtmpc_send_amf(c, 0);
		b = rtmpc_amf_begin(c, "deleteStream", 0);
		amf0_put_null(b);
		amf0_put_number(b, c->stream_id);
		rtmpc_send_amf(c, 0);
	}
	c->state = RTMPC_STOPPED;
}

int
rtmpc_media(struct rtmpc *c, uint8_t type, uint32_t timestamp,
    const uint8_t *body, size_t len)
{
	static const uint8_t setdataframe[16] = "\x02\x00\x0d@setDataFrame";
	uint8_t csid;

	if (c->state != RTMPC_LIVE || len == 0 || len > FLV_TAG_SIZE_MAX)
		return -1;
	switch (type) {
	case FLV_TAG_AUDIO:
		csid = CSID_AUDIO;
		break;
	case FLV_TAG_VIDEO:
		csid = CSID_VIDEO;
		break;
	case FLV_TAG_SCRIPT:
		csid = CSID_DATA;
		/* as FMLE: the server keeps it and hands it to players */
		if (len >= 13 && body[0] == AMF0_STRING &&
		    be16_read(body + 1) == 10 &&
		    memcmp(body + 3, "onMetaData", 10) == 0 &&
		    len + sizeof(setdataframe) <= FLV_TAG_SIZE_MAX) {
			uint8_t *buf = xmalloc(len + sizeof(setdataframe));

			memcpy(buf, setdataframe, sizeof(setdataframe));
			memcpy(buf + sizeof(setdataframe), body, len);
			rtmpc_send_message(c, csid, MSG_DATA_AMF0, c->stream_id,
			    timestamp, buf, len + sizeof(setdataframe));
			free(buf);
			return 0;
		}
		break;
	default:
		return -1;
	}
	rtmpc_send_message(c, csid,
	    type == FLV_TAG_SCRIPT ? MSG_DATA_AMF0 : type, c->stream_id,
	    timestamp, body, len);
	return 0;
}

/* Handshake. */

void
rtmpc_start(struct rtmpc *c)
{
	uint8_t c0 = RTMPC_VERSION;
	size_t pos;

	/* signed as Flash Player signs it (schema 0: offset at byte 8) */
	arc4random_buf(c->c1, sizeof(c->c1));
	be32_write(c->c1, 0);
	memcpy(c->c1 + 4, rtmpc_client_version, 4);
	pos = rtmphs_digest_pos(c->c1, 8);
	rtmphs_digest(
	    c->c1, pos, rtmphs_player_key, RTMPHS_PLAYER_KEY_TEXT, c->c1 + pos);
	c->cb.send(c->arg, &c0, 1);
	c->cb.send(c->arg, c->c1, sizeof(c->c1));
}

/* S1 is here: C2 answers it, signed if S1 was. */
static void
rtmpc_send_c2(struct rtmpc *c)
{
	const uint8_t *s1 = c->hs + 1;
	uint8_t c2[RTMPHS_SIZE];
	size_t pos;

	if (rtmphs_find(s1, rtmphs_server_key, RTMPHS_SERVER_KEY_TEXT, &pos) !=
	    0) {
		c->digest = 1;
		rtmphs_sign_reply(
		    c2, rtmphs_player_key, sizeof(rtmphs_player_key), s1 + pos);
	} else
		memcpy(c2, s1, sizeof(c2)); /* plain: C2 echoes S1 */
	c->cb.send(c->arg, c2, sizeof(c2));
}

/* Commands. */

/* "code: description" of an info object, for errors. */
static void
rtmpc_info(
    const struct amf0_value *info, char *buf, size_t len, const char *fallback)
{
	const char *code = NULL, *desc = NULL;

	if (info != NULL) {
		code = amf0_get_str(info, "code");
		desc = amf0_get_str(info, "description");
	}
	if (code != NULL && desc != NULL && *desc != '\0')
		snprintf(buf, len, "%.80s: %.160s", code, desc);
	else if (code != NULL)
		snprintf(buf, len, "%.80s", code);
	else if (desc != NULL)
		snprintf(buf, len, "%.160s", desc);
	else
		snprintf(buf, len, "%s", fallback);
}

/* The first object among a command's arguments (after the null). */
static const struct amf0_value *
rtmpc_info_arg(const struct amf0_value *args, size_t nargs)
{
	size_t i;

	for (i = 0; i < nargs; i++)
		if (args[i].type == AMF0_OBJECT ||
		    args[i].type == AMF0_ECMA_ARRAY)
			return &args[i];
	return NULL;
}

static int
rtmpc_result(
    struct rtmpc *c, double txn, const struct amf0_value *args, size_t nargs)
{
	const struct amf0_value *info;
	const char *code;
	size_t i;

	if (txn == TXN_CONNECT && c->state == RTMPC_CONNECTING) {
		/* args: properties, information */
		info = nargs >= 2 ? &args[1] : NULL;
		if (info != NULL &&
		    (code = amf0_get_str(info, "code")) != NULL &&
		    strcmp(code, "NetConnection.Connect.Success") != 0) {
			char why[256];

			rtmpc_info(info, why, sizeof(why), "connect refused");
			return rtmpc_fail(c, "%s", why);
		}
		rtmpc_send_create(c);
		return 0;
	}
	if (txn == TXN_CREATE && c->state == RTMPC_CREATING) {
		/* args: null, stream id */
		for (i = 0; i < nargs; i++)
			if (args[i].type == AMF0_NUMBER)
				break;
		/* NaN too: a server's number is any double */
		if (i == nargs ||
		    !(args[i].num >= 1 && args[i].num <= 0x7fffffff))
			return rtmpc_fail(
			    c, "createStream answered without a stream id");
		c->stream_id = (uint32_t)args[i].num;
		rtmpc_send_publish(c);
		return 0;
	}
	return 0;
}

static int
rtmpc_error_cmd(
    struct rtmpc *c, double txn, const struct amf0_value *args, size_t nargs)
{
	char why[256];

	rtmpc_info(rtmpc_info_arg(args, nargs), why, sizeof(why), "refused");
	/* txn is any double a server sent: compared, never converted */
	if (txn == TXN_CONNECT || txn == TXN_PUBLISH)
		return rtmpc_fail(c, "%s", why);
	if (txn == TXN_CREATE)
		return rtmpc_fail(c, "createStream refused: %s", why);
	/* releaseStream and FCPublish may fail harmlessly (SRS, Wowza) */
	return 0;
}

static int
rtmpc_status(struct rtmpc *c, const struct amf0_value *args, size_t nargs)
{
	const struct amf0_value *info = rtmpc_info_arg(args, nargs);
	const char *code, *level;
	char why[256];

	if (info == NULL)
		return 0;
	code = amf0_get_str(info, "code");
	level = amf0_get_str(info, "level");
	if (code != NULL && strcmp(code, "NetStream.Publish.Start") == 0) {
		if (c->state == RTMPC_PUBLISHING) {
			c->state = RTMPC_LIVE;
			if (c->cb.live != NULL)
				c->cb.live(c->arg);
		}
		return 0;
	}
	rtmpc_info(info, why, sizeof(why), "error");
	if (level != NULL && strcmp(level, "error") == 0)
		return rtmpc_fail(c, "%s", why);
	if (code != NULL && c->state == RTMPC_LIVE &&
	    (strcmp(code, "NetStream.Unpublish.Success") == 0 ||
	        strcmp(code, "NetStream.Publish.Idle") == 0))
		return rtmpc_fail(c, "the server ended the publish: %s", why);
	return 0;
}

static int
rtmpc_command(struct rtmpc *c, const uint8_t *body, size_t len)
{
	struct amf0_value v[RTMPC_CMD_VALUES];
	size_t n = 0, off = 0, i;
	ssize_t used;
	double txn = 0;
	int rv = 0;

	while (off < len && n < nitems(v)) {
		if ((used = amf0_decode(body + off, len - off, &v[n])) == -1) {
			/* what we read so far may still say why */
			break;
		}
		off += (size_t)used;
		n++;
	}
	if (n == 0 || v[0].type != AMF0_STRING) {
		rv = rtmpc_fail(c, "the server sent a malformed command");
		goto out;
	}
	if (n >= 2 && v[1].type == AMF0_NUMBER)
		txn = v[1].num;
	if (strcmp(v[0].str, "_result") == 0)
		rv = rtmpc_result(c, txn, v + 2, n > 2 ? n - 2 : 0);
	else if (strcmp(v[0].str, "_error") == 0)
		rv = rtmpc_error_cmd(c, txn, v + 2, n > 2 ? n - 2 : 0);
	else if (strcmp(v[0].str, "onStatus") == 0)
		rv = rtmpc_status(c, v + 2, n > 2 ? n - 2 : 0);
	else if (strcmp(v[0].str, "close") == 0)
		rv = rtmpc_fail(c, "the server closed the connection");
	else
		log_debug("rtmpc: ignoring \"%.64s\"", v[0].str);
out:
	for (i = 0; i < n; i++)
		amf0_free(&v[i]);
	return rv;
}

/* Messages. */

static int
rtmpc_dispatch(struct rtmpc *c, struct rtmpchunk_stream *cs)
{
	const uint8_t *b = cs->buf;
	size_t len = cs->msg_len;
	struct rtmpchunk_stream *other;
	uint32_t v;

	switch (cs->msg_type) {
	case MSG_SET_CHUNK_SIZE:
		if (len < 4)
			return rtmpc_fail(c, "short Set Chunk Size");
		v = be32_read(b);
		if (v == 0 || (v & 0x80000000) || v > 0xffffff)
			return rtmpc_fail(c, "bad chunk size %u", v);
		c->chunks.chunk_size = v;
		return 0;
	case MSG_ABORT:
		if (len >= 4 &&
		    (other = rtmpchunk_find(&c->chunks, be32_read(b))) !=
		        NULL &&
		    other != cs) {
			other->inmsg = 0;
			other->got = 0;
		}
		return 0;
	case MSG_WINDOW_ACK_SIZE:
		if (len < 4)
			return rtmpc_fail(
			    c, "short Window Acknowledgement Size");
		c->window = be32_read(b);
		return 0;
	case MSG_SET_PEER_BANDWIDTH:
		/* the spec: answer with our window when it is a new one */
		if (len < 5)
			return rtmpc_fail(c, "short Set Peer Bandwidth");
		v = be32_read(b);
		if (v != c->peer_bw && v > 0) {
			c->peer_bw = v;
			rtmpc_send_control(c, MSG_WINDOW_ACK_SIZE, v);
		}
		return 0;
	case MSG_USER_CONTROL:
		if (len >= 6 && be16_read(b) == UC_PING_REQUEST) {
			uint8_t pong[6];

			be16_write(pong, UC_PING_RESPONSE);
			memcpy(pong + 2, b + 2, 4);
			rtmpc_send_message(c, CSID_CONTROL, MSG_USER_CONTROL, 0,
			    0, pong, sizeof(pong));
		}
		return 0;
	case MSG_COMMAND_AMF3:
		if (len == 0 || b[0] != 0)
			return 0;
		return rtmpc_command(c, b + 1, len - 1);
	case MSG_COMMAND_AMF0:
		return rtmpc_command(c, b, len);
	}
	return 0;
}

/* Whether a server message is read (0) or skipped as it arrives (1). */
static int
rtmpc_msg_skip(uint8_t type)
{
	switch (type) {
	case MSG_SET_CHUNK_SIZE:
	case MSG_ABORT:
	case MSG_USER_CONTROL:
	case MSG_WINDOW_ACK_SIZE:
	case MSG_SET_PEER_BANDWIDTH:
	case MSG_COMMAND_AMF3:
	case MSG_COMMAND_AMF0:
		return 0;
	}
	/* acknowledgements, media, data: nothing we act on */
	return 1;
}

/* A message begins: skipped, or room made for it. */
static int
rtmpc_chunk_begin(void *arg, struct rtmpchunk_stream *cs)
{
	struct rtmpc *c = arg;

	if (c->rd == READ_DEAD)
		return -1;
	cs->skip = rtmpc_msg_skip(cs->msg_type);
	if (cs->skip)
		return 0;
	if (cs->msg_len > RTMPC_MAX_MESSAGE)
		return rtmpc_fail(c,
		    "the server sent a %u-byte message of type %u", cs->msg_len,
		    cs->msg_type);
	if (cs->buf == NULL)
		cs->buf = xmalloc(RTMPC_MAX_MESSAGE);
	return 0;
}

static int
rtmpc_chunk_message(void *arg, struct rtmpchunk_stream *cs)
{
	struct rtmpc *c = arg;

	if (c->rd == READ_DEAD)
		return -1;
	return rtmpc_dispatch(c, cs);
}

static int
rtmpc_chunk_fail(void *arg, const char *why)
{
	return rtmpc_fail(arg, "%s", why);
}

static int
rtmpc_consume(struct rtmpc *c, const uint8_t *buf, size_t len)
{
	size_t n;

	while (len > 0) {
		switch (c->rd) {
		case READ_S0S1:
			if (c->hslen == 0 && buf[0] != RTMPC_VERSION)
				return rtmpc_fail(c,
				    "not an RTMP server (version byte %u)",
				    buf[0]);
			n = sizeof(c->hs) - c->hslen;
			if (n > len)
				n = len;
			memcpy(c->hs + c->hslen, buf, n);
			c->hslen += n;
			buf += n;
			len -= n;
			if (c->hslen == sizeof(c->hs)) {
				rtmpc_send_c2(c);
				c->hslen = 0;
				c->rd = READ_S2;
			}
			break;
		case READ_S2:
			/* S2 echoes C1; nothing in it changes what we do */
			n = RTMPC_HANDSHAKE_SIZE - c->hslen;
			if (n > len)
				n = len;
			c->hslen += n;
			buf += n;
			len -= n;
			if (c->hslen == RTMPC_HANDSHAKE_SIZE) {
				c->rd = READ_CHUNKS;
				rtmpc_send_control(
				    c, MSG_SET_CHUNK_SIZE, RTMPC_CHUNK_SIZE);
				rtmpc_send_connect(c);
			}
			break;
		case READ_CHUNKS:
			if (rtmpchunk_read(&c->chunks, &buf, &len) == -1)
				return -1;
			break;
		case READ_DEAD:
			return -1;
		}
	}
	return c->rd == READ_DEAD ? -1 : 0;
}

int
rtmpc_feed(struct rtmpc *c, const uint8_t *buf, size_t len)
{
	if (c->rd == READ_DEAD)
		return -1;
	c->bytes_in += len;
	if (rtmpc_consume(c, buf, len) == -1)
		return -1;
	if (c->window > 0 && c->bytes_in - c->acked >= c->window) {
		rtmpc_send_control(c, MSG_ACK, (uint32_t)c->bytes_in);
		c->acked = c->bytes_in;
	}
	return 0;
}
