/*
 * The streams table: names, secret keys and what each stream may do.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "nyon.h"
#include "db.h"

#define STREAM_COLS \
	"id, name, stream_key, coalesce(description, ''), protocol," \
	" is_active, max_bitrate, created_at, updated_at, coalesce(record, -1)"

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
	s->record = sqlite3_column_int(st, 9);
}

int db_record_default;

static void
db_stream_bind_record(sqlite3_stmt *st, int i, int record)
{
	if (record < 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int(st, i, record != 0);
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
		if (!db_check_alnum(c))
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
	if (in->set & DB_SET_RECORD)
		s->record = in->record < 0 ? -1 : in->record != 0;
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
	s->record = -1;
	if (db_stream_apply(&set, s, err) == -1)
		goto out;
	if (db_prepare(db,
	        "INSERT INTO streams (name, stream_key, description, protocol,"
	        " is_active, max_bitrate, record) VALUES (?, ?, ?, ?, ?, ?, ?)",
	        &st, err) == -1)
		goto out;
	db_bind_text(st, 1, s->name);
	db_bind_text(st, 2, s->stream_key);
	db_bind_text(st, 3, s->description[0] != '\0' ? s->description : NULL);
	db_bind_text(st, 4, s->protocol);
	sqlite3_bind_int(st, 5, s->is_active);
	sqlite3_bind_int(st, 6, s->max_bitrate);
	db_stream_bind_record(st, 7, s->record);
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
	        " protocol = ?, is_active = ?, max_bitrate = ?, record = ?,"
	        " updated_at = " DB_NOW " WHERE id = ?",
	        &st, err) == -1)
		goto fail;
	db_bind_text(st, 1, s->name);
	db_bind_text(st, 2, s->stream_key);
	db_bind_text(st, 3, s->description[0] != '\0' ? s->description : NULL);
	db_bind_text(st, 4, s->protocol);
	sqlite3_bind_int(st, 5, s->is_active);
	sqlite3_bind_int(st, 6, s->max_bitrate);
	db_stream_bind_record(st, 7, s->record);
	sqlite3_bind_int64(st, 8, id);
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
