/*
 * Viewer sessions (migration 6): flvd's and rtcd's reports, written a
 * batch per transaction, kept within viewer_retention_days and
 * viewer_retention_rows, and read back as lists and per-stream figures.
 */
#include <string.h>

#include <sqlite3.h>

#include "nyon.h"
#include "db.h"

int
db_viewer_report(struct db *db, const char *source, const struct db_viewer *v,
    size_t n, struct db_err *err)
{
	sqlite3_stmt *st = NULL;
	size_t i;

	if (n == 0)
		return 0;
	if (db_begin(db, err) == -1)
		return -1;
	/* a session comes again when it ends, or after a reconnection */
	if (db_prepare(db,
	        "INSERT INTO viewer_sessions (source, sid, stream, output,"
	        " address, user_agent, started, ended, bytes)"
	        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
	        " ON CONFLICT (source, sid) DO UPDATE SET"
	        " ended = excluded.ended,"
	        " bytes = max(bytes, excluded.bytes)",
	        &st, err) == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		sqlite3_reset(st);
		db_bind_text(st, 1, source);
		sqlite3_bind_int64(st, 2, v[i].sid);
		db_bind_text(st, 3, v[i].stream);
		db_bind_text(st, 4, v[i].output);
		db_bind_text(st, 5, v[i].address);
		db_bind_text(st, 6, v[i].user_agent);
		sqlite3_bind_int64(st, 7, v[i].started);
		if (v[i].ended != 0)
			sqlite3_bind_int64(st, 8, v[i].ended);
		else
			sqlite3_bind_null(st, 8);
		sqlite3_bind_int64(st, 9, v[i].bytes);
		if (sqlite3_step(st) != SQLITE_DONE) {
			db_sqlfail(db, "viewer report", err);
			goto fail;
		}
	}
	sqlite3_finalize(st);
	return db_commit(db, err);
fail:
	sqlite3_finalize(st);
	db_rollback(db);
	return -1;
}

int
db_viewer_end(
    struct db *db, const char *source, int64_t now, struct db_err *err)
{
	sqlite3_stmt *st;

	if (db_prepare(db,
	        "UPDATE viewer_sessions SET ended = ?"
	        " WHERE ended IS NULL AND (? IS NULL OR source = ?)",
	        &st, err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	db_bind_text(st, 2, source);
	db_bind_text(st, 3, source);
	return db_step_done(db, st, "viewer end", err);
}

int
db_viewer_prune(struct db *db, int64_t before, int64_t keep, struct db_err *err)
{
	sqlite3_stmt *st;

	/* live sessions stay: they end, then age */
	if (db_prepare(db,
	        "DELETE FROM viewer_sessions WHERE ended IS NOT NULL AND"
	        " (ended < ? OR id <= (SELECT id FROM viewer_sessions"
	        "  ORDER BY id DESC LIMIT 1 OFFSET ?))",
	        &st, err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, before);
	sqlite3_bind_int64(st, 2, keep);
	return db_step_done(db, st, "viewer prune", err);
}

int
db_viewer_list_json(struct db *db, const char *stream, int active_only,
    int limit, int64_t now, yajl_gen g, struct db_err *err)
{
	sqlite3_stmt *st;
	char buf[512];
	int rc;

	if (db_prepare(db,
	        "SELECT id, stream, output, address, user_agent, started,"
	        " ended, bytes FROM viewer_sessions"
	        " WHERE (? IS NULL OR stream = ?) AND (? = 0 OR ended IS NULL)"
	        " ORDER BY id DESC LIMIT ?",
	        &st, err) == -1)
		return -1;
	db_bind_text(st, 1, stream);
	db_bind_text(st, 2, stream);
	sqlite3_bind_int(st, 3, active_only);
	sqlite3_bind_int(st, 4, limit);
	yajl_gen_array_open(g);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t started = sqlite3_column_int64(st, 5);
		int64_t ended = sqlite3_column_int64(st, 6);
		int live = sqlite3_column_type(st, 6) == SQLITE_NULL;

		yajl_gen_map_open(g);
		json_int(g, "id", sqlite3_column_int64(st, 0));
		db_col(st, 1, buf, sizeof(buf));
		json_str(g, "stream", buf);
		db_col(st, 2, buf, sizeof(buf));
		json_str(g, "output", buf);
		db_col(st, 3, buf, sizeof(buf));
		json_str(g, "address", buf);
		db_col(st, 4, buf, sizeof(buf));
		json_str(g, "user_agent", buf);
		json_int(g, "started", started);
		if (live)
			json_null(g, "ended");
		else
			json_int(g, "ended", ended);
		json_int(g, "duration", (live ? now : ended) - started);
		json_bool(g, "live", live);
		json_int(g, "bytes", sqlite3_column_int64(st, 7));
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_sqlfail(db, "viewer list", err);
}

/*
 * Since day0 per stream: sessions, unique addresses, the most watching at
 * once (a sweep over starts and ends, ends first at a tie), live now.
 */
int
db_viewer_stats_json(struct db *db, const char *stream, int64_t day0,
    yajl_gen g, struct db_err *err)
{
	sqlite3_stmt *st;
	char name[DB_NAME_SZ];
	int rc;

	if (db_prepare(db,
	        "WITH s AS (SELECT * FROM viewer_sessions"
	        "  WHERE (ended IS NULL OR ended >= ?1)"
	        "  AND (?2 IS NULL OR stream = ?2)),"
	        " ev AS (SELECT stream, max(started, ?1) AS t, 1 AS d FROM s"
	        "  UNION ALL SELECT stream, ended, -1 FROM s"
	        "  WHERE ended IS NOT NULL),"
	        " run AS (SELECT stream, sum(d) OVER (PARTITION BY stream"
	        "  ORDER BY t, d ROWS UNBOUNDED PRECEDING) AS n FROM ev),"
	        " peak AS (SELECT stream, max(n) AS peak FROM run"
	        "  GROUP BY stream)"
	        " SELECT s.stream, count(*), count(DISTINCT address),"
	        " coalesce(peak.peak, 0),"
	        " sum(ended IS NULL), sum(bytes)"
	        " FROM s LEFT JOIN peak USING (stream)"
	        " GROUP BY s.stream ORDER BY s.stream",
	        &st, err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, day0);
	db_bind_text(st, 2, stream);
	yajl_gen_array_open(g);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		yajl_gen_map_open(g);
		db_col(st, 0, name, sizeof(name));
		json_str(g, "stream", name);
		json_int(g, "sessions", sqlite3_column_int64(st, 1));
		json_int(g, "unique_viewers", sqlite3_column_int64(st, 2));
		json_int(g, "peak_viewers", sqlite3_column_int64(st, 3));
		json_int(g, "live", sqlite3_column_int64(st, 4));
		json_int(g, "bytes", sqlite3_column_int64(st, 5));
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_sqlfail(db, "viewer stats", err);
}
