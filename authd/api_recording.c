/*
 * /api/recordings: recd keeps the recordings; authd asks it over a
 * one-shot control client for each request, without blocking its loop,
 * and answers when recd does (or fails).  Downloads are served from the
 * file recd opens and hands over (SCM_RIGHTS): authd needs no right to the
 * recordings directory.  A download honours one HTTP range, so a <video>
 * element can seek.  Recordings are private: the list and changes need a
 * token; a file or thumbnail needs a token or the signed URL the list
 * gives, valid as long as the token that asked for the list.
 */
#include <sys/stat.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "authd.h"

#define RECD_TIMEOUT_MS 3000

enum api_rec_kind { REC_LIST, REC_FILE, REC_THUMB, REC_KEEP, REC_DELETE };

/* One request to recd on behalf of one HTTP request. */
struct api_rec {
	enum api_rec_kind kind;
	struct evhttp_request *req; /* NULL once the client is gone */
	struct evhttp_connection *evcon;
	struct ctl_client *client;
	yajl_gen msg; /* what to ask, once connected */
	int head; /* HEAD: no body */
	int download; /* ?download=1: as an attachment */
	char range[128]; /* the Range header, "" if none */
	int64_t exp; /* signed URLs made for the list expire then */
	int64_t id;
	int answered;
};

static void api_rec_done(struct api_rec *, struct ctl_msg *);

static void
api_rec_free(struct api_rec *a)
{
	if (a->evcon != NULL)
		evhttp_connection_set_closecb(a->evcon, NULL, NULL);
	if (a->msg != NULL)
		yajl_gen_free(a->msg);
	ctl_client_free(a->client);
	free(a);
}

static void
api_rec_reply(struct ctl_msg *m, void *arg)
{
	struct api_rec *a = arg;

	if (a->answered)
		return;
	a->answered = 1;
	api_rec_done(a, m);
	/* the client is freed from its own callback: safe (ctl_client.c) */
	api_rec_free(a);
}

static void
api_rec_up(struct ctl_client *c, void *arg)
{
	struct api_rec *a = arg;
	yajl_gen g = a->msg;

	a->msg = NULL;
	if (ctl_client_request(
	        c, g, NULL, 0, RECD_TIMEOUT_MS, api_rec_reply, a) == -1)
		api_rec_reply(NULL, a);
}

static void
api_rec_down(struct ctl_client *c, void *arg)
{
	api_rec_reply(NULL, arg);
}

static void
api_rec_client_gone(struct evhttp_connection *evcon, void *arg)
{
	struct api_rec *a = arg;

	a->req = NULL;
	a->evcon = NULL;
}

/* Asks recd msg (from ctl_msg_begin, map open) for r. */
static void
api_rec_ask(struct api_req *r, struct api_rec *a, yajl_gen msg)
{
	static const struct ctl_client_cb cb = {
	    .up = api_rec_up,
	    .down = api_rec_down,
	};
	char path[512];

	a->req = r->req;
	a->msg = msg;
	a->evcon = evhttp_request_get_connection(r->req);
	if (a->evcon != NULL)
		evhttp_connection_set_closecb(a->evcon, api_rec_client_gone, a);
	conf_file(authd->d.conf, "rundir", "recd.sock", path, sizeof(path));
	a->client = ctl_client_new(authd->d.base, path, "recd",
	    &authd->d.policy, CTL_CLIENT_ONCE, &cb, a);
}

/* recd's refusal or absence as the API's error. */
static void
api_rec_error(struct api_req *r, struct ctl_msg *m)
{
	const char *e;

	if (m == NULL) {
		api_reply_error(r, 503,
		    "recordings unavailable: recd is not running", NULL, NULL);
		return;
	}
	e = json_get_str(m->root, "error");
	if (e == NULL)
		e = "recd refused";
	if (strncmp(e, "no recording", 12) == 0)
		api_reply_error(r, 404, e, NULL, NULL);
	else if (strstr(e, "in progress") != NULL)
		api_reply_error(r, 409, e, NULL, NULL);
	else
		api_reply_error(r, 400, e, NULL, NULL);
}

static void
api_rec_signed(
    yajl_gen g, const char *key, int64_t id, const char *what, int64_t exp)
{
	char msg[128], sig[2 * SHA256_LEN + 1], url[256];

	snprintf(msg, sizeof(msg), "recording:%lld:%s:%lld", (long long)id,
	    what, (long long)exp);
	api_auth_sign(msg, sig);
	snprintf(url, sizeof(url), "/api/recordings/%lld/%s?exp=%lld&sig=%s",
	    (long long)id, what, (long long)exp, sig);
	json_str(g, key, url);
}

static void
api_rec_list_done(struct api_req *r, struct api_rec *a, struct ctl_msg *m)
{
	yajl_val list = json_get(m->root, "recordings"), v;
	long long id;
	size_t i, k;
	int thumb;
	yajl_gen g = json_gen();

	yajl_gen_map_open(g);
	json_bool(g, "paused", YAJL_IS_TRUE(json_get(m->root, "paused")));
	if (json_get_str(m->root, "warning") != NULL)
		json_str(g, "warning", json_get_str(m->root, "warning"));
	else
		json_null(g, "warning");
	json_key(g, "recordings");
	yajl_gen_array_open(g);
	for (i = 0;
	     list != NULL && YAJL_IS_ARRAY(list) && i < list->u.array.len;
	     i++) {
		v = list->u.array.values[i];
		if (!YAJL_IS_OBJECT(v) || json_get_int(v, "id", &id) == -1)
			continue;
		yajl_gen_map_open(g);
		for (k = 0; k < v->u.object.len; k++) {
			json_key(g, v->u.object.keys[k]);
			json_value(g, v->u.object.values[k]);
		}
		api_rec_signed(g, "url", id, "file", a->exp);
		thumb = YAJL_IS_TRUE(json_get(v, "thumbnail"));
		if (thumb)
			api_rec_signed(
			    g, "thumbnail_url", id, "thumbnail", a->exp);
		else
			json_null(g, "thumbnail_url");
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	api_reply_ok(r, 200, g, NULL);
	yajl_gen_free(g);
}

/*
 * One range of "bytes=a-b", "bytes=a-" or "bytes=-n" within size: 1 with
 * [*from, *to], 0 to send it whole (none, several, or not bytes), -1 if
 * it cannot be satisfied.
 */
static int
api_rec_range(const char *h, uint64_t size, uint64_t *from, uint64_t *to)
{
	unsigned long long a, b;
	char *end;

	if (h[0] == '\0' || strncmp(h, "bytes=", 6) != 0 ||
	    strchr(h, ',') != NULL)
		return 0;
	h += 6;
	if (*h == '-') {
		errno = 0;
		b = strtoull(h + 1, &end, 10);
		if (errno != 0 || *end != '\0' || end == h + 1)
			return 0;
		if (b == 0 || size == 0)
			return -1;
		*from = b >= size ? 0 : size - b;
		*to = size - 1;
		return 1;
	}
	errno = 0;
	a = strtoull(h, &end, 10);
	if (errno != 0 || end == h || *end != '-')
		return 0;
	h = end + 1;
	if (*h == '\0')
		b = size > 0 ? size - 1 : 0;
	else {
		b = strtoull(h, &end, 10);
		if (errno != 0 || *end != '\0' || b < a)
			return 0;
	}
	if (a >= size)
		return -1;
	*from = a;
	*to = b >= size ? size - 1 : b;
	return 1;
}

static void
api_rec_file_done(struct api_req *r, struct api_rec *a, struct ctl_msg *m)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
	struct evbuffer *out = evhttp_request_get_output_buffer(r->req);
	const char *type = json_get_str(m->root, "type");
	const char *file = json_get_str(m->root, "file");
	uint64_t from = 0, to = 0, size;
	char buf[256];
	struct stat sb;
	int fd, rr, status = 200;

	if (m->nfds != 1 || fstat(m->fds[0], &sb) == -1 ||
	    !S_ISREG(sb.st_mode)) {
		api_reply_error(r, 500, "internal error", NULL, NULL);
		return;
	}
	fd = m->fds[0];
	m->fds[0] = -1; /* ours now */
	size = (uint64_t)sb.st_size;
	api_reply_headers(r);
	evhttp_add_header(h, "Content-Type",
	    type != NULL && strcmp(type, "image/jpeg") == 0 ? "image/jpeg"
	                                                    : "video/mp4");
	evhttp_add_header(h, "Accept-Ranges", "bytes");
	evhttp_add_header(h, "Cache-Control", "private, no-cache");
	if (a->download && file != NULL) {
		snprintf(buf, sizeof(buf), "attachment; filename=\"%s\"", file);
		evhttp_add_header(h, "Content-Disposition", buf);
	}
	rr = api_rec_range(a->range, size, &from, &to);
	if (rr == -1) {
		close(fd);
		snprintf(buf, sizeof(buf), "bytes */%" PRIu64, size);
		evhttp_add_header(h, "Content-Range", buf);
		evhttp_send_reply(r->req, 416, "Range Not Satisfiable", NULL);
		return;
	}
	if (rr == 1) {
		status = 206;
		snprintf(buf, sizeof(buf),
		    "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, from, to, size);
		evhttp_add_header(h, "Content-Range", buf);
	} else if (size > 0)
		to = size - 1;
	if (a->head || size == 0) {
		snprintf(buf, sizeof(buf), "%" PRIu64,
		    size == 0 ? 0 : to - from + 1);
		evhttp_add_header(h, "Content-Length", buf);
		close(fd);
	} else if (evbuffer_add_file(out, fd, (ev_off_t)from,
	               (ev_off_t)(to - from + 1)) == -1) {
		close(fd);
		api_reply_error(r, 500, "internal error", NULL, NULL);
		return;
	}
	evhttp_send_reply(
	    r->req, status, status == 206 ? "Partial Content" : "OK", NULL);
}

static void
api_rec_done(struct api_rec *a, struct ctl_msg *m)
{
	struct api_req r = {.req = a->req};
	yajl_val rec;
	yajl_gen g;

	if (a->req == NULL)
		return; /* the HTTP client left */
	if (m == NULL || !YAJL_IS_TRUE(json_get(m->root, "ok"))) {
		api_rec_error(&r, m);
		return;
	}
	switch (a->kind) {
	case REC_LIST:
		api_rec_list_done(&r, a, m);
		break;
	case REC_FILE:
	case REC_THUMB:
		api_rec_file_done(&r, a, m);
		break;
	case REC_KEEP:
		g = json_gen();
		if ((rec = json_get(m->root, "recording")) != NULL)
			json_value(g, rec);
		else
			yajl_gen_null(g);
		api_reply_ok(&r, 200, g, NULL);
		yajl_gen_free(g);
		break;
	case REC_DELETE:
		g = json_gen();
		yajl_gen_map_open(g);
		json_int(g, "id", a->id);
		json_bool(g, "deleted", 1);
		yajl_gen_map_close(g);
		api_reply_ok(&r, 200, g, "recording deleted");
		yajl_gen_free(g);
		break;
	}
}

static struct api_rec *
api_rec_new(struct api_req *r, enum api_rec_kind kind)
{
	struct api_rec *a = xcalloc(1, sizeof(*a));

	a->kind = kind;
	a->id = r->id;
	a->exp = r->token_exp;
	return a;
}

void
api_recording_list(struct api_req *r)
{
	const char *stream = evhttp_find_header(r->query, "stream");
	char why[128];
	yajl_gen g;

	if (stream != NULL &&
	    stream_name_check(stream, why, sizeof(why)) == -1) {
		api_fail_with(r, 400, "stream", why);
		return;
	}
	g = ctl_msg_begin(CTL_OP_RECORDING_LIST);
	if (stream != NULL)
		json_str(g, "stream", stream);
	api_rec_ask(r, api_rec_new(r, REC_LIST), g);
}

/* A token, or the signature of a URL the list gave. */
static int
api_rec_allowed(struct api_req *r, const char *what)
{
	const char *sig = evhttp_find_header(r->query, "sig");
	const char *exp = evhttp_find_header(r->query, "exp");
	char msg[128], want[2 * SHA256_LEN + 1];
	const char *errstr;
	long long e;

	if (sig == NULL)
		return api_authenticate(r, 0);
	e = exp != NULL ? strtonum(exp, 1, INT64_MAX, &errstr) : 0;
	if (e == 0 || strlen(sig) != 2 * SHA256_LEN) {
		api_reply_error(r, 401, "invalid signature", NULL, NULL);
		return -1;
	}
	snprintf(msg, sizeof(msg), "recording:%lld:%s:%lld", (long long)r->id,
	    what, e);
	api_auth_sign(msg, want);
	if (!hmac_equal(want, sig, 2 * SHA256_LEN)) {
		api_reply_error(r, 401, "invalid signature", NULL, NULL);
		return -1;
	}
	if (e < (long long)time(NULL)) {
		api_reply_error(r, 401, "link expired", NULL, NULL);
		return -1;
	}
	return 0;
}

static void
api_rec_open(struct api_req *r, enum api_rec_kind kind)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(r->req);
	const char *range = evhttp_find_header(in, "Range");
	const char *dl = evhttp_find_header(r->query, "download");
	struct api_rec *a;
	yajl_gen g;

	if (api_rec_allowed(r, kind == REC_FILE ? "file" : "thumbnail") == -1)
		return;
	a = api_rec_new(r, kind);
	a->head = evhttp_request_get_command(r->req) == EVHTTP_REQ_HEAD;
	a->download = dl != NULL && strcmp(dl, "1") == 0;
	if (range != NULL)
		strlcpy(a->range, range, sizeof(a->range));
	g = ctl_msg_begin(CTL_OP_RECORDING_OPEN);
	json_int(g, "id", r->id);
	json_str(g, "what", kind == REC_FILE ? "file" : "thumb");
	api_rec_ask(r, a, g);
}

void
api_recording_file(struct api_req *r)
{
	api_rec_open(r, REC_FILE);
}

void
api_recording_thumbnail(struct api_req *r)
{
	api_rec_open(r, REC_THUMB);
}

void
api_recording_update(struct api_req *r)
{
	yajl_val v = json_get(r->body, "keep");
	yajl_gen g;

	if (v == NULL || !(YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v))) {
		api_fail_with(r, 400, "keep", "must be true or false");
		return;
	}
	g = ctl_msg_begin(CTL_OP_RECORDING_KEEP);
	json_int(g, "id", r->id);
	json_bool(g, "keep", YAJL_IS_TRUE(v));
	api_rec_ask(r, api_rec_new(r, REC_KEEP), g);
}

void
api_recording_delete(struct api_req *r)
{
	yajl_gen g = ctl_msg_begin(CTL_OP_RECORDING_DELETE);

	json_int(g, "id", r->id);
	api_rec_ask(r, api_rec_new(r, REC_DELETE), g);
}
