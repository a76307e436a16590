/*
 * Control sockets: SOCK_SEQPACKET Unix sockets carrying one JSON object per
 * packet, with optional descriptors beside it (SCM_RIGHTS).  One packet is
 * one message, so a message is never half read.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "nyon.h"

struct ctl_peer {
	TAILQ_ENTRY(ctl_peer) entry;
	struct ctl_server *server;
	struct event *ev;
	int fd;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	void *data;
	int dispatching; /* inside the handler: defer the close */
	int dead;
};

struct ctl_server {
	struct event_base *base;
	struct event *ev;
	struct event *resume; /* re-enables accept after EMFILE */
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ctl_handler handler;
	ctl_closed closed;
	void *arg;
	TAILQ_HEAD(, ctl_peer) peers;
};

static int
ctl_sockaddr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlcpy(sun->sun_path, path, sizeof(sun->sun_path)) >=
	    sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
ctl_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd, saved;

	if (ctl_sockaddr(path, &sun) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
ctl_send(int fd, const char *json, size_t len, const int *fds, int nfds)
{
	struct msghdr msg;
	struct iovec iov;
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * CTL_FDS_MAX)];
	} cmsgbuf;
	struct cmsghdr *cmsg;

	if (len > CTL_MSG_MAX || nfds < 0 || nfds > CTL_FDS_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)json;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (nfds > 0) {
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
	}
	for (;;) {
		if (sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) != -1)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

int
ctl_send_gen(int fd, yajl_gen g, const int *fds, int nfds)
{
	const unsigned char *buf;
	size_t len;

	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
		errno = EINVAL;
		return -1;
	}
	return ctl_send(fd, (const char *)buf, len, fds, nfds);
}

void
ctl_msg_free(struct ctl_msg *m)
{
	int i;

	if (m->root != NULL)
		yajl_tree_free(m->root);
	for (i = 0; i < m->nfds; i++)
		if (m->fds[i] != -1)
			close(m->fds[i]);
	memset(m, 0, sizeof(*m));
	m->nfds = 0;
}

int
ctl_recv(int fd, struct ctl_msg *m, char *err, size_t errlen)
{
	static char buf[CTL_MSG_MAX];
	struct msghdr msg;
	struct iovec iov;
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * CTL_FDS_MAX)];
	} cmsgbuf;
	struct cmsghdr *cmsg;
	ssize_t n;
	int i, nfds;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < CTL_FDS_MAX; i++)
		m->fds[i] = -1;
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = CTL_MSG_MAX;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);
	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		snprintf(err, errlen, "recvmsg: %s", strerror(errno));
		return -1;
	}
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL;
	     cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfds; i++) {
			int rfd;

			memcpy(&rfd, CMSG_DATA(cmsg) + i * sizeof(int),
			    sizeof(int));
			if (m->nfds < CTL_FDS_MAX)
				m->fds[m->nfds++] = rfd;
			else
				close(rfd);
		}
	}
	if (n == 0 && m->nfds == 0)
		return 0;
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		snprintf(err, errlen, "message too large");
		ctl_msg_free(m);
		return -2;
	}
	if ((m->root = json_parse(buf, (size_t)n, err, errlen)) == NULL) {
		ctl_msg_free(m);
		return -2;
	}
	if (!YAJL_IS_OBJECT(m->root)) {
		snprintf(err, errlen, "message is not a JSON object");
		ctl_msg_free(m);
		return -2;
	}
	m->op = json_get_str(m->root, "op");
	return 1;
}

static yajl_gen
ctl_gen(void)
{
	yajl_gen g;

	g = json_gen();
	yajl_gen_map_open(g);
	json_int(g, "v", NYON_PROTO_VERSION);
	return g;
}

yajl_gen
ctl_reply_begin(void)
{
	yajl_gen g = ctl_gen();

	json_bool(g, "ok", 1);
	return g;
}

yajl_gen
ctl_error_begin(const char *msg)
{
	yajl_gen g = ctl_gen();

	json_bool(g, "ok", 0);
	json_str(g, "error", msg);
	return g;
}

yajl_gen
ctl_msg_begin(const char *op)
{
	yajl_gen g = ctl_gen();

	json_str(g, "op", op);
	return g;
}

int
ctl_call(const char *path, yajl_gen req, struct ctl_msg *reply, int timeout_ms,
    char *err, size_t errlen)
{
	struct pollfd pfd;
	int fd, r;

	memset(reply, 0, sizeof(*reply));
	if ((fd = ctl_connect(path)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (ctl_send_gen(fd, req, NULL, 0) == -1) {
		snprintf(err, errlen, "%s: send: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	while ((r = poll(&pfd, 1, timeout_ms)) == -1 && errno == EINTR)
		;
	if (r <= 0) {
		snprintf(err, errlen, "%s: no answer within %d ms", path,
		    timeout_ms);
		close(fd);
		return -1;
	}
	r = ctl_recv(fd, reply, err, errlen);
	close(fd);
	if (r == 0)
		snprintf(err, errlen, "%s: closed without answering", path);
	return r == 1 ? 0 : -1;
}

/* Server side. */

static void
ctl_peer_free(struct ctl_peer *p)
{
	struct ctl_server *s = p->server;

	TAILQ_REMOVE(&s->peers, p, entry);
	event_free(p->ev);
	close(p->fd);
	free(p);
}

void
ctl_peer_close(struct ctl_peer *p)
{
	if (p->dead)
		return;
	p->dead = 1;
	if (p->server->closed != NULL)
		p->server->closed(p, p->server->arg);
	if (!p->dispatching)
		ctl_peer_free(p);
}

static void
ctl_peer_read(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_peer *p = arg;
	struct ctl_msg m;
	char err[256];
	long long v;
	int r;

	r = ctl_recv(fd, &m, err, sizeof(err));
	if (r == 0 || r == -1) {
		ctl_peer_close(p);
		return;
	}
	if (r == -2) {
		log_warnx("control peer pid %ld: %s", (long)p->pid, err);
		ctl_peer_error(p, "%s", err);
		return;
	}
	if (json_get_int(m.root, "v", &v) == -1 || v != NYON_PROTO_VERSION) {
		ctl_peer_error(p, "protocol version not supported (want %d)",
		    NYON_PROTO_VERSION);
	} else if (m.op == NULL) {
		ctl_peer_error(p, "message has no op");
	} else {
		p->dispatching = 1;
		p->server->handler(p, &m, p->server->arg);
		p->dispatching = 0;
	}
	ctl_msg_free(&m);
	if (p->dead)
		ctl_peer_free(p);
}

static void
ctl_resume(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_server *s = arg;

	event_add(s->ev, NULL);
}

static void
ctl_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct ctl_server *s = arg;
	struct ctl_peer *p;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct timeval tv = {1, 0};
	int fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1) {
		if (errno == EMFILE || errno == ENFILE) {
			/* Out of descriptors: pause rather than spin. */
			log_warn("control accept");
			event_del(s->ev);
			evtimer_add(s->resume, &tv);
		} else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("control accept");
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("control: SO_PEERCRED");
		close(fd);
		return;
	}
	if (cred.uid != 0 && cred.uid != geteuid() && cred.gid != getegid()) {
		log_warnx("control: refused peer uid %ld pid %ld",
		    (long)cred.uid, (long)cred.pid);
		close(fd);
		return;
	}
	p = xcalloc(1, sizeof(*p));
	p->server = s;
	p->fd = fd;
	p->uid = cred.uid;
	p->gid = cred.gid;
	p->pid = cred.pid;
	p->ev = event_new(s->base, fd, EV_READ | EV_PERSIST, ctl_peer_read, p);
	event_add(p->ev, NULL);
	TAILQ_INSERT_TAIL(&s->peers, p, entry);
}

struct ctl_server *
ctl_server_new(struct event_base *base, const char *path, ctl_handler handler,
    ctl_closed closed, void *arg, char *err, size_t errlen)
{
	struct ctl_server *s;
	struct sockaddr_un sun;
	mode_t old;
	int fd;

	if (ctl_sockaddr(path, &sun) == -1) {
		snprintf(err, errlen, "%s: path too long", path);
		return NULL;
	}
	/* A socket we can connect to belongs to a live daemon: leave it. */
	if ((fd = ctl_connect(path)) != -1) {
		close(fd);
		snprintf(err, errlen, "%s: in use by a running daemon", path);
		return NULL;
	}
	if (errno == ECONNREFUSED && unlink(path) == -1) {
		snprintf(err, errlen, "%s: removing stale socket: %s", path,
		    strerror(errno));
		return NULL;
	}
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
	         0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return NULL;
	}
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		snprintf(err, errlen, "%s: bind: %s", path, strerror(errno));
		umask(old);
		close(fd);
		return NULL;
	}
	umask(old);
	if (listen(fd, 16) == -1) {
		snprintf(err, errlen, "%s: listen: %s", path, strerror(errno));
		unlink(path);
		close(fd);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->base = base;
	s->fd = fd;
	strlcpy(s->path, path, sizeof(s->path));
	s->handler = handler;
	s->closed = closed;
	s->arg = arg;
	TAILQ_INIT(&s->peers);
	s->ev = event_new(base, fd, EV_READ | EV_PERSIST, ctl_accept, s);
	s->resume = evtimer_new(base, ctl_resume, s);
	event_add(s->ev, NULL);
	return s;
}

void
ctl_server_free(struct ctl_server *s)
{
	struct ctl_peer *p;

	if (s == NULL)
		return;
	while ((p = TAILQ_FIRST(&s->peers)) != NULL) {
		p->dead = 1;
		ctl_peer_free(p);
	}
	event_free(s->ev);
	event_free(s->resume);
	close(s->fd);
	unlink(s->path);
	free(s);
}

int
ctl_peer_send(struct ctl_peer *p, yajl_gen g, const int *fds, int nfds)
{
	if (p->dead)
		return -1;
	if (ctl_send_gen(p->fd, g, fds, nfds) == -1) {
		log_warn("control peer pid %ld: send", (long)p->pid);
		return -1;
	}
	return 0;
}

int
ctl_reply_end(struct ctl_peer *p, yajl_gen g)
{
	int r;

	yajl_gen_map_close(g);
	r = ctl_peer_send(p, g, NULL, 0);
	yajl_gen_free(g);
	return r;
}

void
ctl_peer_error(struct ctl_peer *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctl_reply_end(p, ctl_error_begin(msg));
}

uid_t
ctl_peer_uid(const struct ctl_peer *p)
{
	return p->uid;
}

pid_t
ctl_peer_pid(const struct ctl_peer *p)
{
	return p->pid;
}

void
ctl_peer_set_data(struct ctl_peer *p, void *data)
{
	p->data = data;
}

void *
ctl_peer_data(const struct ctl_peer *p)
{
	return p->data;
}
