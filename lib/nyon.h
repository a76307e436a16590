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
/*
 * Secrets (srt_passphrase, jwt_secret): conf_load refuses one in a file
 * that others can read.  A secret KEY with a KEY_file companion is read
 * from that file by conf_secret_file, which only the daemon needing the
 * secret calls, so the others need not be able to read it.  0 when KEY_file
 * is empty or was read into KEY.
 */
int conf_is_secret(const char *key);
int conf_secret_file(struct conf *, const char *key, char *err, size_t errlen);
/* Joins conf_str(rundir or statedir) and a file name into buf. */
const char *conf_file(const struct conf *, const char *dirkey, const char *name,
    char *buf, size_t len);

/* listen.c: parsed listen addresses and the sockets bound to them */
#define LISTEN_DEFER_S 3 /* TCP_DEFER_ACCEPT: silent clients wait this long */
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

/*
 * ctl_ops.c: every control operation, one table.  A peer's roles come from
 * its credentials (ctl_server.c); each op says which roles may send it and
 * which daemons serve it; pushes (revoke, stream, stream_end) are sent only
 * by the server of a connection the receiver opened.
 */
#define CTL_ROLE_OPERATOR 0x01 /* nyonctl, authd asking for status */
#define CTL_ROLE_INGEST 0x02 /* ingestd asking authd */
#define CTL_ROLE_READER 0x04 /* ring readers; fwdd asking authd */
#define CTL_ROLE_SERVER 0x80 /* pushed by the daemon we connected to */

#define CTL_SERVED_AUTHD 0x01
#define CTL_SERVED_INGESTD 0x02
#define CTL_SERVED_FLVD 0x04
#define CTL_SERVED_RTCD 0x08
#define CTL_SERVED_RECD 0x10
#define CTL_SERVED_FWDD 0x20

enum ctl_op {
	CTL_OP_PING,
	CTL_OP_STATUS,
	CTL_OP_HELLO,
	CTL_OP_PUBLISH,
	CTL_OP_UNPUBLISH,
	CTL_OP_REVOKE,
	CTL_OP_SUBSCRIBE,
	CTL_OP_STREAM,
	CTL_OP_STREAM_END,
	CTL_OP_STREAM_LIST,
	CTL_OP_STREAM_ADD,
	CTL_OP_STREAM_SHOW,
	CTL_OP_STREAM_EDIT,
	CTL_OP_STREAM_RM,
	CTL_OP_STREAM_ENABLE,
	CTL_OP_STREAM_DISABLE,
	CTL_OP_STREAM_REGEN_KEY,
	CTL_OP_STREAM_URLS,
	CTL_OP_SESSION_LIST,
	CTL_OP_SESSION_SHOW,
	CTL_OP_SESSION_KICK,
	CTL_OP_CONFIG_GET,
	CTL_OP_CONFIG_SET,
	CTL_OP_USER_PASSWD,
	CTL_OP_STATS,
	CTL_OP_RECORDING_LIST,
	CTL_OP_RECORDING_OPEN,
	CTL_OP_RECORDING_DELETE,
	CTL_OP_RECORDING_KEEP,
	CTL_OP_RECORD_SET,
	CTL_OP_SERVER_IP,
	/* forwarding destinations (fwdd) */
	CTL_OP_FORWARD_LIST,
	CTL_OP_FORWARD_ADD,
	CTL_OP_FORWARD_EDIT,
	CTL_OP_FORWARD_RM,
	CTL_OP_FORWARD_GET,
	CTL_OP_FORWARD_CHANGED,
	CTL_OP_VIEWER_REPORT,
	CTL_OP_VIEWER_LIST,
	CTL_OP_VIEWER_STATS,
	CTL_OP_HISTORY,
	CTL_OP_COUNT
};

enum ctl_type {
	CTL_T_ANY,
	CTL_T_STR,
	CTL_T_INT,
	CTL_T_BOOL,
	CTL_T_OBJ,
	CTL_T_ARRAY,
	CTL_T_NAME, /* a string that passes stream_name_check */
	CTL_T_KEY, /* a string that passes stream_key_check */
};
#define CTL_F_REQUIRED 0x01
#define CTL_FIELDS_MAX 8

struct ctl_field {
	const char *name;
	enum ctl_type type;
	int flags;
};

struct ctl_opdef {
	const char *name; /* on the wire: "op" */
	unsigned roles; /* CTL_ROLE_* that may send it */
	unsigned served; /* CTL_SERVED_* daemons that answer it */
	int nfds; /* descriptors that travel beside it */
	struct ctl_field fields[CTL_FIELDS_MAX];
};
extern const struct ctl_opdef ctl_ops[CTL_OP_COUNT];

const char *ctl_op_name(enum ctl_op);
int ctl_op_find(const char *name, enum ctl_op *);
const char *ctl_role_name(unsigned roles);

/* ctl.c: SOCK_SEQPACKET control sockets carrying one JSON object per packet */
struct ctl_peer;
struct ctl_server;
struct ctl_client;
struct ctl_msg {
	yajl_val root; /* parsed object; freed by ctl_msg_free */
	const char *op; /* root's "op", or NULL */
	int fds[CTL_FDS_MAX]; /* received descriptors, -1 when unused */
	int nfds;
};
/* Checks m's fields and descriptors against op's entry: 0, or -1 and err. */
int ctl_op_check(enum ctl_op, const struct ctl_msg *, char *err, size_t);

int ctl_connect(const char *path);
/* One packet, now: 0, or -1 and errno (EAGAIN when the socket is full). */
int ctl_send(int fd, const char *json, size_t len, const int *fds, int nfds);
int ctl_send_gen(int fd, yajl_gen g, const int *fds, int nfds);
/*
 * Receives one message: 1 on success, 0 on orderly close, -1 on a socket
 * error, -2 on a bad message (too large, not a JSON object; still connected).
 */
int ctl_recv(int fd, struct ctl_msg *msg, char *err, size_t errlen);
void ctl_msg_free(struct ctl_msg *);
/* Blocking request/response for nyonctl; timeout in ms.  Frees nothing. */
int ctl_call(const char *path, yajl_gen req, struct ctl_msg *reply,
    int timeout_ms, char *err, size_t errlen);
/* Starts {"v":1,"ok":true, ... for the caller to add fields and close. */
yajl_gen ctl_reply_begin(void);
/* Starts {"v":1,"ok":false,"error":msg, ... */
yajl_gen ctl_error_begin(const char *msg);
/* Starts {"v":1,"op":name, ... */
yajl_gen ctl_msg_begin(enum ctl_op);

/*
 * ctl_server.c: a listening control socket on a libevent base.  Who may
 * connect, and with which roles, comes from the peer's credentials:
 * root and the daemon's own user may do anything; the media user (`user`)
 * is ingest and reader; authd's user and members of admin_group are
 * operators; anyone else is refused at accept.  Every message is checked
 * against ctl_ops (version, op, roles, fields) before its handler runs.
 * Replies and pushes are queued and written when the socket is writable:
 * nothing is dropped because a socket was momentarily full; a peer that
 * stops reading for CTL_QUEUE_MAX bytes is disconnected.
 */
#define CTL_QUEUE_MAX (4 * 1024 * 1024)
struct ctl_policy {
	int media_set, authd_set, admin_set;
	uid_t media_uid; /* `user`: ingest and reader */
	gid_t media_gid; /* its group: the control sockets' group */
	uid_t authd_uid; /* `authd_user`: operator on the media daemons */
	gid_t admin_gid; /* `admin_group`: operators */
};
typedef void (*ctl_handler)(struct ctl_peer *, struct ctl_msg *, void *arg);
typedef void (*ctl_closed)(struct ctl_peer *, void *arg);
/* The roles the credentials of (uid, gid, groups) earn under policy. */
unsigned ctl_policy_roles(const struct ctl_policy *, uid_t uid, gid_t gid,
    const gid_t *groups, int ngroups);
/* Fills policy from `user`, `authd_user` and `admin_group`. */
int ctl_policy_conf(
    const struct conf *, struct ctl_policy *, char *err, size_t errlen);

/*
 * handlers[op] answers op here (NULL: not served by this daemon); served
 * is this daemon's CTL_SERVED_* bit.  Fails if a live daemon holds path.
 */
struct ctl_server *ctl_server_new(struct event_base *, const char *path,
    unsigned served, const struct ctl_policy *,
    const ctl_handler handlers[CTL_OP_COUNT], ctl_closed, void *arg, char *err,
    size_t errlen);
void ctl_server_free(struct ctl_server *);
/* Queues one message for the peer; g is not freed.  -1 if the peer is gone. */
int ctl_peer_send(struct ctl_peer *, yajl_gen g, const int *fds, int nfds);
void ctl_peer_close(struct ctl_peer *);
uid_t ctl_peer_uid(const struct ctl_peer *);
pid_t ctl_peer_pid(const struct ctl_peer *);
unsigned ctl_peer_roles(const struct ctl_peer *);
void ctl_peer_set_data(struct ctl_peer *, void *);
void *ctl_peer_data(const struct ctl_peer *);
/* Replies {"v":1,"ok":false,"error":...} (with the request's "req") */
void ctl_peer_error(struct ctl_peer *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * Closes the map, adds the "req" of the request being handled, queues and
 * frees g.
 */
int ctl_reply_end(struct ctl_peer *, yajl_gen g);
/* The same, with descriptors beside the reply (the caller keeps its own). */
int ctl_reply_end_fds(struct ctl_peer *, yajl_gen g, const int *fds, int nfds);

/*
 * ctl_client.c: one connection a daemon keeps to another (ingestd to
 * authd, a ring reader to ingestd), or opens for one question.  It
 * connects without blocking, checks that the server is one of ours by its
 * credentials, reconnects with backoff after a loss, and calls up() on
 * each connection so the caller can say hello and resync.  Requests carry
 * a "req" number and their reply comes back to the callback given; pushes
 * (messages with an op) go to push() once checked against ctl_ops.
 * Outgoing messages are queued like the server's.
 */
struct ctl_client_cb {
	void (*up)(struct ctl_client *, void *arg);
	void (*push)(
	    struct ctl_client *, enum ctl_op, struct ctl_msg *, void *arg);
	/* The connection is gone (pending replies were failed first). */
	void (*down)(struct ctl_client *, void *arg);
};
#define CTL_CLIENT_ONCE 0x01 /* no reconnect: one connection, then done */
/* reply is NULL when the connection was lost or timeout_ms passed. */
typedef void (*ctl_reply_cb)(struct ctl_msg *reply, void *arg);

struct ctl_client *ctl_client_new(struct event_base *, const char *path,
    const char *name, const struct ctl_policy *, int flags,
    const struct ctl_client_cb *, void *arg);
/* Safe inside the client's own callbacks. */
void ctl_client_free(struct ctl_client *);
int ctl_client_up(const struct ctl_client *);
/*
 * Sends g (from ctl_msg_begin, map open): adds "req", closes the map,
 * frees g.  cb (may be NULL) gets the reply.  -1 if not connected (g is
 * freed and cb is not called).
 */
int ctl_client_request(struct ctl_client *, yajl_gen g, const int *fds,
    int nfds, int timeout_ms, ctl_reply_cb cb, void *cbarg);
/* Replies still due to cbarg are dropped: it is going away. */
void ctl_client_forget(struct ctl_client *, void *cbarg);

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
void json_value(yajl_gen, yajl_val); /* a copy of a parsed value */
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
	/*
	 * Timers of a few milliseconds must fire on time: libevent's precise
	 * clock (and a timerfd) instead of its default, CLOCK_MONOTONIC_COARSE,
	 * which moves once a tick and can make a 3 ms timer fire a tick late.
	 */
	int precise_timers;
	/* Adds the daemon's own fields to a status reply. */
	void (*status)(yajl_gen, void *arg);
	/* The ops this daemon serves besides ping and status (ctl_ops). */
	unsigned served; /* CTL_SERVED_* */
	ctl_handler handlers[CTL_OP_COUNT];
	void (*peer_closed)(struct ctl_peer *, void *arg);
	struct ctl_policy policy; /* who may connect, from the config */
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

/*
 * livestat.c: the figures every output daemon gives per stream, in one
 * shape, so that authd, nyonctl and the metrics need not know each
 * output: in each stream of its status, "output": {"kind": "flv",
 * "viewers", "bytes_out", "viewers_total", "skipped", "dropped"}.
 * "viewers" is what the output serves the stream to: HTTP-FLV or WebRTC
 * viewers, 1 while recorded, forwarding destinations up.
 */
struct output_stats {
	const char *kind; /* "flv", "webrtc", "record", "forward" */
	long long viewers; /* now */
	long long bytes_out; /* sent or written, since the stream came */
	long long viewers_total; /* joined, since the stream came */
	long long skipped; /* skipped ahead for being slow */
	long long dropped; /* dropped for being slow */
};
void output_stats_json(yajl_gen, const struct output_stats *);

/* procstat.c: this process's costs, from /proc/self */
struct procstat {
	double cpu_seconds; /* user and system */
	unsigned long long rss_bytes;
	int open_fds; /* -1 if unknown */
	long long max_fds; /* RLIMIT_NOFILE; -1 if none */
};
int procstat_self(struct procstat *); /* -1 if some are unknown */
/* {"cpu_seconds":..,"rss_bytes":..,"open_fds":..,"max_fds":..} under key */
void procstat_json(yajl_gen, const char *key);

/* hmac.c */
#define SHA256_LEN 32
struct iovec;
void sha256(const void *, size_t, uint8_t out[SHA256_LEN]);
void hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
    uint8_t out[SHA256_LEN]);
void hmac_sha256v(const void *key, size_t keylen, const struct iovec *iov,
    int iovcnt, uint8_t out[SHA256_LEN]);
int hmac_equal(const void *, const void *, size_t); /* constant time */

/*
 * names.c: the one definition of stream names and keys.  A name is 3 to 100
 * characters of printable UTF-8 (so up to 400 bytes), a key 3 to 100 of
 * A-Z a-z 0-9 _ -.  Every program checks with these and never truncates.
 */
#define STREAM_NAME_MIN 3 /* characters */
#define STREAM_NAME_MAX 100 /* characters */
#define STREAM_NAME_SZ (STREAM_NAME_MAX * 4 + 1) /* bytes, with the NUL */
#define STREAM_KEY_MIN 3
#define STREAM_KEY_MAX 100
#define STREAM_KEY_SZ (STREAM_KEY_MAX + 1)
int text_check(const char *, int multiline, size_t *nchars);
/* 0, or -1 with why ("must be 3 to 100 characters"), not naming the field */
int stream_name_check(const char *, char *why, size_t whylen);
int stream_key_check(const char *, char *why, size_t whylen);

/*
 * desturl.c: forwarding destinations' URLs (rtmp://, rtmps://, srt://),
 * the one definition of their rules.  The key of an RTMP URL and the
 * streamid and passphrase of an SRT URL are secrets: show a URL only
 * through desturl_mask().
 */
#define DESTURL_SZ 1025 /* longest URL and a NUL */
enum desturl_proto { DESTURL_RTMP, DESTURL_RTMPS, DESTURL_SRT };
struct desturl {
	enum desturl_proto proto;
	char host[256]; /* no brackets */
	char port[8]; /* given, or the scheme's default (SRT: required) */
	/* RTMP */
	char app[256];
	char stream[DESTURL_SZ]; /* the publish name, query kept: secret */
	char tcurl[DESTURL_SZ]; /* scheme://host[:port]/app */
	/* SRT, decoded from the query */
	char streamid[513]; /* secret */
	char passphrase[80]; /* secret */
	int latency_ms; /* -1: not given */
	int pbkeylen; /* 0: not given */
};
/* 0, or -1 with why (a sentence that never quotes the URL). */
int desturl_parse(const char *url, struct desturl *, char *why, size_t whylen);
const char *desturl_mask(const char *url, char *out, size_t outlen);
const char *desturl_proto_name(enum desturl_proto);

/* mime.c */
const char *mime_type(const char *path);

/*
 * peer.c: the address per-address limits count: IPv4 whole, IPv6 by its
 * /64, an IPv4-mapped IPv6 address as IPv4.  Keys compare with memcmp.
 */
struct peer_key {
	uint8_t family; /* AF_INET, AF_INET6, or 0 for anything else */
	uint8_t addr[8]; /* IPv4: 4 bytes, the rest 0; IPv6: the /64 */
};
/* 0, or -1 (and a zero key) for a family that is not IP. */
int peer_key(const struct sockaddr *, struct peer_key *);
int peer_key_cmp(const struct peer_key *, const struct peer_key *);
/* "192.0.2.7" or "2001:db8:1:2::/64" */
const char *peer_key_string(const struct peer_key *, char *buf, size_t len);

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
