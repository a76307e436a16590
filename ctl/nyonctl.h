/*
 * nyonctl: the operator's command line over the daemons' control sockets.
 * Commands are data: each is a struct cmd_entry in one table (nyonctl.c).
 */
#ifndef NYONCTL_H
#define NYONCTL_H

#include "nyon.h"

#define CTL_EXIT_OK 0
#define CTL_EXIT_FAIL 1
#define CTL_EXIT_USAGE 2
#define CTL_TIMEOUT_MS 3000

struct ctl_ctx {
	struct conf *conf;
	int json; /* --json: print the daemons' JSON */
};

struct cmd_entry {
	const char *name; /* "status", "stream list" */
	const char *usage; /* arguments after the name */
	int minargs, maxargs; /* -1: no upper bound */
	int (*exec)(struct ctl_ctx *, int argc, char **argv);
	const char *help;
};

/* nyonctl.c */
extern const char *ctl_daemons[6];
/* Daemons that may be left off (rtcd, recd, fwdd): status does not fail for them. */
int ctl_daemon_optional(const char *);
const char *ctl_sockpath(
    struct ctl_ctx *, const char *daemon, char *buf, size_t len);
/* Closes and sends req (from ctl_msg_begin), frees it, waits for the reply. */
int ctl_request(struct ctl_ctx *, const char *daemon, yajl_gen req,
    struct ctl_msg *reply, char *err, size_t errlen);
void ctl_print_gen(yajl_gen);
void ctl_print_json(yajl_val); /* beautified, ends with a newline */
void ctl_print_value(yajl_val);

/*
 * Sends req to authd; on success *data is the reply's "data" (printed as
 * JSON under --json) and the caller frees reply; on failure the error is
 * printed on stderr and -1 returned.
 */
int ctl_op(
    struct ctl_ctx *, yajl_gen req, struct ctl_msg *reply, yajl_val *data);

/*
 * A list command's options into req: --active, --limit N (1 to 1000) and,
 * if name is not NULL, one NAME.  -1 after printing usage; req is freed.
 */
int ctl_list_args(
    int argc, char **argv, yajl_gen req, const char **name, const char *usage);

/* cmd_stream.c */
int cmd_stream_list(struct ctl_ctx *, int, char **);
int cmd_stream_show(struct ctl_ctx *, int, char **);
int cmd_stream_add(struct ctl_ctx *, int, char **);
int cmd_stream_edit(struct ctl_ctx *, int, char **);
int cmd_stream_rm(struct ctl_ctx *, int, char **);
int cmd_stream_enable(struct ctl_ctx *, int, char **);
int cmd_stream_disable(struct ctl_ctx *, int, char **);
int cmd_stream_regen_key(struct ctl_ctx *, int, char **);
int cmd_stream_urls(struct ctl_ctx *, int, char **);

/* cmd_session.c */
int cmd_session_list(struct ctl_ctx *, int, char **);
int cmd_session_show(struct ctl_ctx *, int, char **);
int cmd_session_kick(struct ctl_ctx *, int, char **);
int cmd_config_get(struct ctl_ctx *, int, char **);
int cmd_config_set(struct ctl_ctx *, int, char **);
int cmd_user_passwd(struct ctl_ctx *, int, char **);

/* cmd_recording.c */
int cmd_recording_list(struct ctl_ctx *, int, char **);
int cmd_recording_rm(struct ctl_ctx *, int, char **);
int cmd_recording_keep(struct ctl_ctx *, int, char **);
int cmd_recording_unkeep(struct ctl_ctx *, int, char **);

/* cmd_forward.c */
int cmd_forward_list(struct ctl_ctx *, int, char **);
int cmd_forward_add(struct ctl_ctx *, int, char **);
int cmd_forward_rm(struct ctl_ctx *, int, char **);
int cmd_forward_enable(struct ctl_ctx *, int, char **);
int cmd_forward_disable(struct ctl_ctx *, int, char **);
/* cmd_viewers.c */
int cmd_viewers(struct ctl_ctx *, int, char **);

/* cmd_status.c */
int cmd_status(struct ctl_ctx *, int, char **);
/* A live stream's media, outputs and alerts, from the daemons' status. */
void status_stream_detail(
    yajl_val ingestd_stream, yajl_val flvd, yajl_val rtcd);
/* The live figures of one stream, asked of ingestd, flvd and rtcd. */
void status_stream_live(struct ctl_ctx *, const char *name);
int cmd_ping(struct ctl_ctx *, int, char **);

#endif
