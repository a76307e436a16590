/*
 * The live streams, as lib's ring subscriber hands them over, each with
 * the destinations authd gave for it.  On each wakeup the new tags of a
 * ring are read once and offered to every destination of the stream,
 * which takes what its own state and queue allow.  A publisher that
 * leaves is waited for republish_grace seconds with the destinations'
 * connections kept open, so a platform sees one broadcast; a republish
 * continues the stream's timeline after the last tag sent.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "fwdd.h"
#include "flv.h"

struct fstream *
source_find(const char *name)
{
	struct fstream *s;

	TAILQ_FOREACH(s, &fwdd->streams, entry)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

static void
source_free(struct fstream *s, int graceful)
{
	struct dest *d;

	authc_forget(s);
	while ((d = TAILQ_FIRST(&s->dests)) != NULL)
		dest_free(d, graceful);
	TAILQ_REMOVE(&fwdd->streams, s, entry);
	if (s->grace != NULL)
		event_free(s->grace);
	event_free(s->ask);
	free(s);
}

/* The destination of id, if it is the same one (URL and options). */
static struct dest *
source_find_dest(struct fstream *s, int64_t id, const char *url, int verify)
{
	struct dest *d;

	TAILQ_FOREACH(d, &s->dests, entry)
		if (d->id == id && strcmp(d->url, url) == 0 &&
		    d->tls_verify == verify)
			return d;
	return NULL;
}

void
source_set_dests(struct fstream *s, yajl_val list)
{
	struct dest *d, *next;
	yajl_val e;
	const char *url;
	long long id;
	size_t i;
	int verify, *keep;

	if (!YAJL_IS_ARRAY(list))
		return;
	keep = xcalloc(list->u.array.len + 1, sizeof(*keep));
	/* those no longer wanted (or changed) go */
	TAILQ_FOREACH_SAFE(d, &s->dests, entry, next) {
		for (i = 0; i < list->u.array.len; i++) {
			e = list->u.array.values[i];
			url = json_get_str(e, "url");
			verify = 1;
			json_get_bool(e, "tls_verify", &verify);
			if (json_get_int(e, "id", &id) == 0 && url != NULL &&
			    d == source_find_dest(s, id, url, verify)) {
				keep[i] = 1;
				break;
			}
		}
		if (i == list->u.array.len)
			dest_free(d, 1);
	}
	for (i = 0; i < list->u.array.len; i++) {
		e = list->u.array.values[i];
		url = json_get_str(e, "url");
		verify = 1;
		json_get_bool(e, "tls_verify", &verify);
		if (keep[i] || url == NULL || json_get_int(e, "id", &id) == -1)
			continue;
		if ((d = dest_new(s, id, url, verify)) == NULL)
			continue;
		log_info("stream %s: forwarding to %s", s->name, d->masked);
		dest_start(d);
	}
	free(keep);
}

int
source_sync_point(const struct fstream *s, const struct ring_tagref *r)
{
	if (r->flags & RING_KEYFRAME)
		return 1;
	return !s->has_video && (r->flags & RING_AUDIO) &&
	    !(r->flags & RING_SEQHDR);
}

static void
source_dispatch(struct fstream *s, const uint8_t *buf,
    const struct ring_tagref *refs, size_t nrefs)
{
	struct dest *d, *next;
	int64_t ts, first;
	size_t i;

	for (i = 0; i < nrefs; i++)
		if (refs[i].flags & RING_VIDEO)
			s->has_video = 1;
	if (s->probation) {
		/* continue after the newest time sent, from a sync point */
		for (i = 0; i < nrefs && !source_sync_point(s, &refs[i]); i++)
			;
		if (i == nrefs)
			return;
		/* a frame after the last one: players time frames apart */
		first = refs[i].timestamp;
		s->ts_offset =
		    s->last_ts + (s->frame_ms > 0 ? s->frame_ms : 33) - first;
		s->probation = 0;
		refs += i;
		nrefs -= i;
	}
	for (i = 0; i < nrefs; i++) {
		ts = (int64_t)refs[i].timestamp + s->ts_offset;
		if (ts > s->last_ts)
			s->last_ts = ts;
		if ((refs[i].flags & (RING_VIDEO | RING_SEQHDR)) ==
		    RING_VIDEO) {
			if (s->last_video_ts >= 0 && ts > s->last_video_ts &&
			    ts - s->last_video_ts < 1000)
				s->frame_ms = (int)(ts - s->last_video_ts);
			s->last_video_ts = ts;
		}
		TAILQ_FOREACH_SAFE(d, &s->dests, entry, next)
			dest_tag(d, &refs[i], buf + refs[i].off, ts);
	}
}

static void
source_drain(struct fstream *s)
{
	struct ring_tagref refs[FWDD_REFS_MAX];
	size_t outlen, nrefs, need;
	int r, resynced;
	struct dest *d;

	need = ring_max_tag(s->ring);
	if (need < FWDD_READ_MAX)
		need = FWDD_READ_MAX;
	if (fwdd->bufcap < need) {
		free(fwdd->buf);
		fwdd->buf = xmalloc(need);
		fwdd->bufcap = need;
	}
	for (;;) {
		if (ring_tail(s->ring) <= s->cursor.pos)
			return;
		r = ringsub_read(s->rs, &s->cursor, fwdd->buf, fwdd->bufcap,
		    &outlen, refs, nitems(refs), &nrefs, &resynced);
		if (resynced)
			TAILQ_FOREACH(d, &s->dests, entry)
				dest_republished(d);
		if (r != 0) {
			log_warn("stream %s: ring read", s->name);
			return;
		}
		if (nrefs == 0)
			return;
		s->tags_read += nrefs;
		source_dispatch(s, fwdd->buf, refs, nrefs);
	}
}

static void
source_data(struct ringsub_stream *rs, void *state, void *arg)
{
	source_drain(state);
}

static void
source_grace_over(evutil_socket_t fd, short what, void *arg)
{
	struct fstream *s = arg;

	log_info("stream %s: not republished in time; %d destinations "
	         "stop",
	    s->name, s->ndests);
	source_free(s, 1);
}

static void
source_ended(struct ringsub_stream *rs, void *state, void *arg)
{
	struct fstream *s = state;
	struct timeval tv = {0, 0};

	source_drain(s);
	s->live = 0;
	s->rs = NULL;
	s->ring = NULL;
	tv.tv_sec = conf_int(fwdd->d.conf, "republish_grace");
	if (s->ndests == 0 || tv.tv_sec == 0) {
		log_info("stream %s: publisher left", s->name);
		source_free(s, 1);
		return;
	}
	log_info("stream %s: publisher left; %d destinations wait %lld s for "
	         "it",
	    s->name, s->ndests, (long long)tv.tv_sec);
	s->grace = evtimer_new(fwdd->d.base, source_grace_over, s);
	evtimer_add(s->grace, &tv);
}

static void
source_ask_again(evutil_socket_t fd, short what, void *arg)
{
	authc_ask(arg);
}

static void *
source_live(struct ringsub_stream *rs, void *arg)
{
	const char *name = ringsub_name(rs);
	struct fstream *s;
	struct dest *d;

	if ((s = source_find(name)) != NULL && s->live) {
		/* a publish that never ended for us: this one replaces it */
		source_free(s, 1);
		s = NULL;
	}
	if (s != NULL) {
		event_free(s->grace);
		s->grace = NULL;
		s->probation = 1;
		TAILQ_FOREACH(d, &s->dests, entry)
			dest_republished(d);
		log_info("stream %s: republished; %d destinations carry on",
		    s->name, s->ndests);
	} else {
		s = xcalloc(1, sizeof(*s));
		s->last_video_ts = -1;
		memcpy(s->name, name, strlen(name) + 1);
		TAILQ_INIT(&s->dests);
		s->ask = evtimer_new(fwdd->d.base, source_ask_again, s);
		TAILQ_INSERT_TAIL(&fwdd->streams, s, entry);
	}
	s->rs = rs;
	s->ring = ringsub_ring(rs);
	s->live = 1;
	/* known before its first video tag: no destination starts on audio */
	{
		uint8_t tag[RING_SEQHDR_MAX];
		size_t len;

		if (ring_seqhdr(
		        s->ring, RING_SLOT_VIDEO, tag, sizeof(tag), &len) == 0)
			s->has_video = 1;
	}
	/* from the start: the first keyframe of the new ring is wanted */
	ringsub_cursor_start(rs, &s->cursor, RING_START_KEYFRAME);
	if (s->probation)
		s->cursor.pos = 0;
	authc_ask(s);
	return s;
}

void
source_start(void)
{
	static const struct ringsub_cb cb = {
	    .live = source_live,
	    .data = source_data,
	    .ended = source_ended,
	};

	fwdd->sub =
	    ringsub_new(fwdd->d.base, fwdd->d.conf, &fwdd->d.policy, &cb, NULL);
}

void
source_stop(void)
{
	struct fstream *s;

	ringsub_free(fwdd->sub);
	fwdd->sub = NULL;
	while ((s = TAILQ_FIRST(&fwdd->streams)) != NULL)
		source_free(s, 1);
	free(fwdd->buf);
	fwdd->buf = NULL;
}

void
source_status(yajl_gen g)
{
	struct fstream *s;
	struct dest *d;
	int n = 0, live = 0;

	json_bool(g, "subscribed", ringsub_subscribed(fwdd->sub));
	json_key(g, "streams");
	yajl_gen_array_open(g);
	TAILQ_FOREACH(s, &fwdd->streams, entry) {
		yajl_gen_map_open(g);
		json_str(g, "name", s->name);
		json_bool(g, "live", s->live);
		json_int(g, "destinations", s->ndests);
		json_int(g, "tags", (long long)s->tags_read);
		json_int(g, "laps", (long long)s->cursor.laps);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	json_key(g, "destinations");
	yajl_gen_array_open(g);
	TAILQ_FOREACH(s, &fwdd->streams, entry)
		TAILQ_FOREACH(d, &s->dests, entry) {
			dest_status(g, d);
			n++;
			live += d->state == DEST_LIVE;
		}
	yajl_gen_array_close(g);
	json_int(g, "forwarding", live);
	json_int(g, "destinations_total", n);
}
