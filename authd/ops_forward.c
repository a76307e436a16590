/*
 * Forwarding destinations, for nyonctl, the REST API and fwdd.  Operators
 * list, add, change and remove them; a listing masks each URL's key unless
 * the operator asks to see it (and that is logged).  fwdd asks for the
 * destinations of one live stream, whole: the only way a URL leaves authd
 * unasked-for by an operator.  A change to a live stream's destinations
 * is pushed to fwdd, which asks again.  No URL is ever logged whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authd.h"

/* 1 and *out if args has key as a boolean, 0 if absent, -1 if not a bool. */
static int
ops_forward_bool(yajl_val args, const char *key, int *out, struct db_err *err)
{
	yajl_val v = json_get(args, key);

	if (v == NULL || YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
		return ops_fail(err, DB_EINVAL, key, "must be true or false");
	*out = YAJL_IS_TRUE(v);
	return 1;
}

static int
ops_forward_url(yajl_val args, const char **url, struct db_err *err)
{
	yajl_val v = json_get(args, "url");

	*url = NULL;
	if (v == NULL || YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_STRING(v))
		return ops_fail(err, DB_EINVAL, "url", "must be a string");
	*url = v->u.string;
	return 1;
}

/* Tells fwdd when a live stream's destinations changed. */
static void
ops_forward_changed(const struct db_dest *d)
{
	int live = 0;

	if (db_dest_stream_live(authd->db, d->stream_id, &live, NULL) == 0 &&
	    live)
		control_forward_changed(d->stream_name);
}

static void
ops_forward_log(const char *what, const struct db_dest *d)
{
	char masked[DESTURL_SZ];

	log_info("stream %s: destination %lld %s (%s)", d->stream_name,
	    (long long)d->id, what,
	    desturl_mask(d->url, masked, sizeof(masked)));
}

static int
ops_forward_write_list(
    int64_t stream_id, int reveal, yajl_gen g, struct db_err *err)
{
	struct db_dest *list;
	size_t n, i;

	if (db_dest_list(authd->db, stream_id, 0, &list, &n, err) == -1)
		return -1;
	yajl_gen_array_open(g);
	for (i = 0; i < n; i++)
		db_dest_json(g, &list[i], reveal);
	yajl_gen_array_close(g);
	if (list != NULL) /* NULL for none */
		explicit_bzero(list, n * sizeof(*list));
	free(list);
	return 0;
}

/* Every destination, or one stream's ("stream"), masked unless "reveal". */
int
ops_forward_list(yajl_val args, yajl_gen g, struct db_err *err)
{
	int64_t id = 0;
	int reveal = 0;

	if (ops_forward_bool(args, "reveal", &reveal, err) == -1)
		return -1;
	if (json_get(args, "stream") != NULL &&
	    ops_stream_id(args, &id, err) == -1)
		return -1;
	return ops_forward_list_stream(id, reveal, g, err);
}

int
ops_forward_list_stream(
    int64_t stream_id, int reveal, yajl_gen g, struct db_err *err)
{
	struct db_stream s;

	if (stream_id != 0 &&
	    db_stream_get(authd->db, stream_id, &s, err) == -1)
		return -1;
	if (reveal)
		log_info("destinations of %s shown with their keys",
		    stream_id != 0 ? s.name : "every stream");
	return ops_forward_write_list(stream_id, reveal, g, err);
}

int
ops_forward_get_one(int64_t id, int reveal, yajl_gen g, struct db_err *err)
{
	struct db_dest d;

	if (db_dest_get(authd->db, id, &d, err) == -1)
		return -1;
	if (reveal)
		log_info("stream %s: destination %lld shown with its key",
		    d.stream_name, (long long)id);
	db_dest_json(g, &d, reveal);
	explicit_bzero(&d, sizeof(d));
	return 0;
}

int
ops_forward_add_stream(
    int64_t stream_id, yajl_val args, yajl_gen g, struct db_err *err)
{
	struct db_stream s;
	struct db_dest d;
	const char *url;
	int enabled = 1, verify = 1;

	if (ops_forward_url(args, &url, err) == -1 ||
	    ops_forward_bool(args, "is_enabled", &enabled, err) == -1 ||
	    ops_forward_bool(args, "tls_verify", &verify, err) == -1)
		return -1;
	if (url == NULL)
		return ops_fail(err, DB_EINVAL, "url", "required");
	if (db_stream_get(authd->db, stream_id, &s, err) == -1 ||
	    db_dest_create(
	        authd->db, stream_id, url, enabled, verify, &d, err) == -1)
		return -1;
	ops_forward_log("added", &d);
	if (d.is_enabled)
		ops_forward_changed(&d);
	db_dest_json(g, &d, 0);
	explicit_bzero(&d, sizeof(d));
	return 0;
}

int
ops_forward_add(yajl_val args, yajl_gen g, struct db_err *err)
{
	int64_t id;

	if (ops_stream_id(args, &id, err) == -1)
		return -1;
	return ops_forward_add_stream(id, args, g, err);
}

int
ops_forward_edit(int64_t id, yajl_val args, yajl_gen g, struct db_err *err)
{
	struct db_dest_set set = {0};
	struct db_dest before, d;
	int r;

	if ((r = ops_forward_url(args, &set.url, err)) == -1)
		return -1;
	if (r == 1 && set.url != NULL)
		set.set |= DB_DEST_SET_URL;
	if ((r = ops_forward_bool(args, "is_enabled", &set.is_enabled, err)) ==
	    -1)
		return -1;
	if (r == 1)
		set.set |= DB_DEST_SET_ENABLED;
	if ((r = ops_forward_bool(args, "tls_verify", &set.tls_verify, err)) ==
	    -1)
		return -1;
	if (r == 1)
		set.set |= DB_DEST_SET_VERIFY;
	if (db_dest_get(authd->db, id, &before, err) == -1 ||
	    db_dest_update(authd->db, id, &set, &d, err) == -1)
		return -1;
	if (before.is_enabled != d.is_enabled)
		ops_forward_log(d.is_enabled ? "enabled" : "disabled", &d);
	else
		ops_forward_log("changed", &d);
	if (before.is_enabled || d.is_enabled)
		ops_forward_changed(&d);
	db_dest_json(g, &d, 0);
	explicit_bzero(&before, sizeof(before));
	explicit_bzero(&d, sizeof(d));
	return 0;
}

int
ops_forward_rm_id(int64_t id, yajl_gen g, struct db_err *err)
{
	struct db_dest d;

	if (db_dest_get(authd->db, id, &d, err) == -1 ||
	    db_dest_delete(authd->db, id, err) == -1)
		return -1;
	ops_forward_log("removed", &d);
	if (d.is_enabled)
		ops_forward_changed(&d);
	db_dest_json(g, &d, 0);
	explicit_bzero(&d, sizeof(d));
	return 0;
}

/* By "id", or by "stream" and "url" as the operator typed them. */
int
ops_forward_rm(yajl_val args, yajl_gen g, struct db_err *err)
{
	struct db_dest d;
	const char *url;
	long long id;
	int64_t sid;

	if (json_get_int(args, "id", &id) == 0)
		return ops_forward_rm_id(id, g, err);
	if (ops_forward_url(args, &url, err) == -1)
		return -1;
	if (url == NULL)
		return ops_fail(err, DB_EINVAL, NULL,
		    "give the destination's id, or its URL");
	if (ops_stream_id(args, &sid, err) == -1 ||
	    db_dest_find(authd->db, sid, url, &d, err) == -1)
		return -1;
	id = d.id;
	explicit_bzero(&d, sizeof(d));
	return ops_forward_rm_id(id, g, err);
}

/*
 * fwdd's question: the enabled destinations of a stream, whole, but only
 * while it is on air.
 */
int
ops_forward_get(const char *name, yajl_gen g, struct db_err *err)
{
	struct db_stream s;
	struct db_dest *list;
	size_t n, i;
	int live = 0;

	if (db_stream_get_by_name(authd->db, name, &s, err) == -1)
		return -1;
	if (db_dest_stream_live(authd->db, s.id, &live, err) == -1)
		return -1;
	if (!live)
		return ops_fail(err, DB_EPERM, NULL, "the stream is not live");
	if (db_dest_list(authd->db, s.id, 1, &list, &n, err) == -1)
		return -1;
	yajl_gen_array_open(g);
	for (i = 0; i < n; i++) {
		yajl_gen_map_open(g);
		json_int(g, "id", list[i].id);
		json_str(g, "url", list[i].url);
		json_bool(g, "tls_verify", list[i].tls_verify);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	if (list != NULL) /* NULL for none */
		explicit_bzero(list, n * sizeof(*list));
	free(list);
	return 0;
}
