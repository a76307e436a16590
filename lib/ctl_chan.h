/*
 * The outgoing side of one control connection, shared by ctl_server.c and
 * ctl_client.c (lib-internal).  Messages are sent at once when possible,
 * else queued in order and written when the socket is writable.
 */
#ifndef CTL_CHAN_H
#define CTL_CHAN_H

#include <sys/queue.h>

struct ctl_out;

struct ctl_chan {
	int fd;
	struct event *wev;
	TAILQ_HEAD(, ctl_out) outq;
	size_t queued; /* bytes waiting */
	/* a queued write failed: the owner closes the connection */
	void (*failed)(struct ctl_chan *, void *arg);
	void *arg;
};

int ctl_sockaddr(const char *path, struct sockaddr_un *);
void ctl_chan_init(struct ctl_chan *, struct event_base *, int fd,
    void (*failed)(struct ctl_chan *, void *), void *arg);
/* Frees the queue and the write event; the fd stays open. */
void ctl_chan_clear(struct ctl_chan *);
/*
 * 0 when sent or queued; -1 and errno when the socket failed, or ENOBUFS
 * when CTL_QUEUE_MAX bytes are already waiting.  fds are duplicated if the
 * message has to wait: the caller keeps its own.
 */
int ctl_chan_send(
    struct ctl_chan *, const char *buf, size_t len, const int *fds, int nfds);
int ctl_chan_send_gen(struct ctl_chan *, yajl_gen, const int *fds, int nfds);

#endif
