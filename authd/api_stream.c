/*
 * /api/streams: the streams, their keys and URLs.
 */
#include "authd.h"

void
api_stream_list(struct api_req *r)
{
	static const char *const bools[] = {"is_active", NULL};
	static const char *const strs[] = {"protocol", NULL};
	struct db_err err;
	yajl_val args;
	yajl_gen g;

	if ((args = api_query_args(r->query, bools, NULL, strs, &err)) ==
	    NULL) {
		api_reply_op(r, 200, -1, NULL, &err);
		return;
	}
	g = json_gen();
	api_reply_op(r, 200, ops_stream_list(args, g, &err), g, &err);
	yajl_gen_free(g);
	yajl_tree_free(args);
}

API_OP(api_stream_get, 200, ops_stream_get(r->id, g, &err))
API_OP(api_stream_create, 201, ops_stream_create(r->body, g, &err))
API_OP(api_stream_update, 200, ops_stream_update(r->id, r->body, g, &err))
API_OP(api_stream_delete, 200, ops_stream_delete(r->id, g, &err))
API_OP(api_stream_regen, 200, ops_stream_regen_key(r->id, g, &err))
API_OP(api_stream_toggle, 200, ops_stream_toggle(r->id, g, &err))
API_OP(api_stream_urls, 200, ops_stream_urls(r->id, g, &err))
