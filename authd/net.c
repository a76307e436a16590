/*
 * The box's LAN address, for the URLs operators hand to OBS and viewers.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>

#include "authd.h"

void
net_lan_ip(char *buf, size_t len)
{
	struct ifaddrs *ifa, *i;
	const struct sockaddr_in *in;

	buf[0] = '\0';
	if (getifaddrs(&ifa) == -1)
		return;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
		    !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		in = (const struct sockaddr_in *)i->ifa_addr;
		inet_ntop(AF_INET, &in->sin_addr, buf, len);
		break;
	}
	freeifaddrs(ifa);
}
