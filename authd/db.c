/*
 * authd's SQLite store: opening it, and the plumbing every table's file
 * shares.  Every value reaches SQL through a bound parameter; the only SQL
 * text run with sqlite3_exec is constant (pragmas, migrations, transaction
 * control).  Input is validated once (db_check.c), so nyonctl and the REST
 * API refuse the same things with the same words.
 */
#include <sys/stat.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "nyon.h"
#include "db.h"

int
db_fail(struct db_err *err, int code, const char *field, const char *fmt, ...)
{
	char text[200];
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	err->code = code;
	strlcpy(err->field, field != NULL ? field : "", sizeof(err->field));
	if (field != NULL && *field != '\0')
		snprintf(err->msg, sizeof(err->msg), "%s: %s", field, text);
	else
		strlcpy(err->msg, text, sizeof(err->msg));
	return -1;
}

/* SQLite itself failed: log the details, tell the caller it was us. */
int
db_sqlfail(struct db *db, const char *what, struct db_err *err)
{
	const char *m = sqlite3_errmsg(db->sq);

	log_warnx("db: %s: %s", what, m);
	return db_fail(err, DB_EIO, NULL, "database error: %s", m);
}

/* A failed write: a taken unique value is the caller's fault, not ours. */
int
db_stepfail(struct db *db, int rc, const char *what, struct db_err *err)
{
	const char *m = sqlite3_errmsg(db->sq);

	if (rc == SQLITE_CONSTRAINT_UNIQUE) {
		if (strstr(m, "streams.name") != NULL)
			return db_fail(
			    err, DB_EEXIST, "name", "already in use");
		if (strstr(m, "streams.stream_key") != NULL)
			return db_fail(
			    err, DB_EEXIST, "stream_key", "already in use");
		if (strstr(m, "users.username") != NULL)
			return db_fail(
			    err, DB_EEXIST, "username", "already in use");
	}
	return db_sqlfail(db, what, err);
}

int
db_prepare(
    struct db *db, const char *sql, sqlite3_stmt **st, struct db_err *err)
{
	if (sqlite3_prepare_v2(db->sq, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return db_sqlfail(db, "prepare", err);
	}
	return 0;
}

/* Constant SQL only. */
int
db_exec(struct db *db, const char *sql, struct db_err *err)
{
	if (sqlite3_exec(db->sq, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_sqlfail(db, sql, err);
	return 0;
}

int
db_begin(struct db *db, struct db_err *err)
{
	/* IMMEDIATE: take the write lock now, so a check-then-write holds. */
	return db_exec(db, "BEGIN IMMEDIATE", err);
}

int
db_commit(struct db *db, struct db_err *err)
{
	return db_exec(db, "COMMIT", err);
}

void
db_rollback(struct db *db)
{
	if (!sqlite3_get_autocommit(db->sq))
		sqlite3_exec(db->sq, "ROLLBACK", NULL, NULL, NULL);
}

void
db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

void
db_col(sqlite3_stmt *st, int i, char *buf, size_t len)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	strlcpy(buf, s != NULL ? (const char *)s : "", len);
}

/* Runs a statement that returns no rows, and finalizes it. */
int
db_step_done(
    struct db *db, sqlite3_stmt *st, const char *what, struct db_err *err)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_sqlfail(db, what, err);
	return 0;
}

/*
 * Steps st to the end, filling a growing array with fill(st, row) per row;
 * finalizes st.  The list functions' common part.
 */
int
db_collect(struct db *db, sqlite3_stmt *st, size_t rowsz,
    void (*fill)(sqlite3_stmt *, void *), void **list, size_t *n,
    const char *what, struct db_err *err)
{
	unsigned char *v = NULL;
	size_t len = 0, cap = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			v = xreallocarray(v, cap, rowsz);
		}
		fill(st, v + rowsz * len++);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(v);
		return db_sqlfail(db, what, err);
	}
	*list = v;
	*n = len;
	return 0;
}

/* Runs a statement expected to return one integer, and finalizes it. */
int
db_scalar(struct db *db, sqlite3_stmt *st, int64_t *out, struct db_err *err)
{
	int rc;

	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		if (rc == SQLITE_DONE)
			return db_fail(
			    err, DB_EIO, NULL, "database error: no row");
		return db_sqlfail(db, "step", err);
	}
	*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

static int
db_pragma_is(struct db *db, const char *sql, const char *want)
{
	sqlite3_stmt *st;
	int ok = 0;

	if (sqlite3_prepare_v2(db->sq, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(st, 0);

		ok = v != NULL && strcmp((const char *)v, want) == 0;
	}
	sqlite3_finalize(st);
	return ok;
}

int
db_open(const char *path, struct db **dbp, struct db_open_info *info,
    struct db_err *err)
{
	struct db *db;
	int fd;

	*dbp = NULL;
	if (info != NULL)
		memset(info, 0, sizeof(*info));
	/* Hashes and keys inside: make it 0600 before SQLite does 0644. */
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	         S_IRUSR | S_IWUSR)) == -1) {
		log_warn("db: %s", path);
		return db_fail(err, DB_EIO, NULL, "cannot open %s", path);
	}
	close(fd);

	db = xcalloc(1, sizeof(*db));
	if (sqlite3_open_v2(path, &db->sq, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		db_sqlfail(db, path, err);
		goto fail;
	}
	sqlite3_extended_result_codes(db->sq, 1);
	sqlite3_busy_timeout(db->sq, DB_BUSY_MS);
	sqlite3_db_config(db->sq, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	if (db_exec(db, "PRAGMA foreign_keys = ON", err) == -1 ||
	    db_exec(db, "PRAGMA synchronous = NORMAL", err) == -1)
		goto fail;
	if (!db_pragma_is(db, "PRAGMA journal_mode = WAL", "wal")) {
		db_fail(err, DB_EIO, NULL, "%s: cannot use WAL mode", path);
		goto fail;
	}
	if (!db_pragma_is(db, "PRAGMA foreign_keys", "1")) {
		db_fail(err, DB_EIO, NULL, "SQLite without foreign keys");
		goto fail;
	}
	if (db_migrate(db, err) == -1 ||
	    db_user_first_admin(db, info, err) == -1)
		goto fail;
	*dbp = db;
	return 0;
fail:
	db_close(db);
	return -1;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	if (db->sq != NULL && sqlite3_close(db->sq) != SQLITE_OK)
		log_warnx("db: close: %s", sqlite3_errmsg(db->sq));
	explicit_bzero(db, sizeof(*db));
	free(db);
}

int
db_integrity_check(struct db *db, struct db_err *err)
{
	sqlite3_stmt *st;
	char first[200];
	int rc;

	if (db_prepare(db, "PRAGMA integrity_check", &st, err) == -1)
		return -1;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		db_sqlfail(db, "integrity_check", err);
		sqlite3_finalize(st);
		return -1;
	}
	db_col(st, 0, first, sizeof(first));
	sqlite3_finalize(st);
	if (strcmp(first, "ok") != 0) {
		log_warnx("db: integrity_check: %s", first);
		return db_fail(err, DB_EIO, "integrity_check", "%s", first);
	}
	return 0;
}
