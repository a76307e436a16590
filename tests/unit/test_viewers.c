/*
 * Viewer sessions and the history in authd's store (migration 6), against
 * a real SQLite file: batched reports and their resends, ends, retention,
 * today's unique viewers and peak, the time series and its minute rows;
 * the checks a viewer report passes (viewers.c); who may read /metrics.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <event2/event.h>

#include "authd.h"
#include "vreport.h"

struct authd *authd; /* viewers.c's; the tests here need no daemon */

struct fix {
	char dir[64];
	char path[128];
	struct db *db;
};

#define OK(call) \
	do { \
		struct db_err e_ = {0}; \
		struct db_err *err = &e_; \
		if ((call) != 0) \
			fail_msg("%s: %s", #call, e_.msg); \
	} while (0)

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct db_err e;

	if (f == NULL)
		return -1;
	strlcpy(f->dir, "/tmp/nyon-test-viewers.XXXXXX", sizeof(f->dir));
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/nyon.db", f->dir);
	if (db_open(f->path, &f->db, NULL, &e) == -1) {
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
	char p[160];

	db_close(f->db);
	unlink(f->path);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

static struct db_viewer
vw(int64_t sid, const char *stream, const char *addr, int64_t started,
    int64_t ended, int64_t bytes)
{
	struct db_viewer v;

	memset(&v, 0, sizeof(v));
	v.sid = sid;
	strlcpy(v.stream, stream, sizeof(v.stream));
	strlcpy(v.output, "flv", sizeof(v.output));
	strlcpy(v.address, addr, sizeof(v.address));
	strlcpy(v.user_agent, "ua", sizeof(v.user_agent));
	v.started = started;
	v.ended = ended;
	v.bytes = bytes;
	return v;
}

/* What a JSON-writing call wrote, parsed. */
static yajl_val
gen_tree(yajl_gen g)
{
	const unsigned char *buf;
	char err[128];
	size_t len;
	yajl_val v;

	yajl_gen_get_buf(g, &buf, &len);
	v = json_parse((const char *)buf, len, err, sizeof(err));
	assert_non_null(v);
	return v;
}

static long long
count(struct fix *f, const char *sql)
{
	sqlite3 *sq;
	sqlite3_stmt *st;
	long long n;

	assert_int_equal(sqlite3_open(f->path, &sq), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(sq, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(sq);
	return n;
}

static yajl_val
stats_of(yajl_val data, const char *stream)
{
	yajl_val list = data; /* db_viewer_stats_json's array */
	size_t i;

	for (i = 0; list != NULL && i < list->u.array.len; i++)
		if (strcmp(json_get_str(list->u.array.values[i], "stream"),
		        stream) == 0)
			return list->u.array.values[i];
	fail_msg("no stats for %s", stream);
	return NULL;
}

/* A session reported live, then again ended: one row, ended. */
static void
test_report_resend(void **state)
{
	struct fix *f = *state;
	struct db_viewer v[2];
	long long n;
	yajl_gen g;
	yajl_val t, s;

	v[0] = vw(1, "cam", "192.0.2.1", 1000, 0, 0);
	v[1] = vw(2, "cam", "192.0.2.2", 1001, 0, 0);
	OK(db_viewer_report(f->db, "flvd-1", v, 2, err));
	/* a resend after a reconnection changes nothing */
	OK(db_viewer_report(f->db, "flvd-1", v, 2, err));
	assert_int_equal(count(f, "SELECT count(*) FROM viewer_sessions"), 2);
	v[0] = vw(1, "cam", "192.0.2.1", 1000, 1030, 5000);
	OK(db_viewer_report(f->db, "flvd-1", v, 1, err));
	/* another reporter's sid 1 is another session */
	v[1] = vw(1, "cam", "192.0.2.3", 1002, 1003, 10);
	OK(db_viewer_report(f->db, "rtcd-9", &v[1], 1, err));
	assert_int_equal(count(f, "SELECT count(*) FROM viewer_sessions"), 3);
	assert_int_equal(count(f,
	                     "SELECT bytes FROM viewer_sessions"
	                     " WHERE source = 'flvd-1' AND sid = 1"),
	    5000);

	g = json_gen();
	OK(db_viewer_list_json(f->db, "cam", 0, 10, 1100, g, err));
	t = gen_tree(g);
	assert_int_equal(t->u.array.len, 3);
	/* newest first: the rtcd one, then sid 2 (live), then sid 1 */
	s = t->u.array.values[1];
	assert_true(YAJL_IS_TRUE(json_get(s, "live")));
	n = 0;
	json_get_int(s, "duration", &n);
	assert_int_equal(n, 1100 - 1001);
	s = t->u.array.values[2];
	json_get_int(s, "duration", &n);
	assert_int_equal(n, 30);
	assert_string_equal(json_get_str(s, "address"), "192.0.2.1");
	yajl_tree_free(t);
	yajl_gen_free(g);

	g = json_gen();
	OK(db_viewer_list_json(f->db, NULL, 1, 10, 1100, g, err));
	t = gen_tree(g);
	assert_int_equal(t->u.array.len, 1);
	yajl_tree_free(t);
	yajl_gen_free(g);

	/* the reporter goes: its open sessions end then */
	OK(db_viewer_end(f->db, "flvd-1", 1200, err));
	assert_int_equal(count(f,
	                     "SELECT ended FROM viewer_sessions"
	                     " WHERE source = 'flvd-1' AND sid = 2"),
	    1200);
}

/* Unique addresses and the most at once, since the day began. */
static void
test_stats(void **state)
{
	struct fix *f = *state;
	struct db_viewer v[5];
	yajl_gen g;
	yajl_val t, s;
	long long n;

	/* [0,100] [50,150] [60,70] overlap 3; [200,300] alone; yesterday */
	v[0] = vw(1, "a", "192.0.2.1", 86400, 86500, 1);
	v[1] = vw(2, "a", "192.0.2.1", 86450, 86550, 1);
	v[2] = vw(3, "a", "192.0.2.2", 86460, 86470, 1);
	v[3] = vw(4, "a", "192.0.2.3", 86600, 86700, 1);
	v[4] = vw(5, "b", "192.0.2.9", 100, 200, 1);
	OK(db_viewer_report(f->db, "x", v, 5, err));
	g = json_gen();
	OK(db_viewer_stats_json(f->db, NULL, 86400, g, err));
	t = gen_tree(g);
	assert_int_equal(t->u.array.len, 1); /* b watched yesterday */
	s = stats_of(t, "a");
	json_get_int(s, "sessions", &n);
	assert_int_equal(n, 4);
	json_get_int(s, "unique_viewers", &n);
	assert_int_equal(n, 3);
	json_get_int(s, "peak_viewers", &n);
	assert_int_equal(n, 3);
	yajl_tree_free(t);
	yajl_gen_free(g);

	/* one ends as another starts, in the same second: not both at once */
	v[0] = vw(10, "c", "192.0.2.1", 90000, 90010, 1);
	v[1] = vw(11, "c", "192.0.2.2", 90010, 90020, 1);
	OK(db_viewer_report(f->db, "x", v, 2, err));
	g = json_gen();
	OK(db_viewer_stats_json(f->db, "c", 86400, g, err));
	t = gen_tree(g);
	json_get_int(stats_of(t, "c"), "peak_viewers", &n);
	assert_int_equal(n, 1);
	yajl_tree_free(t);
	yajl_gen_free(g);
}

/* The newest keep rows, and none that ended before the cut; live stay. */
static void
test_retention(void **state)
{
	struct fix *f = *state;
	struct db_viewer v[8];
	int i;

	for (i = 0; i < 8; i++)
		v[i] = vw(i + 1, "cam", "192.0.2.1", 1000 + i * 10,
		    i == 7 ? 0 : 1005 + i * 10, 1);
	OK(db_viewer_report(f->db, "x", v, 8, err));
	OK(db_viewer_prune(f->db, 0, 5, err));
	assert_int_equal(count(f, "SELECT count(*) FROM viewer_sessions"), 5);
	assert_int_equal(count(f, "SELECT min(sid) FROM viewer_sessions"), 4);
	/* by age: ended before 1050 goes (sids 4 and 5 end at 1035, 1045) */
	OK(db_viewer_prune(f->db, 1050, 100, err));
	assert_int_equal(count(f, "SELECT count(*) FROM viewer_sessions"), 3);
	/* the live one stays whatever the bound */
	OK(db_viewer_prune(f->db, 999999, 1, err));
	assert_int_equal(count(f, "SELECT count(*) FROM viewer_sessions"), 1);
	assert_int_equal(count(f, "SELECT sid FROM viewer_sessions"), 8);
}

static void
test_history(void **state)
{
	struct fix *f = *state;
	struct db_hist h[2];
	yajl_gen g;
	yajl_val t, box, cam;
	int64_t t0 = 1800000000 / 60 * 60; /* a whole minute */
	int i;

	memset(h, 0, sizeof(h));
	h[0].kbps_in = h[0].viewers = h[0].kbps_out = NAN;
	h[0].temp = NAN;
	strlcpy(h[1].stream, "cam", sizeof(h[1].stream));
	h[1].cpu = h[1].mem = h[1].temp = h[1].load = NAN;
	h[1].rx_kbps = h[1].tx_kbps = NAN;
	/* two minutes and a bit of 10 s samples */
	for (i = 0; i <= 12; i++) {
		h[0].cpu = i;
		h[0].mem = 50;
		h[1].kbps_in = 1000 + i;
		h[1].viewers = 2;
		h[1].kbps_out = 2000;
		OK(db_history_add(f->db, t0 + i * 10, h, 2, err));
	}
	assert_int_equal(
	    count(f, "SELECT count(*) FROM history WHERE res = 10"), 26);
	/* the first two minutes are rolled up, one row per series each */
	assert_int_equal(
	    count(f, "SELECT count(*) FROM history WHERE res = 60"), 4);
	assert_int_equal(count(f,
	                     "SELECT cast(cpu * 10 AS int) FROM history"
	                     " WHERE res = 60 AND stream = '' AND t = "
	                     "1799999940 + 60"),
	    25); /* the mean of 0..5 */

	g = json_gen();
	OK(db_history_json(f->db, t0, t0 + 120, NULL, g, err));
	t = gen_tree(g);
	box = json_get(t, "box");
	assert_int_equal(box->u.array.len, 13);
	/* no temperature here: null, not 0 */
	assert_true(YAJL_IS_NULL(box->u.array.values[0]->u.array.values[3]));
	cam = json_get(json_get(t, "streams"), "cam");
	assert_non_null(cam);
	assert_int_equal(cam->u.array.len, 13);
	assert_int_equal(
	    YAJL_GET_INTEGER(cam->u.array.values[12]->u.array.values[0]),
	    t0 + 120);
	yajl_tree_free(t);
	yajl_gen_free(g);

	/* a long range is read from the minute rows */
	g = json_gen();
	OK(db_history_json(f->db, t0, t0 + 7 * 86400, "cam", g, err));
	t = gen_tree(g);
	assert_int_equal(YAJL_GET_INTEGER(json_get(t, "resolution")), 60);
	cam = json_get(json_get(t, "streams"), "cam");
	assert_non_null(cam);
	yajl_tree_free(t);
	yajl_gen_free(g);
}

static int
parse(const char *json, char *why, size_t whylen, size_t *n)
{
	struct db_viewer v[4];
	char err[128];
	yajl_val t = json_parse(json, strlen(json), err, sizeof(err));
	int r;

	assert_non_null(t);
	r = viewers_parse(json_get(t, "sessions"), v, 4, n, why, whylen);
	yajl_tree_free(t);
	return r;
}

static void
test_parse(void **state)
{
	static const char *const bad[] = {
	    "{\"sessions\":{}}", "{\"sessions\":[1]}",
	    "{\"sessions\":[{\"id\":1,\"stream\":\"cam\",\"output\":\"flv\","
	    "\"address\":\"192.0.2.1\"}]}", /* no started */
	    "{\"sessions\":[{\"id\":1,\"started\":5,\"ended\":4,"
	    "\"stream\":\"cam\",\"output\":\"flv\",\"address\":\"192.0.2.1\"}]}",
	    "{\"sessions\":[{\"id\":-1,\"started\":5,\"stream\":\"cam\","
	    "\"output\":\"flv\",\"address\":\"192.0.2.1\"}]}",
	    "{\"sessions\":[{\"id\":1,\"started\":5,\"stream\":\"a/b\","
	    "\"output\":\"flv\",\"address\":\"192.0.2.1\"}]}",
	    "{\"sessions\":[{\"id\":1,\"started\":5,\"stream\":\"cam\","
	    "\"output\":\"FLV\",\"address\":\"192.0.2.1\"}]}",
	    "{\"sessions\":[{\"id\":1,\"started\":5,\"stream\":\"cam\","
	    "\"output\":\"flv\",\"address\":\"example.org\"}]}",
	    "{\"sessions\":[{\"id\":1,\"started\":5,\"stream\":\"cam\","
	    "\"output\":\"flv\",\"address\":\"::1\",\"user_agent\":\"a\\nb\"}]}",
	    "{\"sessions\":[{},{},{},{},{}]}", /* more than 4 */
	};
	char why[128];
	size_t i, n;

	for (i = 0; i < nitems(bad); i++) {
		why[0] = '\0';
		if (parse(bad[i], why, sizeof(why), &n) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_true(why[0] != '\0');
	}
	assert_int_equal(
	    parse("{\"sessions\":[{\"id\":7,\"started\":5,"
	          "\"ended\":9,\"bytes\":3,\"stream\":\"cam\","
	          "\"output\":\"webrtc\",\"address\":\"2001:db8::1\","
	          "\"user_agent\":\"curl/8\"}]}",
	        why, sizeof(why), &n),
	    0);
	assert_int_equal(n, 1);
}

static void
test_metrics_access(void **state)
{
	assert_int_equal(
	    api_metrics_access("loopback", 1, NULL, ""), API_METRICS_OK);
	/* not from loopback: refused, whatever it sends */
	assert_int_equal(api_metrics_access("loopback", 0, "Bearer x", "x"),
	    API_METRICS_REFUSED);
	assert_int_equal(api_metrics_access("token", 0,
	                     "Bearer 0123456789abcdef", "0123456789abcdef"),
	    API_METRICS_OK);
	assert_int_equal(api_metrics_access("token", 0,
	                     "bearer 0123456789abcdef", "0123456789abcdef"),
	    API_METRICS_OK);
	/* anything else must be an API token: from loopback too */
	assert_int_equal(
	    api_metrics_access("token", 1, NULL, "0123456789abcdef"),
	    API_METRICS_JWT);
	assert_int_equal(api_metrics_access("token", 0,
	                     "Bearer 0123456789abcdeg", "0123456789abcdef"),
	    API_METRICS_JWT);
	assert_int_equal(api_metrics_access("token", 0,
	                     "Bearer 0123456789abcdef0", "0123456789abcdef"),
	    API_METRICS_JWT);
	/* an empty metrics_token matches nothing */
	assert_int_equal(
	    api_metrics_access("token", 0, "Bearer ", ""), API_METRICS_JWT);
}

static void
test_clean_ua(void **state)
{
	char out[VREPORT_UA_MAX + 1], big[600];

	vreport_clean_ua("Mozilla/5.0 \x01\xc3\xa9 x  ", 20, out, sizeof(out));
	assert_string_equal(out, "Mozilla/5.0 ??? x");
	memset(big, 'a', sizeof(big));
	vreport_clean_ua(big, sizeof(big), out, sizeof(out));
	assert_int_equal(strlen(out), VREPORT_UA_MAX);
}

/*
 * With authd unreachable, ended sessions wait, at most VREPORT_PENDING_MAX;
 * past it the oldest go and are counted lost; the live ones are kept.
 */
static void
test_vreport_bound(void **state)
{
	struct event_base *base = event_base_new();
	struct ctl_policy policy;
	struct vsess *live, *v;
	struct conf *c;
	char err[128], text[256];
	const unsigned char *buf;
	yajl_val t, st;
	yajl_gen g;
	long long n;
	size_t len;
	int i;

	/* a run directory where no authd listens */
	snprintf(text, sizeof(text), "rundir = /tmp/nyon-test-vreport-%ld\n",
	    (long)getpid());
	c = conf_parse("test", text, err, sizeof(err));
	assert_non_null(c);
	memset(&policy, 0, sizeof(policy));
	vreport_start(base, c, &policy, "flvd");
	live = vreport_open("cam", "flv", "[2001:db8::7]:4000", "player/1");
	for (i = 0; i < VREPORT_PENDING_MAX + 5; i++) {
		v = vreport_open("cam", "flv", "192.0.2.1:5000", NULL);
		vreport_end(v, 100);
	}
	g = json_gen();
	yajl_gen_map_open(g);
	vreport_status(g);
	yajl_gen_map_close(g);
	yajl_gen_get_buf(g, &buf, &len);
	t = json_parse((const char *)buf, len, err, sizeof(err));
	assert_non_null(t);
	st = json_get(t, "viewer_reports");
	assert_true(YAJL_IS_FALSE(json_get(st, "connected")));
	json_get_int(st, "waiting", &n);
	assert_int_equal(n, VREPORT_PENDING_MAX);
	json_get_int(st, "lost", &n);
	assert_int_equal(n, 5);
	json_get_int(st, "sent", &n);
	assert_int_equal(n, 0);
	yajl_tree_free(t);
	yajl_gen_free(g);
	vreport_end(live, 1);
	vreport_stop();
	conf_free(c);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_report_resend, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_history, setup, teardown),
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_metrics_access),
	    cmocka_unit_test(test_clean_ua),
	    cmocka_unit_test(test_vreport_bound),
	};

	log_init("test_viewers", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
