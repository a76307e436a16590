/*
 * authd's control socket.  nyonctl asks for the management operations in
 * ops.c; ingestd says hello, asks whether a key may publish, reports the
 * end of each publish, and is told when a live publisher must stop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authd.h"

#define INGESTD_MAX 4

/* An ingestd connection and the sessions it opened. */
struct ingestd_conn {
	struct ctl_peer *peer;
	int64_t *sessions;
	size_t nsessions, cap;
};

static struct ingestd_conn *control_ingestd[INGESTD_MAX];

int
control_ingestd_connected(void)
{
	size_t i;

	for (i = 0; i < INGESTD_MAX; i++)
		if (control_ingestd[i] != NULL)
			return 1;
	return 0;
}

static void
control_session_add(struct ingestd_conn *ic, int64_t id)
{
	if (ic->nsessions == ic->cap) {
		ic->cap = ic->cap ? ic->cap * 2 : 8;
		ic->sessions =
		    xreallocarray(ic->sessions, ic->cap, sizeof(*ic->sessions));
	}
	ic->sessions[ic->nsessions++] = id;
}

static int
control_session_del(struct ingestd_conn *ic, int64_t id)
{
	size_t i;

	for (i = 0; i < ic->nsessions; i++)
		if (ic->sessions[i] == id) {
			ic->sessions[i] = ic->sessions[--ic->nsessions];
			return 0;
		}
	return -1;
}

void
control_revoke(const char *stream, int64_t session, const char *why)
{
	yajl_gen g;
	size_t i;

	for (i = 0; i < INGESTD_MAX; i++) {
		if (control_ingestd[i] == NULL)
			continue;
		g = ctl_msg_begin("revoke");
		if (stream != NULL)
			json_str(g, "stream", stream);
		if (session != 0)
			json_int(g, "session", session);
		json_str(g, "reason", why);
		yajl_gen_map_close(g);
		ctl_peer_send(control_ingestd[i]->peer, g, NULL, 0);
		yajl_gen_free(g);
	}
	authd->revocations++;
}

/* Replies with the result of an operation: {"ok":true,"data":...}. */
static void
control_reply(
    struct ctl_peer *p, yajl_val req, int r, yajl_gen data, struct db_err *err)
{
	yajl_gen g;
	long long id;

	if (r == -1) {
		g = ctl_error_begin(err->msg);
		json_int(g, "code", err->code);
		if (err->field[0] != '\0')
			json_str(g, "field", err->field);
	} else {
		g = ctl_reply_begin();
		json_key(g, "data");
		json_raw(g, data);
	}
	if (json_get_int(req, "req", &id) == 0)
		json_int(g, "req", id);
	ctl_reply_end(p, g);
}

static int
control_session_id(yajl_val args, int64_t *id, struct db_err *err)
{
	long long n;

	if (json_get_int(args, "id", &n) == -1) {
		err->code = DB_EINVAL;
		strlcpy(err->field, "id", sizeof(err->field));
		strlcpy(err->msg, "id: a session number is required",
		    sizeof(err->msg));
		return -1;
	}
	*id = n;
	return 0;
}

/* nyonctl's operations; returns 0 if op was one of them. */
static int
control_ops(struct ctl_peer *p, struct ctl_msg *m)
{
	struct db_err err = {0};
	yajl_val a = m->root;
	yajl_gen g;
	int64_t id;
	int r = -1;

	g = json_gen();
	if (strcmp(m->op, "stream_list") == 0)
		r = ops_stream_list(a, g, &err);
	else if (strcmp(m->op, "stream_add") == 0)
		r = ops_stream_create(a, g, &err);
	else if (strncmp(m->op, "stream_", 7) == 0) {
		const char *sub = m->op + 7;

		if (strcmp(sub, "show") != 0 && strcmp(sub, "edit") != 0 &&
		    strcmp(sub, "rm") != 0 && strcmp(sub, "enable") != 0 &&
		    strcmp(sub, "disable") != 0 &&
		    strcmp(sub, "regen_key") != 0 && strcmp(sub, "urls") != 0) {
			yajl_gen_free(g);
			return -1;
		}
		if (ops_stream_id(a, &id, &err) == 0) {
			if (strcmp(sub, "show") == 0)
				r = ops_stream_get(id, g, &err);
			else if (strcmp(sub, "edit") == 0)
				r = ops_stream_update(id, a, g, &err);
			else if (strcmp(sub, "rm") == 0)
				r = ops_stream_delete(id, g, &err);
			else if (strcmp(sub, "enable") == 0)
				r = ops_stream_set_active(id, 1, g, &err);
			else if (strcmp(sub, "disable") == 0)
				r = ops_stream_set_active(id, 0, g, &err);
			else if (strcmp(sub, "regen_key") == 0)
				r = ops_stream_regen_key(id, g, &err);
			else
				r = ops_stream_urls(id, g, &err);
		}
	} else if (strcmp(m->op, "session_list") == 0)
		r = ops_session_list(a, g, &err);
	else if (strcmp(m->op, "session_show") == 0 ||
	    strcmp(m->op, "session_kick") == 0) {
		if (control_session_id(a, &id, &err) == 0)
			r = strcmp(m->op, "session_show") == 0
			    ? ops_session_get(id, g, &err)
			    : ops_session_kick(id, g, &err);
	} else if (strcmp(m->op, "config_get") == 0)
		r = ops_config_get(json_get_str(a, "key"), g, &err);
	else if (strcmp(m->op, "config_set") == 0)
		r = ops_config_set(json_get(a, "settings"), g, &err);
	else if (strcmp(m->op, "user_passwd") == 0)
		r = ops_user_passwd(json_get_str(a, "username"),
		    json_get_str(a, "password"), g, &err);
	else if (strcmp(m->op, "stats") == 0)
		r = ops_stats(g, &err);
	else {
		yajl_gen_free(g);
		return -1;
	}
	control_reply(p, a, r, g, &err);
	yajl_gen_free(g);
	return 0;
}

/* ingestd asks whether a key may publish. */
static void
control_publish(struct ctl_peer *p, struct ingestd_conn *ic, yajl_val a)
{
	struct db_publish pub;
	struct db_err err = {0};
	const char *key = json_get_str(a, "key");
	const char *proto = json_get_str(a, "proto");
	yajl_gen g;
	long long req;

	if (db_publish_check(authd->db, key, proto, json_get_str(a, "ip"),
	        json_get_str(a, "client"), &pub, &err) == -1) {
		authd->publishes_refused++;
		log_info("publish refused (%s from %s): %s",
		    proto ? proto : "?",
		    json_get_str(a, "ip") ? json_get_str(a, "ip") : "?",
		    err.msg);
		g = ctl_error_begin(err.msg);
	} else {
		authd->publishes_ok++;
		control_session_add(ic, pub.session_id);
		log_info(
		    "publish allowed: stream %s, session %lld (%s from %s)",
		    pub.stream_name, (long long)pub.session_id, proto,
		    json_get_str(a, "ip") ? json_get_str(a, "ip") : "?");
		g = ctl_reply_begin();
		json_str(g, "stream", pub.stream_name);
		json_int(g, "session", pub.session_id);
		json_int(g, "max_bitrate", pub.max_bitrate);
	}
	if (json_get_int(a, "req", &req) == 0)
		json_int(g, "req", req);
	ctl_reply_end(p, g);
}

static void
control_unpublish(struct ingestd_conn *ic, yajl_val a)
{
	long long id;

	if (json_get_int(a, "session", &id) == -1)
		return;
	control_session_del(ic, id);
	if (db_session_end(authd->db, id, NULL) == 0)
		log_info("session %lld ended", id);
}

static struct ingestd_conn *
control_hello(struct ctl_peer *p)
{
	struct ingestd_conn *ic;
	size_t i;

	if ((ic = ctl_peer_data(p)) != NULL)
		return ic;
	for (i = 0; i < INGESTD_MAX; i++)
		if (control_ingestd[i] == NULL)
			break;
	if (i == INGESTD_MAX)
		return NULL;
	ic = xcalloc(1, sizeof(*ic));
	ic->peer = p;
	control_ingestd[i] = ic;
	ctl_peer_set_data(p, ic);
	log_info("ingestd connected (pid %ld)", (long)ctl_peer_pid(p));
	return ic;
}

int
control_handle(struct ctl_peer *p, struct ctl_msg *m, void *arg)
{
	struct ingestd_conn *ic;
	yajl_gen g;

	if (strcmp(m->op, "hello") == 0) {
		if (control_hello(p) == NULL) {
			ctl_peer_error(p, "too many ingestd connections");
			return 0;
		}
		g = ctl_reply_begin();
		json_str(g, "daemon", "authd");
		ctl_reply_end(p, g);
		return 0;
	}
	if (strcmp(m->op, "publish") == 0 || strcmp(m->op, "unpublish") == 0) {
		if ((ic = ctl_peer_data(p)) == NULL) {
			ctl_peer_error(p, "say hello first");
			return 0;
		}
		if (strcmp(m->op, "publish") == 0)
			control_publish(p, ic, m->root);
		else
			control_unpublish(ic, m->root);
		return 0;
	}
	return control_ops(p, m);
}

/* ingestd went away: its sessions are over. */
void
control_peer_closed(struct ctl_peer *p, void *arg)
{
	struct ingestd_conn *ic = ctl_peer_data(p);
	size_t i;

	if (ic == NULL)
		return;
	for (i = 0; i < ic->nsessions; i++)
		db_session_end(authd->db, ic->sessions[i], NULL);
	log_info("ingestd disconnected; ended its %zu sessions", ic->nsessions);
	for (i = 0; i < INGESTD_MAX; i++)
		if (control_ingestd[i] == ic)
			control_ingestd[i] = NULL;
	free(ic->sessions);
	free(ic);
}
