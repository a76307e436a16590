/*
 * The other daemons' status, asked of all at once over one-shot control
 * clients, so authd's loop never waits on them: the callback runs when
 * all have answered (or failed), at most API_HEALTH_MS later.  A daemon
 * that is down, or stopped, is NULL in what the callback gets.  The
 * health page, /metrics and the history sampler all gather this way.
 */
#include <stdio.h>
#include <stdlib.h>

#include <event2/http.h>

#include "authd.h"

const char *const gather_daemons[GATHER_N] = {
    "ingestd", "flvd", "rtcd", "recd", "fwdd"};

struct gather {
	gather_cb cb;
	void *arg;
	struct ctl_client *client[GATHER_N];
	yajl_val status[GATHER_N];
	int waiting; /* daemons not heard from yet */
};

struct gather_ask {
	struct gather *g;
	int which;
};

static void
gather_free(struct gather *g)
{
	int i;

	for (i = 0; i < GATHER_N; i++) {
		ctl_client_free(g->client[i]);
		if (g->status[i] != NULL)
			yajl_tree_free(g->status[i]);
	}
	free(g);
}

static struct gather *
gather_of(struct ctl_client *c, void *arg, int *which)
{
	struct gather *g = arg;

	for (*which = 0; *which < GATHER_N; (*which)++)
		if (g->client[*which] == c)
			return g;
	return NULL;
}

/* One daemon has answered, failed or gone: the last one calls back. */
static void
gather_heard(struct gather *g, int which)
{
	if (g->client[which] == NULL)
		return; /* already counted */
	ctl_client_free(g->client[which]);
	g->client[which] = NULL;
	if (--g->waiting == 0) {
		if (g->cb != NULL)
			g->cb(g->status, g->arg);
		gather_free(g);
	}
}

static void
gather_status(struct ctl_msg *m, void *arg)
{
	struct gather_ask ask = *(struct gather_ask *)arg;

	free(arg);
	if (m != NULL && YAJL_IS_TRUE(json_get(m->root, "ok"))) {
		/* keep the parsed reply; the client frees only what it has */
		ask.g->status[ask.which] = m->root;
		m->root = NULL;
	} else if (m != NULL)
		log_debug(
		    "gather: %s refused status", gather_daemons[ask.which]);
	gather_heard(ask.g, ask.which);
}

static void
gather_up(struct ctl_client *c, void *arg)
{
	struct gather_ask *ask;
	struct gather *g;
	int which;

	if ((g = gather_of(c, arg, &which)) == NULL)
		return;
	ask = xmalloc(sizeof(*ask));
	ask->g = g;
	ask->which = which;
	if (ctl_client_request(c, ctl_msg_begin(CTL_OP_STATUS), NULL, 0,
	        API_HEALTH_MS, gather_status, ask) == -1) {
		free(ask);
		gather_heard(g, which);
	}
}

static void
gather_down(struct ctl_client *c, void *arg)
{
	struct gather *g;
	int which;

	/* a refused connection, or a loss before the answer */
	if ((g = gather_of(c, arg, &which)) != NULL)
		gather_heard(g, which);
}

void
gather_start(gather_cb cb, void *arg)
{
	static const struct ctl_client_cb ccb = {
	    .up = gather_up,
	    .down = gather_down,
	};
	char path[512], sock[64];
	struct gather *g;
	int i;

	g = xcalloc(1, sizeof(*g));
	g->cb = cb;
	g->arg = arg;
	g->waiting = GATHER_N;
	/* the clients call back from the loop, never from here */
	for (i = 0; i < GATHER_N; i++) {
		snprintf(sock, sizeof(sock), "%s.sock", gather_daemons[i]);
		conf_file(authd->d.conf, "rundir", sock, path, sizeof(path));
		g->client[i] =
		    ctl_client_new(authd->d.base, path, gather_daemons[i],
		        &authd->d.policy, CTL_CLIENT_ONCE, &ccb, g);
	}
}

/* An HTTP request waiting for the gathering, until its client leaves. */
struct gather_http {
	struct evhttp_request *req; /* NULL once the client is gone */
	struct evhttp_connection *evcon;
	gather_reply_fn reply;
};

static void
gather_http_done(yajl_val status[GATHER_N], void *arg)
{
	struct gather_http *h = arg;
	struct api_req r = {.req = h->req};

	/* before the reply: libevent may free the connection after it */
	if (h->evcon != NULL)
		evhttp_connection_set_closecb(h->evcon, NULL, NULL);
	if (h->req != NULL)
		h->reply(&r, status);
	free(h);
}

/* The HTTP client went away first: answer nobody. */
static void
gather_http_gone(struct evhttp_connection *evcon, void *arg)
{
	struct gather_http *h = arg;

	h->req = NULL;
	h->evcon = NULL;
}

void
gather_reply(struct api_req *r, gather_reply_fn reply)
{
	struct gather_http *h = xcalloc(1, sizeof(*h));

	h->req = r->req;
	h->reply = reply;
	h->evcon = evhttp_request_get_connection(r->req);
	if (h->evcon != NULL)
		evhttp_connection_set_closecb(h->evcon, gather_http_gone, h);
	gather_start(gather_http_done, h);
}
