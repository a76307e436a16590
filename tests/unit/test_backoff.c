/*
 * A failing destination's retry delay (fwdd/backoff.c): 1 s after the
 * first failure, doubling with each one in a row up to forward_retry_max,
 * and spread over the upper half of that so that the destinations of one
 * server that comes back do not all knock at the same instant.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fwdd.h"

#define DRAWS 2000

/* DRAWS delays after failures: all within [nominal / 2, nominal], spread. */
static void
draws_within(int failures, uint64_t max_ms, uint64_t nominal)
{
	uint64_t d, lo = UINT64_MAX, hi = 0, sum = 0;
	int i;

	for (i = 0; i < DRAWS; i++) {
		d = backoff_delay_ms(failures, max_ms);
		assert_true(d >= nominal / 2);
		assert_true(d <= nominal);
		if (d < lo)
			lo = d;
		if (d > hi)
			hi = d;
		sum += d;
	}
	/* jitter: the draws cover most of the half they may fall in */
	assert_true(hi - lo >= nominal / 2 * 9 / 10);
	/* and centre on three quarters of the nominal delay */
	assert_true(sum / DRAWS >= nominal * 7 / 10);
	assert_true(sum / DRAWS <= nominal * 8 / 10);
}

static void
test_doubling(void **state)
{
	draws_within(1, 60000, 1000);
	draws_within(2, 60000, 2000);
	draws_within(3, 60000, 4000);
	draws_within(6, 60000, 32000);
}

static void
test_capped(void **state)
{
	/* forward_retry_max: 60 s, reached at the seventh failure */
	draws_within(7, 60000, 60000);
	draws_within(40, 60000, 60000);
	/* a failure count no shift could hold still gives the cap */
	draws_within(1 << 30, 60000, 60000);
	/* forward_retry_max = 2 as in 23-forward-failures.t */
	draws_within(5, 2000, 2000);
	/* the smallest forward_retry_max, 1 s: never longer */
	draws_within(3, 1000, 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_doubling),
	    cmocka_unit_test(test_capped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
