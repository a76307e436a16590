/*
 * How many failed logins an address may have: API_FAIL_MAX in
 * API_FAIL_WINDOW_MS, then it waits for the window to end.
 */
#include <string.h>

#include "authd.h"

#define API_FAIL_SLOTS 1024 /* addresses the rate limit remembers */
#define API_FAIL_MAX 5 /* failed logins ... */
#define API_FAIL_WINDOW_MS (15 * 60 * 1000) /* ... per this window */

/* Failed logins of one address within the current window. */
static struct api_fail {
	char ip[DB_IP_SZ];
	uint64_t first_ms;
	int count;
} api_fails[API_FAIL_SLOTS];

static struct api_fail *
api_limit_find(const char *ip, uint64_t now)
{
	size_t i;

	for (i = 0; i < API_FAIL_SLOTS; i++) {
		struct api_fail *f = &api_fails[i];

		if (f->count > 0 && now - f->first_ms >= API_FAIL_WINDOW_MS)
			memset(f, 0, sizeof(*f)); /* window over */
		else if (f->count > 0 && strcmp(f->ip, ip) == 0)
			return f;
	}
	return NULL;
}

int
api_limit_check(const char *ip)
{
	uint64_t now = now_ms();
	struct api_fail *f = api_limit_find(ip, now);

	if (f == NULL || f->count < API_FAIL_MAX)
		return 0;
	return (int)((f->first_ms + API_FAIL_WINDOW_MS - now + 999) / 1000);
}

void
api_limit_fail(const char *ip)
{
	uint64_t now = now_ms();
	struct api_fail *f = api_limit_find(ip, now), *oldest = NULL;
	size_t i;

	if (f == NULL) {
		/* a free slot, else the oldest window: memory stays bounded */
		for (i = 0; i < API_FAIL_SLOTS; i++) {
			if (api_fails[i].count == 0) {
				f = &api_fails[i];
				break;
			}
			if (oldest == NULL ||
			    api_fails[i].first_ms < oldest->first_ms)
				oldest = &api_fails[i];
		}
		if (f == NULL)
			f = oldest;
		memset(f, 0, sizeof(*f));
		strlcpy(f->ip, ip, sizeof(f->ip));
		f->first_ms = now;
	}
	f->count++;
	if (f->count == API_FAIL_MAX)
		log_warnx("api: %d failed logins from %s; refusing it for "
		          "15 minutes",
		    f->count, ip);
}
