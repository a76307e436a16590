/*
 * The users table: the first admin, lookups, password checks and changes.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "nyon.h"
#include "db.h"

#define USER_COLS \
	"id, username, coalesce(email, ''), must_change_password, created_at," \
	" token_gen"

/* The first open makes an admin who must pick a new password. */
int
db_user_first_admin(
    struct db *db, struct db_open_info *info, struct db_err *err)
{
	sqlite3_stmt *st;
	const char *env = getenv("DEFAULT_ADMIN_PASSWORD");
	char pw[DB_PASS_GEN + 1];
	int64_t users;
	int rc;

	if (db_prepare(db, "SELECT count(*) FROM users", &st, err) == -1 ||
	    db_scalar(db, st, &users, err) == -1)
		return -1;
	if (users > 0)
		return 0;
	if (env != NULL && *env != '\0') {
		if (db_check_password("DEFAULT_ADMIN_PASSWORD", env, err) == -1)
			return -1;
		rc = db_user_create(db, "admin", env, NULL, 1, NULL, err);
	} else {
		db_password_generate(pw, sizeof(pw));
		rc = db_user_create(db, "admin", pw, NULL, 1, NULL, err);
		if (rc == 0 && info != NULL) {
			info->generated = 1;
			strlcpy(info->password, pw, sizeof(info->password));
		}
		explicit_bzero(pw, sizeof(pw));
	}
	if (rc == 0 && info != NULL)
		info->admin_created = 1;
	return rc;
}

static void
db_user_row(sqlite3_stmt *st, struct db_user *u)
{
	u->id = sqlite3_column_int64(st, 0);
	db_col(st, 1, u->username, sizeof(u->username));
	db_col(st, 2, u->email, sizeof(u->email));
	u->must_change_password = sqlite3_column_int(st, 3) != 0;
	db_col(st, 4, u->created_at, sizeof(u->created_at));
	u->token_gen = sqlite3_column_int64(st, 5);
}

/* One user by id or by name; the hash too when hash is not NULL. */
static int
db_user_fetch(struct db *db, int64_t id, const char *name, struct db_user *u,
    char *hash, size_t hashlen, struct db_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (db_prepare(db,
	        name != NULL ? "SELECT " USER_COLS
	                       ", password_hash FROM users WHERE username = ?"
	                     : "SELECT " USER_COLS
	                       ", password_hash FROM users WHERE id = ?",
	        &st, err) == -1)
		return -1;
	if (name != NULL)
		db_bind_text(st, 1, name);
	else
		sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		db_user_row(st, u);
		if (hash != NULL)
			db_col(st, 6, hash, hashlen);
	} else if (rc == SQLITE_DONE)
		db_fail(err, DB_ENOENT, NULL, "no such user");
	else
		db_sqlfail(db, "user", err);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
db_user_get(struct db *db, int64_t id, struct db_user *u, struct db_err *err)
{
	return db_user_fetch(db, id, NULL, u, NULL, 0, err);
}

int
db_user_get_by_name(
    struct db *db, const char *username, struct db_user *u, struct db_err *err)
{
	if (username == NULL)
		return db_fail(err, DB_ENOENT, NULL, "no such user");
	return db_user_fetch(db, 0, username, u, NULL, 0, err);
}

int
db_user_verify(struct db *db, const char *username, const char *password,
    struct db_user *u, struct db_err *err)
{
	struct db_user tmp;
	struct db_err ferr;
	char hash[DB_HASH_SZ];
	int found, ok;

	if (u == NULL)
		u = &tmp;
	found = username != NULL &&
	    db_user_fetch(db, 0, username, u, hash, sizeof(hash), &ferr) == 0;
	if (!found && username != NULL && ferr.code != DB_ENOENT)
		return db_fail(err, ferr.code, ferr.field, "%s", ferr.msg);
	if (!found) {
		/* Spend a crypt anyway, so timing does not tell names apart. */
		if (db->dummy_hash[0] == '\0' &&
		    db_password_hash("not a password", db->dummy_hash,
		        sizeof(db->dummy_hash)) == -1)
			return db_fail(err, DB_EIO, NULL, "cannot hash");
		strlcpy(hash, db->dummy_hash, sizeof(hash));
	}
	ok = db_password_matches(password != NULL ? password : "", hash);
	explicit_bzero(hash, sizeof(hash));
	if (!found || !ok) {
		memset(u, 0, sizeof(*u));
		return db_fail(
		    err, DB_EAUTH, NULL, "invalid username or password");
	}
	return 0;
}

int
db_user_set_password(
    struct db *db, int64_t id, const char *password, struct db_err *err)
{
	sqlite3_stmt *st;
	char hash[DB_HASH_SZ];
	int rc;

	if (db_check_password("password", password, err) == -1)
		return -1;
	if (db_password_hash(password, hash, sizeof(hash)) == -1)
		return db_fail(err, DB_EIO, NULL, "cannot hash password");
	if (db_prepare(db,
	        "UPDATE users SET password_hash = ?, must_change_password = 0,"
	        " token_gen = token_gen + 1 WHERE id = ?",
	        &st, err) == -1)
		return -1;
	db_bind_text(st, 1, hash);
	sqlite3_bind_int64(st, 2, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	explicit_bzero(hash, sizeof(hash));
	if (rc != SQLITE_DONE)
		return db_sqlfail(db, "set password", err);
	if (sqlite3_changes(db->sq) == 0)
		return db_fail(err, DB_ENOENT, NULL, "no such user");
	return 0;
}

int
db_user_create(struct db *db, const char *username, const char *password,
    const char *email, int must_change_password, int64_t *id,
    struct db_err *err)
{
	sqlite3_stmt *st;
	char hash[DB_HASH_SZ];
	int rc;

	if (db_check_username(username, err) == -1 ||
	    db_check_password("password", password, err) == -1 ||
	    db_check_email(email, err) == -1)
		return -1;
	if (db_password_hash(password, hash, sizeof(hash)) == -1)
		return db_fail(err, DB_EIO, NULL, "cannot hash password");
	if (db_prepare(db,
	        "INSERT INTO users (username, password_hash, email,"
	        " must_change_password) VALUES (?, ?, ?, ?)",
	        &st, err) == -1)
		return -1;
	db_bind_text(st, 1, username);
	db_bind_text(st, 2, hash);
	db_bind_text(st, 3, email != NULL && *email != '\0' ? email : NULL);
	sqlite3_bind_int(st, 4, must_change_password != 0);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	explicit_bzero(hash, sizeof(hash));
	if (rc != SQLITE_DONE)
		return db_stepfail(db, rc, "create user", err);
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(db->sq);
	return 0;
}
