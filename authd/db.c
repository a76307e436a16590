/*
 * authd's SQLite store.  Every value reaches SQL through a bound parameter;
 * the only SQL text run with sqlite3_exec is constant (pragmas, migrations,
 * transaction control).  Input is validated here, once, so nyonctl and the
 * REST API refuse the same things with the same words.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <crypt.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "nyon.h"
#include "db.h"

#define DB_NOW "strftime('%Y-%m-%dT%H:%M:%SZ','now')"
#define DB_TODAY "strftime('%Y-%m-%dT00:00:00Z','now')"
#define DB_HASH_SZ 256 /* a yescrypt or bcrypt hash is ~60-80 bytes */

struct db {
	sqlite3 *sq;
	char dummy_hash[DB_HASH_SZ]; /* so unknown users cost a crypt too */
};

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
};

enum db_conf_kind { DBC_INT, DBC_IP, DBC_HOST };

/* The settings db_config_set accepts, and how each is checked. */
static const struct {
	const char *key;
	enum db_conf_kind kind;
	long long min, max;
} db_conf_keys[] = {
    {"max_concurrent_streams", DBC_INT, 1, 100},
    {"lan_ip", DBC_IP, 0, 0},
    {"public_ip", DBC_IP, 0, 0},
    {"domain", DBC_HOST, 0, 0},
    {"rtmp_port", DBC_INT, 1, 65535},
    {"srt_port", DBC_INT, 1, 65535},
    {"http_port", DBC_INT, 1, 65535},
    {"api_port", DBC_INT, 1, 65535},
};

#define STREAM_COLS \
	"id, name, stream_key, coalesce(description, ''), protocol," \
	" is_active, max_bitrate, created_at, updated_at"
#define SESSION_COLS \
	"s.id, s.stream_id, st.name, coalesce(s.client_id, '')," \
	" coalesce(s.ip_address, ''), coalesce(s.protocol, '')," \
	" s.started_at, coalesce(s.ended_at, '')"
#define SESSION_FROM " FROM sessions s JOIN streams st ON st.id = s.stream_id"
#define USER_COLS \
	"id, username, coalesce(email, ''), must_change_password, created_at"

static int db_fail(struct db_err *, int, const char *, const char *, ...)
    __attribute__((format(printf, 4, 5)));

static int
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
static int
db_sqlfail(struct db *db, const char *what, struct db_err *err)
{
	const char *m = sqlite3_errmsg(db->sq);

	log_warnx("db: %s: %s", what, m);
	return db_fail(err, DB_EIO, NULL, "database error: %s", m);
}

/* A failed write: a taken unique value is the caller's fault, not ours. */
static int
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

static int
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
static int
db_exec(struct db *db, const char *sql, struct db_err *err)
{
	if (sqlite3_exec(db->sq, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_sqlfail(db, sql, err);
	return 0;
}

static int
db_begin(struct db *db, struct db_err *err)
{
	/* IMMEDIATE: take the write lock now, so a check-then-write holds. */
	return db_exec(db, "BEGIN IMMEDIATE", err);
}

static int
db_commit(struct db *db, struct db_err *err)
{
	return db_exec(db, "COMMIT", err);
}

static void
db_rollback(struct db *db)
{
	if (!sqlite3_get_autocommit(db->sq))
		sqlite3_exec(db->sq, "ROLLBACK", NULL, NULL, NULL);
}

static void
db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

static void
db_col(sqlite3_stmt *st, int i, char *buf, size_t len)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	strlcpy(buf, s != NULL ? (const char *)s : "", len);
}

/* Runs a statement expected to return one integer. */
/*
 * Steps st to the end, filling a growing array with fill(st, row) per row;
 * finalizes st.  The list functions' common part.
 */
/* Runs a statement that returns no rows, and finalizes it. */
static int
db_step_done(
    struct db *db, sqlite3_stmt *st, const char *what, struct db_err *err)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_sqlfail(db, what, err);
	return 0;
}

static int
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

static int
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
db_is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

static int
db_is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* Copies s without surrounding ASCII white space; -1 if it does not fit. */
static int
db_trim(const char *s, char *out, size_t len)
{
	size_t n;

	while (db_is_space((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && db_is_space((unsigned char)s[n - 1]))
		n--;
	if (n >= len)
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

static int
db_check_name(const char *in, char out[DB_NAME_SZ], struct db_err *err)
{
	char why[128];

	if (in == NULL || db_trim(in, out, DB_NAME_SZ) == -1)
		return db_fail(err, DB_EINVAL, "name",
		    "must be %d to %d characters", DB_NAME_MIN, DB_NAME_MAX);
	if (stream_name_check(out, why, sizeof(why)) == -1)
		return db_fail(err, DB_EINVAL, "name", "%s", why);
	return 0;
}

static int
db_check_key(const char *key, struct db_err *err)
{
	char why[128];

	if (stream_key_check(key, why, sizeof(why)) == -1)
		return db_fail(err, DB_EINVAL, "stream_key", "%s", why);
	return 0;
}

static int
db_check_protocol(const char *p, struct db_err *err)
{
	if (p == NULL ||
	    (strcmp(p, "rtmp") != 0 && strcmp(p, "srt") != 0 &&
	        strcmp(p, "both") != 0))
		return db_fail(
		    err, DB_EINVAL, "protocol", "must be rtmp, srt or both");
	return 0;
}

static int
db_check_desc(const char *in, char out[DB_DESC_SZ], struct db_err *err)
{
	size_t n;

	if (in == NULL) {
		out[0] = '\0';
		return 0;
	}
	if (db_trim(in, out, DB_DESC_SZ) == -1)
		return db_fail(err, DB_EINVAL, "description",
		    "must be at most %d characters", DB_DESC_MAX);
	if (text_check(out, 1, &n) == -1)
		return db_fail(err, DB_EINVAL, "description",
		    "must be printable text (UTF-8, no control characters)");
	if (n > DB_DESC_MAX)
		return db_fail(err, DB_EINVAL, "description",
		    "must be at most %d characters", DB_DESC_MAX);
	return 0;
}

static int
db_check_username(const char *u, struct db_err *err)
{
	size_t n;

	for (n = 0; u != NULL && u[n] != '\0'; n++)
		if (!db_is_alnum((unsigned char)u[n]) && u[n] != '_' &&
		    u[n] != '-' && u[n] != '.')
			break;
	if (u == NULL || u[n] != '\0' || n < DB_USER_MIN || n > DB_USER_MAX)
		return db_fail(err, DB_EINVAL, "username",
		    "must be %d to %d letters, digits, '.', '_' or '-'",
		    DB_USER_MIN, DB_USER_MAX);
	return 0;
}

static int
db_check_password(const char *field, const char *pw, struct db_err *err)
{
	size_t n = pw != NULL ? strlen(pw) : 0;

	if (n < DB_PASS_MIN || n > DB_PASS_MAX)
		return db_fail(err, DB_EINVAL, field,
		    "must be %d to %d characters", DB_PASS_MIN, DB_PASS_MAX);
	return 0;
}

static int
db_check_email(const char *e, struct db_err *err)
{
	size_t i, n;

	if (e == NULL || *e == '\0')
		return 0;
	n = strlen(e);
	for (i = 0; i < n; i++)
		if ((unsigned char)e[i] <= ' ' || e[i] == 0x7f)
			break;
	if (i < n || n >= DB_EMAIL_SZ || strchr(e, '@') == NULL ||
	    e[0] == '@' || e[n - 1] == '@')
		return db_fail(err, DB_EINVAL, "email",
		    "must be empty or an address like user@example.org");
	return 0;
}

/* Hashes with libxcrypt's preferred method (yescrypt on Debian 12). */
static int
db_hash(const char *pw, char *out, size_t len)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	const char *h;
	int rc = -1;

	if (crypt_gensalt_rn(NULL, 0, NULL, 0, salt, sizeof(salt)) == NULL) {
		log_warn("db: crypt_gensalt");
		return -1;
	}
	cd = xcalloc(1, sizeof(*cd));
	h = crypt_r(pw, salt, cd);
	if (h != NULL && h[0] != '*' && strlcpy(out, h, len) < len)
		rc = 0;
	else
		log_warnx("db: crypt_r failed");
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return rc;
}

static int
db_hash_matches(const char *pw, const char *hash)
{
	struct crypt_data *cd;
	const char *h;
	size_t n = strlen(hash);
	int ok;

	cd = xcalloc(1, sizeof(*cd));
	h = crypt_r(pw, hash, cd);
	ok = h != NULL && h[0] != '*' && strlen(h) == n &&
	    hmac_equal(h, hash, n);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

void
db_gen_password(char *buf, size_t len)
{
	/* no 0/O, 1/l/I: it is read off a terminal and typed in */
	static const char set[] =
	    "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	size_t i;

	if (len == 0)
		return;
	for (i = 0; i + 1 < len; i++)
		buf[i] = set[arc4random_uniform(sizeof(set) - 1)];
	buf[i] = '\0';
}

static int
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

/* The first open makes an admin who must pick a new password. */
static int
db_first_admin(struct db *db, struct db_open_info *info, struct db_err *err)
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
		db_gen_password(pw, sizeof(pw));
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
	if (db_migrate(db, err) == -1 || db_first_admin(db, info, err) == -1)
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

/* users */

static void
db_user_row(sqlite3_stmt *st, struct db_user *u)
{
	u->id = sqlite3_column_int64(st, 0);
	db_col(st, 1, u->username, sizeof(u->username));
	db_col(st, 2, u->email, sizeof(u->email));
	u->must_change_password = sqlite3_column_int(st, 3) != 0;
	db_col(st, 4, u->created_at, sizeof(u->created_at));
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
			db_col(st, 5, hash, hashlen);
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
		    db_hash("not a password", db->dummy_hash,
		        sizeof(db->dummy_hash)) == -1)
			return db_fail(err, DB_EIO, NULL, "cannot hash");
		strlcpy(hash, db->dummy_hash, sizeof(hash));
	}
	ok = db_hash_matches(password != NULL ? password : "", hash);
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
	if (db_hash(password, hash, sizeof(hash)) == -1)
		return db_fail(err, DB_EIO, NULL, "cannot hash password");
	if (db_prepare(db,
	        "UPDATE users SET password_hash = ?, must_change_password = 0"
	        " WHERE id = ?",
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
	if (db_hash(password, hash, sizeof(hash)) == -1)
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

/* streams */

static void
db_stream_row(sqlite3_stmt *st, void *row)
{
	struct db_stream *s = row;

	s->id = sqlite3_column_int64(st, 0);
	db_col(st, 1, s->name, sizeof(s->name));
	db_col(st, 2, s->stream_key, sizeof(s->stream_key));
	db_col(st, 3, s->description, sizeof(s->description));
	db_col(st, 4, s->protocol, sizeof(s->protocol));
	s->is_active = sqlite3_column_int(st, 5) != 0;
	s->max_bitrate = sqlite3_column_int(st, 6);
	db_col(st, 7, s->created_at, sizeof(s->created_at));
	db_col(st, 8, s->updated_at, sizeof(s->updated_at));
}

/* One stream by the column in sql: text if val is not NULL, else id. */
static int
db_stream_fetch(struct db *db, const char *sql, int64_t id, const char *val,
    struct db_stream *s, struct db_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (db_prepare(db, sql, &st, err) == -1)
		return -1;
	if (val != NULL)
		db_bind_text(st, 1, val);
	else
		sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		db_stream_row(st, s);
	else if (rc == SQLITE_DONE)
		db_fail(err, DB_ENOENT, NULL, "no such stream");
	else
		db_sqlfail(db, "stream", err);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
db_stream_get(
    struct db *db, int64_t id, struct db_stream *s, struct db_err *err)
{
	return db_stream_fetch(db,
	    "SELECT " STREAM_COLS " FROM streams WHERE id = ?", id, NULL, s,
	    err);
}

int
db_stream_get_by_name(
    struct db *db, const char *name, struct db_stream *s, struct db_err *err)
{
	if (name == NULL)
		return db_fail(err, DB_ENOENT, NULL, "no such stream");
	return db_stream_fetch(db,
	    "SELECT " STREAM_COLS " FROM streams WHERE name = ?", 0, name, s,
	    err);
}

int
db_stream_get_by_key(
    struct db *db, const char *key, struct db_stream *s, struct db_err *err)
{
	if (key == NULL)
		return db_fail(err, DB_ENOENT, NULL, "no such stream");
	return db_stream_fetch(db,
	    "SELECT " STREAM_COLS " FROM streams WHERE stream_key = ?", 0, key,
	    s, err);
}

int
db_stream_list(struct db *db, int is_active, const char *protocol,
    struct db_stream **list, size_t *n, struct db_err *err)
{
	sqlite3_stmt *st;
	void *rows = NULL;

	*list = NULL;
	*n = 0;
	if (protocol != NULL && db_check_protocol(protocol, err) == -1)
		return -1;
	if (db_prepare(db,
	        "SELECT " STREAM_COLS " FROM streams"
	        " WHERE (?1 < 0 OR is_active = ?1)"
	        " AND (?2 IS NULL OR protocol = ?2) ORDER BY name",
	        &st, err) == -1)
		return -1;
	sqlite3_bind_int(st, 1, is_active < 0 ? -1 : is_active != 0);
	db_bind_text(st, 2, protocol);
	if (db_collect(db, st, sizeof(struct db_stream), db_stream_row, &rows,
	        n, "list streams", err) == -1)
		return -1;
	*list = rows;
	return 0;
}

void
db_stream_gen_key(const char *name, char key[DB_KEY_SZ])
{
	static const char hex[] = "0123456789abcdef";
	/* room for '_' and 32 hex digits */
	const size_t cap = DB_KEY_MAX - 1 - 32;
	unsigned char rnd[16];
	size_t i, n = 0;
	int c;

	for (; name != NULL && *name != '\0' && n < cap; name++) {
		c = (unsigned char)*name;
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (!db_is_alnum(c))
			c = '_';
		if (c == '_' && (n == 0 || key[n - 1] == '_'))
			continue;
		key[n++] = (char)c;
	}
	while (n > 0 && key[n - 1] == '_')
		n--;
	if (n == 0) {
		memcpy(key, "stream", 6);
		n = 6;
	}
	key[n++] = '_';
	arc4random_buf(rnd, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++) {
		key[n++] = hex[rnd[i] >> 4];
		key[n++] = hex[rnd[i] & 0xf];
	}
	key[n] = '\0';
	explicit_bzero(rnd, sizeof(rnd));
}

/* Validates the set fields of in and writes them into row s. */
static int
db_stream_apply(
    const struct db_stream_set *in, struct db_stream *s, struct db_err *err)
{
	if ((in->set & DB_SET_NAME) &&
	    db_check_name(in->name, s->name, err) == -1)
		return -1;
	if ((in->set & DB_SET_KEY) && in->stream_key != NULL) {
		if (db_check_key(in->stream_key, err) == -1)
			return -1;
		strlcpy(s->stream_key, in->stream_key, sizeof(s->stream_key));
	}
	if ((in->set & DB_SET_DESC) &&
	    db_check_desc(in->description, s->description, err) == -1)
		return -1;
	if (in->set & DB_SET_PROTOCOL) {
		if (db_check_protocol(in->protocol, err) == -1)
			return -1;
		strlcpy(s->protocol, in->protocol, sizeof(s->protocol));
	}
	if (in->set & DB_SET_ACTIVE)
		s->is_active = in->is_active != 0;
	if (in->set & DB_SET_BITRATE) {
		if (in->max_bitrate < DB_BITRATE_MIN ||
		    in->max_bitrate > DB_BITRATE_MAX)
			return db_fail(err, DB_EINVAL, "max_bitrate",
			    "must be between %d and %d", DB_BITRATE_MIN,
			    DB_BITRATE_MAX);
		s->max_bitrate = in->max_bitrate;
	}
	if ((in->set & DB_SET_KEY) && in->stream_key == NULL)
		db_stream_gen_key(s->name, s->stream_key);
	return 0;
}

int
db_stream_create(struct db *db, const struct db_stream_set *in,
    struct db_stream *out, struct db_err *err)
{
	struct db_stream *s;
	struct db_stream_set set = *in;
	sqlite3_stmt *st;
	int64_t id;
	int rc = -1, step;

	set.set |= DB_SET_NAME;
	if (!(set.set & DB_SET_KEY)) {
		set.set |= DB_SET_KEY;
		set.stream_key = NULL;
	}
	s = xcalloc(1, sizeof(*s));
	strlcpy(s->protocol, "both", sizeof(s->protocol));
	s->is_active = 1;
	s->max_bitrate = DB_BITRATE_DEF;
	if (db_stream_apply(&set, s, err) == -1)
		goto out;
	if (db_prepare(db,
	        "INSERT INTO streams (name, stream_key, description, protocol,"
	        " is_active, max_bitrate) VALUES (?, ?, ?, ?, ?, ?)",
	        &st, err) == -1)
		goto out;
	db_bind_text(st, 1, s->name);
	db_bind_text(st, 2, s->stream_key);
	db_bind_text(st, 3, s->description[0] != '\0' ? s->description : NULL);
	db_bind_text(st, 4, s->protocol);
	sqlite3_bind_int(st, 5, s->is_active);
	sqlite3_bind_int(st, 6, s->max_bitrate);
	step = sqlite3_step(st);
	sqlite3_finalize(st);
	if (step != SQLITE_DONE) {
		db_stepfail(db, step, "create stream", err);
		goto out;
	}
	id = sqlite3_last_insert_rowid(db->sq);
	rc = out != NULL ? db_stream_get(db, id, out, err) : 0;
out:
	explicit_bzero(s, sizeof(*s));
	free(s);
	return rc;
}

int
db_stream_update(struct db *db, int64_t id, const struct db_stream_set *in,
    struct db_stream *out, struct db_err *err)
{
	struct db_stream *s;
	sqlite3_stmt *st;
	int rc = -1, step;

	s = xcalloc(1, sizeof(*s));
	if (in->set == 0) { /* nothing to change: updated_at stays */
		rc = db_stream_get(db, id, out != NULL ? out : s, err);
		goto out;
	}
	if (db_begin(db, err) == -1)
		goto out;
	if (db_stream_get(db, id, s, err) == -1 ||
	    db_stream_apply(in, s, err) == -1)
		goto fail;
	if (db_prepare(db,
	        "UPDATE streams SET name = ?, stream_key = ?, description = ?,"
	        " protocol = ?, is_active = ?, max_bitrate = ?,"
	        " updated_at = " DB_NOW " WHERE id = ?",
	        &st, err) == -1)
		goto fail;
	db_bind_text(st, 1, s->name);
	db_bind_text(st, 2, s->stream_key);
	db_bind_text(st, 3, s->description[0] != '\0' ? s->description : NULL);
	db_bind_text(st, 4, s->protocol);
	sqlite3_bind_int(st, 5, s->is_active);
	sqlite3_bind_int(st, 6, s->max_bitrate);
	sqlite3_bind_int64(st, 7, id);
	step = sqlite3_step(st);
	sqlite3_finalize(st);
	if (step != SQLITE_DONE) {
		db_stepfail(db, step, "update stream", err);
		goto fail;
	}
	if (out != NULL && db_stream_get(db, id, out, err) == -1)
		goto fail;
	rc = db_commit(db, err);
	goto out;
fail:
	db_rollback(db);
out:
	explicit_bzero(s, sizeof(*s));
	free(s);
	return rc;
}

int
db_stream_delete(struct db *db, int64_t id, struct db_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (db_prepare(db, "DELETE FROM streams WHERE id = ?", &st, err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_sqlfail(db, "delete stream", err);
	if (sqlite3_changes(db->sq) == 0)
		return db_fail(err, DB_ENOENT, NULL, "no such stream");
	return 0;
}

int
db_stream_set_active(
    struct db *db, int64_t id, int is_active, struct db_err *err)
{
	struct db_stream_set set = {
	    .set = DB_SET_ACTIVE, .is_active = is_active};

	return db_stream_update(db, id, &set, NULL, err);
}

int
db_stream_regen_key(
    struct db *db, int64_t id, char key[DB_KEY_SZ], struct db_err *err)
{
	struct db_stream_set set = {.set = DB_SET_KEY, .stream_key = NULL};
	struct db_stream *s;
	int rc;

	s = xcalloc(1, sizeof(*s));
	if ((rc = db_stream_update(db, id, &set, s, err)) == 0)
		strlcpy(key, s->stream_key, DB_KEY_SZ);
	explicit_bzero(s, sizeof(*s));
	free(s);
	return rc;
}

/* publishing */

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
		return db_fail(err, DB_EPERM, NULL, "unknown key");

	s = xcalloc(1, sizeof(*s));
	/* One transaction: the limit must hold against a racing publish. */
	if (db_begin(db, err) == -1)
		goto out;
	if (db_stream_get_by_key(db, key, s, err) == -1) {
		if (err != NULL && err->code == DB_ENOENT)
			db_fail(err, DB_EPERM, NULL, "unknown key");
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

/* sessions */

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
}

int
db_session_end(struct db *db, int64_t id, struct db_err *err)
{
	struct db_session s;
	sqlite3_stmt *st;
	int rc;

	if (db_prepare(db,
	        "UPDATE sessions SET ended_at = " DB_NOW
	        " WHERE id = ? AND ended_at IS NULL",
	        &st, err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_sqlfail(db, "end session", err);
	if (sqlite3_changes(db->sq) == 0)
		return db_session_get(db, id, &s, err); /* ENOENT or ended */
	return 0;
}

int
db_session_end_all(struct db *db, int64_t *n, struct db_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (db_prepare(db,
	        "UPDATE sessions SET ended_at = " DB_NOW
	        " WHERE ended_at IS NULL",
	        &st, err) == -1)
		return -1;
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

/* config */

static int
db_config_index(const char *key)
{
	size_t i;

	for (i = 0; key != NULL && i < nitems(db_conf_keys); i++)
		if (strcmp(db_conf_keys[i].key, key) == 0)
			return (int)i;
	return -1;
}

/* A DNS name: dot-separated labels of letters, digits and inner '-'. */
static int
db_host_ok(const char *h)
{
	size_t n = strlen(h), label = 0, i;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i <= n; i++) {
		if (i == n || h[i] == '.') {
			if (label == 0 || label > 63 || h[i - 1] == '-')
				return 0;
			label = 0;
		} else if (db_is_alnum((unsigned char)h[i]) ||
		    (h[i] == '-' && label > 0))
			label++;
		else
			return 0;
	}
	return 1;
}

static int
db_config_check(
    int k, const char *val, char *out, size_t len, struct db_err *err)
{
	const char *key = db_conf_keys[k].key;
	unsigned char addr[sizeof(struct in6_addr)];
	const char *errstr;
	long long v;
	size_t i;

	switch (db_conf_keys[k].kind) {
	case DBC_INT:
		/* digits only: strtonum alone would take " +80" */
		for (i = 0; val[i] >= '0' && val[i] <= '9'; i++)
			;
		v = 0;
		errstr = "invalid";
		if (i > 0 && i < 12 && val[i] == '\0')
			v = strtonum(val, db_conf_keys[k].min,
			    db_conf_keys[k].max, &errstr);
		if (errstr != NULL)
			return db_fail(err, DB_EINVAL, key,
			    "must be an integer from %lld to %lld",
			    db_conf_keys[k].min, db_conf_keys[k].max);
		snprintf(out, len, "%lld", v);
		return 0;
	case DBC_IP:
		if (*val != '\0' && inet_pton(AF_INET, val, addr) != 1 &&
		    inet_pton(AF_INET6, val, addr) != 1)
			return db_fail(err, DB_EINVAL, key,
			    "must be empty or an IPv4 or IPv6 address");
		break;
	case DBC_HOST:
		if (*val != '\0' && !db_host_ok(val))
			return db_fail(err, DB_EINVAL, key,
			    "must be empty or a host name such as "
			    "stream.example.org");
		break;
	}
	strlcpy(out, val, len);
	return 0;
}

static void
db_config_row(sqlite3_stmt *st, void *row)
{
	struct db_config *c = row;

	db_col(st, 0, c->key, sizeof(c->key));
	db_col(st, 1, c->value, sizeof(c->value));
	db_col(st, 2, c->description, sizeof(c->description));
}

int
db_config_get(
    struct db *db, const char *key, struct db_config *c, struct db_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (key == NULL)
		return db_fail(err, DB_ENOENT, "key", "unknown setting");
	if (db_prepare(db,
	        "SELECT key, coalesce(value, ''), coalesce(description, '')"
	        " FROM config WHERE key = ?",
	        &st, err) == -1)
		return -1;
	db_bind_text(st, 1, key);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		db_config_row(st, c);
	else if (rc == SQLITE_DONE)
		db_fail(err, DB_ENOENT, "key", "unknown setting");
	else
		db_sqlfail(db, "config", err);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
db_config_int(
    struct db *db, const char *key, long long *out, struct db_err *err)
{
	struct db_config c;
	const char *errstr;

	if (db_config_get(db, key, &c, err) == -1)
		return -1;
	*out = strtonum(c.value, 0, INT32_MAX, &errstr);
	if (errstr != NULL)
		return db_fail(err, DB_EIO, key, "stored value is %s", errstr);
	return 0;
}

int
db_config_set(
    struct db *db, const char *key, const char *value, struct db_err *err)
{
	sqlite3_stmt *st;
	char norm[DB_CONF_VAL_SZ];
	int k;

	if ((k = db_config_index(key)) == -1)
		return db_fail(err, DB_ENOENT, "key", "unknown setting");
	if (db_config_check(
	        k, value != NULL ? value : "", norm, sizeof(norm), err) == -1)
		return -1;
	if (db_prepare(db,
	        "INSERT INTO config (key, value) VALUES (?, ?)"
	        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	        &st, err) == -1)
		return -1;
	db_bind_text(st, 1, key);
	db_bind_text(st, 2, norm);
	return db_step_done(db, st, "set config", err);
}

int
db_config_list(
    struct db *db, struct db_config **list, size_t *n, struct db_err *err)
{
	sqlite3_stmt *st;
	void *rows = NULL;

	*list = NULL;
	*n = 0;
	if (db_prepare(db,
	        "SELECT key, coalesce(value, ''), coalesce(description, '')"
	        " FROM config ORDER BY key",
	        &st, err) == -1)
		return -1;
	if (db_collect(db, st, sizeof(struct db_config), db_config_row, &rows,
	        n, "list config", err) == -1)
		return -1;
	*list = rows;
	return 0;
}

/* stats */

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

/* JSON */

void
db_user_json(yajl_gen g, const struct db_user *u)
{
	yajl_gen_map_open(g);
	json_int(g, "id", u->id);
	json_str(g, "username", u->username);
	json_str(g, "email", u->email);
	json_bool(g, "must_change_password", u->must_change_password);
	json_str(g, "created_at", u->created_at);
	yajl_gen_map_close(g);
}

void
db_stream_json_fields(yajl_gen g, const struct db_stream *s, int with_key)
{
	json_int(g, "id", s->id);
	json_str(g, "name", s->name);
	if (with_key)
		json_str(g, "stream_key", s->stream_key);
	json_str(g, "description", s->description);
	json_str(g, "protocol", s->protocol);
	json_bool(g, "is_active", s->is_active);
	json_int(g, "max_bitrate", s->max_bitrate);
	json_str(g, "created_at", s->created_at);
	json_str(g, "updated_at", s->updated_at);
}

void
db_stream_json(yajl_gen g, const struct db_stream *s, int with_key)
{
	yajl_gen_map_open(g);
	db_stream_json_fields(g, s, with_key);
	yajl_gen_map_close(g);
}

void
db_session_json(yajl_gen g, const struct db_session *s)
{
	yajl_gen_map_open(g);
	json_int(g, "id", s->id);
	json_int(g, "stream_id", s->stream_id);
	json_str(g, "stream_name", s->stream_name);
	json_str(g, "client_id", s->client_id);
	json_str(g, "ip_address", s->ip_address);
	json_str(g, "protocol", s->protocol);
	json_str(g, "started_at", s->started_at);
	json_str(g, "ended_at", s->ended_at[0] != '\0' ? s->ended_at : NULL);
	yajl_gen_map_close(g);
}

void
db_config_json(yajl_gen g, const struct db_config *c)
{
	yajl_gen_map_open(g);
	json_str(g, "key", c->key);
	json_str(g, "value", c->value);
	json_str(g, "description", c->description);
	yajl_gen_map_close(g);
}

void
db_stats_json(yajl_gen g, const struct db_stats *s)
{
	yajl_gen_map_open(g);
	json_int(g, "streams_total", s->streams_total);
	json_int(g, "streams_active", s->streams_active);
	json_int(g, "streams_live", s->streams_live);
	json_int(g, "sessions_today", s->sessions_today);
	yajl_gen_map_close(g);
}

/* API tokens (migration 2) */

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

int
db_user_tokens_after(
    struct db *db, int64_t id, int64_t *after, struct db_err *err)
{
	sqlite3_stmt *st;
	int rc;

	*after = INT64_MAX; /* fail closed */
	if (db_prepare(db, "SELECT tokens_after FROM users WHERE id = ?", &st,
	        err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*after = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return db_fail(err, DB_ENOENT, NULL, "no such user");
	if (rc != SQLITE_ROW)
		return db_sqlfail(db, "tokens_after", err);
	return 0;
}

int
db_user_set_tokens_after(
    struct db *db, int64_t id, int64_t after, struct db_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (db_prepare(db, "UPDATE users SET tokens_after = ? WHERE id = ?",
	        &st, err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int64(st, 2, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_sqlfail(db, "set tokens_after", err);
	if (sqlite3_changes(db->sq) == 0)
		return db_fail(err, DB_ENOENT, NULL, "no such user");
	return 0;
}
