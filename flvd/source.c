/*
 * The streams flvd serves, as lib's ring subscriber hands them over.  On
 * each wakeup the new span of a ring is copied once into a chunk, which
 * every viewer then shares by reference.  A stream whose publisher left is
 * kept for republish_grace seconds so its viewers can carry on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "flvd.h"
#include "flv.h"
#include "ringsub.h"

#define READ_MAX (4 * 1024 * 1024) /* most bytes copied per chunk */
#define REFS_MAX 256
#define GOP_MAX 4096 /* chunks kept for fast start */

/* Atomic: a fan-out's writes release references from several threads. */
void
chunk_ref(struct chunk *c)
{
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
}

void
chunk_unref(struct chunk *c)
{
	if (__atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(c);
}

struct fstream *
source_find(const char *name)
{
	struct fstream *s;

	TAILQ_FOREACH(s, &flvd->streams, entry)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

static void
source_gop_clear(struct fstream *s)
{
	size_t i;

	for (i = 0; i < s->ngop; i++)
		chunk_unref(s->gop[i].chunk);
	s->ngop = 0;
}

static void
source_gop_add(struct fstream *s, struct chunk *c, uint32_t off)
{
	if (s->ngop == GOP_MAX) {
		/* An endless GOP: new viewers will wait for a keyframe. */
		source_gop_clear(s);
		return;
	}
	if (s->ngop == s->gopcap) {
		s->gopcap = s->gopcap ? s->gopcap * 2 : 64;
		s->gop = xreallocarray(s->gop, s->gopcap, sizeof(*s->gop));
	}
	chunk_ref(c);
	s->gop[s->ngop].chunk = c;
	s->gop[s->ngop].off = off;
	s->gop[s->ngop].len = c->len - off;
	s->ngop++;
}

/* Whether a viewer may start at this tag. */
int
source_sync_point(const struct fstream *s, const struct ring_tagref *r)
{
	if (r->flags & RING_KEYFRAME)
		return 1;
	/* audio-only streams start anywhere on an audio frame */
	return !s->has_video && (r->flags & RING_AUDIO) &&
	    !(r->flags & RING_SEQHDR);
}

static void
source_free(struct fstream *s)
{
	struct viewer *v;

	while ((v = TAILQ_FIRST(&s->viewers)) != NULL)
		viewer_free(v);
	TAILQ_REMOVE(&flvd->streams, s, entry);
	source_gop_clear(s);
	free(s->gop);
	free(s->old_config[0]);
	free(s->old_config[1]);
	if (s->grace != NULL)
		event_free(s->grace);
	if (s->coalesce != NULL)
		event_free(s->coalesce);
	free(s);
}

/* A republished stream's decoder configuration must match the old one. */
static int
source_config_matches(struct fstream *s)
{
	const enum ring_slot slots[2] = {RING_SLOT_VIDEO, RING_SLOT_AUDIO};
	uint8_t buf[RING_SEQHDR_MAX];
	size_t len, i;

	for (i = 0; i < 2; i++) {
		if (ring_seqhdr(s->ring, slots[i], buf, sizeof(buf), &len) ==
		    -1)
			len = 0;
		/* compare bodies: the tag headers hold timestamps */
		if (len < FLV_TAG_HEADER_LEN + 4)
			len = 0;
		else
			len -= FLV_TAG_HEADER_LEN + 4;
		if (len != s->old_config_len[i] ||
		    (len > 0 &&
		        memcmp(buf + FLV_TAG_HEADER_LEN, s->old_config[i],
		            len) != 0))
			return 0;
	}
	return 1;
}

/*
 * Adds ts_offset to each tag's timestamp, in place; onMetaData stays at 0,
 * where ingestd puts it (elsewhere a player takes it for a data track).
 */
static void
source_shift_timestamps(
    struct fstream *s, struct chunk *c, struct ring_tagref *refs, size_t nrefs)
{
	size_t i;
	uint8_t *h;
	uint32_t ts;

	for (i = 0; i < nrefs; i++) {
		if ((refs[i].flags & RING_SCRIPT) && refs[i].timestamp == 0)
			continue;
		refs[i].timestamp = ts =
		    (uint32_t)(refs[i].timestamp + s->ts_offset);
		h = c->data + refs[i].off;
		be24_write(h + 4, ts & 0xffffff);
		h[7] = ts >> 24;
	}
}

/* Whether a decoder configuration comes among refs[from..nrefs). */
static int
source_has_seqhdr(const struct ring_tagref *refs, size_t from, size_t nrefs)
{
	size_t i;

	for (i = from; i < nrefs; i++)
		if (refs[i].flags & RING_SEQHDR)
			return 1;
	return 0;
}

/*
 * version: the ring's sequence header version read before the chunk was,
 * so a header written since makes the GOP look stale, never fresh.
 */
static void
source_dispatch(struct fstream *s, struct chunk *c, struct ring_tagref *refs,
    size_t nrefs, uint32_t version)
{
	size_t i;

	for (i = 0; i < nrefs; i++)
		if (refs[i].flags & RING_VIDEO)
			s->has_video = 1;
	if (s->probation) {
		/* wait for the new publisher's first keyframe to compare */
		for (i = 0; i < nrefs; i++)
			if (source_sync_point(s, &refs[i]))
				break;
		if (i == nrefs)
			return;
		s->probation = 0;
		if (!source_config_matches(s)) {
			log_info("stream %s: republished with another codec "
			         "configuration; ending its viewers",
			    s->name);
			viewer_end_all(s);
		} else {
			uint32_t first = refs[0].timestamp;

			/* continue after the newest timestamp already sent */
			for (i = 1; i < nrefs; i++)
				if (refs[i].timestamp < first)
					first = refs[i].timestamp;
			s->ts_offset = (int64_t)s->last_ts + 1 - (int64_t)first;
			log_info("stream %s: republished, %d viewers carry on",
			    s->name, s->nviewers);
		}
	}
	if (s->ts_offset != 0)
		source_shift_timestamps(s, c, refs, nrefs);
	for (i = 0; i < nrefs; i++)
		if (refs[i].timestamp > s->last_ts)
			s->last_ts = refs[i].timestamp;
	/* the GOP cache restarts at the newest sync point */
	for (i = nrefs; i-- > 0;)
		if (source_sync_point(s, &refs[i]))
			break;
	if (i != (size_t)-1) {
		source_gop_clear(s);
		source_gop_add(s, c, refs[i].off);
		s->gop_version = version;
		s->gop_stale = source_has_seqhdr(refs, i + 1, nrefs);
	} else if (s->ngop > 0) {
		source_gop_add(s, c, 0);
		if (source_has_seqhdr(refs, 0, nrefs))
			s->gop_stale = 1;
	}
	viewer_fanout(s, c, refs, nrefs);
}

/* Copies everything new in the ring, chunk by chunk. */
static void
source_drain(struct fstream *s)
{
	struct ring_tagref refs[REFS_MAX];
	struct chunk *c;
	size_t avail, cap, outlen, nrefs;
	uint64_t tail;
	uint32_t version;
	int r, resynced;

	for (;;) {
		version = ring_seq_version(s->ring);
		tail = ring_tail(s->ring);
		if (tail <= s->cursor.pos)
			return;
		avail = tail - s->cursor.pos;
		cap = avail < READ_MAX ? avail : READ_MAX;
		c = xmalloc(sizeof(*c) + cap);
		c->refs = 1;
		r = ringsub_read(s->rs, &s->cursor, c->data, cap, &outlen, refs,
		    nitems(refs), &nrefs, &resynced);
		if (r == -1 && errno == ENOBUFS) {
			/* one tag larger than READ_MAX */
			free(c);
			cap = ring_max_tag(s->ring);
			c = xmalloc(sizeof(*c) + cap);
			c->refs = 1;
			r = ringsub_read(s->rs, &s->cursor, c->data, cap,
			    &outlen, refs, nitems(refs), &nrefs, &resynced);
		}
		if (resynced) {
			/* the data jumped: everyone waits for its keyframe */
			source_gop_clear(s);
			viewer_resync_all(s);
		}
		if (r != 0 || nrefs == 0) {
			if (r != 0)
				log_warn("stream %s: ring read", s->name);
			free(c);
			return;
		}
		c->len = (uint32_t)outlen;
		s->tags_read += nrefs;
		s->fanouts++;
		source_dispatch(s, c, refs, nrefs, version);
		chunk_unref(c);
	}
}

static void
source_coalesce_over(evutil_socket_t fd, short what, void *arg)
{
	source_drain(arg);
}

/*
 * New tags in the ring: sent at once, or with flv_coalesce_ms set, with
 * whatever else arrives within that many milliseconds of the first, as
 * one write per viewer.  Fewer, larger writes cost less CPU per viewer;
 * each tag waits at most the window.
 */
static void
source_data(struct ringsub_stream *rs, void *state, void *arg)
{
	struct fstream *s = state;

	if (!timerisset(&flvd->coalesce)) {
		source_drain(s);
		return;
	}
	if (s->coalesce == NULL)
		s->coalesce =
		    evtimer_new(flvd->d.base, source_coalesce_over, s);
	if (!evtimer_pending(s->coalesce, NULL))
		evtimer_add(s->coalesce, &flvd->coalesce);
}

static void
source_grace_over(evutil_socket_t fd, short what, void *arg)
{
	struct fstream *s = arg;

	log_info("stream %s: not republished within %llds; ending %d "
	         "viewers",
	    s->name, conf_int(flvd->d.conf, "republish_grace"), s->nviewers);
	viewer_end_all(s);
	source_free(s);
}

/*
 * The publisher is gone (or ingestd is): read the last records, then keep
 * the viewers for the grace period, remembering the codec configuration a
 * republish must match.  The ring goes when this returns.
 */
static void
source_ended(struct ringsub_stream *rs, void *state, void *arg)
{
	struct fstream *s = state;
	struct timeval tv = {0, 0};
	const enum ring_slot slots[2] = {RING_SLOT_VIDEO, RING_SLOT_AUDIO};
	uint8_t buf[RING_SEQHDR_MAX];
	size_t len, i;

	source_drain(s);
	if (s->coalesce != NULL)
		evtimer_del(s->coalesce);
	s->live = 0;
	log_info("stream %s: publisher left", s->name);
	if (s->nviewers == 0 ||
	    conf_int(flvd->d.conf, "republish_grace") == 0) {
		viewer_end_all(s);
		source_free(s);
		return;
	}
	for (i = 0; i < 2; i++) {
		free(s->old_config[i]);
		s->old_config[i] = NULL;
		s->old_config_len[i] = 0;
		if (ring_seqhdr(s->ring, slots[i], buf, sizeof(buf), &len) ==
		        0 &&
		    len > FLV_TAG_HEADER_LEN + 4) {
			len -= FLV_TAG_HEADER_LEN + 4;
			s->old_config[i] = xmalloc(len);
			memcpy(s->old_config[i], buf + FLV_TAG_HEADER_LEN, len);
			s->old_config_len[i] = len;
		}
	}
	s->rs = NULL;
	s->ring = NULL;
	tv.tv_sec = conf_int(flvd->d.conf, "republish_grace");
	s->grace = evtimer_new(flvd->d.base, source_grace_over, s);
	evtimer_add(s->grace, &tv);
}

/* A stream went live: new, or republished within the grace period. */
static void *
source_live(struct ringsub_stream *rs, void *arg)
{
	const char *name = ringsub_name(rs);
	struct fstream *s;

	if ((s = source_find(name)) != NULL && s->live) {
		/* the old publish never ended: a new one replaces it */
		viewer_end_all(s);
		source_free(s);
		s = NULL;
	}
	if (s != NULL) {
		evtimer_del(s->grace);
		event_free(s->grace);
		s->grace = NULL;
		s->probation = 1;
		/* the old publisher's frames are no start for a new viewer */
		source_gop_clear(s);
	} else {
		s = xcalloc(1, sizeof(*s));
		memcpy(s->name, name, strlen(name) + 1);
		TAILQ_INIT(&s->viewers);
		TAILQ_INSERT_TAIL(&flvd->streams, s, entry);
	}
	s->rs = rs;
	s->ring = ringsub_ring(rs);
	s->live = 1;
	/* a republish is read whole: its first keyframe is compared */
	ringsub_cursor_start(rs, &s->cursor,
	    s->probation ? RING_START_LIVE : RING_START_KEYFRAME);
	if (s->probation)
		s->cursor.pos = 0;
	log_info("stream %s: live (ring %zu KiB)", s->name,
	    ring_capacity(s->ring) / 1024);
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

	flvd->sub =
	    ringsub_new(flvd->d.base, flvd->d.conf, &flvd->d.policy, &cb, NULL);
}

void
source_stop(void)
{
	struct fstream *s;

	ringsub_free(flvd->sub);
	flvd->sub = NULL;
	while ((s = TAILQ_FIRST(&flvd->streams)) != NULL)
		source_free(s);
}

void
source_status(yajl_gen g)
{
	struct fstream *s;

	json_bool(g, "subscribed", ringsub_subscribed(flvd->sub));
	json_key(g, "streams");
	yajl_gen_array_open(g);
	TAILQ_FOREACH(s, &flvd->streams, entry) {
		yajl_gen_map_open(g);
		json_str(g, "name", s->name);
		json_bool(g, "live", s->live);
		json_int(g, "viewers", s->nviewers);
		json_int(g, "bytes_out", (long long)s->bytes_out);
		json_int(g, "tags", (long long)s->tags_read);
		json_int(g, "fanouts", (long long)s->fanouts);
		json_int(g, "laps", (long long)s->cursor.laps);
		output_stats_json(g,
		    &(struct output_stats){.kind = "flv",
		        .viewers = s->nviewers,
		        .bytes_out = (long long)s->bytes_out,
		        .viewers_total = (long long)s->viewers_total,
		        .skipped = (long long)s->skips,
		        .dropped = (long long)s->dropped});
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}
