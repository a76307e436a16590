/*
 * Per-address counting: what one address is (lib/peer.c: IPv4 whole, IPv6
 * by its /64, IPv4-mapped IPv6 as IPv4) and flvd's table of connections
 * per address (flvd/peers.c).
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "flvd.h"

static struct sockaddr_storage ss;

static const struct sockaddr *
v4(const char *a, int port)
{
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, a, &in->sin_addr), 1);
	return (struct sockaddr *)&ss;
}

static const struct sockaddr *
v6(const char *a, int port)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, a, &in6->sin6_addr), 1);
	return (struct sockaddr *)&ss;
}

static struct peer_key
key(const struct sockaddr *sa)
{
	struct peer_key k;

	assert_int_equal(peer_key(sa, &k), 0);
	return k;
}

static int
same(struct peer_key a, struct peer_key b)
{
	return peer_key_cmp(&a, &b) == 0;
}

static const char *
text(struct peer_key k)
{
	static char buf[64];

	return peer_key_string(&k, buf, sizeof(buf));
}

static void
test_ipv4(void **state)
{
	/* the port is not part of the address */
	assert_true(same(key(v4("192.0.2.7", 1000)), key(v4("192.0.2.7", 2))));
	assert_false(same(key(v4("192.0.2.7", 1)), key(v4("192.0.2.8", 1))));
	/* nor is any prefix: each IPv4 address is one */
	assert_false(same(key(v4("10.0.0.1", 1)), key(v4("10.0.1.1", 1))));
	assert_string_equal(text(key(v4("192.0.2.7", 80))), "192.0.2.7");
}

static void
test_ipv6_by_64(void **state)
{
	/* a host picks any address in its /64: all count as one */
	assert_true(same(key(v6("2001:db8:1:2::1", 1)),
	    key(v6("2001:db8:1:2:ffff:ffff:ffff:ffff", 9))));
	assert_true(same(key(v6("2001:db8:1:2:aaaa::1", 1)),
	    key(v6("2001:db8:1:2:bbbb::2", 1))));
	/* the next /64 is another subscriber */
	assert_false(
	    same(key(v6("2001:db8:1:2::1", 1)), key(v6("2001:db8:1:3::1", 1))));
	assert_false(
	    same(key(v6("2001:db8::1", 1)), key(v6("2002:db8::1", 1))));
	assert_string_equal(
	    text(key(v6("2001:db8:1:2:3:4:5:6", 1))), "2001:db8:1:2::/64");
	assert_string_equal(text(key(v6("::1", 1))), "::/64");
}

static void
test_v4_mapped(void **state)
{
	/* a dual-stack socket's IPv4 peer is that IPv4 address */
	assert_true(
	    same(key(v6("::ffff:192.0.2.7", 5)), key(v4("192.0.2.7", 6))));
	assert_false(
	    same(key(v6("::ffff:192.0.2.7", 5)), key(v4("192.0.2.8", 6))));
	assert_string_equal(text(key(v6("::ffff:192.0.2.7", 5))), "192.0.2.7");
	/* and an IPv4 address never equals an IPv6 /64 of the same bits */
	assert_false(same(key(v4("0.0.0.0", 1)), key(v6("::", 1))));
	assert_false(same(key(v4("32.1.13.184", 1)), key(v6("2001:db8::", 1))));
}

static void
test_not_ip(void **state)
{
	struct sockaddr_storage un;
	struct peer_key k;

	memset(&un, 0, sizeof(un));
	un.ss_family = AF_UNIX;
	assert_int_equal(peer_key((struct sockaddr *)&un, &k), -1);
	assert_int_equal(k.family, 0);
	assert_int_equal(peer_key(NULL, &k), -1);
}

static void
test_peers_table(void **state)
{
	struct peer *a, *b, *c, *d;

	a = peers_get(v6("2001:db8:1:2::1", 1));
	b = peers_get(v6("2001:db8:1:2::99", 2));
	c = peers_get(v4("192.0.2.7", 3));
	d = peers_get(v6("::ffff:192.0.2.7", 4));
	assert_ptr_equal(a, b);
	assert_ptr_equal(c, d);
	assert_ptr_not_equal(a, c);
	assert_int_equal(a->conns, 2);
	assert_int_equal(c->conns, 2);
	assert_string_equal(a->name, "2001:db8:1:2::/64");
	a->idle = 2;
	peers_put(b);
	/* still there, with what was counted */
	b = peers_get(v6("2001:db8:1:2::5", 5));
	assert_ptr_equal(a, b);
	assert_int_equal(a->idle, 2);
	assert_int_equal(a->conns, 2);
	peers_put(a);
	peers_put(b);
	peers_put(c);
	peers_put(d);
	/* the last connection gone, the address starts from nothing */
	a = peers_get(v6("2001:db8:1:2::1", 1));
	assert_int_equal(a->conns, 1);
	assert_int_equal(a->idle, 0);
	peers_put(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ipv4),
	    cmocka_unit_test(test_ipv6_by_64),
	    cmocka_unit_test(test_v4_mapped),
	    cmocka_unit_test(test_not_ip),
	    cmocka_unit_test(test_peers_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
