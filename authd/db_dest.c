/*
 * The destinations table (migration 6): where fwdd pushes each stream
 * while it is live.  A URL holds the destination's key, a secret: it is
 * checked by lib's desturl rules on the way in and leaves this file whole,
 * for db_dest_json to mask unless the caller asked to reveal it.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "nyon.h"
#include "db.h"

#define DEST_COLS \
	"d.id, d.stream_id, s.name, d.url, d.is_enabled, d.tls_verify," \
	" d.created_at, d.updated_at"
#define DEST_FROM " FROM destinations d JOIN streams s ON s.id = d.stream_id"

static void
db_dest_row(sqlite3_stmt *st, void *row)
{
	struct db_dest *d = row;

	d->id = sqlite3_column_int64(st, 0);
	d->stream_id = sqlite3_column_int64(st, 1);
	db_col(st, 2, d->stream_name, sizeof(d->stream_name));
	db_col(st, 3, d->url, sizeof(d->url));
	d->is_enabled = sqlite3_column_int(st, 4) != 0;
	d->tls_verify = sqlite3_column_int(st, 5) != 0;
	db_col(st, 6, d->created_at, sizeof(d->created_at));
	db_col(st, 7, d->updated_at, sizeof(d->updated_at));
}

int
db_dest_check_url(const char *url, struct db_err *err)
{
	struct desturl u;
	char why[160];

	if (url == NULL)
		return db_fail(err, DB_EINVAL, "url", "required");
	if (desturl_parse(url, &u, why, sizeof(why)) == -1)
		return db_fail(err, DB_EINVAL, "url", "%s", why);
	return 0;
}

int
db_dest_list(struct db *db, int64_t stream_id, int enabled_only,
    struct db_dest **list, size_t *n, struct db_err *err)
{
	sqlite3_stmt *st;
	void *rows = NULL;

	*list = NULL;
	*n = 0;
	if (db_prepare(db,
	        "SELECT " DEST_COLS DEST_FROM
	        " WHERE (?1 = 0 OR d.stream_id = ?1)"
	        " AND (?2 = 0 OR d.is_enabled = 1) ORDER BY s.name, d.id",
	        &st, err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, stream_id);
	sqlite3_bind_int(st, 2, enabled_only != 0);
	if (db_collect(db, st, sizeof(struct db_dest), db_dest_row, &rows, n,
	        "list destinations", err) == -1)
		return -1;
	*list = rows;
	return 0;
}

int
db_dest_get(struct db *db, int64_t id, struct db_dest *d, struct db_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (db_prepare(db, "SELECT " DEST_COLS DEST_FROM " WHERE d.id = ?", &st,
	        err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		db_dest_row(st, d);
	else if (rc == SQLITE_DONE)
		db_fail(err, DB_ENOENT, NULL, "no such destination");
	else
		db_sqlfail(db, "destination", err);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* The destination of stream_id with exactly this URL, if any. */
int
db_dest_find(struct db *db, int64_t stream_id, const char *url,
    struct db_dest *d, struct db_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (db_prepare(db,
	        "SELECT " DEST_COLS DEST_FROM
	        " WHERE d.stream_id = ? AND d.url = ?",
	        &st, err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, stream_id);
	db_bind_text(st, 2, url);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		db_dest_row(st, d);
	else if (rc == SQLITE_DONE)
		db_fail(err, DB_ENOENT, "url",
		    "no destination with that URL for this stream");
	else
		db_sqlfail(db, "destination", err);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int
db_dest_count(struct db *db, int64_t stream_id, int64_t *n, struct db_err *err)
{
	sqlite3_stmt *st;

	if (db_prepare(db,
	        "SELECT count(*) FROM destinations WHERE stream_id = ?", &st,
	        err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, stream_id);
	return db_scalar(db, st, n, err);
}

int
db_dest_create(struct db *db, int64_t stream_id, const char *url,
    int is_enabled, int tls_verify, struct db_dest *out, struct db_err *err)
{
	struct db_dest *d;
	sqlite3_stmt *st;
	int64_t n, id;
	int rc = -1, step;

	if (db_dest_check_url(url, err) == -1)
		return -1;
	d = xcalloc(1, sizeof(*d));
	if (db_begin(db, err) == -1)
		goto out;
	if (db_dest_count(db, stream_id, &n, err) == -1)
		goto fail;
	if (n >= DB_DEST_MAX) {
		db_fail(err, DB_EINVAL, "url",
		    "a stream has at most %d destinations", DB_DEST_MAX);
		goto fail;
	}
	if (db_dest_find(db, stream_id, url, d, NULL) == 0) {
		db_fail(err, DB_EEXIST, "url",
		    "this stream already has that destination (id %lld)",
		    (long long)d->id);
		goto fail;
	}
	if (db_prepare(db,
	        "INSERT INTO destinations (stream_id, url, is_enabled,"
	        " tls_verify) VALUES (?, ?, ?, ?)",
	        &st, err) == -1)
		goto fail;
	sqlite3_bind_int64(st, 1, stream_id);
	db_bind_text(st, 2, url);
	sqlite3_bind_int(st, 3, is_enabled != 0);
	sqlite3_bind_int(st, 4, tls_verify != 0);
	step = sqlite3_step(st);
	sqlite3_finalize(st);
	if (step != SQLITE_DONE) {
		db_stepfail(db, step, "add destination", err);
		goto fail;
	}
	id = sqlite3_last_insert_rowid(db->sq);
	if (out != NULL && db_dest_get(db, id, out, err) == -1)
		goto fail;
	rc = db_commit(db, err);
	goto out;
fail:
	db_rollback(db);
out:
	explicit_bzero(d, sizeof(*d));
	free(d);
	return rc;
}

int
db_dest_update(struct db *db, int64_t id, const struct db_dest_set *in,
    struct db_dest *out, struct db_err *err)
{
	struct db_dest *d, *other;
	sqlite3_stmt *st;
	int rc = -1, step;

	if ((in->set & DB_DEST_SET_URL) &&
	    db_dest_check_url(in->url, err) == -1)
		return -1;
	d = xcalloc(1, sizeof(*d));
	other = xcalloc(1, sizeof(*other));
	if (db_begin(db, err) == -1)
		goto out;
	if (db_dest_get(db, id, d, err) == -1)
		goto fail;
	if (in->set & DB_DEST_SET_URL) {
		if (db_dest_find(db, d->stream_id, in->url, other, NULL) == 0 &&
		    other->id != id) {
			db_fail(err, DB_EEXIST, "url",
			    "this stream already has that destination (id "
			    "%lld)",
			    (long long)other->id);
			goto fail;
		}
		strlcpy(d->url, in->url, sizeof(d->url));
	}
	if (in->set & DB_DEST_SET_ENABLED)
		d->is_enabled = in->is_enabled != 0;
	if (in->set & DB_DEST_SET_VERIFY)
		d->tls_verify = in->tls_verify != 0;
	if (db_prepare(db,
	        "UPDATE destinations SET url = ?, is_enabled = ?,"
	        " tls_verify = ?, updated_at = " DB_NOW " WHERE id = ?",
	        &st, err) == -1)
		goto fail;
	db_bind_text(st, 1, d->url);
	sqlite3_bind_int(st, 2, d->is_enabled);
	sqlite3_bind_int(st, 3, d->tls_verify);
	sqlite3_bind_int64(st, 4, id);
	step = sqlite3_step(st);
	sqlite3_finalize(st);
	if (step != SQLITE_DONE) {
		db_stepfail(db, step, "update destination", err);
		goto fail;
	}
	if (out != NULL && db_dest_get(db, id, out, err) == -1)
		goto fail;
	rc = db_commit(db, err);
	goto out;
fail:
	db_rollback(db);
out:
	explicit_bzero(d, sizeof(*d));
	explicit_bzero(other, sizeof(*other));
	free(d);
	free(other);
	return rc;
}

int
db_dest_delete(struct db *db, int64_t id, struct db_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (db_prepare(db, "DELETE FROM destinations WHERE id = ?", &st, err) ==
	    -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_sqlfail(db, "delete destination", err);
	if (sqlite3_changes(db->sq) == 0)
		return db_fail(err, DB_ENOENT, NULL, "no such destination");
	return 0;
}

int
db_dest_stream_live(
    struct db *db, int64_t stream_id, int *live, struct db_err *err)
{
	sqlite3_stmt *st;
	int64_t n;

	if (db_prepare(db,
	        "SELECT count(*) FROM sessions WHERE stream_id = ?"
	        " AND ended_at IS NULL",
	        &st, err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, stream_id);
	if (db_scalar(db, st, &n, err) == -1)
		return -1;
	*live = n > 0;
	return 0;
}

void
db_dest_json(yajl_gen g, const struct db_dest *d, int reveal)
{
	char masked[DESTURL_SZ];
	struct desturl u;

	yajl_gen_map_open(g);
	json_int(g, "id", d->id);
	json_int(g, "stream_id", d->stream_id);
	json_str(g, "stream", d->stream_name);
	json_str(g, "url",
	    reveal ? d->url : desturl_mask(d->url, masked, sizeof(masked)));
	json_bool(g, "revealed", reveal);
	if (desturl_parse(d->url, &u, NULL, 0) == 0) {
		json_str(g, "protocol", desturl_proto_name(u.proto));
		json_str(g, "host", u.host);
	}
	json_bool(g, "is_enabled", d->is_enabled);
	json_bool(g, "tls_verify", d->tls_verify);
	json_str(g, "created_at", d->created_at);
	json_str(g, "updated_at", d->updated_at);
	yajl_gen_map_close(g);
}
