/*
 * ingestd's connection to authd, over lib's control client: one socket
 * kept open.  Publish requests go out with a request number and come back
 * in any order with it; authd also pushes revocations on the same socket.
 * If authd is away, publishing is refused (fail closed) while live streams
 * carry on; on reconnecting, the live publishers are authorised again, so
 * authd's sessions heal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingestd.h"

/* One publish question; the publisher may leave before the answer. */
struct authc_req {
	struct publisher *pub; /* NULL once the publisher left */
	publisher_auth_cb done;
	TAILQ_ENTRY(authc_req) entry;
};
TAILQ_HEAD(authc_reqs, authc_req);

static struct {
	struct ctl_client *client;
	struct authc_reqs pending;
	int connected; /* hello answered */
} authc;

static void authc_resumed(
    struct publisher *, const char *, uint64_t, const char *);

int
authc_connected(void)
{
	return authc.connected;
}

static void
authc_reply(struct ctl_msg *m, void *arg)
{
	struct authc_req *r = arg;
	struct publisher *p = r->pub;
	const char *stream = NULL, *err = NULL;
	long long session = 0, bitrate = 0;
	int ok = 0;

	TAILQ_REMOVE(&authc.pending, r, entry);
	if (m != NULL) {
		json_get_bool(m->root, "ok", &ok);
		json_get_int(m->root, "session", &session);
		json_get_int(m->root, "max_bitrate", &bitrate);
		stream = json_get_str(m->root, "stream");
		err = json_get_str(m->root, "error");
	}
	if (p == NULL) {
		/* nobody to publish any more: close the session at once */
		if (ok)
			authc_unpublish(session, NULL);
	} else {
		p->auth_pending = 0;
		if (m == NULL)
			r->done(
			    p, NULL, 0, "authorisation service unavailable");
		else if (ok && stream != NULL) {
			p->session = session;
			p->record_set =
			    json_get_bool(m->root, "record", &p->record) == 0;
			r->done(p, stream, (uint64_t)bitrate, NULL);
		} else
			r->done(p, NULL, 0, err ? err : "refused by authd");
	}
	free(r);
}

static void
authc_request(struct publisher *p, const char *key, publisher_auth_cb done)
{
	struct authc_req *r;
	yajl_gen g;

	r = xcalloc(1, sizeof(*r));
	r->pub = p;
	r->done = done;
	g = ctl_msg_begin(CTL_OP_PUBLISH);
	json_str(g, "key", key);
	json_str(g, "proto", p->proto);
	json_str(g, "ip", p->ip);
	json_str(g, "client", p->client);
	/* no timeout: a late "yes" must still find its session closed */
	if (ctl_client_request(authc.client, g, NULL, 0, 0, authc_reply, r) ==
	    -1) {
		free(r);
		done(p, NULL, 0, "authorisation service unavailable");
		return;
	}
	p->auth_pending = 1;
	TAILQ_INSERT_TAIL(&authc.pending, r, entry);
}

void
authc_publish(struct publisher *p, const char *key, publisher_auth_cb done)
{
	if (!authc.connected) {
		done(p, NULL, 0, "authorisation service unavailable");
		return;
	}
	strlcpy(p->key, key, sizeof(p->key));
	authc_request(p, key, done);
}

void
authc_unpublish(int64_t session, const char *why)
{
	yajl_gen g;

	if (!authc.connected || session == 0)
		return;
	g = ctl_msg_begin(CTL_OP_UNPUBLISH);
	json_int(g, "session", session);
	if (why != NULL)
		json_str(g, "reason", why);
	/* if the connection is lost instead, authd ends it anyway */
	ctl_client_request(authc.client, g, NULL, 0, 0, NULL, NULL);
}

/* The publisher left while authd was deciding. */
void
authc_cancel(struct publisher *p)
{
	struct authc_req *r;

	TAILQ_FOREACH(r, &authc.pending, entry)
		if (r->pub == p)
			r->pub = NULL;
	p->auth_pending = 0;
}

static void
authc_revoke(struct ctl_msg *m)
{
	struct publisher *p, *next;
	const char *stream = json_get_str(m->root, "stream");
	const char *why = json_get_str(m->root, "reason");
	long long session = 0;

	json_get_int(m->root, "session", &session);
	TAILQ_FOREACH_SAFE(p, &ingestd->publishers, entry, next) {
		if (p->stream == NULL)
			continue;
		if ((stream != NULL && strcmp(p->stream->name, stream) == 0) ||
		    (session != 0 && p->session == session)) {
			/* authd already knows: no unpublish for this one */
			if (session != 0)
				p->session = 0;
			p->kick(p, why);
		}
	}
}

static void
authc_push(struct ctl_client *c, enum ctl_op op, struct ctl_msg *m, void *arg)
{
	if (op == CTL_OP_REVOKE)
		authc_revoke(m);
}

/* A live publisher authorised again after authd came back. */
static void
authc_resumed(
    struct publisher *p, const char *stream, uint64_t bitrate, const char *why)
{
	/* authd gone again: not a refusal; we ask again when it is back */
	if (!ctl_client_up(authc.client))
		return;
	if (stream == NULL) {
		log_warnx(
		    "%s %s: no longer allowed: %s", p->proto, p->addr, why);
		p->kick(p, why);
	}
}

static void
authc_hello_done(struct ctl_msg *m, void *arg)
{
	struct publisher *p;
	int ok = 0;

	if (m == NULL)
		return; /* lost: down() says so */
	if (json_get_bool(m->root, "ok", &ok) == -1 || !ok) {
		log_warnx("authd refused our hello: %s",
		    json_get_str(m->root, "error")
		        ? json_get_str(m->root, "error")
		        : "?");
		return;
	}
	authc.connected = 1;
	log_info("authd: connected");
	TAILQ_FOREACH(p, &ingestd->publishers, entry)
		if (p->stream != NULL && p->key[0] != '\0')
			authc_request(p, p->key, authc_resumed);
}

static void
authc_up(struct ctl_client *c, void *arg)
{
	ctl_client_request(
	    c, ctl_msg_begin(CTL_OP_HELLO), NULL, 0, 0, authc_hello_done, NULL);
}

static void
authc_down(struct ctl_client *c, void *arg)
{
	struct publisher *p;

	if (authc.connected)
		log_warnx("authd: connection lost; new publishes are refused "
		          "until it is back");
	authc.connected = 0;
	/* the pending requests were failed by the client already */
	/* sessions died with the connection; authd ended them */
	TAILQ_FOREACH(p, &ingestd->publishers, entry)
		p->session = 0;
}

void
authc_start(void)
{
	static const struct ctl_client_cb cb = {
	    .up = authc_up,
	    .push = authc_push,
	    .down = authc_down,
	};
	char path[512];

	TAILQ_INIT(&authc.pending);
	conf_file(ingestd->d.conf, "rundir", "authd.sock", path, sizeof(path));
	authc.client = ctl_client_new(
	    ingestd->d.base, path, "authd", &ingestd->d.policy, 0, &cb, NULL);
}

void
authc_stop(void)
{
	struct authc_req *r;

	if (authc.client == NULL)
		return;
	ctl_client_free(authc.client);
	authc.client = NULL;
	while ((r = TAILQ_FIRST(&authc.pending)) != NULL) {
		TAILQ_REMOVE(&authc.pending, r, entry);
		free(r);
	}
	authc.connected = 0;
}
