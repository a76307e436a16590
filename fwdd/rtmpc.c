/*
 * RTMP for publishing to a server, I/O free (rtmpc.h).  The server's
 * bytes go through rtmpc_feed() in whatever pieces the socket gave; the
 * handshake and chunk headers gather in small fixed buffers and command
 * bodies in one buffer per chunk stream, allocated once at
 * RTMPC_MAX_MESSAGE.  Anything the engine does not read (media, data) is
 * skipped as it arrives.
 */
#include <sys/uio.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nyon.h"
#include "amf0.h"
#include "flv.h"
#include "rtmpc.h"

#define RTMPC_VERSION 3
#define RTMPC_DIGEST_LEN 32
#define RTMPC_DEFAULT_CHUNK_SIZE 128
#define RTMPC_HEADER_MAX 18 /* 3 basic + 11 message + 4 extended */
#define RTMPC_EXT_TIMESTAMP 0xffffff
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

/* Flash Player's key, and the server's: the digest handshake (RTMP spec) */
static const uint8_t rtmpc_player_key[62] = "Genuine Adobe Flash Player 001"
                                            "\xF0\xEE\xC2\x4A\x80\x68\xBE\xE8"
                                            "\x2E\x00\xD0\xD1\x02\x9E\x7E\x57"
                                            "\x6E\xEC\x5D\x2D\x29\x80\x6F\xAB"
                                            "\x93\xB8\xE6\x36\xCF\xEB\x31\xAE";
static const uint8_t rtmpc_server_key_text[36] =
    "Genuine Adobe Flash Media Server 001";
#define RTMPC_PLAYER_KEY_TEXT 30
/* A nonzero version in C1 says it is signed; Flash Player 9's. */
static const uint8_t rtmpc_client_version[4] = {9, 0, 124, 2};

enum rtmpc_read {
	READ_S0S1,
	READ_S2,
	READ_HEADER,
	READ_BODY,
	READ_DEAD,
};

struct rtmpc_in {
	uint32_t csid;
	uint32_t ts_field;
	int ext;
	uint32_t msg_len;
	uint8_t msg_type;
	uint32_t stream_id;
	uint8_t *buf; /* RTMPC_MAX_MESSAGE, once needed */
	uint32_t got;
	int inmsg;
	int skip;
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

	uint8_t hdr[RTMPC_HEADER_MAX];
	size_t hdrlen;
	struct rtmpc_in *cs; /* whose body is being read */
	uint32_t chunk_left;
	uint32_t in_chunk_size;
	struct rtmpc_in ins[RTMPC_MAX_CHUNK_STREAMS];
	size_t nins;

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
	c->in_chunk_size = RTMPC_DEFAULT_CHUNK_SIZE;
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
	for (i = 0; i < c->nins; i++)
		free(c->ins[i].buf);
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
	uint8_t h[RTMPC_HEADER_MAX], c3[5];
	size_t hl, c3l = 1, off, n;
	uint32_t field;
	int fmt0;

	fmt0 =
	    !o->used || o->stream_id != stream_id || timestamp < o->timestamp;
	field = fmt0 ? timestamp : timestamp - o->timestamp;
	h[0] = (fmt0 ? 0x00 : 0x40) | csid;
	be24_write(
	    h + 1, field >= RTMPC_EXT_TIMESTAMP ? RTMPC_EXT_TIMESTAMP : field);
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
	if (field >= RTMPC_EXT_TIMESTAMP) {
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

static size_t
rtmpc_digest_pos(const uint8_t *buf, size_t off)
{
	return (buf[off] + buf[off + 1] + buf[off + 2] + buf[off + 3]) % 728 +
	    off + 4;
}

/* HMAC-SHA256 of buf without the digest at pos. */
static void
rtmpc_digest(const uint8_t *buf, size_t pos, const uint8_t *key, size_t keylen,
    uint8_t out[RTMPC_DIGEST_LEN])
{
	struct iovec iov[2];

	iov[0].iov_base = (void *)buf;
	iov[0].iov_len = pos;
	iov[1].iov_base = (void *)(buf + pos + RTMPC_DIGEST_LEN);
	iov[1].iov_len = RTMPC_HANDSHAKE_SIZE - pos - RTMPC_DIGEST_LEN;
	hmac_sha256v(key, keylen, iov, 2, out);
}

void
rtmpc_start(struct rtmpc *c)
{
	uint8_t c0 = RTMPC_VERSION;
	size_t pos;

	/* signed as Flash Player signs it (schema 0: offset at byte 8) */
	arc4random_buf(c->c1, sizeof(c->c1));
	be32_write(c->c1, 0);
	memcpy(c->c1 + 4, rtmpc_client_version, 4);
	pos = rtmpc_digest_pos(c->c1, 8);
	rtmpc_digest(
	    c->c1, pos, rtmpc_player_key, RTMPC_PLAYER_KEY_TEXT, c->c1 + pos);
	c->cb.send(c->arg, &c0, 1);
	c->cb.send(c->arg, c->c1, sizeof(c->c1));
}

/* Where S1's digest is, if the server signed it; 0 if it did not. */
static size_t
rtmpc_server_digest(const uint8_t *s1)
{
	static const size_t schemas[2] = {8, 772};
	uint8_t d[RTMPC_DIGEST_LEN];
	size_t i, pos;

	if (be32_read(s1 + 4) == 0)
		return 0;
	for (i = 0; i < nitems(schemas); i++) {
		pos = rtmpc_digest_pos(s1, schemas[i]);
		rtmpc_digest(s1, pos, rtmpc_server_key_text,
		    sizeof(rtmpc_server_key_text), d);
		if (hmac_equal(d, s1 + pos, RTMPC_DIGEST_LEN))
			return pos;
	}
	return 0;
}

/* S1 is here: C2 answers it, signed if S1 was. */
static void
rtmpc_send_c2(struct rtmpc *c)
{
	const uint8_t *s1 = c->hs + 1;
	uint8_t c2[RTMPC_HANDSHAKE_SIZE], key[SHA256_LEN];
	size_t pos;

	if ((pos = rtmpc_server_digest(s1)) != 0) {
		c->digest = 1;
		arc4random_buf(c2, sizeof(c2));
		hmac_sha256(rtmpc_player_key, sizeof(rtmpc_player_key),
		    s1 + pos, RTMPC_DIGEST_LEN, key);
		hmac_sha256(key, sizeof(key), c2,
		    RTMPC_HANDSHAKE_SIZE - RTMPC_DIGEST_LEN,
		    c2 + RTMPC_HANDSHAKE_SIZE - RTMPC_DIGEST_LEN);
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

static struct rtmpc_in *
rtmpc_in_find(struct rtmpc *c, uint32_t csid)
{
	size_t i;

	for (i = 0; i < c->nins; i++)
		if (c->ins[i].csid == csid)
			return &c->ins[i];
	return NULL;
}

static int
rtmpc_dispatch(struct rtmpc *c, struct rtmpc_in *cs)
{
	const uint8_t *b = cs->buf;
	size_t len = cs->msg_len;
	struct rtmpc_in *other;
	uint32_t v;

	switch (cs->msg_type) {
	case MSG_SET_CHUNK_SIZE:
		if (len < 4)
			return rtmpc_fail(c, "short Set Chunk Size");
		v = be32_read(b);
		if (v == 0 || (v & 0x80000000) || v > 0xffffff)
			return rtmpc_fail(c, "bad chunk size %u", v);
		c->in_chunk_size = v;
		return 0;
	case MSG_ABORT:
		if (len >= 4 &&
		    (other = rtmpc_in_find(c, be32_read(b))) != NULL &&
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

static size_t
rtmpc_basic_len(uint8_t b0)
{
	switch (b0 & 0x3f) {
	case 0:
		return 2;
	case 1:
		return 3;
	}
	return 1;
}

static const size_t rtmpc_mh_len[4] = {11, 7, 3, 0};

static uint32_t
rtmpc_csid(const uint8_t *h)
{
	switch (rtmpc_basic_len(h[0])) {
	case 2:
		return 64 + h[1];
	case 3:
		return 64 + h[1] + h[2] * 256;
	}
	return h[0] & 0x3f;
}

static size_t
rtmpc_header_need(struct rtmpc *c)
{
	size_t basic, need;
	struct rtmpc_in *cs;
	int fmt = c->hdr[0] >> 6;

	basic = rtmpc_basic_len(c->hdr[0]);
	if (c->hdrlen < basic)
		return basic;
	need = basic + rtmpc_mh_len[fmt];
	if (c->hdrlen < need)
		return need;
	if (fmt < 3)
		return be24_read(c->hdr + basic) == RTMPC_EXT_TIMESTAMP
		    ? need + 4
		    : need;
	if ((cs = rtmpc_in_find(c, rtmpc_csid(c->hdr))) != NULL && cs->ext)
		need += 4;
	return need;
}

static int
rtmpc_new_message(struct rtmpc *c, struct rtmpc_in *cs)
{
	cs->got = 0;
	cs->inmsg = 1;
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
rtmpc_header_done(struct rtmpc *c, int *pushback)
{
	const uint8_t *h = c->hdr, *p;
	struct rtmpc_in *cs;
	size_t basic = rtmpc_basic_len(h[0]);
	int fmt = h[0] >> 6;
	uint32_t csid = rtmpc_csid(h), field;

	*pushback = 0;
	p = h + basic;
	if ((cs = rtmpc_in_find(c, csid)) == NULL) {
		if (fmt != 0)
			return rtmpc_fail(c,
			    "chunk stream %u starts with a type %d header",
			    csid, fmt);
		if (c->nins == RTMPC_MAX_CHUNK_STREAMS)
			return rtmpc_fail(c, "more than %d chunk streams",
			    RTMPC_MAX_CHUNK_STREAMS);
		cs = &c->ins[c->nins++];
		memset(cs, 0, sizeof(*cs));
		cs->csid = csid;
	}
	if (fmt == 3 && cs->inmsg) {
		/* some servers repeat the extended timestamp here, some not */
		if (cs->ext && be32_read(p) != cs->ts_field)
			*pushback = 1;
	} else if (fmt == 3) {
		if (cs->ext)
			cs->ts_field = be32_read(p);
		if (rtmpc_new_message(c, cs) == -1)
			return -1;
	} else {
		if (cs->inmsg)
			return rtmpc_fail(c,
			    "chunk stream %u: a new message before the last "
			    "ended",
			    csid);
		field = be24_read(p);
		cs->ext = field == RTMPC_EXT_TIMESTAMP;
		if (cs->ext)
			field = be32_read(p + rtmpc_mh_len[fmt]);
		cs->ts_field = field;
		if (fmt <= 1) {
			cs->msg_len = be24_read(p + 3);
			cs->msg_type = p[6];
		}
		if (fmt == 0)
			cs->stream_id = (uint32_t)p[7] | (uint32_t)p[8] << 8 |
			    (uint32_t)p[9] << 16 | (uint32_t)p[10] << 24;
		if (rtmpc_new_message(c, cs) == -1)
			return -1;
	}
	if (cs->msg_len == 0) {
		cs->inmsg = 0;
		c->rd = READ_HEADER;
		return cs->skip ? 0 : rtmpc_dispatch(c, cs);
	}
	c->cs = cs;
	c->chunk_left = cs->msg_len - cs->got;
	if (c->chunk_left > c->in_chunk_size)
		c->chunk_left = c->in_chunk_size;
	c->rd = READ_BODY;
	return 0;
}

static int rtmpc_consume(struct rtmpc *, const uint8_t *, size_t);

static int
rtmpc_read_header(struct rtmpc *c, const uint8_t **buf, size_t *len)
{
	uint8_t extra[4];
	int pushback;

	while (*len > 0) {
		c->hdr[c->hdrlen++] = *(*buf)++;
		(*len)--;
		if (c->hdrlen < rtmpc_header_need(c))
			continue;
		if (rtmpc_header_done(c, &pushback) == -1)
			return -1;
		if (pushback) {
			/* four bytes cannot hold another such header */
			memcpy(extra, c->hdr + c->hdrlen - 4, 4);
			c->hdrlen = 0;
			return rtmpc_consume(c, extra, sizeof(extra));
		}
		c->hdrlen = 0;
		return 0;
	}
	return 0;
}

static int
rtmpc_read_body(struct rtmpc *c, const uint8_t **buf, size_t *len)
{
	struct rtmpc_in *cs = c->cs;
	size_t n = *len;

	if (n > c->chunk_left)
		n = c->chunk_left;
	if (!cs->skip)
		memcpy(cs->buf + cs->got, *buf, n);
	cs->got += n;
	c->chunk_left -= n;
	*buf += n;
	*len -= n;
	if (c->chunk_left > 0)
		return 0;
	c->rd = READ_HEADER;
	if (cs->got < cs->msg_len)
		return 0;
	cs->inmsg = 0;
	return cs->skip ? 0 : rtmpc_dispatch(c, cs);
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
				c->rd = READ_HEADER;
				rtmpc_send_control(
				    c, MSG_SET_CHUNK_SIZE, RTMPC_CHUNK_SIZE);
				rtmpc_send_connect(c);
			}
			break;
		case READ_HEADER:
			if (rtmpc_read_header(c, &buf, &len) == -1)
				return -1;
			break;
		case READ_BODY:
			if (rtmpc_read_body(c, &buf, &len) == -1)
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
