/*
 * authd's failure limits (api_limit.c) with a clock the test moves: an
 * IPv6 address counts by its /64, a locked subject stays locked however
 * many others fail, a table full of locked subjects gives new ones one
 * shared limit instead of a flush, and windows end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "authd.h"

#define MIN_MS (60 * 1000ULL)
#define T0 (1000 * MIN_MS) /* any start will do */
#define SLOTS 1024 /* api_limit.c's API_LIMIT_SLOTS */

static int
reset(void **state)
{
	api_limit_clear();
	return 0;
}

static const char *
subject(const char *ip)
{
	static char out[API_LIMIT_SUBJECT_SZ];

	api_limit_subject(ip, out, sizeof(out));
	return out;
}

/* "10.X.Y.Z" for i */
static const char *
nth(unsigned i)
{
	static char out[32];

	snprintf(out, sizeof(out), "10.%u.%u.%u", (i >> 16) & 255,
	    (i >> 8) & 255, i & 255);
	return out;
}

static void
lock(enum api_limit_kind kind, const char *s, int n, uint64_t now)
{
	int i;

	for (i = 0; i < n; i++)
		api_limit_fail(kind, s, now);
}

static void
test_subject(void **state)
{
	char a[API_LIMIT_SUBJECT_SZ];

	assert_string_equal(subject("192.0.2.7"), "192.0.2.7");
	assert_string_equal(
	    subject("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
	strlcpy(a, subject("2001:db8:1:2::ffff"), sizeof(a));
	assert_string_equal(a, subject("2001:0db8:0001:0002:ffff::1"));
	assert_string_not_equal(a, subject("2001:db8:1:3::1"));
	assert_string_equal(subject("::1"), "::/64");
	/* not an address: counted as it is, bounded */
	assert_string_equal(subject("nonsense"), "nonsense");
}

/* One host hopping between the addresses of its /64 is one subject. */
static void
test_ipv6_prefix(void **state)
{
	char ip[64];
	int i;

	for (i = 0; i < 5; i++) {
		snprintf(ip, sizeof(ip), "2001:db8:aa:bb::%x", 0x1000 + i);
		assert_int_equal(
		    api_limit_wait(API_LIMIT_LOGIN, subject(ip), T0), 0);
		api_limit_fail(API_LIMIT_LOGIN, subject(ip), T0);
	}
	assert_true(api_limit_wait(API_LIMIT_LOGIN,
	                subject("2001:db8:aa:bb:ffff:ffff:ffff:ffff"), T0) > 0);
	/* the next /64 is someone else */
	assert_int_equal(
	    api_limit_wait(API_LIMIT_LOGIN, subject("2001:db8:aa:bc::1"), T0),
	    0);
}

static void
test_window(void **state)
{
	int w;

	lock(API_LIMIT_LOGIN, "192.0.2.1", 4, T0);
	assert_int_equal(api_limit_wait(API_LIMIT_LOGIN, "192.0.2.1", T0), 0);
	assert_int_equal(api_limit_fail(API_LIMIT_LOGIN, "192.0.2.1", T0), 1);
	w = api_limit_wait(API_LIMIT_LOGIN, "192.0.2.1", T0 + MIN_MS);
	assert_int_equal(w, 14 * 60);
	/* another address is not touched */
	assert_int_equal(api_limit_wait(API_LIMIT_LOGIN, "192.0.2.2", T0), 0);
	/* accounts are their own kind */
	assert_int_equal(api_limit_wait(API_LIMIT_ACCOUNT, "192.0.2.1", T0), 0);
	/* the window ends: a clean slate */
	assert_int_equal(
	    api_limit_wait(API_LIMIT_LOGIN, "192.0.2.1", T0 + 15 * MIN_MS), 0);
	assert_int_equal(
	    api_limit_fail(API_LIMIT_LOGIN, "192.0.2.1", T0 + 15 * MIN_MS), 0);
}

/*
 * The old table evicted the oldest entry when full, locked or not: 1030
 * failures from other addresses set a locked one free.  Now only unlocked
 * subjects make room.
 */
static void
test_no_flush(void **state)
{
	unsigned i;

	lock(API_LIMIT_LOGIN, "192.0.2.66", 5, T0);
	for (i = 0; i < 3 * SLOTS; i++)
		api_limit_fail(API_LIMIT_LOGIN, nth(i), T0 + 1000 + i);
	assert_true(api_limit_wait(API_LIMIT_LOGIN, "192.0.2.66",
	                T0 + 1000 + 3 * SLOTS) > 0);
	/* the flood's own addresses, one failure each, may still try */
	assert_int_equal(api_limit_wait(API_LIMIT_LOGIN, nth(3 * SLOTS - 1),
	                     T0 + 1000 + 3 * SLOTS),
	    0);
}

/*
 * Every slot locked: a new subject is not given one at a locked subject's
 * expense; new subjects share one limit.  Once that is spent, an address
 * that never failed must wait too; windows ending frees them all.
 */
static void
test_full_of_locked(void **state)
{
	uint64_t now = T0 + 5 * MIN_MS;
	unsigned i;

	for (i = 0; i < SLOTS; i++)
		lock(API_LIMIT_LOGIN, nth(i), 5, T0);
	/* nobody has used the shared limit: a newcomer may try */
	assert_int_equal(api_limit_wait(API_LIMIT_LOGIN, "192.0.2.1", now), 0);
	for (i = 0; i < 4; i++)
		api_limit_fail(API_LIMIT_LOGIN, nth(SLOTS + i), now);
	assert_int_equal(api_limit_wait(API_LIMIT_LOGIN, "192.0.2.1", now), 0);
	assert_int_equal(
	    api_limit_fail(API_LIMIT_LOGIN, nth(SLOTS + 4), now), 1);
	/* spent: newcomers wait, the locked stay locked */
	assert_true(api_limit_wait(API_LIMIT_LOGIN, "192.0.2.1", now) > 0);
	for (i = 0; i < SLOTS; i++)
		assert_true(api_limit_wait(API_LIMIT_LOGIN, nth(i), now) > 0);
	/* the first windows end: slots free up, newcomers get their own */
	now = T0 + 15 * MIN_MS;
	assert_int_equal(api_limit_wait(API_LIMIT_LOGIN, "192.0.2.1", now), 0);
	api_limit_fail(API_LIMIT_LOGIN, "192.0.2.1", now);
	assert_int_equal(api_limit_wait(API_LIMIT_LOGIN, "192.0.2.2", now), 0);
}

/* A new password (nyonctl user passwd) lifts an account's lock. */
static void
test_forget(void **state)
{
	lock(API_LIMIT_ACCOUNT, "admin", 20, T0);
	assert_true(api_limit_wait(API_LIMIT_ACCOUNT, "admin", T0) > 0);
	assert_int_equal(api_limit_wait(API_LIMIT_ACCOUNT, "other", T0), 0);
	api_limit_forget(API_LIMIT_ACCOUNT, "admin");
	assert_int_equal(api_limit_wait(API_LIMIT_ACCOUNT, "admin", T0), 0);
	/* 19 are allowed, the 20th locks */
	lock(API_LIMIT_ACCOUNT, "admin", 19, T0);
	assert_int_equal(api_limit_wait(API_LIMIT_ACCOUNT, "admin", T0), 0);
	assert_int_equal(api_limit_fail(API_LIMIT_ACCOUNT, "admin", T0), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_subject),
	    cmocka_unit_test_setup(test_ipv6_prefix, reset),
	    cmocka_unit_test_setup(test_window, reset),
	    cmocka_unit_test_setup(test_no_flush, reset),
	    cmocka_unit_test_setup(test_full_of_locked, reset),
	    cmocka_unit_test_setup(test_forget, reset),
	};

	log_init("test_limit", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
