/*
 * Failure limits: how many failed logins one address may have, one account
 * may have from anywhere, and (api_hook.c) how many unknown keys a hook may
 * bring for one publisher address and from one caller, each within
 * API_LIMIT_WINDOW_MS, before it must wait for the window to end.  An IPv6 address counts by its /64: one host has that
 * many addresses to hop between, so the /64 is what one attacker holds.
 *
 * Each kind has a table of API_LIMIT_SLOTS subjects, bounded whatever the
 * attacker sends.  A subject with failures may be evicted to make room only
 * while it is not locked: the oldest unlocked one goes first, and a locked
 * one stays until its window ends.  When every slot is locked, new
 * subjects share one overflow slot with the same limit, so a flood of
 * addresses buys at most that many more guesses per window, not a flush of
 * the table; while that slot is locked too, an address that has not failed
 * before must wait like the others.  The way in for an operator then is
 * nyonctl on the box, which needs no login; its user passwd also lifts an
 * account's lock.  Time is the caller's, so tests can move it.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "authd.h"

#define API_LIMIT_SLOTS 1024 /* subjects each kind remembers */

struct api_limit_slot {
	char subject[API_LIMIT_SUBJECT_SZ];
	uint64_t first_ms; /* the window began with the first failure */
	int count; /* failures in the window; 0: the slot is free */
};

static struct api_limit_table {
	const char *what; /* "failed logins from" 192.0.2.1 */
	const char *subjects; /* "login addresses" */
	int max; /* failures a window allows */
	int overflow_logged; /* said so once for this overflow window */
	struct api_limit_slot overflow;
	struct api_limit_slot slot[API_LIMIT_SLOTS];
} api_limits[API_LIMIT_NKINDS] = {
    [API_LIMIT_LOGIN] = {.what = "failed logins from",
        .subjects = "login addresses",
        .max = 5},
    [API_LIMIT_ACCOUNT] = {.what = "failed logins for account",
        .subjects = "login accounts",
        .max = 20},
    [API_LIMIT_HOOK] = {.what = "unknown keys in hooks for publisher",
        .subjects = "hook publisher addresses",
        .max = 5},
    /*
     * SRS asks for all its publishers: it is refused on its own only past
     * what a score of bad publishers would cost, each refused at five.
     * It still bounds a caller that claims a new publisher address for
     * every guess.
     */
    [API_LIMIT_HOOK_CALLER] = {.what = "unknown keys in hooks from",
        .subjects = "hook callers",
        .max = 100},
};

void
api_limit_subject(const char *ip, char *out, size_t len)
{
	unsigned char a6[16];
	char text[INET6_ADDRSTRLEN];

	if (inet_pton(AF_INET6, ip, a6) == 1) {
		memset(a6 + 8, 0, 8);
		inet_ntop(AF_INET6, a6, text, sizeof(text));
		snprintf(out, len, "%s/64", text);
	} else
		strlcpy(out, ip, len);
}

static int
api_limit_expired(const struct api_limit_slot *s, uint64_t now)
{
	return s->count > 0 && now - s->first_ms >= API_LIMIT_WINDOW_MS;
}

/*
 * The slot counting subject: its own; else, to count a failure (make), a
 * free slot or the oldest unlocked one; else the overflow.  NULL when
 * subject has no failures and need not share the overflow.
 */
static struct api_limit_slot *
api_limit_find(
    struct api_limit_table *t, const char *subject, uint64_t now, int make)
{
	struct api_limit_slot *s, *free = NULL, *oldest = NULL;
	size_t i;

	for (i = 0; i < API_LIMIT_SLOTS; i++) {
		s = &t->slot[i];
		if (api_limit_expired(s, now))
			memset(s, 0, sizeof(*s));
		if (s->count == 0) {
			if (free == NULL)
				free = s;
		} else if (strcmp(s->subject, subject) == 0)
			return s;
		else if (s->count < t->max &&
		    (oldest == NULL || s->first_ms < oldest->first_ms))
			oldest = s;
	}
	if (free != NULL || oldest != NULL) {
		if (!make)
			return NULL;
		s = free != NULL ? free : oldest;
		memset(s, 0, sizeof(*s));
		strlcpy(s->subject, subject, sizeof(s->subject));
		return s;
	}
	/* every slot holds a locked subject: none of them is given up */
	if (api_limit_expired(&t->overflow, now)) {
		memset(&t->overflow, 0, sizeof(t->overflow));
		t->overflow_logged = 0;
	}
	if (make && !t->overflow_logged) {
		log_warnx("api: all %d %s remembered are locked; new ones "
		          "share one limit until windows end",
		    API_LIMIT_SLOTS, t->subjects);
		t->overflow_logged = 1;
	}
	return &t->overflow;
}

int
api_limit_wait(enum api_limit_kind kind, const char *subject, uint64_t now)
{
	struct api_limit_table *t = &api_limits[kind];
	struct api_limit_slot *s = api_limit_find(t, subject, now, 0);

	if (s == NULL || s->count < t->max)
		return 0;
	return (int)((s->first_ms + API_LIMIT_WINDOW_MS - now + 999) / 1000);
}

int
api_limit_fail(enum api_limit_kind kind, const char *subject, uint64_t now)
{
	struct api_limit_table *t = &api_limits[kind];
	struct api_limit_slot *s = api_limit_find(t, subject, now, 1);

	if (s->count == 0)
		s->first_ms = now;
	if (s->count < t->max && ++s->count == t->max) {
		if (s == &t->overflow)
			log_warnx("api: %d %s new %s together; refusing new "
			          "ones for %d minutes",
			    t->max, t->what, t->subjects,
			    API_LIMIT_WINDOW_MS / 60000);
		else
			log_warnx("api: %d %s %s; refusing it for %d minutes",
			    t->max, t->what, subject,
			    API_LIMIT_WINDOW_MS / 60000);
		return 1;
	}
	return 0;
}

void
api_limit_forget(enum api_limit_kind kind, const char *subject)
{
	struct api_limit_table *t = &api_limits[kind];
	size_t i;

	for (i = 0; i < API_LIMIT_SLOTS; i++)
		if (t->slot[i].count > 0 &&
		    strcmp(t->slot[i].subject, subject) == 0)
			memset(&t->slot[i], 0, sizeof(t->slot[i]));
}

void
api_limit_clear(void)
{
	size_t k;

	for (k = 0; k < API_LIMIT_NKINDS; k++) {
		memset(api_limits[k].slot, 0, sizeof(api_limits[k].slot));
		memset(
		    &api_limits[k].overflow, 0, sizeof(api_limits[k].overflow));
		api_limits[k].overflow_logged = 0;
	}
}
