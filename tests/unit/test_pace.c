/*
 * Audio pacing (rtcd/pace.c): Opus packets pushed in bursts, as they come
 * from AAC frames muxed with video, leave evenly, each at its timestamp
 * plus the burst's lateness, in order and unchanged; a packet far later
 * than that is let through at once and counted as a stall; a network's
 * long bursts are not held for.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <event2/event.h>

#include "rtcd.h"

#define PKT_US 20000 /* 20 ms Opus packets */
#define BURSTS 40

struct run {
	struct event_base *base;
	struct pace *pace;
	struct event *ev;
	uint64_t t0;
	int burst; /* packets pushed together, once the last is due */
	int next; /* first packet of the next burst */
	uint64_t sent_us[BURSTS * 10 + 1];
	uint32_t ts[BURSTS * 10 + 1];
	int nsent;
	int bad_payload;
};

static void
out(const uint8_t *p, size_t len, uint32_t ts, void *arg)
{
	struct run *r = arg;

	if (len != 40 || p[0] != (uint8_t)(ts / 960))
		r->bad_payload++;
	r->ts[r->nsent] = ts;
	r->sent_us[r->nsent++] = now_us();
}

static void
push(struct run *r, int k)
{
	uint8_t pkt[40];

	memset(pkt, 0, sizeof(pkt));
	pkt[0] = (uint8_t)k;
	pace_push(r->pace, pkt, sizeof(pkt), (uint32_t)k * 960,
	    (int64_t)r->t0 + (int64_t)k * PKT_US);
}

/* A burst: r->burst packets at once, when the last of them is due. */
static void
burst(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	struct timeval tv = {0, r->burst * PKT_US};
	int i;

	for (i = 0; i < r->burst; i++)
		push(r, r->next + i);
	r->next += r->burst;
	if (r->next < BURSTS * r->burst)
		evtimer_add(r->ev, &tv);
	else {
		tv.tv_usec = 300000; /* all sent, then leave the loop */
		event_base_loopexit(r->base, &tv);
	}
}

static void
run(struct run *r, int nburst)
{
	struct timeval tv = {0, (nburst - 1) * PKT_US};

	memset(r, 0, sizeof(*r));
	r->burst = nburst;
	r->base = event_base_new();
	assert_non_null(r->base);
	r->pace = pace_new(r->base, out, r);
	r->ev = evtimer_new(r->base, burst, r);
	r->t0 = now_us();
	evtimer_add(r->ev, &tv);
	event_base_dispatch(r->base);
}

static void
finish(struct run *r)
{
	event_free(r->ev);
	pace_free(r->pace);
	event_base_free(r->base);
}

static void
test_even(void **state)
{
	struct run r;
	int i, close_gaps = 0, n;
	double held;

	run(&r, 3);
	assert_int_equal(r.nsent, BURSTS * 3);
	assert_int_equal(r.bad_payload, 0);
	for (i = 0; i < r.nsent; i++)
		assert_int_equal(r.ts[i], (uint32_t)i * 960);
	/*
	 * Unpaced, two gaps in three would be 0 and the third 60 ms.  Paced,
	 * the gaps are 20 ms: count those under 8 ms after the first second
	 * (a busy machine may delay a timer now and then).
	 */
	n = 0;
	for (i = 50; i < r.nsent; i++, n++)
		if (r.sent_us[i] - r.sent_us[i - 1] < 8000)
			close_gaps++;
	assert_true(close_gaps * 10 < n);
	/* the first of a burst waits 40 ms, the last none: 20 on average */
	held = pace_held_ms(r.pace);
	assert_true(held > 12 && held < 35);
	assert_int_equal(pace_stalls(r.pace), 0);
	finish(&r);
}

static void
test_stall(void **state)
{
	struct run r;
	uint64_t before;

	run(&r, 3);
	assert_int_equal(r.nsent, BURSTS * 3);
	/* a packet 300 ms later than its burst mates goes at once */
	before = now_us();
	push(&r, (int)((before - r.t0 - 300000) / PKT_US));
	assert_int_equal(r.nsent, BURSTS * 3 + 1);
	assert_true(r.sent_us[r.nsent - 1] - before < 5000);
	assert_int_equal(pace_stalls(r.pace), 1);
	finish(&r);
}

/*
 * 200 ms bursts are a network's (or a stalled publisher's), not a muxer's:
 * the first of each would wait 180 ms, 90 on average; held at most 80 ms
 * above the earliest, they wait about 20.
 */
static void
test_capped(void **state)
{
	struct run r;
	int i;

	run(&r, 10);
	assert_int_equal(r.nsent, BURSTS * 10);
	for (i = 0; i < r.nsent; i++)
		assert_int_equal(r.ts[i], (uint32_t)i * 960);
	assert_true(pace_held_ms(r.pace) < 45);
	finish(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_even),
	    cmocka_unit_test(test_stall),
	    cmocka_unit_test(test_capped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
