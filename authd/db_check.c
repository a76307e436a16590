/*
 * The rules for what the store accepts: stream names, keys, descriptions,
 * protocols, user names, passwords, e-mail addresses and host names.  Each
 * check fills a db_err naming the field, in the words both nyonctl and the
 * REST API show.
 */
#include <stdio.h>
#include <string.h>

#include "nyon.h"
#include "db.h"

static int
db_is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

int
db_check_alnum(int c)
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

int
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

int
db_check_key(const char *key, struct db_err *err)
{
	char why[128];

	if (stream_key_check(key, why, sizeof(why)) == -1)
		return db_fail(err, DB_EINVAL, "stream_key", "%s", why);
	return 0;
}

int
db_check_protocol(const char *p, struct db_err *err)
{
	if (p == NULL ||
	    (strcmp(p, "rtmp") != 0 && strcmp(p, "srt") != 0 &&
	        strcmp(p, "both") != 0))
		return db_fail(
		    err, DB_EINVAL, "protocol", "must be rtmp, srt or both");
	return 0;
}

int
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

int
db_check_username(const char *u, struct db_err *err)
{
	size_t n;

	for (n = 0; u != NULL && u[n] != '\0'; n++)
		if (!db_check_alnum((unsigned char)u[n]) && u[n] != '_' &&
		    u[n] != '-' && u[n] != '.')
			break;
	if (u == NULL || u[n] != '\0' || n < DB_USER_MIN || n > DB_USER_MAX)
		return db_fail(err, DB_EINVAL, "username",
		    "must be %d to %d letters, digits, '.', '_' or '-'",
		    DB_USER_MIN, DB_USER_MAX);
	return 0;
}

int
db_check_password(const char *field, const char *pw, struct db_err *err)
{
	size_t n = pw != NULL ? strlen(pw) : 0;

	if (n < DB_PASS_MIN || n > DB_PASS_MAX)
		return db_fail(err, DB_EINVAL, field,
		    "must be %d to %d characters", DB_PASS_MIN, DB_PASS_MAX);
	return 0;
}

int
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

/* A DNS name: dot-separated labels of letters, digits and inner '-'. */
int
db_check_host(const char *h)
{
	size_t n = strlen(h), label = 0, i;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i <= n; i++) {
		if (i == n || h[i] == '.') {
			if (label == 0 || label > 63 || h[i - 1] == '-')
				return 0;
			label = 0;
		} else if (db_check_alnum((unsigned char)h[i]) ||
		    (h[i] == '-' && label > 0))
			label++;
		else
			return 0;
	}
	return 1;
}
