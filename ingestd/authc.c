/*
 * ingestd's connection to authd: one socket kept open.  Publish requests
 * go out with a request number and come back in any order with it; authd
 * also pushes revocations on the same socket.  If authd is away, publishing
 * is refused (fail closed) while live streams carry on; on reconnecting,
 * the live publishers are authorised again, so authd's sessions heal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "ingestd.h"

struct authc_req {
	TAILQ_ENTRY(authc_req) entry;
	long long req;
	struct publisher *pub; /* NULL once the publisher left */
	publisher_auth_cb done;
};
TAILQ_HEAD(authc_reqs, authc_req);

static struct {
	int fd;
	struct event *ev, *retry;
	struct authc_reqs pending;
	long long next_req;
	int connected;
} authc = {.fd = -1};

static void authc_connect(void);
static void authc_resumed(
    struct publisher *, const char *, uint64_t, const char *);

int
authc_connected(void)
{
	return authc.connected;
}

static int
authc_send(yajl_gen g)
{
	int r;

	yajl_gen_map_close(g);
	r = ctl_send_gen(authc.fd, g, NULL, 0);
	yajl_gen_free(g);
	return r;
}

static void
authc_request(struct publisher *p, const char *key, publisher_auth_cb done)
{
	struct authc_req *r;
	yajl_gen g;

	r = xcalloc(1, sizeof(*r));
	r->req = ++authc.next_req;
	r->pub = p;
	r->done = done;
	g = ctl_msg_begin("publish");
	json_int(g, "req", r->req);
	json_str(g, "key", key);
	json_str(g, "proto", p->proto);
	json_str(g, "ip", p->ip);
	json_str(g, "client", p->client);
	if (authc_send(g) == -1) {
		log_warn("authd: publish request");
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
authc_unpublish(int64_t session)
{
	yajl_gen g;

	if (!authc.connected || session == 0)
		return;
	g = ctl_msg_begin("unpublish");
	json_int(g, "session", session);
	if (authc_send(g) == -1)
		log_warn("authd: unpublish");
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
authc_reply(yajl_val m)
{
	struct authc_req *r;
	struct publisher *p;
	const char *stream, *err;
	long long req, session = 0, bitrate = 0;
	int ok = 0;

	if (json_get_int(m, "req", &req) == -1)
		return;
	TAILQ_FOREACH(r, &authc.pending, entry)
		if (r->req == req)
			break;
	if (r == NULL)
		return;
	TAILQ_REMOVE(&authc.pending, r, entry);
	json_get_bool(m, "ok", &ok);
	json_get_int(m, "session", &session);
	json_get_int(m, "max_bitrate", &bitrate);
	stream = json_get_str(m, "stream");
	err = json_get_str(m, "error");
	if ((p = r->pub) == NULL) {
		/* nobody to publish any more: close the session at once */
		if (ok)
			authc_unpublish(session);
	} else {
		p->auth_pending = 0;
		if (ok && stream != NULL) {
			p->session = session;
			r->done(p, stream, (uint64_t)bitrate, NULL);
		} else
			r->done(p, NULL, 0, err ? err : "refused by authd");
	}
	free(r);
}

static void
authc_revoke(yajl_val m)
{
	struct publisher *p, *next;
	const char *stream = json_get_str(m, "stream");
	const char *why = json_get_str(m, "reason");
	long long session = 0;

	json_get_int(m, "session", &session);
	TAILQ_FOREACH_SAFE(p, &ingestd->publishers, entry, next) {
		if (p->stream == NULL)
			continue;
		if ((stream != NULL && strcmp(p->stream->name, stream) == 0) ||
		    (session != 0 && p->session == session)) {
			/* authd already knows: no unpublish for this one */
			if (session != 0)
				p->session = 0;
			p->kick(p, why ? why : "revoked");
		}
	}
}

static void
authc_lost(void)
{
	struct timeval retry = {0, 250000};
	struct authc_req *r;
	struct publisher *p;

	if (authc.connected)
		log_warnx("authd: connection lost; new publishes are refused "
		          "until it is back");
	event_free(authc.ev);
	authc.ev = NULL;
	close(authc.fd);
	authc.fd = -1;
	authc.connected = 0;
	while ((r = TAILQ_FIRST(&authc.pending)) != NULL) {
		TAILQ_REMOVE(&authc.pending, r, entry);
		if ((p = r->pub) != NULL) {
			p->auth_pending = 0;
			r->done(
			    p, NULL, 0, "authorisation service unavailable");
		}
		free(r);
	}
	/* sessions died with the connection; authd ended them */
	TAILQ_FOREACH(p, &ingestd->publishers, entry)
		p->session = 0;
	/* not at once: a dying authd may still accept a connection */
	evtimer_add(authc.retry, &retry);
}

static void
authc_read(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_msg m;
	char err[256];
	int r;

	if ((r = ctl_recv(fd, &m, err, sizeof(err))) == -2) {
		log_warnx("authd: %s", err);
		return;
	}
	if (r <= 0) {
		authc_lost();
		return;
	}
	if (m.op == NULL)
		authc_reply(m.root);
	else if (strcmp(m.op, "revoke") == 0)
		authc_revoke(m.root);
	ctl_msg_free(&m);
}

/* A live publisher authorised again after authd came back. */
static void
authc_resumed(
    struct publisher *p, const char *stream, uint64_t bitrate, const char *why)
{
	/* authd gone again: not a refusal; we ask again when it is back */
	if (!authc.connected)
		return;
	if (stream == NULL) {
		log_warnx(
		    "%s %s: no longer allowed: %s", p->proto, p->addr, why);
		p->kick(p, why);
	}
}

static void
authc_retry(evutil_socket_t fd, short what, void *arg)
{
	authc_connect();
}

static void
authc_connect(void)
{
	struct timeval second = {1, 0};
	struct publisher *p;
	char path[512];

	snprintf(path, sizeof(path), "%s/authd.sock",
	    conf_str(ingestd->d.conf, "rundir"));
	if ((authc.fd = ctl_connect(path)) == -1) {
		log_debug("authd: %s: %s; retrying", path, strerror(errno));
		evtimer_add(authc.retry, &second);
		return;
	}
	fd_nonblock(authc.fd);
	if (authc_send(ctl_msg_begin("hello")) == -1) {
		close(authc.fd);
		authc.fd = -1;
		evtimer_add(authc.retry, &second);
		return;
	}
	authc.ev = event_new(
	    ingestd->d.base, authc.fd, EV_READ | EV_PERSIST, authc_read, NULL);
	event_add(authc.ev, NULL);
	authc.connected = 1;
	log_info("authd: connected");
	TAILQ_FOREACH(p, &ingestd->publishers, entry)
		if (p->stream != NULL && p->key[0] != '\0')
			authc_request(p, p->key, authc_resumed);
}

void
authc_start(void)
{
	TAILQ_INIT(&authc.pending);
	authc.retry = evtimer_new(ingestd->d.base, authc_retry, NULL);
	authc_connect();
}

void
authc_stop(void)
{
	struct authc_req *r;

	while ((r = TAILQ_FIRST(&authc.pending)) != NULL) {
		TAILQ_REMOVE(&authc.pending, r, entry);
		free(r);
	}
	if (authc.ev != NULL)
		event_free(authc.ev);
	if (authc.fd != -1)
		close(authc.fd);
	if (authc.retry != NULL)
		event_free(authc.retry);
	authc.connected = 0;
}
