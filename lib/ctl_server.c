/*
 * The listening side of a control socket.  Each peer is known by its
 * credentials (SO_PEERCRED, SO_PEERGROUPS), which earn it roles under the
 * daemon's policy; a peer with no role is refused at accept.  Each message
 * is checked against ctl_ops (protocol version, op, served here, roles,
 * fields) before its handler sees it.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "nyon.h"
#include "ctl_chan.h"

#define CTL_GROUPS_MAX 1024 /* supplementary groups we look at */

struct ctl_peer {
	TAILQ_ENTRY(ctl_peer) entry;
	struct ctl_server *server;
	struct event *ev;
	struct ctl_chan chan;
	int fd;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	unsigned roles;
	void *data;
	long long req; /* of the request being handled */
	int has_req;
	int dispatching; /* inside the handler: defer the free */
	int dead;
};

struct ctl_server {
	struct event_base *base;
	struct event *ev;
	struct event *resume; /* re-enables accept after EMFILE */
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	unsigned served;
	struct ctl_policy policy;
	ctl_handler handlers[CTL_OP_COUNT];
	ctl_closed closed;
	void *arg;
	TAILQ_HEAD(, ctl_peer) peers;
};

unsigned
ctl_policy_roles(const struct ctl_policy *pol, uid_t uid, gid_t gid,
    const gid_t *groups, int ngroups)
{
	const unsigned all =
	    CTL_ROLE_OPERATOR | CTL_ROLE_INGEST | CTL_ROLE_READER;
	int i;

	/* the same user could do anything we can anyway */
	if (uid == 0 || uid == geteuid())
		return all;
	/* checked before the groups: the media user is never an operator */
	if (pol->media_set && uid == pol->media_uid)
		return CTL_ROLE_INGEST | CTL_ROLE_READER;
	if (pol->authd_set && uid == pol->authd_uid)
		return CTL_ROLE_OPERATOR;
	if (pol->admin_set) {
		if (gid == pol->admin_gid)
			return CTL_ROLE_OPERATOR;
		for (i = 0; i < ngroups; i++)
			if (groups[i] == pol->admin_gid)
				return CTL_ROLE_OPERATOR;
	}
	return 0;
}

static int
ctl_policy_user(
    const char *name, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	struct passwd *pw;

	errno = 0;
	if ((pw = getpwnam(name)) == NULL) {
		snprintf(err, errlen, "user %s: %s", name,
		    errno ? strerror(errno) : "no such user");
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

int
ctl_policy_conf(
    const struct conf *c, struct ctl_policy *pol, char *err, size_t errlen)
{
	const char *media = conf_str(c, "user");
	const char *authd = conf_str(c, "authd_user");
	const char *admin = conf_str(c, "admin_group");
	struct group *gr;
	gid_t unused;

	memset(pol, 0, sizeof(*pol));
	if (*media != '\0') {
		if (ctl_policy_user(media, &pol->media_uid, &pol->media_gid,
		        err, errlen) == -1)
			return -1;
		pol->media_set = 1;
	}
	if (*authd != '\0') {
		if (ctl_policy_user(
		        authd, &pol->authd_uid, &unused, err, errlen) == -1)
			return -1;
		pol->authd_set = 1;
	}
	if (*admin != '\0') {
		errno = 0;
		if ((gr = getgrnam(admin)) == NULL) {
			snprintf(err, errlen, "admin_group %s: %s", admin,
			    errno ? strerror(errno) : "no such group");
			return -1;
		}
		pol->admin_gid = gr->gr_gid;
		pol->admin_set = 1;
	}
	return 0;
}

/* The peer's supplementary groups; *n is 0 if the kernel cannot say. */
static gid_t *
ctl_peer_groups(int fd, int *n)
{
	socklen_t len = 64 * sizeof(gid_t);
	gid_t *g = NULL;

	*n = 0;
	for (;;) {
		g = xreallocarray(g, len / sizeof(gid_t) + 1, sizeof(gid_t));
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) == 0) {
			*n = (int)(len / sizeof(gid_t));
			return g;
		}
		if (errno != ERANGE || len > CTL_GROUPS_MAX * sizeof(gid_t))
			return g;
	}
}

static void
ctl_peer_free(struct ctl_peer *p)
{
	struct ctl_server *s = p->server;

	TAILQ_REMOVE(&s->peers, p, entry);
	event_free(p->ev);
	ctl_chan_clear(&p->chan);
	close(p->fd);
	free(p);
}

void
ctl_peer_close(struct ctl_peer *p)
{
	if (p->dead)
		return;
	p->dead = 1;
	event_del(p->ev);
	if (p->server->closed != NULL)
		p->server->closed(p, p->server->arg);
	if (!p->dispatching)
		ctl_peer_free(p);
}

static void
ctl_peer_failed(struct ctl_chan *ch, void *arg)
{
	struct ctl_peer *p = arg;

	log_warn("control peer pid %ld: send", (long)p->pid);
	ctl_peer_close(p);
}

int
ctl_peer_send(struct ctl_peer *p, yajl_gen g, const int *fds, int nfds)
{
	if (p->dead)
		return -1;
	if (ctl_chan_send_gen(&p->chan, g, fds, nfds) == -1) {
		if (errno == ENOBUFS)
			log_warnx(
			    "control peer pid %ld: not reading (%zu bytes "
			    "waiting); closing",
			    (long)p->pid, p->chan.queued);
		else
			log_warn("control peer pid %ld: send", (long)p->pid);
		ctl_peer_close(p);
		return -1;
	}
	return 0;
}

int
ctl_reply_end_fds(struct ctl_peer *p, yajl_gen g, const int *fds, int nfds)
{
	int r;

	if (p->has_req)
		json_int(g, "req", p->req);
	yajl_gen_map_close(g);
	r = ctl_peer_send(p, g, fds, nfds);
	yajl_gen_free(g);
	return r;
}

int
ctl_reply_end(struct ctl_peer *p, yajl_gen g)
{
	return ctl_reply_end_fds(p, g, NULL, 0);
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

/* Whether m may reach a handler; answers the peer when not. */
static int
ctl_peer_admit(struct ctl_peer *p, struct ctl_msg *m, enum ctl_op *op)
{
	struct ctl_server *s = p->server;
	char err[256];
	long long v;

	if (json_get_int(m->root, "v", &v) == -1 || v != NYON_PROTO_VERSION) {
		ctl_peer_error(p, "protocol version not supported (want %d)",
		    NYON_PROTO_VERSION);
		return -1;
	}
	if (m->op == NULL) {
		ctl_peer_error(p, "message has no op");
		return -1;
	}
	if (ctl_op_find(m->op, op) == -1 ||
	    !(ctl_ops[*op].served & s->served) || s->handlers[*op] == NULL) {
		ctl_peer_error(p, "unknown op '%.64s'", m->op);
		return -1;
	}
	if (!(ctl_ops[*op].roles & p->roles)) {
		log_warnx("control: refused '%s' from uid %ld pid %ld (%s)",
		    m->op, (long)p->uid, (long)p->pid, ctl_role_name(p->roles));
		ctl_peer_error(p, "not allowed: '%s' is not for the %s role",
		    m->op, ctl_role_name(p->roles));
		return -1;
	}
	if (ctl_op_check(*op, m, err, sizeof(err)) == -1) {
		ctl_peer_error(p, "%s", err);
		return -1;
	}
	return 0;
}

static void
ctl_peer_read(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_peer *p = arg;
	struct ctl_msg m;
	enum ctl_op op;
	char err[256];
	int r;

	r = ctl_recv(fd, &m, err, sizeof(err));
	if (r == 0 || r == -1) {
		ctl_peer_close(p);
		return;
	}
	p->dispatching = 1;
	p->has_req = r == 1 && json_get_int(m.root, "req", &p->req) == 0;
	if (r == -2) {
		log_warnx("control peer pid %ld: %s", (long)p->pid, err);
		ctl_peer_error(p, "%s", err);
	} else if (ctl_peer_admit(p, &m, &op) == 0) {
		log_debug("control: %s from uid %ld pid %ld", m.op,
		    (long)p->uid, (long)p->pid);
		p->server->handlers[op](p, &m, p->server->arg);
	}
	p->dispatching = 0;
	p->has_req = 0;
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
	gid_t *groups;
	unsigned roles;
	int fd, ngroups;

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
	groups = ctl_peer_groups(fd, &ngroups);
	roles =
	    ctl_policy_roles(&s->policy, cred.uid, cred.gid, groups, ngroups);
	free(groups);
	if (roles == 0) {
		log_warnx("control: refused peer uid %ld gid %ld pid %ld: not "
		          "root, a Nyon daemon's user or in admin_group",
		    (long)cred.uid, (long)cred.gid, (long)cred.pid);
		close(fd);
		return;
	}
	p = xcalloc(1, sizeof(*p));
	p->server = s;
	p->fd = fd;
	p->uid = cred.uid;
	p->gid = cred.gid;
	p->pid = cred.pid;
	p->roles = roles;
	ctl_chan_init(&p->chan, s->base, fd, ctl_peer_failed, p);
	p->ev = event_new(s->base, fd, EV_READ | EV_PERSIST, ctl_peer_read, p);
	event_add(p->ev, NULL);
	TAILQ_INSERT_TAIL(&s->peers, p, entry);
}

struct ctl_server *
ctl_server_new(struct event_base *base, const char *path, unsigned served,
    const struct ctl_policy *policy, const ctl_handler handlers[CTL_OP_COUNT],
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
	/* owner and group: the group is how other users reach it at all */
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
	s->served = served;
	s->policy = *policy;
	memcpy(s->handlers, handlers, sizeof(s->handlers));
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

unsigned
ctl_peer_roles(const struct ctl_peer *p)
{
	return p->roles;
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
