/*
 * Audio pacing.  Opus packets are made in bursts: a publisher's muxer
 * sends AAC frames along with its video frames, and each 1024-sample AAC
 * frame gives one or two 960-sample Opus packets.  A browser's audio
 * jitter buffer (NetEq) measures how unevenly packets arrive against their
 * timestamps, buffers for the worst of it with a margin, and, for lip
 * sync, holds the picture back as long.  So each packet leaves at its own
 * time instead: its timestamp plus the largest lateness seen lately.
 * Arrivals are then even, and the cost is that lateness, once, rather
 * than NetEq's margin over it.
 *
 * Lateness is a packet's arrival here less its timestamp, on any steady
 * clock: only its variation matters.  The hold follows the largest of the
 * last few seconds at once, and comes down slowly when that passes, so
 * the browser sees packets come a little early (its buffer sheds that by
 * playing faster) and never late.  The hold is at most PACE_HOLD_MAX_US
 * above the earliest packet's lateness: pacing evens out a muxer's
 * bursts, not a network's.
 */
#include <sys/time.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "rtcd.h"

#define PACE_QUEUE 64 /* packets held, about 1.3 s of 20 ms ones */
#define PACE_BUCKET_US 500000
#define PACE_BUCKETS 4 /* lateness remembered for 2 s */
#define PACE_DECAY 20 /* the hold comes down by 20 ms a second */
#define PACE_SPIKE_US 80000 /* later than the hold by this: a stall */
#define PACE_HOLD_MAX_US 80000 /* above the window's earliest packet */
#define PACE_JUMP_US 1000000 /* the timeline jumped: start again */

struct pace_pkt {
	uint8_t data[PACE_PKT_MAX];
	uint16_t len;
	uint32_t ts;
	int64_t media_us;
	uint64_t arrived_us;
};

struct pace_bucket {
	int64_t max; /* of the lateness paced, INT64_MIN: none */
	int64_t min; /* of all lateness, stalls too */
};

struct pace {
	struct event *ev;
	pace_out out;
	void *arg;
	struct pace_pkt q[PACE_QUEUE];
	int head, n;
	int started;
	int64_t hold_us; /* a packet leaves at media_us + hold_us */
	struct pace_bucket b[PACE_BUCKETS];
	int bucket;
	uint64_t bucket_start, decayed_at;
	uint64_t packets, held_us_total, stalls, resets;
};

static void pace_run(evutil_socket_t, short, void *);

struct pace *
pace_new(struct event_base *base, pace_out out, void *arg)
{
	struct pace *p = xcalloc(1, sizeof(*p));

	p->out = out;
	p->arg = arg;
	if ((p->ev = evtimer_new(base, pace_run, p)) == NULL)
		fatalx("evtimer_new");
	return p;
}

void
pace_free(struct pace *p)
{
	if (p == NULL)
		return;
	event_free(p->ev);
	free(p);
}

/* What pacing costs: the mean time a packet was held, in ms. */
double
pace_held_ms(const struct pace *p)
{
	return p->packets ? p->held_us_total / 1000.0 / p->packets : 0;
}

uint64_t
pace_stalls(const struct pace *p)
{
	return p->stalls;
}

static void
pace_bucket_clear(struct pace_bucket *b)
{
	b->max = INT64_MIN;
	b->min = INT64_MAX;
}

static void
pace_reset(struct pace *p, int64_t late, uint64_t now)
{
	int i;

	for (i = 0; i < PACE_BUCKETS; i++)
		pace_bucket_clear(&p->b[i]);
	p->hold_us = late;
	p->bucket_start = p->decayed_at = now;
	p->started = 1;
}

/*
 * Notes a packet's lateness and moves the hold: up with any lateness
 * short of a stall, to a stall's level when it lasts a whole bucket (the
 * publisher's clock moved), and slowly down to the window's largest.
 * Returns 1 for a stall: that packet is not held.
 */
static int
pace_note(struct pace *p, int64_t late, uint64_t now)
{
	struct pace_bucket *b;
	int64_t target = INT64_MIN, floor = INT64_MAX, down;
	int i, stall;

	while (now - p->bucket_start >= PACE_BUCKET_US) {
		b = &p->b[p->bucket];
		if (b->min != INT64_MAX && b->min > p->hold_us) {
			p->hold_us = b->min;
			b->max = b->min;
		}
		p->bucket = (p->bucket + 1) % PACE_BUCKETS;
		pace_bucket_clear(&p->b[p->bucket]);
		p->bucket_start += PACE_BUCKET_US;
		if (now - p->bucket_start >= PACE_BUCKET_US)
			p->bucket_start = now; /* a silence */
	}
	b = &p->b[p->bucket];
	if (late < b->min)
		b->min = late;
	stall = late > p->hold_us + PACE_SPIKE_US;
	if (!stall) {
		if (late > b->max)
			b->max = late;
		if (late > p->hold_us)
			p->hold_us = late;
	}
	for (i = 0; i < PACE_BUCKETS; i++)
		if (p->b[i].max > target)
			target = p->b[i].max;
	down = (int64_t)(now - p->decayed_at) * PACE_DECAY / 1000;
	p->decayed_at = now;
	if (target != INT64_MIN && p->hold_us > target)
		p->hold_us =
		    p->hold_us - down > target ? p->hold_us - down : target;
	/*
	 * Muxing bursts are tens of ms; lateness beyond is the network's or
	 * a busy machine's, which the browser's jitter buffer measures and
	 * covers anyway: holding for it too would count it twice.
	 */
	for (i = 0; i < PACE_BUCKETS; i++)
		if (p->b[i].min < floor)
			floor = p->b[i].min;
	if (floor != INT64_MAX && p->hold_us > floor + PACE_HOLD_MAX_US)
		p->hold_us = floor + PACE_HOLD_MAX_US;
	return stall;
}

static void
pace_send_head(struct pace *p, uint64_t now)
{
	struct pace_pkt *k = &p->q[p->head];

	p->held_us_total += now - k->arrived_us;
	p->head = (p->head + 1) % PACE_QUEUE;
	p->n--;
	p->out(k->data, k->len, k->ts, p->arg);
}

/* Sends everything held, now. */
static void
pace_flush(struct pace *p)
{
	uint64_t now = now_us();

	evtimer_del(p->ev);
	while (p->n > 0)
		pace_send_head(p, now);
}

/* Sends what is due and sets the timer for the next. */
static void
pace_release(struct pace *p)
{
	uint64_t now = now_us();
	int64_t wait;

	while (p->n > 0) {
		wait = p->q[p->head].media_us + p->hold_us - (int64_t)now;
		if (wait > 500) {
			struct timeval tv;

			tv.tv_sec = (time_t)(wait / 1000000);
			tv.tv_usec = (suseconds_t)(wait % 1000000);
			evtimer_add(p->ev, &tv);
			return;
		}
		pace_send_head(p, now);
	}
}

static void
pace_run(evutil_socket_t fd, short what, void *arg)
{
	pace_release(arg);
}

void
pace_push(struct pace *p, const uint8_t *data, size_t len, uint32_t ts,
    int64_t media_us)
{
	uint64_t now = now_us();
	int64_t late = (int64_t)now - media_us;
	struct pace_pkt *k;

	if (len == 0 || len > PACE_PKT_MAX)
		return;
	if (p->started &&
	    (late > p->hold_us + PACE_JUMP_US ||
	        late < p->hold_us - PACE_JUMP_US)) {
		/* a new timeline: what is held goes, and all starts again */
		p->resets++;
		pace_flush(p);
		p->started = 0;
	}
	if (!p->started)
		pace_reset(p, late, now);
	if (pace_note(p, late, now)) {
		/* after a stall the browser has run dry: no waiting more */
		p->stalls++;
		pace_flush(p);
		p->packets++;
		p->out(data, len, ts, p->arg);
		return;
	}
	if (p->n == PACE_QUEUE)
		pace_send_head(p, now);
	k = &p->q[(p->head + p->n) % PACE_QUEUE];
	memcpy(k->data, data, len);
	k->len = (uint16_t)len;
	k->ts = ts;
	k->media_us = media_us;
	k->arrived_us = now;
	p->n++;
	p->packets++;
	pace_release(p);
}
