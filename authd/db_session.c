/*
 * The sessions table: publishing, which opens a session when a key may go
 * live, and the sessions' ends and lists.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "nyon.h"
#include "db.h"

#define SESSION_COLS \
	"s.id, s.stream_id, st.name, coalesce(s.client_id, '')," \
	" coalesce(s.ip_address, ''), coalesce(s.protocol, '')," \
	" s.started_at, coalesce(s.ended_at, ''), coalesce(s.end_reason, '')"
#define SESSION_FROM " FROM sessions s JOIN streams st ON st.id = s.stream_id"

int
db_publish_check(struct db *db, const char *key, const char *proto,
    const char *ip, const char *client_id, struct db_publish *out,
    struct db_err *err)
{
	sqlite3_stmt *st;
	struct db_stream *s;
	long long limit;
	int64_t open;
	int rc = -1, step;

	memset(out, 0, sizeof(*out));
	if (proto == NULL ||
	    (strcmp(proto, "rtmp") != 0 && strcmp(proto, "srt") != 0))
		return db_fail(err, DB_EINVAL, "proto", "must be rtmp or srt");
	if (ip != NULL && strlen(ip) >= DB_IP_SZ)
		return db_fail(err, DB_EINVAL, "ip", "too long");
	if (client_id != NULL && strlen(client_id) >= DB_CLIENT_SZ)
		return db_fail(err, DB_EINVAL, "client", "too long");
	if (key == NULL || db_check_key(key, NULL) == -1)
		return db_fail(err, DB_EPERM, NULL, DB_UNKNOWN_KEY);

	s = xcalloc(1, sizeof(*s));
	/* One transaction: the limit must hold against a racing publish. */
	if (db_begin(db, err) == -1)
		goto out;
	if (db_stream_get_by_key(db, key, s, err) == -1) {
		if (err != NULL && err->code == DB_ENOENT)
			db_fail(err, DB_EPERM, NULL, DB_UNKNOWN_KEY);
		goto fail;
	}
	if (!s->is_active) {
		db_fail(err, DB_EPERM, NULL, "stream disabled");
		goto fail;
	}
	if (strcmp(s->protocol, "both") != 0 &&
	    strcmp(s->protocol, proto) != 0) {
		db_fail(err, DB_EPERM, NULL, "protocol not allowed");
		goto fail;
	}
	/* one publisher per stream, whichever way it came in */
	if (db_prepare(db,
	        "SELECT count(*) FROM sessions"
	        " WHERE stream_id = ? AND ended_at IS NULL",
	        &st, err) == -1)
		goto fail;
	sqlite3_bind_int64(st, 1, s->id);
	if (db_scalar(db, st, &open, err) == -1)
		goto fail;
	if (open > 0) {
		db_fail(err, DB_EPERM, NULL, "stream already live");
		goto fail;
	}
	if (db_config_int(db, "max_concurrent_streams", &limit, err) == -1)
		goto fail;
	if (db_prepare(db,
	        "SELECT count(*) FROM sessions WHERE ended_at IS NULL", &st,
	        err) == -1 ||
	    db_scalar(db, st, &open, err) == -1)
		goto fail;
	if (open >= limit) {
		db_fail(err, DB_EPERM, NULL, "too many live streams");
		goto fail;
	}
	if (db_prepare(db,
	        "INSERT INTO sessions (stream_id, client_id, ip_address,"
	        " protocol) VALUES (?, ?, ?, ?)",
	        &st, err) == -1)
		goto fail;
	sqlite3_bind_int64(st, 1, s->id);
	db_bind_text(st, 2, client_id);
	db_bind_text(st, 3, ip);
	db_bind_text(st, 4, proto);
	step = sqlite3_step(st);
	sqlite3_finalize(st);
	if (step != SQLITE_DONE) {
		db_sqlfail(db, "open session", err);
		goto fail;
	}
	out->session_id = sqlite3_last_insert_rowid(db->sq);
	out->stream_id = s->id;
	strlcpy(out->stream_name, s->name, sizeof(out->stream_name));
	out->max_bitrate = s->max_bitrate;
	out->record = s->record;
	if ((rc = db_commit(db, err)) == -1)
		memset(out, 0, sizeof(*out));
	goto out;
fail:
	db_rollback(db);
out:
	explicit_bzero(s, sizeof(*s));
	free(s);
	return rc;
}

static void
db_session_row(sqlite3_stmt *st, void *row)
{
	struct db_session *s = row;

	s->id = sqlite3_column_int64(st, 0);
	s->stream_id = sqlite3_column_int64(st, 1);
	db_col(st, 2, s->stream_name, sizeof(s->stream_name));
	db_col(st, 3, s->client_id, sizeof(s->client_id));
	db_col(st, 4, s->ip_address, sizeof(s->ip_address));
	db_col(st, 5, s->protocol, sizeof(s->protocol));
	db_col(st, 6, s->started_at, sizeof(s->started_at));
	db_col(st, 7, s->ended_at, sizeof(s->ended_at));
	db_col(st, 8, s->end_reason, sizeof(s->end_reason));
}

/* A reason as stored: at most DB_REASON_SZ - 1 bytes, never a cut UTF-8. */
static void
db_session_bind_reason(sqlite3_stmt *st, int col, const char *reason)
{
	size_t n;

	if (reason == NULL || *reason == '\0') {
		sqlite3_bind_null(st, col);
		return;
	}
	n = strlen(reason);
	if (n > DB_REASON_SZ - 1)
		n = DB_REASON_SZ - 1;
	while (n > 0 && n < strlen(reason) && (reason[n] & 0xc0) == 0x80)
		n--;
	sqlite3_bind_text(st, col, reason, (int)n, SQLITE_TRANSIENT);
}

int
db_session_end(
    struct db *db, int64_t id, const char *reason, struct db_err *err)
{
	struct db_session s;
	sqlite3_stmt *st;
	int rc;

	if (db_prepare(db,
	        "UPDATE sessions SET ended_at = " DB_NOW ", end_reason = ?"
	        " WHERE id = ? AND ended_at IS NULL",
	        &st, err) == -1)
		return -1;
	db_session_bind_reason(st, 1, reason);
	sqlite3_bind_int64(st, 2, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_sqlfail(db, "end session", err);
	if (sqlite3_changes(db->sq) == 0)
		return db_session_get(db, id, &s, err); /* ENOENT or ended */
	return 0;
}

int
db_session_end_all(
    struct db *db, const char *reason, int64_t *n, struct db_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (db_prepare(db,
	        "UPDATE sessions SET ended_at = " DB_NOW ", end_reason = ?"
	        " WHERE ended_at IS NULL",
	        &st, err) == -1)
		return -1;
	db_session_bind_reason(st, 1, reason);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_sqlfail(db, "end sessions", err);
	if (n != NULL)
		*n = sqlite3_changes(db->sq);
	return 0;
}

int
db_session_list(struct db *db, int active_only, int limit,
    struct db_session **list, size_t *n, struct db_err *err)
{
	sqlite3_stmt *st;
	void *rows = NULL;

	*list = NULL;
	*n = 0;
	if (!active_only && (limit < 1 || limit > 1000))
		return db_fail(
		    err, DB_EINVAL, "limit", "must be between 1 and 1000");
	if (db_prepare(db,
	        "SELECT " SESSION_COLS SESSION_FROM
	        " WHERE (?1 = 0 OR s.ended_at IS NULL)"
	        " ORDER BY s.started_at DESC, s.id DESC LIMIT ?2",
	        &st, err) == -1)
		return -1;
	sqlite3_bind_int(st, 1, active_only != 0);
	sqlite3_bind_int(st, 2, active_only ? -1 : limit);
	if (db_collect(db, st, sizeof(struct db_session), db_session_row, &rows,
	        n, "list sessions", err) == -1)
		return -1;
	*list = rows;
	return 0;
}

int
db_session_get(
    struct db *db, int64_t id, struct db_session *s, struct db_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (db_prepare(db,
	        "SELECT " SESSION_COLS SESSION_FROM " WHERE s.id = ?", &st,
	        err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		db_session_row(st, s);
	else if (rc == SQLITE_DONE)
		db_fail(err, DB_ENOENT, NULL, "no such session");
	else
		db_sqlfail(db, "session", err);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
db_session_count_today(struct db *db, int64_t *n, struct db_err *err)
{
	sqlite3_stmt *st;

	if (db_prepare(db,
	        "SELECT count(*) FROM sessions WHERE started_at >= " DB_TODAY,
	        &st, err) == -1)
		return -1;
	return db_scalar(db, st, n, err);
}
