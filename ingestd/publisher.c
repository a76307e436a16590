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
	TAILQ_INSERT_TAIL(&ingestd->publishers, p, entry);
	ingestd->npublishers++;
	return p;
}

void
publisher_free(struct publisher *p)
{
	if (p->stream != NULL)
		stream_close(p->stream);
	TAILQ_REMOVE(&ingestd->publishers, p, entry);
	ingestd->npublishers--;
	free(p);
}

void
publisher_authorise(
    struct publisher *p, const char *key, publisher_auth_cb done)
{
	if (strcmp(conf_str(ingestd->d.conf, "auth"), "none") == 0) {
		/* Labs and tests: anyone may publish; the key is the name. */
		if (!stream_name_valid(key)) {
			ingestd->publishes_refused++;
			done(p, NULL, 0,
			    "stream name must be 1-100 of "
			    "A-Z a-z 0-9 _ - .");
			return;
		}
		done(p, key, 0, NULL);
		return;
	}
	ingestd->publishes_refused++;
	done(p, NULL, 0, "authorisation by authd is not available yet");
}
