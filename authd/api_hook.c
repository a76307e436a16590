/*
 * SRS-compatible publish hooks.  SRS posts on_publish when a publisher
 * starts ({"code":0} allows, any other code refuses) and on_unpublish when
 * it stops; neither is repeated while it publishes.  What does repeat, when
 * SRS makes HLS and is told to call it, is on_hls, once a segment.  So a
 * session a hook opens lasts hook_session_ttl seconds from SRS's last word
 * about it (on_publish or on_hls for the same client and key): an SRS that
 * crashed or lost its on_unpublish cannot keep a stream live, or hold a
 * place of max_concurrent_streams, for ever.
 *
 * A hook has no token; the key is what proves the caller.  So a hook
 * publish obeys the rules ingestd's do (db_publish_check: one session per
 * stream among them), on_unpublish and on_hls act only for the client and
 * key that opened the session, and unknown keys are limited per publisher
 * address and per caller (api_limit.c), like failed logins.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "authd.h"

#define API_HOOKS_MAX 128 /* SRS publishers at once */

/* A session an on_publish opened, until on_unpublish or its time is up. */
static struct api_hook {
	char client[DB_CLIENT_SZ]; /* SRS's client_id */
	char key[DB_KEY_SZ]; /* zero-padded, for a constant-time compare */
	int64_t session; /* 0: the slot is free */
	uint64_t expires_ms;
} api_hooks[API_HOOKS_MAX];

/* What one hook call says, and whom its failures count against. */
struct api_hook_call {
	char client[DB_CLIENT_SZ];
	char key[DB_KEY_SZ];
	char ip[DB_IP_SZ]; /* the publisher's address */
	char publisher[API_LIMIT_SUBJECT_SZ];
	char caller[API_LIMIT_SUBJECT_SZ];
};

void
api_hook_clear(void)
{
	memset(api_hooks, 0, sizeof(api_hooks));
}

static void
api_hook_reply(struct api_req *r, int code, const char *msg)
{
	yajl_gen g = json_gen();

	yajl_gen_map_open(g);
	json_int(g, "code", code);
	if (msg != NULL)
		json_str(g, "msg", msg);
	yajl_gen_map_close(g);
	/* SRS wants HTTP 200 and reads the verdict from "code" */
	api_reply_raw(r, 200, g);
	yajl_gen_free(g);
}

/* SRS 4+ sends client_id as a string, SRS 3 as a number. */
static int
api_hook_client(yajl_val body, char client[DB_CLIENT_SZ])
{
	yajl_val v = json_get(body, "client_id");

	if (v != NULL && YAJL_IS_STRING(v) && *v->u.string != '\0' &&
	    strlen(v->u.string) < DB_CLIENT_SZ) {
		strlcpy(client, v->u.string, DB_CLIENT_SZ);
		return 0;
	}
	if (v != NULL && YAJL_IS_INTEGER(v)) {
		snprintf(client, DB_CLIENT_SZ, "%lld", YAJL_GET_INTEGER(v));
		return 0;
	}
	return -1;
}

/*
 * Reads a call's client, key and publisher address; -1 after answering.
 * The publisher is SRS's "ip" when that is an address, else the caller.
 */
static int
api_hook_parse(struct api_req *r, struct api_hook_call *c)
{
	const char *key = json_get_str(r->body, "stream");
	const char *ip = json_get_str(r->body, "ip");
	unsigned char a[sizeof(struct in6_addr)];

	memset(c, 0, sizeof(*c));
	if (key == NULL || *key == '\0' ||
	    api_hook_client(r->body, c->client) == -1) {
		api_hook_reply(r, 400, "stream and client_id required");
		return -1;
	}
	/* longer than any key: it matches none, and is never cut to one */
	if (strlcpy(c->key, key, sizeof(c->key)) >= sizeof(c->key))
		memset(c->key, 0, sizeof(c->key));
	if (ip == NULL || strlen(ip) >= sizeof(c->ip) ||
	    (inet_pton(AF_INET, ip, a) != 1 && inet_pton(AF_INET6, ip, a) != 1))
		ip = r->ip;
	strlcpy(c->ip, ip, sizeof(c->ip));
	api_limit_subject(c->ip, c->publisher, sizeof(c->publisher));
	api_limit_subject(r->ip, c->caller, sizeof(c->caller));
	return 0;
}

static struct api_hook *
api_hook_find(const char *client)
{
	size_t i;

	for (i = 0; i < API_HOOKS_MAX; i++)
		if (api_hooks[i].session != 0 &&
		    strcmp(api_hooks[i].client, client) == 0)
			return &api_hooks[i];
	return NULL;
}

/* The session c's client opened, if c names its key too. */
static struct api_hook *
api_hook_find_call(const struct api_hook_call *c)
{
	struct api_hook *h = api_hook_find(c->client);

	if (h == NULL || c->key[0] == '\0' ||
	    !hmac_equal(h->key, c->key, sizeof(h->key)))
		return NULL;
	return h;
}

static uint64_t
api_hook_ttl_ms(void)
{
	return (uint64_t)conf_int(authd->d.conf, "hook_session_ttl") * 1000;
}

void
api_hook_expire(uint64_t now)
{
	struct api_hook *h;
	size_t i;

	for (i = 0; i < API_HOOKS_MAX; i++) {
		h = &api_hooks[i];
		if (h->session == 0 || now < h->expires_ms)
			continue;
		db_session_end(authd->db, h->session, "no word from SRS", NULL);
		log_info("hook: session %lld (client %s) ended: no word from "
		         "SRS for %lld s",
		    (long long)h->session, h->client,
		    conf_int(authd->d.conf, "hook_session_ttl"));
		explicit_bzero(h, sizeof(*h));
	}
}

/* 0 if hooks are served to this peer, else answers 404 or 403. */
static int
api_hook_allowed(struct api_req *r)
{
	const char *mode = conf_str(authd->d.conf, "hooks");

	if (strcmp(mode, "off") == 0) {
		api_reply_error(r, 404, "not found", NULL, NULL);
		return -1;
	}
	if (strcmp(mode, "loopback") == 0 && !r->loopback) {
		api_reply_error(
		    r, 403, "hooks are served to loopback only", NULL, NULL);
		return -1;
	}
	return 0;
}

/* 0 if c's caller and publisher may try a key now, else answers 429. */
static int
api_hook_limited(struct api_req *r, const struct api_hook_call *c, uint64_t now)
{
	if (api_limit_wait(API_LIMIT_HOOK_CALLER, c->caller, now) == 0 &&
	    api_limit_wait(API_LIMIT_HOOK, c->publisher, now) == 0)
		return 0;
	authd->publishes_refused++;
	log_info("hook: publish refused (client %s from %s): too many unknown "
	         "keys",
	    c->client, c->ip);
	api_hook_reply(r, 429, "too many unknown keys; try again later");
	return -1;
}

void
api_hook_publish(struct api_req *r)
{
	struct api_hook_call c;
	struct db_publish pub;
	struct db_err err = {0};
	struct api_hook *h;
	uint64_t now = now_ms();
	size_t i;

	if (api_hook_allowed(r) == -1 || api_hook_parse(r, &c) == -1)
		return;
	api_hook_expire(now);
	if (api_hook_limited(r, &c, now) == -1)
		return;
	/* SRS asking again about a publisher it asked about: still fine */
	if ((h = api_hook_find_call(&c)) != NULL) {
		h->expires_ms = now + api_hook_ttl_ms();
		api_hook_reply(r, 0, NULL);
		return;
	}
	if (api_hook_find(c.client) != NULL) {
		api_hook_reply(
		    r, 409, "client is already publishing another stream");
		return;
	}
	for (i = 0; i < API_HOOKS_MAX; i++)
		if (api_hooks[i].session == 0)
			break;
	if (i == API_HOOKS_MAX) {
		api_hook_reply(r, 503, "too many hook publishers");
		return;
	}
	if (db_publish_check(
	        authd->db, c.key, "rtmp", c.ip, c.client, &pub, &err) == -1) {
		authd->publishes_refused++;
		if (err.code == DB_EPERM &&
		    strcmp(err.msg, DB_UNKNOWN_KEY) == 0) {
			api_limit_fail(API_LIMIT_HOOK, c.publisher, now);
			api_limit_fail(API_LIMIT_HOOK_CALLER, c.caller, now);
		}
		log_info("hook: publish refused (client %s from %s): %s",
		    c.client, c.ip, err.msg);
		api_hook_reply(r, err.code, err.msg);
		return;
	}
	authd->publishes_ok++;
	h = &api_hooks[i];
	strlcpy(h->client, c.client, sizeof(h->client));
	memcpy(h->key, c.key, sizeof(h->key));
	h->session = pub.session_id;
	h->expires_ms = now + api_hook_ttl_ms();
	log_info("hook: publish allowed: stream %s, session %lld (client %s "
	         "from %s)",
	    pub.stream_name, (long long)pub.session_id, c.client, c.ip);
	api_hook_reply(r, 0, NULL);
}

/*
 * The same answer whether or not a session was ended: a caller without
 * the key learns nothing, and SRS ignores it anyway.
 */
void
api_hook_unpublish(struct api_req *r)
{
	struct api_hook_call c;
	struct api_hook *h;

	if (api_hook_allowed(r) == -1 || api_hook_parse(r, &c) == -1)
		return;
	if ((h = api_hook_find_call(&c)) != NULL) {
		if (db_session_end(authd->db, h->session, NULL, NULL) == 0)
			log_info("hook: session %lld ended (client %s)",
			    (long long)h->session, h->client);
		explicit_bzero(h, sizeof(*h));
	}
	explicit_bzero(&c, sizeof(c));
	api_hook_reply(r, 0, NULL);
}

/* SRS made an HLS segment of a stream: it is still live. */
void
api_hook_hls(struct api_req *r)
{
	struct api_hook_call c;
	struct api_hook *h;

	if (api_hook_allowed(r) == -1 || api_hook_parse(r, &c) == -1)
		return;
	if ((h = api_hook_find_call(&c)) != NULL)
		h->expires_ms = now_ms() + api_hook_ttl_ms();
	explicit_bzero(&c, sizeof(c));
	api_hook_reply(r, 0, NULL);
}
