/*
 * /api/streams/:id/destinations and /api/destinations: where fwdd pushes
 * each stream.  URLs come masked; ?reveal=true shows them whole (logged).
 */
#include "authd.h"

/* The ?reveal=true of a GET: 0 or 1, or -1 after answering 400. */
static int
api_forward_reveal(struct api_req *r)
{
	static const char *const bools[] = {"reveal", NULL};
	struct db_err err;
	yajl_val args;
	int reveal = 0;

	if ((args = api_query_args(r->query, bools, NULL, NULL, &err)) ==
	    NULL) {
		api_reply_op(r, 200, -1, NULL, &err);
		return -1;
	}
	json_get_bool(args, "reveal", &reveal);
	yajl_tree_free(args);
	return reveal;
}

/* A listing or one destination, masked unless ?reveal=true. */
static void
api_forward_show(struct api_req *r, int64_t id,
    int (*op)(int64_t, int, yajl_gen, struct db_err *))
{
	struct db_err err = {0};
	yajl_gen g;
	int reveal;

	if ((reveal = api_forward_reveal(r)) == -1)
		return;
	g = json_gen();
	api_reply_op(r, 200, op(id, reveal, g, &err), g, &err);
	yajl_gen_free(g);
}

void
api_forward_list(struct api_req *r)
{
	api_forward_show(r, 0, ops_forward_list_stream);
}

void
api_forward_stream_list(struct api_req *r)
{
	api_forward_show(r, r->id, ops_forward_list_stream);
}

void
api_forward_get(struct api_req *r)
{
	api_forward_show(r, r->id, ops_forward_get_one);
}

API_OP(api_forward_create, 201, ops_forward_add_stream(r->id, r->body, g, &err))
API_OP(api_forward_update, 200, ops_forward_edit(r->id, r->body, g, &err))
API_OP(api_forward_delete, 200, ops_forward_rm_id(r->id, g, &err))
