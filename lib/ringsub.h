/*
 * The ring subscriber (ringsub.c): how a reader daemon follows ingestd's
 * live streams.  One per process:
 *
 *	sub = ringsub_new(base, conf, &policy, &cb, arg);
 *	live(rs)	a stream went live (or was announced again after
 *			ingestd came back): set up, return your state
 *	data(rs)	records may be waiting: ringsub_read until none
 *	ended(rs)	the publisher left or ingestd went away: read the
 *			last records; the ring is unmapped on return
 *
 * Each reader keeps its own cursor; ringsub_read moves a lapped cursor to
 * the newest keyframe and sets *resynced, so the caller knows the data
 * jumped (viewers must wait for that keyframe).
 */
#ifndef RINGSUB_H
#define RINGSUB_H

#include "nyon.h"
#include "ring.h"

struct ringsub;
struct ringsub_stream;

struct ringsub_cb {
	void *(*live)(struct ringsub_stream *, void *arg);
	void (*data)(struct ringsub_stream *, void *state, void *arg);
	void (*ended)(struct ringsub_stream *, void *state, void *arg);
};

struct ringsub_cursor {
	uint64_t pos;
	uint64_t laps; /* times it fell behind and jumped */
};

struct ringsub *ringsub_new(struct event_base *, const struct conf *,
    const struct ctl_policy *, const struct ringsub_cb *, void *arg);
/* Ends every stream without calling ended(). */
void ringsub_free(struct ringsub *);
int ringsub_subscribed(const struct ringsub *);

const char *ringsub_name(const struct ringsub_stream *);
const char *ringsub_proto(const struct ringsub_stream *);
uint64_t ringsub_id(const struct ringsub_stream *); /* ingestd's, per publish */
/* The stream's record setting from authd: 1, 0, or -1 when not said. */
int ringsub_record(const struct ringsub_stream *);
struct ring *ringsub_ring(const struct ringsub_stream *);

void ringsub_cursor_start(
    const struct ringsub_stream *, struct ringsub_cursor *, enum ring_start);
/*
 * ring_read's contract (whole FLV tags into out, refs describe them), with
 * laps and corrupt records handled: the cursor moves to the newest
 * keyframe and *resynced is set.  0 (nrefs may be 0: nothing new), or -1
 * and errno: ENOBUFS if the next tag alone is larger than cap (cap >=
 * ring_max_tag always works), EINVAL for a cursor beyond the tail.
 */
int ringsub_read(const struct ringsub_stream *, struct ringsub_cursor *,
    uint8_t *out, size_t cap, size_t *outlen, struct ring_tagref *refs,
    size_t maxrefs, size_t *nrefs, int *resynced);

#endif
