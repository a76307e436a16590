/*
 * The figures the dashboard and nyonctl status show: streams and sessions.
 */
#include <string.h>

#include <sqlite3.h>

#include "nyon.h"
#include "db.h"

int
db_stats(struct db *db, struct db_stats *out, struct db_err *err)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (db_prepare(db,
	        "SELECT (SELECT count(*) FROM streams),"
	        " (SELECT count(*) FROM streams WHERE is_active = 1),"
	        " (SELECT count(DISTINCT stream_id) FROM sessions"
	        "  WHERE ended_at IS NULL),"
	        " (SELECT count(*) FROM sessions WHERE started_at >= " DB_TODAY
	        ")",
	        &st, err) == -1)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out->streams_total = sqlite3_column_int64(st, 0);
		out->streams_active = sqlite3_column_int64(st, 1);
		out->streams_live = sqlite3_column_int64(st, 2);
		out->sessions_today = sqlite3_column_int64(st, 3);
	} else
		db_sqlfail(db, "stats", err);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}
