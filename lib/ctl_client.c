/*
 * The connecting side: one connection a daemon keeps to another (ingestd to
 * authd, a ring reader to ingestd) or opens for one question (authd asking
 * for status).  Connecting never blocks; a server whose credentials are not
 * one of ours is not trusted; a lost connection fails the requests still
 * waiting, tells the owner, and is made again with backoff, after which the
 * owner's up() resyncs.  Nothing here is dropped while connected: messages
 * wait in the queue of ctl_chan.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "nyon.h"
#include "ctl_chan.h"

#define CTL_BACKOFF_MIN_MS 100
#define CTL_BACKOFF_MAX_MS 2000

struct ctl_pending {
	TAILQ_ENTRY(ctl_pending) entry;
	struct ctl_client *client;
	long long req;
	ctl_reply_cb cb;
	void *arg;
	struct event *timer;
};

struct ctl_client {
	struct event_base *base;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char name[32]; /* for log lines: "authd" */
	struct ctl_policy policy;
	int flags;
	struct ctl_client_cb cb;
	void *arg;
	int fd;
	struct event *rev, *retry;
	struct ctl_chan chan;
	int up;
	int backoff_ms;
	long long next_req;
	TAILQ_HEAD(, ctl_pending) pending;
	int in_cb; /* inside a callback: defer the free */
	int dead;
};

static void ctl_client_connect(struct ctl_client *);

static void
ctl_client_destroy(struct ctl_client *c)
{
	if (c->rev != NULL)
		event_free(c->rev);
	if (c->fd != -1) {
		ctl_chan_clear(&c->chan);
		close(c->fd);
	}
	event_free(c->retry);
	free(c);
}

/* After a callback: 1 if the client was freed meanwhile. */
static int
ctl_client_gone(struct ctl_client *c)
{
	if (c->in_cb == 0 && c->dead) {
		ctl_client_destroy(c);
		return 1;
	}
	return 0;
}

static void
ctl_pending_free(struct ctl_client *c, struct ctl_pending *p)
{
	TAILQ_REMOVE(&c->pending, p, entry);
	if (p->timer != NULL)
		event_free(p->timer);
	free(p);
}

/* Calls p's callback with reply (NULL: failed) and frees p; 1 if c is gone. */
static int
ctl_pending_done(
    struct ctl_client *c, struct ctl_pending *p, struct ctl_msg *reply)
{
	ctl_reply_cb cb = p->cb;
	void *arg = p->arg;

	ctl_pending_free(c, p);
	if (cb == NULL)
		return 0;
	c->in_cb++;
	cb(reply, arg);
	c->in_cb--;
	return ctl_client_gone(c);
}

static void
ctl_client_schedule(struct ctl_client *c)
{
	struct timeval tv;

	if (c->flags & CTL_CLIENT_ONCE)
		return;
	tv.tv_sec = c->backoff_ms / 1000;
	tv.tv_usec = (c->backoff_ms % 1000) * 1000;
	evtimer_add(c->retry, &tv);
	c->backoff_ms *= 2;
	if (c->backoff_ms > CTL_BACKOFF_MAX_MS)
		c->backoff_ms = CTL_BACKOFF_MAX_MS;
}

/* The connection is gone: fail what waits, tell the owner, try again. */
static void
ctl_client_lost(struct ctl_client *c)
{
	struct ctl_pending *p;
	int was_up = c->up;

	if (c->rev != NULL)
		event_free(c->rev);
	c->rev = NULL;
	if (c->fd != -1) {
		ctl_chan_clear(&c->chan);
		close(c->fd);
		c->fd = -1;
	}
	c->up = 0;
	while ((p = TAILQ_FIRST(&c->pending)) != NULL)
		if (ctl_pending_done(c, p, NULL))
			return;
	if (c->dead)
		return;
	ctl_client_schedule(c);
	if (was_up || (c->flags & CTL_CLIENT_ONCE)) {
		if (c->cb.down != NULL) {
			c->in_cb++;
			c->cb.down(c, c->arg);
			c->in_cb--;
			ctl_client_gone(c);
		}
	}
}

static void
ctl_client_failed(struct ctl_chan *ch, void *arg)
{
	struct ctl_client *c = arg;

	log_warn("%s: send", c->name);
	ctl_client_lost(c);
}

static void
ctl_client_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_pending *p = arg;
	struct ctl_client *c = p->client;

	log_warnx("%s: no answer to request %lld in time", c->name, p->req);
	ctl_pending_done(c, p, NULL);
}

static void
ctl_client_reply(struct ctl_client *c, struct ctl_msg *m)
{
	struct ctl_pending *p;
	long long req;

	if (json_get_int(m->root, "req", &req) == -1) {
		log_debug("%s: a reply without a request number", c->name);
		return;
	}
	TAILQ_FOREACH(p, &c->pending, entry)
		if (p->req == req)
			break;
	if (p == NULL) {
		log_debug("%s: a reply to no request (%lld)", c->name, req);
		return;
	}
	ctl_pending_done(c, p, m);
}

static void
ctl_client_push(struct ctl_client *c, struct ctl_msg *m)
{
	enum ctl_op op;
	char err[256];

	if (ctl_op_find(m->op, &op) == -1 ||
	    !(ctl_ops[op].roles & CTL_ROLE_SERVER)) {
		log_warnx("%s: unexpected message '%.64s'", c->name, m->op);
		return;
	}
	if (ctl_op_check(op, m, err, sizeof(err)) == -1) {
		log_warnx("%s: %s", c->name, err);
		return;
	}
	if (c->cb.push == NULL)
		return;
	c->in_cb++;
	c->cb.push(c, op, m, c->arg);
	c->in_cb--;
}

static void
ctl_client_read(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_client *c = arg;
	struct ctl_msg m;
	char err[256];
	int r;

	if ((r = ctl_recv(fd, &m, err, sizeof(err))) == -2) {
		log_warnx("%s: %s", c->name, err);
		return;
	}
	if (r <= 0) {
		if (c->up)
			log_info("%s: connection lost", c->name);
		ctl_client_lost(c);
		return;
	}
	c->in_cb++;
	if (m.op != NULL)
		ctl_client_push(c, &m);
	else
		ctl_client_reply(c, &m);
	c->in_cb--;
	ctl_msg_free(&m);
	ctl_client_gone(c);
}

static void
ctl_client_retry(evutil_socket_t fd, short what, void *arg)
{
	ctl_client_connect(arg);
}

/* Whether the daemon at the other end runs as one of ours. */
static int
ctl_client_trusted(struct ctl_client *c)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("%s: SO_PEERCRED", c->name);
		return 0;
	}
	/* a server owes us no groups: its user alone must be ours */
	if (ctl_policy_roles(&c->policy, cred.uid, (gid_t)-1, NULL, 0) &
	    ~CTL_ROLE_OPERATOR)
		return 1;
	if (c->policy.authd_set && cred.uid == c->policy.authd_uid)
		return 1;
	log_warnx("%s: %s is served by uid %ld, not a Nyon daemon's user; "
	          "not using it",
	    c->name, c->path, (long)cred.uid);
	return 0;
}

static void
ctl_client_connect(struct ctl_client *c)
{
	struct sockaddr_un sun;

	if (ctl_sockaddr(c->path, &sun) == -1)
		fatalx("%s: path too long", c->path);
	if ((c->fd = socket(AF_UNIX,
	         SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("%s: socket", c->name);
		ctl_client_lost(c);
		return;
	}
	/* a full backlog says EAGAIN: try again later, never wait here */
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		log_debug("%s: %s: %s", c->name, c->path, strerror(errno));
		close(c->fd);
		c->fd = -1;
		ctl_client_lost(c);
		return;
	}
	if (!ctl_client_trusted(c)) {
		close(c->fd);
		c->fd = -1;
		ctl_client_lost(c);
		return;
	}
	ctl_chan_init(&c->chan, c->base, c->fd, ctl_client_failed, c);
	c->rev =
	    event_new(c->base, c->fd, EV_READ | EV_PERSIST, ctl_client_read, c);
	event_add(c->rev, NULL);
	c->up = 1;
	c->backoff_ms = CTL_BACKOFF_MIN_MS;
	log_debug("%s: connected", c->name);
	if (c->cb.up != NULL) {
		c->in_cb++;
		c->cb.up(c, c->arg);
		c->in_cb--;
		ctl_client_gone(c);
	}
}

struct ctl_client *
ctl_client_new(struct event_base *base, const char *path, const char *name,
    const struct ctl_policy *policy, int flags, const struct ctl_client_cb *cb,
    void *arg)
{
	struct ctl_client *c;

	c = xcalloc(1, sizeof(*c));
	c->base = base;
	if (strlcpy(c->path, path, sizeof(c->path)) >= sizeof(c->path))
		fatalx("%s: path too long", path);
	strlcpy(c->name, name, sizeof(c->name));
	c->policy = *policy;
	c->flags = flags;
	c->cb = *cb;
	c->arg = arg;
	c->fd = -1;
	c->backoff_ms = CTL_BACKOFF_MIN_MS;
	TAILQ_INIT(&c->pending);
	c->retry = evtimer_new(base, ctl_client_retry, c);
	/* from the loop, so up() never runs inside the caller's setup */
	event_active(c->retry, EV_TIMEOUT, 0);
	return c;
}

void
ctl_client_free(struct ctl_client *c)
{
	struct ctl_pending *p;

	if (c == NULL || c->dead)
		return;
	c->dead = 1;
	/* nobody is left to tell: drop the callbacks */
	while ((p = TAILQ_FIRST(&c->pending)) != NULL)
		ctl_pending_free(c, p);
	if (c->in_cb == 0)
		ctl_client_destroy(c);
}

int
ctl_client_up(const struct ctl_client *c)
{
	return c->up && !c->dead;
}

int
ctl_client_request(struct ctl_client *c, yajl_gen g, const int *fds, int nfds,
    int timeout_ms, ctl_reply_cb cb, void *cbarg)
{
	struct ctl_pending *p = NULL;
	struct timeval tv;
	long long req;
	int r;

	if (!ctl_client_up(c)) {
		yajl_gen_free(g);
		return -1;
	}
	req = ++c->next_req;
	json_int(g, "req", req);
	yajl_gen_map_close(g);
	r = ctl_chan_send_gen(&c->chan, g, fds, nfds);
	yajl_gen_free(g);
	if (r == -1) {
		if (errno == ENOBUFS)
			log_warnx("%s: not reading; closing", c->name);
		else
			log_warn("%s: send", c->name);
		/* from the loop: the caller is in the middle of something */
		shutdown(c->fd, SHUT_RDWR);
		return -1;
	}
	if (cb == NULL)
		return 0;
	p = xcalloc(1, sizeof(*p));
	p->client = c;
	p->req = req;
	p->cb = cb;
	p->arg = cbarg;
	if (timeout_ms > 0) {
		p->timer = evtimer_new(c->base, ctl_client_timeout, p);
		tv.tv_sec = timeout_ms / 1000;
		tv.tv_usec = (timeout_ms % 1000) * 1000;
		evtimer_add(p->timer, &tv);
	}
	TAILQ_INSERT_TAIL(&c->pending, p, entry);
	return 0;
}

void
ctl_client_forget(struct ctl_client *c, void *cbarg)
{
	struct ctl_pending *p;

	TAILQ_FOREACH(p, &c->pending, entry)
		if (p->arg == cbarg)
			p->cb = NULL;
}
