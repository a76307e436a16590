/*
 * The config table: the settings the dashboard may change at run time,
 * each checked by its kind.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "nyon.h"
#include "db.h"

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

static int
db_config_index(const char *key)
{
	size_t i;

	for (i = 0; key != NULL && i < nitems(db_conf_keys); i++)
		if (strcmp(db_conf_keys[i].key, key) == 0)
			return (int)i;
	return -1;
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
		if (*val != '\0' && !db_check_host(val))
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
