/* nyon.conf parser: values, defaults, and errors that name file and line. */
#include <sys/stat.h>
#include <fcntl.h>
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

#define TMP_PATH_LEN 32

/* A new file holding text, with mode; its name goes into path. */
static void
write_file(char path[TMP_PATH_LEN], const char *text, mode_t mode)
{
	int fd;

	strlcpy(path, "/tmp/nyon-test-XXXXXX", TMP_PATH_LEN);
	fd = mkstemp(path);

	assert_true(fd != -1);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* Replaces the contents and mode of the file at path. */
static void
rewrite_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd != -1);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
expect_load_error(const char *text, mode_t mode, const char *want)
{
	char path[TMP_PATH_LEN], err[512];
	struct conf *c;

	write_file(path, text, mode);
	c = conf_load(path, err, sizeof(err));
	unlink(path);
	assert_null(c);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' does not contain '%s'", err, want);
}

static void
test_secret_in_conf(void **state)
{
	char path[TMP_PATH_LEN], err[512];
	struct conf *c;

	/* readable by anyone: refused, naming the line and the way out */
	expect_load_error("rtmp_app = x\nsrt_passphrase = long-enough-1\n",
	    0644,
	    ":2: srt_passphrase is a secret, but this file is readable by "
	    "anyone (mode 0644): put it in a file of its own, named by "
	    "srt_passphrase_file");
	expect_load_error("jwt_secret = 0123456789abcdef0123456789abcdef\n",
	    0604,
	    ":1: jwt_secret is a secret, but this file is readable by "
	    "anyone");
	/* authd's alone: not even the group (the media daemons) */
	expect_load_error("jwt_secret = 0123456789abcdef0123456789abcdef\n",
	    0640, "readable by its group (mode 0640): leave it out");
	/* the SRT passphrase is the media daemons' own: the group may read it */
	write_file(path, "srt_passphrase = long-enough-1\n", 0640);
	c = conf_load(path, err, sizeof(err));
	unlink(path);
	assert_non_null(c);
	assert_string_equal(conf_str(c, "srt_passphrase"), "long-enough-1");
	conf_free(c);
	/* an empty secret is no secret */
	write_file(path, "jwt_secret =\nsrt_passphrase = \"\"\n", 0644);
	assert_non_null(c = conf_load(path, err, sizeof(err)));
	unlink(path);
	conf_free(c);
	/* a bad secret is not repeated in the error */
	expect_error("srt_passphrase = abcd\n", "bad value for srt_passphrase");
	assert_null(parse("srt_passphrase = abcd\n", err, sizeof(err)));
	assert_null(strstr(err, "abcd"));
}

static void
test_secret_file(void **state)
{
	char conf[TMP_PATH_LEN], pass[TMP_PATH_LEN];
	char text[256], err[512];
	struct conf *c;

	write_file(pass, "correct horse battery\n", 0640);
	snprintf(text, sizeof(text), "srt_passphrase_file = %s\n", pass);
	write_file(conf, text, 0644);
	assert_non_null(c = conf_load(conf, err, sizeof(err)));
	/* nothing is read until the daemon that needs it asks */
	assert_string_equal(conf_str(c, "srt_passphrase"), "");
	assert_int_equal(
	    conf_secret_file(c, "srt_passphrase", err, sizeof(err)), 0);
	assert_string_equal(
	    conf_str(c, "srt_passphrase"), "correct horse battery");
	conf_free(c);

	/* readable by anyone */
	assert_int_equal(chmod(pass, 0644), 0);
	assert_non_null(c = conf_load(conf, err, sizeof(err)));
	assert_int_equal(
	    conf_secret_file(c, "srt_passphrase", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is readable by anyone (mode 0644)"));
	assert_non_null(strstr(err, "chmod o-r"));
	conf_free(c);
	unlink(pass);

	/* missing */
	assert_non_null(c = conf_load(conf, err, sizeof(err)));
	assert_int_equal(
	    conf_secret_file(c, "srt_passphrase", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
	conf_free(c);

	/* empty, too short, two lines */
	rewrite_file(pass, "", 0600);
	assert_non_null(c = conf_load(conf, err, sizeof(err)));
	assert_int_equal(
	    conf_secret_file(c, "srt_passphrase", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "empty"));
	conf_free(c);
	unlink(pass);
	rewrite_file(pass, "short\n", 0600);
	assert_non_null(c = conf_load(conf, err, sizeof(err)));
	assert_int_equal(
	    conf_secret_file(c, "srt_passphrase", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "must be 10 to 79 characters"));
	assert_null(strstr(err, "short"));
	conf_free(c);
	unlink(pass);
	rewrite_file(pass, "first line long\nsecond line\n", 0600);
	assert_non_null(c = conf_load(conf, err, sizeof(err)));
	assert_int_equal(
	    conf_secret_file(c, "srt_passphrase", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "one line"));
	conf_free(c);
	unlink(pass);
	unlink(conf);

	/* both the secret and its file */
	assert_non_null(c = parse("srt_passphrase = long-enough-1\n"
	                          "srt_passphrase_file = /nonexistent\n",
	                    err, sizeof(err)));
	assert_int_equal(
	    conf_secret_file(c, "srt_passphrase", err, sizeof(err)), -1);
	assert_non_null(
	    strstr(err, "srt_passphrase or srt_passphrase_file, not both"));
	conf_free(c);
	/* no file named: nothing to do */
	assert_non_null(c = conf_defaults());
	assert_int_equal(
	    conf_secret_file(c, "srt_passphrase", err, sizeof(err)), 0);
	assert_string_equal(conf_str(c, "srt_passphrase"), "");
	conf_free(c);
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
	    cmocka_unit_test(test_secret_in_conf),
	    cmocka_unit_test(test_secret_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
