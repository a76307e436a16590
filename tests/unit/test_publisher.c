/*
 * Publisher slots per address (issue 13): one host must not take them all.
 * IPv4 addresses and IPv6 /64s, max_publishers, max_pending_per_ip and
 * max_publishers_per_ip, with auth = none so no authd is asked.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ingestd.h"

struct ingestd *ingestd;
static struct ingestd state;
static char done_name[64], done_why[256];
static int ndone;

static void
use_conf(const char *text)
{
	char err[256];

	conf_free(state.d.conf);
	memset(&state, 0, sizeof(state));
	TAILQ_INIT(&state.publishers);
	TAILQ_INIT(&state.streams);
	if ((state.d.conf = conf_parse("test.conf", text, err, sizeof(err))) ==
	    NULL)
		fail_msg("%s", err);
	ingestd = &state;
}

static void
free_all(void)
{
	struct publisher *p;

	while ((p = TAILQ_FIRST(&state.publishers)) != NULL)
		publisher_free(p);
}

static const struct sockaddr *
addr(const char *ip, int port)
{
	static struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
	} else {
		assert_int_equal(inet_pton(AF_INET6, ip, &sin6->sin6_addr), 1);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
	}
	return (const struct sockaddr *)&ss;
}

static struct publisher *
admitted(const char *ip, int port)
{
	char why[160] = "";
	struct publisher *p = publisher_new("rtmp", addr(ip, port), why, 160);

	if (p == NULL)
		fail_msg("%s refused: %s", ip, why);
	return p;
}

/* ip refused, with a reason that contains want. */
static void
refused(const char *ip, const char *want)
{
	char why[160] = "";

	assert_int_equal(publisher_admit(addr(ip, 1), why, sizeof(why)), -1);
	if (strstr(why, want) == NULL)
		fail_msg("publisher_admit: '%s' lacks '%s'", why, want);
	why[0] = '\0';
	assert_null(publisher_new("rtmp", addr(ip, 1), why, sizeof(why)));
	if (strstr(why, want) == NULL)
		fail_msg("publisher_new: '%s' lacks '%s'", why, want);
}

static void
done(struct publisher *p, const char *name, uint64_t kbps, const char *why)
{
	ndone++;
	snprintf(done_name, sizeof(done_name), "%s", name ? name : "");
	snprintf(done_why, sizeof(done_why), "%s", why ? why : "");
}

static void
test_pending_per_address(void **st)
{
	char why[160];

	use_conf("auth = none\nmax_pending_per_ip = 2\n");
	admitted("127.0.0.2", 1000);
	/* the same address, mapped into IPv6 by a dual-stack socket */
	admitted("::ffff:127.0.0.2", 2000);
	refused("127.0.0.2",
	    "connections not yet authorised from 127.0.0.2: 2 "
	    "(max_pending_per_ip)");
	refused("::ffff:127.0.0.2", "from 127.0.0.2: 2");
	/* other addresses are not affected */
	admitted("127.0.0.3", 1000);
	assert_int_equal(publisher_admit(addr("127.0.0.4", 1), why, 160), 0);

	/* IPv6: one /64 is one address */
	admitted("2001:db8:1:2::5", 1);
	admitted("2001:db8:1:2:ffff:ffff:ffff:1", 1);
	refused("2001:db8:1:2::9", "from 2001:db8:1:2::/64: 2 ");
	admitted("2001:db8:1:3::1", 1);
	admitted("2001:db8:1:3::2", 1);
	assert_int_equal(state.npublishers, 7);
	free_all();
	assert_int_equal(state.npublishers, 0);
	admitted("127.0.0.2", 1000);
	free_all();
}

static void
test_max_publishers(void **st)
{
	struct publisher *p;

	use_conf("auth = none\nmax_publishers = 3\n");
	p = admitted("10.0.0.1", 1);
	admitted("10.0.0.2", 1);
	admitted("10.0.0.3", 1);
	refused("10.0.0.4", "max_publishers reached (3 connections)");
	publisher_free(p);
	admitted("10.0.0.4", 1);
	free_all();
}

/* An authorised publish leaves the pending pool for the publishing one. */
static void
test_publishing_per_address(void **st)
{
	struct publisher *p1, *p2, *p3;

	use_conf("auth = none\nmax_pending_per_ip = 1\n"
	         "max_publishers_per_ip = 2\n");
	p1 = admitted("10.0.0.1", 1);
	refused("10.0.0.1", "not yet authorised from 10.0.0.1: 1 ");
	publisher_authorise(p1, "cam1", done);
	assert_int_equal(ndone, 1);
	assert_string_equal(done_name, "cam1");
	assert_int_equal(p1->pending, 0);
	p2 = admitted("10.0.0.1", 2);
	publisher_authorise(p2, "cam2", done);
	assert_string_equal(done_name, "cam2");
	p3 = admitted("10.0.0.1", 3);
	publisher_authorise(p3, "cam3", done);
	assert_int_equal(ndone, 3);
	assert_string_equal(done_name, "");
	assert_non_null(strstr(done_why,
	    "publishing connections from 10.0.0.1: 2 (max_publishers_per_ip)"));
	assert_int_equal(p3->pending, 1);
	/* another address publishes all the same */
	p3 = admitted("10.0.0.2", 1);
	publisher_authorise(p3, "cam4", done);
	assert_string_equal(done_name, "cam4");
	/* a refused key does not leave the pending pool */
	p3 = admitted("10.0.0.3", 1);
	publisher_authorise(p3, "bad/name", done);
	assert_string_equal(done_name, "");
	refused("10.0.0.3", "max_pending_per_ip");
	publisher_free(p1);
	publisher_free(p2);
	free_all();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pending_per_address),
	    cmocka_unit_test(test_max_publishers),
	    cmocka_unit_test(test_publishing_per_address),
	};
	int rv = cmocka_run_group_tests(tests, NULL, NULL);

	conf_free(state.d.conf);
	return rv;
}
