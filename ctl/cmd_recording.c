/*
 * nyonctl recording list|rm|keep|unkeep: asked of recd, which keeps them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nyonctl.h"

/* Sends req to recd; the reply is checked and freed by the caller. */
static int
recording_request(struct ctl_ctx *ctx, yajl_gen req, struct ctl_msg *reply)
{
	char err[512];
	int ok = 0;

	if (ctl_request(ctx, "recd", req, reply, err, sizeof(err)) == -1) {
		fprintf(stderr, "nyonctl: recd: %s\n", err);
		return -1;
	}
	if (json_get_bool(reply->root, "ok", &ok) == -1 || !ok) {
		fprintf(stderr, "nyonctl: %s\n",
		    json_get_str(reply->root, "error")
		        ? json_get_str(reply->root, "error")
		        : "request failed");
		ctl_msg_free(reply);
		return -1;
	}
	return 0;
}

static long long
recording_id(const char *arg)
{
	const char *errstr;
	long long id = strtonum(arg, 1, INT64_MAX, &errstr);

	if (errstr != NULL)
		fprintf(stderr, "nyonctl: recording ID %s: %s\n", arg, errstr);
	return errstr != NULL ? -1 : id;
}

static void
recording_size(char *buf, size_t len, long long n)
{
	if (n >= 1024LL * 1024 * 1024)
		snprintf(buf, len, "%.1f GB", n / (1024.0 * 1024 * 1024));
	else
		snprintf(buf, len, "%.1f MB", n / (1024.0 * 1024));
}

int
cmd_recording_list(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct ctl_msg reply;
	yajl_gen req = ctl_msg_begin(CTL_OP_RECORDING_LIST);
	yajl_val list, r, d;
	long long id, size, w, h;
	char sz[32], dur[32];
	int keep, active, paused = 0;
	size_t i;

	if (argc > 0)
		json_str(req, "stream", argv[0]);
	if (recording_request(ctx, req, &reply) == -1)
		return CTL_EXIT_FAIL;
	list = json_get(reply.root, "recordings");
	if (ctx->json) {
		ctl_print_json(list);
		ctl_msg_free(&reply);
		return CTL_EXIT_OK;
	}
	json_get_bool(reply.root, "paused", &paused);
	if (paused)
		printf("recording is paused: the disk is nearly full (nyonctl "
		       "status)\n");
	printf("%-10s %-20s %-20s %9s %9s %-9s %-28s %s\n", "ID", "STREAM",
	    "STARTED", "DURATION", "SIZE", "PICTURE", "CODECS", "");
	for (i = 0;
	     list != NULL && YAJL_IS_ARRAY(list) && i < list->u.array.len;
	     i++) {
		r = list->u.array.values[i];
		id = size = w = h = 0;
		keep = active = 0;
		json_get_int(r, "id", &id);
		json_get_int(r, "size", &size);
		json_get_int(r, "width", &w);
		json_get_int(r, "height", &h);
		json_get_bool(r, "keep", &keep);
		json_get_bool(r, "recording", &active);
		d = json_get(r, "duration");
		snprintf(dur, sizeof(dur), "%.1fs",
		    d != NULL && YAJL_IS_NUMBER(d) ? YAJL_GET_DOUBLE(d) : 0.0);
		recording_size(sz, sizeof(sz), size);
		printf("%-10lld %-20s %-20s %9s %9s %4lldx%-4lld %-28s %s%s\n",
		    id,
		    json_get_str(r, "stream") ? json_get_str(r, "stream") : "",
		    json_get_str(r, "started_at")
		        ? json_get_str(r, "started_at")
		        : "",
		    dur, sz, w, h,
		    json_get_str(r, "codecs") ? json_get_str(r, "codecs") : "",
		    keep ? "kept" : "", active ? " recording" : "");
	}
	ctl_msg_free(&reply);
	return CTL_EXIT_OK;
}

static int
recording_simple(struct ctl_ctx *ctx, enum ctl_op op, const char *arg, int keep,
    const char *done)
{
	struct ctl_msg reply;
	yajl_gen req;
	long long id;

	if ((id = recording_id(arg)) == -1)
		return CTL_EXIT_USAGE;
	req = ctl_msg_begin(op);
	json_int(req, "id", id);
	if (op == CTL_OP_RECORDING_KEEP)
		json_bool(req, "keep", keep);
	if (recording_request(ctx, req, &reply) == -1)
		return CTL_EXIT_FAIL;
	if (ctx->json)
		ctl_print_json(reply.root);
	else
		printf("recording %lld %s\n", id, done);
	ctl_msg_free(&reply);
	return CTL_EXIT_OK;
}

int
cmd_recording_rm(struct ctl_ctx *ctx, int argc, char **argv)
{
	return recording_simple(
	    ctx, CTL_OP_RECORDING_DELETE, argv[0], 0, "deleted");
}

int
cmd_recording_keep(struct ctl_ctx *ctx, int argc, char **argv)
{
	return recording_simple(ctx, CTL_OP_RECORDING_KEEP, argv[0], 1,
	    "kept: retention leaves it");
}

int
cmd_recording_unkeep(struct ctl_ctx *ctx, int argc, char **argv)
{
	return recording_simple(
	    ctx, CTL_OP_RECORDING_KEEP, argv[0], 0, "no longer kept");
}
