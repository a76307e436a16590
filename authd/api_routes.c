/*
 * The REST API's routing table: which handler answers which method and
 * path, and whether it wants a token.  Each handler turns a request into
 * one of ops.c's operations, the same ones nyonctl's control requests use,
 * so both refuse the same input with the same words.  The HTTP layer
 * (api.c) reaches the handlers only through here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "authd.h"

#define R_PUBLIC 0x01 /* no token needed */
#define R_FIRST 0x02 /* allowed while the password must be changed */

struct api_route {
	int method;
	const char *path; /* ":id" matches one segment, a positive integer */
	int flags;
	void (*fn)(struct api_req *);
};

#define GET EVHTTP_REQ_GET
#define POST EVHTTP_REQ_POST
#define PUT EVHTTP_REQ_PUT
#define DEL EVHTTP_REQ_DELETE

static const struct api_route api_routes[] = {
    {GET, "/api/health", R_PUBLIC, api_health},
    {POST, "/api/auth/login", R_PUBLIC, api_login},
    {POST, "/api/auth/logout", R_FIRST, api_login_logout},
    {PUT, "/api/auth/change-password", R_FIRST, api_login_change_password},
    {GET, "/api/auth/me", R_FIRST, api_login_me},
    {GET, "/api/streams", 0, api_stream_list},
    {POST, "/api/streams", 0, api_stream_create},
    {GET, "/api/streams/:id", 0, api_stream_get},
    {PUT, "/api/streams/:id", 0, api_stream_update},
    {DEL, "/api/streams/:id", 0, api_stream_delete},
    {POST, "/api/streams/:id/regenerate-key", 0, api_stream_regen},
    {POST, "/api/streams/:id/toggle", 0, api_stream_toggle},
    {GET, "/api/streams/:id/urls", 0, api_stream_urls},
    {GET, "/api/streams/:id/destinations", 0, api_forward_stream_list},
    {POST, "/api/streams/:id/destinations", 0, api_forward_create},
    {GET, "/api/destinations", 0, api_forward_list},
    {GET, "/api/destinations/:id", 0, api_forward_get},
    {PUT, "/api/destinations/:id", 0, api_forward_update},
    {DEL, "/api/destinations/:id", 0, api_forward_delete},
    {GET, "/api/sessions", 0, api_session_list},
    {GET, "/api/sessions/:id", 0, api_session_get},
    {DEL, "/api/sessions/:id", 0, api_session_kick},
    {GET, "/api/config", 0, api_config_get},
    {PUT, "/api/config", 0, api_config_set},
    {GET, "/api/config/health", 0, api_health_config},
    {GET, "/api/config/stats", 0, api_config_stats},
    {GET, "/api/network/server-ip", 0, api_network_server_ip},
    {GET, "/api/network/config", 0, api_network_get},
    {PUT, "/api/network/config", 0, api_network_set},
    {GET, "/api/viewers", 0, api_viewers_list},
    {GET, "/api/viewers/stats", 0, api_viewers_stats},
    {GET, "/api/history", 0, api_viewers_history},
    {GET, "/api/recordings", 0, api_recording_list},
    /* a token or a signed URL (a <video> sends no Authorization) */
    {GET, "/api/recordings/:id/file", R_PUBLIC, api_recording_file},
    {GET, "/api/recordings/:id/thumbnail", R_PUBLIC, api_recording_thumbnail},
    {PUT, "/api/recordings/:id", 0, api_recording_update},
    {DEL, "/api/recordings/:id", 0, api_recording_delete},
    {POST, "/api/hooks/on_publish", R_PUBLIC, api_hook_publish},
    {POST, "/api/hooks/on_unpublish", R_PUBLIC, api_hook_unpublish},
    {POST, "/api/hooks/on_hls", R_PUBLIC, api_hook_hls},
};

/* Matches path against pattern; *idseg receives the ":id" segment. */
static int
api_match(
    const char *pattern, const char *path, const char **idseg, size_t *idlen)
{
	size_t n;

	*idseg = NULL;
	while (*pattern != '\0') {
		if (strncmp(pattern, ":id", 3) == 0) {
			n = strcspn(path, "/");
			if (n == 0)
				return 0;
			*idseg = path;
			*idlen = n;
			path += n;
			pattern += 3;
			continue;
		}
		if (*pattern++ != *path++)
			return 0;
	}
	/* one trailing slash is forgiven */
	return *path == '\0' || strcmp(path, "/") == 0;
}

void
api_route(struct api_req *r, int method)
{
	const struct api_route *rt;
	const char *seg, *errstr;
	char idbuf[24];
	size_t i, len;

	if (!r->api) {
		/* Prometheus's usual path, beside the dashboard's files */
		if ((method == EVHTTP_REQ_GET || method == EVHTTP_REQ_HEAD) &&
		    strcmp(r->path, "/metrics") == 0)
			api_metrics(r);
		else if (method == EVHTTP_REQ_GET || method == EVHTTP_REQ_HEAD)
			api_files_get(r);
		else
			api_reply_error(r, 404, "not found", NULL, NULL);
		return;
	}
	if (method == EVHTTP_REQ_HEAD)
		method = EVHTTP_REQ_GET;
	for (i = 0; i < nitems(api_routes); i++) {
		rt = &api_routes[i];
		if (rt->method != method ||
		    !api_match(rt->path, r->path, &seg, &len))
			continue;
		if (!(rt->flags & R_PUBLIC) &&
		    api_authenticate(r, rt->flags & R_FIRST) == -1)
			return;
		if (seg != NULL) {
			if (len >= sizeof(idbuf))
				len = sizeof(idbuf) - 1;
			memcpy(idbuf, seg, len);
			idbuf[len] = '\0';
			r->id = strtonum(idbuf, 1, INT64_MAX, &errstr);
			if (errstr != NULL) {
				api_fail_with(
				    r, 400, "id", "must be a positive integer");
				return;
			}
		}
		rt->fn(r);
		return;
	}
	api_reply_error(r, 404, "not found", NULL, NULL);
}

/* The upper layer's start, tick (every API_TICK_S seconds) and stop. */
void
api_routes_start(void)
{
	api_auth_start();
	api_health_tick();
}

void
api_routes_tick(void)
{
	api_health_tick();
	api_auth_tick();
	api_hook_expire(now_ms());
}

void
api_routes_stop(void)
{
	api_hook_clear();
	api_auth_stop();
}
