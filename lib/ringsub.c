/*
 * The ring subscriber: how every reader of the rings (flvd, and the output
 * daemons to come) follows ingestd's live streams.  It keeps a control
 * client on ingestd.sock with the reader role, subscribes on each
 * connection, maps each announced ring read-only, watches its eventfd,
 * and tells its owner when a stream goes live, has new records, and ends.
 * When the connection to ingestd is lost every stream ends; when it comes
 * back ingestd announces the live ones again.  Reading goes through
 * ringsub_read, which moves a lapped cursor to the newest keyframe and
 * says so, so no reader has to know the ring's failure modes.
 */
#include <sys/queue.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "nyon.h"
#include "ring.h"
#include "ringsub.h"

#define RINGSUB_TIMEOUT_MS 5000 /* for ingestd to answer subscribe */
#define RINGSUB_RETRY_S 5 /* after a refused subscription */

struct ringsub_stream {
	TAILQ_ENTRY(ringsub_stream) entry;
	struct ringsub *sub;
	char name[STREAM_NAME_SZ];
	char proto[8];
	uint64_t id;
	int record; /* 1, 0, -1: not said */
	struct ring *ring;
	int efd;
	struct event *ev;
	void *state; /* the owner's */
};

struct ringsub {
	struct event_base *base;
	struct ctl_client *client;
	struct event *again; /* subscribe again after a refusal */
	struct ringsub_cb cb;
	void *arg;
	int subscribed;
	TAILQ_HEAD(, ringsub_stream) streams;
};

const char *
ringsub_name(const struct ringsub_stream *rs)
{
	return rs->name;
}

const char *
ringsub_proto(const struct ringsub_stream *rs)
{
	return rs->proto;
}

uint64_t
ringsub_id(const struct ringsub_stream *rs)
{
	return rs->id;
}

int
ringsub_record(const struct ringsub_stream *rs)
{
	return rs->record;
}

struct ring *
ringsub_ring(const struct ringsub_stream *rs)
{
	return rs->ring;
}

int
ringsub_subscribed(const struct ringsub *sub)
{
	return sub->subscribed;
}

/* The owner reads the last records, then the ring goes. */
static void
ringsub_end(struct ringsub_stream *rs)
{
	struct ringsub *sub = rs->sub;

	TAILQ_REMOVE(&sub->streams, rs, entry);
	if (rs->state != NULL && sub->cb.ended != NULL)
		sub->cb.ended(rs, rs->state, sub->arg);
	event_free(rs->ev);
	close(rs->efd);
	ring_free(rs->ring);
	free(rs);
}

static void
ringsub_wakeup(evutil_socket_t fd, short what, void *arg)
{
	struct ringsub_stream *rs = arg;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) == -1 && errno != EAGAIN)
		log_warn("stream %s: eventfd", rs->name);
	if (rs->state != NULL && rs->sub->cb.data != NULL)
		rs->sub->cb.data(rs, rs->state, rs->sub->arg);
}

static struct ringsub_stream *
ringsub_find(struct ringsub *sub, const char *name)
{
	struct ringsub_stream *rs;

	TAILQ_FOREACH(rs, &sub->streams, entry)
		if (strcmp(rs->name, name) == 0)
			return rs;
	return NULL;
}

static void
ringsub_stream_live(struct ringsub *sub, struct ctl_msg *m)
{
	const char *name = json_get_str(m->root, "name");
	const char *proto = json_get_str(m->root, "proto");
	struct ringsub_stream *rs;
	struct ring *ring;
	long long id = 0;
	int record;

	/* ctl_ops checked the name, the id and the two descriptors */
	json_get_int(m->root, "id", &id);
	if ((ring = ring_open(m->fds[0])) == NULL) {
		log_warn("stream %s: ring from ingestd refused", name);
		return;
	}
	if ((rs = ringsub_find(sub, name)) != NULL) {
		log_warnx("stream %s: announced twice; replacing", name);
		ringsub_end(rs);
	}
	rs = xcalloc(1, sizeof(*rs));
	rs->sub = sub;
	memcpy(rs->name, name, strlen(name) + 1);
	strlcpy(rs->proto, proto, sizeof(rs->proto));
	rs->id = (uint64_t)id;
	rs->record = -1;
	if (json_get_bool(m->root, "record", &record) == 0)
		rs->record = record;
	rs->ring = ring;
	rs->efd = m->fds[1];
	m->fds[1] = -1; /* ours now */
	rs->ev = event_new(
	    sub->base, rs->efd, EV_READ | EV_PERSIST, ringsub_wakeup, rs);
	event_add(rs->ev, NULL);
	TAILQ_INSERT_TAIL(&sub->streams, rs, entry);
	if (sub->cb.live != NULL)
		rs->state = sub->cb.live(rs, sub->arg);
	/* records written before the announcement reached us */
	if (rs->state != NULL && sub->cb.data != NULL)
		sub->cb.data(rs, rs->state, sub->arg);
}

static void
ringsub_push(struct ctl_client *c, enum ctl_op op, struct ctl_msg *m, void *arg)
{
	struct ringsub *sub = arg;
	struct ringsub_stream *rs;
	long long id = 0;

	if (op == CTL_OP_STREAM)
		ringsub_stream_live(sub, m);
	else if (op == CTL_OP_STREAM_END) {
		json_get_int(m->root, "id", &id);
		rs = ringsub_find(sub, json_get_str(m->root, "name"));
		if (rs != NULL && rs->id == (uint64_t)id)
			ringsub_end(rs);
	}
}

static void
ringsub_subscribe_done(struct ctl_msg *m, void *arg)
{
	struct ringsub *sub = arg;
	struct timeval tv = {RINGSUB_RETRY_S, 0};
	int ok = 0;

	if (m == NULL)
		return; /* lost: down() will tell */
	if (json_get_bool(m->root, "ok", &ok) == -1 || !ok) {
		log_warnx("ingestd refused the subscription: %s; asking again "
		          "in %ds",
		    json_get_str(m->root, "error")
		        ? json_get_str(m->root, "error")
		        : "?",
		    RINGSUB_RETRY_S);
		evtimer_add(sub->again, &tv);
		return;
	}
	sub->subscribed = 1;
	log_info("subscribed to ingestd");
}

static void
ringsub_subscribe(struct ringsub *sub)
{
	ctl_client_request(sub->client, ctl_msg_begin(CTL_OP_SUBSCRIBE), NULL,
	    0, RINGSUB_TIMEOUT_MS, ringsub_subscribe_done, sub);
}

static void
ringsub_again(evutil_socket_t fd, short what, void *arg)
{
	struct ringsub *sub = arg;

	if (ctl_client_up(sub->client))
		ringsub_subscribe(sub);
}

static void
ringsub_up(struct ctl_client *c, void *arg)
{
	ringsub_subscribe(arg);
}

static void
ringsub_down(struct ctl_client *c, void *arg)
{
	struct ringsub *sub = arg;
	struct ringsub_stream *rs;

	if (sub->subscribed)
		log_warnx("ingestd: connection lost; live streams end");
	sub->subscribed = 0;
	evtimer_del(sub->again);
	while ((rs = TAILQ_FIRST(&sub->streams)) != NULL)
		ringsub_end(rs);
}

struct ringsub *
ringsub_new(struct event_base *base, const struct conf *conf,
    const struct ctl_policy *policy, const struct ringsub_cb *cb, void *arg)
{
	static const struct ctl_client_cb ccb = {
	    .up = ringsub_up,
	    .push = ringsub_push,
	    .down = ringsub_down,
	};
	struct ringsub *sub;
	char path[512];

	sub = xcalloc(1, sizeof(*sub));
	sub->base = base;
	sub->cb = *cb;
	sub->arg = arg;
	TAILQ_INIT(&sub->streams);
	sub->again = evtimer_new(base, ringsub_again, sub);
	conf_file(conf, "rundir", "ingestd.sock", path, sizeof(path));
	sub->client =
	    ctl_client_new(base, path, "ingestd", policy, 0, &ccb, sub);
	return sub;
}

void
ringsub_free(struct ringsub *sub)
{
	struct ringsub_stream *rs;

	if (sub == NULL)
		return;
	ctl_client_free(sub->client);
	/* the owner is shutting down: no more callbacks */
	while ((rs = TAILQ_FIRST(&sub->streams)) != NULL) {
		rs->state = NULL;
		ringsub_end(rs);
	}
	event_free(sub->again);
	free(sub);
}

void
ringsub_cursor_start(const struct ringsub_stream *rs, struct ringsub_cursor *c,
    enum ring_start how)
{
	c->pos = ring_cursor_start(rs->ring, how);
}

int
ringsub_read(const struct ringsub_stream *rs, struct ringsub_cursor *c,
    uint8_t *out, size_t cap, size_t *outlen, struct ring_tagref *refs,
    size_t maxrefs, size_t *nrefs, int *resynced)
{
	int r;

	*resynced = 0;
	for (;;) {
		r = ring_read(
		    rs->ring, &c->pos, out, cap, outlen, refs, maxrefs, nrefs);
		if (r == 0)
			return 0;
		if (r == -1 && errno != EBADMSG)
			return -1;
		/* lapped, or a record that is not one: start at a keyframe */
		c->laps++;
		log_warnx("stream %s: %s; skipping to a keyframe", rs->name,
		    r == RING_LAPPED ? "fell a lap behind" : "corrupt record");
		c->pos = ring_cursor_start(rs->ring, RING_START_KEYFRAME);
		*resynced = 1;
		if (r == -1)
			return 0; /* the writer's next wakeup brings us on */
	}
}
