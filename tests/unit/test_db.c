/*
 * authd's store against a real SQLite file in a private directory: schema
 * and migrations, the first admin, passwords, stream rules, publish
 * checks, sessions, config validation and the JSON shapes.
 */
#include <sys/stat.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "nyon.h"
#include "../../authd/db.h"

struct fix {
	char dir[64];
	char path[128];
	struct db *db;
	struct db_open_info info;
};

/* Fails the test, at the caller's line, unless call fails as expected. */
#define EXPECT_FAIL(call, want_code, want_field) \
	do { \
		struct db_err e_ = {0}; \
		struct db_err *err = &e_; \
		assert_int_equal((call), -1); \
		assert_int_equal(e_.code, (want_code)); \
		assert_string_equal(e_.field, (want_field)); \
	} while (0)

#define EXPECT_OK(call) \
	do { \
		struct db_err e_ = {0}; \
		struct db_err *err = &e_; \
		if ((call) != 0) \
			fail_msg("%s: %s", #call, e_.msg); \
	} while (0)

static void
fix_paths(struct fix *f)
{
	strlcpy(f->dir, "/tmp/nyon-test-db.XXXXXX", sizeof(f->dir));
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/nyon.db", f->dir);
}

static void
fix_rm(struct fix *f)
{
	char p[160];

	unlink(f->path);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	rmdir(f->dir);
}

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct db_err e;

	if (f == NULL)
		return -1;
	unsetenv("DEFAULT_ADMIN_PASSWORD");
	fix_paths(f);
	if (db_open(f->path, &f->db, &f->info, &e) == -1) {
		print_error("db_open: %s\n", e.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;

	db_close(f->db);
	fix_rm(f);
	free(f);
	return 0;
}

/* A second connection straight to the file, as an outsider sees it. */
static sqlite3 *
raw_open(const char *path)
{
	sqlite3 *sq;

	assert_int_equal(sqlite3_open(path, &sq), SQLITE_OK);
	return sq;
}

static long long
raw_int(sqlite3 *sq, const char *sql)
{
	sqlite3_stmt *st;
	long long v;

	assert_int_equal(sqlite3_prepare_v2(sq, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
raw_text(sqlite3 *sq, const char *sql, char *buf, size_t len)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(sq, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	strlcpy(buf, (const char *)sqlite3_column_text(st, 0), len);
	sqlite3_finalize(st);
}

static int
matches(const char *re, const char *s)
{
	regex_t r;
	int ok;

	assert_int_equal(regcomp(&r, re, REG_EXTENDED | REG_NOSUB), 0);
	ok = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	return ok;
}

#define TIME_RE "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"

static int64_t
mkstream(struct db *db, const char *name, const char *proto, const char *key)
{
	struct db_stream_set set = {.set = DB_SET_NAME, .name = name};
	struct db_stream s;

	if (proto != NULL) {
		set.set |= DB_SET_PROTOCOL;
		set.protocol = proto;
	}
	if (key != NULL) {
		set.set |= DB_SET_KEY;
		set.stream_key = key;
	}
	EXPECT_OK(db_stream_create(db, &set, &s, err));
	return s.id;
}

static void
test_schema_migrations(void **state)
{
	struct fix *f = *state;
	struct db_open_info info;
	struct db_err e;
	char plan[256];
	sqlite3 *sq;
	int v;

	EXPECT_OK(db_schema_version(f->db, &v, err));
	assert_int_equal(v, 7);
	mkstream(f->db, "kept", NULL, NULL);

	sq = raw_open(f->path);
	assert_int_equal(
	    raw_int(sq, "SELECT count(*) FROM schema_migrations"), 7);
	assert_int_equal(raw_int(sq,
	                     "SELECT count(*) FROM sqlite_master WHERE type = "
	                     "'table' AND name IN ('users', 'streams', "
	                     "'sessions', 'config', 'schema_migrations')"),
	    5);
	assert_int_equal(raw_int(sq,
	                     "SELECT count(*) FROM sqlite_master WHERE type = "
	                     "'index' AND name IN ('streams_is_active', "
	                     "'sessions_stream_id', 'sessions_ended_at', "
	                     "'sessions_started_at')"),
	    4);
	/* key lookups are indexed (by the UNIQUE constraint's index) */
	{
		sqlite3_stmt *st;

		assert_int_equal(sqlite3_prepare_v2(sq,
		                     "EXPLAIN QUERY PLAN SELECT id FROM "
		                     "streams WHERE stream_key = 'x'",
		                     -1, &st, NULL),
		    SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		strlcpy(plan, (const char *)sqlite3_column_text(st, 3),
		    sizeof(plan));
		sqlite3_finalize(st);
	}
	assert_non_null(strstr(plan, "USING"));
	assert_non_null(strstr(plan, "INDEX"));
	sqlite3_close(sq);

	/* reopening applies nothing again and creates no second admin */
	db_close(f->db);
	f->db = NULL;
	assert_int_equal(db_open(f->path, &f->db, &info, &e), 0);
	assert_int_equal(info.admin_created, 0);
	assert_int_equal(info.generated, 0);
	sq = raw_open(f->path);
	assert_int_equal(
	    raw_int(sq, "SELECT count(*) FROM schema_migrations"), 7);
	assert_int_equal(raw_int(sq, "SELECT count(*) FROM users"), 1);
	assert_int_equal(raw_int(sq, "SELECT count(*) FROM streams"), 1);
	sqlite3_close(sq);
}

/*
 * Migration 3 on a database a version 2 authd wrote: a user whose password
 * changed (tokens_after set) starts at token generation 1, so tokens from
 * before the upgrade (generation 0) end; the others keep theirs.
 */
static void
test_migration_token_gen(void **state)
{
	struct fix *f = *state;
	struct db_user u;
	sqlite3 *sq;
	int v;

	EXPECT_OK(db_user_create(
	    f->db, "second", "second secret", NULL, 0, NULL, err));
	db_close(f->db);
	f->db = NULL;
	/* back to what version 2 left */
	sq = raw_open(f->path);
	assert_int_equal(sqlite3_exec(sq,
	                     "DELETE FROM schema_migrations WHERE version >= 3;"
	                     "DROP TABLE destinations;"
	                     "ALTER TABLE users DROP COLUMN token_gen;"
	                     "ALTER TABLE streams DROP COLUMN record;"
	                     "ALTER TABLE sessions DROP COLUMN end_reason;"
	                     "DROP TABLE viewer_sessions; DROP TABLE history;"
	                     "UPDATE users SET tokens_after = 1700000000"
	                     " WHERE username = 'admin';",
	                     NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(sq);

	assert_int_equal(db_open(f->path, &f->db, NULL, NULL), 0);
	EXPECT_OK(db_schema_version(f->db, &v, err));
	assert_int_equal(v, 7);
	EXPECT_OK(db_user_get_by_name(f->db, "admin", &u, err));
	assert_true(u.token_gen == 1);
	EXPECT_OK(db_user_get_by_name(f->db, "second", &u, err));
	assert_true(u.token_gen == 0);
}

/*
 * Migration 4: a stream's record setting, the default (NULL, -1) until
 * set; it can be set back to the default; publishing says it.
 */
static void
test_stream_record(void **state)
{
	struct fix *f = *state;
	struct db_stream_set set = {.set = DB_SET_RECORD};
	struct db_publish p;
	struct db_stream s;
	int64_t id;

	id = mkstream(f->db, "rec1", NULL, "rec1_key");
	EXPECT_OK(db_stream_get(f->db, id, &s, err));
	assert_int_equal(s.record, -1);
	set.record = 1;
	EXPECT_OK(db_stream_update(f->db, id, &set, &s, err));
	assert_int_equal(s.record, 1);
	EXPECT_OK(db_publish_check(
	    f->db, "rec1_key", "rtmp", "1.2.3.4", "c", &p, err));
	assert_int_equal(p.record, 1);
	set.record = 0;
	EXPECT_OK(db_stream_update(f->db, id, &set, &s, err));
	assert_int_equal(s.record, 0);
	set.record = -1;
	EXPECT_OK(db_stream_update(f->db, id, &set, &s, err));
	assert_int_equal(s.record, -1);
	/* created with a setting */
	set.set = DB_SET_NAME | DB_SET_RECORD;
	set.name = "rec2";
	set.record = 1;
	EXPECT_OK(db_stream_create(f->db, &set, &s, err));
	assert_int_equal(s.record, 1);
}

/*
 * Migration 5 on a database a version 4 authd wrote: sessions ended then
 * have no reason; new ends record theirs.
 */
static void
test_migration_end_reason(void **state)
{
	struct fix *f = *state;
	struct db_publish p1, p2;
	struct db_session ses;
	sqlite3 *sq;
	int v;

	mkstream(f->db, "old1", NULL, "old1_key");
	mkstream(f->db, "old2", NULL, "old2_key");
	EXPECT_OK(db_publish_check(
	    f->db, "old1_key", "rtmp", "1.1.1.1", "a", &p1, err));
	EXPECT_OK(db_publish_check(
	    f->db, "old2_key", "rtmp", "1.1.1.1", "b", &p2, err));
	db_close(f->db);
	f->db = NULL;
	sq = raw_open(f->path);
	assert_int_equal(
	    sqlite3_exec(sq,
	        "DELETE FROM schema_migrations WHERE version >= 5;"
	        "DROP TABLE destinations;"
	        "DROP TABLE viewer_sessions; DROP TABLE history;"
	        "ALTER TABLE sessions DROP COLUMN end_reason;"
	        "UPDATE sessions SET ended_at = '2024-01-01T00:00:00Z'"
	        " WHERE client_id = 'a';",
	        NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(sq);

	assert_int_equal(db_open(f->path, &f->db, NULL, NULL), 0);
	EXPECT_OK(db_schema_version(f->db, &v, err));
	assert_int_equal(v, 7);
	EXPECT_OK(db_session_get(f->db, p1.session_id, &ses, err));
	assert_string_equal(ses.ended_at, "2024-01-01T00:00:00Z");
	assert_string_equal(ses.end_reason, "");
	EXPECT_OK(db_session_end(f->db, p2.session_id, "codec refused", err));
	EXPECT_OK(db_session_get(f->db, p2.session_id, &ses, err));
	assert_string_equal(ses.end_reason, "codec refused");
}

/* Every password change moves the generation on by one, exactly. */
static void
test_token_gen(void **state)
{
	struct fix *f = *state;
	struct db_user u, v;
	int64_t id;

	EXPECT_OK(
	    db_user_create(f->db, "third", "third secret", NULL, 0, &id, err));
	EXPECT_OK(db_user_get(f->db, id, &u, err));
	assert_true(u.token_gen == 0);
	EXPECT_OK(db_user_set_password(f->db, id, "another secret", err));
	EXPECT_OK(db_user_set_password(f->db, id, "and another one", err));
	EXPECT_OK(db_user_get(f->db, id, &v, err));
	assert_true(v.token_gen == 2);
	/* verify reports it too: a token is issued from what verify gave */
	EXPECT_OK(db_user_verify(f->db, "third", "and another one", &v, err));
	assert_true(v.token_gen == 2);
	/* a refused password moves nothing */
	EXPECT_FAIL(db_user_set_password(f->db, id, "short", err), DB_EINVAL,
	    "password");
	EXPECT_OK(db_user_get(f->db, id, &v, err));
	assert_true(v.token_gen == 2);
	/* another user's generation is their own */
	EXPECT_OK(db_user_get_by_name(f->db, "admin", &u, err));
	assert_true(u.token_gen == 0);
}

static void
test_newer_schema_refused(void **state)
{
	struct fix *f = *state;
	struct db *db = NULL;
	struct db_err e;
	sqlite3 *sq;

	sq = raw_open(f->path);
	assert_int_equal(sqlite3_exec(sq,
	                     "INSERT INTO schema_migrations (version) "
	                     "VALUES (99)",
	                     NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(sq);
	assert_int_equal(db_open(f->path, &db, NULL, &e), -1);
	assert_null(db);
	assert_int_equal(e.code, DB_EIO);
	assert_non_null(strstr(e.msg, "newer"));
}

static void
test_open_missing_dir(void **state)
{
	struct db *db = NULL;
	struct db_err e;

	assert_int_equal(
	    db_open("/nonexistent-nyon-dir/nyon.db", &db, NULL, &e), -1);
	assert_null(db);
	assert_int_equal(e.code, DB_EIO);
}

static void
test_wal_and_file_mode(void **state)
{
	struct fix *f = *state;
	struct stat sb;
	char mode[16];
	sqlite3 *sq;

	sq = raw_open(f->path);
	raw_text(sq, "PRAGMA journal_mode", mode, sizeof(mode));
	assert_string_equal(mode, "wal");
	sqlite3_close(sq);
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
}

static void
test_foreign_keys_cascade(void **state)
{
	struct fix *f = *state;
	struct db_stream s;
	struct db_publish p;
	struct db_session ses;
	int64_t id;
	sqlite3 *sq;

	id = mkstream(f->db, "cascade", NULL, "cascade_key");
	EXPECT_OK(db_publish_check(
	    f->db, "cascade_key", "rtmp", "10.0.0.2", "c1", &p, err));
	EXPECT_OK(db_session_get(f->db, p.session_id, &ses, err));
	EXPECT_OK(db_stream_delete(f->db, id, err));
	EXPECT_FAIL(db_stream_get(f->db, id, &s, err), DB_ENOENT, "");
	EXPECT_FAIL(
	    db_session_get(f->db, p.session_id, &ses, err), DB_ENOENT, "");
	sq = raw_open(f->path);
	assert_int_equal(raw_int(sq, "SELECT count(*) FROM sessions"), 0);
	sqlite3_close(sq);
	EXPECT_FAIL(db_stream_delete(f->db, id, err), DB_ENOENT, "");
}

static void
test_admin_generated(void **state)
{
	struct fix *f = *state;
	struct db_user u;
	struct db_err e;
	size_t i;

	assert_int_equal(f->info.admin_created, 1);
	assert_int_equal(f->info.generated, 1);
	assert_int_equal(strlen(f->info.password), DB_PASS_GEN);
	for (i = 0; i < DB_PASS_GEN; i++)
		assert_non_null(strchr("abcdefghijkmnpqrstuvwxyz"
		                       "ABCDEFGHJKLMNPQRSTUVWXYZ23456789",
		    f->info.password[i]));
	EXPECT_OK(db_user_get_by_name(f->db, "admin", &u, err));
	assert_int_equal(u.must_change_password, 1);
	assert_true(matches(TIME_RE, u.created_at));
	memset(&u, 0, sizeof(u));
	EXPECT_OK(db_user_verify(f->db, "admin", f->info.password, &u, err));
	assert_string_equal(u.username, "admin");
	assert_int_equal(u.must_change_password, 1);

	assert_int_equal(
	    db_user_verify(f->db, "admin", "wrong password", &u, &e), -1);
	assert_int_equal(e.code, DB_EAUTH);
	assert_int_equal(u.id, 0);
	assert_int_equal(
	    db_user_verify(f->db, "nobody", f->info.password, NULL, &e), -1);
	assert_int_equal(e.code, DB_EAUTH);
	assert_string_equal(e.msg, "invalid username or password");
	assert_int_equal(db_user_verify(f->db, "admin", NULL, NULL, &e), -1);
	assert_int_equal(e.code, DB_EAUTH);

	/* two first opens generate different passwords */
	{
		struct fix g;
		struct db *db;
		struct db_open_info info;

		fix_paths(&g);
		assert_int_equal(db_open(g.path, &db, &info, &e), 0);
		assert_int_equal(info.generated, 1);
		assert_string_not_equal(info.password, f->info.password);
		db_close(db);
		fix_rm(&g);
	}
}

static void
test_admin_env_password(void **state)
{
	struct fix g;
	struct db *db = NULL;
	struct db_open_info info;
	struct db_user u;
	struct db_err e;

	setenv("DEFAULT_ADMIN_PASSWORD", "correct horse battery", 1);
	fix_paths(&g);
	assert_int_equal(db_open(g.path, &db, &info, &e), 0);
	assert_int_equal(info.admin_created, 1);
	assert_int_equal(info.generated, 0);
	assert_string_equal(info.password, "");
	EXPECT_OK(
	    db_user_verify(db, "admin", "correct horse battery", &u, err));
	assert_int_equal(u.must_change_password, 1);
	db_close(db);
	fix_rm(&g);

	/* too short: refused rather than a weak admin */
	setenv("DEFAULT_ADMIN_PASSWORD", "short", 1);
	fix_paths(&g);
	db = NULL;
	assert_int_equal(db_open(g.path, &db, &info, &e), -1);
	assert_null(db);
	assert_int_equal(e.code, DB_EINVAL);
	assert_string_equal(e.field, "DEFAULT_ADMIN_PASSWORD");
	fix_rm(&g);
	unsetenv("DEFAULT_ADMIN_PASSWORD");
}

static void
test_passwords(void **state)
{
	struct fix *f = *state;
	struct db_user u, v;
	char hash[256];
	sqlite3 *sq;
	int64_t id;

	EXPECT_OK(db_user_get_by_name(f->db, "admin", &u, err));
	EXPECT_FAIL(db_user_set_password(f->db, u.id, "short", err), DB_EINVAL,
	    "password");
	EXPECT_FAIL(db_user_set_password(f->db, 9999, "long enough pw", err),
	    DB_ENOENT, "");
	EXPECT_OK(db_user_set_password(f->db, u.id, "new secret pw", err));
	EXPECT_OK(db_user_get(f->db, u.id, &v, err));
	assert_int_equal(v.must_change_password, 0);
	EXPECT_FAIL(db_user_verify(f->db, "admin", f->info.password, NULL, err),
	    DB_EAUTH, "");
	EXPECT_OK(db_user_verify(f->db, "admin", "new secret pw", NULL, err));
	EXPECT_FAIL(db_user_verify(f->db, "admin", "new secret pW", NULL, err),
	    DB_EAUTH, "");

	/* yescrypt, salted: the same password twice hashes differently */
	EXPECT_OK(db_user_create(
	    f->db, "second", "new secret pw", "a@b.org", 0, &id, err));
	sq = raw_open(f->path);
	raw_text(sq, "SELECT password_hash FROM users WHERE username='admin'",
	    hash, sizeof(hash));
	assert_true(strncmp(hash, "$y$", 3) == 0);
	assert_null(strstr(hash, "new secret pw"));
	assert_int_equal(
	    raw_int(sq, "SELECT count(DISTINCT password_hash) FROM users"), 2);
	sqlite3_close(sq);
}

static void
test_user_create(void **state)
{
	struct fix *f = *state;
	struct db_user u;
	int64_t id;

	EXPECT_OK(
	    db_user_create(f->db, "op.er-1", "password1", NULL, 1, &id, err));
	EXPECT_OK(db_user_get(f->db, id, &u, err));
	assert_string_equal(u.username, "op.er-1");
	assert_string_equal(u.email, "");
	EXPECT_FAIL(
	    db_user_create(f->db, "op.er-1", "password1", NULL, 1, NULL, err),
	    DB_EEXIST, "username");
	EXPECT_FAIL(
	    db_user_create(f->db, "a b", "password1", NULL, 1, NULL, err),
	    DB_EINVAL, "username");
	EXPECT_FAIL(
	    db_user_create(f->db, "ab", "password1", NULL, 1, NULL, err),
	    DB_EINVAL, "username");
	EXPECT_FAIL(
	    db_user_create(f->db, "x'--", "password1", NULL, 1, NULL, err),
	    DB_EINVAL, "username");
	EXPECT_FAIL(db_user_create(f->db, "bob", "pw", NULL, 1, NULL, err),
	    DB_EINVAL, "password");
	EXPECT_FAIL(
	    db_user_create(f->db, "bob", "password1", "no-at", 1, NULL, err),
	    DB_EINVAL, "email");
	EXPECT_FAIL(db_user_get_by_name(f->db, "bob", &u, err), DB_ENOENT, "");
	EXPECT_FAIL(db_user_get(f->db, 12345, &u, err), DB_ENOENT, "");
}

static void
test_stream_rules(void **state)
{
	struct fix *f = *state;
	struct db_stream_set set;
	struct db_stream s;
	struct db_err e;
	char name[DB_NAME_SZ + 8], key[DB_KEY_SZ + 8], desc[DB_DESC_SZ + 8];
	size_t i;

	/* the messages name the field, as in the issue */
	set = (struct db_stream_set){.set = DB_SET_NAME, .name = "ab"};
	assert_int_equal(db_stream_create(f->db, &set, &s, &e), -1);
	assert_int_equal(e.code, DB_EINVAL);
	assert_string_equal(e.field, "name");
	assert_string_equal(e.msg, "name: must be 3 to 100 characters");

	set = (struct db_stream_set){.set = DB_SET_NAME | DB_SET_BITRATE,
	    .name = "abc",
	    .max_bitrate = 99};
	assert_int_equal(db_stream_create(f->db, &set, &s, &e), -1);
	assert_string_equal(
	    e.msg, "max_bitrate: must be between 100 and 50000");
	set.max_bitrate = 50001;
	EXPECT_FAIL(
	    db_stream_create(f->db, &set, &s, err), DB_EINVAL, "max_bitrate");
	set.max_bitrate = 0;
	EXPECT_FAIL(
	    db_stream_create(f->db, &set, &s, err), DB_EINVAL, "max_bitrate");

	set = (struct db_stream_set){.set = DB_SET_NAME | DB_SET_PROTOCOL,
	    .name = "abc",
	    .protocol = "http"};
	assert_int_equal(db_stream_create(f->db, &set, &s, &e), -1);
	assert_string_equal(e.msg, "protocol: must be rtmp, srt or both");
	set.protocol = NULL;
	EXPECT_FAIL(
	    db_stream_create(f->db, &set, &s, err), DB_EINVAL, "protocol");

	/* names: trimmed, 3..100 characters (not bytes), printable */
	set = (struct db_stream_set){.set = DB_SET_NAME, .name = NULL};
	EXPECT_FAIL(db_stream_create(f->db, &set, &s, err), DB_EINVAL, "name");
	set.name = "   ab   ";
	EXPECT_FAIL(db_stream_create(f->db, &set, &s, err), DB_EINVAL, "name");
	set.name = "bad\x01name";
	EXPECT_FAIL(db_stream_create(f->db, &set, &s, err), DB_EINVAL, "name");
	set.name = "line\nbreak";
	EXPECT_FAIL(db_stream_create(f->db, &set, &s, err), DB_EINVAL, "name");
	set.name = "bad \xff utf8";
	EXPECT_FAIL(db_stream_create(f->db, &set, &s, err), DB_EINVAL, "name");
	set.name = "overlong \xc0\xaf";
	EXPECT_FAIL(db_stream_create(f->db, &set, &s, err), DB_EINVAL, "name");
	memset(name, 'n', 101);
	name[101] = '\0';
	set.name = name;
	EXPECT_FAIL(db_stream_create(f->db, &set, &s, err), DB_EINVAL, "name");
	name[100] = '\0';
	EXPECT_OK(db_stream_create(f->db, &set, &s, err));
	assert_int_equal(strlen(s.name), 100);
	for (i = 0; i < 100; i++)
		memcpy(name + 2 * i, "\xc3\xa9", 2); /* é */
	name[200] = '\0';
	EXPECT_OK(db_stream_create(f->db, &set, &s, err));
	assert_string_equal(s.name, name);
	set.name = "  Trimmed  Name \t";
	EXPECT_OK(db_stream_create(f->db, &set, &s, err));
	assert_string_equal(s.name, "Trimmed  Name");
	/* the defaults */
	assert_string_equal(s.protocol, "both");
	assert_int_equal(s.is_active, 1);
	assert_int_equal(s.max_bitrate, 5000);
	assert_string_equal(s.description, "");
	assert_true(matches(TIME_RE, s.created_at));
	assert_true(matches(TIME_RE, s.updated_at));

	/* custom keys: [A-Za-z0-9_-]{3,100} */
	set = (struct db_stream_set){
	    .set = DB_SET_NAME | DB_SET_KEY, .name = "keyed"};
	set.stream_key = "ab";
	EXPECT_FAIL(
	    db_stream_create(f->db, &set, &s, err), DB_EINVAL, "stream_key");
	set.stream_key = "has space";
	EXPECT_FAIL(
	    db_stream_create(f->db, &set, &s, err), DB_EINVAL, "stream_key");
	set.stream_key = "semi;colon";
	EXPECT_FAIL(
	    db_stream_create(f->db, &set, &s, err), DB_EINVAL, "stream_key");
	set.stream_key = "";
	EXPECT_FAIL(
	    db_stream_create(f->db, &set, &s, err), DB_EINVAL, "stream_key");
	memset(key, 'k', 101);
	key[101] = '\0';
	set.stream_key = key;
	EXPECT_FAIL(
	    db_stream_create(f->db, &set, &s, err), DB_EINVAL, "stream_key");
	key[100] = '\0';
	EXPECT_OK(db_stream_create(f->db, &set, &s, err));
	assert_string_equal(s.stream_key, key);
	set.name = "keyed2";
	set.stream_key = "Az09_-";
	EXPECT_OK(db_stream_create(f->db, &set, &s, err));
	assert_string_equal(s.stream_key, "Az09_-");

	/* description: at most 500 characters, newlines allowed */
	set = (struct db_stream_set){
	    .set = DB_SET_NAME | DB_SET_DESC, .name = "described"};
	memset(desc, 'd', 501);
	desc[501] = '\0';
	set.description = desc;
	EXPECT_FAIL(
	    db_stream_create(f->db, &set, &s, err), DB_EINVAL, "description");
	set.description = "esc\x1b[31m sequence";
	EXPECT_FAIL(
	    db_stream_create(f->db, &set, &s, err), DB_EINVAL, "description");
	set.description = "two\nlines";
	EXPECT_OK(db_stream_create(f->db, &set, &s, err));
	assert_string_equal(s.description, "two\nlines");

	/* nothing refused was stored */
	{
		struct db_stream *list;
		size_t n;

		EXPECT_OK(db_stream_list(f->db, -1, NULL, &list, &n, err));
		assert_int_equal(n, 6);
		free(list);
	}
}

static void
test_generated_key(void **state)
{
	struct fix *f = *state;
	struct db_stream_set set = {.set = DB_SET_NAME};
	struct db_stream s;
	char key[DB_KEY_SZ], key2[DB_KEY_SZ], name[DB_NAME_SZ];

	set.name = "My  Stream!! 2024";
	EXPECT_OK(db_stream_create(f->db, &set, &s, err));
	assert_true(matches("^my_stream_2024_[0-9a-f]{32}$", s.stream_key));

	set.name = "__Über--Cam__";
	EXPECT_OK(db_stream_create(f->db, &set, &s, err));
	assert_true(matches("^ber_cam_[0-9a-f]{32}$", s.stream_key));

	set.name = "!!!";
	EXPECT_OK(db_stream_create(f->db, &set, &s, err));
	assert_true(matches("^stream_[0-9a-f]{32}$", s.stream_key));

	memset(name, 'x', 100);
	name[100] = '\0';
	set.name = name;
	EXPECT_OK(db_stream_create(f->db, &set, &s, err));
	assert_int_equal(strlen(s.stream_key), 100);
	assert_true(matches("^x{67}_[0-9a-f]{32}$", s.stream_key));

	/* a set key of NULL also means "generate" */
	set = (struct db_stream_set){.set = DB_SET_NAME | DB_SET_KEY,
	    .name = "null key",
	    .stream_key = NULL};
	EXPECT_OK(db_stream_create(f->db, &set, &s, err));
	assert_true(matches("^null_key_[0-9a-f]{32}$", s.stream_key));

	db_stream_gen_key("same", key);
	db_stream_gen_key("same", key2);
	assert_string_not_equal(key, key2);
	assert_true(matches("^[A-Za-z0-9_-]{3,100}$", key));
}

static void
test_duplicates(void **state)
{
	struct fix *f = *state;
	struct db_stream_set set;
	struct db_stream s;
	struct db_err e;
	int64_t id;

	mkstream(f->db, "taken", NULL, "taken_key");
	set = (struct db_stream_set){.set = DB_SET_NAME, .name = "taken"};
	assert_int_equal(db_stream_create(f->db, &set, &s, &e), -1);
	assert_int_equal(e.code, DB_EEXIST);
	assert_string_equal(e.field, "name");
	assert_string_equal(e.msg, "name: already in use");

	set = (struct db_stream_set){.set = DB_SET_NAME | DB_SET_KEY,
	    .name = "other",
	    .stream_key = "taken_key"};
	assert_int_equal(db_stream_create(f->db, &set, &s, &e), -1);
	assert_int_equal(e.code, DB_EEXIST);
	assert_string_equal(e.msg, "stream_key: already in use");

	/* trimming happens before the comparison */
	set = (struct db_stream_set){.set = DB_SET_NAME, .name = " taken "};
	EXPECT_FAIL(db_stream_create(f->db, &set, &s, err), DB_EEXIST, "name");

	/* and updates are held to the same rules */
	id = mkstream(f->db, "free", NULL, NULL);
	set = (struct db_stream_set){.set = DB_SET_NAME, .name = "taken"};
	EXPECT_FAIL(
	    db_stream_update(f->db, id, &set, &s, err), DB_EEXIST, "name");
	set = (struct db_stream_set){
	    .set = DB_SET_KEY, .stream_key = "taken_key"};
	EXPECT_FAIL(db_stream_update(f->db, id, &set, &s, err), DB_EEXIST,
	    "stream_key");
	EXPECT_OK(db_stream_get(f->db, id, &s, err));
	assert_string_equal(s.name, "free");
}

static void
test_literal_names(void **state)
{
	static const char *const names[] = {
	    "O'Brien's \"live\" show",
	    "'; DROP TABLE streams;--",
	    "Robert'); DROP TABLE streams;--",
	    "%s %n %d \\ backslash",
	    "<img src=x onerror=alert(1)>",
	};
	struct fix *f = *state;
	struct db_stream_set set = {.set = DB_SET_NAME | DB_SET_DESC};
	struct db_stream s, *list;
	size_t i, n;

	for (i = 0; i < nitems(names); i++) {
		set.name = names[i];
		set.description = names[i];
		EXPECT_OK(db_stream_create(f->db, &set, &s, err));
		assert_string_equal(s.name, names[i]);
		memset(&s, 0, sizeof(s));
		EXPECT_OK(db_stream_get_by_name(f->db, names[i], &s, err));
		assert_string_equal(s.name, names[i]);
		assert_string_equal(s.description, names[i]);
	}
	EXPECT_OK(db_stream_list(f->db, -1, NULL, &list, &n, err));
	assert_int_equal(n, nitems(names));
	free(list);
	EXPECT_FAIL(db_stream_get_by_name(f->db, "' OR '1'='1", &s, err),
	    DB_ENOENT, "");
	EXPECT_FAIL(
	    db_stream_get_by_key(f->db, "' OR '1'='1", &s, err), DB_ENOENT, "");
}

static void
test_stream_update(void **state)
{
	struct fix *f = *state;
	struct db_stream_set set;
	struct db_stream s, before;
	struct db_publish p;
	char key[DB_KEY_SZ];
	int64_t id;

	id = mkstream(f->db, "upd", "rtmp", "upd_key");
	EXPECT_OK(db_stream_get(f->db, id, &before, err));

	set = (struct db_stream_set){.set = DB_SET_DESC | DB_SET_BITRATE,
	    .description = "now described",
	    .max_bitrate = 2500};
	EXPECT_OK(db_stream_update(f->db, id, &set, &s, err));
	assert_string_equal(s.description, "now described");
	assert_int_equal(s.max_bitrate, 2500);
	assert_string_equal(s.name, "upd");
	assert_string_equal(s.stream_key, "upd_key");
	assert_string_equal(s.protocol, "rtmp");
	assert_int_equal(s.is_active, 1);
	assert_string_equal(s.created_at, before.created_at);
	assert_true(matches(TIME_RE, s.updated_at));

	/* an empty update changes nothing */
	before = s;
	set = (struct db_stream_set){.set = 0};
	EXPECT_OK(db_stream_update(f->db, id, &set, &s, err));
	assert_string_equal(s.updated_at, before.updated_at);
	assert_int_equal(s.max_bitrate, 2500);
	EXPECT_OK(db_stream_update(f->db, id, &set, NULL, err));
	EXPECT_FAIL(
	    db_stream_update(f->db, 999, &set, NULL, err), DB_ENOENT, "");

	/* a refused field leaves the whole row alone */
	set = (struct db_stream_set){.set = DB_SET_NAME | DB_SET_PROTOCOL,
	    .name = "renamed",
	    .protocol = "udp"};
	EXPECT_FAIL(
	    db_stream_update(f->db, id, &set, &s, err), DB_EINVAL, "protocol");
	EXPECT_OK(db_stream_get(f->db, id, &s, err));
	assert_string_equal(s.name, "upd");

	set = (struct db_stream_set){
	    .set = DB_SET_NAME | DB_SET_PROTOCOL | DB_SET_DESC,
	    .name = "renamed",
	    .protocol = "srt",
	    .description = NULL};
	EXPECT_OK(db_stream_update(f->db, id, &set, NULL, err));
	EXPECT_OK(db_stream_get_by_name(f->db, "renamed", &s, err));
	assert_string_equal(s.protocol, "srt");
	assert_string_equal(s.description, "");
	assert_string_equal(s.stream_key, "upd_key"); /* renaming keeps it */

	EXPECT_OK(db_stream_set_active(f->db, id, 0, err));
	EXPECT_OK(db_stream_get(f->db, id, &s, err));
	assert_int_equal(s.is_active, 0);
	EXPECT_OK(db_stream_set_active(f->db, id, 1, err));

	EXPECT_OK(db_stream_regen_key(f->db, id, key, err));
	assert_true(matches("^renamed_[0-9a-f]{32}$", key));
	EXPECT_OK(db_stream_get_by_key(f->db, key, &s, err));
	assert_int_equal(s.id, id);
	EXPECT_FAIL(
	    db_stream_get_by_key(f->db, "upd_key", &s, err), DB_ENOENT, "");
	EXPECT_FAIL(
	    db_publish_check(f->db, "upd_key", "srt", "1.2.3.4", "c", &p, err),
	    DB_EPERM, "");
	EXPECT_OK(db_publish_check(f->db, key, "srt", "1.2.3.4", "c", &p, err));

	set = (struct db_stream_set){.set = DB_SET_BITRATE, .max_bitrate = 1};
	EXPECT_FAIL(db_stream_update(f->db, 999, &set, &s, err), DB_ENOENT, "");
	set.max_bitrate = 1000;
	EXPECT_FAIL(db_stream_update(f->db, 999, &set, &s, err), DB_ENOENT, "");
	EXPECT_FAIL(db_stream_set_active(f->db, 999, 1, err), DB_ENOENT, "");
	EXPECT_FAIL(db_stream_regen_key(f->db, 999, key, err), DB_ENOENT, "");
}

static void
test_stream_list(void **state)
{
	struct fix *f = *state;
	struct db_stream *list;
	size_t n;
	int64_t off;

	mkstream(f->db, "b-rtmp", "rtmp", NULL);
	mkstream(f->db, "c-srt", "srt", NULL);
	mkstream(f->db, "a-both", "both", NULL);
	off = mkstream(f->db, "d-off", "rtmp", NULL);
	EXPECT_OK(db_stream_set_active(f->db, off, 0, err));

	EXPECT_OK(db_stream_list(f->db, -1, NULL, &list, &n, err));
	assert_int_equal(n, 4);
	assert_string_equal(list[0].name, "a-both"); /* by name */
	assert_string_equal(list[3].name, "d-off");
	free(list);
	EXPECT_OK(db_stream_list(f->db, 1, NULL, &list, &n, err));
	assert_int_equal(n, 3);
	free(list);
	EXPECT_OK(db_stream_list(f->db, 0, NULL, &list, &n, err));
	assert_int_equal(n, 1);
	assert_string_equal(list[0].name, "d-off");
	free(list);
	EXPECT_OK(db_stream_list(f->db, -1, "rtmp", &list, &n, err));
	assert_int_equal(n, 2);
	free(list);
	EXPECT_OK(db_stream_list(f->db, 1, "rtmp", &list, &n, err));
	assert_int_equal(n, 1);
	assert_string_equal(list[0].name, "b-rtmp");
	free(list);
	EXPECT_OK(db_stream_list(f->db, -1, "srt", &list, &n, err));
	assert_int_equal(n, 1);
	free(list);
	EXPECT_FAIL(db_stream_list(f->db, -1, "hls", &list, &n, err), DB_EINVAL,
	    "protocol");
	assert_null(list);
	assert_int_equal(n, 0);
}

static void
test_publish(void **state)
{
	struct fix *f = *state;
	struct db_publish p;
	struct db_session ses;
	struct db_err e;
	int64_t off;

	mkstream(f->db, "rtmp only", "rtmp", "rtmp_key");
	mkstream(f->db, "srt only", "srt", "srt_key");
	mkstream(f->db, "either", NULL, "either_key");
	off = mkstream(f->db, "disabled", NULL, "off_key");
	EXPECT_OK(db_stream_set_active(f->db, off, 0, err));

	assert_int_equal(db_publish_check(f->db, "no_such_key", "rtmp",
	                     "10.0.0.1", "c1", &p, &e),
	    -1);
	assert_int_equal(e.code, DB_EPERM);
	assert_string_equal(e.msg, "unknown key");
	assert_int_equal(db_publish_check(f->db, "bad key!", "rtmp", "10.0.0.1",
	                     "c1", &p, &e),
	    -1);
	assert_string_equal(e.msg, "unknown key");
	assert_int_equal(
	    db_publish_check(f->db, NULL, "rtmp", "10.0.0.1", "c1", &p, &e),
	    -1);
	assert_string_equal(e.msg, "unknown key");
	assert_int_equal(db_publish_check(f->db, "off_key", "rtmp", "10.0.0.1",
	                     "c1", &p, &e),
	    -1);
	assert_int_equal(e.code, DB_EPERM);
	assert_string_equal(e.msg, "stream disabled");
	assert_int_equal(db_publish_check(f->db, "rtmp_key", "srt", "10.0.0.1",
	                     "c1", &p, &e),
	    -1);
	assert_string_equal(e.msg, "protocol not allowed");
	assert_int_equal(db_publish_check(f->db, "srt_key", "rtmp", "10.0.0.1",
	                     "c1", &p, &e),
	    -1);
	assert_string_equal(e.msg, "protocol not allowed");
	EXPECT_FAIL(db_publish_check(
	                f->db, "either_key", "http", "10.0.0.1", "c1", &p, err),
	    DB_EINVAL, "proto");
	EXPECT_FAIL(db_publish_check(
	                f->db, "either_key", "both", "10.0.0.1", "c1", &p, err),
	    DB_EINVAL, "proto");

	/* refusals opened nothing */
	{
		struct db_session *list;
		size_t n;

		EXPECT_OK(db_session_list(f->db, 0, 100, &list, &n, err));
		assert_int_equal(n, 0);
		free(list);
	}

	EXPECT_OK(db_publish_check(
	    f->db, "rtmp_key", "rtmp", "10.0.0.1", "rtmp-7", &p, err));
	assert_string_equal(p.stream_name, "rtmp only");
	assert_int_equal(p.max_bitrate, 5000);
	assert_true(p.session_id > 0);
	EXPECT_OK(db_session_get(f->db, p.session_id, &ses, err));
	assert_int_equal(ses.stream_id, p.stream_id);
	assert_string_equal(ses.stream_name, "rtmp only");
	assert_string_equal(ses.protocol, "rtmp");
	assert_string_equal(ses.ip_address, "10.0.0.1");
	assert_string_equal(ses.client_id, "rtmp-7");
	assert_true(matches(TIME_RE, ses.started_at));
	assert_string_equal(ses.ended_at, "");

	/* "both" allows either, and the session records the real one */
	EXPECT_OK(db_publish_check(
	    f->db, "either_key", "srt", "2001:db8::1", "srt-1", &p, err));
	EXPECT_OK(db_session_get(f->db, p.session_id, &ses, err));
	assert_string_equal(ses.protocol, "srt");
	assert_string_equal(ses.ip_address, "2001:db8::1");
	EXPECT_OK(db_publish_check(
	    f->db, "srt_key", "srt", "10.0.0.3", "srt-2", &p, err));

	/* three open with the default limit of 3 */
	mkstream(f->db, "fourth", NULL, "fourth_key");
	assert_int_equal(db_publish_check(f->db, "fourth_key", "rtmp",
	                     "10.0.0.4", "c", &p, &e),
	    -1);
	assert_int_equal(e.code, DB_EPERM);
	assert_string_equal(e.msg, "too many live streams");
}

static void
test_concurrent_limit(void **state)
{
	struct fix *f = *state;
	struct db_publish a, b, c;
	struct db_err e;

	mkstream(f->db, "one", NULL, "key_one");
	mkstream(f->db, "two", NULL, "key_two");
	mkstream(f->db, "three", NULL, "key_three");
	EXPECT_OK(db_config_set(f->db, "max_concurrent_streams", "2", err));

	EXPECT_OK(
	    db_publish_check(f->db, "key_one", "rtmp", "::1", "a", &a, err));
	EXPECT_OK(
	    db_publish_check(f->db, "key_two", "srt", "::1", "b", &b, err));
	assert_int_equal(
	    db_publish_check(f->db, "key_three", "rtmp", "::1", "c", &c, &e),
	    -1);
	assert_string_equal(e.msg, "too many live streams");
	assert_int_equal(c.session_id, 0);

	/* ending one makes room */
	EXPECT_OK(db_session_end(f->db, a.session_id, NULL, err));
	EXPECT_OK(
	    db_publish_check(f->db, "key_three", "rtmp", "::1", "c", &c, err));

	/* a live stream cannot go live a second time beside itself */
	EXPECT_OK(db_config_set(f->db, "max_concurrent_streams", "3", err));
	assert_int_equal(
	    db_publish_check(f->db, "key_two", "srt", "::1", "b2", &a, &e), -1);
	assert_string_equal(e.msg, "stream already live");
	assert_int_equal(a.session_id, 0);
	EXPECT_OK(
	    db_publish_check(f->db, "key_one", "rtmp", "::1", "d", &a, err));
	/* at the limit, a live stream's second publish says what is wrong */
	assert_int_equal(
	    db_publish_check(f->db, "key_two", "rtmp", "::1", "b3", &b, &e),
	    -1);
	assert_string_equal(e.msg, "stream already live");
	/* ending its session lets it publish again */
	EXPECT_OK(db_session_end_all(f->db, NULL, NULL, err));
	EXPECT_OK(
	    db_publish_check(f->db, "key_two", "rtmp", "::1", "b4", &b, err));
}

static void
test_sessions(void **state)
{
	struct fix *f = *state;
	struct db_publish p1, p2, p3;
	struct db_session ses, *list;
	size_t n;
	int64_t ended, today;

	mkstream(f->db, "ses1", NULL, "s1_key");
	mkstream(f->db, "ses2", NULL, "s2_key");
	EXPECT_OK(db_publish_check(
	    f->db, "s1_key", "rtmp", "1.1.1.1", "a", &p1, err));
	EXPECT_OK(
	    db_publish_check(f->db, "s2_key", "srt", "1.1.1.2", "b", &p2, err));

	EXPECT_OK(db_session_end(
	    f->db, p1.session_id, "over max_bitrate: 3000 kb/s for 10 s", err));
	EXPECT_OK(db_session_get(f->db, p1.session_id, &ses, err));
	assert_true(matches(TIME_RE, ses.ended_at));
	assert_string_equal(
	    ses.end_reason, "over max_bitrate: 3000 kb/s for 10 s");
	/* again: fine, and the first reason stays */
	EXPECT_OK(db_session_end(f->db, p1.session_id, "later", err));
	EXPECT_OK(db_session_get(f->db, p1.session_id, &ses, err));
	assert_string_equal(
	    ses.end_reason, "over max_bitrate: 3000 kb/s for 10 s");
	EXPECT_FAIL(db_session_end(f->db, 4242, NULL, err), DB_ENOENT, "");
	EXPECT_FAIL(db_session_get(f->db, 4242, &ses, err), DB_ENOENT, "");

	EXPECT_OK(db_session_list(f->db, 1, 0, &list, &n, err));
	assert_int_equal(n, 1);
	assert_int_equal(list[0].id, p2.session_id);
	assert_string_equal(list[0].stream_name, "ses2");
	free(list);

	EXPECT_OK(
	    db_publish_check(f->db, "s1_key", "srt", "1.1.1.3", "c", &p3, err));
	EXPECT_OK(db_session_list(f->db, 0, 2, &list, &n, err));
	assert_int_equal(n, 2);
	assert_int_equal(list[0].id, p3.session_id); /* newest first */
	assert_int_equal(list[1].id, p2.session_id);
	free(list);
	EXPECT_OK(db_session_list(f->db, 0, 1000, &list, &n, err));
	assert_int_equal(n, 3);
	free(list);
	EXPECT_FAIL(
	    db_session_list(f->db, 0, 0, &list, &n, err), DB_EINVAL, "limit");
	EXPECT_FAIL(db_session_list(f->db, 0, 1001, &list, &n, err), DB_EINVAL,
	    "limit");

	EXPECT_OK(db_session_count_today(f->db, &today, err));
	assert_int_equal(today, 3);

	EXPECT_OK(db_session_list(f->db, 1, 0, &list, &n, err));
	assert_int_equal(n, 2);
	assert_string_equal(list[0].end_reason, ""); /* open: none */
	free(list);
	EXPECT_OK(
	    db_session_end_all(f->db, "open when authd started", &ended, err));
	assert_int_equal(ended, 2);
	EXPECT_OK(db_session_list(f->db, 1, 0, &list, &n, err));
	assert_int_equal(n, 0);
	free(list);
	EXPECT_OK(db_session_end_all(f->db, NULL, &ended, err));
	assert_int_equal(ended, 0);
	EXPECT_OK(db_session_get(f->db, p3.session_id, &ses, err));
	assert_true(matches(TIME_RE, ses.ended_at));
	assert_string_equal(ses.end_reason, "open when authd started");
	/* a long reason is kept whole up to DB_REASON_SZ - 1 bytes, and
	   never cut inside a character */
	{
		char lng[400];
		size_t i;

		for (i = 0; i + 2 < sizeof(lng); i += 2)
			memcpy(lng + i, "\xc3\xa9", 2); /* é */
		lng[i] = '\0';
		EXPECT_OK(db_publish_check(
		    f->db, "s2_key", "rtmp", "1.1.1.4", "d", &p1, err));
		EXPECT_OK(db_session_end(f->db, p1.session_id, lng, err));
		EXPECT_OK(db_session_get(f->db, p1.session_id, &ses, err));
		assert_int_equal(strlen(ses.end_reason), DB_REASON_SZ - 2);
		assert_memory_equal(ses.end_reason, lng, DB_REASON_SZ - 2);
	}
}

static void
test_stats(void **state)
{
	struct fix *f = *state;
	struct db_stats st;
	struct db_publish p;
	sqlite3 *sq;
	int64_t off;

	EXPECT_OK(db_stats(f->db, &st, err));
	assert_int_equal(st.streams_total, 0);
	assert_int_equal(st.streams_live, 0);
	mkstream(f->db, "st1", NULL, "st1_key");
	mkstream(f->db, "st2", NULL, "st2_key");
	off = mkstream(f->db, "st3", NULL, NULL);
	EXPECT_OK(db_stream_set_active(f->db, off, 0, err));
	EXPECT_OK(
	    db_publish_check(f->db, "st1_key", "rtmp", "::1", "a", &p, err));
	EXPECT_OK(db_session_end(f->db, p.session_id, NULL, err));
	EXPECT_OK(
	    db_publish_check(f->db, "st1_key", "rtmp", "::1", "a", &p, err));
	EXPECT_OK(
	    db_publish_check(f->db, "st2_key", "rtmp", "::1", "b", &p, err));

	/* a session from yesterday is not today's */
	sq = raw_open(f->path);
	assert_int_equal(sqlite3_exec(sq,
	                     "INSERT INTO sessions (stream_id, started_at,"
	                     " ended_at) VALUES (1, '2000-01-01T00:00:00Z',"
	                     " '2000-01-01T01:00:00Z')",
	                     NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(sq);

	EXPECT_OK(db_stats(f->db, &st, err));
	assert_int_equal(st.streams_total, 3);
	assert_int_equal(st.streams_active, 2);
	assert_int_equal(st.streams_live, 2);
	assert_int_equal(st.sessions_today, 3);
}

static void
test_config(void **state)
{
	static const struct {
		const char *key, *value;
	} bad[] = {
	    {"max_concurrent_streams", "0"},
	    {"max_concurrent_streams", "101"},
	    {"max_concurrent_streams", "-1"},
	    {"max_concurrent_streams", "3x"},
	    {"max_concurrent_streams", ""},
	    {"rtmp_port", "0"},
	    {"rtmp_port", "65536"},
	    {"srt_port", " 80"},
	    {"http_port", "+80"},
	    {"api_port", "99999999999999999999"},
	    {"public_ip", "1.2.3"},
	    {"public_ip", "example.org"},
	    {"lan_ip", "192.168.1.300"},
	    {"lan_ip", "fe80::1%eth0"},
	    {"domain", "bad_domain.org"},
	    {"domain", "-lead.org"},
	    {"domain", "trail-.org"},
	    {"domain", "a..b"},
	    {"domain", ".org"},
	    {"domain", "with space.org"},
	    {"domain", "x'; DROP TABLE config;--"},
	};
	static const struct {
		const char *key, *value, *stored;
	} good[] = {
	    {"max_concurrent_streams", "1", "1"},
	    {"max_concurrent_streams", "100", "100"},
	    {"rtmp_port", "1", "1"},
	    {"srt_port", "65535", "65535"},
	    {"http_port", "080", "80"},
	    {"public_ip", "203.0.113.7", "203.0.113.7"},
	    {"public_ip", "2001:db8::7", "2001:db8::7"},
	    {"public_ip", "", ""},
	    {"lan_ip", "192.168.1.20", "192.168.1.20"},
	    {"domain", "stream.example.org", "stream.example.org"},
	    {"domain", "", ""},
	};
	static const char *const defaults[][2] = {
	    {"max_concurrent_streams", "3"},
	    {"lan_ip", ""},
	    {"public_ip", ""},
	    {"domain", ""},
	    {"rtmp_port", "1935"},
	    {"srt_port", "10080"},
	    {"http_port", "8080"},
	    {"api_port", "3000"},
	};
	struct fix *f = *state;
	struct db_config c, *list;
	struct db_err e;
	long long v;
	size_t i, n;

	for (i = 0; i < nitems(defaults); i++) {
		EXPECT_OK(db_config_get(f->db, defaults[i][0], &c, err));
		assert_string_equal(c.value, defaults[i][1]);
		assert_true(strlen(c.description) > 10);
	}
	EXPECT_OK(db_config_list(f->db, &list, &n, err));
	assert_int_equal(n, nitems(defaults));
	free(list);
	EXPECT_OK(db_config_int(f->db, "rtmp_port", &v, err));
	assert_int_equal(v, 1935);

	for (i = 0; i < nitems(bad); i++) {
		if (db_config_set(f->db, bad[i].key, bad[i].value, &e) != -1)
			fail_msg(
			    "%s = '%s' accepted", bad[i].key, bad[i].value);
		assert_int_equal(e.code, DB_EINVAL);
		assert_string_equal(e.field, bad[i].key);
	}
	assert_int_equal(db_config_set(f->db, "rtmp_port", "0", &e), -1);
	assert_string_equal(
	    e.msg, "rtmp_port: must be an integer from 1 to 65535");
	/* nothing refused was stored */
	for (i = 0; i < nitems(defaults); i++) {
		EXPECT_OK(db_config_get(f->db, defaults[i][0], &c, err));
		assert_string_equal(c.value, defaults[i][1]);
	}
	for (i = 0; i < nitems(good); i++) {
		if (db_config_set(f->db, good[i].key, good[i].value, &e) != 0)
			fail_msg("%s = '%s' refused: %s", good[i].key,
			    good[i].value, e.msg);
		EXPECT_OK(db_config_get(f->db, good[i].key, &c, err));
		assert_string_equal(c.value, good[i].stored);
	}
	EXPECT_FAIL(
	    db_config_set(f->db, "no_such", "1", err), DB_ENOENT, "key");
	EXPECT_FAIL(db_config_get(f->db, "no_such", &c, err), DB_ENOENT, "key");
	EXPECT_FAIL(db_config_set(f->db, NULL, "1", err), DB_ENOENT, "key");
	/* setting keeps the description */
	EXPECT_OK(db_config_get(f->db, "http_port", &c, err));
	assert_true(strlen(c.description) > 10);
}

static void
test_integrity(void **state)
{
	struct fix *f = *state;

	EXPECT_OK(db_integrity_check(f->db, err));
}

/* Generates one object with fn and parses it back. */
static yajl_val
json_of(void (*fn)(yajl_gen, const void *, int), const void *row, int flag)
{
	const unsigned char *buf;
	char text[8192];
	size_t len;
	yajl_gen g = yajl_gen_alloc(NULL);
	yajl_val v;

	fn(g, row, flag);
	assert_int_equal(yajl_gen_get_buf(g, &buf, &len), yajl_gen_status_ok);
	assert_true(len < sizeof(text));
	memcpy(text, buf, len);
	text[len] = '\0';
	yajl_gen_free(g);
	v = yajl_tree_parse(text, NULL, 0);
	assert_non_null(v);
	return v;
}

static void
stream_json(yajl_gen g, const void *row, int with_key)
{
	db_stream_json(g, row, with_key);
}

static void
session_json(yajl_gen g, const void *row, int unused)
{
	db_session_json(g, row);
}

static void
test_json(void **state)
{
	struct fix *f = *state;
	struct db_stream_set set = {.set = DB_SET_NAME | DB_SET_KEY,
	    .name = "json \"quoted\"",
	    .stream_key = "json_key"};
	struct db_stream s;
	struct db_session ses;
	struct db_publish p;
	yajl_val v;
	long long i;
	int b;

	EXPECT_OK(db_stream_create(f->db, &set, &s, err));
	v = json_of(stream_json, &s, 1);
	assert_true(json_get_int(v, "id", &i) == 0 && i == s.id);
	assert_string_equal(json_get_str(v, "name"), "json \"quoted\"");
	assert_string_equal(json_get_str(v, "stream_key"), "json_key");
	assert_string_equal(json_get_str(v, "description"), "");
	assert_string_equal(json_get_str(v, "protocol"), "both");
	assert_true(json_get_bool(v, "is_active", &b) == 0 && b == 1);
	assert_true(json_get_int(v, "max_bitrate", &i) == 0 && i == 5000);
	assert_true(matches(TIME_RE, json_get_str(v, "created_at")));
	assert_true(matches(TIME_RE, json_get_str(v, "updated_at")));
	yajl_tree_free(v);
	v = json_of(stream_json, &s, 0);
	assert_null(json_get(v, "stream_key"));
	assert_non_null(json_get_str(v, "name"));
	yajl_tree_free(v);

	EXPECT_OK(
	    db_publish_check(f->db, "json_key", "srt", "::1", "x", &p, err));
	EXPECT_OK(db_session_get(f->db, p.session_id, &ses, err));
	v = json_of(session_json, &ses, 0);
	assert_true(json_get_int(v, "id", &i) == 0 && i == p.session_id);
	assert_true(json_get_int(v, "stream_id", &i) == 0 && i == s.id);
	assert_string_equal(json_get_str(v, "stream_name"), "json \"quoted\"");
	assert_string_equal(json_get_str(v, "client_id"), "x");
	assert_string_equal(json_get_str(v, "ip_address"), "::1");
	assert_string_equal(json_get_str(v, "protocol"), "srt");
	assert_non_null(json_get_str(v, "started_at"));
	assert_true(YAJL_IS_NULL(json_get(v, "ended_at")));
	yajl_tree_free(v);
	EXPECT_OK(db_session_end(f->db, p.session_id, NULL, err));
	EXPECT_OK(db_session_get(f->db, p.session_id, &ses, err));
	v = json_of(session_json, &ses, 0);
	assert_true(matches(TIME_RE, json_get_str(v, "ended_at")));
	yajl_tree_free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_schema_migrations, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_newer_schema_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_wal_and_file_mode, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_foreign_keys_cascade, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_admin_generated, setup, teardown),
	    cmocka_unit_test(test_admin_env_password),
	    cmocka_unit_test_setup_teardown(test_passwords, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_migration_token_gen, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_stream_record, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_migration_end_reason, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_token_gen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_user_create, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stream_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_generated_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_literal_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_stream_update, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stream_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_publish, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_concurrent_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_integrity, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_json, setup, teardown),
	    cmocka_unit_test(test_open_missing_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
