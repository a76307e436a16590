/*
 * The management operations, once, for nyonctl (control socket) and the
 * REST API alike.  Arguments come as a JSON object whose fields are checked
 * for type here; values are checked by db.c.  Results are written as JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "authd.h"

int
ops_fail(struct db_err *err, int code, const char *field, const char *msg)
{
	err->code = code;
	strlcpy(err->field, field ? field : "", sizeof(err->field));
	if (field != NULL)
		snprintf(err->msg, sizeof(err->msg), "%s: %s", field, msg);
	else
		strlcpy(err->msg, msg, sizeof(err->msg));
	return -1;
}

/* 1 if present (*out NULL for JSON null), 0 if absent, -1 on a bad type. */
static int
ops_arg_str(
    yajl_val args, const char *key, const char **out, struct db_err *err)
{
	yajl_val v = json_get(args, key);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (YAJL_IS_NULL(v))
		return 1;
	if (!YAJL_IS_STRING(v))
		return ops_fail(err, DB_EINVAL, key, "must be a string");
	*out = v->u.string;
	return 1;
}

static int
ops_arg_int(yajl_val args, const char *key, long long *out, struct db_err *err)
{
	yajl_val v = json_get(args, key);

	if (v == NULL)
		return 0;
	if (!YAJL_IS_INTEGER(v))
		return ops_fail(err, DB_EINVAL, key, "must be an integer");
	*out = YAJL_GET_INTEGER(v);
	return 1;
}

static int
ops_arg_bool(yajl_val args, const char *key, int *out, struct db_err *err)
{
	yajl_val v = json_get(args, key);

	if (v == NULL)
		return 0;
	if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
		return ops_fail(err, DB_EINVAL, key, "must be true or false");
	*out = YAJL_IS_TRUE(v);
	return 1;
}

/* The stream a control request is about: "stream", a name or an id. */
int
ops_stream_id(yajl_val args, int64_t *id, struct db_err *err)
{
	yajl_val v = json_get(args, "stream");
	struct db_stream s;

	if (v != NULL && YAJL_IS_INTEGER(v)) {
		*id = YAJL_GET_INTEGER(v);
		return 0;
	}
	if (v == NULL || !YAJL_IS_STRING(v))
		return ops_fail(
		    err, DB_EINVAL, "stream", "name or id required");
	if (db_stream_get_by_name(authd->db, v->u.string, &s, err) == -1) {
		if (err->code == DB_ENOENT)
			snprintf(err->msg, sizeof(err->msg),
			    "no stream named '%s'", v->u.string);
		return -1;
	}
	*id = s.id;
	return 0;
}

/* Fills a db_stream_set from args; create requires a name. */
static int
ops_stream_fields(
    yajl_val args, struct db_stream_set *set, int create, struct db_err *err)
{
	long long bitrate;
	yajl_val v;
	int r;

	memset(set, 0, sizeof(*set));
	if ((r = ops_arg_str(args, "name", &set->name, err)) == -1)
		return -1;
	if (r == 1) {
		if (set->name == NULL)
			return ops_fail(
			    err, DB_EINVAL, "name", "must be a string");
		set->set |= DB_SET_NAME;
	} else if (create)
		return ops_fail(err, DB_EINVAL, "name", "required");
	if ((r = ops_arg_str(args, "stream_key", &set->stream_key, err)) == -1)
		return -1;
	/* on create an empty or null key means "generate one" */
	if (r == 1 && set->stream_key != NULL && *set->stream_key == '\0' &&
	    create)
		set->stream_key = NULL;
	if (r == 1 && (set->stream_key != NULL || create))
		set->set |= DB_SET_KEY;
	if ((r = ops_arg_str(args, "description", &set->description, err)) ==
	    -1)
		return -1;
	if (r == 1)
		set->set |= DB_SET_DESC;
	if ((r = ops_arg_str(args, "protocol", &set->protocol, err)) == -1)
		return -1;
	if (r == 1) {
		if (set->protocol == NULL)
			return ops_fail(err, DB_EINVAL, "protocol",
			    "must be rtmp, srt or both");
		set->set |= DB_SET_PROTOCOL;
	}
	if ((r = ops_arg_bool(args, "is_active", &set->is_active, err)) == -1)
		return -1;
	if (r == 1)
		set->set |= DB_SET_ACTIVE;
	if ((v = json_get(args, "record")) != NULL) {
		if (YAJL_IS_NULL(v))
			set->record = -1;
		else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v))
			set->record = YAJL_IS_TRUE(v);
		else
			return ops_fail(err, DB_EINVAL, "record",
			    "must be true, false or null (the default)");
		set->set |= DB_SET_RECORD;
	}
	if ((r = ops_arg_int(args, "max_bitrate", &bitrate, err)) == -1)
		return -1;
	if (r == 1) {
		if (bitrate < DB_BITRATE_MIN || bitrate > DB_BITRATE_MAX)
			return ops_fail(err, DB_EINVAL, "max_bitrate",
			    "must be between 100 and 50000");
		set->max_bitrate = (int)bitrate;
		set->set |= DB_SET_BITRATE;
	}
	return 0;
}

int
ops_stream_list(yajl_val args, yajl_gen g, struct db_err *err)
{
	struct db_stream *list;
	const char *proto = NULL;
	size_t n, i;
	int active = -1, r;

	if ((r = ops_arg_bool(args, "is_active", &active, err)) == -1)
		return -1;
	if (r == 0)
		active = -1;
	if (ops_arg_str(args, "protocol", &proto, err) == -1)
		return -1;
	if (db_stream_list(authd->db, active, proto, &list, &n, err) == -1)
		return -1;
	yajl_gen_array_open(g);
	for (i = 0; i < n; i++)
		db_stream_json(g, &list[i], 1);
	yajl_gen_array_close(g);
	free(list);
	return 0;
}

/* A stream with its open sessions. */
int
ops_stream_get(int64_t id, yajl_gen g, struct db_err *err)
{
	struct db_stream s;
	struct db_session *list;
	size_t n, i;

	if (db_stream_get(authd->db, id, &s, err) == -1 ||
	    db_session_list(authd->db, 1, 1000, &list, &n, err) == -1)
		return -1;
	yajl_gen_map_open(g);
	db_stream_json_fields(g, &s, 1);
	json_key(g, "active_sessions");
	yajl_gen_array_open(g);
	for (i = 0; i < n; i++)
		if (list[i].stream_id == s.id)
			db_session_json(g, &list[i]);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	free(list);
	return 0;
}

int
ops_stream_create(yajl_val args, yajl_gen g, struct db_err *err)
{
	struct db_stream_set set;
	struct db_stream s;

	if (ops_stream_fields(args, &set, 1, err) == -1 ||
	    db_stream_create(authd->db, &set, &s, err) == -1)
		return -1;
	log_info("stream %s: created", s.name);
	db_stream_json(g, &s, 1);
	return 0;
}

int
ops_stream_update(int64_t id, yajl_val args, yajl_gen g, struct db_err *err)
{
	struct db_stream_set set;
	struct db_stream before, s;

	if (ops_stream_fields(args, &set, 0, err) == -1 ||
	    db_stream_get(authd->db, id, &before, err) == -1 ||
	    db_stream_update(authd->db, id, &set, &s, err) == -1)
		return -1;
	/* a live publisher loses its right to publish with a changed key,
	 * name, protocol or active flag */
	if (strcmp(before.stream_key, s.stream_key) != 0 ||
	    strcmp(before.name, s.name) != 0 ||
	    (before.is_active && !s.is_active))
		control_revoke(before.name, 0, "stream changed");
	else if (strcmp(before.protocol, s.protocol) != 0)
		control_revoke(before.name, 0, "protocol changed");
	/* a live stream records (or stops) at once, not from its next publish */
	if ((before.record < 0 ? db_record_default : before.record) !=
	    (s.record < 0 ? db_record_default : s.record))
		recdc_record_set(
		    s.name, s.record < 0 ? db_record_default : s.record);
	log_info("stream %s: updated", s.name);
	db_stream_json(g, &s, 1);
	return 0;
}

int
ops_stream_delete(int64_t id, yajl_gen g, struct db_err *err)
{
	struct db_stream s;

	if (db_stream_get(authd->db, id, &s, err) == -1 ||
	    db_stream_delete(authd->db, id, err) == -1)
		return -1;
	control_revoke(s.name, 0, "stream deleted");
	log_info("stream %s: deleted", s.name);
	db_stream_json(g, &s, 0);
	return 0;
}

int
ops_stream_set_active(int64_t id, int active, yajl_gen g, struct db_err *err)
{
	struct db_stream s;

	if (db_stream_set_active(authd->db, id, active, err) == -1 ||
	    db_stream_get(authd->db, id, &s, err) == -1)
		return -1;
	if (!active)
		control_revoke(s.name, 0, "stream disabled");
	log_info("stream %s: %s", s.name, active ? "enabled" : "disabled");
	db_stream_json(g, &s, 1);
	return 0;
}

int
ops_stream_toggle(int64_t id, yajl_gen g, struct db_err *err)
{
	struct db_stream s;

	if (db_stream_get(authd->db, id, &s, err) == -1)
		return -1;
	return ops_stream_set_active(id, !s.is_active, g, err);
}

int
ops_stream_regen_key(int64_t id, yajl_gen g, struct db_err *err)
{
	struct db_stream s;
	char key[DB_KEY_SZ];

	if (db_stream_regen_key(authd->db, id, key, err) == -1 ||
	    db_stream_get(authd->db, id, &s, err) == -1)
		return -1;
	control_revoke(s.name, 0, "stream key regenerated");
	log_info("stream %s: new key", s.name);
	db_stream_json(g, &s, 1);
	return 0;
}

static void
ops_urls_for(
    yajl_gen g, const char *label, const char *host, const struct db_stream *s)
{
	char port[4][DB_CONF_VAL_SZ], buf[2048], err[128], *name;
	struct listen_addr la[8];
	const char *keys[4] = {
	    "rtmp_port", "srt_port", "http_port", "api_port"};
	struct db_config c;
	int i;

	json_key(g, label);
	if (host == NULL || *host == '\0') {
		yajl_gen_null(g);
		return;
	}
	for (i = 0; i < 4; i++)
		strlcpy(port[i],
		    db_config_get(authd->db, keys[i], &c, NULL) == 0 ? c.value
		                                                     : "?",
		    sizeof(port[i]));
	if ((name = evhttp_uriencode(s->name, -1, 0)) == NULL)
		fatalx("evhttp_uriencode");
	yajl_gen_map_open(g);
	json_str(g, "address", host);
	snprintf(buf, sizeof(buf), "rtmp://%s:%s/live", host, port[0]);
	json_str(g, "rtmp_server", buf);
	snprintf(buf, sizeof(buf), "rtmp://%s:%s/live/%s", host, port[0],
	    s->stream_key);
	json_str(g, "rtmp_url", buf);
	snprintf(buf, sizeof(buf),
	    "srt://%s:%s?streamid=#!::r=live/%s,"
	    "m=publish",
	    host, port[1], s->stream_key);
	json_str(g, "srt_url", buf);
	snprintf(
	    buf, sizeof(buf), "http://%s:%s/live/%s.flv", host, port[2], name);
	json_str(g, "play_url", buf);
	snprintf(
	    buf, sizeof(buf), "http://%s:%s/watch/%s", host, port[2], name);
	json_str(g, "watch_url", buf);
	/* WebRTC (rtcd): its port is nyon.conf's, not a dashboard setting */
	if (listen_parse(conf_str(authd->d.conf, "rtc_listen"), la, nitems(la),
	        err, sizeof(err)) > 0) {
		snprintf(buf, sizeof(buf), "http://%s%s%s:%s/whep/%s",
		    strchr(host, ':') ? "[" : "", host,
		    strchr(host, ':') ? "]" : "", la[0].port, name);
		json_str(g, "whep", buf);
	} else
		json_null(g, "whep");
	yajl_gen_map_close(g);
	free(name);
}

/* The LAN address for URLs: the configured lan_ip, else the detected one. */
static void
ops_lan_ip(char *buf, size_t len)
{
	struct db_config c;

	if (db_config_get(authd->db, "lan_ip", &c, NULL) == 0 && c.value[0])
		strlcpy(buf, c.value, len);
	else
		net_lan_ip(buf, len);
}

/* What a user types into OBS, an SRT camera and a player. */
int
ops_stream_urls(int64_t id, yajl_gen g, struct db_err *err)
{
	struct db_stream s;
	struct db_config c;
	char lan[64], pub[DB_CONF_VAL_SZ];

	if (db_stream_get(authd->db, id, &s, err) == -1)
		return -1;
	ops_lan_ip(lan, sizeof(lan));
	pub[0] = '\0';
	if (db_config_get(authd->db, "domain", &c, NULL) == 0 && c.value[0])
		strlcpy(pub, c.value, sizeof(pub));
	else if (db_config_get(authd->db, "public_ip", &c, NULL) == 0)
		strlcpy(pub, c.value, sizeof(pub));
	yajl_gen_map_open(g);
	json_str(g, "name", s.name);
	json_str(g, "stream_key", s.stream_key);
	ops_urls_for(g, "lan", lan[0] ? lan : "127.0.0.1", &s);
	ops_urls_for(g, "public", pub, &s);
	yajl_gen_map_close(g);
	return 0;
}

int
ops_session_list(yajl_val args, yajl_gen g, struct db_err *err)
{
	struct db_session *list;
	long long limit = 100;
	size_t n, i;
	int active = 0;

	if (ops_arg_bool(args, "active", &active, err) == -1 ||
	    ops_arg_int(args, "limit", &limit, err) == -1)
		return -1;
	if (limit < 1 || limit > 1000)
		return ops_fail(err, DB_EINVAL, "limit", "must be 1 to 1000");
	if (db_session_list(authd->db, active, (int)limit, &list, &n, err) ==
	    -1)
		return -1;
	yajl_gen_array_open(g);
	for (i = 0; i < n; i++)
		db_session_json(g, &list[i]);
	yajl_gen_array_close(g);
	free(list);
	return 0;
}

int
ops_session_get(int64_t id, yajl_gen g, struct db_err *err)
{
	struct db_session s;

	if (db_session_get(authd->db, id, &s, err) == -1)
		return -1;
	db_session_json(g, &s);
	return 0;
}

/* Stops a live publisher and ends its session at once. */
int
ops_session_kick(int64_t id, yajl_gen g, struct db_err *err)
{
	struct db_session s;

	if (db_session_get(authd->db, id, &s, err) == -1)
		return -1;
	if (s.ended_at[0] != '\0')
		return ops_fail(err, DB_EINVAL, "id", "session already ended");
	control_revoke(NULL, id, "kicked by an operator");
	if (db_session_end(authd->db, id, "kicked by an operator", err) == -1 ||
	    db_session_get(authd->db, id, &s, err) == -1)
		return -1;
	log_info("session %lld (%s): kicked", (long long)id, s.stream_name);
	db_session_json(g, &s);
	return 0;
}

int
ops_config_get(const char *key, yajl_gen g, struct db_err *err)
{
	struct db_config c, *list;
	size_t n, i;

	if (key != NULL) {
		if (db_config_get(authd->db, key, &c, err) == -1)
			return -1;
		db_config_json(g, &c);
		return 0;
	}
	if (db_config_list(authd->db, &list, &n, err) == -1)
		return -1;
	yajl_gen_array_open(g);
	for (i = 0; i < n; i++)
		db_config_json(g, &list[i]);
	yajl_gen_array_close(g);
	free(list);
	return 0;
}

/*
 * Sets every key of pairs ({"key": "value" or number}), all or nothing:
 * on a refused value the keys already set get their old values back.
 */
int
ops_config_set(yajl_val pairs, yajl_gen g, struct db_err *err)
{
	struct db_config *old;
	char num[32];
	const char *val;
	size_t i, n;

	if (pairs == NULL || !YAJL_IS_OBJECT(pairs) || pairs->u.object.len == 0)
		return ops_fail(err, DB_EINVAL, NULL, "no settings given");
	n = pairs->u.object.len;
	old = xcalloc(n, sizeof(*old));
	for (i = 0; i < n; i++) {
		const char *key = pairs->u.object.keys[i];
		yajl_val v = pairs->u.object.values[i];

		if (db_config_get(authd->db, key, &old[i], err) == -1)
			goto undo;
		if (YAJL_IS_STRING(v))
			val = v->u.string;
		else if (YAJL_IS_INTEGER(v)) {
			snprintf(num, sizeof(num), "%lld", YAJL_GET_INTEGER(v));
			val = num;
		} else {
			ops_fail(err, DB_EINVAL, key,
			    "must be a string or an integer");
			goto undo;
		}
		if (db_config_set(authd->db, key, val, err) == -1)
			goto undo;
	}
	free(old);
	return ops_config_get(NULL, g, err);
undo:
	while (i-- > 0)
		db_config_set(authd->db, old[i].key, old[i].value, NULL);
	free(old);
	return -1;
}

int
ops_user_passwd(
    const char *username, const char *password, yajl_gen g, struct db_err *err)
{
	struct db_user u;

	if (username == NULL)
		return ops_fail(err, DB_EINVAL, "username", "required");
	if (password == NULL)
		return ops_fail(err, DB_EINVAL, "password", "required");
	if (db_user_get_by_name(authd->db, username, &u, err) == -1 ||
	    db_user_set_password(authd->db, u.id, password, err) == -1 ||
	    db_user_get(authd->db, u.id, &u, err) == -1)
		return -1;
	/* the owner, or an operator on the box: guesses stop counting */
	api_limit_forget(API_LIMIT_ACCOUNT, u.username);
	log_info("user %s: password changed", u.username);
	db_user_json(g, &u);
	return 0;
}

int
ops_stats(yajl_gen g, struct db_err *err)
{
	struct db_stats st;

	if (db_stats(authd->db, &st, err) == -1)
		return -1;
	db_stats_json(g, &st);
	return 0;
}

int
ops_server_ip(yajl_gen g, struct db_err *err)
{
	struct db_config c;
	char lan[64];

	ops_lan_ip(lan, sizeof(lan));
	yajl_gen_map_open(g);
	json_str(g, "lan_ip", lan);
	json_str(g, "public_ip",
	    db_config_get(authd->db, "public_ip", &c, NULL) == 0 ? c.value
	                                                         : "");
	yajl_gen_map_close(g);
	return 0;
}
