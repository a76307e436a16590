/*
 * authd's store: users, streams, sessions and config in one SQLite file.
 * Every function returns 0 on success or -1 with *err filled (err may be
 * NULL); the only I/O is SQLite's.  Shared by the control-socket handlers
 * and the REST API, so both refuse the same input with the same message.
 */
#ifndef AUTHD_DB_H
#define AUTHD_DB_H

#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>

#include "nyon.h"

/* db_err.code: HTTP-like so the REST API can use it as the status. */
#define DB_EINVAL 400 /* bad value; field names it */
#define DB_EAUTH 401 /* wrong username or password */
#define DB_EPERM 403 /* publish refused; msg is the reason */
#define DB_ENOENT 404
#define DB_EEXIST 409 /* unique name/key/username taken */
#define DB_EIO 500 /* SQLite failed; details are logged */

struct db_err {
	int code;
	char field[32]; /* "name", "stream_key", ...; "" if none */
	char msg[256]; /* "name: must be 3 to 100 characters" */
};

/* Limits; the *_SZ sizes hold the longest valid value and a NUL. */
/* stream names and keys: lib/names.c's rules */
#define DB_NAME_MIN STREAM_NAME_MIN /* characters */
#define DB_NAME_MAX STREAM_NAME_MAX
#define DB_NAME_SZ STREAM_NAME_SZ /* UTF-8 */
#define DB_KEY_MIN STREAM_KEY_MIN
#define DB_KEY_MAX STREAM_KEY_MAX
#define DB_KEY_SZ STREAM_KEY_SZ
#define DB_DESC_MAX 500 /* characters */
#define DB_DESC_SZ (DB_DESC_MAX * 4 + 1)
#define DB_BITRATE_MIN 100 /* kbit/s */
#define DB_BITRATE_MAX 50000
#define DB_BITRATE_DEF 5000
#define DB_USER_MIN 3
#define DB_USER_MAX 64
#define DB_USER_SZ (DB_USER_MAX + 1)
#define DB_EMAIL_SZ 255
#define DB_PASS_MIN 8
#define DB_PASS_MAX 128
#define DB_PASS_GEN 16 /* length of a generated admin password */
#define DB_CLIENT_SZ 64 /* sessions.client_id */
#define DB_IP_SZ 46 /* INET6_ADDRSTRLEN */
#define DB_PROTO_SZ 8 /* "rtmp", "srt", "both" */
#define DB_TIME_SZ 24 /* "2024-05-01T12:00:00Z" */
#define DB_REASON_SZ 200 /* sessions.end_reason, longer ones are cut */
#define DB_CONF_KEY_SZ 32
#define DB_CONF_VAL_SZ 256
#define DB_CONF_DESC_SZ 256
#define DB_BUSY_MS 2000 /* busy_timeout: bounded, authd's loop waits */

struct db;

/* What the first open did, so authd can print a generated password once. */
struct db_open_info {
	int admin_created; /* the users table was empty: "admin" added */
	int generated; /* ... with this generated password (else env) */
	char password[DB_PASS_GEN + 1];
};

struct db_user {
	int64_t id;
	char username[DB_USER_SZ];
	char email[DB_EMAIL_SZ]; /* "" if none */
	int must_change_password;
	char created_at[DB_TIME_SZ];
	/* tokens of an older generation are void (migration 3) */
	int64_t token_gen;
};

struct db_stream {
	int64_t id;
	char name[DB_NAME_SZ];
	char stream_key[DB_KEY_SZ];
	char description[DB_DESC_SZ]; /* "" if none */
	char protocol[DB_PROTO_SZ]; /* "rtmp", "srt" or "both" */
	int is_active;
	int max_bitrate; /* kbit/s */
	int record; /* 1, 0, or -1: nyon.conf's `record` (migration 4) */
	char created_at[DB_TIME_SZ];
	char updated_at[DB_TIME_SZ];
};
/* nyon.conf's `record`, for the streams that follow it (authd sets it). */
extern int db_record_default;

/*
 * Fields for db_stream_create and db_stream_update: only those whose
 * DB_SET_* bit is in set are used.  On create, name is required and the
 * others default (generated key, no description, "both", active, 5000).
 * A set key of NULL generates one; a set description of NULL or "" clears.
 */
#define DB_SET_NAME 0x01
#define DB_SET_KEY 0x02
#define DB_SET_DESC 0x04
#define DB_SET_PROTOCOL 0x08
#define DB_SET_ACTIVE 0x10
#define DB_SET_BITRATE 0x20
#define DB_SET_RECORD 0x40
struct db_stream_set {
	unsigned set;
	const char *name;
	const char *stream_key;
	const char *description;
	const char *protocol;
	int is_active;
	int max_bitrate;
	int record; /* 1, 0, -1 for the default */
};

struct db_session {
	int64_t id;
	int64_t stream_id;
	char stream_name[DB_NAME_SZ];
	char client_id[DB_CLIENT_SZ];
	char ip_address[DB_IP_SZ];
	char protocol[DB_PROTO_SZ]; /* what was used: "rtmp" or "srt" */
	char started_at[DB_TIME_SZ];
	char ended_at[DB_TIME_SZ]; /* "" while open */
	char end_reason[DB_REASON_SZ]; /* "" if none was given */
};

/* An allowed publish: the session opened for it and the stream's limits. */
struct db_publish {
	int64_t stream_id;
	int64_t session_id;
	char stream_name[DB_NAME_SZ];
	int max_bitrate;
	int record; /* the stream's setting: 1, 0, -1 for the default */
};

/* A forwarding destination (migration 6): url holds its key, a secret. */
#define DB_DEST_MAX 10 /* destinations per stream */
struct db_dest {
	int64_t id;
	int64_t stream_id;
	char stream_name[DB_NAME_SZ];
	char url[DESTURL_SZ];
	int is_enabled;
	int tls_verify; /* rtmps: check the certificate (default) */
	char created_at[DB_TIME_SZ];
	char updated_at[DB_TIME_SZ];
};
#define DB_DEST_SET_URL 0x01
#define DB_DEST_SET_ENABLED 0x02
#define DB_DEST_SET_VERIFY 0x04
struct db_dest_set {
	unsigned set;
	const char *url;
	int is_enabled;
	int tls_verify;
};

struct db_config {
	char key[DB_CONF_KEY_SZ];
	char value[DB_CONF_VAL_SZ];
	char description[DB_CONF_DESC_SZ];
};

struct db_stats {
	int64_t streams_total;
	int64_t streams_active; /* is_active = 1 */
	int64_t streams_live; /* open sessions */
	int64_t sessions_today; /* started since 00:00 UTC */
};

/* db.c */
/*
 * Opens (creating it mode 0600 if missing; the directory must exist) and
 * migrates the database.  When no user exists, adds "admin" with
 * must_change_password set and the password from $DEFAULT_ADMIN_PASSWORD,
 * or a generated one returned in *info (which may be NULL).
 */
int db_open(const char *path, struct db **dbp, struct db_open_info *info,
    struct db_err *err);
void db_close(struct db *);
/* PRAGMA integrity_check: 0 if "ok", else -1 with its first line in msg. */
int db_integrity_check(struct db *, struct db_err *);

/* db_migrate.c */
int db_schema_version(struct db *, int *version, struct db_err *);

/* db_user.c */
int db_user_get(struct db *, int64_t id, struct db_user *, struct db_err *);
int db_user_get_by_name(
    struct db *, const char *username, struct db_user *, struct db_err *);
/* DB_EAUTH for an unknown user or a wrong password, alike and as slowly. */
int db_user_verify(struct db *, const char *username, const char *password,
    struct db_user *, struct db_err *);
/*
 * Also clears must_change_password, and moves token_gen on: every token
 * issued before ends, whoever changed the password and however.
 */
int db_user_set_password(
    struct db *, int64_t id, const char *password, struct db_err *);
int db_user_create(struct db *, const char *username, const char *password,
    const char *email, int must_change_password, int64_t *id, struct db_err *);

/* db_stream.c */
/* is_active -1 for any; protocol NULL for any.  *list is freed by free(). */
int db_stream_list(struct db *, int is_active, const char *protocol,
    struct db_stream **list, size_t *n, struct db_err *);
int db_stream_get(struct db *, int64_t id, struct db_stream *, struct db_err *);
int db_stream_get_by_name(
    struct db *, const char *name, struct db_stream *, struct db_err *);
int db_stream_get_by_key(
    struct db *, const char *key, struct db_stream *, struct db_err *);
/* out (may be NULL) receives the row as stored, key included. */
int db_stream_create(struct db *, const struct db_stream_set *,
    struct db_stream *out, struct db_err *);
int db_stream_update(struct db *, int64_t id, const struct db_stream_set *,
    struct db_stream *out, struct db_err *);
int db_stream_delete(struct db *, int64_t id, struct db_err *);
int db_stream_set_active(
    struct db *, int64_t id, int is_active, struct db_err *);
int db_stream_regen_key(
    struct db *, int64_t id, char key[DB_KEY_SZ], struct db_err *);
/* "{clean name}_{32 hex}"; exposed for tests. */
void db_stream_gen_key(const char *name, char key[DB_KEY_SZ]);

/* db_session.c */
/*
 * ingestd's publish request (and an SRS hook's).  proto is "rtmp" or "srt".
 * Allowed: opens a session and fills *out.  Refused: DB_EPERM with msg
 * DB_UNKNOWN_KEY, "stream disabled", "protocol not allowed", "stream
 * already live" (it has an open session) or "too many live streams".
 */
#define DB_UNKNOWN_KEY "unknown key"
int db_publish_check(struct db *, const char *key, const char *proto,
    const char *ip, const char *client_id, struct db_publish *out,
    struct db_err *);

/*
 * Ending an already ended session is not an error (its reason stays).
 * reason (NULL for none) says why, when the publisher did not end it.
 */
int db_session_end(
    struct db *, int64_t id, const char *reason, struct db_err *);
/* Ends every open session; *n (may be NULL) receives how many. */
int db_session_end_all(
    struct db *, const char *reason, int64_t *n, struct db_err *);
/* Open sessions (active_only) or the newest limit (1..1000), newest first. */
int db_session_list(struct db *, int active_only, int limit,
    struct db_session **list, size_t *n, struct db_err *);
int db_session_get(
    struct db *, int64_t id, struct db_session *, struct db_err *);
int db_session_count_today(struct db *, int64_t *n, struct db_err *);

/* db_dest.c */
/* desturl's rules, as a db_err on "url". */
int db_dest_check_url(const char *url, struct db_err *);
/* stream_id 0 for every stream's.  *list is freed by free(). */
int db_dest_list(struct db *, int64_t stream_id, int enabled_only,
    struct db_dest **list, size_t *n, struct db_err *);
int db_dest_get(struct db *, int64_t id, struct db_dest *, struct db_err *);
int db_dest_find(struct db *, int64_t stream_id, const char *url,
    struct db_dest *, struct db_err *);
/* DB_EEXIST for a URL the stream has; DB_EINVAL past DB_DEST_MAX. */
int db_dest_create(struct db *, int64_t stream_id, const char *url,
    int is_enabled, int tls_verify, struct db_dest *out, struct db_err *);
int db_dest_update(struct db *, int64_t id, const struct db_dest_set *,
    struct db_dest *out, struct db_err *);
int db_dest_delete(struct db *, int64_t id, struct db_err *);
/* Whether the stream has an open session: it is on air. */
int db_dest_stream_live(
    struct db *, int64_t stream_id, int *live, struct db_err *);
/* The row as JSON; the URL masked (desturl_mask) unless reveal. */
void db_dest_json(yajl_gen, const struct db_dest *, int reveal);

/* db_config.c */
int db_config_get(
    struct db *, const char *key, struct db_config *, struct db_err *);
/* Validates by key; the value is stored normalised (e.g. "080" -> "80"). */
int db_config_set(
    struct db *, const char *key, const char *value, struct db_err *);
int db_config_list(
    struct db *, struct db_config **list, size_t *n, struct db_err *);
int db_config_int(struct db *, const char *key, long long *, struct db_err *);

/* db_stats.c */
int db_stats(struct db *, struct db_stats *, struct db_err *);

/* db_viewer.c: viewer sessions (migration 6), times in Unix seconds */
#define DB_OUTPUT_SZ 16 /* "flv", "webrtc" */
#define DB_UA_SZ 257 /* a User-Agent, cut by its reporter */
struct db_viewer {
	int64_t sid; /* the reporter's number for it */
	char stream[DB_NAME_SZ];
	char output[DB_OUTPUT_SZ];
	char address[DB_IP_SZ];
	char user_agent[DB_UA_SZ];
	int64_t started, ended; /* ended 0: watching */
	int64_t bytes;
};
/* One reporter's batch, in one transaction: new sessions and ends. */
int db_viewer_report(struct db *, const char *source, const struct db_viewer *,
    size_t n, struct db_err *);
/* Ends the open sessions of source (NULL: of every reporter). */
int db_viewer_end(
    struct db *, const char *source, int64_t now, struct db_err *);
/* Drops ended sessions that ended before before, and all but the newest keep. */
int db_viewer_prune(struct db *, int64_t before, int64_t keep, struct db_err *);
/* Newest first; stream NULL for all.  One JSON array into g. */
int db_viewer_list_json(struct db *, const char *stream, int active_only,
    int limit, int64_t now, yajl_gen, struct db_err *);
/* Per stream since day0: sessions, unique addresses, peak, live, bytes. */
int db_viewer_stats_json(
    struct db *, const char *stream, int64_t day0, yajl_gen, struct db_err *);

/* db_history.c: the time series (migration 6) */
#define DB_HIST_FINE 10 /* seconds a fine row covers */
#define DB_HIST_COARSE 60
#define DB_HIST_FINE_KEEP (24 * 3600) /* seconds of fine rows kept */
#define DB_HIST_COARSE_KEEP (30 * 24 * 3600)
struct db_hist {
	char stream[DB_NAME_SZ]; /* "" for the box */
	/* a stream's; NAN when unknown */
	double kbps_in, viewers, kbps_out;
	/* the box's; NAN when unknown (temp where the board has none) */
	double cpu, mem, temp, load, rx_kbps, tx_kbps;
};
/*
 * Adds fine rows at t; at each whole minute also the minute's average as
 * a coarse row; drops what is older than kept.  One transaction.
 */
int db_history_add(
    struct db *, int64_t t, const struct db_hist *, size_t n, struct db_err *);
/* {"resolution":s,"series":{"":[[t,...]...],"name":[...]}} into g. */
int db_history_json(struct db *, int64_t from, int64_t to, const char *stream,
    yajl_gen, struct db_err *);

/* db_json.c */
/* One JSON object each, the shape nyonctl and the REST API share. */
void db_user_json(yajl_gen, const struct db_user *);
void db_stream_json(yajl_gen, const struct db_stream *, int with_key);
/* The same fields, for a caller that adds its own to the map. */
void db_stream_json_fields(yajl_gen, const struct db_stream *, int with_key);
void db_session_json(yajl_gen, const struct db_session *);
void db_config_json(yajl_gen, const struct db_config *);
void db_stats_json(yajl_gen, const struct db_stats *);

/* db_token.c */
/*
 * API tokens (migration 2).  A revoked token is kept by its id (jwt.h's
 * jwt_token_id) until it would have expired anyway.
 */
int db_token_revoke(
    struct db *, const char *token_id, int64_t expires, struct db_err *);
/* *revoked is 1 on error too: a caller that ignores the error fails closed. */
int db_token_revoked(
    struct db *, const char *token_id, int *revoked, struct db_err *);
int db_token_purge(struct db *, int64_t now, int64_t *n, struct db_err *);
/*
 * The store's insides, for its own db_*.c files only: the connection and
 * the helpers every table's file shares.
 */
struct sqlite3;
struct sqlite3_stmt;

#define DB_NOW "strftime('%Y-%m-%dT%H:%M:%SZ','now')"
#define DB_TODAY "strftime('%Y-%m-%dT00:00:00Z','now')"
#define DB_HASH_SZ 256 /* a yescrypt or bcrypt hash is ~60-80 bytes */

struct db {
	struct sqlite3 *sq;
	char dummy_hash[DB_HASH_SZ]; /* so unknown users cost a crypt too */
	int64_t hist_minute; /* the minute of the last history row */
};

/* db.c */
/* Fills err (if not NULL) and returns -1. */
int db_fail(struct db_err *, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int db_sqlfail(struct db *, const char *what, struct db_err *);
int db_stepfail(struct db *, int rc, const char *what, struct db_err *);
int db_prepare(
    struct db *, const char *sql, struct sqlite3_stmt **, struct db_err *);
int db_exec(struct db *, const char *sql, struct db_err *); /* constant SQL */
int db_begin(struct db *, struct db_err *);
int db_commit(struct db *, struct db_err *);
void db_rollback(struct db *);
void db_bind_text(struct sqlite3_stmt *, int i, const char *s);
void db_col(struct sqlite3_stmt *, int i, char *buf, size_t len);
int db_step_done(
    struct db *, struct sqlite3_stmt *, const char *what, struct db_err *);
int db_collect(struct db *, struct sqlite3_stmt *, size_t rowsz,
    void (*fill)(struct sqlite3_stmt *, void *), void **list, size_t *n,
    const char *what, struct db_err *);
int db_scalar(struct db *, struct sqlite3_stmt *, int64_t *, struct db_err *);

/* db_migrate.c */
int db_migrate(struct db *, struct db_err *);

/* db_check.c */
int db_check_alnum(int c);
int db_check_name(const char *in, char out[DB_NAME_SZ], struct db_err *);
int db_check_key(const char *key, struct db_err *);
int db_check_protocol(const char *p, struct db_err *);
int db_check_desc(const char *in, char out[DB_DESC_SZ], struct db_err *);
int db_check_username(const char *u, struct db_err *);
int db_check_password(const char *field, const char *pw, struct db_err *);
int db_check_email(const char *e, struct db_err *);
/* A DNS name: 1 if it is one. */
int db_check_host(const char *h);

/* db_password.c */
int db_password_hash(const char *pw, char *out, size_t len);
int db_password_matches(const char *pw, const char *hash);
void db_password_generate(char *buf, size_t len);

/* db_user.c */
int db_user_first_admin(struct db *, struct db_open_info *, struct db_err *);

#endif
