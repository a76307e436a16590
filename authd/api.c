/*
 * The REST API's HTTP side: the listener, requests into struct api_req,
 * JSON bodies and query strings, and the response shapes and headers.
 * What each path does is the routing table's business (api_routes.c),
 * the only way up from here.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "authd.h"

#define API_LISTEN_MAX 8
#define API_BODY_HARD (4 * API_BODY_MAX) /* evhttp's own 413 above this */
#define API_HEADERS_MAX 16384
#define API_TIMEOUT 30 /* seconds for a whole request */

static struct evhttp *api_http;
static struct event *api_timer;

static const char *
api_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 206:
		return "Partial Content";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 409:
		return "Conflict";
	case 413:
		return "Payload Too Large";
	case 415:
		return "Unsupported Media Type";
	case 416:
		return "Range Not Satisfiable";
	case 429:
		return "Too Many Requests";
	case 503:
		return "Service Unavailable";
	default:
		return "Internal Server Error";
	}
}

/*
 * The request's Origin if cors_origin names it, "*" if cors_origin lets
 * any origin in, else NULL: a page from elsewhere may not read what we
 * answer (a token, above all) unless the operator said so.
 */
static const char *
api_cors_origin(struct evhttp_request *req)
{
	const char *list = conf_str(authd->d.conf, "cors_origin");
	const char *origin, *p;
	size_t n;

	origin =
	    evhttp_find_header(evhttp_request_get_input_headers(req), "Origin");
	for (p = list; *p != '\0'; p += n) {
		p += strspn(p, " ,\t");
		n = strcspn(p, " ,\t");
		if (n == 1 && *p == '*')
			return "*";
		if (n > 0 && origin != NULL && strlen(origin) == n &&
		    strncasecmp(p, origin, n) == 0)
			return origin;
	}
	return NULL;
}

/* Headers every response carries, errors and files included. */
static void
api_headers(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	const char *list = conf_str(authd->d.conf, "cors_origin");
	const char *origin = api_cors_origin(req);

	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	if (origin != NULL)
		evhttp_add_header(h, "Access-Control-Allow-Origin", origin);
	/* the answer depends on who asks: caches must keep them apart */
	if (*list != '\0' && (origin == NULL || strcmp(origin, "*") != 0))
		evhttp_add_header(h, "Vary", "Origin");
}

void
api_reply_headers(struct api_req *r)
{
	api_headers(r->req);
}

static void
api_send(struct evhttp_request *req, int status, yajl_gen g)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *out = evhttp_request_get_output_buffer(req);
	const unsigned char *buf;
	size_t len;

	api_headers(req);
	evhttp_add_header(h, "Content-Type", "application/json; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	yajl_gen_get_buf(g, &buf, &len);
	evbuffer_add(out, buf, len);
	evhttp_send_reply(req, status, api_reason(status), NULL);
}

void
api_reply_raw(struct api_req *r, int status, yajl_gen g)
{
	api_send(r->req, status, g);
}

void
api_reply_header(struct api_req *r, const char *name, const char *value)
{
	evhttp_add_header(
	    evhttp_request_get_output_headers(r->req), name, value);
}

void
api_reply_ok(struct api_req *r, int status, yajl_gen data, const char *msg)
{
	yajl_gen g = json_gen();

	yajl_gen_map_open(g);
	json_bool(g, "success", 1);
	json_key(g, "data");
	if (data != NULL)
		json_raw(g, data);
	else
		yajl_gen_null(g);
	if (msg != NULL)
		json_str(g, "message", msg);
	yajl_gen_map_close(g);
	api_send(r->req, status, g);
	yajl_gen_free(g);
}

static void
api_send_error(struct evhttp_request *req, int status, const char *msg,
    const char *param, const char *param_msg)
{
	yajl_gen g = json_gen();

	yajl_gen_map_open(g);
	json_bool(g, "success", 0);
	json_str(g, "error", msg);
	if (param != NULL && *param != '\0') {
		json_key(g, "details");
		yajl_gen_array_open(g);
		yajl_gen_map_open(g);
		json_str(g, "msg", param_msg != NULL ? param_msg : msg);
		json_str(g, "param", param);
		yajl_gen_map_close(g);
		yajl_gen_array_close(g);
	}
	yajl_gen_map_close(g);
	api_send(req, status, g);
	yajl_gen_free(g);
}

void
api_reply_error(struct api_req *r, int status, const char *msg,
    const char *param, const char *param_msg)
{
	api_send_error(r->req, status, msg, param, param_msg);
}

void
api_reply_op(
    struct api_req *r, int status, int rc, yajl_gen g, struct db_err *err)
{
	const char *pmsg = NULL;
	size_t flen;

	if (rc == 0) {
		api_reply_ok(r, status, g, NULL);
		return;
	}
	if (err->code < 400 || err->code > 499) {
		/* db.c logged the cause; the client learns nothing of SQLite */
		api_reply_error(r, 500, "internal error", NULL, NULL);
		return;
	}
	/* "name: must be ..." -> details[0] = {msg: "must be ...", param} */
	flen = strlen(err->field);
	if (flen > 0 && strncmp(err->msg, err->field, flen) == 0 &&
	    strncmp(err->msg + flen, ": ", 2) == 0)
		pmsg = err->msg + flen + 2;
	api_reply_error(r, err->code, err->msg, err->field, pmsg);
}

int
api_json_body(
    const char *buf, size_t len, yajl_val *out, char *err, size_t errlen)
{

	size_t i;

	*out = NULL;
	if (len > API_BODY_MAX) {
		snprintf(err, errlen, "request body larger than %d bytes",
		    API_BODY_MAX);
		return 413;
	}
	for (i = 0; i < len; i++)
		if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\r' &&
		    buf[i] != '\n')
			break;
	if (i == len)
		return 0; /* no body: no fields */
	if ((*out = json_parse(buf, len, err, errlen)) == NULL)
		return 400;
	if (!YAJL_IS_OBJECT(*out)) {
		yajl_tree_free(*out);
		*out = NULL;
		snprintf(err, errlen, "request body must be a JSON object");
		return 400;
	}
	return 0;
}

/* request arguments */

/* Runs an operation's output back through yajl, for reshaping it. */
yajl_val
api_reparse(yajl_gen g)
{
	const unsigned char *buf;
	size_t len;
	char *text;
	yajl_val v;

	yajl_gen_get_buf(g, &buf, &len);
	text = xmalloc(len + 1);
	memcpy(text, buf, len);
	text[len] = '\0';
	v = yajl_tree_parse(text, NULL, 0);
	free(text);
	return v;
}

/* A required string field of the body; NULL after answering 400. */
const char *
api_body_str(struct api_req *r, const char *key)
{
	yajl_val v = json_get(r->body, key);
	char msg[128];

	if (v == NULL || !YAJL_IS_STRING(v) || *v->u.string == '\0') {
		snprintf(msg, sizeof(msg), "%s: %s", key,
		    v == NULL ? "required" : "must be a non-empty string");
		api_reply_error(r, 400, msg, key, strchr(msg, ' ') + 1);
		return NULL;
	}
	return v->u.string;
}

void
api_fail_with(struct api_req *r, int status, const char *param, const char *m)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "%s: %s", param, m);
	api_reply_error(r, status, msg, param, m);
}

yajl_val
api_query_args(struct evkeyvalq *q, const char *const *bools,
    const char *const *ints, const char *const *strs, struct db_err *err)
{
	const char *v, *errstr;
	long long n;
	yajl_gen g = json_gen();
	yajl_val out = NULL;
	size_t i;

	memset(err, 0, sizeof(*err));
	yajl_gen_map_open(g);
	for (i = 0; bools != NULL && bools[i] != NULL; i++) {
		if ((v = evhttp_find_header(q, bools[i])) == NULL)
			continue;
		if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
			json_bool(g, bools[i], 1);
		else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
			json_bool(g, bools[i], 0);
		else {
			err->code = DB_EINVAL;
			strlcpy(err->field, bools[i], sizeof(err->field));
			snprintf(err->msg, sizeof(err->msg),
			    "%s: must be true or false", bools[i]);
			goto out;
		}
	}
	for (i = 0; ints != NULL && ints[i] != NULL; i++) {
		if ((v = evhttp_find_header(q, ints[i])) == NULL)
			continue;
		n = strtonum(v, -1000000000LL, 1000000000LL, &errstr);
		if (errstr != NULL) {
			err->code = DB_EINVAL;
			strlcpy(err->field, ints[i], sizeof(err->field));
			snprintf(err->msg, sizeof(err->msg),
			    "%s: must be an integer", ints[i]);
			goto out;
		}
		json_int(g, ints[i], n);
	}
	for (i = 0; strs != NULL && strs[i] != NULL; i++)
		if ((v = evhttp_find_header(q, strs[i])) != NULL)
			json_str(g, strs[i], v);
	yajl_gen_map_close(g);
	if ((out = api_reparse(g)) == NULL) {
		/* not valid UTF-8 */
		err->code = DB_EINVAL;
		snprintf(err->msg, sizeof(err->msg), "malformed query string");
	}
out:
	yajl_gen_free(g);
	return out;
}

/* requests */

static void
api_peer(struct evhttp_request *req, struct api_req *r)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	unsigned char a6[16];
	struct in_addr a4;
	char *addr = NULL;
	ev_uint16_t port;

	if (c != NULL)
		evhttp_connection_get_peer(c, &addr, &port);
	strlcpy(r->ip, addr != NULL ? addr : "", sizeof(r->ip));
	if (strncmp(r->ip, "::ffff:", 7) == 0 &&
	    inet_pton(AF_INET, r->ip + 7, &a4) == 1)
		memmove(r->ip, r->ip + 7, strlen(r->ip + 7) + 1);
	if (inet_pton(AF_INET, r->ip, &a4) == 1)
		r->loopback = (ntohl(a4.s_addr) >> 24) == 127;
	else if (inet_pton(AF_INET6, r->ip, a6) == 1)
		r->loopback = memcmp(a6, &in6addr_loopback, 16) == 0;
}

/*
 * 1 if a Content-Type is JSON's.  A browser sends text/plain, form and
 * multipart bodies to any site without asking first; JSON it does not, so
 * a write that must be JSON cannot be forged by another site's page.
 */
static int
api_is_json(const char *ct)
{
	if (ct == NULL)
		return 0;
	ct += strspn(ct, " \t");
	return strncasecmp(ct, "application/json", 16) == 0 &&
	    (ct[16] == '\0' || ct[16] == ';' || ct[16] == ' ' ||
	        ct[16] == '\t');
}

static void
api_preflight(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	api_headers(req);
	/* an origin cors_origin does not name learns nothing it may do */
	if (api_cors_origin(req) != NULL) {
		evhttp_add_header(h, "Access-Control-Allow-Methods",
		    "GET, POST, PUT, DELETE, OPTIONS");
		evhttp_add_header(h, "Access-Control-Allow-Headers",
		    "Authorization, Content-Type");
		evhttp_add_header(h, "Access-Control-Max-Age", "600");
	}
	evhttp_send_reply(req, 204, "No Content", NULL);
}

static void
api_request(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	int method = evhttp_request_get_command(req);
	struct evkeyvalq query;
	struct api_req *r;
	const char *path, *qs, *ct;
	char err[200];
	size_t len;
	int status;

	path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	if (path == NULL || *path == '\0')
		path = "/";
	r = xcalloc(1, sizeof(*r));
	r->req = req;
	r->path = path;
	r->api = strncmp(path, "/api/", 5) == 0 || strcmp(path, "/api") == 0;
	api_peer(req, r);
	TAILQ_INIT(&query);
	r->query = &query;
	if (!r->api) {
		/* the dashboard's files, by the routing table's fallback */
		api_route(r, method);
		goto out;
	}
	if (method == EVHTTP_REQ_OPTIONS) {
		api_preflight(req);
		goto out;
	}
	qs = evhttp_uri_get_query(uri);
	if (qs != NULL && evhttp_parse_query_str(qs, &query) == -1) {
		api_reply_error(r, 400, "malformed query string", NULL, NULL);
		goto out;
	}
	len = evbuffer_get_length(in);
	if (len > API_BODY_MAX) {
		api_reply_error(r, 413, "request body too large", NULL, NULL);
		goto out;
	}
	ct = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Content-Type");
	if ((len > 0 ||
	        (ct != NULL && method != EVHTTP_REQ_GET &&
	            method != EVHTTP_REQ_HEAD)) &&
	    !api_is_json(ct)) {
		api_reply_error(r, 415,
		    "request body must be JSON (Content-Type: application/json)",
		    NULL, NULL);
		goto out;
	}
	if ((status = api_json_body((const char *)evbuffer_pullup(in, -1), len,
	         &r->body, err, sizeof(err))) != 0) {
		api_reply_error(r, status, err, NULL, NULL);
		goto out;
	}
	api_route(r, method);
out:
	yajl_tree_free(r->body);
	evhttp_clear_headers(&query);
	explicit_bzero(r, sizeof(*r)); /* the token and any password */
	free(r);
}

/* setup */

static void
api_tick(evutil_socket_t fd, short what, void *arg)
{
	api_routes_tick();
}

void
api_listen(void)
{
	int fds[API_LISTEN_MAX * 2], n, i;

	if ((api_http = evhttp_new(authd->d.base)) == NULL)
		fatalx("evhttp_new");
	evhttp_set_allowed_methods(api_http,
	    EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
	        EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS);
	/* bodies up to API_BODY_HARD reach us and get our JSON 413 */
	evhttp_set_max_body_size(api_http, API_BODY_HARD);
	evhttp_set_max_headers_size(api_http, API_HEADERS_MAX);
	evhttp_set_timeout(api_http, API_TIMEOUT);
	evhttp_set_default_content_type(api_http, NULL);
	evhttp_set_gencb(api_http, api_request, NULL);
	n = listen_conf(authd->d.conf, "api_listen", fds, nitems(fds));
	for (i = 0; i < n; i++)
		if (evhttp_accept_socket_with_handle(api_http, fds[i]) == NULL)
			fatalx("evhttp_accept_socket_with_handle");
}

/* After the database is open (and privileges are dropped). */
void
api_start(void)
{
	struct timeval tick = {API_TICK_S, 0};

	api_routes_start();
	api_timer = event_new(authd->d.base, -1, EV_PERSIST, api_tick, NULL);
	event_add(api_timer, &tick);
}

void
api_stop(void)
{
	if (api_timer != NULL)
		event_free(api_timer);
	api_timer = NULL;
	if (api_http != NULL)
		evhttp_free(api_http);
	api_http = NULL;
	api_routes_stop();
}
