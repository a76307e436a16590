/*
 * SRT stream ids: which key an SRT caller wants to publish with.  A pure
 * function of its input, so it runs inside libsrt's listen callback (on
 * libsrt's thread, before the handshake is answered) and under the fuzzer.
 *
 * Accepted, "live" being rtmp_app:
 *	#!::r=live/KEY,m=publish	the SRT access control syntax; other
 *					keys (u=, s=, h=, custom) in any order
 *	publish:live/KEY  publish:KEY  live/KEY  KEY
 * In the #!:: syntax a missing m= means m=request (SRT access control
 * spec), so it is refused like an explicit m=request: a play request is
 * never taken as a publish.
 */
#include <string.h>

#include "ingestd.h"

/* What authd issues and names allow, plus '~': the URL-unreserved set. */
static int
srt_streamid_key_valid(const char *key, size_t len)
{
	size_t i;

	if (len == 0 || len > SRT_KEY_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((key[i] >= 'a' && key[i] <= 'z') ||
		        (key[i] >= 'A' && key[i] <= 'Z') ||
		        (key[i] >= '0' && key[i] <= '9') || key[i] == '_' ||
		        key[i] == '-' || key[i] == '.' || key[i] == '~'))
			return 0;
	return 1;
}

/* "APP/KEY" or "KEY", len bytes of res (not NUL-terminated). */
static enum srt_streamid_err
srt_streamid_resource(const char *res, size_t len, const char *app,
    char key[SRT_KEY_MAX + 1], const char **why)
{
	const char *slash = memchr(res, '/', len);
	size_t applen = strlen(app);

	if (slash != NULL) {
		if ((size_t)(slash - res) != applen ||
		    memcmp(res, app, applen) != 0) {
			*why = "unknown application: use live/KEY or KEY";
			return SRT_STREAMID_APP;
		}
		len -= applen + 1;
		res = slash + 1;
		if (memchr(res, '/', len) != NULL) {
			*why = "key must not contain '/'";
			return SRT_STREAMID_BAD;
		}
	}
	if (len == 0) {
		*why = "no stream key";
		return SRT_STREAMID_BAD;
	}
	if (!srt_streamid_key_valid(res, len)) {
		*why = "key must be 1-100 of A-Z a-z 0-9 _ - . ~";
		return SRT_STREAMID_BAD;
	}
	memcpy(key, res, len);
	key[len] = '\0';
	return SRT_STREAMID_OK;
}

/* The "#!::k=v,k=v" form; sid points past "#!::". */
static enum srt_streamid_err
srt_streamid_keyed(const char *sid, const char *app, char key[SRT_KEY_MAX + 1],
    const char **why)
{
	const char *item, *end, *eq, *r = NULL, *m = NULL, *t = NULL;
	size_t rlen = 0, mlen = 0, tlen = 0, klen, vlen;

	for (item = sid;; item = end + 1) {
		if ((end = strchr(item, ',')) == NULL)
			end = item + strlen(item);
		eq = memchr(item, '=', (size_t)(end - item));
		if (eq == NULL || eq == item) {
			*why = "stream id #!:: items must be key=value";
			return SRT_STREAMID_BAD;
		}
		klen = (size_t)(eq - item);
		vlen = (size_t)(end - eq - 1);
		if (klen == 1 &&
		    (*item == 'r' || *item == 'm' || *item == 't')) {
			const char **v = *item == 'r' ? &r
			    : *item == 'm'            ? &m
			                              : &t;
			size_t *l = *item == 'r' ? &rlen
			    : *item == 'm'       ? &mlen
			                         : &tlen;

			/* two answers to one question: trust neither */
			if (*v != NULL) {
				*why = "stream id repeats a key";
				return SRT_STREAMID_BAD;
			}
			*v = eq + 1;
			*l = vlen;
		}
		if (*end == '\0')
			break;
	}
	if (m == NULL || mlen != 7 || memcmp(m, "publish", 7) != 0) {
		if (m != NULL &&
		    !((mlen == 7 && memcmp(m, "request", 7) == 0) ||
		        (mlen == 13 && memcmp(m, "bidirectional", 13) == 0))) {
			*why = "unknown mode m=: use m=publish";
			return SRT_STREAMID_BAD;
		}
		*why = "only m=publish is served over SRT; watch over HTTP-FLV";
		return SRT_STREAMID_MODE;
	}
	if (t != NULL && !(tlen == 6 && memcmp(t, "stream", 6) == 0)) {
		*why = "only t=stream is served";
		return SRT_STREAMID_MODE;
	}
	if (r == NULL) {
		*why = "no resource: use #!::r=live/KEY,m=publish";
		return SRT_STREAMID_BAD;
	}
	return srt_streamid_resource(r, rlen, app, key, why);
}

enum srt_streamid_err
srt_streamid_parse(const char *sid, const char *app, char key[SRT_KEY_MAX + 1],
    const char **why)
{
	static const char *const play[] = {"play:", "read:", "request:"};
	size_t len = strlen(sid), i;

	*why = NULL;
	key[0] = '\0';
	if (len == 0) {
		*why = "no stream id: use streamid=live/KEY";
		return SRT_STREAMID_BAD;
	}
	if (len > SRT_STREAMID_MAX) {
		*why = "stream id too long";
		return SRT_STREAMID_BAD;
	}
	if (strncmp(sid, "#!::", 4) == 0)
		return srt_streamid_keyed(sid + 4, app, key, why);
	for (i = 0; i < nitems(play); i++)
		if (strncmp(sid, play[i], strlen(play[i])) == 0) {
			*why = "only publish is served over SRT; watch over "
			       "HTTP-FLV";
			return SRT_STREAMID_MODE;
		}
	if (strncmp(sid, "publish:", 8) == 0) {
		sid += 8;
		len -= 8;
	}
	return srt_streamid_resource(sid, len, app, key, why);
}
