/*
 * /api/config and /api/network: the run-time settings, the network view
 * of some of them, and the stream and session counts.
 */
#include <stdlib.h>
#include <string.h>

#include "authd.h"

API_OP(api_config_get, 200, ops_config_get(NULL, g, &err))
API_OP(api_config_set, 200, ops_config_set(r->body, g, &err))
API_OP(api_network_server_ip, 200, ops_server_ip(g, &err))

/* stats, with the names the dashboard knows */

void
api_config_stats(struct api_req *r)
{
	struct db_err err = {0};
	yajl_gen g = json_gen(), out;
	long long v;
	yajl_val st;

	if (ops_stats(g, &err) == -1) {
		api_reply_op(r, 200, -1, NULL, &err);
		yajl_gen_free(g);
		return;
	}
	st = api_reparse(g);
	yajl_gen_free(g);
	out = json_gen();
	yajl_gen_map_open(out);
	json_int(out, "total_streams",
	    json_get_int(st, "streams_total", &v) == 0 ? v : 0);
	json_int(out, "active_streams",
	    json_get_int(st, "streams_active", &v) == 0 ? v : 0);
	json_int(out, "live_streams",
	    json_get_int(st, "streams_live", &v) == 0 ? v : 0);
	json_int(out, "sessions_today",
	    json_get_int(st, "sessions_today", &v) == 0 ? v : 0);
	yajl_gen_map_close(out);
	yajl_tree_free(st);
	api_reply_ok(r, 200, out, NULL);
	yajl_gen_free(out);
}

/* network settings: a view of some config keys */

static const char *const api_network_keys[] = {
    "public_ip", "domain", "rtmp_port", "srt_port", "http_port", "api_port"};

void
api_network_get(struct api_req *r)
{
	struct db_err err = {0};
	yajl_gen g = json_gen(), out;
	yajl_val list, item;
	const char *key, *val;
	size_t i, j;

	if (ops_config_get(NULL, g, &err) == -1) {
		api_reply_op(r, 200, -1, NULL, &err);
		yajl_gen_free(g);
		return;
	}
	list = api_reparse(g);
	yajl_gen_free(g);
	out = json_gen();
	yajl_gen_map_open(out);
	for (j = 0; j < nitems(api_network_keys); j++) {
		for (i = 0; list != NULL && YAJL_IS_ARRAY(list) &&
		     i < list->u.array.len;
		     i++) {
			item = list->u.array.values[i];
			key = json_get_str(item, "key");
			val = json_get_str(item, "value");
			if (key == NULL || val == NULL ||
			    strcmp(key, api_network_keys[j]) != 0)
				continue;
			if (strstr(key, "_port") != NULL)
				json_int(out, key, strtoll(val, NULL, 10));
			else
				json_str(out, key, val);
		}
	}
	/* WebRTC's port is nyon.conf's (rtcd reads no database) */
	{
		struct listen_addr la[8];
		char e[128];

		if (listen_parse(conf_str(authd->d.conf, "rtc_listen"), la,
		        nitems(la), e, sizeof(e)) > 0)
			json_int(
			    out, "rtc_port", strtoll(la[0].port, NULL, 10));
	}
	yajl_gen_map_close(out);
	yajl_tree_free(list);
	api_reply_ok(r, 200, out, NULL);
	yajl_gen_free(out);
}

void
api_network_set(struct api_req *r)
{
	struct db_err err = {0};
	yajl_gen g = json_gen(), out;
	yajl_val pairs;
	size_t i, j;
	int rc;

	/* the network keys only; others are ignored like unknown fields */
	yajl_gen_map_open(g);
	for (i = 0; r->body != NULL && i < r->body->u.object.len; i++)
		for (j = 0; j < nitems(api_network_keys); j++)
			if (strcmp(r->body->u.object.keys[i],
			        api_network_keys[j]) == 0) {
				yajl_val v = r->body->u.object.values[i];

				if (YAJL_IS_INTEGER(v))
					json_int(g, api_network_keys[j],
					    YAJL_GET_INTEGER(v));
				else if (YAJL_IS_STRING(v))
					json_str(g, api_network_keys[j],
					    v->u.string);
				else
					json_bool(g, api_network_keys[j], 0);
			}
	yajl_gen_map_close(g);
	pairs = api_reparse(g);
	yajl_gen_free(g);
	out = json_gen();
	rc = ops_config_set(pairs, out, &err);
	yajl_gen_free(out);
	yajl_tree_free(pairs);
	if (rc == -1)
		api_reply_op(r, 200, -1, NULL, &err);
	else
		api_network_get(r);
}
