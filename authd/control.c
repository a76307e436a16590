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
#define FWDD_MAX 4

/* An ingestd connection and the sessions it opened. */
struct ingestd_conn {
	struct ctl_peer *peer;
	int64_t *sessions;
	size_t nsessions, cap;
};

static struct ingestd_conn *control_ingestd[INGESTD_MAX];
/* fwdd connections: they asked for destinations, changes are pushed */
static struct ctl_peer *control_fwdd[FWDD_MAX];

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
		g = ctl_msg_begin(CTL_OP_REVOKE);
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

void
control_forward_changed(const char *stream)
{
	yajl_gen g;
	size_t i;

	for (i = 0; i < FWDD_MAX; i++) {
		if (control_fwdd[i] == NULL)
			continue;
		g = ctl_msg_begin(CTL_OP_FORWARD_CHANGED);
		json_str(g, "stream", stream);
		yajl_gen_map_close(g);
		ctl_peer_send(control_fwdd[i], g, NULL, 0);
		yajl_gen_free(g);
	}
}

/* Replies with the result of an operation: {"ok":true,"data":...}. */
static void
control_reply(struct ctl_peer *p, int r, yajl_gen data, struct db_err *err)
{
	yajl_gen g;

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
	ctl_reply_end(p, g);
}

/*
 * nyonctl's operations, one function each, over ops.c.  ctl_ops has
 * checked the peer's role and the fields before any of these runs.
 */
typedef int (*control_msg_fn)(yajl_val, yajl_gen, struct db_err *);
typedef int (*control_id_fn)(int64_t, yajl_gen, struct db_err *);

static int
control_stream_enable(int64_t id, yajl_gen g, struct db_err *err)
{
	return ops_stream_set_active(id, 1, g, err);
}

static int
control_stream_disable(int64_t id, yajl_gen g, struct db_err *err)
{
	return ops_stream_set_active(id, 0, g, err);
}

static int
control_stream_edit(yajl_val a, yajl_gen g, struct db_err *err)
{
	int64_t id;

	if (ops_stream_id(a, &id, err) == -1)
		return -1;
	return ops_stream_update(id, a, g, err);
}

static int
control_session_show(yajl_val a, yajl_gen g, struct db_err *err)
{
	long long id = 0;

	json_get_int(a, "id", &id);
	return ops_session_get(id, g, err);
}

static int
control_session_kick(yajl_val a, yajl_gen g, struct db_err *err)
{
	long long id = 0;

	json_get_int(a, "id", &id);
	return ops_session_kick(id, g, err);
}

static int
control_config_get(yajl_val a, yajl_gen g, struct db_err *err)
{
	return ops_config_get(json_get_str(a, "key"), g, err);
}

static int
control_config_set(yajl_val a, yajl_gen g, struct db_err *err)
{
	return ops_config_set(json_get(a, "settings"), g, err);
}

static int
control_user_passwd(yajl_val a, yajl_gen g, struct db_err *err)
{
	return ops_user_passwd(
	    json_get_str(a, "username"), json_get_str(a, "password"), g, err);
}

static int
control_stats(yajl_val a, yajl_gen g, struct db_err *err)
{
	return ops_stats(g, err);
}

static int
control_server_ip(yajl_val a, yajl_gen g, struct db_err *err)
{
	return ops_server_ip(g, err);
}

static int
control_forward_edit(yajl_val a, yajl_gen g, struct db_err *err)
{
	long long id = 0;

	json_get_int(a, "id", &id);
	return ops_forward_edit(id, a, g, err);
}

/* Each op takes the whole message, or (by_id) the stream it names. */
static const struct {
	control_msg_fn fn;
	control_id_fn by_id;
} control_table[CTL_OP_COUNT] = {
    [CTL_OP_STREAM_LIST] = {ops_stream_list, NULL},
    [CTL_OP_STREAM_ADD] = {ops_stream_create, NULL},
    [CTL_OP_STREAM_EDIT] = {control_stream_edit, NULL},
    [CTL_OP_STREAM_SHOW] = {NULL, ops_stream_get},
    [CTL_OP_STREAM_RM] = {NULL, ops_stream_delete},
    [CTL_OP_STREAM_ENABLE] = {NULL, control_stream_enable},
    [CTL_OP_STREAM_DISABLE] = {NULL, control_stream_disable},
    [CTL_OP_STREAM_REGEN_KEY] = {NULL, ops_stream_regen_key},
    [CTL_OP_STREAM_URLS] = {NULL, ops_stream_urls},
    [CTL_OP_SESSION_LIST] = {ops_session_list, NULL},
    [CTL_OP_SESSION_SHOW] = {control_session_show, NULL},
    [CTL_OP_SESSION_KICK] = {control_session_kick, NULL},
    [CTL_OP_CONFIG_GET] = {control_config_get, NULL},
    [CTL_OP_CONFIG_SET] = {control_config_set, NULL},
    [CTL_OP_USER_PASSWD] = {control_user_passwd, NULL},
    [CTL_OP_STATS] = {control_stats, NULL},
    [CTL_OP_SERVER_IP] = {control_server_ip, NULL},
    [CTL_OP_FORWARD_LIST] = {ops_forward_list, NULL},
    [CTL_OP_FORWARD_ADD] = {ops_forward_add, NULL},
    [CTL_OP_FORWARD_EDIT] = {control_forward_edit, NULL},
    [CTL_OP_FORWARD_RM] = {ops_forward_rm, NULL},
    [CTL_OP_VIEWER_LIST] = {ops_viewer_list, NULL},
    [CTL_OP_VIEWER_STATS] = {ops_viewer_stats, NULL},
    [CTL_OP_HISTORY] = {ops_history, NULL},
};

static void
control_op(struct ctl_peer *p, struct ctl_msg *m, void *arg)
{
	struct db_err err = {0};
	enum ctl_op op;
	yajl_gen g;
	int64_t id;
	int r;

	if (ctl_op_find(m->op, &op) == -1)
		return; /* ctl_server.c lets only known ops through */
	g = json_gen();
	if (control_table[op].fn != NULL)
		r = control_table[op].fn(m->root, g, &err);
	else if ((r = ops_stream_id(m->root, &id, &err)) == 0)
		r = control_table[op].by_id(id, g, &err);
	control_reply(p, r, g, &err);
	yajl_gen_free(g);
}

/* ingestd asks whether a key may publish. */
static void
control_publish(struct ctl_peer *p, struct ctl_msg *m, void *arg)
{
	struct ingestd_conn *ic = ctl_peer_data(p);
	struct db_publish pub;
	struct db_err err = {0};
	yajl_val a = m->root;
	const char *key = json_get_str(a, "key");
	const char *proto = json_get_str(a, "proto");
	yajl_gen g;

	if (ic == NULL) {
		ctl_peer_error(p, "say hello first");
		return;
	}
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
		/* none: ingestd's readers follow nyon.conf's `record` */
		if (pub.record >= 0)
			json_bool(g, "record", pub.record);
	}
	ctl_reply_end(p, g);
}

/*
 * fwdd asks for a live stream's destinations.  Its connection is kept so
 * that changes can be pushed (control_forward_changed).
 */
static void
control_forward_get(struct ctl_peer *p, struct ctl_msg *m, void *arg)
{
	const char *name = json_get_str(m->root, "stream");
	struct db_err err = {0};
	size_t i, free_slot = FWDD_MAX;
	yajl_gen g;
	int r;

	for (i = 0; i < FWDD_MAX; i++) {
		if (control_fwdd[i] == p)
			break;
		if (control_fwdd[i] == NULL && free_slot == FWDD_MAX)
			free_slot = i;
	}
	if (i == FWDD_MAX && free_slot < FWDD_MAX) {
		control_fwdd[free_slot] = p;
		log_info("fwdd connected (pid %ld)", (long)ctl_peer_pid(p));
	}
	g = json_gen();
	r = ops_forward_get(name, g, &err);
	log_debug(
	    "fwdd: destinations of %s: %s", name, r == 0 ? "sent" : err.msg);
	control_reply(p, r, g, &err);
	yajl_gen_free(g);
}

static void
control_unpublish(struct ctl_peer *p, struct ctl_msg *m, void *arg)
{
	struct ingestd_conn *ic = ctl_peer_data(p);
	const char *reason;
	long long id;

	if (ic == NULL || json_get_int(m->root, "session", &id) == -1)
		return;
	/* only the connection that opened a session may end it */
	if (control_session_del(ic, id) == -1) {
		log_warnx("unpublish of session %lld, not opened by pid %ld",
		    id, (long)ctl_peer_pid(p));
		return;
	}
	reason = json_get_str(m->root, "reason");
	if (db_session_end(authd->db, id, reason, NULL) == 0)
		log_info("session %lld ended%s%s", id, reason ? ": " : "",
		    reason ? reason : "");
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

static void
control_hello_op(struct ctl_peer *p, struct ctl_msg *m, void *arg)
{
	yajl_gen g;

	if (control_hello(p) == NULL) {
		ctl_peer_error(p, "too many ingestd connections");
		return;
	}
	g = ctl_reply_begin();
	json_str(g, "daemon", "authd");
	ctl_reply_end(p, g);
}

void
control_init(struct daemon *d)
{
	size_t i;

	d->served = CTL_SERVED_AUTHD;
	for (i = 0; i < CTL_OP_COUNT; i++)
		if (control_table[i].fn != NULL ||
		    control_table[i].by_id != NULL)
			d->handlers[i] = control_op;
	d->handlers[CTL_OP_HELLO] = control_hello_op;
	d->handlers[CTL_OP_PUBLISH] = control_publish;
	d->handlers[CTL_OP_UNPUBLISH] = control_unpublish;
	d->handlers[CTL_OP_FORWARD_GET] = control_forward_get;
	d->handlers[CTL_OP_VIEWER_REPORT] = viewers_report;
	d->peer_closed = control_peer_closed;
}

/* ingestd went away: its sessions are over. */
void
control_peer_closed(struct ctl_peer *p, void *arg)
{
	struct ingestd_conn *ic = ctl_peer_data(p);
	size_t i;

	for (i = 0; i < FWDD_MAX; i++)
		if (control_fwdd[i] == p) {
			control_fwdd[i] = NULL;
			log_info("fwdd disconnected");
		}
	viewers_peer_closed(p);
	if (ic == NULL)
		return;
	for (i = 0; i < ic->nsessions; i++)
		db_session_end(
		    authd->db, ic->sessions[i], "ingestd disconnected", NULL);
	log_info("ingestd disconnected; ended its %zu sessions", ic->nsessions);
	for (i = 0; i < INGESTD_MAX; i++)
		if (control_ingestd[i] == ic)
			control_ingestd[i] = NULL;
	free(ic->sessions);
	free(ic);
}
