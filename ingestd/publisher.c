/*
 * What RTMP and SRT publishers share: identity, limits and the question
 * "may this key publish, and under which stream name?".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingestd.h"

struct publisher *
publisher_new(const char *proto, const struct sockaddr *sa)
{
	struct publisher *p;
	char *colon;

	if (ingestd->npublishers >= conf_int(ingestd->d.conf, "max_publishers"))
		return NULL;
	p = xcalloc(1, sizeof(*p));
	p->id = ++ingestd->next_id;
	strlcpy(p->proto, proto, sizeof(p->proto));
	addr_string(sa, p->addr, sizeof(p->addr));
	/* ip without the port (and without brackets for IPv6) */
	strlcpy(
	    p->ip, p->addr[0] == '[' ? p->addr + 1 : p->addr, sizeof(p->ip));
	if ((colon = strrchr(p->ip, p->addr[0] == '[' ? ']' : ':')) != NULL)
		*colon = '\0';
	snprintf(p->client, sizeof(p->client), "%s-%llu", proto,
	    (unsigned long long)p->id);
	TAILQ_INSERT_TAIL(&ingestd->publishers, p, entry);
	ingestd->npublishers++;
	return p;
}

void
publisher_end_stream(struct publisher *p)
{
	if (p->stream != NULL) {
		stream_close(p->stream);
		p->stream = NULL;
	}
	if (p->session != 0) {
		authc_unpublish(p->session);
		p->session = 0;
	}
}

void
publisher_free(struct publisher *p)
{
	if (p->auth_pending)
		authc_cancel(p);
	publisher_end_stream(p);
	TAILQ_REMOVE(&ingestd->publishers, p, entry);
	ingestd->npublishers--;
	free(p);
}

/* Every answer passes here, to be counted the same way. */
static void
publisher_decided(
    struct publisher *p, const char *name, uint64_t bitrate, const char *why)
{
	if (name == NULL)
		ingestd->publishes_refused++;
	p->auth_done(p, name, bitrate, why);
}

void
publisher_authorise(
    struct publisher *p, const char *key, publisher_auth_cb done)
{
	char why[128], msg[160];

	p->auth_done = done;
	if (strcmp(conf_str(ingestd->d.conf, "auth"), "none") == 0) {
		/* Labs and tests: anyone may publish; the key is the name. */
		if (stream_name_check(key, why, sizeof(why)) == -1) {
			snprintf(msg, sizeof(msg), "stream name %s", why);
			publisher_decided(p, NULL, 0, msg);
		} else
			publisher_decided(p, key, 0, NULL);
		return;
	}
	/* no key authd issues looks otherwise: not worth asking */
	if (stream_key_check(key, why, sizeof(why)) == -1) {
		publisher_decided(p, NULL, 0, "unknown key");
		return;
	}
	authc_publish(p, key, publisher_decided);
}
