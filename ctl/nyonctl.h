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
extern const char *ctl_daemons[3];
const char *ctl_sockpath(
    struct ctl_ctx *, const char *daemon, char *buf, size_t len);
/* Closes and sends req (from ctl_msg_begin), frees it, waits for the reply. */
int ctl_request(struct ctl_ctx *, const char *daemon, yajl_gen req,
    struct ctl_msg *reply, char *err, size_t errlen);
void ctl_gen_value(yajl_gen, yajl_val);
void ctl_print_gen(yajl_gen);
void ctl_print_json(yajl_val); /* beautified, ends with a newline */
void ctl_print_value(yajl_val);

/* cmd_status.c */
int cmd_status(struct ctl_ctx *, int, char **);
int cmd_ping(struct ctl_ctx *, int, char **);

#endif
