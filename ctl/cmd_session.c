/*
 * nyonctl session list [--active] [--limit N] | show ID | kick ID,
 * config get [KEY] | set KEY VALUE, user passwd [USERNAME]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <readpassphrase.h>

#include "nyonctl.h"

static const char *
str(yajl_val obj, const char *key)
{
	const char *s = json_get_str(obj, key);

	return s ? s : "-";
}

static int
session_id(const char *arg, long long *id)
{
	const char *errstr;

	*id = strtonum(arg, 1, INT64_MAX, &errstr);
	if (errstr != NULL) {
		fprintf(stderr, "nyonctl: session id '%s': %s\n", arg, errstr);
		return -1;
	}
	return 0;
}

static void
session_row(yajl_val s)
{
	long long id = 0;

	json_get_int(s, "id", &id);
	printf("%-5lld %-20s %-5s %-16s %-12s %-20s %-20s %s\n", id,
	    str(s, "stream_name"), str(s, "protocol"), str(s, "ip_address"),
	    str(s, "client_id"), str(s, "started_at"), str(s, "ended_at"),
	    str(s, "end_reason"));
}

static void
session_header(void)
{
	printf("%-5s %-20s %-5s %-16s %-12s %-20s %-20s %s\n", "ID", "STREAM",
	    "PROTO", "IP", "CLIENT", "STARTED", "ENDED", "WHY");
}

int
cmd_session_list(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct ctl_msg reply;
	yajl_gen req = ctl_msg_begin(CTL_OP_SESSION_LIST);
	yajl_val list;
	size_t i;

	if (ctl_list_args(argc, argv, req, NULL,
	        "usage: nyonctl session list [--active] [--limit N]") == -1)
		return CTL_EXIT_USAGE;
	if (ctl_op(ctx, req, &reply, &list) == -1)
		return CTL_EXIT_FAIL;
	if (!ctx->json) {
		session_header();
		for (i = 0; YAJL_IS_ARRAY(list) && i < list->u.array.len; i++)
			session_row(list->u.array.values[i]);
	}
	ctl_msg_free(&reply);
	return CTL_EXIT_OK;
}

static int
session_one(struct ctl_ctx *ctx, enum ctl_op op, const char *arg)
{
	struct ctl_msg reply;
	yajl_gen req;
	yajl_val data;
	long long id;

	if (session_id(arg, &id) == -1)
		return CTL_EXIT_USAGE;
	req = ctl_msg_begin(op);
	json_int(req, "id", id);
	if (ctl_op(ctx, req, &reply, &data) == -1)
		return CTL_EXIT_FAIL;
	if (!ctx->json) {
		session_header();
		session_row(data);
	}
	ctl_msg_free(&reply);
	return CTL_EXIT_OK;
}

int
cmd_session_show(struct ctl_ctx *ctx, int argc, char **argv)
{
	return session_one(ctx, CTL_OP_SESSION_SHOW, argv[0]);
}

int
cmd_session_kick(struct ctl_ctx *ctx, int argc, char **argv)
{
	return session_one(ctx, CTL_OP_SESSION_KICK, argv[0]);
}

static void
config_print(yajl_val c)
{
	printf("%-24s %-20s %s\n", str(c, "key"), str(c, "value"),
	    str(c, "description"));
}

static int
config_show(struct ctl_ctx *ctx, yajl_gen req)
{
	struct ctl_msg reply;
	yajl_val data;
	size_t i;

	if (ctl_op(ctx, req, &reply, &data) == -1)
		return CTL_EXIT_FAIL;
	if (!ctx->json) {
		if (YAJL_IS_ARRAY(data))
			for (i = 0; i < data->u.array.len; i++)
				config_print(data->u.array.values[i]);
		else
			config_print(data);
	}
	ctl_msg_free(&reply);
	return CTL_EXIT_OK;
}

int
cmd_config_get(struct ctl_ctx *ctx, int argc, char **argv)
{
	yajl_gen req = ctl_msg_begin(CTL_OP_CONFIG_GET);

	if (argc == 1)
		json_str(req, "key", argv[0]);
	return config_show(ctx, req);
}

int
cmd_config_set(struct ctl_ctx *ctx, int argc, char **argv)
{
	yajl_gen req = ctl_msg_begin(CTL_OP_CONFIG_SET);

	json_key(req, "settings");
	yajl_gen_map_open(req);
	json_str(req, argv[0], argv[1]);
	yajl_gen_map_close(req);
	return config_show(ctx, req);
}

/* The new password: asked twice on a terminal, else one line of stdin. */
static int
passwd_read(char *buf, size_t len)
{
	char again[256];
	size_t n;

	if (isatty(STDIN_FILENO)) {
		if (readpassphrase(
		        "New password: ", buf, len, RPP_REQUIRE_TTY) == NULL ||
		    readpassphrase("Again: ", again, sizeof(again),
		        RPP_REQUIRE_TTY) == NULL)
			return -1;
		if (strcmp(buf, again) != 0) {
			explicit_bzero(again, sizeof(again));
			fprintf(stderr, "nyonctl: the passwords differ\n");
			return -1;
		}
		explicit_bzero(again, sizeof(again));
		return 0;
	}
	if (fgets(buf, (int)len, stdin) == NULL) {
		fprintf(stderr, "nyonctl: no password on standard input\n");
		return -1;
	}
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	return 0;
}

int
cmd_user_passwd(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct ctl_msg reply;
	char pw[256];
	yajl_gen req;
	yajl_val data;

	if (passwd_read(pw, sizeof(pw)) == -1)
		return CTL_EXIT_FAIL;
	req = ctl_msg_begin(CTL_OP_USER_PASSWD);
	json_str(req, "username", argc == 1 ? argv[0] : "admin");
	json_str(req, "password", pw);
	explicit_bzero(pw, sizeof(pw));
	if (ctl_op(ctx, req, &reply, &data) == -1)
		return CTL_EXIT_FAIL;
	if (!ctx->json)
		printf("password of %s changed\n",
		    json_get_str(data, "username")
		        ? json_get_str(data, "username")
		        : "?");
	ctl_msg_free(&reply);
	return CTL_EXIT_OK;
}
