/*
 * /api/sessions: publish sessions, and kicking a live publisher.
 */
#include "authd.h"

void
api_session_list(struct api_req *r)
{
	static const char *const bools[] = {"active", NULL};
	static const char *const ints[] = {"limit", NULL};
	struct db_err err;
	yajl_val args;
	yajl_gen g;

	if ((args = api_query_args(r->query, bools, ints, NULL, &err)) ==
	    NULL) {
		api_reply_op(r, 200, -1, NULL, &err);
		return;
	}
	g = json_gen();
	api_reply_op(r, 200, ops_session_list(args, g, &err), g, &err);
	yajl_gen_free(g);
	yajl_tree_free(args);
}

API_OP(api_session_get, 200, ops_session_get(r->id, g, &err))
API_OP(api_session_kick, 200, ops_session_kick(r->id, g, &err))
