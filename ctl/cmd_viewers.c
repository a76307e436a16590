/*
 * nyonctl viewers [--active] [--limit N] [NAME]: today's figures per
 * stream (unique viewers, peak), then the viewer sessions, newest first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nyonctl.h"

static long long
num(yajl_val o, const char *key)
{
	long long n = 0;

	json_get_int(o, key, &n);
	return n;
}

static void
viewers_stats(yajl_val data)
{
	yajl_val list = json_get(data, "streams"), s;
	size_t i;

	printf("%-20s %8s %8s %6s %6s %12s\n", "STREAM", "SESSIONS", "UNIQUE",
	    "PEAK", "LIVE", "BYTES");
	for (i = 0;
	     list != NULL && YAJL_IS_ARRAY(list) && i < list->u.array.len;
	     i++) {
		s = list->u.array.values[i];
		printf("%-20s %8lld %8lld %6lld %6lld %12lld\n",
		    json_get_str(s, "stream") ? json_get_str(s, "stream") : "-",
		    num(s, "sessions"), num(s, "unique_viewers"),
		    num(s, "peak_viewers"), num(s, "live"), num(s, "bytes"));
	}
}

static void
viewers_rows(yajl_val list)
{
	char when[32];
	time_t t;
	yajl_val v;
	size_t i;

	printf("%-6s %-20s %-7s %-39s %-20s %8s %12s %s\n", "ID", "STREAM",
	    "OUTPUT", "ADDRESS", "STARTED", "SECONDS", "BYTES", "USER AGENT");
	for (i = 0;
	     list != NULL && YAJL_IS_ARRAY(list) && i < list->u.array.len;
	     i++) {
		v = list->u.array.values[i];
		t = (time_t)num(v, "started");
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
		printf("%-6lld %-20s %-7s %-39s %-20s %7lld%s %12lld %s\n",
		    num(v, "id"),
		    json_get_str(v, "stream") ? json_get_str(v, "stream") : "-",
		    json_get_str(v, "output") ? json_get_str(v, "output") : "-",
		    json_get_str(v, "address") ? json_get_str(v, "address")
		                               : "-",
		    when, num(v, "duration"),
		    YAJL_IS_TRUE(json_get(v, "live")) ? "+" : " ",
		    num(v, "bytes"),
		    json_get_str(v, "user_agent")
		        ? json_get_str(v, "user_agent")
		        : "");
	}
}

int
cmd_viewers(struct ctl_ctx *ctx, int argc, char **argv)
{
	/* under --json one document: {"today":...,"sessions":[...]} */
	struct ctl_ctx quiet = *ctx;
	struct ctl_msg sreply, reply;
	yajl_gen req = ctl_msg_begin(CTL_OP_VIEWER_LIST), sreq, g;
	yajl_val stats, list;
	const char *stream = NULL;

	if (ctl_list_args(argc, argv, req, &stream,
	        "usage: nyonctl viewers [--active] [--limit N] [NAME]") == -1)
		return CTL_EXIT_USAGE;
	sreq = ctl_msg_begin(CTL_OP_VIEWER_STATS);
	if (stream != NULL) {
		json_str(req, "stream", stream);
		json_str(sreq, "stream", stream);
	}
	quiet.json = 0;
	if (ctl_op(&quiet, sreq, &sreply, &stats) == -1) {
		yajl_gen_free(req);
		return CTL_EXIT_FAIL;
	}
	if (ctl_op(&quiet, req, &reply, &list) == -1) {
		ctl_msg_free(&sreply);
		return CTL_EXIT_FAIL;
	}
	if (ctx->json) {
		g = json_gen();
		yajl_gen_config(g, yajl_gen_beautify, 1);
		yajl_gen_map_open(g);
		json_key(g, "today");
		json_value(g, stats);
		json_key(g, "sessions");
		json_value(g, list);
		yajl_gen_map_close(g);
		ctl_print_gen(g);
		yajl_gen_free(g);
	} else {
		printf("Today (UTC):\n");
		viewers_stats(stats);
		printf("\n");
		viewers_rows(list);
	}
	ctl_msg_free(&sreply);
	ctl_msg_free(&reply);
	return CTL_EXIT_OK;
}
