/* nyon.conf parser: values, defaults, and errors that name file and line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "nyon.h"

static struct conf *
parse(const char *text, char *err, size_t len)
{
	err[0] = '\0';
	return conf_parse("test.conf", text, err, len);
}

static void
test_defaults(void **state)
{
	struct conf *c = conf_defaults();

	assert_string_equal(conf_str(c, "rundir"), "/run/nyon");
	assert_string_equal(conf_str(c, "rtmp_app"), "live");
	assert_int_equal(conf_int(c, "publish_timeout"), 10);
	assert_int_equal(conf_int(c, "viewer_backlog"), 2 * 1024 * 1024);
	conf_free(c);
}

static void
test_values(void **state)
{
	char err[256];
	struct conf *c = parse("# a comment\n"
	                       "\n"
	                       "rundir = /tmp/x   # trailing comment\n"
	                       "  rtmp_app=show\n"
	                       "publish_timeout = 30\n"
	                       "viewer_backlog = 512k\n"
	                       "rtmp_listen = 127.0.0.1:1936, [::1]:1936\n"
	                       "statedir = \"/var/lib/with space # hash\"\n"
	                       "auth = none\n",
	    err, sizeof(err));

	assert_non_null(c);
	assert_string_equal(conf_str(c, "rundir"), "/tmp/x");
	assert_string_equal(conf_str(c, "rtmp_app"), "show");
	assert_int_equal(conf_int(c, "publish_timeout"), 30);
	assert_int_equal(conf_int(c, "viewer_backlog"), 512 * 1024);
	assert_string_equal(
	    conf_str(c, "statedir"), "/var/lib/with space # hash");
	assert_string_equal(conf_str(c, "auth"), "none");
	/* untouched keys keep their defaults */
	assert_string_equal(conf_str(c, "flv_listen"), "*:8080");
	conf_free(c);
}

static void
expect_error(const char *text, const char *want)
{
	char err[256];
	struct conf *c = parse(text, err, sizeof(err));

	assert_null(c);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' does not contain '%s'", err, want);
}

static void
test_errors(void **state)
{
	expect_error("rundir = /a\nbogus_key = 1\n",
	    "test.conf:2: unknown key 'bogus_key'");
	expect_error("\n\npublish_timeout = 0\n",
	    "test.conf:3: bad value for publish_timeout");
	expect_error("publish_timeout = ten\n",
	    "test.conf:1: bad value for publish_timeout");
	expect_error("publish_timeout = 99999\n", "test.conf:1:");
	expect_error("viewer_backlog = 12q\n",
	    "test.conf:1: bad value for viewer_backlog");
	expect_error("auth = maybe\n", "must be one of authd|none");
	expect_error("rtmp_listen = 300.1.1.1:1935\n", "not an IPv4 address");
	expect_error("rtmp_listen = *:70000\n", "port");
	expect_error("rtmp_listen = [::1:1935\n", "[ADDRESS]:PORT");
	expect_error("rundir /tmp\n", "test.conf:1: expected key = value");
	expect_error("rundir = \"/tmp\n", "unterminated quote");
	expect_error(
	    "rundir = /a\nrundir = /b\n", "test.conf:2: 'rundir' given twice");
}

static void
test_listen(void **state)
{
	struct listen_addr la[8];
	char err[128];

	assert_int_equal(listen_parse("*:1935", la, 8, err, sizeof(err)), 1);
	assert_int_equal(la[0].family, 0 /* AF_UNSPEC: v4 and v6 */);
	assert_string_equal(la[0].port, "1935");
	assert_int_equal(listen_parse("8080", la, 8, err, sizeof(err)), 1);
	assert_string_equal(la[0].host, "");
	assert_int_equal(
	    listen_parse("127.0.0.1:1 [::1]:2", la, 8, err, sizeof(err)), 2);
	assert_string_equal(la[0].host, "127.0.0.1");
	assert_string_equal(la[1].host, "::1");
	assert_string_equal(la[1].port, "2");
	assert_int_equal(listen_parse("", la, 8, err, sizeof(err)), -1);
	assert_int_equal(listen_parse("1 2 3", la, 2, err, sizeof(err)), -1);
}

static void
test_load_file(void **state)
{
	char path[] = "/tmp/nyon-conf-XXXXXX", err[256];
	struct conf *c;
	int fd = mkstemp(path);

	assert_true(fd != -1);
	assert_int_equal(write(fd, "rtmp_app = x\nnope = 1\n", 22), 22);
	close(fd);
	c = conf_load(path, err, sizeof(err));
	assert_null(c);
	assert_non_null(strstr(err, ":2: unknown key 'nope'"));
	assert_non_null(strstr(err, path));
	unlink(path);
	assert_null(conf_load(path, err, sizeof(err)));
	assert_non_null(strstr(err, "No such file"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_listen),
	    cmocka_unit_test(test_load_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
