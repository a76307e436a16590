/*
 * /api/viewers (sessions), /api/viewers/stats (today's figures per
 * stream) and /api/history (the time series), over ops of the same names.
 */
#include "authd.h"

static void
api_viewers_op(struct api_req *r, const char *const *bools,
    const char *const *ints, const char *const *strs,
    int (*op)(yajl_val, yajl_gen, struct db_err *))
{
	struct db_err err;
	yajl_val args;
	yajl_gen g;

	if ((args = api_query_args(r->query, bools, ints, strs, &err)) ==
	    NULL) {
		api_reply_op(r, 200, -1, NULL, &err);
		return;
	}
	g = json_gen();
	api_reply_op(r, 200, op(args, g, &err), g, &err);
	yajl_gen_free(g);
	yajl_tree_free(args);
}

void
api_viewers_list(struct api_req *r)
{
	static const char *const bools[] = {"active", NULL};
	static const char *const ints[] = {"limit", NULL};
	static const char *const strs[] = {"stream", NULL};

	api_viewers_op(r, bools, ints, strs, ops_viewer_list);
}

void
api_viewers_stats(struct api_req *r)
{
	static const char *const strs[] = {"stream", NULL};

	api_viewers_op(r, NULL, NULL, strs, ops_viewer_stats);
}

void
api_viewers_history(struct api_req *r)
{
	static const char *const strs[] = {"range", "stream", NULL};

	api_viewers_op(r, NULL, NULL, strs, ops_history);
}
