/*
 * RTMP for publishers, I/O free.  Everything the peer sends goes through
 * rtmp_feed() in whatever pieces the socket delivered, one byte at a time
 * included: the handshake and chunk headers are gathered into small fixed
 * buffers, and chunk bodies are copied once, straight into the message
 * buffer of their chunk stream, which is handed to the media callback as is.
 *
 * Bounds (see struct rtmp_limits): at most RTMP_MAX_CHUNK_STREAMS chunk
 * streams; every length is checked on the header, before allocating.  Until
 * a publish is live only command and control messages are assembled, in
 * RTMP_PENDING_BUFFERS at most; then media messages up to max_media, two
 * messages' worth.  Every buffer is also counted in the shared budget, if
 * any.  Only small buffers are kept from message to message, so a publisher
 * holds big ones only while a big message is arriving.  The chunk layer
 * and the digest handshake are lib's (rtmpchunk.c, rtmphs.c), shared with
 * fwdd's client engine.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nyon.h"
#include "amf0.h"
#include "flv.h"
#include "rtmp.h"
#include "rtmpchunk.h"
#include "rtmphs.h"

#define RTMP_VERSION 3
#define RTMP_CMD_VALUES 8 /* AMF values of a command we look at */

#define RTMP_MSG_SET_CHUNK_SIZE 1
#define RTMP_MSG_ABORT 2
#define RTMP_MSG_ACK 3
#define RTMP_MSG_USER_CONTROL 4
#define RTMP_MSG_WINDOW_ACK_SIZE 5
#define RTMP_MSG_SET_PEER_BANDWIDTH 6
#define RTMP_MSG_AUDIO 8
#define RTMP_MSG_VIDEO 9
#define RTMP_MSG_DATA_AMF3 15
#define RTMP_MSG_COMMAND_AMF3 17
#define RTMP_MSG_DATA_AMF0 18
#define RTMP_MSG_COMMAND_AMF0 20

#define RTMP_UC_STREAM_BEGIN 0
#define RTMP_UC_STREAM_EOF 1
#define RTMP_UC_PING_REQUEST 6
#define RTMP_UC_PING_RESPONSE 7

/* Our chunk streams: protocol control, commands, and the stream's status. */
#define RTMP_CSID_CONTROL 2
#define RTMP_CSID_COMMAND 3
#define RTMP_CSID_STATUS 5
#define RTMP_STREAM_ID 1 /* the one stream createStream hands out */

/* A nonzero major version tells digest-aware clients that S1/S2 are signed. */
static const uint8_t rtmp_server_version[4] = {0x0d, 0x0e, 0x0a, 0x0d};

enum rtmp_state {
	RTMP_ST_C0C1,
	RTMP_ST_C2,
	RTMP_ST_CHUNKS,
	RTMP_ST_ERROR,
};

enum rtmp_pub {
	RTMP_PUB_NONE,
	RTMP_PUB_PENDING, /* publish callback called, no answer yet */
	RTMP_PUB_LIVE,
	RTMP_PUB_DONE, /* refused, unpublished or stopped */
};

struct rtmp {
	struct rtmp_cb cb;
	void *arg;
	size_t max_message;
	size_t max_media; /* of this publish, <= max_message */
	uint32_t max_chunk_size;
	struct rtmp_budget *budget; /* shared; NULL for none */
	enum rtmp_state state;
	char error[160];
	uint64_t bytes_in;

	uint8_t hs[1 + RTMPHS_SIZE]; /* C0 and C1 */
	size_t hslen;

	struct rtmpchunk_reader rd;
	size_t buffered; /* sum of the message buffers' sizes */

	uint32_t peer_window; /* ack every this many bytes; 0: never */
	uint64_t acked; /* bytes_in at the last ack */

	uint32_t out_chunk_size;
	struct amf0_buf out; /* chunked bytes for the peer */
	struct amf0_buf amf; /* a reply body being built */

	int connected;
	int enhanced; /* connect listed FourCCs */
	enum rtmp_pub pub;
	uint32_t pub_stream;
	char name[RTMP_NAME_MAX + 1];
};

static int rtmp_fail(struct rtmp *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
rtmp_fail(struct rtmp *r, const char *fmt, ...)
{
	va_list ap;

	if (r->state == RTMP_ST_ERROR)
		return -1;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	r->state = RTMP_ST_ERROR;
	return -1;
}

static int rtmp_chunk_begin(void *, struct rtmpchunk_stream *);
static int rtmp_chunk_message(void *, struct rtmpchunk_stream *);
static int rtmp_chunk_fail(void *, const char *);
static const struct rtmpchunk_cb rtmp_chunk_cb = {
    rtmp_chunk_begin, rtmp_chunk_message, rtmp_chunk_fail};

struct rtmp *
rtmp_new(const struct rtmp_cb *cb, void *arg, const struct rtmp_limits *lim)
{
	struct rtmp *r;

	r = xcalloc(1, sizeof(*r));
	r->cb = *cb;
	r->arg = arg;
	r->max_message = RTMP_MAX_MESSAGE_DEFAULT;
	r->max_chunk_size = RTMP_MAX_CHUNK_SIZE_DEFAULT;
	if (lim != NULL && lim->max_message != 0)
		r->max_message = lim->max_message;
	if (lim != NULL && lim->max_chunk_size != 0)
		r->max_chunk_size = lim->max_chunk_size;
	/* Message lengths are 24 bits on the wire. */
	if (r->max_message > 0xffffff)
		r->max_message = 0xffffff;
	if (r->max_chunk_size > 0x7fffffff)
		r->max_chunk_size = 0x7fffffff;
	r->max_media = r->max_message;
	if (lim != NULL)
		r->budget = lim->budget;
	rtmpchunk_init(&r->rd, &rtmp_chunk_cb, r, RTMP_MAX_CHUNK_STREAMS);
	r->out_chunk_size = RTMPCHUNK_DEFAULT_SIZE;
	r->state = RTMP_ST_C0C1;
	return r;
}

/* Frees a chunk stream's buffer, keeping the counts right. */
static void
rtmp_cs_release(struct rtmp *r, struct rtmpchunk_stream *cs)
{
	r->buffered -= cs->cap;
	if (r->budget != NULL)
		r->budget->used -= cs->cap;
	free(cs->buf);
	cs->buf = NULL;
	cs->cap = 0;
}

void
rtmp_free(struct rtmp *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->rd.nstreams; i++)
		rtmp_cs_release(r, &r->rd.streams[i]);
	amf0_buf_free(&r->out);
	amf0_buf_free(&r->amf);
	free(r);
}

const char *
rtmp_error(const struct rtmp *r)
{
	return r->state == RTMP_ST_ERROR ? r->error : NULL;
}

uint64_t
rtmp_bytes_in(const struct rtmp *r)
{
	return r->bytes_in;
}

int
rtmp_publishing(const struct rtmp *r)
{
	return r->pub == RTMP_PUB_LIVE;
}

void
rtmp_set_max_media(struct rtmp *r, size_t max)
{
	r->max_media = max == 0 || max > r->max_message ? r->max_message : max;
}

size_t
rtmp_buffered(const struct rtmp *r)
{
	return r->buffered;
}

int
rtmp_enhanced(const struct rtmp *r)
{
	return r->enhanced;
}

/* Output. */

static void
rtmp_send_message(struct rtmp *r, uint8_t csid, uint8_t type,
    uint32_t stream_id, const uint8_t *body, size_t len)
{
	uint8_t h[12], c3 = 0xc0 | csid;
	size_t off, n;

	amf0_buf_reset(&r->out);
	h[0] = csid; /* fmt 0, one-byte basic header */
	be24_write(h + 1, 0); /* our replies are all at time 0 */
	be24_write(h + 4, (uint32_t)len);
	h[7] = type;
	h[8] = stream_id; /* little endian, unlike everything else */
	h[9] = stream_id >> 8;
	h[10] = stream_id >> 16;
	h[11] = stream_id >> 24;
	amf0_put_raw(&r->out, h, sizeof(h));
	for (off = 0; off < len; off += n) {
		if (off > 0)
			amf0_put_raw(&r->out, &c3, 1);
		n = len - off;
		if (n > r->out_chunk_size)
			n = r->out_chunk_size;
		amf0_put_raw(&r->out, body + off, n);
	}
	r->cb.send(r->arg, r->out.data, r->out.len);
}

static void
rtmp_send_control(struct rtmp *r, uint8_t type, uint32_t value)
{
	uint8_t b[4];

	be32_write(b, value);
	rtmp_send_message(r, RTMP_CSID_CONTROL, type, 0, b, sizeof(b));
}

static void
rtmp_send_user_control(struct rtmp *r, uint16_t event, uint32_t value)
{
	uint8_t b[6];

	be16_write(b, event);
	be32_write(b + 2, value);
	rtmp_send_message(
	    r, RTMP_CSID_CONTROL, RTMP_MSG_USER_CONTROL, 0, b, sizeof(b));
}

static void
rtmp_send_amf(struct rtmp *r, uint8_t csid, uint32_t stream_id)
{
	rtmp_send_message(
	    r, csid, RTMP_MSG_COMMAND_AMF0, stream_id, r->amf.data, r->amf.len);
}

/* Starts a command body: name, transaction id. */
static struct amf0_buf *
rtmp_amf_begin(struct rtmp *r, const char *name, double txn)
{
	amf0_buf_reset(&r->amf);
	amf0_put_string(&r->amf, name);
	amf0_put_number(&r->amf, txn);
	return &r->amf;
}

static void
rtmp_amf_status(struct amf0_buf *b, const char *level, const char *code,
    const char *description)
{
	amf0_put_object(b);
	amf0_put_key(b, "level");
	amf0_put_string(b, level);
	amf0_put_key(b, "code");
	amf0_put_string(b, code);
	amf0_put_key(b, "description");
	amf0_put_string(b, description);
	amf0_put_object_end(b);
}

static void
rtmp_send_status(struct rtmp *r, const char *level, const char *code,
    const char *description)
{
	struct amf0_buf *b = rtmp_amf_begin(r, "onStatus", 0);

	amf0_put_null(b);
	rtmp_amf_status(b, level, code, description);
	rtmp_send_amf(r, RTMP_CSID_STATUS, r->pub_stream);
}

/* _result with null and undefined, for commands that need no more. */
static void
rtmp_send_result_empty(struct rtmp *r, double txn)
{
	struct amf0_buf *b;

	if (txn == 0)
		return;
	b = rtmp_amf_begin(r, "_result", txn);
	amf0_put_null(b);
	amf0_put_undefined(b);
	rtmp_send_amf(r, RTMP_CSID_COMMAND, 0);
}

/* Handshake. */

static void
rtmp_handshake_reply(struct rtmp *r)
{
	uint8_t out[1 + 2 * RTMPHS_SIZE];
	uint8_t *s1 = out + 1, *s2 = out + 1 + RTMPHS_SIZE;
	const uint8_t *c1 = r->hs + 1;
	size_t schema, cpos = 0, spos;

	out[0] = RTMP_VERSION;
	arc4random_buf(s1, RTMPHS_SIZE);
	be32_write(s1, 0);
	if ((schema = rtmphs_find(
	         c1, rtmphs_player_key, RTMPHS_PLAYER_KEY_TEXT, &cpos)) != 0) {
		/*
		 * As Flash Media Server does: S1 signed with our key in the
		 * client's schema, S2 signed with a key derived from the
		 * client's digest.
		 */
		memcpy(s1 + 4, rtmp_server_version, 4);
		spos = rtmphs_digest_pos(s1, schema);
		rtmphs_digest(s1, spos, rtmphs_server_key,
		    RTMPHS_SERVER_KEY_TEXT, s1 + spos);
		rtmphs_sign_reply(s2, rtmphs_server_key,
		    sizeof(rtmphs_server_key), c1 + cpos);
		log_debug("rtmp: digest handshake, schema %zu", schema);
	} else {
		/* Plain handshake: zero version, S2 echoes C1. */
		memset(s1 + 4, 0, 4);
		memcpy(s2, c1, RTMPHS_SIZE);
	}
	r->cb.send(r->arg, out, sizeof(out));
}

/* Commands. */

struct rtmp_cmd {
	const char *name;
	int (*fn)(struct rtmp *, const struct rtmpchunk_stream *, double txn,
	    struct amf0_value *args, size_t nargs);
	int before_connect; /* allowed before connect */
};

/*
 * Enhanced RTMP: what a client that lists FourCCs in connect is told we
 * take, in the _result's properties.  Every codec the specification
 * defines, each one forwarded (FourCcInfoMask.CanForward), and ModEx
 * signals understood (CapsExMask.ModEx): they are skipped to read the
 * packet type behind them.  Multitrack is not offered.
 */
#define RTMP_FOURCC_CAN_FORWARD 0x04
#define RTMP_CAPSEX_MODEX 0x04
static const char *const rtmp_video_fourccs[] = {
    "avc1", "hvc1", "av01", "vp09", "vp08", "vvc1"};
static const char *const rtmp_audio_fourccs[] = {
    "mp4a", "Opus", ".mp3", "fLaC", "ac-3", "ec-3"};

static void
rtmp_put_fourcc_map(struct amf0_buf *b, const char *const *list, size_t n)
{
	size_t i;

	amf0_put_object(b);
	for (i = 0; i < n; i++) {
		amf0_put_key(b, list[i]);
		amf0_put_number(b, RTMP_FOURCC_CAN_FORWARD);
	}
	amf0_put_object_end(b);
}

static void
rtmp_put_fourccs(struct amf0_buf *b)
{
	size_t i;

	amf0_put_key(b, "fourCcList");
	amf0_put_strict_array(
	    b, nitems(rtmp_video_fourccs) + nitems(rtmp_audio_fourccs));
	for (i = 0; i < nitems(rtmp_video_fourccs); i++)
		amf0_put_string(b, rtmp_video_fourccs[i]);
	for (i = 0; i < nitems(rtmp_audio_fourccs); i++)
		amf0_put_string(b, rtmp_audio_fourccs[i]);
	amf0_put_key(b, "videoFourCcInfoMap");
	rtmp_put_fourcc_map(b, rtmp_video_fourccs, nitems(rtmp_video_fourccs));
	amf0_put_key(b, "audioFourCcInfoMap");
	rtmp_put_fourcc_map(b, rtmp_audio_fourccs, nitems(rtmp_audio_fourccs));
	amf0_put_key(b, "capsEx");
	amf0_put_number(b, RTMP_CAPSEX_MODEX);
}

/* Whether connect's command object speaks enhanced RTMP; logs what. */
static int
rtmp_connect_enhanced(const struct amf0_value *obj)
{
	const struct amf0_value *list = amf0_get(obj, "fourCcList");
	char have[128];
	size_t i, off = 0;
	int n;

	if (list == NULL || list->type != AMF0_STRICT_ARRAY) {
		/* v2 clients may send only the info maps */
		return amf0_get(obj, "videoFourCcInfoMap") != NULL ||
		    amf0_get(obj, "audioFourCcInfoMap") != NULL;
	}
	have[0] = '\0';
	for (i = 0; i < list->n && off < sizeof(have); i++) {
		if (list->items[i].type != AMF0_STRING)
			continue;
		n = snprintf(have + off, sizeof(have) - off, "%s%.8s",
		    off > 0 ? " " : "", list->items[i].str);
		if (n > 0)
			off += (size_t)n;
	}
	log_debug("rtmp: enhanced RTMP client, fourCcList %s", have);
	return 1;
}

static int
rtmp_cmd_connect(struct rtmp *r, const struct rtmpchunk_stream *cs, double txn,
    struct amf0_value *args, size_t nargs)
{
	const struct amf0_value *obj = NULL, *enc;
	const char *app = NULL, *tcurl = NULL;
	struct amf0_buf *b;
	double encoding = 0;

	if (r->connected)
		return rtmp_fail(r, "connect sent twice");
	if (nargs > 0 && args[0].type == AMF0_OBJECT) {
		obj = &args[0];
		app = amf0_get_str(obj, "app");
		tcurl = amf0_get_str(obj, "tcUrl");
		if ((enc = amf0_get(obj, "objectEncoding")) != NULL &&
		    enc->type == AMF0_NUMBER)
			encoding = enc->num;
		r->enhanced = rtmp_connect_enhanced(obj);
	}
	if (app == NULL)
		app = "";
	if (tcurl == NULL)
		tcurl = "";
	if (r->cb.connect != NULL && r->cb.connect(r->arg, app, tcurl) == -1) {
		b = rtmp_amf_begin(r, "_error", txn);
		amf0_put_null(b);
		rtmp_amf_status(b, "error", "NetConnection.Connect.Rejected",
		    "Connection rejected.");
		rtmp_send_amf(r, RTMP_CSID_COMMAND, 0);
		return rtmp_fail(r, "connect to app \"%s\" rejected", app);
	}
	r->connected = 1;

	rtmp_send_control(r, RTMP_MSG_WINDOW_ACK_SIZE, RTMP_WINDOW_ACK_SIZE);
	{
		uint8_t bw[5];

		be32_write(bw, RTMP_WINDOW_ACK_SIZE);
		bw[4] = 2; /* dynamic */
		rtmp_send_message(r, RTMP_CSID_CONTROL,
		    RTMP_MSG_SET_PEER_BANDWIDTH, 0, bw, sizeof(bw));
	}
	rtmp_send_control(r, RTMP_MSG_SET_CHUNK_SIZE, RTMP_OUT_CHUNK_SIZE);
	r->out_chunk_size = RTMP_OUT_CHUNK_SIZE;

	b = rtmp_amf_begin(r, "_result", txn);
	amf0_put_object(b);
	amf0_put_key(b, "fmsVer");
	amf0_put_string(b, "FMS/3,0,1,123");
	amf0_put_key(b, "capabilities");
	amf0_put_number(b, 31);
	if (r->enhanced)
		rtmp_put_fourccs(b);
	amf0_put_object_end(b);
	amf0_put_object(b);
	amf0_put_key(b, "level");
	amf0_put_string(b, "status");
	amf0_put_key(b, "code");
	amf0_put_string(b, "NetConnection.Connect.Success");
	amf0_put_key(b, "description");
	amf0_put_string(b, "Connection succeeded.");
	amf0_put_key(b, "objectEncoding");
	amf0_put_number(b, encoding);
	amf0_put_object_end(b);
	rtmp_send_amf(r, RTMP_CSID_COMMAND, 0);

	b = rtmp_amf_begin(r, "onBWDone", 0);
	amf0_put_null(b);
	rtmp_send_amf(r, RTMP_CSID_COMMAND, 0);
	log_debug("rtmp: connect app \"%s\"", app);
	return 0;
}

static int
rtmp_cmd_ack(struct rtmp *r, const struct rtmpchunk_stream *cs, double txn,
    struct amf0_value *args, size_t nargs)
{
	rtmp_send_result_empty(r, txn);
	return 0;
}

static int
rtmp_cmd_fcpublish(struct rtmp *r, const struct rtmpchunk_stream *cs,
    double txn, struct amf0_value *args, size_t nargs)
{
	struct amf0_buf *b;

	rtmp_send_result_empty(r, txn);
	b = rtmp_amf_begin(r, "onFCPublish", 0);
	amf0_put_null(b);
	amf0_put_object(b);
	amf0_put_key(b, "code");
	amf0_put_string(b, "NetStream.Publish.Start");
	amf0_put_key(b, "description");
	amf0_put_string(b, "FCPublish");
	amf0_put_object_end(b);
	rtmp_send_amf(r, RTMP_CSID_COMMAND, 0);
	return 0;
}

static int
rtmp_cmd_createstream(struct rtmp *r, const struct rtmpchunk_stream *cs,
    double txn, struct amf0_value *args, size_t nargs)
{
	struct amf0_buf *b;

	b = rtmp_amf_begin(r, "_result", txn);
	amf0_put_null(b);
	amf0_put_number(b, RTMP_STREAM_ID);
	rtmp_send_amf(r, RTMP_CSID_COMMAND, 0);
	return 0;
}

static void
rtmp_publish_refuse(struct rtmp *r, uint32_t stream_id, const char *why)
{
	uint32_t saved = r->pub_stream;

	r->pub_stream = stream_id;
	rtmp_send_status(r, "error", "NetStream.Publish.BadName", why);
	r->pub_stream = saved;
}

static int
rtmp_cmd_publish(struct rtmp *r, const struct rtmpchunk_stream *cs, double txn,
    struct amf0_value *args, size_t nargs)
{
	const struct amf0_value *v;
	size_t len;
	char *q;

	if (r->pub != RTMP_PUB_NONE) {
		rtmp_publish_refuse(
		    r, cs->stream_id, "Only one publish per connection.");
		return 0;
	}
	/* args: command object (null), name, type ("live") */
	v = nargs >= 2 ? &args[1] : NULL;
	if (v == NULL ||
	    (v->type != AMF0_STRING && v->type != AMF0_LONG_STRING) ||
	    memchr(v->str, '\0', v->len) != NULL) {
		rtmp_publish_refuse(r, cs->stream_id, "No stream name.");
		return 0;
	}
	if ((q = strchr(v->str, '?')) != NULL)
		*q = '\0';
	len = strlen(v->str);
	if (len == 0 || len > RTMP_NAME_MAX) {
		rtmp_publish_refuse(r, cs->stream_id, "Bad stream name.");
		return 0;
	}
	memcpy(r->name, v->str, len + 1);
	r->pub = RTMP_PUB_PENDING;
	r->pub_stream = cs->stream_id;
	if (r->cb.publish != NULL)
		r->cb.publish(r->arg, r->name);
	else
		rtmp_publish_result(r, 1, NULL);
	return 0;
}

static void
rtmp_unpublished(struct rtmp *r)
{
	if (r->pub != RTMP_PUB_PENDING && r->pub != RTMP_PUB_LIVE)
		return;
	r->pub = RTMP_PUB_DONE;
	if (r->cb.unpublish != NULL)
		r->cb.unpublish(r->arg, NULL);
}

static int
rtmp_cmd_unpublish(struct rtmp *r, const struct rtmpchunk_stream *cs,
    double txn, struct amf0_value *args, size_t nargs)
{
	rtmp_unpublished(r);
	return 0;
}

static int
rtmp_cmd_deletestream(struct rtmp *r, const struct rtmpchunk_stream *cs,
    double txn, struct amf0_value *args, size_t nargs)
{
	/* args: null, stream id */
	if (nargs >= 2 && args[1].type == AMF0_NUMBER &&
	    args[1].num != (double)r->pub_stream)
		return 0;
	rtmp_unpublished(r);
	return 0;
}

static int
rtmp_cmd_ignore(struct rtmp *r, const struct rtmpchunk_stream *cs, double txn,
    struct amf0_value *args, size_t nargs)
{
	return 0;
}

static const struct rtmp_cmd rtmp_cmds[] = {
    {"connect", rtmp_cmd_connect, 1},
    {"releaseStream", rtmp_cmd_ack, 0},
    {"FCPublish", rtmp_cmd_fcpublish, 0},
    {"createStream", rtmp_cmd_createstream, 0},
    {"publish", rtmp_cmd_publish, 0},
    {"FCUnpublish", rtmp_cmd_unpublish, 0},
    {"deleteStream", rtmp_cmd_deletestream, 0},
    {"closeStream", rtmp_cmd_unpublish, 0},
    {"getStreamLength", rtmp_cmd_ignore, 0},
    {"checkBandwidth", rtmp_cmd_ignore, 1},
    {"_checkbw", rtmp_cmd_ignore, 1},
    {"_result", rtmp_cmd_ignore, 1}, /* e.g. to our onBWDone */
    {"_error", rtmp_cmd_ignore, 1},
};

static int
rtmp_command(struct rtmp *r, const struct rtmpchunk_stream *cs,
    const uint8_t *body, size_t len)
{
	struct amf0_value v[RTMP_CMD_VALUES];
	const struct rtmp_cmd *cmd = NULL;
	size_t n = 0, off = 0, i;
	ssize_t used;
	double txn = 0;
	int rv = 0;

	if (len > RTMP_MAX_COMMAND)
		return rtmp_fail(r, "command of %zu bytes", len);
	while (off < len && n < nitems(v)) {
		if ((used = amf0_decode(body + off, len - off, &v[n])) == -1) {
			rv = rtmp_fail(r, "malformed AMF0 in command");
			goto out;
		}
		off += (size_t)used;
		n++;
	}
	if (n == 0 || v[0].type != AMF0_STRING) {
		rv = rtmp_fail(r, "command without a name");
		goto out;
	}
	if (n >= 2 && v[1].type == AMF0_NUMBER)
		txn = v[1].num;
	for (i = 0; i < nitems(rtmp_cmds); i++)
		if (strcmp(rtmp_cmds[i].name, v[0].str) == 0) {
			cmd = &rtmp_cmds[i];
			break;
		}
	if (cmd == NULL) {
		log_debug("rtmp: ignoring command \"%.64s\"", v[0].str);
		goto out;
	}
	if (!r->connected && !cmd->before_connect) {
		rv = rtmp_fail(r, "%s before connect", cmd->name);
		goto out;
	}
	rv = cmd->fn(r, cs, txn, v + 2, n > 2 ? n - 2 : 0);
out:
	for (i = 0; i < n; i++)
		amf0_free(&v[i]);
	return rv;
}

/* Messages. */

/*
 * Ends a live publish whose media we cannot carry: the peer hears why, and
 * so does the caller.
 */
static void
rtmp_reject(struct rtmp *r, const char *why)
{
	r->pub = RTMP_PUB_DONE;
	rtmp_send_status(r, "error", "NetStream.Publish.Rejected", why);
	rtmp_send_user_control(r, RTMP_UC_STREAM_EOF, r->pub_stream);
	if (r->cb.unpublish != NULL)
		r->cb.unpublish(r->arg, why);
}

static void
rtmp_media(struct rtmp *r, uint8_t type, uint32_t timestamp,
    const uint8_t *body, size_t len)
{
	char why[160];

	if (r->pub != RTMP_PUB_LIVE || len == 0)
		return;
	if (type != FLV_TAG_SCRIPT &&
	    flv_media_accept(type, body, len, why, sizeof(why)) == -1) {
		rtmp_reject(r, why);
		return;
	}
	if (r->cb.media != NULL)
		r->cb.media(r->arg, type, timestamp, body, len);
}

static void
rtmp_data(struct rtmp *r, uint32_t timestamp, const uint8_t *body, size_t len)
{
	size_t n;

	if (r->pub != RTMP_PUB_LIVE)
		return;
	/* Script data starts with its name; anything else is not script data. */
	if (len < 3 || body[0] != AMF0_STRING ||
	    (n = be16_read(body + 1)) > len - 3) {
		log_debug("rtmp: dropping data message without a name");
		return;
	}
	if (n == 13 && memcmp(body + 3, "@setDataFrame", 13) == 0) {
		body += 16;
		len -= 16;
	} else if (n == 15 && memcmp(body + 3, "@clearDataFrame", 15) == 0)
		return;
	rtmp_media(r, FLV_TAG_SCRIPT, timestamp, body, len);
}

static int
rtmp_dispatch(struct rtmp *r, struct rtmpchunk_stream *cs)
{
	const uint8_t *b = cs->buf;
	size_t len = cs->msg_len;
	struct rtmpchunk_stream *other;
	uint32_t v;

	switch (cs->msg_type) {
	case RTMP_MSG_SET_CHUNK_SIZE:
		if (len < 4)
			return rtmp_fail(r, "short Set Chunk Size");
		v = be32_read(b);
		if (v == 0 || (v & 0x80000000) || v > r->max_chunk_size)
			return rtmp_fail(r, "bad chunk size %u", v);
		r->rd.chunk_size = v;
		return 0;
	case RTMP_MSG_ABORT:
		if (len < 4)
			return rtmp_fail(r, "short Abort Message");
		if ((other = rtmpchunk_find(&r->rd, be32_read(b))) != NULL &&
		    other != cs) {
			other->inmsg = 0;
			other->got = 0;
			if (other->cap > RTMP_KEEP_BUFFER)
				rtmp_cs_release(r, other);
		}
		return 0;
	case RTMP_MSG_ACK:
	case RTMP_MSG_SET_PEER_BANDWIDTH:
		return 0;
	case RTMP_MSG_WINDOW_ACK_SIZE:
		if (len < 4)
			return rtmp_fail(
			    r, "short Window Acknowledgement Size");
		r->peer_window = be32_read(b);
		return 0;
	case RTMP_MSG_USER_CONTROL:
		if (len < 2)
			return rtmp_fail(r, "short User Control message");
		if (be16_read(b) == RTMP_UC_PING_REQUEST && len >= 6)
			rtmp_send_user_control(
			    r, RTMP_UC_PING_RESPONSE, be32_read(b + 2));
		return 0;
	case RTMP_MSG_AUDIO:
	case RTMP_MSG_VIDEO:
		rtmp_media(r, cs->msg_type, cs->timestamp, b, len);
		return 0;
	case RTMP_MSG_DATA_AMF3:
		/* Flex stream data: a format byte of 0, then AMF0. */
		if (len > 0 && b[0] == 0)
			rtmp_data(r, cs->timestamp, b + 1, len - 1);
		return 0;
	case RTMP_MSG_DATA_AMF0:
		rtmp_data(r, cs->timestamp, b, len);
		return 0;
	case RTMP_MSG_COMMAND_AMF3:
		if (len == 0 || b[0] != 0)
			return rtmp_fail(r, "AMF3 command not in AMF0");
		return rtmp_command(r, cs, b + 1, len - 1);
	case RTMP_MSG_COMMAND_AMF0:
		return rtmp_command(r, cs, b, len);
	}
	log_debug("rtmp: ignoring message type %u", cs->msg_type);
	return 0;
}

/* Chunks. */

/*
 * What one connection's buffers may hold: before its publish is live,
 * commands only; then two media messages at the limit, plus small kept
 * buffers on every chunk stream.
 */
static size_t
rtmp_buffer_limit(const struct rtmp *r)
{
	if (r->pub != RTMP_PUB_LIVE)
		return RTMP_PENDING_BUFFERS;
	return 2 * r->max_media + RTMP_MAX_CHUNK_STREAMS * RTMP_KEEP_BUFFER;
}

static int
rtmp_cs_reserve(struct rtmp *r, struct rtmpchunk_stream *cs, size_t len)
{
	size_t cap, limit = rtmp_buffer_limit(r);
	struct rtmp_budget *b = r->budget;

	if (len <= cs->cap)
		return 0;
	cap = (len + RTMP_BUFFER_STEP - 1) & ~(size_t)(RTMP_BUFFER_STEP - 1);
	if (r->buffered - cs->cap + cap > limit)
		return rtmp_fail(r,
		    "more than %zu bytes of messages pending (a %zu byte "
		    "message)",
		    limit, len);
	if (b != NULL && b->limit != 0 && b->used - cs->cap + cap > b->limit)
		return rtmp_fail(r,
		    "no room for a %zu byte message: publishers' buffers "
		    "hold %zu of the %zu bytes all may use",
		    len, b->used, b->limit);
	/* The old bytes are of no use: no copy, and never two at once. */
	rtmp_cs_release(r, cs);
	if ((cs->buf = malloc(cap)) == NULL)
		return rtmp_fail(
		    r, "out of memory for a %zu byte message", len);
	cs->cap = cap;
	r->buffered += cap;
	if (b != NULL)
		b->used += cap;
	return 0;
}

/*
 * Whether a message is assembled (0), skipped as it arrives (1), or too big
 * for its kind (-1).  Media waits for a live publish: before that nobody
 * would read it, so it must cost nothing.
 */
static int
rtmp_msg_skip(struct rtmp *r, uint8_t type, uint32_t len)
{
	switch (type) {
	case RTMP_MSG_AUDIO:
	case RTMP_MSG_VIDEO:
	case RTMP_MSG_DATA_AMF3:
	case RTMP_MSG_DATA_AMF0:
		if (r->pub != RTMP_PUB_LIVE)
			return 1;
		if (len > r->max_media)
			return rtmp_fail(r,
			    "media message of %u bytes, over this stream's %zu",
			    len, r->max_media);
		return 0;
	case RTMP_MSG_SET_CHUNK_SIZE:
	case RTMP_MSG_ABORT:
	case RTMP_MSG_ACK:
	case RTMP_MSG_USER_CONTROL:
	case RTMP_MSG_WINDOW_ACK_SIZE:
	case RTMP_MSG_SET_PEER_BANDWIDTH:
	case RTMP_MSG_COMMAND_AMF3:
	case RTMP_MSG_COMMAND_AMF0:
		if (len > RTMP_MAX_COMMAND)
			return rtmp_fail(
			    r, "command of %u bytes (type %u)", len, type);
		return 0;
	}
	log_debug("rtmp: skipping message type %u", type);
	return 1;
}

/* A message begins: skipped, or room made for it. */
static int
rtmp_chunk_begin(void *arg, struct rtmpchunk_stream *cs)
{
	struct rtmp *r = arg;

	if (r->state == RTMP_ST_ERROR)
		return -1;
	if (cs->msg_len > r->max_message)
		return rtmp_fail(r, "message of %u bytes", cs->msg_len);
	if ((cs->skip = rtmp_msg_skip(r, cs->msg_type, cs->msg_len)) == -1)
		return -1;
	if (!cs->skip && cs->msg_len > 0 &&
	    rtmp_cs_reserve(r, cs, cs->msg_len) == -1)
		return -1;
	return 0;
}

static int
rtmp_chunk_message(void *arg, struct rtmpchunk_stream *cs)
{
	struct rtmp *r = arg;
	int rv;

	if (r->state == RTMP_ST_ERROR)
		return -1;
	rv = rtmp_dispatch(r, cs);
	if (cs->cap > RTMP_KEEP_BUFFER)
		rtmp_cs_release(r, cs);
	return rv;
}

static int
rtmp_chunk_fail(void *arg, const char *why)
{
	return rtmp_fail(arg, "%s", why);
}

static int
rtmp_consume(struct rtmp *r, const uint8_t *buf, size_t len)
{
	size_t n;

	while (len > 0) {
		switch (r->state) {
		case RTMP_ST_C0C1:
			if (r->hslen == 0 && buf[0] != RTMP_VERSION)
				return rtmp_fail(r,
				    "RTMP version %u is not 3%s", buf[0],
				    buf[0] == 6 ? " (RTMPE)" : "");
			n = sizeof(r->hs) - r->hslen;
			if (n > len)
				n = len;
			memcpy(r->hs + r->hslen, buf, n);
			r->hslen += n;
			buf += n;
			len -= n;
			if (r->hslen == sizeof(r->hs)) {
				rtmp_handshake_reply(r);
				r->hslen = 0;
				r->state = RTMP_ST_C2;
			}
			break;
		case RTMP_ST_C2:
			/* C2 proves nothing we rely on; skip it. */
			n = RTMPHS_SIZE - r->hslen;
			if (n > len)
				n = len;
			r->hslen += n;
			buf += n;
			len -= n;
			if (r->hslen == RTMPHS_SIZE)
				r->state = RTMP_ST_CHUNKS;
			break;
		case RTMP_ST_CHUNKS:
			if (rtmpchunk_read(&r->rd, &buf, &len) == -1)
				return -1;
			break;
		case RTMP_ST_ERROR:
			return -1;
		}
	}
	return r->state == RTMP_ST_ERROR ? -1 : 0;
}

int
rtmp_feed(struct rtmp *r, const uint8_t *buf, size_t len)
{
	if (r->state == RTMP_ST_ERROR)
		return -1;
	r->bytes_in += len;
	if (rtmp_consume(r, buf, len) == -1)
		return -1;
	if (r->peer_window > 0 && r->bytes_in - r->acked >= r->peer_window) {
		rtmp_send_control(r, RTMP_MSG_ACK, (uint32_t)r->bytes_in);
		r->acked = r->bytes_in;
	}
	return 0;
}

void
rtmp_publish_result(struct rtmp *r, int ok, const char *why)
{
	if (r->pub != RTMP_PUB_PENDING || r->state == RTMP_ST_ERROR)
		return;
	if (!ok) {
		r->pub = RTMP_PUB_DONE;
		rtmp_send_status(r, "error", "NetStream.Publish.BadName",
		    why != NULL ? why : "Publishing refused.");
		return;
	}
	r->pub = RTMP_PUB_LIVE;
	rtmp_send_user_control(r, RTMP_UC_STREAM_BEGIN, r->pub_stream);
	rtmp_send_status(
	    r, "status", "NetStream.Publish.Start", "Publishing started.");
}

void
rtmp_stop(struct rtmp *r, const char *why)
{
	if (r->pub != RTMP_PUB_PENDING && r->pub != RTMP_PUB_LIVE)
		return;
	r->pub = RTMP_PUB_DONE;
	if (r->state == RTMP_ST_ERROR)
		return;
	rtmp_send_status(r, "status", "NetStream.Unpublish.Success",
	    why != NULL ? why : "Publishing stopped.");
	rtmp_send_user_control(r, RTMP_UC_STREAM_EOF, r->pub_stream);
}
