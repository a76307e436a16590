/*
 * A publisher's timestamps made into one continuous, monotonic timeline for
 * viewers.  Cameras jump their clocks (NTP steps, a reset to 1970), drones
 * restart their encoders, muxers restart at zero: a player given such a
 * jump stalls for hours or drops everything until it catches up.
 *
 * Each track (audio, video) keeps an offset added to what the publisher
 * says.  A step back of more than TIMELINE_JITTER_MS is a jump.  A step
 * forward is one when it is more than TIMELINE_JUMP_MS beyond the time
 * that really passed between the two messages, unless it lands where the
 * other track is now: then frames were lost (an encoder that fell behind
 * drops them, and sends what it has in a burst), and the gap is real and
 * keeps the two in sync.  After a jump the track goes on from its last
 * timestamp plus its usual step, or, if the other track already jumped the
 * same way, with that track's offset, which keeps the two in sync.  Small
 * steps back are held at the last timestamp.
 * Pure: fed timestamps and the clock, so it is unit-tested without a peer.
 */
#include <string.h>

#include "ingestd.h"

#define TIMELINE_JITTER_MS 200
#define TIMELINE_JUMP_MS 1000
#define TIMELINE_SYNC_MS 2000 /* how far audio and video may drift apart */
#define TIMELINE_STEP_MAX 10000 /* the longest usual step remembered */
#define TIMELINE_STEP_DEFAULT 40 /* before a track has shown its own */

void
timeline_init(struct timeline *tl)
{
	memset(tl, 0, sizeof(*tl));
}

/* Whether out is where track o's timeline is now. */
static int
timeline_near(const struct timeline_track *o, int64_t out, uint64_t now_ms)
{
	int64_t there;

	if (!o->started)
		return 0;
	there = o->out + (int64_t)(now_ms - o->last_ms);
	return out >= there - TIMELINE_SYNC_MS &&
	    out <= there + TIMELINE_SYNC_MS;
}

uint32_t
timeline_map(struct timeline *tl, enum timeline_track_id id, uint32_t ts,
    uint64_t now_ms, int64_t *jumped)
{
	struct timeline_track *t = &tl->t[id], *o = &tl->t[!id];
	int64_t d, in, out, elapsed, theirs;

	*jumped = 0;
	if (!t->started) {
		t->started = 1;
		t->in = ts;
		t->last_in = ts;
		t->last_ms = now_ms;
		t->step = TIMELINE_STEP_DEFAULT;
		/* a second track starts on the first one's timeline */
		t->offset = o->started ? o->offset : 0;
		t->out = t->in + t->offset;
		return (uint32_t)t->out;
	}
	/* RTMP time wraps at 32 bits: steps are signed 32-bit differences */
	d = (int32_t)(ts - t->last_in);
	in = t->in + d;
	elapsed = (int64_t)(now_ms - t->last_ms);
	if (d < -TIMELINE_JITTER_MS ||
	    (d > TIMELINE_JUMP_MS && d > elapsed + TIMELINE_JUMP_MS &&
	        !timeline_near(o, in + t->offset, now_ms))) {
		theirs = in + o->offset;
		if (o->offset != t->offset && theirs >= t->out &&
		    timeline_near(o, theirs, now_ms))
			t->offset = o->offset;
		else
			t->offset = t->out + t->step - in;
		*jumped = d;
		tl->jumps++;
	} else if (d > 0) {
		t->step =
		    d < TIMELINE_STEP_MAX ? (uint32_t)d : TIMELINE_STEP_MAX;
	}
	t->in = in;
	t->last_in = ts;
	t->last_ms = now_ms;
	out = in + t->offset;
	if (out < t->out)
		out = t->out; /* jitter: held */
	t->out = out;
	return (uint32_t)out;
}

uint32_t
timeline_script(const struct timeline *tl, uint32_t ts)
{
	const struct timeline_track *t = &tl->t[TIMELINE_VIDEO];

	if (!t->started)
		t = &tl->t[TIMELINE_AUDIO];
	if (!t->started)
		return ts;
	/* on the timeline, never before what was already sent */
	if ((int64_t)ts + t->offset < t->out - TIMELINE_JUMP_MS ||
	    (int64_t)ts + t->offset > t->out + TIMELINE_JUMP_MS)
		return (uint32_t)t->out;
	return (uint32_t)((int64_t)ts + t->offset);
}
