/*
 * The destinations table (authd/db_dest.c, migration 6) against a real
 * SQLite file: URLs checked on the way in, one of each per stream, a
 * limit per stream, changes, removal with the stream, the live check
 * fwdd's question depends on, and JSON that masks the key unless asked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "nyon.h"
#include "../../authd/db.h"

struct fix {
	char dir[64];
	char path[128];
	struct db *db;
	int64_t cam;
};

#define EXPECT_OK(call) \
	do { \
		struct db_err e_ = {0}; \
		struct db_err *err = &e_; \
		if ((call) != 0) \
			fail_msg("%s: %s", #call, e_.msg); \
	} while (0)
#define EXPECT_FAIL(call, want_code, want_msg) \
	do { \
		struct db_err e_ = {0}; \
		struct db_err *err = &e_; \
		assert_int_equal((call), -1); \
		assert_int_equal(e_.code, (want_code)); \
		if (strstr(e_.msg, (want_msg)) == NULL) \
			fail_msg("%s: \"%s\"", #call, e_.msg); \
	} while (0)

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct db_stream_set set = {.set = DB_SET_NAME, .name = "cam"};
	struct db_stream s;
	struct db_err e;

	if (f == NULL)
		return -1;
	strlcpy(f->dir, "/tmp/nyon-test-dbdest.XXXXXX", sizeof(f->dir));
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/nyon.db", f->dir);
	setenv("DEFAULT_ADMIN_PASSWORD", "a test password", 1);
	if (db_open(f->path, &f->db, NULL, &e) == -1 ||
	    db_stream_create(f->db, &set, &s, &e) == -1) {
		print_error("%s\n", e.msg);
		return -1;
	}
	f->cam = s.id;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;
	char cmd[128];

	db_close(f->db);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	free(f);
	return system(cmd) == 0 ? 0 : -1;
}

static char *
json_of(const struct db_dest *d, int reveal)
{
	yajl_gen g = json_gen();
	const unsigned char *buf;
	size_t len;
	char *s;

	db_dest_json(g, d, reveal);
	yajl_gen_get_buf(g, &buf, &len);
	s = strndup((const char *)buf, len);
	yajl_gen_free(g);
	return s;
}

static void
test_add_list(void **state)
{
	struct fix *f = *state;
	struct db_dest d, *list;
	size_t n;
	char *j;

	EXPECT_OK(db_dest_create(f->db, f->cam,
	    "rtmp://a.rtmp.youtube.com/live2/yt-secret-key", 1, 1, &d, err));
	assert_string_equal(d.stream_name, "cam");
	assert_true(d.is_enabled);
	assert_true(d.tls_verify);
	j = json_of(&d, 0);
	assert_non_null(
	    strstr(j, "\"url\":\"rtmp://a.rtmp.youtube.com/live2/****\""));
	assert_null(strstr(j, "yt-secret-key"));
	assert_non_null(strstr(j, "\"protocol\":\"rtmp\""));
	assert_non_null(strstr(j, "\"host\":\"a.rtmp.youtube.com\""));
	free(j);
	j = json_of(&d, 1);
	assert_non_null(strstr(j, "yt-secret-key"));
	free(j);

	EXPECT_OK(db_dest_create(f->db, f->cam,
	    "srt://10.0.0.2:10080?streamid=#!::r=live/x1,m=publish", 0, 1, NULL,
	    err));
	/* the same URL twice is one destination */
	EXPECT_FAIL(db_dest_create(f->db, f->cam,
	                "rtmp://a.rtmp.youtube.com/live2/yt-secret-key", 1, 1,
	                NULL, err),
	    DB_EEXIST, "already has that destination");
	EXPECT_FAIL(
	    db_dest_create(f->db, f->cam, "ftp://x/y/z", 1, 1, NULL, err),
	    DB_EINVAL, "url: must start with");

	EXPECT_OK(db_dest_list(f->db, f->cam, 0, &list, &n, err));
	assert_int_equal(n, 2);
	free(list);
	EXPECT_OK(db_dest_list(f->db, f->cam, 1, &list, &n, err));
	assert_int_equal(n, 1);
	assert_int_equal(list[0].id, d.id);
	free(list);
	EXPECT_OK(db_dest_find(f->db, f->cam,
	    "rtmp://a.rtmp.youtube.com/live2/yt-secret-key", &d, err));
}

static void
test_limit_update_delete(void **state)
{
	struct fix *f = *state;
	struct db_dest_set set = {0};
	struct db_dest d, first, *list;
	struct db_stream_set ss = {.set = DB_SET_NAME, .name = "other"};
	struct db_stream s;
	char url[64];
	size_t n;
	int i;

	for (i = 0; i < DB_DEST_MAX; i++) {
		snprintf(url, sizeof(url), "rtmp://h%d.example/live/k%d", i, i);
		EXPECT_OK(db_dest_create(
		    f->db, f->cam, url, 1, 1, i == 0 ? &first : NULL, err));
	}
	EXPECT_FAIL(
	    db_dest_create(f->db, f->cam, "rtmp://x/live/k", 1, 1, NULL, err),
	    DB_EINVAL, "at most 10");

	set.set = DB_DEST_SET_ENABLED | DB_DEST_SET_VERIFY;
	set.is_enabled = 0;
	set.tls_verify = 0;
	EXPECT_OK(db_dest_update(f->db, first.id, &set, &d, err));
	assert_false(d.is_enabled);
	assert_false(d.tls_verify);
	/* a URL another of the stream's has is refused; a new one taken */
	set.set = DB_DEST_SET_URL;
	set.url = "rtmp://h1.example/live/k1";
	EXPECT_FAIL(db_dest_update(f->db, first.id, &set, NULL, err), DB_EEXIST,
	    "already has");
	set.url = "rtmps://new.example/live/k0";
	EXPECT_OK(db_dest_update(f->db, first.id, &set, &d, err));
	assert_string_equal(d.url, "rtmps://new.example/live/k0");
	set.url = "rtmps://new.example";
	EXPECT_FAIL(db_dest_update(f->db, first.id, &set, NULL, err), DB_EINVAL,
	    "url:");

	EXPECT_OK(db_dest_delete(f->db, first.id, err));
	EXPECT_FAIL(db_dest_delete(f->db, first.id, err), DB_ENOENT, "no such");
	EXPECT_FAIL(
	    db_dest_get(f->db, first.id, &d, err), DB_ENOENT, "no such");

	/* another stream may have the same URL; a deleted stream's go */
	EXPECT_OK(db_stream_create(f->db, &ss, &s, err));
	EXPECT_OK(db_dest_create(
	    f->db, s.id, "rtmp://h1.example/live/k1", 1, 1, NULL, err));
	EXPECT_OK(db_stream_delete(f->db, f->cam, err));
	EXPECT_OK(db_dest_list(f->db, 0, 0, &list, &n, err));
	assert_int_equal(n, 1);
	assert_string_equal(list[0].stream_name, "other");
	free(list);
}

/* fwdd gets URLs only for a stream with an open session. */
static void
test_live(void **state)
{
	struct fix *f = *state;
	struct db_publish pub;
	struct db_stream s;
	int live = 1;

	EXPECT_OK(db_dest_stream_live(f->db, f->cam, &live, err));
	assert_false(live);
	EXPECT_OK(db_stream_get(f->db, f->cam, &s, err));
	EXPECT_OK(db_publish_check(
	    f->db, s.stream_key, "rtmp", "127.0.0.1", "rtmp-1", &pub, err));
	EXPECT_OK(db_dest_stream_live(f->db, f->cam, &live, err));
	assert_true(live);
	EXPECT_OK(db_session_end(f->db, pub.session_id, NULL, err));
	EXPECT_OK(db_dest_stream_live(f->db, f->cam, &live, err));
	assert_false(live);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_add_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_limit_update_delete, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_live, setup, teardown),
	};

	log_init("test_db_dest", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
