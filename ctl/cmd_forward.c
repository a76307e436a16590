/*
 * nyonctl stream forward list|add|rm|enable|disable: where fwdd pushes a
 * stream.  URLs are masked unless --show-keys; when fwdd runs, each
 * destination's state comes beside it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nyonctl.h"

static const char *
fwd_str(yajl_val obj, const char *key)
{
	const char *s = json_get_str(obj, key);

	return s ? s : "";
}

static long long
fwd_num(yajl_val obj, const char *key)
{
	long long n = 0;

	json_get_int(obj, key, &n);
	return n;
}

/* fwdd's view of destination id, or NULL (fwdd down, or not live). */
static yajl_val
fwd_state(yajl_val status, long long id)
{
	yajl_val list = json_get(status, "destinations");
	size_t i;

	for (i = 0;
	     list != NULL && YAJL_IS_ARRAY(list) && i < list->u.array.len; i++)
		if (fwd_num(list->u.array.values[i], "id") == id)
			return list->u.array.values[i];
	return NULL;
}

static void
fwd_print(yajl_val list, yajl_val status)
{
	yajl_val d, st;
	size_t i;
	int b;

	if (list == NULL || !YAJL_IS_ARRAY(list) || list->u.array.len == 0) {
		printf("no destinations\n");
		return;
	}
	printf("%-4s %-16s %-8s %-6s %-10s %s\n", "ID", "STREAM", "ENABLED",
	    "PROTO", "STATE", "URL");
	for (i = 0; i < list->u.array.len; i++) {
		d = list->u.array.values[i];
		b = 0;
		json_get_bool(d, "is_enabled", &b);
		st = fwd_state(status, fwd_num(d, "id"));
		printf("%-4lld %-16s %-8s %-6s %-10s %s", fwd_num(d, "id"),
		    fwd_str(d, "stream"), b ? "yes" : "no",
		    fwd_str(d, "protocol"),
		    st != NULL ? fwd_str(st, "state") : "-", fwd_str(d, "url"));
		b = 1;
		json_get_bool(d, "tls_verify", &b);
		if (!b && strcmp(fwd_str(d, "protocol"), "rtmps") == 0)
			printf("  (certificate not checked)");
		putchar('\n');
		if (st != NULL && json_get_str(st, "last_error") != NULL)
			printf(
			    "     last error: %s\n", fwd_str(st, "last_error"));
	}
}

/* fwdd's status, or NULL; the caller frees *reply if not NULL. */
static yajl_val
fwd_status(struct ctl_ctx *ctx, struct ctl_msg *reply)
{
	char err[256];

	if (ctl_request(ctx, "fwdd", ctl_msg_begin(CTL_OP_STATUS), reply, err,
	        sizeof(err)) == -1)
		return NULL;
	return reply->root;
}

int
cmd_forward_list(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct ctl_msg reply, sreply;
	yajl_gen req = ctl_msg_begin(CTL_OP_FORWARD_LIST);
	yajl_val data, status;
	int i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--show-keys") == 0)
			json_bool(req, "reveal", 1);
		else if (argv[i][0] == '-') {
			fprintf(
			    stderr, "nyonctl: unknown option %s\n", argv[i]);
			yajl_gen_free(req);
			return CTL_EXIT_USAGE;
		} else
			json_str(req, "stream", argv[i]);
	}
	if (ctl_op(ctx, req, &reply, &data) == -1)
		return CTL_EXIT_FAIL;
	if (!ctx->json) {
		status = fwd_status(ctx, &sreply);
		fwd_print(data, status);
		if (status != NULL)
			ctl_msg_free(&sreply);
	}
	ctl_msg_free(&reply);
	return CTL_EXIT_OK;
}

int
cmd_forward_add(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct ctl_msg reply;
	yajl_gen req = ctl_msg_begin(CTL_OP_FORWARD_ADD);
	struct desturl u;
	yajl_val data;
	char why[160];
	int i;

	/* the rules authd applies, before the URL travels */
	if (desturl_parse(argv[1], &u, why, sizeof(why)) == -1) {
		fprintf(stderr, "nyonctl: url: %s\n", why);
		yajl_gen_free(req);
		return CTL_EXIT_FAIL;
	}
	explicit_bzero(&u, sizeof(u));
	json_str(req, "stream", argv[0]);
	json_str(req, "url", argv[1]);
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--disabled") == 0)
			json_bool(req, "is_enabled", 0);
		else if (strcmp(argv[i], "--no-verify") == 0)
			json_bool(req, "tls_verify", 0);
		else {
			fprintf(
			    stderr, "nyonctl: unknown option %s\n", argv[i]);
			yajl_gen_free(req);
			return CTL_EXIT_USAGE;
		}
	}
	if (ctl_op(ctx, req, &reply, &data) == -1)
		return CTL_EXIT_FAIL;
	if (!ctx->json)
		printf("destination %lld added to %s: %s\n",
		    fwd_num(data, "id"), fwd_str(data, "stream"),
		    fwd_str(data, "url"));
	ctl_msg_free(&reply);
	return CTL_EXIT_OK;
}

/* A destination by its id, or by the URL it was added with. */
static void
fwd_which(yajl_gen req, const char *stream, const char *arg)
{
	const char *errstr;
	long long id;

	id = strtonum(arg, 1, INT64_MAX, &errstr);
	if (errstr == NULL)
		json_int(req, "id", id);
	else {
		json_str(req, "stream", stream);
		json_str(req, "url", arg);
	}
}

int
cmd_forward_rm(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct ctl_msg reply;
	yajl_gen req = ctl_msg_begin(CTL_OP_FORWARD_RM);
	yajl_val data;

	fwd_which(req, argv[0], argv[1]);
	if (ctl_op(ctx, req, &reply, &data) == -1)
		return CTL_EXIT_FAIL;
	if (!ctx->json)
		printf("destination %lld removed from %s: %s\n",
		    fwd_num(data, "id"), fwd_str(data, "stream"),
		    fwd_str(data, "url"));
	ctl_msg_free(&reply);
	return CTL_EXIT_OK;
}

/* The id of a destination given by URL: one forward_list away. */
static long long
fwd_id(struct ctl_ctx *ctx, const char *stream, const char *arg)
{
	struct ctl_msg reply;
	yajl_gen req;
	yajl_val data, d;
	const char *errstr;
	long long id;
	size_t i;
	int json = ctx->json;

	id = strtonum(arg, 1, INT64_MAX, &errstr);
	if (errstr == NULL)
		return id;
	req = ctl_msg_begin(CTL_OP_FORWARD_LIST);
	json_str(req, "stream", stream);
	json_bool(req, "reveal", 1);
	ctx->json = 0;
	if (ctl_op(ctx, req, &reply, &data) == -1) {
		ctx->json = json;
		return -1;
	}
	ctx->json = json;
	id = -1;
	for (i = 0; YAJL_IS_ARRAY(data) && i < data->u.array.len; i++) {
		d = data->u.array.values[i];
		if (strcmp(fwd_str(d, "url"), arg) == 0)
			id = fwd_num(d, "id");
	}
	ctl_msg_free(&reply);
	if (id == -1)
		fprintf(stderr,
		    "nyonctl: %s has no destination with that URL\n", stream);
	return id;
}

static int
fwd_enable(struct ctl_ctx *ctx, char **argv, int on)
{
	struct ctl_msg reply;
	yajl_gen req;
	yajl_val data;
	long long id;

	if ((id = fwd_id(ctx, argv[0], argv[1])) == -1)
		return CTL_EXIT_FAIL;
	req = ctl_msg_begin(CTL_OP_FORWARD_EDIT);
	json_int(req, "id", id);
	json_bool(req, "is_enabled", on);
	if (ctl_op(ctx, req, &reply, &data) == -1)
		return CTL_EXIT_FAIL;
	if (!ctx->json)
		printf("destination %lld of %s %s: %s\n", fwd_num(data, "id"),
		    fwd_str(data, "stream"), on ? "enabled" : "disabled",
		    fwd_str(data, "url"));
	ctl_msg_free(&reply);
	return CTL_EXIT_OK;
}

int
cmd_forward_enable(struct ctl_ctx *ctx, int argc, char **argv)
{
	return fwd_enable(ctx, argv, 1);
}

int
cmd_forward_disable(struct ctl_ctx *ctx, int argc, char **argv)
{
	return fwd_enable(ctx, argv, 0);
}
