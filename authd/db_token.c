/*
 * API tokens (migration 2): tokens ended by logout, kept until they would
 * have expired anyway.  A password change ends a user's older tokens by
 * their generation (db_user.c, migration 3).
 */
#include <stdlib.h>

#include <sqlite3.h>

#include "nyon.h"
#include "db.h"

int
db_token_revoke(
    struct db *db, const char *token_id, int64_t expires, struct db_err *err)
{
	sqlite3_stmt *st;

	if (db_prepare(db,
	        "INSERT OR IGNORE INTO revoked_tokens (token_id, expires_at)"
	        " VALUES (?, ?)",
	        &st, err) == -1)
		return -1;
	db_bind_text(st, 1, token_id);
	sqlite3_bind_int64(st, 2, expires);
	return db_step_done(db, st, "revoke token", err);
}

int
db_token_revoked(
    struct db *db, const char *token_id, int *revoked, struct db_err *err)
{
	sqlite3_stmt *st;
	int64_t n;

	*revoked = 1; /* fail closed */
	if (db_prepare(db,
	        "SELECT count(*) FROM revoked_tokens WHERE token_id = ?", &st,
	        err) == -1)
		return -1;
	db_bind_text(st, 1, token_id);
	if (db_scalar(db, st, &n, err) == -1)
		return -1;
	*revoked = n > 0;
	return 0;
}

int
db_token_purge(struct db *db, int64_t now, int64_t *n, struct db_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (n != NULL)
		*n = 0;
	if (db_prepare(db, "DELETE FROM revoked_tokens WHERE expires_at <= ?",
	        &st, err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_sqlfail(db, "purge tokens", err);
	if (n != NULL)
		*n = sqlite3_changes(db->sq);
	return 0;
}
