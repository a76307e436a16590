/*
 * Timestamps a viewer gets from awkward publishers: clocks that jump
 * forward (+3 h) or back (-3 s), one track jumping alone, RTMP's 32-bit
 * wrap, jitter, and real pauses that are no jump.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ingestd.h"

struct ingestd *ingestd;

#define V TIMELINE_VIDEO
#define A TIMELINE_AUDIO

static uint32_t
map(struct timeline *tl, enum timeline_track_id id, uint32_t ts, uint64_t now,
    int64_t *jump)
{
	int64_t j;

	return timeline_map(tl, id, ts, now, jump != NULL ? jump : &j);
}

/* 25 fps video and 43 fps audio, as they interleave; checks monotony. */
static void
feed(struct timeline *tl, uint32_t *vin, uint32_t *ain, uint64_t *now, int ms,
    uint32_t *vout, uint32_t *aout)
{
	int t;
	uint32_t o;

	for (t = 0; t < ms; t++) {
		(*now)++;
		if (t % 40 == 0) {
			o = map(tl, V, *vin, *now, NULL);
			assert_true(o >= *vout);
			*vout = o;
			*vin += 40;
		}
		if (t % 23 == 0) {
			o = map(tl, A, *ain, *now, NULL);
			assert_true(o >= *aout);
			*aout = o;
			*ain += 23;
		}
	}
}

static void
test_steady(void **state)
{
	struct timeline tl;
	uint32_t vin = 5000, ain = 5000, vout = 0, aout = 0;
	uint64_t now = 1000000;

	timeline_init(&tl);
	/* a publisher joining mid-stream keeps its start */
	assert_int_equal(map(&tl, V, 5000, now, NULL), 5000);
	vin += 40;
	feed(&tl, &vin, &ain, &now, 10000, &vout, &aout);
	assert_int_equal(tl.jumps, 0);
	assert_int_equal(vout, vin - 40);
}

static void
test_jump_forward(void **state)
{
	struct timeline tl;
	uint32_t vin = 0, ain = 0, vout = 0, aout = 0, before_v, before_a;
	uint64_t now = 1000;
	int64_t jump;

	timeline_init(&tl);
	feed(&tl, &vin, &ain, &now, 5000, &vout, &aout);
	before_v = vout;
	before_a = aout;
	/* the camera's clock steps 3 hours ahead */
	vin += 3 * 3600 * 1000;
	ain += 3 * 3600 * 1000;
	assert_int_equal(map(&tl, V, vin, ++now, &jump), before_v + 40);
	assert_int_equal(jump, 3 * 3600 * 1000 + 40);
	vout = before_v + 40;
	vin += 40;
	/* audio follows on video's new offset: still in sync */
	assert_int_equal(map(&tl, A, ain, ++now, &jump), before_a + 23);
	assert_int_equal(jump, 3 * 3600 * 1000 + 23);
	aout = before_a + 23;
	ain += 23;
	assert_int_equal(tl.jumps, 2);
	feed(&tl, &vin, &ain, &now, 5000, &vout, &aout);
	assert_int_equal(tl.jumps, 2);
	/* continuous: 10 s of input is 10 s of output */
	assert_true(vout - before_v < 5100 && vout - before_v > 4900);
	assert_true(aout >= vout - 100 && aout <= vout + 100);
}

static void
test_jump_back(void **state)
{
	struct timeline tl;
	uint32_t vin = 10000, ain = 10000, vout = 0, aout = 0, before;
	uint64_t now = 1000;
	int64_t jump;

	timeline_init(&tl);
	feed(&tl, &vin, &ain, &now, 5000, &vout, &aout);
	before = vout;
	vin -= 3000;
	ain -= 3000;
	assert_int_equal(map(&tl, V, vin, ++now, &jump), before + 40);
	assert_int_equal(jump, -3000 + 40);
	vout = before + 40;
	vin += 40;
	feed(&tl, &vin, &ain, &now, 5000, &vout, &aout);
	assert_int_equal(tl.jumps, 2);
	assert_true(vout - before < 5100 && vout - before > 4900);
}

/* Real gaps are no jump; small steps back are held, not jumps. */
static void
test_pause_and_jitter(void **state)
{
	struct timeline tl;
	uint64_t now = 1000;
	int64_t jump;

	timeline_init(&tl);
	assert_int_equal(map(&tl, V, 0, now, NULL), 0);
	assert_int_equal(map(&tl, V, 40, now += 40, NULL), 40);
	/* the encoder paused a minute, and a minute passed */
	assert_int_equal(map(&tl, V, 60040, now += 60000, &jump), 60040);
	assert_int_equal(jump, 0);
	/* a burst after a stall: normal steps, arriving all at once */
	assert_int_equal(map(&tl, V, 60080, now, NULL), 60080);
	assert_int_equal(map(&tl, V, 60120, now, NULL), 60120);
	/* a 1-frame-per-2-seconds camera, in real time */
	assert_int_equal(map(&tl, V, 62120, now += 2000, &jump), 62120);
	assert_int_equal(jump, 0);
	/* 50 ms back: held at the last timestamp */
	assert_int_equal(map(&tl, V, 62070, now += 10, &jump), 62120);
	assert_int_equal(jump, 0);
	assert_int_equal(map(&tl, V, 62160, now += 40, NULL), 62160);
	assert_int_equal(tl.jumps, 0);
}

/*
 * Frames lost, not a clock jump: a live encoder that fell behind (GStreamer
 * under load) drops 2.4 s of video and sends the next frame a second
 * later, while audio went on.  The gap is real: audio and video stay in
 * sync.
 */
static void
test_lost_frames(void **state)
{
	struct timeline tl;
	uint64_t now = 1000;
	int64_t jump;
	int i;

	timeline_init(&tl);
	for (i = 0; i < 100; i++) {
		assert_int_equal(
		    map(&tl, V, 8000 + i * 40, now, NULL), 8000 + i * 40);
		assert_int_equal(
		    map(&tl, A, 8000 + i * 40, now, NULL), 8000 + i * 40);
		now += 40;
	}
	/* audio goes on for 2.4 s, video stalls ... */
	for (i = 100; i < 160; i++) {
		map(&tl, A, 8000 + i * 40, now, NULL);
		now += 16; /* arriving faster than real time: a backlog */
	}
	/* ... and video's next frame is 2.4 s on, a second later */
	assert_int_equal(map(&tl, V, 8000 + 160 * 40, now, &jump), 14400);
	assert_int_equal(jump, 0);
	assert_int_equal(tl.jumps, 0);
}

/* One track alone jumps: only it is moved, the other is left alone. */
static void
test_one_track(void **state)
{
	struct timeline tl;
	uint64_t now = 1000;
	uint32_t a;
	int i;

	timeline_init(&tl);
	for (i = 0; i < 50; i++) {
		map(&tl, V, i * 40, now, NULL);
		map(&tl, A, i * 40, now, NULL);
		now += 40;
	}
	/* audio restarts at 0; video goes on */
	a = map(&tl, A, 0, now, NULL);
	assert_int_equal(a, 49 * 40 + 40);
	for (i = 50; i < 100; i++) {
		assert_int_equal(map(&tl, V, i * 40, now, NULL), i * 40);
		a = map(&tl, A, (i - 49) * 40, now, NULL);
		assert_int_equal(a, i * 40 + 40);
		now += 40;
	}
	assert_int_equal(tl.jumps, 1);
}

/* RTMP time wraps at 2^32 ms: no jump, just on. */
static void
test_wrap(void **state)
{
	struct timeline tl;
	uint64_t now = 1000;
	int64_t jump;

	timeline_init(&tl);
	assert_int_equal(map(&tl, V, 0xffffffb0, now, NULL), 0xffffffb0);
	assert_int_equal(map(&tl, V, 0xffffffd8, now += 40, NULL), 0xffffffd8);
	assert_int_equal(map(&tl, V, 0x00000000, now += 40, &jump), 0);
	assert_int_equal(jump, 0);
	assert_int_equal(map(&tl, V, 0x00000028, now += 40, NULL), 0x28);
	/* script data rides on video's timeline */
	assert_int_equal(timeline_script(&tl, 0x28), 0x28);
	assert_int_equal(tl.jumps, 0);
}

/* Script data after a jump lands where the timeline is, not hours off. */
static void
test_script(void **state)
{
	struct timeline tl;
	uint64_t now = 1000;

	timeline_init(&tl);
	assert_int_equal(timeline_script(&tl, 1234), 1234); /* nothing yet */
	map(&tl, A, 100, now, NULL);
	assert_int_equal(timeline_script(&tl, 150), 150);
	/* no usual step known yet: 40 ms */
	assert_int_equal(map(&tl, A, 100 + 10800000, now += 23, NULL), 140);
	assert_int_equal(timeline_script(&tl, 100 + 10800000 + 10), 150);
	assert_int_equal(timeline_script(&tl, 99999999), 140);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_steady),
	    cmocka_unit_test(test_jump_forward),
	    cmocka_unit_test(test_jump_back),
	    cmocka_unit_test(test_pause_and_jitter),
	    cmocka_unit_test(test_lost_frames),
	    cmocka_unit_test(test_one_track),
	    cmocka_unit_test(test_wrap),
	    cmocka_unit_test(test_script),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
