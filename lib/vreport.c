/*
 * The reporting side of viewer sessions (vreport.h): live sessions kept
 * for resyncs, changes queued, and sent to authd in batches.
 */
#include <sys/queue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "vreport.h"

struct vsess {
	TAILQ_ENTRY(vsess) entry; /* live, or waiting to be sent ended */
	uint64_t id;
	char stream[STREAM_NAME_SZ];
	char output[VREPORT_OUTPUT_MAX];
	char address[48];
	char ua[VREPORT_UA_MAX + 1];
	time_t started, ended; /* ended 0: live */
	uint64_t bytes;
	int dirty; /* authd has not heard of it as it is now */
};
TAILQ_HEAD(vsesslist, vsess);

static struct {
	int on;
	struct ctl_client *client;
	struct event *timer;
	char source[64]; /* "flvd-1234-1717000000": unique per run */
	struct vsesslist live, ended;
	size_t nended;
	uint64_t next_id;
	uint64_t sent, lost, refused;
} vr;

static void vreport_flush(void);

void
vreport_clean_ua(const char *in, size_t inlen, char *out, size_t outlen)
{
	size_t i, n = 0;

	for (i = 0;
	     in != NULL && i < inlen && n + 1 < outlen && n < VREPORT_UA_MAX;
	     i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '\0')
			break;
		out[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	/* no leading or trailing blanks */
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

/* "192.0.2.7:1234" -> "192.0.2.7", "[2001:db8::1]:5" -> "2001:db8::1" */
static void
vreport_ip(const char *addr, char *out, size_t len)
{
	const char *end;
	size_t n;

	if (addr[0] == '[' && (end = strchr(addr, ']')) != NULL) {
		n = (size_t)(end - addr - 1);
		addr++;
	} else if ((end = strchr(addr, ':')) != NULL &&
	    strchr(end + 1, ':') == NULL)
		n = (size_t)(end - addr);
	else
		n = strlen(addr); /* an IPv6 address without a port */
	if (n >= len)
		n = len - 1;
	memcpy(out, addr, n);
	out[n] = '\0';
}

static void
vreport_json(yajl_gen g, const struct vsess *v)
{
	yajl_gen_map_open(g);
	json_int(g, "id", (long long)v->id);
	json_str(g, "stream", v->stream);
	json_str(g, "output", v->output);
	json_str(g, "address", v->address);
	json_str(g, "user_agent", v->ua);
	json_int(g, "started", (long long)v->started);
	if (v->ended != 0)
		json_int(g, "ended", (long long)v->ended);
	json_int(g, "bytes", (long long)v->bytes);
	yajl_gen_map_close(g);
}

static void
vreport_replied(struct ctl_msg *m, void *arg)
{
	if (m != NULL && !YAJL_IS_TRUE(json_get(m->root, "ok"))) {
		/* said once a run: an old authd, or a role it refuses */
		if (vr.refused++ == 0)
			log_warnx("authd refused viewer reports: %s",
			    json_get_str(m->root, "error")
			        ? json_get_str(m->root, "error")
			        : "?");
	}
}

/* One message of at most VREPORT_BATCH_BYTES; 1 if more is waiting. */
static int
vreport_send_batch(void)
{
	struct vsess *v, *next;
	const unsigned char *buf;
	size_t len;
	yajl_gen g;
	int n = 0, more = 0;

	g = ctl_msg_begin(CTL_OP_VIEWER_REPORT);
	json_str(g, "source", vr.source);
	json_key(g, "sessions");
	yajl_gen_array_open(g);
	TAILQ_FOREACH_SAFE(v, &vr.ended, entry, next) {
		yajl_gen_get_buf(g, &buf, &len);
		if (len > VREPORT_BATCH_BYTES) {
			more = 1;
			break;
		}
		vreport_json(g, v);
		TAILQ_REMOVE(&vr.ended, v, entry);
		vr.nended--;
		free(v);
		n++;
	}
	TAILQ_FOREACH(v, &vr.live, entry) {
		if (!v->dirty)
			continue;
		yajl_gen_get_buf(g, &buf, &len);
		if (len > VREPORT_BATCH_BYTES) {
			more = 1;
			break;
		}
		vreport_json(g, v);
		v->dirty = 0;
		n++;
	}
	yajl_gen_array_close(g);
	if (n == 0) {
		yajl_gen_free(g);
		return 0;
	}
	if (ctl_client_request(
	        vr.client, g, NULL, 0, 10000, vreport_replied, NULL) == -1) {
		/* the connection is gone: up() sends the live ones again */
		vr.lost += n;
		return 0;
	}
	vr.sent += n;
	return more;
}

static void
vreport_flush(void)
{
	if (!vr.on || !ctl_client_up(vr.client))
		return;
	while (vreport_send_batch())
		;
}

static void
vreport_tick(evutil_socket_t fd, short what, void *arg)
{
	vreport_flush();
}

/* A new connection: authd may have ended what it knew; all again. */
static void
vreport_up(struct ctl_client *c, void *arg)
{
	struct vsess *v;

	TAILQ_FOREACH(v, &vr.live, entry)
		v->dirty = 1;
	vreport_flush();
}

void
vreport_start(struct event_base *base, const struct conf *conf,
    const struct ctl_policy *policy, const char *daemon)
{
	static const struct ctl_client_cb cb = {.up = vreport_up};
	struct timeval tv = {
	    VREPORT_FLUSH_MS / 1000, (VREPORT_FLUSH_MS % 1000) * 1000};
	char path[512];

	TAILQ_INIT(&vr.live);
	TAILQ_INIT(&vr.ended);
	snprintf(vr.source, sizeof(vr.source), "%s-%ld-%lld", daemon,
	    (long)getpid(), (long long)time(NULL));
	conf_file(conf, "rundir", "authd.sock", path, sizeof(path));
	vr.client = ctl_client_new(base, path, "authd", policy, 0, &cb, NULL);
	vr.timer = event_new(base, -1, EV_PERSIST, vreport_tick, NULL);
	event_add(vr.timer, &tv);
	vr.on = 1;
}

void
vreport_stop(void)
{
	struct vsess *v;

	if (!vr.on)
		return;
	vr.on = 0;
	event_free(vr.timer);
	ctl_client_free(vr.client);
	while ((v = TAILQ_FIRST(&vr.ended)) != NULL) {
		TAILQ_REMOVE(&vr.ended, v, entry);
		free(v);
	}
	/* the live ones belong to their viewers, who free them */
	TAILQ_INIT(&vr.live);
	vr.nended = 0;
}

struct vsess *
vreport_open(const char *stream, const char *output, const char *address,
    const char *user_agent)
{
	struct vsess *v = xcalloc(1, sizeof(*v));

	v->id = ++vr.next_id;
	strlcpy(v->stream, stream, sizeof(v->stream));
	strlcpy(v->output, output, sizeof(v->output));
	vreport_ip(address, v->address, sizeof(v->address));
	if (user_agent != NULL)
		vreport_clean_ua(
		    user_agent, strlen(user_agent), v->ua, sizeof(v->ua));
	v->started = time(NULL);
	v->dirty = 1;
	if (vr.on)
		TAILQ_INSERT_TAIL(&vr.live, v, entry);
	return v;
}

void
vreport_end(struct vsess *v, uint64_t bytes)
{
	struct vsess *old;

	if (v == NULL)
		return;
	if (!vr.on) {
		free(v);
		return;
	}
	TAILQ_REMOVE(&vr.live, v, entry);
	v->ended = time(NULL);
	v->bytes = bytes;
	TAILQ_INSERT_TAIL(&vr.ended, v, entry);
	if (++vr.nended > VREPORT_PENDING_MAX) {
		old = TAILQ_FIRST(&vr.ended);
		TAILQ_REMOVE(&vr.ended, old, entry);
		free(old);
		vr.nended--;
		vr.lost++;
	}
}

void
vreport_status(yajl_gen g)
{
	json_key(g, "viewer_reports");
	yajl_gen_map_open(g);
	json_bool(g, "connected", vr.on && ctl_client_up(vr.client));
	json_int(g, "sent", (long long)vr.sent);
	json_int(g, "waiting", (long long)vr.nended);
	json_int(g, "lost", (long long)vr.lost);
	yajl_gen_map_close(g);
}
