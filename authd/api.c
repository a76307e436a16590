/*
 * The REST API's HTTP side: the listener, JSON bodies, the response shapes
 * and headers, bearer tokens, the login rate limit and the dashboard's
 * static files.  The endpoints themselves are in api_routes.c.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "authd.h"

#define API_LISTEN_MAX 8
#define API_BODY_HARD (4 * API_BODY_MAX) /* evhttp's own 413 above this */
#define API_HEADERS_MAX 16384
#define API_TIMEOUT 30 /* seconds for a whole request */
#define API_SECRET_FILE "jwt.secret"
#define API_SECRET_BYTES 32 /* random bytes; stored as 64 hex digits */
#define API_FAIL_SLOTS 1024 /* addresses the rate limit remembers */
#define API_FAIL_MAX 5 /* failed logins ... */
#define API_FAIL_WINDOW_MS (15 * 60 * 1000) /* ... per this window */
#define API_TICK_S 2
#define API_PURGE_TICKS 1800 /* purge revoked tokens hourly */

static struct evhttp *api_http;
static struct event *api_timer;
static unsigned char api_secret[512];
static size_t api_secretlen;
static unsigned api_ticks;

/* Failed logins of one address within the current window. */
static struct api_fail {
	char ip[DB_IP_SZ];
	uint64_t first_ms;
	int count;
} api_fails[API_FAIL_SLOTS];

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
	case 429:
		return "Too Many Requests";
	default:
		return "Internal Server Error";
	}
}

/* Headers every response carries, errors and files included. */
static void
api_headers(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	const char *origin = conf_str(authd->d.conf, "cors_origin");

	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	if (*origin != '\0') {
		evhttp_add_header(h, "Access-Control-Allow-Origin", origin);
		if (strcmp(origin, "*") != 0)
			evhttp_add_header(h, "Vary", "Origin");
	}
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

/* tokens */

int
api_token_issue(const struct db_user *u, char *token, int64_t *exp)
{
	struct jwt_claims c;
	unsigned char nonce[8];
	size_t i;

	memset(&c, 0, sizeof(c));
	arc4random_buf(nonce, sizeof(nonce));
	for (i = 0; i < sizeof(nonce); i++)
		snprintf(c.jti + i * 2, 3, "%02x", nonce[i]);
	c.user_id = u->id;
	strlcpy(c.username, u->username, sizeof(c.username));
	c.iat = (int64_t)time(NULL);
	c.exp = c.iat + conf_int(authd->d.conf, "jwt_ttl");
	if (exp != NULL)
		*exp = c.exp;
	return jwt_sign(api_secret, api_secretlen, &c, token, JWT_MAX);
}

int
api_authenticate(struct api_req *r, int allow_must_change)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(r->req);
	const char *auth = evhttp_find_header(h, "Authorization");
	struct jwt_claims c;
	struct db_err err;
	enum jwt_result jr;
	int64_t after;
	int revoked;

	if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0) {
		api_reply_error(r, 401, "authentication required", NULL, NULL);
		return -1;
	}
	auth += 7;
	while (*auth == ' ')
		auth++;
	if (strlcpy(r->token, auth, sizeof(r->token)) >= sizeof(r->token)) {
		api_reply_error(r, 401, "invalid token", NULL, NULL);
		return -1;
	}
	jr = jwt_verify(
	    api_secret, api_secretlen, r->token, (int64_t)time(NULL), &c);
	if (jr != JWT_OK) {
		log_debug("api: %s: %s", r->ip, jwt_strerror(jr));
		api_reply_error(r, 401,
		    jr == JWT_EEXPIRED ? "token expired" : "invalid token",
		    NULL, NULL);
		return -1;
	}
	jwt_token_id(r->token, r->token_id);
	r->token_exp = c.exp;
	if (db_token_revoked(authd->db, r->token_id, &revoked, &err) == -1 ||
	    db_user_tokens_after(authd->db, c.user_id, &after, &err) == -1 ||
	    db_user_get(authd->db, c.user_id, &r->user, &err) == -1) {
		if (err.code == DB_ENOENT)
			api_reply_error(r, 401, "invalid token", NULL, NULL);
		else
			api_reply_error(r, 500, "internal error", NULL, NULL);
		return -1;
	}
	if (revoked || c.iat < after) {
		api_reply_error(r, 401, "token revoked", NULL, NULL);
		return -1;
	}
	if (r->user.must_change_password && !allow_must_change) {
		api_reply_error(r, 403,
		    "password must be changed first "
		    "(PUT /api/auth/change-password)",
		    NULL, NULL);
		return -1;
	}
	return 0;
}

/* login rate limit */

static struct api_fail *
api_fail_find(const char *ip, uint64_t now)
{
	size_t i;

	for (i = 0; i < API_FAIL_SLOTS; i++) {
		struct api_fail *f = &api_fails[i];

		if (f->count > 0 && now - f->first_ms >= API_FAIL_WINDOW_MS)
			memset(f, 0, sizeof(*f)); /* window over */
		else if (f->count > 0 && strcmp(f->ip, ip) == 0)
			return f;
	}
	return NULL;
}

int
api_ratelimit_check(const char *ip)
{
	uint64_t now = now_ms();
	struct api_fail *f = api_fail_find(ip, now);

	if (f == NULL || f->count < API_FAIL_MAX)
		return 0;
	return (int)((f->first_ms + API_FAIL_WINDOW_MS - now + 999) / 1000);
}

void
api_ratelimit_fail(const char *ip)
{
	uint64_t now = now_ms();
	struct api_fail *f = api_fail_find(ip, now), *oldest = NULL;
	size_t i;

	if (f == NULL) {
		/* a free slot, else the oldest window: memory stays bounded */
		for (i = 0; i < API_FAIL_SLOTS; i++) {
			if (api_fails[i].count == 0) {
				f = &api_fails[i];
				break;
			}
			if (oldest == NULL ||
			    api_fails[i].first_ms < oldest->first_ms)
				oldest = &api_fails[i];
		}
		if (f == NULL)
			f = oldest;
		memset(f, 0, sizeof(*f));
		strlcpy(f->ip, ip, sizeof(f->ip));
		f->first_ms = now;
	}
	f->count++;
	if (f->count == API_FAIL_MAX)
		log_warnx("api: %d failed logins from %s; refusing it for "
		          "15 minutes",
		    f->count, ip);
}

/* static files */

/* Opens root/rel if it is a regular file inside root; -1 otherwise. */
static int
api_open_inside(const char *root, const char *rel, struct stat *sb)
{
	char path[PATH_MAX], real[PATH_MAX], realroot[PATH_MAX];
	size_t n;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, rel) >=
	        sizeof(path) ||
	    realpath(root, realroot) == NULL || realpath(path, real) == NULL)
		return -1;
	n = strlen(realroot);
	/* symlinks out of the tree are refused like ".." */
	if (strncmp(real, realroot, n) != 0 || real[n] != '/')
		return -1;
	if ((fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	if (fstat(fd, sb) == -1 || !S_ISREG(sb->st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
api_static(struct evhttp_request *req, const char *rawpath)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	const char *www = conf_str(authd->d.conf, "www_dir");
	char root[PATH_MAX], *path, *rel, *last;
	struct stat sb;
	size_t len;
	int fd = -1, vendor;

	if ((path = evhttp_uridecode(rawpath, 0, &len)) == NULL ||
	    strlen(path) != len || path[0] != '/' ||
	    strstr(path, "..") != NULL || strchr(path, '\\') != NULL) {
		free(path);
		api_send_error(req, 404, "not found", NULL, NULL);
		return;
	}
	vendor = strncmp(path, "/vendor/", 8) == 0;
	snprintf(
	    root, sizeof(root), "%s/%s", www, vendor ? "vendor" : "dashboard");
	rel = path + (vendor ? 8 : 1);
	if (*rel != '\0')
		fd = api_open_inside(root, rel, &sb);
	last = strrchr(path, '/');
	/*
	 * A single-page app owns its paths: "/", "/streams/3" and the like
	 * get index.html.  What looks like a file ("x.js") or is under
	 * /vendor/ is a 404 when missing.
	 */
	if (fd == -1 && !vendor && strchr(last, '.') == NULL) {
		rel = "index.html";
		fd = api_open_inside(root, rel, &sb);
	}
	if (fd == -1) {
		free(path);
		api_send_error(req, 404, "not found", NULL, NULL);
		return;
	}
	api_headers(req);
	evhttp_add_header(h, "Content-Type", mime_type(rel));
	evhttp_add_header(h, "Cache-Control", "no-cache");
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		char n[32];

		snprintf(n, sizeof(n), "%lld", (long long)sb.st_size);
		evhttp_add_header(h, "Content-Length", n);
		close(fd);
	} else if (sb.st_size > 0 &&
	    evbuffer_add_file(evhttp_request_get_output_buffer(req), fd, 0,
	        sb.st_size) == -1) {
		free(path);
		api_send_error(req, 500, "internal error", NULL, NULL);
		return;
	} else if (sb.st_size == 0)
		close(fd);
	free(path);
	evhttp_send_reply(req, 200, "OK", NULL);
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

static void
api_preflight(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	api_headers(req);
	evhttp_add_header(h, "Access-Control-Allow-Methods",
	    "GET, POST, PUT, DELETE, OPTIONS");
	evhttp_add_header(
	    h, "Access-Control-Allow-Headers", "Authorization, Content-Type");
	evhttp_add_header(h, "Access-Control-Max-Age", "600");
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
	const char *path, *qs;
	char err[200];
	size_t len;
	int status;

	path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	if (path == NULL || *path == '\0')
		path = "/";
	if (strncmp(path, "/api/", 5) != 0 && strcmp(path, "/api") != 0) {
		if (method == EVHTTP_REQ_GET || method == EVHTTP_REQ_HEAD)
			api_static(req, path);
		else
			api_send_error(req, 404, "not found", NULL, NULL);
		return;
	}
	if (method == EVHTTP_REQ_OPTIONS) {
		api_preflight(req);
		return;
	}
	r = xcalloc(1, sizeof(*r));
	r->req = req;
	r->path = path;
	api_peer(req, r);
	TAILQ_INIT(&query);
	r->query = &query;
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
api_secret_read(int fd, const char *path)
{
	struct stat sb;
	ssize_t n;

	if (fstat(fd, &sb) == -1)
		fatal("%s", path);
	if (!S_ISREG(sb.st_mode))
		fatalx("%s: not a regular file", path);
	if (sb.st_mode & 077)
		log_warnx("%s: readable by others; chmod 600 it", path);
	n = read(fd, api_secret, sizeof(api_secret) - 1);
	if (n == -1)
		fatal("%s", path);
	while (
	    n > 0 && (api_secret[n - 1] == '\n' || api_secret[n - 1] == '\r'))
		n--;
	if (n < JWT_SECRET_MIN)
		fatalx(
		    "%s: secret shorter than %d bytes", path, JWT_SECRET_MIN);
	api_secretlen = (size_t)n;
}

/*
 * The HMAC secret: jwt_secret from nyon.conf, else statedir/jwt.secret,
 * made once.  It is written under a temporary name and linked into place,
 * so a crash never leaves a short secret and two starts agree on one.
 */
static void
api_secret_load(void)
{
	const char *conf = conf_str(authd->d.conf, "jwt_secret");
	char path[512], tmp[600], hex[API_SECRET_BYTES * 2 + 2];
	unsigned char raw[API_SECRET_BYTES];
	size_t i;
	int fd;

	if (*conf != '\0') {
		api_secretlen =
		    strlcpy((char *)api_secret, conf, sizeof(api_secret));
		return;
	}
	conf_file(
	    authd->d.conf, "statedir", API_SECRET_FILE, path, sizeof(path));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1 &&
	    errno != ENOENT)
		fatal("%s", path);
	if (fd == -1) {
		arc4random_buf(raw, sizeof(raw));
		for (i = 0; i < sizeof(raw); i++)
			snprintf(hex + i * 2, 3, "%02x", raw[i]);
		hex[sizeof(raw) * 2] = '\n';
		explicit_bzero(raw, sizeof(raw));
		snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
		/* mkstemp: O_CREAT|O_EXCL, mode 0600 */
		if ((fd = mkstemp(tmp)) == -1)
			fatal("%s", tmp);
		if (fchmod(fd, 0600) == -1 ||
		    write(fd, hex, sizeof(raw) * 2 + 1) !=
		        (ssize_t)(sizeof(raw) * 2 + 1) ||
		    fsync(fd) == -1) {
			unlink(tmp);
			fatal("%s", tmp);
		}
		close(fd);
		explicit_bzero(hex, sizeof(hex));
		if (link(tmp, path) == -1 && errno != EEXIST) {
			unlink(tmp);
			fatal("%s", path);
		}
		unlink(tmp);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
			fatal("%s", path);
		log_info("api: generated a token secret in %s", path);
	}
	api_secret_read(fd, path);
	close(fd);
}

static void
api_purge(void)
{
	struct db_err err;
	int64_t n;

	if (db_token_purge(authd->db, (int64_t)time(NULL), &n, &err) == -1)
		log_warnx("api: purging revoked tokens: %s", err.msg);
	else if (n > 0)
		log_debug(
		    "api: purged %lld expired revoked tokens", (long long)n);
}

static void
api_tick(evutil_socket_t fd, short what, void *arg)
{
	health_tick();
	if (++api_ticks % API_PURGE_TICKS == 0)
		api_purge();
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

	api_secret_load();
	api_purge();
	health_tick();
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
	api_hooks_clear();
	explicit_bzero(api_secret, sizeof(api_secret));
	api_secretlen = 0;
}
