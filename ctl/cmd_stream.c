/*
 * nyonctl stream list|show|add|edit|rm|enable|disable|regen-key|urls
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nyonctl.h"

static const char *
str(yajl_val obj, const char *key)
{
	const char *s = json_get_str(obj, key);

	return s ? s : "";
}

static long long
num(yajl_val obj, const char *key)
{
	long long n = 0;

	json_get_int(obj, key, &n);
	return n;
}

static const char *
yesno(yajl_val obj, const char *key)
{
	int b = 0;

	json_get_bool(obj, key, &b);
	return b ? "yes" : "no";
}

/*
 * A name or key the operator typed, checked by the rules authd applies
 * (lib/names.c), so the mistake is named before anything is sent.  -1
 * after printing it.
 */
static int
stream_check(const char *field, const char *value)
{
	char why[128];
	int r;

	r = strcmp(field, "name") == 0
	    ? stream_name_check(value, why, sizeof(why))
	    : stream_key_check(value, why, sizeof(why));
	if (r == -1)
		fprintf(stderr, "nyonctl: %s: %s\n", field, why);
	return r;
}

/*
 * Adds the stream options of add and edit to req: --key, --description,
 * --protocol, --max-bitrate, --name (edit), --disabled (add).  -1 on a
 * usage error, -2 on a bad value (printed).
 */
static int
stream_options(yajl_gen req, int argc, char **argv, int edit)
{
	const char *errstr;
	long long n;
	int i;

	for (i = 0; i < argc; i++) {
		const char *o = argv[i];

		if (strcmp(o, "--disabled") == 0 && !edit) {
			json_bool(req, "is_active", 0);
			continue;
		}
		if (i + 1 == argc) {
			fprintf(stderr, "nyonctl: %s needs a value\n", o);
			return -1;
		}
		if (strcmp(o, "--key") == 0) {
			if (stream_check("stream_key", argv[++i]) == -1)
				return -2;
			json_str(req, "stream_key", argv[i]);
		} else if (strcmp(o, "--description") == 0)
			json_str(req, "description", argv[++i]);
		else if (strcmp(o, "--protocol") == 0)
			json_str(req, "protocol", argv[++i]);
		else if (strcmp(o, "--record") == 0) {
			const char *v = argv[++i];

			if (strcmp(v, "on") == 0 || strcmp(v, "off") == 0)
				json_bool(req, "record", strcmp(v, "on") == 0);
			else if (strcmp(v, "default") == 0)
				json_null(req, "record");
			else {
				fprintf(stderr,
				    "nyonctl: --record: on, off "
				    "or default\n");
				return -1;
			}
		} else if (strcmp(o, "--name") == 0 && edit) {
			if (stream_check("name", argv[++i]) == -1)
				return -2;
			json_str(req, "name", argv[i]);
		} else if (strcmp(o, "--max-bitrate") == 0) {
			n = strtonum(argv[++i], 0, 1000000, &errstr);
			if (errstr != NULL) {
				fprintf(stderr, "nyonctl: --max-bitrate: %s\n",
				    errstr);
				return -1;
			}
			json_int(req, "max_bitrate", n);
		} else {
			fprintf(stderr, "nyonctl: unknown option %s\n", o);
			return -1;
		}
	}
	return 0;
}

static void
stream_print(yajl_val s)
{
	printf("id:           %lld\n", num(s, "id"));
	printf("name:         %s\n", str(s, "name"));
	printf("key:          %s\n", str(s, "stream_key"));
	printf("description:  %s\n", str(s, "description"));
	printf("protocol:     %s\n", str(s, "protocol"));
	printf("active:       %s\n", yesno(s, "is_active"));
	printf("max bitrate:  %lld kbps\n", num(s, "max_bitrate"));
	printf("record:       %s%s\n", yesno(s, "record"),
	    YAJL_IS_NULL(json_get(s, "record_setting")) ? " (the default)"
	                                                : "");
	printf("created:      %s\n", str(s, "created_at"));
	printf("updated:      %s\n", str(s, "updated_at"));
}

int
cmd_stream_list(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct ctl_msg reply;
	yajl_gen req = ctl_msg_begin(CTL_OP_STREAM_LIST);
	yajl_val list;
	size_t i;

	if (ctl_op(ctx, req, &reply, &list) == -1)
		return CTL_EXIT_FAIL;
	if (!ctx->json) {
		printf("%-4s %-24s %-8s %-6s %8s  %s\n", "ID", "NAME",
		    "PROTOCOL", "ACTIVE", "MAX kbps", "KEY");
		for (i = 0; YAJL_IS_ARRAY(list) && i < list->u.array.len; i++) {
			yajl_val s = list->u.array.values[i];

			printf("%-4lld %-24s %-8s %-6s %8lld  %s\n",
			    num(s, "id"), str(s, "name"), str(s, "protocol"),
			    yesno(s, "is_active"), num(s, "max_bitrate"),
			    str(s, "stream_key"));
		}
	}
	ctl_msg_free(&reply);
	return CTL_EXIT_OK;
}

/* Commands of the form "stream VERB NAME [options]". */
static int
stream_named(
    struct ctl_ctx *ctx, enum ctl_op op, int argc, char **argv, int options)
{
	struct ctl_msg reply;
	yajl_gen req = ctl_msg_begin(op);
	yajl_val data, sessions;
	size_t i;
	int r;

	json_str(req, "stream", argv[0]);
	if (options &&
	    (r = stream_options(
	         req, argc - 1, argv + 1, op == CTL_OP_STREAM_EDIT)) < 0) {
		yajl_gen_free(req);
		return r == -1 ? CTL_EXIT_USAGE : CTL_EXIT_FAIL;
	}
	if (ctl_op(ctx, req, &reply, &data) == -1)
		return CTL_EXIT_FAIL;
	if (!ctx->json) {
		stream_print(data);
		sessions = json_get(data, "active_sessions");
		for (i = 0; sessions != NULL && YAJL_IS_ARRAY(sessions) &&
		     i < sessions->u.array.len;
		     i++) {
			yajl_val s = sessions->u.array.values[i];

			printf("live:         session %lld, %s from %s since "
			       "%s\n",
			    num(s, "id"), str(s, "protocol"),
			    str(s, "ip_address"), str(s, "started_at"));
		}
		/* what the media says, from the daemons that carry it */
		if (op == CTL_OP_STREAM_SHOW && json_get_str(data, "name"))
			status_stream_live(ctx, json_get_str(data, "name"));
	}
	ctl_msg_free(&reply);
	return CTL_EXIT_OK;
}

int
cmd_stream_add(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct ctl_msg reply;
	yajl_gen req = ctl_msg_begin(CTL_OP_STREAM_ADD);
	yajl_val data;
	int r;

	if (stream_check("name", argv[0]) == -1) {
		yajl_gen_free(req);
		return CTL_EXIT_FAIL;
	}
	json_str(req, "name", argv[0]);
	if ((r = stream_options(req, argc - 1, argv + 1, 0)) < 0) {
		yajl_gen_free(req);
		return r == -1 ? CTL_EXIT_USAGE : CTL_EXIT_FAIL;
	}
	if (ctl_op(ctx, req, &reply, &data) == -1)
		return CTL_EXIT_FAIL;
	if (!ctx->json)
		stream_print(data);
	ctl_msg_free(&reply);
	return CTL_EXIT_OK;
}

int
cmd_stream_show(struct ctl_ctx *ctx, int argc, char **argv)
{
	return stream_named(ctx, CTL_OP_STREAM_SHOW, argc, argv, 0);
}

int
cmd_stream_edit(struct ctl_ctx *ctx, int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "nyonctl: stream edit: nothing to change\n");
		return CTL_EXIT_USAGE;
	}
	return stream_named(ctx, CTL_OP_STREAM_EDIT, argc, argv, 1);
}

int
cmd_stream_rm(struct ctl_ctx *ctx, int argc, char **argv)
{
	return stream_named(ctx, CTL_OP_STREAM_RM, argc, argv, 0);
}

int
cmd_stream_enable(struct ctl_ctx *ctx, int argc, char **argv)
{
	return stream_named(ctx, CTL_OP_STREAM_ENABLE, argc, argv, 0);
}

int
cmd_stream_disable(struct ctl_ctx *ctx, int argc, char **argv)
{
	return stream_named(ctx, CTL_OP_STREAM_DISABLE, argc, argv, 0);
}

int
cmd_stream_regen_key(struct ctl_ctx *ctx, int argc, char **argv)
{
	return stream_named(ctx, CTL_OP_STREAM_REGEN_KEY, argc, argv, 0);
}

static void
urls_print(const char *label, yajl_val u, const char *key)
{
	if (u == NULL || !YAJL_IS_OBJECT(u))
		return;
	printf("%s (%s)\n", label, str(u, "address"));
	printf("  OBS server:   %s\n", str(u, "rtmp_server"));
	printf("  OBS key:      %s\n", key);
	printf("  RTMP URL:     %s\n", str(u, "rtmp_url"));
	printf("  SRT URL:      %s\n", str(u, "srt_url"));
	printf("  Play URL:     %s\n", str(u, "play_url"));
	printf("  Watch page:   %s\n", str(u, "watch_url"));
	printf("  WHEP URL:     %s\n", str(u, "whep"));
}

int
cmd_stream_urls(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct ctl_msg reply;
	yajl_gen req = ctl_msg_begin(CTL_OP_STREAM_URLS);
	yajl_val data;

	json_str(req, "stream", argv[0]);
	if (ctl_op(ctx, req, &reply, &data) == -1)
		return CTL_EXIT_FAIL;
	if (!ctx->json) {
		printf("stream %s\n", str(data, "name"));
		urls_print(
		    "LAN", json_get(data, "lan"), str(data, "stream_key"));
		if (YAJL_IS_OBJECT(json_get(data, "public")))
			urls_print("Public", json_get(data, "public"),
			    str(data, "stream_key"));
		else
			printf("Public: none (set it with nyonctl config set "
			       "public_ip ADDRESS)\n");
	}
	ctl_msg_free(&reply);
	return CTL_EXIT_OK;
}
