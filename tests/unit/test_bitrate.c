/*
 * max_bitrate: a sliding window of whole seconds, the margin, the grace
 * before a disconnect, coming back under, and what is never touched.
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

static const struct bitrate_rule rule = {
    .window_s = 4, .margin_pct = 20, .grace_s = 5};

/*
 * Feeds kbps for ms milliseconds in 40 ms pieces, checking once a second
 * as ingestd does; returns the first verdict other than OK and OVER (or
 * the last one), and when.
 */
static enum bitrate_verdict
run(struct bitrate *b, uint64_t *now, unsigned kbps, unsigned ms,
    uint64_t *when)
{
	enum bitrate_verdict v = BITRATE_OK;
	unsigned t;

	for (t = 0; t < ms; t += 40) {
		*now += 40;
		bitrate_add(b, (uint64_t)kbps * 1000 / 8 * 40 / 1000, *now);
		if (*now % 1000 < 40) {
			v = bitrate_check(b, *now);
			if (v != BITRATE_OK && v != BITRATE_OVER) {
				*when = *now;
				return v;
			}
		}
	}
	*when = *now;
	return v;
}

static void
test_window(void **state)
{
	struct bitrate b;
	uint64_t now = 100000, when;

	bitrate_init(&b, 1000, &rule, now);
	run(&b, &now, 800, 10000, &when);
	assert_true(
	    bitrate_kbps(&b, now) >= 790 && bitrate_kbps(&b, now) <= 810);
	/* a second of silence takes a quarter of a 4 s window away */
	now += 1000;
	assert_true(
	    bitrate_kbps(&b, now) >= 590 && bitrate_kbps(&b, now) <= 610);
	/* a long silence empties it */
	now += 120000;
	assert_int_equal(bitrate_kbps(&b, now), 0);
}

/* 3 Mb/s on a 1000 kb/s stream: warned once the window is full, then
   disconnected after the grace. */
static void
test_over(void **state)
{
	struct bitrate b;
	uint64_t start = 200000, now = start, warned, kicked;

	bitrate_init(&b, 1000, &rule, now);
	assert_int_equal(run(&b, &now, 3000, 60000, &warned), BITRATE_WARN);
	/* judged only on a full window: not in the first 4 s */
	assert_true(warned - start >= 4000 && warned - start <= 6000);
	assert_true(b.kbps >= 2900);
	assert_int_equal(run(&b, &now, 3000, 60000, &kicked), BITRATE_KICK);
	assert_true(kicked - warned >= 5000 && kicked - warned <= 6000);
}

/* Under the limit plus margin: never touched, even with bursts. */
static void
test_under(void **state)
{
	struct bitrate b;
	uint64_t now = 300000, when;
	int i;

	bitrate_init(&b, 1000, &rule, now);
	assert_int_equal(run(&b, &now, 900, 30000, &when), BITRATE_OK);
	/* a 1150 kb/s stretch is within the 20% margin */
	assert_int_equal(run(&b, &now, 1150, 30000, &when), BITRATE_OK);
	/* a keyframe burst each 2 s that averages under */
	bitrate_init(&b, 1000, &rule, now);
	for (i = 0; i < 20; i++) {
		bitrate_add(&b, 150000, now);
		assert_int_equal(run(&b, &now, 400, 2000, &when), BITRATE_OK);
	}
	/* no limit at all */
	bitrate_init(&b, 0, &rule, now);
	assert_int_equal(run(&b, &now, 50000, 30000, &when), BITRATE_OK);
}

/* Back under within the grace: the count starts again. */
static void
test_back_under(void **state)
{
	struct bitrate b;
	uint64_t now = 400000, when;

	bitrate_init(&b, 1000, &rule, now);
	assert_int_equal(run(&b, &now, 2000, 10000, &when), BITRATE_WARN);
	/* the window still remembers the fast seconds for a while */
	assert_int_equal(run(&b, &now, 500, 10000, &when), BITRATE_BACK_UNDER);
	assert_int_equal(run(&b, &now, 500, 10000, &when), BITRATE_OK);
	assert_int_equal(run(&b, &now, 2000, 10000, &when), BITRATE_WARN);
	assert_int_equal(run(&b, &now, 2000, 10000, &when), BITRATE_KICK);
}

/* bitrate_grace = 0 warns and never disconnects. */
static void
test_warn_only(void **state)
{
	struct bitrate_rule r = rule;
	struct bitrate b;
	uint64_t now = 500000, when;

	r.grace_s = 0;
	bitrate_init(&b, 1000, &r, now);
	assert_int_equal(run(&b, &now, 5000, 10000, &when), BITRATE_WARN);
	assert_int_equal(run(&b, &now, 5000, 120000, &when), BITRATE_OVER);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_window),
	    cmocka_unit_test(test_over),
	    cmocka_unit_test(test_under),
	    cmocka_unit_test(test_back_under),
	    cmocka_unit_test(test_warn_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
