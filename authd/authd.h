/*
 * authd: the database (users, streams, keys, sessions, config), publish
 * authorisation for ingestd, and the operations nyonctl and the REST API
 * share.
 */
#ifndef AUTHD_H
#define AUTHD_H

#include <stdint.h>

#include "nyon.h"
#include "db.h"

struct authd {
	struct daemon d; /* d.conf is the configuration */
	struct db *db;
	char dbpath[512];
	/* counters for status */
	uint64_t publishes_ok, publishes_refused, revocations;
};

extern struct authd *authd;

/*
 * ops.c: every management operation, once.  Each reads its arguments from
 * a JSON object (a control message or a REST body: the same field names),
 * writes its result as one JSON value into g, and returns 0; or returns -1
 * with err naming the field and an HTTP-like code.
 */
int ops_stream_id(yajl_val args, int64_t *id, struct db_err *);
int ops_stream_list(yajl_val args, yajl_gen, struct db_err *);
int ops_stream_get(int64_t id, yajl_gen, struct db_err *);
int ops_stream_create(yajl_val args, yajl_gen, struct db_err *);
int ops_stream_update(int64_t id, yajl_val args, yajl_gen, struct db_err *);
int ops_stream_delete(int64_t id, yajl_gen, struct db_err *);
int ops_stream_set_active(int64_t id, int active, yajl_gen, struct db_err *);
int ops_stream_toggle(int64_t id, yajl_gen, struct db_err *);
int ops_stream_regen_key(int64_t id, yajl_gen, struct db_err *);
int ops_stream_urls(int64_t id, yajl_gen, struct db_err *);
int ops_session_list(yajl_val args, yajl_gen, struct db_err *);
int ops_session_get(int64_t id, yajl_gen, struct db_err *);
int ops_session_kick(int64_t id, yajl_gen, struct db_err *);
int ops_config_get(const char *key, yajl_gen, struct db_err *);
int ops_config_set(yajl_val pairs, yajl_gen, struct db_err *);
int ops_user_passwd(
    const char *username, const char *password, yajl_gen, struct db_err *);
int ops_stats(yajl_gen, struct db_err *);
int ops_server_ip(yajl_gen, struct db_err *);

/* control.c: the control socket: nyonctl's requests and ingestd's */
int control_handle(struct ctl_peer *, struct ctl_msg *, void *);
void control_peer_closed(struct ctl_peer *, void *);
/* Tells ingestd to stop a live publisher: by stream name or session id. */
void control_revoke(const char *stream, int64_t session, const char *why);
int control_ingestd_connected(void);

/* net.c */
/* The first LAN (non-loopback, up) IPv4 address, or "" */
void net_lan_ip(char *buf, size_t len);

#endif
