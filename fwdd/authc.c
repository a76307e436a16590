/*
 * fwdd's connection to authd: the destinations of each live stream.  authd
 * answers only for streams on air (the media user never reads the URLs of
 * the others) and pushes forward_changed when an operator changes a live
 * stream's destinations; fwdd then asks again.  After a reconnect every
 * live stream is asked for again.  While authd is away the destinations
 * already known keep going.
 */
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "fwdd.h"

#define AUTHC_TIMEOUT_MS 5000
#define AUTHC_RETRY_S 5 /* after a lost or refused question */

static struct ctl_client *authc;

static void
authc_later(struct fstream *s)
{
	struct timeval tv = {AUTHC_RETRY_S, 0};

	evtimer_add(s->ask, &tv);
}

static void
authc_answer(struct ctl_msg *m, void *arg)
{
	struct fstream *s = arg;
	const char *err;
	int ok = 0;

	if (m == NULL) {
		authc_later(s);
		return;
	}
	if (json_get_bool(m->root, "ok", &ok) == -1 || !ok) {
		err = json_get_str(m->root, "error");
		/* not live for authd (yet, or any more): keep what we have */
		log_info("stream %s: authd gives no destinations: %s", s->name,
		    err != NULL ? err : "?");
		return;
	}
	source_set_dests(s, json_get(m->root, "data"));
}

void
authc_ask(struct fstream *s)
{
	yajl_gen g;

	evtimer_del(s->ask);
	if (!s->live)
		return;
	if (authc == NULL || !ctl_client_up(authc))
		return; /* authc_up() asks */
	ctl_client_forget(authc, s);
	g = ctl_msg_begin(CTL_OP_FORWARD_GET);
	json_str(g, "stream", s->name);
	if (ctl_client_request(
	        authc, g, NULL, 0, AUTHC_TIMEOUT_MS, authc_answer, s) == -1)
		authc_later(s);
}

void
authc_forget(struct fstream *s)
{
	if (authc != NULL)
		ctl_client_forget(authc, s);
}

static void
authc_up(struct ctl_client *c, void *arg)
{
	struct fstream *s;

	log_info("authd: connected");
	TAILQ_FOREACH(s, &fwdd->streams, entry)
		authc_ask(s);
}

static void
authc_push(struct ctl_client *c, enum ctl_op op, struct ctl_msg *m, void *arg)
{
	struct fstream *s;

	if (op != CTL_OP_FORWARD_CHANGED)
		return;
	if ((s = source_find(json_get_str(m->root, "stream"))) != NULL)
		authc_ask(s);
}

static void
authc_down(struct ctl_client *c, void *arg)
{
	log_warnx("authd: connection lost; the destinations known go on");
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

	conf_file(fwdd->d.conf, "rundir", "authd.sock", path, sizeof(path));
	authc = ctl_client_new(
	    fwdd->d.base, path, "authd", &fwdd->d.policy, 0, &cb, NULL);
}

void
authc_stop(void)
{
	ctl_client_free(authc);
	authc = NULL;
}
