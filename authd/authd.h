/*
 * authd: the database (users, streams, keys, sessions, config), publish
 * authorisation for ingestd, and the operations nyonctl and the REST API
 * share.
 */
#ifndef AUTHD_H
#define AUTHD_H

#include <stdint.h>

#include "nyon.h"
#include "jwt.h"
#include "db.h"

struct authd {
	struct daemon d; /* d.conf is the configuration */
	struct db *db;
	char dbpath[512];
	/* counters for status */
	uint64_t publishes_ok, publishes_refused, revocations;
};

extern struct authd *authd;

/*
 * ops.c: every management operation, once.  Each reads its arguments from
 * a JSON object (a control message or a REST body: the same field names),
 * writes its result as one JSON value into g, and returns 0; or returns -1
 * with err naming the field and an HTTP-like code.
 */
int ops_stream_id(yajl_val args, int64_t *id, struct db_err *);
int ops_stream_list(yajl_val args, yajl_gen, struct db_err *);
int ops_stream_get(int64_t id, yajl_gen, struct db_err *);
int ops_stream_create(yajl_val args, yajl_gen, struct db_err *);
int ops_stream_update(int64_t id, yajl_val args, yajl_gen, struct db_err *);
int ops_stream_delete(int64_t id, yajl_gen, struct db_err *);
int ops_stream_set_active(int64_t id, int active, yajl_gen, struct db_err *);
int ops_stream_toggle(int64_t id, yajl_gen, struct db_err *);
int ops_stream_regen_key(int64_t id, yajl_gen, struct db_err *);
int ops_stream_urls(int64_t id, yajl_gen, struct db_err *);
int ops_session_list(yajl_val args, yajl_gen, struct db_err *);
int ops_session_get(int64_t id, yajl_gen, struct db_err *);
int ops_session_kick(int64_t id, yajl_gen, struct db_err *);
int ops_config_get(const char *key, yajl_gen, struct db_err *);
int ops_config_set(yajl_val pairs, yajl_gen, struct db_err *);
int ops_user_passwd(
    const char *username, const char *password, yajl_gen, struct db_err *);
int ops_stats(yajl_gen, struct db_err *);
int ops_server_ip(yajl_gen, struct db_err *);

/* control.c: the control socket: nyonctl's requests and ingestd's */
/* Fills d's handlers: the ops authd serves. */
void control_init(struct daemon *);
void control_peer_closed(struct ctl_peer *, void *);
/* Tells ingestd to stop a live publisher: by stream name or session id. */
void control_revoke(const char *stream, int64_t session, const char *why);
int control_ingestd_connected(void);

/*
 * api.c: the REST API and the dashboard's files over HTTP (evhttp).  Every
 * response is {"success":true,"data":...} or {"success":false,"error":...,
 * "details":[{"msg":...,"param":...}]}; the operations are ops.c's.
 */
#define API_BODY_MAX 65536 /* larger JSON bodies: 413 */
#define API_HEALTH_MS 300 /* how long to wait for ingestd and flvd */

struct evhttp_request;
struct evkeyvalq;

/* One API request as the route handlers see it. */
struct api_req {
	struct evhttp_request *req;
	const char *path; /* as sent, without the query */
	struct evkeyvalq *query;
	yajl_val body; /* the JSON object sent, or NULL */
	int64_t id; /* the route's :id */
	struct db_user user; /* who the token belongs to */
	char token[JWT_MAX];
	char token_id[JWT_ID_SZ];
	int64_t token_exp;
	char ip[DB_IP_SZ];
	int loopback; /* the peer is 127.0.0.0/8 or ::1 */
};

void api_listen(void); /* binds api_listen, before dropping privileges */
void api_start(void); /* serves, once the database is open */
void api_stop(void);
/*
 * Parses a request body: 0 and *out (NULL for an empty body) on success;
 * else the HTTP status (400 or 413) with a message in err.
 */
int api_json_body(
    const char *buf, size_t len, yajl_val *out, char *err, size_t errlen);
void api_reply_ok(struct api_req *, int status, yajl_gen data, const char *msg);
/* Sends g, a whole JSON document, with the usual headers. */
void api_reply_raw(struct api_req *, int status, yajl_gen g);
void api_reply_header(struct api_req *, const char *name, const char *value);
void api_reply_error(struct api_req *, int status, const char *msg,
    const char *param, const char *param_msg);
/* Answers with an operation's outcome: data from g, or err's. */
void api_reply_op(
    struct api_req *, int status, int rc, yajl_gen g, struct db_err *);
/*
 * Checks the bearer token: 0 with r->user filled, or -1 after answering
 * 401 (or 403 while the password must be changed, unless allowed).
 */
int api_authenticate(struct api_req *, int allow_must_change);
/* Issues a token for u and writes it into *token (JWT_MAX). */
int api_token_issue(const struct db_user *u, char *token, int64_t *exp);
/* Login failures per address: 0 if allowed, else seconds to wait. */
int api_ratelimit_check(const char *ip);
void api_ratelimit_fail(const char *ip);

/* api_routes.c: the endpoints */
void api_route(struct api_req *, int method);
/* Forgets the sessions SRS's hooks opened (authd ends them at start). */
void api_hooks_clear(void);
/* A GET query as the JSON object ops.c takes; "" keys become errors. */
yajl_val api_query_args(struct evkeyvalq *, const char *const *bools,
    const char *const *ints, const char *const *strs, struct db_err *);

/*
 * health.c: GET /api/config/health.  ingestd's and flvd's status are
 * asked for without blocking authd's loop; the reply goes out when both
 * have answered or API_HEALTH_MS has passed.
 */
void health_config(struct api_req *);
/* Samples /proc/stat so the health endpoint can give a CPU figure. */
void health_tick(void);

/* net.c */
/* The first LAN (non-loopback, up) IPv4 address, or "" */
void net_lan_ip(char *buf, size_t len);

#endif
