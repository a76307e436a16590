/*
 * The one UDP port every viewer's media goes through (one socket per
 * address family for a wildcard).  Datagrams are read in batches and
 * handed to session_input, which tells STUN, DTLS and SRTP apart by their
 * first byte (RFC 7983) and viewers apart by address and ICE username.
 * Sends never block: a full socket makes the viewer wait for EV_WRITE
 * while the others go on, and the socket's buffer is made large so a
 * keyframe's burst for many viewers fits.
 */
#include <sys/socket.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "rtcd.h"

#define UDP_BATCH 32
#define UDP_SNDBUF (4 * 1024 * 1024)
#define UDP_RCVBUF (1024 * 1024)

static int udp_fds[RTC_UDP_MAX];
static int udp_ports[RTC_UDP_MAX];
static int udp_families[RTC_UDP_MAX];
static struct event *udp_rev[RTC_UDP_MAX], *udp_wev[RTC_UDP_MAX];
static int udp_n;

int
udp_nsocks(void)
{
	return udp_n;
}

int
udp_port(int sock)
{
	return udp_ports[sock];
}

int
udp_family(int sock)
{
	return udp_families[sock];
}

static void
udp_read(evutil_socket_t fd, short what, void *arg)
{
	static uint8_t bufs[UDP_BATCH][RTC_DGRAM_MAX];
	struct sockaddr_storage addrs[UDP_BATCH];
	struct mmsghdr msgs[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	int sock = (int)(intptr_t)arg, n, i, rounds;

	/* a few batches, then let the timers and HTTP have a turn */
	for (rounds = 0; rounds < 8; rounds++) {
		memset(msgs, 0, sizeof(msgs));
		for (i = 0; i < UDP_BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &addrs[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(addrs[i]);
		}
		n = recvmmsg(fd, msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			if (n == -1 && errno != EAGAIN && errno != EINTR &&
			    errno != ECONNREFUSED)
				log_warn("udp recv");
			return;
		}
		for (i = 0; i < n; i++) {
			if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
				continue; /* larger than any of ours */
			session_input(sock,
			    (struct sockaddr *)msgs[i].msg_hdr.msg_name,
			    msgs[i].msg_hdr.msg_namelen, bufs[i],
			    msgs[i].msg_len);
		}
		if (n < UDP_BATCH)
			return;
	}
}

static void
udp_write(evutil_socket_t fd, short what, void *arg)
{
	session_writable();
}

void
udp_want_write(void)
{
	int i;

	for (i = 0; i < udp_n; i++)
		event_add(udp_wev[i], NULL);
}

int
udp_send(int sock, const struct sockaddr *sa, socklen_t salen, const void *p,
    size_t len)
{
	if (sock < 0 || sock >= udp_n)
		return -1;
	if (sendto(udp_fds[sock], p, len, MSG_DONTWAIT, sa, salen) != -1)
		return 0;
	if (errno == EAGAIN || errno == ENOBUFS)
		return 1;
	/* unreachable peer (ICMP), a route gone: its session times out */
	return -1;
}

int
udp_listen(void)
{
	struct listen_addr la[4];
	struct sockaddr_storage ss;
	socklen_t sslen;
	char err[256];
	int n, i, got, fds[2], k, size;

	if ((n = listen_parse(conf_str(rtcd->d.conf, "rtc_udp_listen"), la,
	         nitems(la), err, sizeof(err))) == -1)
		fatalx("rtc_udp_listen: %s", err);
	for (i = 0; i < n; i++) {
		if ((got = listen_bind(&la[i], SOCK_DGRAM, fds, 2)) == -1)
			fatal("rtc_udp_listen %s:%s",
			    la[i].host[0] ? la[i].host : "*", la[i].port);
		for (k = 0; k < got; k++) {
			if (udp_n == RTC_UDP_MAX)
				fatalx("rtc_udp_listen: too many addresses");
			size = UDP_SNDBUF;
			setsockopt(
			    fds[k], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
			size = UDP_RCVBUF;
			setsockopt(
			    fds[k], SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
			sslen = sizeof(ss);
			getsockname(fds[k], (struct sockaddr *)&ss, &sslen);
			udp_fds[udp_n] = fds[k];
			udp_families[udp_n] = ss.ss_family;
			udp_ports[udp_n] = ntohs(ss.ss_family == AF_INET
			        ? ((struct sockaddr_in *)&ss)->sin_port
			        : ((struct sockaddr_in6 *)&ss)->sin6_port);
			udp_n++;
		}
		log_info("rtc_udp_listen: media on udp %s:%s",
		    la[i].host[0] ? la[i].host : "*", la[i].port);
	}
	return udp_n;
}

/* After daemon_start made the event base. */
void
udp_start(void)
{
	int i;

	for (i = 0; i < udp_n; i++) {
		udp_rev[i] = event_new(rtcd->d.base, udp_fds[i],
		    EV_READ | EV_PERSIST, udp_read, (void *)(intptr_t)i);
		udp_wev[i] = event_new(
		    rtcd->d.base, udp_fds[i], EV_WRITE, udp_write, NULL);
		event_add(udp_rev[i], NULL);
	}
}

void
udp_close(void)
{
	int i;

	for (i = 0; i < udp_n; i++) {
		if (udp_rev[i] != NULL)
			event_free(udp_rev[i]);
		if (udp_wev[i] != NULL)
			event_free(udp_wev[i]);
		close(udp_fds[i]);
	}
	udp_n = 0;
}

/* The address a socket is bound to, numeric; "" for a wildcard. */
void
udp_local(int sock, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char tmp[80], *colon;

	buf[0] = '\0';
	if (getsockname(udp_fds[sock], (struct sockaddr *)&ss, &sslen) == -1)
		return;
	if ((ss.ss_family == AF_INET &&
	        ((struct sockaddr_in *)&ss)->sin_addr.s_addr == INADDR_ANY) ||
	    (ss.ss_family == AF_INET6 &&
	        IN6_IS_ADDR_UNSPECIFIED(
	            &((struct sockaddr_in6 *)&ss)->sin6_addr)))
		return;
	addr_string(&ss, tmp, sizeof(tmp));
	/* "1.2.3.4:5" or "[::1]:5" without the port */
	if ((colon = strrchr(tmp, ':')) != NULL)
		*colon = '\0';
	if (tmp[0] == '[') {
		tmp[strlen(tmp) - 1] = '\0';
		strlcpy(buf, tmp + 1, len);
	} else
		strlcpy(buf, tmp, len);
}
