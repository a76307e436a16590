/*
 * Stream names and keys (lib/names.c) and the JSON rules every program
 * shares (lib/json.c): limits in characters not bytes, nothing cut, no
 * escaped NUL, no key given twice, and never an unparsable reply.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nyon.h"

static char *
repeat(const char *s, int n)
{
	size_t len = strlen(s);
	char *out = malloc(len * n + 1);
	int i;

	assert_non_null(out);
	for (i = 0; i < n; i++)
		memcpy(out + len * i, s, len);
	out[len * n] = '\0';
	return out;
}

static int
name_ok(const char *s)
{
	char why[128];

	return stream_name_check(s, why, sizeof(why)) == 0;
}

static int
key_ok(const char *s)
{
	char why[128];

	return stream_key_check(s, why, sizeof(why)) == 0;
}

static void
test_name_characters(void **state)
{
	char *s;

	assert_true(name_ok("cam"));
	assert_true(name_ok("Drone field 2"));
	assert_true(name_ok("école"));
	assert_false(name_ok("ab"));
	assert_false(name_ok(""));
	assert_false(name_ok(NULL));
	/* 100 characters of 2, 3 and 4 bytes: all fine, up to 400 bytes */
	s = repeat("é", 100);
	assert_true(name_ok(s));
	free(s);
	s = repeat("日", 100);
	assert_true(name_ok(s));
	free(s);
	s = repeat("\xf0\x9f\x9a\x81", 100); /* helicopter */
	assert_int_equal(strlen(s), STREAM_NAME_SZ - 1);
	assert_true(name_ok(s));
	free(s);
	s = repeat("é", 101);
	assert_false(name_ok(s));
	free(s);
	s = repeat("a", 101);
	assert_false(name_ok(s));
	free(s);
}

static void
test_name_refusals(void **state)
{
	char why[128];

	assert_false(name_ok("a\tb c"));
	assert_false(name_ok("abc\x7f"));
	assert_false(name_ok("abc\xc2\x85")); /* C1 control */
	assert_false(name_ok("ab\xe6\x97")); /* cut inside a character */
	assert_false(name_ok("ab\xc0\xaf")); /* overlong '/' */
	assert_false(name_ok("ab\xed\xa0\x80")); /* surrogate */
	assert_false(name_ok("a/b/c"));
	assert_true(name_ok("a\\bc"));
	assert_false(name_ok(".hidden"));
	assert_false(name_ok(" cam"));
	assert_false(name_ok("cam "));
	assert_int_equal(stream_name_check("ab", why, sizeof(why)), -1);
	assert_string_equal(why, "must be 3 to 100 characters");
}

static void
test_keys(void **state)
{
	char *s;

	assert_true(key_ok("cam1_0123456789abcdef"));
	assert_true(key_ok("A-b_c"));
	assert_false(key_ok("ab"));
	assert_false(key_ok("a.b.c"));
	assert_false(key_ok("clé1"));
	assert_false(key_ok(NULL));
	s = repeat("k", 100);
	assert_true(key_ok(s));
	free(s);
	s = repeat("k", 101);
	assert_false(key_ok(s));
	free(s);
}

static yajl_val
parse(const char *text, char *err, size_t errlen)
{
	return json_parse(text, strlen(text), err, errlen);
}

static void
test_json_refusals(void **state)
{
	char err[256];
	yajl_val v;

	v = parse("{\"key\":\"abc\\u0000xyz\"}", err, sizeof(err));
	assert_null(v);
	assert_non_null(strstr(err, "NUL"));
	v = parse("{\"a\":1,\"b\":2,\"a\":3}", err, sizeof(err));
	assert_null(v);
	assert_non_null(strstr(err, "\"a\" given twice"));
	v = parse("{\"x\":[{\"k\":1,\"k\":1}]}", err, sizeof(err));
	assert_null(v);
	/* an escaped backslash before u0000 is text, not a NUL */
	v = parse(
	    "{\"key\":\"a\\\\u0000\",\"k2\":\"\\u00e9\"}", err, sizeof(err));
	assert_non_null(v);
	assert_string_equal(json_get_str(v, "key"), "a\\u0000");
	assert_string_equal(json_get_str(v, "k2"), "é");
	yajl_tree_free(v);
}

/* Whatever bytes a string holds, the generated text parses again. */
static void
test_json_gen_always_valid(void **state)
{
	const unsigned char *buf;
	char err[256], cut[8];
	yajl_gen g;
	yajl_val v;
	size_t len;

	memcpy(cut, "ab\xe6\x97", 5); /* a character cut in two */
	g = json_gen();
	yajl_gen_map_open(g);
	json_str(g, "name", cut);
	json_str(g, "ok", "日本");
	json_int(g, "n", 3);
	yajl_gen_map_close(g);
	assert_int_equal(yajl_gen_get_buf(g, &buf, &len), yajl_gen_status_ok);
	v = json_parse((const char *)buf, len, err, sizeof(err));
	assert_non_null(v);
	assert_string_equal(
	    json_get_str(v, "name"), "ab\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(json_get_str(v, "ok"), "日本");
	yajl_tree_free(v);
	yajl_gen_free(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_name_characters),
	    cmocka_unit_test(test_name_refusals),
	    cmocka_unit_test(test_keys),
	    cmocka_unit_test(test_json_refusals),
	    cmocka_unit_test(test_json_gen_always_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
