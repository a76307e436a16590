/*
 * A connection's address as per-address limits count it.  One IPv4 address
 * is one host (or one NAT), but an IPv6 host is given a whole /64 and may
 * pick a new address in it for every connection, so IPv6 is counted by its
 * /64.  An IPv4 peer of a dual-stack socket (::ffff:a.b.c.d) counts as the
 * IPv4 address it is.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "nyon.h"

int
peer_key(const struct sockaddr *sa, struct peer_key *k)
{
	memset(k, 0, sizeof(*k));
	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		k->family = AF_INET;
		memcpy(k->addr, &in->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
		    (const struct sockaddr_in6 *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			k->family = AF_INET;
			memcpy(k->addr, &in6->sin6_addr.s6_addr[12], 4);
		} else {
			k->family = AF_INET6;
			memcpy(k->addr, &in6->sin6_addr, 8);
		}
		return 0;
	}
	return -1;
}

int
peer_key_cmp(const struct peer_key *a, const struct peer_key *b)
{
	return memcmp(a, b, sizeof(*a));
}

const char *
peer_key_string(const struct peer_key *k, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	uint8_t in6[16] = {0};

	if (k->family == AF_INET)
		inet_ntop(AF_INET, k->addr, buf, len);
	else if (k->family == AF_INET6) {
		memcpy(in6, k->addr, 8);
		inet_ntop(AF_INET6, in6, host, sizeof(host));
		snprintf(buf, len, "%s/64", host);
	} else
		snprintf(buf, len, "(unknown)");
	return buf;
}
