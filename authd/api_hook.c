/*
 * SRS-compatible publish hooks: an SRS server asks whether a key may
 * publish ({"code":0} allows, any other code refuses) and says when it
 * stops.
 */
#include <stdio.h>
#include <string.h>

#include "authd.h"

#define API_HOOKS_MAX 128 /* SRS publishers at once */

/* SRS client ids and the sessions their on_publish opened. */
static struct api_hook {
	char client[DB_CLIENT_SZ];
	int64_t session;
} api_hooks[API_HOOKS_MAX];

void
api_hook_clear(void)
{
	memset(api_hooks, 0, sizeof(api_hooks));
}

static void
api_hook_reply(struct api_req *r, int code, const char *msg)
{
	yajl_gen g = json_gen();

	yajl_gen_map_open(g);
	json_int(g, "code", code);
	if (msg != NULL)
		json_str(g, "msg", msg);
	yajl_gen_map_close(g);
	/* SRS wants HTTP 200 and reads the verdict from "code" */
	api_reply_raw(r, 200, g);
	yajl_gen_free(g);
}

/* SRS 4+ sends client_id as a string, SRS 3 as a number. */
static int
api_hook_client(yajl_val body, char client[DB_CLIENT_SZ])
{
	yajl_val v = json_get(body, "client_id");

	if (v != NULL && YAJL_IS_STRING(v) && *v->u.string != '\0' &&
	    strlen(v->u.string) < DB_CLIENT_SZ) {
		strlcpy(client, v->u.string, DB_CLIENT_SZ);
		return 0;
	}
	if (v != NULL && YAJL_IS_INTEGER(v)) {
		snprintf(client, DB_CLIENT_SZ, "%lld", YAJL_GET_INTEGER(v));
		return 0;
	}
	return -1;
}

static struct api_hook *
api_hook_find(const char *client)
{
	size_t i;

	for (i = 0; i < API_HOOKS_MAX; i++)
		if (api_hooks[i].session != 0 &&
		    strcmp(api_hooks[i].client, client) == 0)
			return &api_hooks[i];
	return NULL;
}

/* 0 if hooks are served to this peer, else answers 404 or 403. */
static int
api_hook_allowed(struct api_req *r)
{
	const char *mode = conf_str(authd->d.conf, "hooks");

	if (strcmp(mode, "off") == 0) {
		api_reply_error(r, 404, "not found", NULL, NULL);
		return -1;
	}
	if (strcmp(mode, "loopback") == 0 && !r->loopback) {
		api_reply_error(
		    r, 403, "hooks are served to loopback only", NULL, NULL);
		return -1;
	}
	return 0;
}

void
api_hook_publish(struct api_req *r)
{
	char client[DB_CLIENT_SZ];
	struct db_publish pub;
	struct db_err err = {0};
	struct api_hook *h;
	const char *key = json_get_str(r->body, "stream");
	const char *ip = json_get_str(r->body, "ip");
	size_t i;

	if (api_hook_allowed(r) == -1)
		return;
	if (key == NULL || api_hook_client(r->body, client) == -1) {
		api_hook_reply(r, 400, "stream and client_id required");
		return;
	}
	if (ip != NULL && strlen(ip) >= DB_IP_SZ)
		ip = NULL;
	/* a client publishing again ends its old session first */
	if ((h = api_hook_find(client)) != NULL) {
		db_session_end(authd->db, h->session, NULL);
		memset(h, 0, sizeof(*h));
	}
	for (i = 0; i < API_HOOKS_MAX; i++)
		if (api_hooks[i].session == 0)
			break;
	if (i == API_HOOKS_MAX) {
		api_hook_reply(r, 503, "too many hook publishers");
		return;
	}
	if (db_publish_check(authd->db, key, "rtmp", ip != NULL ? ip : r->ip,
	        client, &pub, &err) == -1) {
		authd->publishes_refused++;
		log_info("hook: publish refused (client %s from %s): %s",
		    client, ip != NULL ? ip : r->ip, err.msg);
		api_hook_reply(r, err.code, err.msg);
		return;
	}
	authd->publishes_ok++;
	strlcpy(api_hooks[i].client, client, sizeof(api_hooks[i].client));
	api_hooks[i].session = pub.session_id;
	log_info("hook: publish allowed: stream %s, session %lld (client %s)",
	    pub.stream_name, (long long)pub.session_id, client);
	api_hook_reply(r, 0, NULL);
}

void
api_hook_unpublish(struct api_req *r)
{
	char client[DB_CLIENT_SZ];
	struct api_hook *h;

	if (api_hook_allowed(r) == -1)
		return;
	if (api_hook_client(r->body, client) == 0 &&
	    (h = api_hook_find(client)) != NULL) {
		if (db_session_end(authd->db, h->session, NULL) == 0)
			log_info(
			    "hook: session %lld ended", (long long)h->session);
		memset(h, 0, sizeof(*h));
	}
	api_hook_reply(r, 0, NULL);
}
