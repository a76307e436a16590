/*
 * The schema: numbered migrations, applied once each, in order, when the
 * store opens.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "nyon.h"
#include "db.h"

/*
 * Numbered migrations: entry i is version i + 1, applied once, in order,
 * inside the opening transaction.  Never edit a released entry; add one.
 */
static const char *const db_migrations[] = {
    /* 1: the initial schema */
    "CREATE TABLE users ("
    " id INTEGER PRIMARY KEY,"
    " username TEXT UNIQUE NOT NULL,"
    " password_hash TEXT NOT NULL,"
    " email TEXT,"
    " must_change_password INTEGER NOT NULL DEFAULT 1,"
    " created_at TEXT NOT NULL DEFAULT (" DB_NOW "));"
    "CREATE TABLE streams ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT UNIQUE NOT NULL,"
    " stream_key TEXT UNIQUE NOT NULL,"
    " description TEXT,"
    " protocol TEXT NOT NULL DEFAULT 'both'"
    "  CHECK (protocol IN ('rtmp','srt','both')),"
    " is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0,1)),"
    " max_bitrate INTEGER NOT NULL DEFAULT 5000"
    "  CHECK (max_bitrate BETWEEN 100 AND 50000),"
    " created_at TEXT NOT NULL DEFAULT (" DB_NOW "),"
    " updated_at TEXT NOT NULL DEFAULT (" DB_NOW "));"
    /* stream_key lookups use the UNIQUE constraint's index */
    "CREATE INDEX streams_is_active ON streams(is_active);"
    "CREATE TABLE sessions ("
    " id INTEGER PRIMARY KEY,"
    " stream_id INTEGER NOT NULL REFERENCES streams(id) ON DELETE CASCADE,"
    " client_id TEXT,"
    " ip_address TEXT,"
    " protocol TEXT,"
    " started_at TEXT NOT NULL DEFAULT (" DB_NOW "),"
    " ended_at TEXT);"
    "CREATE INDEX sessions_stream_id ON sessions(stream_id);"
    "CREATE INDEX sessions_ended_at ON sessions(ended_at);"
    "CREATE INDEX sessions_started_at ON sessions(started_at);"
    "CREATE TABLE config ("
    " key TEXT PRIMARY KEY,"
    " value TEXT,"
    " description TEXT);"
    "INSERT INTO config (key, value, description) VALUES"
    " ('max_concurrent_streams', '3',"
    "  'Most streams that may be live at once (1-100)'),"
    " ('lan_ip', '', 'LAN address shown in URLs; empty to detect it'),"
    " ('public_ip', '', 'Public address shown in URLs; empty for none'),"
    " ('domain', '', 'Domain name shown in URLs; empty for none'),"
    " ('rtmp_port', '1935', 'RTMP publish port shown in URLs'),"
    " ('srt_port', '10080', 'SRT publish port shown in URLs'),"
    " ('http_port', '8080', 'HTTP-FLV playback port shown in URLs'),"
    " ('api_port', '3000', 'REST API and dashboard port');",
    /* 2: API tokens ended by logout, and tokens a password change ended */
    "CREATE TABLE revoked_tokens ("
    " token_id TEXT PRIMARY KEY,"
    " expires_at INTEGER NOT NULL);"
    "CREATE INDEX revoked_tokens_expires_at ON revoked_tokens(expires_at);"
    "ALTER TABLE users ADD COLUMN tokens_after INTEGER NOT NULL DEFAULT 0;",
    /*
     * 3: tokens carry their user's generation, which a password change
     * moves on: exact where tokens_after (whole seconds) let a token issued
     * in the second of the change live on.  tokens_after is no longer read;
     * tokens older than a change made before this migration end too.
     */
    "ALTER TABLE users ADD COLUMN token_gen INTEGER NOT NULL DEFAULT 0;"
    "UPDATE users SET token_gen = 1 WHERE tokens_after > 0;",
    /* 4: recording per stream; NULL follows nyon.conf's `record` */
    "ALTER TABLE streams ADD COLUMN record INTEGER"
    " CHECK (record IS NULL OR record IN (0,1));",
    /*
     * 5: why a session ended, when it was not the publisher's own doing
     * (over max_bitrate, a codec Nyon cannot carry, kicked); NULL
     * otherwise and for sessions ended before this migration.
     */
    "ALTER TABLE sessions ADD COLUMN end_reason TEXT;",
    /*
     * 6: forwarding destinations (fwdd): where each stream is pushed while
     * it is live.  The URL holds the destination's key.
     */
    "CREATE TABLE destinations ("
    " id INTEGER PRIMARY KEY,"
    " stream_id INTEGER NOT NULL REFERENCES streams(id) ON DELETE CASCADE,"
    " url TEXT NOT NULL,"
    " is_enabled INTEGER NOT NULL DEFAULT 1 CHECK (is_enabled IN (0,1)),"
    " tls_verify INTEGER NOT NULL DEFAULT 1 CHECK (tls_verify IN (0,1)),"
    " created_at TEXT NOT NULL DEFAULT (" DB_NOW "),"
    " updated_at TEXT NOT NULL DEFAULT (" DB_NOW "),"
    " UNIQUE (stream_id, url));",
    /*
     * 7: viewer sessions as flvd and rtcd report them (source: the
     * reporting process's run, sid its number for the session), and the
     * time series of the box and the streams (res: seconds a row covers).
     * Times are Unix seconds: both are read by ranges.
     */
    "CREATE TABLE viewer_sessions ("
    " id INTEGER PRIMARY KEY,"
    " source TEXT NOT NULL,"
    " sid INTEGER NOT NULL,"
    " stream TEXT NOT NULL,"
    " output TEXT NOT NULL,"
    " address TEXT NOT NULL,"
    " user_agent TEXT NOT NULL DEFAULT '',"
    " started INTEGER NOT NULL,"
    " ended INTEGER,"
    " bytes INTEGER NOT NULL DEFAULT 0,"
    " UNIQUE (source, sid));"
    "CREATE INDEX viewer_sessions_started ON viewer_sessions(started);"
    "CREATE INDEX viewer_sessions_ended ON viewer_sessions(ended);"
    "CREATE TABLE history ("
    " res INTEGER NOT NULL,"
    " t INTEGER NOT NULL,"
    " stream TEXT NOT NULL," /* '' for the box */
    " kbps_in REAL, viewers INTEGER, kbps_out REAL,"
    " cpu REAL, mem REAL, temp REAL, load REAL, rx_kbps REAL, tx_kbps REAL,"
    " PRIMARY KEY (res, t, stream)) WITHOUT ROWID;",
};

int
db_migrate(struct db *db, struct db_err *err)
{
	sqlite3_stmt *st;
	int64_t have;
	size_t v;

	if (db_begin(db, err) == -1)
		return -1;
	if (db_exec(db,
	        "CREATE TABLE IF NOT EXISTS schema_migrations ("
	        " version INTEGER PRIMARY KEY,"
	        " applied_at TEXT NOT NULL DEFAULT (" DB_NOW "))",
	        err) == -1)
		goto fail;
	if (db_prepare(db,
	        "SELECT coalesce(max(version), 0) FROM schema_migrations", &st,
	        err) == -1 ||
	    db_scalar(db, st, &have, err) == -1)
		goto fail;
	if (have > (int64_t)nitems(db_migrations)) {
		db_fail(err, DB_EIO, NULL,
		    "database schema version %lld is newer than this authd's "
		    "%zu",
		    (long long)have, nitems(db_migrations));
		goto fail;
	}
	for (v = (size_t)have + 1; v <= nitems(db_migrations); v++) {
		if (db_exec(db, db_migrations[v - 1], err) == -1)
			goto fail;
		if (db_prepare(db,
		        "INSERT INTO schema_migrations (version) VALUES (?)",
		        &st, err) == -1)
			goto fail;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)v);
		if (sqlite3_step(st) != SQLITE_DONE) {
			db_sqlfail(db, "schema_migrations", err);
			sqlite3_finalize(st);
			goto fail;
		}
		sqlite3_finalize(st);
		log_info("db: applied migration %zu", v);
	}
	return db_commit(db, err);
fail:
	db_rollback(db);
	return -1;
}

int
db_schema_version(struct db *db, int *version, struct db_err *err)
{
	sqlite3_stmt *st;
	int64_t v;

	if (db_prepare(db,
	        "SELECT coalesce(max(version), 0) FROM schema_migrations", &st,
	        err) == -1 ||
	    db_scalar(db, st, &v, err) == -1)
		return -1;
	*version = (int)v;
	return 0;
}
