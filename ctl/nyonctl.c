/*
 * nyonctl [-f file] [--json] command [args]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nyonctl.h"

/* rtcd, recd and fwdd last: they are optional, their absence is no failure */
const char *ctl_daemons[6] = {
    "authd", "ingestd", "flvd", "rtcd", "recd", "fwdd"};

int
ctl_daemon_optional(const char *name)
{
	return strcmp(name, "rtcd") == 0 || strcmp(name, "recd") == 0 ||
	    strcmp(name, "fwdd") == 0;
}

static const struct cmd_entry cmd_table[] = {
    {"status", "", 0, 0, cmd_status,
        "show each daemon up or down with its status"},
    {"ping", "DAEMON", 1, 1, cmd_ping, "check that one daemon answers"},
    {"stream list", "", 0, 0, cmd_stream_list, "list the streams"},
    {"stream show", "NAME", 1, 1, cmd_stream_show,
        "show a stream, its key and its live sessions"},
    {"stream add",
        "NAME [--key KEY] [--description TEXT] "
        "[--protocol rtmp|srt|both] [--max-bitrate KBPS] [--disabled] "
        "[--record on|off|default]",
        1, -1, cmd_stream_add,
        "create a stream (a key is generated "
        "unless given)"},
    {"stream edit",
        "NAME [--name NEW] [--key KEY] [--description TEXT] "
        "[--protocol P] [--max-bitrate KBPS] [--record on|off|default]",
        2, -1, cmd_stream_edit, "change a stream"},
    {"stream rm", "NAME", 1, 1, cmd_stream_rm,
        "delete a stream (a live publisher is dropped)"},
    {"stream enable", "NAME", 1, 1, cmd_stream_enable, "allow publishing"},
    {"stream disable", "NAME", 1, 1, cmd_stream_disable,
        "refuse publishing (a live publisher is dropped)"},
    {"stream regen-key", "NAME", 1, 1, cmd_stream_regen_key,
        "give a stream a new key (a live publisher is dropped)"},
    {"stream urls", "NAME", 1, 1, cmd_stream_urls,
        "what to type into OBS, an SRT camera and a player"},
    {"stream forward list", "[NAME] [--show-keys]", 0, 2, cmd_forward_list,
        "list where streams are pushed (keys masked unless --show-keys), "
        "with fwdd's state of each"},
    {"stream forward add", "NAME URL [--disabled] [--no-verify]", 2, 4,
        cmd_forward_add,
        "push a stream to rtmp://HOST/APP/KEY, rtmps://... or "
        "srt://HOST:PORT?streamid=... while it is live"},
    {"stream forward rm", "NAME ID|URL", 2, 2, cmd_forward_rm,
        "stop pushing a stream there"},
    {"stream forward enable", "NAME ID|URL", 2, 2, cmd_forward_enable,
        "push there again"},
    {"stream forward disable", "NAME ID|URL", 2, 2, cmd_forward_disable,
        "keep a destination but do not push to it"},
    {"session list", "[--active] [--limit N]", 0, 3, cmd_session_list,
        "list publish sessions, newest first"},
    {"session show", "ID", 1, 1, cmd_session_show, "show one session"},
    {"session kick", "ID", 1, 1, cmd_session_kick, "stop a live publisher"},
    {"viewers", "[--active] [--limit N] [NAME]", 0, 4, cmd_viewers,
        "viewer sessions, and today's unique viewers and peak per stream"},
    {"config get", "[KEY]", 0, 1, cmd_config_get,
        "show run-time settings kept by authd"},
    {"config set", "KEY VALUE", 2, 2, cmd_config_set,
        "change a run-time setting"},
    {"recording list", "[NAME]", 0, 1, cmd_recording_list,
        "list the recordings (of one stream), newest first"},
    {"recording rm", "ID", 1, 1, cmd_recording_rm, "delete a recording"},
    {"recording keep", "ID", 1, 1, cmd_recording_keep,
        "exempt a recording from record_max_days and record_max_size"},
    {"recording unkeep", "ID", 1, 1, cmd_recording_unkeep,
        "let retention remove a recording again"},
    {"user passwd", "[USERNAME]", 0, 1, cmd_user_passwd,
        "set a user's password (admin by default; read from stdin when "
        "not a terminal)"},
};

static void __attribute__((noreturn)) usage(void)
{
	size_t i;

	fprintf(stderr,
	    "usage: nyonctl [-f file] [--json] command [args]\n"
	    "commands:\n");
	for (i = 0; i < nitems(cmd_table); i++)
		fprintf(stderr, "  %s %s\n\t%s\n", cmd_table[i].name,
		    cmd_table[i].usage, cmd_table[i].help);
	exit(CTL_EXIT_USAGE);
}

const char *
ctl_sockpath(struct ctl_ctx *ctx, const char *daemon, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.sock", conf_str(ctx->conf, "rundir"), daemon);
	return buf;
}

int
ctl_request(struct ctl_ctx *ctx, const char *daemon, yajl_gen req,
    struct ctl_msg *reply, char *err, size_t errlen)
{
	char path[512];
	int r;

	yajl_gen_map_close(req);
	r = ctl_call(ctl_sockpath(ctx, daemon, path, sizeof(path)), req, reply,
	    CTL_TIMEOUT_MS, err, errlen);
	yajl_gen_free(req);
	return r;
}

int
ctl_op(struct ctl_ctx *ctx, yajl_gen req, struct ctl_msg *reply, yajl_val *data)
{
	char err[512];
	int ok = 0;

	if (ctl_request(ctx, "authd", req, reply, err, sizeof(err)) == -1) {
		fprintf(stderr, "nyonctl: authd: %s\n", err);
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
	*data = json_get(reply->root, "data");
	if (ctx->json)
		ctl_print_json(*data);
	return 0;
}

void
ctl_print_gen(yajl_gen g)
{
	const unsigned char *buf;
	size_t len;

	yajl_gen_get_buf(g, &buf, &len);
	fwrite(buf, 1, len, stdout);
}

void
ctl_print_json(yajl_val v)
{
	yajl_gen g = json_gen();

	yajl_gen_config(g, yajl_gen_beautify, 1);
	json_value(g, v);
	ctl_print_gen(g);
	yajl_gen_free(g);
}

void
ctl_print_value(yajl_val v)
{
	if (YAJL_IS_STRING(v))
		fputs(v->u.string, stdout);
	else if (YAJL_IS_NUMBER(v))
		fputs(YAJL_GET_NUMBER(v), stdout);
	else if (YAJL_IS_TRUE(v))
		fputs("yes", stdout);
	else if (YAJL_IS_FALSE(v))
		fputs("no", stdout);
	else if (YAJL_IS_NULL(v))
		fputs("-", stdout);
	else
		fputs("...", stdout);
}

/* Finds the longest command name that the words of argv spell. */
int
ctl_list_args(
    int argc, char **argv, yajl_gen req, const char **name, const char *usage)
{
	const char *errstr;
	long long n;
	int a;

	for (a = 0; a < argc; a++) {
		if (strcmp(argv[a], "--active") == 0)
			json_bool(req, "active", 1);
		else if (strcmp(argv[a], "--limit") == 0 && a + 1 < argc) {
			n = strtonum(argv[++a], 1, 1000, &errstr);
			if (errstr != NULL) {
				fprintf(
				    stderr, "nyonctl: --limit: %s\n", errstr);
				yajl_gen_free(req);
				return -1;
			}
			json_int(req, "limit", n);
		} else if (name != NULL && *name == NULL && argv[a][0] != '-')
			*name = argv[a];
		else {
			fprintf(stderr, "%s\n", usage);
			yajl_gen_free(req);
			return -1;
		}
	}
	return 0;
}

static const struct cmd_entry *
cmd_find(int argc, char **argv, int *used)
{
	const struct cmd_entry *best = NULL;
	char name[128], prev[128];
	size_t i;
	int n;

	for (n = 1; n <= argc && n <= 3; n++) {
		if (n == 1)
			strlcpy(name, argv[0], sizeof(name));
		else {
			strlcpy(prev, name, sizeof(prev));
			if (snprintf(name, sizeof(name), "%s %s", prev,
			        argv[n - 1]) >= (int)sizeof(name))
				break;
		}
		for (i = 0; i < nitems(cmd_table); i++)
			if (strcmp(cmd_table[i].name, name) == 0) {
				best = &cmd_table[i];
				*used = n;
			}
	}
	return best;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct ctl_ctx ctx = {0};
	const struct cmd_entry *cmd;
	const char *path = NULL;
	char err[512];
	int ch, used = 0, r;

	log_init("nyonctl", 1, 0);
	/* '+' stops at the command so its own options stay its own. */
	while ((ch = getopt_long(argc, argv, "+f:jh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			path = optarg;
			break;
		case 'j':
			ctx.json = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage();
	if ((cmd = cmd_find(argc, argv, &used)) == NULL) {
		fprintf(stderr, "nyonctl: unknown command '%s'\n", argv[0]);
		usage();
	}
	argc -= used;
	argv += used;
	/* --json may also follow the command. */
	for (ch = 0; ch < argc; ch++)
		if (strcmp(argv[ch], "--json") == 0) {
			ctx.json = 1;
			memmove(&argv[ch], &argv[ch + 1],
			    (argc - ch) * sizeof(*argv));
			argc--;
			ch--;
		}
	if (argc < cmd->minargs || (cmd->maxargs >= 0 && argc > cmd->maxargs)) {
		fprintf(
		    stderr, "usage: nyonctl %s %s\n", cmd->name, cmd->usage);
		return CTL_EXIT_USAGE;
	}
	if (path == NULL && access(NYON_CONF_DEFAULT, F_OK) == -1 &&
	    errno == ENOENT)
		ctx.conf = conf_defaults();
	else if ((ctx.conf = conf_load(path ? path : NYON_CONF_DEFAULT, err,
	              sizeof(err))) == NULL) {
		fprintf(stderr, "nyonctl: %s\n", err);
		return CTL_EXIT_FAIL;
	}
	r = cmd->exec(&ctx, argc, argv);
	conf_free(ctx.conf);
	return r;
}
