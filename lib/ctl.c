/*
 * Control sockets: SOCK_SEQPACKET Unix sockets carrying one JSON object per
 * packet, with optional descriptors beside it (SCM_RIGHTS).  One packet is
 * one message, so a message is never half read.  This file has the wire
 * (send, receive, the blocking call nyonctl makes) and the outgoing queue
 * both ends of a daemon's connections use (ctl_chan); ctl_server.c and
 * ctl_client.c build on it.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "nyon.h"
#include "ctl_chan.h"

int
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
ctl_msg_begin(enum ctl_op op)
{
	yajl_gen g = ctl_gen();

	json_str(g, "op", ctl_op_name(op));
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

/*
 * The outgoing queue.  A message goes out at once when nothing is queued
 * and the socket takes it; otherwise it waits, its descriptors duplicated,
 * until the socket is writable.  Order is kept.
 */
struct ctl_out {
	TAILQ_ENTRY(ctl_out) entry;
	size_t len;
	int nfds;
	int fds[CTL_FDS_MAX];
	char data[];
};

static void ctl_chan_writable(evutil_socket_t, short, void *);

void
ctl_chan_init(struct ctl_chan *ch, struct event_base *base, int fd,
    void (*failed)(struct ctl_chan *, void *), void *arg)
{
	memset(ch, 0, sizeof(*ch));
	TAILQ_INIT(&ch->outq);
	ch->fd = fd;
	ch->failed = failed;
	ch->arg = arg;
	if ((ch->wev = event_new(base, fd, EV_WRITE, ctl_chan_writable, ch)) ==
	    NULL)
		fatalx("ctl_chan_init: event_new");
}

static void
ctl_out_free(struct ctl_out *o)
{
	int i;

	for (i = 0; i < o->nfds; i++)
		close(o->fds[i]);
	free(o);
}

void
ctl_chan_clear(struct ctl_chan *ch)
{
	struct ctl_out *o;

	while ((o = TAILQ_FIRST(&ch->outq)) != NULL) {
		TAILQ_REMOVE(&ch->outq, o, entry);
		ctl_out_free(o);
	}
	ch->queued = 0;
	if (ch->wev != NULL)
		event_free(ch->wev);
	ch->wev = NULL;
}

/* Writes what the socket takes: 0, or -1 on a socket error. */
static int
ctl_chan_flush(struct ctl_chan *ch)
{
	struct ctl_out *o;

	while ((o = TAILQ_FIRST(&ch->outq)) != NULL) {
		if (ctl_send(ch->fd, o->data, o->len, o->fds, o->nfds) == -1) {
			if (errno == EAGAIN || errno == ENOBUFS)
				break;
			return -1;
		}
		TAILQ_REMOVE(&ch->outq, o, entry);
		ch->queued -= o->len;
		ctl_out_free(o);
	}
	if (!TAILQ_EMPTY(&ch->outq) && !event_pending(ch->wev, EV_WRITE, NULL))
		event_add(ch->wev, NULL);
	return 0;
}

static void
ctl_chan_writable(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_chan *ch = arg;

	if (ctl_chan_flush(ch) == -1 && ch->failed != NULL)
		ch->failed(ch, ch->arg);
}

int
ctl_chan_send(
    struct ctl_chan *ch, const char *buf, size_t len, const int *fds, int nfds)
{
	struct ctl_out *o;
	int i;

	if (len > CTL_MSG_MAX || nfds < 0 || nfds > CTL_FDS_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if (TAILQ_EMPTY(&ch->outq)) {
		if (ctl_send(ch->fd, buf, len, fds, nfds) == 0)
			return 0;
		if (errno != EAGAIN && errno != ENOBUFS)
			return -1;
	}
	/* the peer has stopped reading: it gets no more of our memory */
	if (ch->queued + len > CTL_QUEUE_MAX) {
		errno = ENOBUFS;
		return -1;
	}
	o = xmalloc(sizeof(*o) + len);
	o->len = len;
	memcpy(o->data, buf, len);
	for (o->nfds = 0; o->nfds < nfds; o->nfds++)
		if ((o->fds[o->nfds] =
		            fcntl(fds[o->nfds], F_DUPFD_CLOEXEC, 0)) == -1) {
			for (i = 0; i < o->nfds; i++)
				close(o->fds[i]);
			free(o);
			return -1;
		}
	TAILQ_INSERT_TAIL(&ch->outq, o, entry);
	ch->queued += len;
	if (!event_pending(ch->wev, EV_WRITE, NULL))
		event_add(ch->wev, NULL);
	return 0;
}

int
ctl_chan_send_gen(struct ctl_chan *ch, yajl_gen g, const int *fds, int nfds)
{
	const unsigned char *buf;
	size_t len;

	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
		errno = EINVAL;
		return -1;
	}
	return ctl_chan_send(ch, (const char *)buf, len, fds, nfds);
}
