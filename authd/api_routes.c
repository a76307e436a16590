/*
 * The REST API's endpoints, one table.  Each handler turns a request into
 * one of ops.c's operations, the same ones nyonctl's control requests use,
 * so both refuse the same input with the same words.
 */
#include <sys/sysinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "authd.h"

#define R_PUBLIC 0x01 /* no token needed */
#define R_FIRST 0x02 /* allowed while the password must be changed */
#define API_HOOKS_MAX 128 /* SRS publishers at once */

struct api_route {
	int method;
	const char *path; /* ":id" matches one segment, a positive integer */
	int flags;
	void (*fn)(struct api_req *);
};

/* SRS client ids and the sessions their on_publish opened. */
static struct api_hook {
	char client[DB_CLIENT_SZ];
	int64_t session;
} api_hooks[API_HOOKS_MAX];

/* CPU use between the last two samples of /proc/stat; -1 until known. */

/* Runs an operation's output back through yajl, for reshaping it. */
static yajl_val
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
static const char *
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

static void
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

/* auth */

static void
api_send_token(struct api_req *r, int status, const struct db_user *u,
    const char *token, const char *msg)
{
	yajl_gen g = json_gen();
	int i;

	/* token and user at the top, as the issue asks, and in data */
	yajl_gen_map_open(g);
	json_bool(g, "success", 1);
	for (i = 0; i < 2; i++) {
		if (i == 1) {
			json_key(g, "data");
			yajl_gen_map_open(g);
		}
		json_str(g, "token", token);
		json_key(g, "user");
		db_user_json(g, u);
		if (i == 1)
			yajl_gen_map_close(g);
	}
	if (msg != NULL)
		json_str(g, "message", msg);
	yajl_gen_map_close(g);
	api_reply_raw(r, status, g);
	yajl_gen_free(g);
}

/* 0 if the address may try a password now, else answers 429. */
static int
api_limited(struct api_req *r)
{
	char secs[16];
	int wait;

	if ((wait = api_ratelimit_check(r->ip)) == 0)
		return 0;
	snprintf(secs, sizeof(secs), "%d", wait);
	api_reply_header(r, "Retry-After", secs);
	api_reply_error(
	    r, 429, "too many failed logins; try again later", NULL, NULL);
	return -1;
}

static void
api_login(struct api_req *r)
{
	const char *user, *pass;
	struct db_user u;
	struct db_err err;
	char token[JWT_MAX];

	if ((user = api_body_str(r, "username")) == NULL ||
	    (pass = api_body_str(r, "password")) == NULL || api_limited(r))
		return;
	if (db_user_verify(authd->db, user, pass, &u, &err) == -1) {
		if (err.code != DB_EAUTH) {
			api_reply_error(r, 500, "internal error", NULL, NULL);
			return;
		}
		api_ratelimit_fail(r->ip);
		log_info("api: failed login from %s", r->ip);
		/* one message for an unknown user and a wrong password */
		api_reply_error(
		    r, 401, "invalid username or password", NULL, NULL);
		return;
	}
	if (api_token_issue(&u, token, NULL) == -1) {
		api_reply_error(r, 500, "internal error", NULL, NULL);
		return;
	}
	log_info("api: %s logged in from %s", u.username, r->ip);
	api_send_token(r, 200, &u, token, NULL);
	explicit_bzero(token, sizeof(token));
}

static void
api_logout(struct api_req *r)
{
	struct db_err err;

	if (db_token_revoke(authd->db, r->token_id, r->token_exp, &err) == -1) {
		api_reply_error(r, 500, "internal error", NULL, NULL);
		return;
	}
	log_info("api: %s logged out", r->user.username);
	api_reply_ok(r, 200, NULL, "logged out");
}

static void
api_me(struct api_req *r)
{
	yajl_gen g = json_gen();

	db_user_json(g, &r->user);
	api_reply_ok(r, 200, g, NULL);
	yajl_gen_free(g);
}

/*
 * A new password ends every other token of the user (tokens_after) and
 * this one; the reply carries a fresh token to go on with.
 */
static void
api_change_password(struct api_req *r)
{
	const char *cur, *pw;
	struct db_user u;
	struct db_err err = {0};
	char token[JWT_MAX];
	yajl_gen g;
	int rc;

	if ((cur = api_body_str(r, "current_password")) == NULL ||
	    (pw = api_body_str(r, "new_password")) == NULL || api_limited(r))
		return;
	if (db_user_verify(authd->db, r->user.username, cur, &u, &err) == -1) {
		if (err.code != DB_EAUTH) {
			api_reply_error(r, 500, "internal error", NULL, NULL);
			return;
		}
		api_ratelimit_fail(r->ip);
		api_fail_with(r, 400, "current_password", "is incorrect");
		return;
	}
	if (strcmp(cur, pw) == 0) {
		api_fail_with(r, 400, "new_password",
		    "must differ from the current password");
		return;
	}
	g = json_gen();
	rc = ops_user_passwd(r->user.username, pw, g, &err);
	yajl_gen_free(g);
	if (rc == -1) {
		if (strcmp(err.field, "password") == 0) {
			strlcpy(err.field, "new_password", sizeof(err.field));
			snprintf(err.msg, sizeof(err.msg),
			    "new_password: must be %d to %d characters",
			    DB_PASS_MIN, DB_PASS_MAX);
		}
		api_reply_op(r, 200, -1, NULL, &err);
		return;
	}
	if (db_user_set_tokens_after(
	        authd->db, u.id, (int64_t)time(NULL), &err) == -1 ||
	    db_token_revoke(authd->db, r->token_id, r->token_exp, &err) == -1 ||
	    db_user_get(authd->db, u.id, &u, &err) == -1 ||
	    api_token_issue(&u, token, NULL) == -1) {
		api_reply_error(r, 500, "internal error", NULL, NULL);
		return;
	}
	api_send_token(r, 200, &u, token, "password changed");
	explicit_bzero(token, sizeof(token));
}

/* streams */

static void
api_stream_list(struct api_req *r)
{
	static const char *const bools[] = {"is_active", NULL};
	static const char *const strs[] = {"protocol", NULL};
	struct db_err err;
	yajl_val args;
	yajl_gen g;

	if ((args = api_query_args(r->query, bools, NULL, strs, &err)) ==
	    NULL) {
		api_reply_op(r, 200, -1, NULL, &err);
		return;
	}
	g = json_gen();
	api_reply_op(r, 200, ops_stream_list(args, g, &err), g, &err);
	yajl_gen_free(g);
	yajl_tree_free(args);
}

/* The handlers below are all "one operation, one reply". */
#define API_OP(name, status, call) \
	static void name(struct api_req *r) \
	{ \
		struct db_err err = {0}; \
		yajl_gen g = json_gen(); \
		api_reply_op(r, status, call, g, &err); \
		yajl_gen_free(g); \
	}

API_OP(api_stream_get, 200, ops_stream_get(r->id, g, &err))
API_OP(api_stream_create, 201, ops_stream_create(r->body, g, &err))
API_OP(api_stream_update, 200, ops_stream_update(r->id, r->body, g, &err))
API_OP(api_stream_delete, 200, ops_stream_delete(r->id, g, &err))
API_OP(api_stream_regen, 200, ops_stream_regen_key(r->id, g, &err))
API_OP(api_stream_toggle, 200, ops_stream_toggle(r->id, g, &err))
API_OP(api_stream_urls, 200, ops_stream_urls(r->id, g, &err))
API_OP(api_session_get, 200, ops_session_get(r->id, g, &err))
API_OP(api_session_kick, 200, ops_session_kick(r->id, g, &err))
API_OP(api_config_get, 200, ops_config_get(NULL, g, &err))
API_OP(api_config_set, 200, ops_config_set(r->body, g, &err))
API_OP(api_server_ip, 200, ops_server_ip(g, &err))

/* sessions */

static void
api_session_list(struct api_req *r)
{
	static const char *const bools[] = {"active", NULL};
	static const char *const ints[] = {"limit", NULL};
	struct db_err err;
	yajl_val args;
	yajl_gen g;

	if ((args = api_query_args(r->query, bools, ints, NULL, &err)) ==
	    NULL) {
		api_reply_op(r, 200, -1, NULL, &err);
		return;
	}
	g = json_gen();
	api_reply_op(r, 200, ops_session_list(args, g, &err), g, &err);
	yajl_gen_free(g);
	yajl_tree_free(args);
}

/* stats, with the names the dashboard knows */

static void
api_stats(struct api_req *r)
{
	struct db_err err = {0};
	yajl_gen g = json_gen(), out;
	long long v;
	yajl_val st;

	if (ops_stats(g, &err) == -1) {
		api_reply_op(r, 200, -1, NULL, &err);
		yajl_gen_free(g);
		return;
	}
	st = api_reparse(g);
	yajl_gen_free(g);
	out = json_gen();
	yajl_gen_map_open(out);
	json_int(out, "total_streams",
	    json_get_int(st, "streams_total", &v) == 0 ? v : 0);
	json_int(out, "active_streams",
	    json_get_int(st, "streams_active", &v) == 0 ? v : 0);
	json_int(out, "live_streams",
	    json_get_int(st, "streams_live", &v) == 0 ? v : 0);
	json_int(out, "sessions_today",
	    json_get_int(st, "sessions_today", &v) == 0 ? v : 0);
	yajl_gen_map_close(out);
	yajl_tree_free(st);
	api_reply_ok(r, 200, out, NULL);
	yajl_gen_free(out);
}

/* network settings: a view of some config keys */

static const char *const api_net_keys[] = {
    "public_ip", "domain", "rtmp_port", "srt_port", "http_port", "api_port"};

static void
api_net_get(struct api_req *r)
{
	struct db_err err = {0};
	yajl_gen g = json_gen(), out;
	yajl_val list, item;
	const char *key, *val;
	size_t i, j;

	if (ops_config_get(NULL, g, &err) == -1) {
		api_reply_op(r, 200, -1, NULL, &err);
		yajl_gen_free(g);
		return;
	}
	list = api_reparse(g);
	yajl_gen_free(g);
	out = json_gen();
	yajl_gen_map_open(out);
	for (j = 0; j < nitems(api_net_keys); j++) {
		for (i = 0; list != NULL && YAJL_IS_ARRAY(list) &&
		     i < list->u.array.len;
		     i++) {
			item = list->u.array.values[i];
			key = json_get_str(item, "key");
			val = json_get_str(item, "value");
			if (key == NULL || val == NULL ||
			    strcmp(key, api_net_keys[j]) != 0)
				continue;
			if (strstr(key, "_port") != NULL)
				json_int(out, key, strtoll(val, NULL, 10));
			else
				json_str(out, key, val);
		}
	}
	yajl_gen_map_close(out);
	yajl_tree_free(list);
	api_reply_ok(r, 200, out, NULL);
	yajl_gen_free(out);
}

static void
api_net_set(struct api_req *r)
{
	struct db_err err = {0};
	yajl_gen g = json_gen(), out;
	yajl_val pairs;
	size_t i, j;
	int rc;

	/* the network keys only; others are ignored like unknown fields */
	yajl_gen_map_open(g);
	for (i = 0; r->body != NULL && i < r->body->u.object.len; i++)
		for (j = 0; j < nitems(api_net_keys); j++)
			if (strcmp(r->body->u.object.keys[i],
			        api_net_keys[j]) == 0) {
				yajl_val v = r->body->u.object.values[i];

				if (YAJL_IS_INTEGER(v))
					json_int(g, api_net_keys[j],
					    YAJL_GET_INTEGER(v));
				else if (YAJL_IS_STRING(v))
					json_str(
					    g, api_net_keys[j], v->u.string);
				else
					json_bool(g, api_net_keys[j], 0);
			}
	yajl_gen_map_close(g);
	pairs = api_reparse(g);
	yajl_gen_free(g);
	out = json_gen();
	rc = ops_config_set(pairs, out, &err);
	yajl_gen_free(out);
	yajl_tree_free(pairs);
	if (rc == -1)
		api_reply_op(r, 200, -1, NULL, &err);
	else
		api_net_get(r);
}

/* For init systems and load balancers: no token, no secrets. */
static void
api_health(struct api_req *r)
{
	struct db_stats st;
	yajl_gen g;

	if (db_stats(authd->db, &st, NULL) == -1) {
		api_reply_error(r, 500, "database unavailable", NULL, NULL);
		return;
	}
	g = json_gen();
	yajl_gen_map_open(g);
	json_str(g, "status", "ok");
	json_str(g, "version", NYON_VERSION);
	json_int(g, "uptime", time(NULL) - authd->d.started);
	json_bool(g, "ingestd_connected", control_ingestd_connected());
	yajl_gen_map_close(g);
	api_reply_ok(r, 200, g, NULL);
	yajl_gen_free(g);
}

/* SRS-compatible hooks: {"code":0} allows, any other code refuses. */

void
api_hooks_clear(void)
{
	memset(api_hooks, 0, sizeof(api_hooks));
}

static void
api_hook_reply(struct api_req *r, int code, const char *msg)
{
	yajl_gen g = json_gen();

	yajl_gen_map_open(g);
	json_int(g, "code", code);
	if (msg != NULL)
		json_str(g, "msg", msg);
	yajl_gen_map_close(g);
	/* SRS wants HTTP 200 and reads the verdict from "code" */
	api_reply_raw(r, 200, g);
	yajl_gen_free(g);
}

/* SRS 4+ sends client_id as a string, SRS 3 as a number. */
static int
api_hook_client(yajl_val body, char client[DB_CLIENT_SZ])
{
	yajl_val v = json_get(body, "client_id");

	if (v != NULL && YAJL_IS_STRING(v) && *v->u.string != '\0' &&
	    strlen(v->u.string) < DB_CLIENT_SZ) {
		strlcpy(client, v->u.string, DB_CLIENT_SZ);
		return 0;
	}
	if (v != NULL && YAJL_IS_INTEGER(v)) {
		snprintf(client, DB_CLIENT_SZ, "%lld", YAJL_GET_INTEGER(v));
		return 0;
	}
	return -1;
}

static struct api_hook *
api_hook_find(const char *client)
{
	size_t i;

	for (i = 0; i < API_HOOKS_MAX; i++)
		if (api_hooks[i].session != 0 &&
		    strcmp(api_hooks[i].client, client) == 0)
			return &api_hooks[i];
	return NULL;
}

/* 0 if hooks are served to this peer, else answers 404 or 403. */
static int
api_hooks_allowed(struct api_req *r)
{
	const char *mode = conf_str(authd->d.conf, "hooks");

	if (strcmp(mode, "off") == 0) {
		api_reply_error(r, 404, "not found", NULL, NULL);
		return -1;
	}
	if (strcmp(mode, "loopback") == 0 && !r->loopback) {
		api_reply_error(
		    r, 403, "hooks are served to loopback only", NULL, NULL);
		return -1;
	}
	return 0;
}

static void
api_hook_publish(struct api_req *r)
{
	char client[DB_CLIENT_SZ];
	struct db_publish pub;
	struct db_err err = {0};
	struct api_hook *h;
	const char *key = json_get_str(r->body, "stream");
	const char *ip = json_get_str(r->body, "ip");
	size_t i;

	if (api_hooks_allowed(r) == -1)
		return;
	if (key == NULL || api_hook_client(r->body, client) == -1) {
		api_hook_reply(r, 400, "stream and client_id required");
		return;
	}
	if (ip != NULL && strlen(ip) >= DB_IP_SZ)
		ip = NULL;
	/* a client publishing again ends its old session first */
	if ((h = api_hook_find(client)) != NULL) {
		db_session_end(authd->db, h->session, NULL);
		memset(h, 0, sizeof(*h));
	}
	for (i = 0; i < API_HOOKS_MAX; i++)
		if (api_hooks[i].session == 0)
			break;
	if (i == API_HOOKS_MAX) {
		api_hook_reply(r, 503, "too many hook publishers");
		return;
	}
	if (db_publish_check(authd->db, key, "rtmp", ip != NULL ? ip : r->ip,
	        client, &pub, &err) == -1) {
		authd->publishes_refused++;
		log_info("hook: publish refused (client %s from %s): %s",
		    client, ip != NULL ? ip : r->ip, err.msg);
		api_hook_reply(r, err.code, err.msg);
		return;
	}
	authd->publishes_ok++;
	strlcpy(api_hooks[i].client, client, sizeof(api_hooks[i].client));
	api_hooks[i].session = pub.session_id;
	log_info("hook: publish allowed: stream %s, session %lld (client %s)",
	    pub.stream_name, (long long)pub.session_id, client);
	api_hook_reply(r, 0, NULL);
}

static void
api_hook_unpublish(struct api_req *r)
{
	char client[DB_CLIENT_SZ];
	struct api_hook *h;

	if (api_hooks_allowed(r) == -1)
		return;
	if (api_hook_client(r->body, client) == 0 &&
	    (h = api_hook_find(client)) != NULL) {
		if (db_session_end(authd->db, h->session, NULL) == 0)
			log_info(
			    "hook: session %lld ended", (long long)h->session);
		memset(h, 0, sizeof(*h));
	}
	api_hook_reply(r, 0, NULL);
}

/* the table */

#define GET EVHTTP_REQ_GET
#define POST EVHTTP_REQ_POST
#define PUT EVHTTP_REQ_PUT
#define DEL EVHTTP_REQ_DELETE

static const struct api_route api_routes[] = {
    {GET, "/api/health", R_PUBLIC, api_health},
    {POST, "/api/auth/login", R_PUBLIC, api_login},
    {POST, "/api/auth/logout", R_FIRST, api_logout},
    {PUT, "/api/auth/change-password", R_FIRST, api_change_password},
    {GET, "/api/auth/me", R_FIRST, api_me},
    {GET, "/api/streams", 0, api_stream_list},
    {POST, "/api/streams", 0, api_stream_create},
    {GET, "/api/streams/:id", 0, api_stream_get},
    {PUT, "/api/streams/:id", 0, api_stream_update},
    {DEL, "/api/streams/:id", 0, api_stream_delete},
    {POST, "/api/streams/:id/regenerate-key", 0, api_stream_regen},
    {POST, "/api/streams/:id/toggle", 0, api_stream_toggle},
    {GET, "/api/streams/:id/urls", 0, api_stream_urls},
    {GET, "/api/sessions", 0, api_session_list},
    {GET, "/api/sessions/:id", 0, api_session_get},
    {DEL, "/api/sessions/:id", 0, api_session_kick},
    {GET, "/api/config", 0, api_config_get},
    {PUT, "/api/config", 0, api_config_set},
    {GET, "/api/config/health", 0, health_config},
    {GET, "/api/config/stats", 0, api_stats},
    {GET, "/api/network/server-ip", 0, api_server_ip},
    {GET, "/api/network/config", 0, api_net_get},
    {PUT, "/api/network/config", 0, api_net_set},
    {POST, "/api/hooks/on_publish", R_PUBLIC, api_hook_publish},
    {POST, "/api/hooks/on_unpublish", R_PUBLIC, api_hook_unpublish},
};

/* Matches path against pattern; *idseg receives the ":id" segment. */
static int
api_match(
    const char *pattern, const char *path, const char **idseg, size_t *idlen)
{
	size_t n;

	*idseg = NULL;
	while (*pattern != '\0') {
		if (strncmp(pattern, ":id", 3) == 0) {
			n = strcspn(path, "/");
			if (n == 0)
				return 0;
			*idseg = path;
			*idlen = n;
			path += n;
			pattern += 3;
			continue;
		}
		if (*pattern++ != *path++)
			return 0;
	}
	/* one trailing slash is forgiven */
	return *path == '\0' || strcmp(path, "/") == 0;
}

void
api_route(struct api_req *r, int method)
{
	const struct api_route *rt;
	const char *seg, *errstr;
	char idbuf[24];
	size_t i, len;

	if (method == EVHTTP_REQ_HEAD)
		method = EVHTTP_REQ_GET;
	for (i = 0; i < nitems(api_routes); i++) {
		rt = &api_routes[i];
		if (rt->method != method ||
		    !api_match(rt->path, r->path, &seg, &len))
			continue;
		if (!(rt->flags & R_PUBLIC) &&
		    api_authenticate(r, rt->flags & R_FIRST) == -1)
			return;
		if (seg != NULL) {
			if (len >= sizeof(idbuf))
				len = sizeof(idbuf) - 1;
			memcpy(idbuf, seg, len);
			idbuf[len] = '\0';
			r->id = strtonum(idbuf, 1, INT64_MAX, &errstr);
			if (errstr != NULL) {
				api_fail_with(
				    r, 400, "id", "must be a positive integer");
				return;
			}
		}
		rt->fn(r);
		return;
	}
	api_reply_error(r, 404, "not found", NULL, NULL);
}
