/*
 * libnyon: what every Nyon program shares.  Logging, nyon.conf, the control
 * socket and its JSON messages, and small utilities.  Media code (ring, FLV,
 * AMF0) has its own headers beside this one.
 */
#ifndef NYON_H
#define NYON_H

#include <sys/types.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#ifndef NYON_VERSION
#define NYON_VERSION "0.0.0"
#endif

#define NYON_PROTO_VERSION 1 /* "v" of every control message */
#define NYON_CONF_DEFAULT "/etc/nyon/nyon.conf"
#define CTL_MSG_MAX 65536 /* largest control message, bytes */
#define CTL_FDS_MAX 4 /* most fds beside one message */

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

struct event_base;
struct sockaddr;

/* log.c */
void log_init(const char *ident, int foreground, int verbose);
void log_setverbose(int verbose);
int log_getverbose(void);
void log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

/* conf.c */
enum conf_type {
	CONF_STR, /* text; with max > 0, empty or min..max long */
	CONF_INT, /* integer within [min, max] */
	CONF_SIZE, /* bytes, with optional k/m/g suffix, within [min, max] */
	CONF_LISTEN, /* one or more HOST:PORT, "*:PORT" or "PORT" */
	CONF_CHOICE, /* one of the words in choices, '|' separated */
	CONF_BOOL, /* yes/no, true/false, on/off, 1/0 */
};

struct conf_key {
	const char *name;
	enum conf_type type;
	const char *def; /* default, as it would be written in the file */
	long long min, max; /* for CONF_INT and CONF_SIZE */
	const char *choices; /* for CONF_CHOICE */
	const char *help; /* one line, for nyon.conf(5) and -n output */
};

struct conf;

/* Every key any program understands; one table so nyon.conf(5) can be checked. */
extern const struct conf_key conf_keys[];
extern const size_t conf_nkeys;

struct conf *conf_load(const char *path, char *err, size_t errlen);
struct conf *conf_parse(
    const char *path, const char *text, char *err, size_t errlen);
struct conf *conf_defaults(void);
void conf_free(struct conf *);
const char *conf_path(const struct conf *);
const char *conf_str(const struct conf *, const char *key);
long long conf_int(const struct conf *, const char *key);
int conf_bool(const struct conf *, const char *key);
/* Joins conf_str(rundir or statedir) and a file name into buf. */
const char *conf_file(const struct conf *, const char *dirkey, const char *name,
    char *buf, size_t len);

/* listen.c: parsed listen addresses and the sockets bound to them */
struct listen_addr {
	char host[64]; /* numeric, "" for the wildcard */
	char port[8];
	int family; /* AF_INET, AF_INET6, or AF_UNSPEC for "*" */
};
int listen_parse(const char *spec, struct listen_addr *out, size_t max,
    char *err, size_t errlen);
int listen_bind(
    const struct listen_addr *, int socktype, int *fds, size_t maxfds);
const char *addr_string(const void *sockaddr, char *buf, size_t len);
int listen_conf(const struct conf *, const char *key, int *fds, size_t maxfds);
struct evconnlistener;
struct evconnlistener *listen_evconn(struct event_base *, int fd,
    void (*cb)(struct evconnlistener *, int, struct sockaddr *, int, void *),
    void *arg);

/* ctl.c: SOCK_SEQPACKET control sockets carrying one JSON object per packet */
struct ctl_peer;
struct ctl_server;
struct ctl_msg {
	yajl_val root; /* parsed object; freed by ctl_msg_free */
	const char *op; /* root's "op", or NULL */
	int fds[CTL_FDS_MAX]; /* received descriptors, -1 when unused */
	int nfds;
};

typedef void (*ctl_handler)(struct ctl_peer *, struct ctl_msg *, void *arg);
typedef void (*ctl_closed)(struct ctl_peer *, void *arg);

int ctl_connect(const char *path);
int ctl_send(int fd, const char *json, size_t len, const int *fds, int nfds);
int ctl_send_gen(int fd, yajl_gen g, const int *fds, int nfds);
/*
 * Receives one message: 1 on success, 0 on orderly close, -1 on a socket
 * error, -2 on a bad message (too large, not a JSON object; still connected).
 */
int ctl_recv(int fd, struct ctl_msg *msg, char *err, size_t errlen);
void ctl_msg_free(struct ctl_msg *);
/* Blocking request/response for clients such as nyonctl; timeout in ms. */
int ctl_call(const char *path, yajl_gen req, struct ctl_msg *reply,
    int timeout_ms, char *err, size_t errlen);

/* A listening control socket on a libevent base.  Fails if a live daemon holds it. */
struct ctl_server *ctl_server_new(struct event_base *, const char *path,
    ctl_handler, ctl_closed, void *arg, char *err, size_t errlen);
void ctl_server_free(struct ctl_server *);
int ctl_peer_send(struct ctl_peer *, yajl_gen g, const int *fds, int nfds);
void ctl_peer_close(struct ctl_peer *);
uid_t ctl_peer_uid(const struct ctl_peer *);
pid_t ctl_peer_pid(const struct ctl_peer *);
void ctl_peer_set_data(struct ctl_peer *, void *);
void *ctl_peer_data(const struct ctl_peer *);
/* Replies {"v":1,"ok":false,"error":...} */
void ctl_peer_error(struct ctl_peer *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Starts {"v":1,"ok":true, ... for the caller to add fields and close. */
yajl_gen ctl_reply_begin(void);
/* Starts {"v":1,"ok":false,"error":msg, ... */
yajl_gen ctl_error_begin(const char *msg);
/* Starts {"v":1,"op":op, ... */
yajl_gen ctl_msg_begin(const char *op);
/* Closes the map and sends; frees g. */
int ctl_reply_end(struct ctl_peer *, yajl_gen g);

/* json.c: small helpers over yajl */
#define JSON_DEPTH_MAX 32 /* deeper input is refused: yajl frees recursively */
yajl_val json_parse(const char *buf, size_t len, char *err, size_t errlen);
yajl_gen json_gen(void); /* never NULL */
void json_raw(yajl_gen, yajl_gen finished);
void json_str(yajl_gen, const char *key, const char *val);
void json_int(yajl_gen, const char *key, long long val);
void json_double(yajl_gen, const char *key, double val);
void json_bool(yajl_gen, const char *key, int val);
void json_null(yajl_gen, const char *key);
void json_key(yajl_gen, const char *key);
const char *json_get_str(yajl_val obj, const char *key);
int json_get_int(yajl_val obj, const char *key, long long *out);
int json_get_bool(yajl_val obj, const char *key, int *out);
yajl_val json_get(yajl_val obj, const char *key);

/* daemon.c: what the three daemons do alike */
struct daemon {
	const char *name; /* "ingestd" */
	struct conf *conf; /* replaced on SIGHUP; read values at time of use */
	struct event_base *base;
	struct ctl_server *ctl;
	char sockpath[256];
	char pidpath[256];
	time_t started;
	int foreground;
	int verbose; /* in effect: -v, or log_level = debug */
	int vflag; /* -v given on the command line */
	/* The account named by `user`, resolved by daemon_args when root. */
	int drop; /* daemon_drop_privileges will switch to uid/gid */
	uid_t uid;
	gid_t gid;
	int made_rundir; /* daemon_start created rundir: hand it to uid */
	/* Adds the daemon's own fields to a status reply. */
	void (*status)(yajl_gen, void *arg);
	/* Any other op; unknown ops are refused by daemon.c. */
	int (*handle)(struct ctl_peer *, struct ctl_msg *, void *arg);
	void (*peer_closed)(struct ctl_peer *, void *arg);
	/* After SIGHUP installed a new d->conf: refresh cached values. */
	void (*reload)(void *arg);
	void *arg;
};
/*
 * Parses -d -f -n -v; returns with conf loaded (or exits for -n / errors).
 * Refuses to go on as root unless `user` names an account to become, or
 * NYON_ALLOW_ROOT=1 is in the environment (see nyon.conf(5)).
 */
void daemon_args(struct daemon *, int argc, char **argv);
/* Opens the control socket and pidfile, sets up signals (HUP reloads). */
void daemon_start(struct daemon *);
/* After binding the listeners: become `user` for good.  No-op otherwise. */
void daemon_drop_privileges(struct daemon *);
/* Re-reads the config file as on SIGHUP; 0 when the new one is in use. */
int daemon_reload(struct daemon *);
void daemon_stop(struct daemon *);

/* hmac.c */
#define SHA256_LEN 32
struct iovec;
void sha256(const void *, size_t, uint8_t out[SHA256_LEN]);
void hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
    uint8_t out[SHA256_LEN]);
void hmac_sha256v(const void *key, size_t keylen, const struct iovec *iov,
    int iovcnt, uint8_t out[SHA256_LEN]);
int hmac_equal(const void *, const void *, size_t); /* constant time */

/* mime.c */
const char *mime_type(const char *path);

/* pidfile.c: locked while the daemon runs; never follows a symlink */
struct pidfile;
/*
 * Opens and locks path for this process.  Refuses a directory that others
 * may write in (not sticky) or that belongs to neither root, us nor owner
 * ((uid_t)-1 for none), a symbolic link, and anything but a plain file of
 * ours.  NULL with err set on failure; errno is EEXIST when a running
 * instance holds the lock, and *other is then its pid (0 if unknown).
 */
struct pidfile *pidfile_acquire(
    const char *path, uid_t owner, pid_t *other, char *err, size_t errlen);
/* Writes getpid() into it: call after detaching. */
int pidfile_store(struct pidfile *);
int pidfile_chown(struct pidfile *, uid_t, gid_t);
/* Removes it if this process wrote it and it is still the same file; frees. */
void pidfile_release(struct pidfile *);

/* util.c */
void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xreallocarray(void *, size_t, size_t);
char *xstrdup(const char *);
int xasprintf(char **, const char *, ...) __attribute__((format(printf, 2, 3)));
uint64_t now_ms(void); /* CLOCK_MONOTONIC */
uint64_t now_us(void);
int fd_nonblock(int fd);
int fd_cloexec(int fd);
int mkdir_p(const char *path, mode_t mode);

#endif
