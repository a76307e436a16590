/*
 * Every control operation, once: its name on the wire, which roles may
 * send it, who serves it, and the fields it must carry.  The control
 * server checks a message against this table before any handler runs, so
 * a handler sees only well-formed requests from peers allowed to make them.
 * Messages a daemon pushes to its clients (revoke, stream, stream_end) are
 * here too: a client checks them the same way.
 */
#include <stdio.h>
#include <string.h>

#include "nyon.h"

#define OPER CTL_ROLE_OPERATOR
#define INGEST CTL_ROLE_INGEST
#define READER CTL_ROLE_READER
#define ANYONE (CTL_ROLE_OPERATOR | CTL_ROLE_INGEST | CTL_ROLE_READER)

#define AUTHD CTL_SERVED_AUTHD
#define INGESTD CTL_SERVED_INGESTD
#define FLVD CTL_SERVED_FLVD
#define RECD CTL_SERVED_RECD
#define EVERY \
	(CTL_SERVED_AUTHD | CTL_SERVED_INGESTD | CTL_SERVED_FLVD | \
	    CTL_SERVED_RTCD | CTL_SERVED_RECD | CTL_SERVED_FWDD)

#define REQ CTL_F_REQUIRED

const struct ctl_opdef ctl_ops[CTL_OP_COUNT] = {
    [CTL_OP_PING] = {"ping", ANYONE, EVERY, 0, {{0}}},
    [CTL_OP_STATUS] = {"status", OPER, EVERY, 0, {{0}}},

    /* ingestd and authd */
    [CTL_OP_HELLO] = {"hello", INGEST, AUTHD, 0, {{0}}},
    [CTL_OP_PUBLISH] = {"publish", INGEST, AUTHD, 0,
        {{"key", CTL_T_KEY, REQ}, {"proto", CTL_T_STR, REQ},
            {"ip", CTL_T_STR, REQ}, {"client", CTL_T_STR, REQ}}},
    [CTL_OP_UNPUBLISH] = {"unpublish", INGEST, AUTHD, 0,
        {{"session", CTL_T_INT, REQ}, {"reason", CTL_T_STR, 0}}},
    [CTL_OP_REVOKE] = {"revoke", CTL_ROLE_SERVER, 0, 0,
        {{"stream", CTL_T_NAME, 0}, {"session", CTL_T_INT, 0},
            {"reason", CTL_T_STR, REQ}}},

    /* the rings: ingestd and its readers */
    [CTL_OP_SUBSCRIBE] = {"subscribe", READER, INGESTD, 0, {{0}}},
    [CTL_OP_STREAM] = {"stream", CTL_ROLE_SERVER, 0, 2,
        {{"name", CTL_T_NAME, REQ}, {"id", CTL_T_INT, REQ},
            {"proto", CTL_T_STR, REQ}, {"record", CTL_T_BOOL, 0}}},
    [CTL_OP_STREAM_END] = {"stream_end", CTL_ROLE_SERVER, 0, 0,
        {{"name", CTL_T_NAME, REQ}, {"id", CTL_T_INT, REQ}}},

    /* management: nyonctl and the REST API share these (authd/ops.c) */
    [CTL_OP_STREAM_LIST] = {"stream_list", OPER, AUTHD, 0,
        {{"is_active", CTL_T_BOOL, 0}, {"protocol", CTL_T_STR, 0}}},
    [CTL_OP_STREAM_ADD] = {"stream_add", OPER, AUTHD, 0,
        {{"name", CTL_T_STR, REQ}, {"stream_key", CTL_T_STR, 0},
            {"description", CTL_T_STR, 0}, {"protocol", CTL_T_STR, 0},
            {"max_bitrate", CTL_T_INT, 0}, {"is_active", CTL_T_BOOL, 0},
            {"record", CTL_T_ANY, 0}}},
    [CTL_OP_STREAM_SHOW] = {"stream_show", OPER, AUTHD, 0,
        {{"stream", CTL_T_ANY, REQ}}},
    [CTL_OP_STREAM_EDIT] = {"stream_edit", OPER, AUTHD, 0,
        {{"stream", CTL_T_ANY, REQ}, {"name", CTL_T_STR, 0},
            {"stream_key", CTL_T_STR, 0}, {"description", CTL_T_STR, 0},
            {"protocol", CTL_T_STR, 0}, {"max_bitrate", CTL_T_INT, 0},
            {"record", CTL_T_ANY, 0}}},
    [CTL_OP_STREAM_RM] = {"stream_rm", OPER, AUTHD, 0,
        {{"stream", CTL_T_ANY, REQ}}},
    [CTL_OP_STREAM_ENABLE] = {"stream_enable", OPER, AUTHD, 0,
        {{"stream", CTL_T_ANY, REQ}}},
    [CTL_OP_STREAM_DISABLE] = {"stream_disable", OPER, AUTHD, 0,
        {{"stream", CTL_T_ANY, REQ}}},
    [CTL_OP_STREAM_REGEN_KEY] = {"stream_regen_key", OPER, AUTHD, 0,
        {{"stream", CTL_T_ANY, REQ}}},
    [CTL_OP_STREAM_URLS] = {"stream_urls", OPER, AUTHD, 0,
        {{"stream", CTL_T_ANY, REQ}}},
    [CTL_OP_SESSION_LIST] = {"session_list", OPER, AUTHD, 0,
        {{"active", CTL_T_BOOL, 0}, {"limit", CTL_T_INT, 0}}},
    [CTL_OP_SESSION_SHOW] = {"session_show", OPER, AUTHD, 0,
        {{"id", CTL_T_INT, REQ}}},
    [CTL_OP_SESSION_KICK] = {"session_kick", OPER, AUTHD, 0,
        {{"id", CTL_T_INT, REQ}}},
    [CTL_OP_CONFIG_GET] = {"config_get", OPER, AUTHD, 0,
        {{"key", CTL_T_STR, 0}}},
    [CTL_OP_CONFIG_SET] = {"config_set", OPER, AUTHD, 0,
        {{"settings", CTL_T_OBJ, REQ}}},
    [CTL_OP_USER_PASSWD] = {"user_passwd", OPER, AUTHD, 0,
        {{"username", CTL_T_STR, REQ}, {"password", CTL_T_STR, REQ}}},
    [CTL_OP_STATS] = {"stats", OPER, AUTHD, 0, {{0}}},

    /* recordings: recd keeps them; authd and nyonctl ask */
    [CTL_OP_RECORDING_LIST] = {"recording_list", OPER, RECD, 0,
        {{"stream", CTL_T_NAME, 0}}},
    /* the reply carries the open file (what: "file" or "thumb") */
    [CTL_OP_RECORDING_OPEN] = {"recording_open", OPER, RECD, 0,
        {{"id", CTL_T_INT, REQ}, {"what", CTL_T_STR, 0}}},
    [CTL_OP_RECORDING_DELETE] = {"recording_delete", OPER, RECD, 0,
        {{"id", CTL_T_INT, REQ}}},
    [CTL_OP_RECORDING_KEEP] = {"recording_keep", OPER, RECD, 0,
        {{"id", CTL_T_INT, REQ}, {"keep", CTL_T_BOOL, REQ}}},
    /* authd: a live stream's record setting changed */
    [CTL_OP_RECORD_SET] = {"record_set", OPER, RECD, 0,
        {{"stream", CTL_T_NAME, REQ}, {"record", CTL_T_BOOL, REQ}}},

    /* the addresses viewers reach us at: rtcd's ICE candidates */
    [CTL_OP_SERVER_IP] = {"server_ip", OPER | READER, AUTHD, 0, {{0}}},
    /*
     * Forwarding destinations: operators manage them; fwdd (a reader)
     * asks for the destinations of one stream, which authd answers only
     * while that stream is live, so the media user never reads the
     * secrets of streams that are not on air; authd tells fwdd when a
     * live stream's destinations change.
     */
    [CTL_OP_FORWARD_LIST] = {"forward_list", OPER, AUTHD, 0,
        {{"stream", CTL_T_ANY, 0}, {"reveal", CTL_T_BOOL, 0}}},
    [CTL_OP_FORWARD_ADD] = {"forward_add", OPER, AUTHD, 0,
        {{"stream", CTL_T_ANY, REQ}, {"url", CTL_T_STR, REQ},
            {"is_enabled", CTL_T_BOOL, 0}, {"tls_verify", CTL_T_BOOL, 0}}},
    [CTL_OP_FORWARD_EDIT] = {"forward_edit", OPER, AUTHD, 0,
        {{"id", CTL_T_INT, REQ}, {"url", CTL_T_STR, 0},
            {"is_enabled", CTL_T_BOOL, 0}, {"tls_verify", CTL_T_BOOL, 0}}},
    [CTL_OP_FORWARD_RM] = {"forward_rm", OPER, AUTHD, 0,
        {{"id", CTL_T_INT, 0}, {"stream", CTL_T_ANY, 0},
            {"url", CTL_T_STR, 0}}},
    [CTL_OP_FORWARD_GET] = {"forward_get", READER, AUTHD, 0,
        {{"stream", CTL_T_NAME, REQ}}},
    [CTL_OP_FORWARD_CHANGED] = {"forward_changed", CTL_ROLE_SERVER, 0, 0,
        {{"stream", CTL_T_NAME, REQ}}},
    /*
     * viewer sessions: the output daemons (the media user) report them,
     * batched (lib/vreport.c); reading them is for operators alone
     */
    [CTL_OP_VIEWER_REPORT] = {"viewer_report", INGEST | READER, AUTHD, 0,
        {{"source", CTL_T_STR, REQ}, {"sessions", CTL_T_ARRAY, REQ}}},
    [CTL_OP_VIEWER_LIST] = {"viewer_list", OPER, AUTHD, 0,
        {{"stream", CTL_T_NAME, 0}, {"active", CTL_T_BOOL, 0},
            {"limit", CTL_T_INT, 0}}},
    [CTL_OP_VIEWER_STATS] = {"viewer_stats", OPER, AUTHD, 0,
        {{"stream", CTL_T_NAME, 0}}},
    /* authd's time series: the box and each stream, over a range */
    [CTL_OP_HISTORY] = {"history", OPER, AUTHD, 0,
        {{"range", CTL_T_STR, 0}, {"stream", CTL_T_NAME, 0}}},
};

const char *
ctl_op_name(enum ctl_op op)
{
	return op < CTL_OP_COUNT ? ctl_ops[op].name : "?";
}

int
ctl_op_find(const char *name, enum ctl_op *op)
{
	size_t i;

	for (i = 0; i < CTL_OP_COUNT; i++)
		if (ctl_ops[i].name != NULL &&
		    strcmp(ctl_ops[i].name, name) == 0) {
			*op = (enum ctl_op)i;
			return 0;
		}
	return -1;
}

const char *
ctl_role_name(unsigned roles)
{
	if (roles & CTL_ROLE_OPERATOR)
		return "operator";
	if ((roles & (CTL_ROLE_INGEST | CTL_ROLE_READER)) ==
	    (CTL_ROLE_INGEST | CTL_ROLE_READER))
		return "media";
	if (roles & CTL_ROLE_INGEST)
		return "ingest";
	if (roles & CTL_ROLE_READER)
		return "reader";
	return "none";
}

static int
ctl_field_ok(const struct ctl_field *f, yajl_val v, char *why, size_t whylen)
{
	switch (f->type) {
	case CTL_T_STR:
		return YAJL_IS_STRING(v);
	case CTL_T_INT:
		return YAJL_IS_INTEGER(v);
	case CTL_T_BOOL:
		return YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v);
	case CTL_T_OBJ:
		return YAJL_IS_OBJECT(v);
	case CTL_T_ARRAY:
		return YAJL_IS_ARRAY(v);
	case CTL_T_NAME:
		return YAJL_IS_STRING(v) &&
		    stream_name_check(v->u.string, why, whylen) == 0;
	case CTL_T_KEY:
		return YAJL_IS_STRING(v) &&
		    stream_key_check(v->u.string, why, whylen) == 0;
	case CTL_T_ANY:
		return 1;
	}
	return 0;
}

static const char *
ctl_type_name(enum ctl_type t)
{
	switch (t) {
	case CTL_T_STR:
	case CTL_T_NAME:
	case CTL_T_KEY:
		return "a string";
	case CTL_T_INT:
		return "an integer";
	case CTL_T_BOOL:
		return "true or false";
	case CTL_T_OBJ:
		return "an object";
	case CTL_T_ARRAY:
		return "an array";
	case CTL_T_ANY:
		break;
	}
	return "a value";
}

int
ctl_op_check(enum ctl_op op, const struct ctl_msg *m, char *err, size_t errlen)
{
	const struct ctl_opdef *def = &ctl_ops[op];
	const struct ctl_field *f;
	char why[128];
	yajl_val v;
	size_t i;

	if (m->nfds != def->nfds) {
		snprintf(err, errlen, "%s: %d descriptors, want %d", def->name,
		    m->nfds, def->nfds);
		return -1;
	}
	for (i = 0; i < CTL_FIELDS_MAX && def->fields[i].name != NULL; i++) {
		f = &def->fields[i];
		if ((v = json_get(m->root, f->name)) == NULL ||
		    YAJL_IS_NULL(v)) {
			if (!(f->flags & CTL_F_REQUIRED))
				continue;
			snprintf(err, errlen, "%s: %s is required", def->name,
			    f->name);
			return -1;
		}
		why[0] = '\0';
		if (!ctl_field_ok(f, v, why, sizeof(why))) {
			if (why[0] != '\0')
				snprintf(err, errlen, "%s: %s: %s", def->name,
				    f->name, why);
			else
				snprintf(err, errlen, "%s: %s must be %s",
				    def->name, f->name, ctl_type_name(f->type));
			return -1;
		}
	}
	return 0;
}
