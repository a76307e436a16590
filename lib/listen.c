/*
 * Listen addresses: "HOST:PORT", "[V6]:PORT", "*:PORT" or "PORT", several
 * separated by spaces or commas.  The wildcard binds IPv4 and IPv6 apart
 * (IPV6_V6ONLY), so a box without IPv6 still listens on IPv4.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "nyon.h"

static int
listen_parse_one(
    const char *tok, struct listen_addr *la, char *err, size_t errlen)
{
	char buf[128], *port, *host;
	const char *errstr;
	unsigned char tmp[sizeof(struct in6_addr)];

	memset(la, 0, sizeof(*la));
	if (strlcpy(buf, tok, sizeof(buf)) >= sizeof(buf)) {
		snprintf(err, errlen, "address too long");
		return -1;
	}
	if (buf[0] == '[') {
		host = buf + 1;
		if ((port = strchr(host, ']')) == NULL || port[1] != ':') {
			snprintf(
			    err, errlen, "'%s': expected [ADDRESS]:PORT", tok);
			return -1;
		}
		*port = '\0';
		port += 2;
		la->family = AF_INET6;
	} else if ((port = strrchr(buf, ':')) != NULL) {
		*port++ = '\0';
		host = buf;
		la->family = AF_INET;
	} else {
		port = buf;
		host = "*";
	}
	if (strcmp(host, "*") == 0 ||
	    (la->family == AF_INET6 && *host == '\0')) {
		host = "";
		la->family = la->family == AF_INET6 ? AF_INET6 : AF_UNSPEC;
	} else if (la->family == AF_INET6) {
		if (inet_pton(AF_INET6, host, tmp) != 1) {
			snprintf(
			    err, errlen, "'%s': not an IPv6 address", host);
			return -1;
		}
	} else if (strcmp(host, "localhost") == 0) {
		host = "127.0.0.1";
	} else if (inet_pton(AF_INET, host, tmp) != 1) {
		snprintf(err, errlen, "'%s': not an IPv4 address", host);
		return -1;
	}
	strtonum(port, 1, 65535, &errstr);
	if (errstr != NULL) {
		snprintf(err, errlen, "'%s': port %s", port, errstr);
		return -1;
	}
	strlcpy(la->host, host, sizeof(la->host));
	strlcpy(la->port, port, sizeof(la->port));
	return 0;
}

int
listen_parse(const char *spec, struct listen_addr *out, size_t max, char *err,
    size_t errlen)
{
	char buf[512], *tok, *save = NULL;
	size_t n = 0;

	if (strlcpy(buf, spec, sizeof(buf)) >= sizeof(buf)) {
		snprintf(err, errlen, "too long");
		return -1;
	}
	for (tok = strtok_r(buf, " \t,", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t,", &save)) {
		if (n == max) {
			snprintf(err, errlen, "more than %zu addresses", max);
			return -1;
		}
		if (listen_parse_one(tok, &out[n], err, errlen) == -1)
			return -1;
		n++;
	}
	if (n == 0) {
		snprintf(err, errlen, "no address");
		return -1;
	}
	return (int)n;
}

static int
listen_bind_one(
    int family, const char *host, const char *port, int socktype, int *fdp)
{
	struct addrinfo hints, *res;
	int fd, on = 1, e, saved, defer = LISTEN_DEFER_S;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = socktype;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	if ((e = getaddrinfo(*host ? host : NULL, port, &hints, &res)) != 0) {
		log_warnx("listen %s:%s: %s", host, port, gai_strerror(e));
		errno = EINVAL;
		return -1;
	}
	fd = socket(
	    res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (res->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, res->ai_addr, res->ai_addrlen) == -1)
		goto fail;
	if (socktype == SOCK_STREAM && listen(fd, SOMAXCONN) == -1)
		goto fail;
	/*
	 * Every client of ours speaks first (an RTMP C0/C1, an HTTP request):
	 * the kernel keeps a connection that has sent nothing out of the
	 * accept queue for a while, so idle sockets cost the daemon nothing
	 * and a crowd arrives with its requests in hand.
	 */
	if (socktype == SOCK_STREAM)
		setsockopt(
		    fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof(defer));
	freeaddrinfo(res);
	*fdp = fd;
	return 0;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	freeaddrinfo(res);
	errno = saved;
	return -1;
}

/*
 * Binds la; returns the number of sockets (1, or 2 for the wildcard),
 * or -1 with errno.  A wildcard whose IPv6 half fails still counts.
 */
int
listen_bind(const struct listen_addr *la, int socktype, int *fds, size_t maxfds)
{
	if (maxfds < 2) {
		errno = EINVAL;
		return -1;
	}
	if (la->family != AF_UNSPEC)
		return listen_bind_one(la->family, la->host, la->port, socktype,
		           &fds[0]) == -1
		    ? -1
		    : 1;
	if (listen_bind_one(AF_INET, "", la->port, socktype, &fds[0]) == -1)
		return -1;
	if (listen_bind_one(AF_INET6, "", la->port, socktype, &fds[1]) == -1) {
		if (errno != EAFNOSUPPORT && errno != EADDRNOTAVAIL) {
			int saved = errno;

			close(fds[0]);
			errno = saved;
			return -1;
		}
		log_info("no IPv6 on this host; listening on IPv4 only");
		return 1;
	}
	return 2;
}

const char *
addr_string(const void *sa, char *buf, size_t len)
{
	const struct sockaddr *s = sa;
	char host[INET6_ADDRSTRLEN];

	if (s->sa_family == AF_INET) {
		const struct sockaddr_in *in = sa;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(in->sin_port));
	} else if (s->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = sa;

		/* an IPv4 peer of a dual-stack socket is shown as IPv4 */
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], host,
			    sizeof(host));
			snprintf(
			    buf, len, "%s:%u", host, ntohs(in6->sin6_port));
		} else {
			inet_ntop(
			    AF_INET6, &in6->sin6_addr, host, sizeof(host));
			snprintf(
			    buf, len, "[%s]:%u", host, ntohs(in6->sin6_port));
		}
	} else
		snprintf(buf, len, "(unknown)");
	return buf;
}

/*
 * Binds every address of the config key (a CONF_LISTEN, e.g. "flv_listen")
 * as TCP listeners, fatal on failure (a daemon that cannot listen is of no
 * use).  Fills fds, returns how many.
 */
int
listen_conf(const struct conf *c, const char *key, int *fds, size_t maxfds)
{
	struct listen_addr la[8];
	char err[256];
	size_t nfds = 0;
	int n, i, got;

	if (*conf_str(c, key) == '\0')
		return 0; /* off */
	if ((n = listen_parse(
	         conf_str(c, key), la, nitems(la), err, sizeof(err))) == -1)
		fatalx("%s: %s", key, err);
	for (i = 0; i < n; i++) {
		if (maxfds - nfds < 2)
			fatalx("%s: too many addresses", key);
		if ((got = listen_bind(
		         &la[i], SOCK_STREAM, fds + nfds, maxfds - nfds)) == -1)
			fatal("%s %s:%s", key, la[i].host[0] ? la[i].host : "*",
			    la[i].port);
		nfds += got;
		log_info("%s: listening on %s:%s", key,
		    la[i].host[0] ? la[i].host : "*", la[i].port);
	}
	return (int)nfds;
}

static void
listen_resume(evutil_socket_t fd, short what, void *arg)
{
	evconnlistener_enable(arg);
}

/* Out of descriptors: pause accepting for a second rather than spin. */
static void
listen_accept_error(struct evconnlistener *l, void *arg)
{
	struct timeval tv = {1, 0};

	log_warn("accept");
	if (errno == EMFILE || errno == ENFILE) {
		evconnlistener_disable(l);
		event_base_once(evconnlistener_get_base(l), -1, EV_TIMEOUT,
		    listen_resume, l, &tv);
	}
}

struct evconnlistener *
listen_evconn(struct event_base *base, int fd, evconnlistener_cb cb, void *arg)
{
	struct evconnlistener *l;

	/* backlog 0: fd is listening already, with SOMAXCONN */
	if ((l = evconnlistener_new(base, cb, arg,
	         LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd)) == NULL)
		fatalx("evconnlistener_new");
	evconnlistener_set_error_cb(l, listen_accept_error);
	return l;
}
