/*
 * Viewer sessions as flvd and rtcd report them (lib/vreport.c): each
 * batch checked entry by entry, then written in one transaction.  A
 * reporter that goes away has its open sessions ended; it sends its live
 * ones again when it comes back.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authd.h"

#define VIEWERS_PEERS_MAX 16 /* reporters connected at once */

static struct {
	struct ctl_peer *peer;
	char source[VIEWERS_SOURCE_SZ];
} viewers_peers[VIEWERS_PEERS_MAX];

static int
viewers_printable(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= max || (unsigned char)s[i] < 0x20 ||
		    (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

static int
viewers_output_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= DB_OUTPUT_SZ - 1 ||
		    !((s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return i > 0;
}

static int
viewers_address_ok(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 ||
	    inet_pton(AF_INET6, s, buf) == 1;
}

static int
viewers_int(yajl_val o, const char *key, int required, int64_t *out)
{
	yajl_val v = json_get(o, key);

	*out = 0;
	if (v == NULL)
		return required ? -1 : 0;
	if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0)
		return -1;
	*out = YAJL_GET_INTEGER(v);
	return 0;
}

static int
viewers_str(yajl_val o, const char *key, char *out, size_t len)
{
	const char *s = json_get_str(o, key);

	if (s == NULL || strlen(s) >= len)
		return -1;
	strlcpy(out, s, len);
	return 0;
}

int
viewers_parse(yajl_val sessions, struct db_viewer *out, size_t max, size_t *n,
    char *why, size_t whylen)
{
	struct db_viewer *v;
	char namewhy[128];
	yajl_val o;
	size_t i;

	*n = 0;
	if (sessions == NULL || !YAJL_IS_ARRAY(sessions)) {
		snprintf(why, whylen, "sessions: must be an array");
		return -1;
	}
	if (sessions->u.array.len > max) {
		snprintf(why, whylen, "sessions: more than %zu", max);
		return -1;
	}
	for (i = 0; i < sessions->u.array.len; i++) {
		o = sessions->u.array.values[i];
		v = &out[i];
		memset(v, 0, sizeof(*v));
		if (!YAJL_IS_OBJECT(o)) {
			snprintf(
			    why, whylen, "sessions[%zu]: not an object", i);
			return -1;
		}
		if (viewers_int(o, "id", 1, &v->sid) == -1 ||
		    viewers_int(o, "started", 1, &v->started) == -1 ||
		    viewers_int(o, "ended", 0, &v->ended) == -1 ||
		    viewers_int(o, "bytes", 0, &v->bytes) == -1 ||
		    v->started == 0 ||
		    (v->ended != 0 && v->ended < v->started)) {
			snprintf(why, whylen,
			    "sessions[%zu]: id, started, ended or bytes: bad",
			    i);
			return -1;
		}
		if (viewers_str(o, "stream", v->stream, sizeof(v->stream)) ==
		        -1 ||
		    stream_name_check(v->stream, namewhy, sizeof(namewhy)) ==
		        -1) {
			snprintf(why, whylen, "sessions[%zu]: stream: bad", i);
			return -1;
		}
		if (viewers_str(o, "output", v->output, sizeof(v->output)) ==
		        -1 ||
		    !viewers_output_ok(v->output)) {
			snprintf(why, whylen, "sessions[%zu]: output: bad", i);
			return -1;
		}
		if (viewers_str(o, "address", v->address, sizeof(v->address)) ==
		        -1 ||
		    !viewers_address_ok(v->address)) {
			snprintf(why, whylen, "sessions[%zu]: address: bad", i);
			return -1;
		}
		if (json_get(o, "user_agent") != NULL &&
		    (viewers_str(o, "user_agent", v->user_agent,
		         sizeof(v->user_agent)) == -1 ||
		        !viewers_printable(
		            v->user_agent, sizeof(v->user_agent) - 1))) {
			snprintf(
			    why, whylen, "sessions[%zu]: user_agent: bad", i);
			return -1;
		}
		(*n)++;
	}
	return 0;
}

/* Notes which reporter a peer is, to end its sessions when it goes. */
static int
viewers_peer_source(struct ctl_peer *p, const char *source)
{
	size_t i, free_slot = VIEWERS_PEERS_MAX;

	for (i = 0; i < VIEWERS_PEERS_MAX; i++) {
		if (viewers_peers[i].peer == p)
			return strcmp(viewers_peers[i].source, source) == 0
			    ? 0
			    : -1; /* one source per connection */
		if (viewers_peers[i].peer == NULL &&
		    free_slot == VIEWERS_PEERS_MAX)
			free_slot = i;
	}
	if (free_slot == VIEWERS_PEERS_MAX)
		return -1;
	viewers_peers[free_slot].peer = p;
	strlcpy(viewers_peers[free_slot].source, source,
	    sizeof(viewers_peers[free_slot].source));
	return 0;
}

void
viewers_report(struct ctl_peer *p, struct ctl_msg *m, void *arg)
{
	const char *source = json_get_str(m->root, "source");
	struct db_err err = {0};
	struct db_viewer *v;
	char why[128];
	size_t n;
	yajl_gen g;

	if (source == NULL || source[0] == '\0' ||
	    strlen(source) >= VIEWERS_SOURCE_SZ ||
	    !viewers_printable(source, VIEWERS_SOURCE_SZ - 1)) {
		ctl_peer_error(p, "source: bad");
		return;
	}
	if (viewers_peer_source(p, source) == -1) {
		ctl_peer_error(p,
		    "source: too many reporters, or a second "
		    "source on one connection");
		return;
	}
	v = xreallocarray(NULL, VIEWERS_BATCH_MAX, sizeof(*v));
	if (viewers_parse(json_get(m->root, "sessions"), v, VIEWERS_BATCH_MAX,
	        &n, why, sizeof(why)) == -1) {
		log_warnx("viewer report from pid %ld refused: %s",
		    (long)ctl_peer_pid(p), why);
		ctl_peer_error(p, "%s", why);
	} else if (db_viewer_report(authd->db, source, v, n, &err) == -1)
		ctl_peer_error(p, "%s", err.msg);
	else {
		authd->viewer_reports += n;
		g = ctl_reply_begin();
		json_int(g, "stored", (long long)n);
		ctl_reply_end(p, g);
	}
	free(v);
}

void
viewers_peer_closed(struct ctl_peer *p)
{
	size_t i;

	for (i = 0; i < VIEWERS_PEERS_MAX; i++)
		if (viewers_peers[i].peer == p) {
			db_viewer_end(authd->db, viewers_peers[i].source,
			    time(NULL), NULL);
			viewers_peers[i].peer = NULL;
		}
}

void
viewers_prune(void)
{
	const struct conf *c = authd->d.conf;
	struct db_err err = {0};

	if (db_viewer_prune(authd->db,
	        time(NULL) - conf_int(c, "viewer_retention_days") * 86400,
	        conf_int(c, "viewer_retention_rows"), &err) == -1)
		log_warnx("viewer sessions: %s", err.msg);
}

/* Midnight UTC, today: what "today" means in the figures. */
static int64_t
viewers_today(void)
{
	time_t now = time(NULL);

	return (int64_t)(now - now % 86400);
}

int
ops_viewer_list(yajl_val a, yajl_gen g, struct db_err *err)
{
	long long limit = 100;
	int active = 0;

	if (json_get(a, "limit") != NULL &&
	    (json_get_int(a, "limit", &limit) == -1 || limit < 1 ||
	        limit > 1000))
		return db_fail(err, DB_EINVAL, "limit", "limit: 1 to 1000");
	json_get_bool(a, "active", &active);
	return db_viewer_list_json(authd->db, json_get_str(a, "stream"), active,
	    (int)limit, time(NULL), g, err);
}

int
ops_viewer_stats(yajl_val a, yajl_gen g, struct db_err *err)
{
	int r;

	yajl_gen_map_open(g);
	json_int(g, "since", viewers_today());
	json_key(g, "streams");
	r = db_viewer_stats_json(
	    authd->db, json_get_str(a, "stream"), viewers_today(), g, err);
	yajl_gen_map_close(g);
	return r;
}
