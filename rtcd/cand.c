/*
 * The host candidates an answer offers (ICE-lite has no other kind):
 * rtc_ips when the operator names the addresses (a public address that
 * a router forwards the UDP port from, the Pi's LAN address); else the
 * address each UDP socket is bound to, or for a wildcard every address
 * of the host's interfaces that are up (loopback only when there is
 * nothing else).  All on the one UDP port.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "rtcd.h"

static int
cand_add(char out[][64], int n, int max, const char *ip, int port)
{
	char c[64];
	int i;

	if (n >= max)
		return n;
	snprintf(c, sizeof(c), "%s %d", ip, port);
	for (i = 0; i < n; i++)
		if (strcmp(out[i], c) == 0)
			return n;
	strlcpy(out[n], c, 64);
	return n + 1;
}

/* Every up interface address of family; loopback ones when loop. */
static int
cand_interfaces(char out[][64], int n, int max, int family, int port, int loop)
{
	struct ifaddrs *ifa, *i;
	char ip[INET6_ADDRSTRLEN];
	const void *a;

	if (getifaddrs(&ifa) == -1)
		return n;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != family ||
		    !(i->ifa_flags & IFF_UP) ||
		    !!(i->ifa_flags & IFF_LOOPBACK) != loop)
			continue;
		if (family == AF_INET)
			a = &((struct sockaddr_in *)i->ifa_addr)->sin_addr;
		else {
			a = &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
			if (IN6_IS_ADDR_LINKLOCAL((const struct in6_addr *)a))
				continue;
		}
		if (inet_ntop(family, a, ip, sizeof(ip)) != NULL)
			n = cand_add(out, n, max, ip, port);
	}
	freeifaddrs(ifa);
	return n;
}

int
cand_list(char out[][64], int max)
{
	const char *list = conf_str(rtcd->d.conf, "rtc_ips");
	char ip[INET6_ADDRSTRLEN], buf[INET6_ADDRSTRLEN];
	uint8_t bin[16];
	int n = 0, i, k, before, fam;
	size_t len;

	for (; *list != '\0'; list += len) {
		list += strspn(list, " ,\t");
		len = strcspn(list, " ,\t");
		if (len == 0 || len >= sizeof(ip))
			continue;
		memcpy(ip, list, len);
		ip[len] = '\0';
		fam = strchr(ip, ':') ? AF_INET6 : AF_INET;
		/* conf_check_ips refused anything else at start */
		if (inet_pton(fam, ip, bin) != 1)
			continue;
		for (k = 0; k < udp_nsocks(); k++)
			if (udp_family(k) == fam)
				break;
		if (k < udp_nsocks())
			n = cand_add(out, n, max, ip, udp_port(k));
	}
	if (n > 0)
		return n;
	for (i = 0; i < udp_nsocks(); i++) {
		udp_local(i, buf, sizeof(buf));
		if (buf[0] != '\0') {
			n = cand_add(out, n, max, buf, udp_port(i));
			continue;
		}
		before = n;
		n = cand_interfaces(out, n, max, udp_family(i), udp_port(i), 0);
		if (n == before)
			n = cand_interfaces(
			    out, n, max, udp_family(i), udp_port(i), 1);
	}
	return n;
}

/* rtc_ips must be numeric addresses: a name would need DNS per answer. */
int
cand_check(const char *list, char *err, size_t errlen)
{
	char ip[INET6_ADDRSTRLEN];
	uint8_t bin[16];
	size_t len;

	for (; *list != '\0'; list += len) {
		list += strspn(list, " ,\t");
		len = strcspn(list, " ,\t");
		if (len == 0)
			continue;
		if (len >= sizeof(ip)) {
			snprintf(err, errlen, "rtc_ips: an address too long");
			return -1;
		}
		memcpy(ip, list, len);
		ip[len] = '\0';
		if (inet_pton(strchr(ip, ':') ? AF_INET6 : AF_INET, ip, bin) !=
		    1) {
			snprintf(err, errlen,
			    "rtc_ips: '%s' is not a numeric IP address", ip);
			return -1;
		}
	}
	return 0;
}
