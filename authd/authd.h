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
	uint64_t viewer_reports; /* viewer sessions stored */
};

extern struct authd *authd;

/*
 * ops.c: every management operation, once.  Each reads its arguments from
 * a JSON object (a control message or a REST body: the same field names),
 * writes its result as one JSON value into g, and returns 0; or returns -1
 * with err naming the field and an HTTP-like code.
 */
/* Fills err (code, field, "field: msg"); -1. */
int ops_fail(struct db_err *, int code, const char *field, const char *msg);
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

/* ops_forward.c: forwarding destinations (and fwdd's question) */
int ops_forward_list(yajl_val args, yajl_gen, struct db_err *);
int ops_forward_list_stream(
    int64_t stream_id, int reveal, yajl_gen, struct db_err *);
int ops_forward_get_one(int64_t id, int reveal, yajl_gen, struct db_err *);
int ops_forward_add(yajl_val args, yajl_gen, struct db_err *);
int ops_forward_add_stream(
    int64_t stream_id, yajl_val args, yajl_gen, struct db_err *);
int ops_forward_edit(int64_t id, yajl_val args, yajl_gen, struct db_err *);
int ops_forward_rm(yajl_val args, yajl_gen, struct db_err *);
int ops_forward_rm_id(int64_t id, yajl_gen, struct db_err *);
int ops_forward_get(const char *stream, yajl_gen, struct db_err *);
/* gather.c: the other daemons' status, without waiting on them */
enum {
	GATHER_INGESTD,
	GATHER_FLVD,
	GATHER_RTCD,
	GATHER_RECD,
	GATHER_FWDD,
	GATHER_N
};
extern const char *const gather_daemons[GATHER_N];
/* status[i] is daemon i's status reply, NULL if it did not answer. */
typedef void (*gather_cb)(yajl_val status[GATHER_N], void *arg);
/* Asks them all; cb runs once, from the loop, within API_HEALTH_MS. */
void gather_start(gather_cb, void *arg);
struct api_req;
/*
 * For an HTTP request: reply runs with a request to answer (only .req is
 * set), unless its client has gone by then.
 */
typedef void (*gather_reply_fn)(struct api_req *, yajl_val status[GATHER_N]);
void gather_reply(struct api_req *, gather_reply_fn);

/* viewers.c: viewer sessions flvd and rtcd report (lib/vreport.c) */
#define VIEWERS_BATCH_MAX 1024 /* sessions in one report */
#define VIEWERS_SOURCE_SZ 64
/* Checks a report's sessions into out (max of them); -1 with why. */
int viewers_parse(yajl_val sessions, struct db_viewer *out, size_t max,
    size_t *n, char *why, size_t whylen);
void viewers_report(struct ctl_peer *, struct ctl_msg *, void *);
void viewers_peer_closed(struct ctl_peer *);
/* Keeps the table within viewer_retention_days and _rows. */
void viewers_prune(void);
int ops_viewer_list(yajl_val args, yajl_gen, struct db_err *);
int ops_viewer_stats(yajl_val args, yajl_gen, struct db_err *);

/* history.c: the time series sampler, every DB_HIST_FINE seconds */
void history_start(void);
void history_stop(void);
/* args: range ("1h", "30m", "7d"; 1h if absent), stream */
int ops_history(yajl_val args, yajl_gen, struct db_err *);

/* alerts.c: every alert now, for the dashboard; the board's, logged */
void alerts_update(yajl_val status[GATHER_N]);
void alerts_json(yajl_gen, yajl_val status[GATHER_N]);

/* control.c: the control socket: nyonctl's requests and ingestd's */
/* Fills d's handlers: the ops authd serves. */
void control_init(struct daemon *);
void control_peer_closed(struct ctl_peer *, void *);
/* Tells ingestd to stop a live publisher: by stream name or session id. */
void control_revoke(const char *stream, int64_t session, const char *why);
/* Tells fwdd that a live stream's destinations changed. */
void control_forward_changed(const char *stream);
int control_ingestd_connected(void);

/* recdc.c: telling recd, with nobody waiting for the answer */
/* A live stream's record setting changed: recd starts or stops now. */
void recdc_record_set(const char *stream, int record);

/*
 * api.c: the REST API and the dashboard's files over HTTP (evhttp).  Every
 * response is {"success":true,"data":...} or {"success":false,"error":...,
 * "details":[{"msg":...,"param":...}]}; the operations are ops.c's.
 */
#define API_BODY_MAX 65536 /* larger JSON bodies: 413 */
#define API_HEALTH_MS 300 /* how long to wait for ingestd and flvd */
#define API_TICK_S 2 /* seconds between api_routes_tick calls */

struct evhttp_request;
struct evkeyvalq;

/* One API request as the route handlers see it. */
struct api_req {
	struct evhttp_request *req;
	const char *path; /* as sent, without the query */
	int api; /* under /api, else a dashboard file */
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
/* The headers every response carries, for a handler that sends its own. */
void api_reply_headers(struct api_req *);
void api_reply_ok(struct api_req *, int status, yajl_gen data, const char *msg);
/* Sends g, a whole JSON document, with the usual headers. */
void api_reply_raw(struct api_req *, int status, yajl_gen g);
void api_reply_header(struct api_req *, const char *name, const char *value);
void api_reply_error(struct api_req *, int status, const char *msg,
    const char *param, const char *param_msg);
/* Answers with an operation's outcome: data from g, or err's. */
void api_reply_op(
    struct api_req *, int status, int rc, yajl_gen g, struct db_err *);
/* Runs an operation's output back through yajl, for reshaping it. */
yajl_val api_reparse(yajl_gen g);
/* A required string field of the body; NULL after answering 400. */
const char *api_body_str(struct api_req *, const char *key);
/* Answers status with "param: m", naming param in details. */
void api_fail_with(
    struct api_req *, int status, const char *param, const char *m);
/* A GET query as the JSON object ops.c takes; "" keys become errors. */
yajl_val api_query_args(struct evkeyvalq *, const char *const *bools,
    const char *const *ints, const char *const *strs, struct db_err *);

/* A handler that is one operation and one reply. */
#define API_OP(name, status, call) \
	void name(struct api_req *r) \
	{ \
		struct db_err err = {0}; \
		yajl_gen g = json_gen(); \
		api_reply_op(r, status, call, g, &err); \
		yajl_gen_free(g); \
	}

/* api_routes.c: the routing table, the one way from api.c up */
void api_route(struct api_req *, int method);
void api_routes_start(void);
void api_routes_tick(void);
void api_routes_stop(void);

/* api_auth.c: API tokens */
void api_auth_start(void); /* loads (or makes) the secret */
void api_auth_tick(void);
void api_auth_stop(void);
/*
 * Checks the bearer token: 0 with r->user filled, or -1 after answering
 * 401 (or 403 while the password must be changed, unless allowed).
 */
int api_authenticate(struct api_req *, int allow_must_change);
/*
 * HMAC-SHA256 of msg under the token secret, in hex: signed URLs a
 * <video> element can load without an Authorization header.
 */
void api_auth_sign(const char *msg, char hex[2 * SHA256_LEN + 1]);
/* Issues a token for u and writes it into *token (JWT_MAX). */
int api_token_issue(const struct db_user *u, char *token, int64_t *exp);

/*
 * api_limit.c: failure limits per address (IPv6: per /64), per account,
 * per hook caller
 */
#define API_LIMIT_WINDOW_MS (15 * 60 * 1000)
#define API_LIMIT_SUBJECT_SZ 72 /* "2001:db8:1:2::/64" or a user name */
enum api_limit_kind {
	API_LIMIT_LOGIN, /* failed logins per address */
	API_LIMIT_ACCOUNT, /* failed logins per account, from anywhere */
	API_LIMIT_HOOK, /* unknown keys per publisher address (SRS hooks) */
	API_LIMIT_HOOK_CALLER, /* unknown keys per address calling a hook */
	API_LIMIT_NKINDS
};
/* What an address counts as: IPv4 as it is, IPv6 by its /64. */
void api_limit_subject(const char *ip, char *out, size_t len);
/* 0 if subject may try now, else how many seconds it must wait. */
int api_limit_wait(enum api_limit_kind, const char *subject, uint64_t now);
/* Counts a failure at now (ms); 1 if that locked the subject. */
int api_limit_fail(enum api_limit_kind, const char *subject, uint64_t now);
/* Forgets a subject's failures: an account's password was set anew. */
void api_limit_forget(enum api_limit_kind, const char *subject);
void api_limit_clear(void);

/* api_files.c: the dashboard's files */
void api_files_get(struct api_req *);

/* api_login.c: /api/auth */
void api_login(struct api_req *);
void api_login_logout(struct api_req *);
void api_login_me(struct api_req *);
void api_login_change_password(struct api_req *);

/* api_stream.c: /api/streams */
void api_stream_list(struct api_req *);
void api_stream_get(struct api_req *);
void api_stream_create(struct api_req *);
void api_stream_update(struct api_req *);
void api_stream_delete(struct api_req *);
void api_stream_regen(struct api_req *);
void api_stream_toggle(struct api_req *);
void api_stream_urls(struct api_req *);

/* api_session.c: /api/sessions */
void api_session_list(struct api_req *);
void api_session_get(struct api_req *);
void api_session_kick(struct api_req *);

/* api_config.c: /api/config and /api/network */
void api_config_get(struct api_req *);
void api_config_set(struct api_req *);
void api_config_stats(struct api_req *);
void api_network_server_ip(struct api_req *);
void api_network_get(struct api_req *);
void api_network_set(struct api_req *);

/* api_health.c: /api/health and /api/config/health */
void api_health(struct api_req *);
/* asks ingestd and flvd without blocking; answers within API_HEALTH_MS */
void api_health_config(struct api_req *);
/* Samples /proc/stat so the health endpoint can give a CPU figure. */
void api_health_tick(void);

/* api_metrics.c: GET /metrics for Prometheus */
void api_metrics(struct api_req *);
/*
 * metrics_access (mode) for a peer, given its Authorization header (may be
 * NULL) and metrics_token: read, refused, or read if it is an API token.
 */
enum { API_METRICS_OK, API_METRICS_REFUSED, API_METRICS_JWT };
int api_metrics_access(
    const char *mode, int loopback, const char *auth, const char *token);

/* api_viewers.c: /api/viewers, /api/viewers/stats, /api/history */
void api_viewers_list(struct api_req *);
void api_viewers_stats(struct api_req *);
void api_viewers_history(struct api_req *);

/* api_recording.c: /api/recordings, asked of recd */
void api_recording_list(struct api_req *);
void api_recording_file(struct api_req *);
void api_recording_thumbnail(struct api_req *);
void api_recording_update(struct api_req *);
void api_recording_delete(struct api_req *);

/* api_forward.c: /api/streams/:id/destinations, /api/destinations */
void api_forward_list(struct api_req *);
void api_forward_stream_list(struct api_req *);
void api_forward_create(struct api_req *);
void api_forward_get(struct api_req *);
void api_forward_update(struct api_req *);
void api_forward_delete(struct api_req *);

/* api_hook.c: SRS-compatible hooks */
void api_hook_publish(struct api_req *);
void api_hook_unpublish(struct api_req *);
void api_hook_hls(struct api_req *);
/* Ends the sessions SRS has not spoken of for hook_session_ttl seconds. */
void api_hook_expire(uint64_t now);
/* Forgets the sessions SRS's hooks opened (authd ends them at start). */
void api_hook_clear(void);

/* net.c */
/* The first LAN (non-loopback, up) IPv4 address, or "" */
void net_lan_ip(char *buf, size_t len);

#endif
