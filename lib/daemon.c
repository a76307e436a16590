/*
 * What the three daemons do alike: -d -f -n -v, the configuration and its
 * reload on SIGHUP, the control socket with ping and status, the pidfile,
 * the switch to an unprivileged user after binding, and clean exit on
 * SIGINT/SIGTERM.
 */
#include <sys/stat.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "nyon.h"

/*
 * Keys a running daemon cannot take on: the sockets and files it holds are
 * where the old values said.  A reload keeps their old values and says so.
 */
static const char *const daemon_restart_keys[] = {
    "rundir",
    "statedir",
    "database",
    "recordings_dir",
    "user",
    "authd_user",
    "admin_group",
    "auth",
    "rtmp_listen",
    "rtmps_listen",
    "flv_listen",
    "flv_write_threads",
    "srt_listen",
    "srt_passphrase",
    "srt_passphrase_file",
    "srt_pbkeylen",
    "srt_latency",
    "api_listen",
    "rtc_listen",
    "rtc_udp_listen",
    "forward_tls_ca",
};

/*
 * The secrets a daemon reads from a file of their own (KEY_file), and
 * only that daemon: the file need be readable by no one else.
 */
static const struct {
	const char *daemon;
	const char *key;
} daemon_secret_files[] = {
    {"ingestd", "srt_passphrase"},
};

static struct pidfile *daemon_pidfh;
static struct event *daemon_sigev[3];

static void __attribute__((noreturn)) daemon_usage(const char *name)
{
	fprintf(stderr, "usage: %s [-dnv] [-f file]\n", name);
	exit(2);
}

static int
daemon_read_secrets(
    const struct daemon *d, struct conf *c, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < nitems(daemon_secret_files); i++)
		if (strcmp(daemon_secret_files[i].daemon, d->name) == 0 &&
		    conf_secret_file(
		        c, daemon_secret_files[i].key, err, errlen) == -1)
			return -1;
	return 0;
}

static int
daemon_verbosity(const struct daemon *d, const struct conf *c)
{
	if (d->vflag > 0)
		return d->vflag;
	return strcmp(conf_str(c, "log_level"), "debug") == 0;
}

/*
 * Decides who the daemon will run as.  Root serving the network is an
 * accident waiting to happen, so root must name a user to become, or say
 * NYON_ALLOW_ROOT=1 to mean it (tests, a throwaway lab box).
 */
/*
 * The account this daemon runs as: authd_user for authd when set (so
 * that it alone can read the database and secrets), else user.
 */
static const char *
daemon_user(const struct daemon *d)
{
	if (strcmp(d->name, "authd") == 0 &&
	    *conf_str(d->conf, "authd_user") != '\0')
		return conf_str(d->conf, "authd_user");
	return conf_str(d->conf, "user");
}

static int
daemon_resolve_user(struct daemon *d, int check, char *err, size_t errlen)
{
	const char *user = daemon_user(d);
	const char *allow = getenv("NYON_ALLOW_ROOT");
	struct passwd *pw;

	d->drop = 0;
	if (*user == '\0') {
		if (geteuid() == 0 && !check &&
		    (allow == NULL || strcmp(allow, "1") != 0)) {
			snprintf(err, errlen,
			    "refusing to run as root with no user: set "
			    "'user = nyon' in %s, or NYON_ALLOW_ROOT=1 in "
			    "the environment to run as root anyway",
			    conf_path(d->conf));
			return -1;
		}
		return 0;
	}
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "%s: user %s: %s", conf_path(d->conf),
		    user, errno ? strerror(errno) : "no such user");
		return -1;
	}
	if (check)
		return 0;
	if (geteuid() == 0) {
		if (pw->pw_uid == 0) {
			if (allow == NULL || strcmp(allow, "1") != 0) {
				snprintf(err, errlen,
				    "user %s is root: name an unprivileged "
				    "user, or set NYON_ALLOW_ROOT=1",
				    user);
				return -1;
			}
			return 0;
		}
		d->drop = 1;
		d->uid = pw->pw_uid;
		d->gid = pw->pw_gid;
	} else if (pw->pw_uid != geteuid()) {
		/* Under systemd User= already did it; anything else is wrong. */
		snprintf(err, errlen,
		    "user = %s, but running as uid %ld, which cannot switch: "
		    "start as root or as %s",
		    user, (long)geteuid(), user);
		return -1;
	}
	return 0;
}

void
daemon_args(struct daemon *d, int argc, char **argv)
{
	extern char **environ;
	const char *path = NULL;
	char err[512];
	int ch, check = 0;

	/* Before anything moves environ; argv stays readable until a title. */
	setproctitle_init(argc, argv, environ);
	while ((ch = getopt(argc, argv, "df:nv")) != -1) {
		switch (ch) {
		case 'd':
			d->foreground = 1;
			break;
		case 'f':
			path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			d->vflag++;
			break;
		default:
			daemon_usage(d->name);
		}
	}
	if (optind != argc)
		daemon_usage(d->name);
	if (path == NULL && access(NYON_CONF_DEFAULT, F_OK) == -1 &&
	    errno == ENOENT)
		d->conf = conf_defaults();
	else if ((d->conf = conf_load(path ? path : NYON_CONF_DEFAULT, err,
	              sizeof(err))) == NULL) {
		fprintf(stderr, "%s: %s\n", d->name, err);
		exit(1);
	}
	/* On the terminal, before detaching, so the operator sees why. */
	if (daemon_read_secrets(d, d->conf, err, sizeof(err)) == -1 ||
	    daemon_resolve_user(d, check, err, sizeof(err)) == -1 ||
	    ctl_policy_conf(d->conf, &d->policy, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", d->name, err);
		exit(1);
	}
	if (check) {
		fprintf(stderr, "%s: configuration %s OK\n", d->name,
		    conf_path(d->conf));
		exit(0);
	}
	d->verbose = daemon_verbosity(d, d->conf);
}

/*
 * Builds the configuration to run with from a freshly read one: its values,
 * except that restart-only keys keep the values the daemon runs with.  The
 * result goes through conf_parse like any file, so it is checked the same.
 */
static struct conf *
daemon_conf_merge(const struct conf *old, struct conf *new)
{
	char *text = NULL, *line, err[512];
	const char *name, *val;
	struct conf *merged;
	size_t i, j, len = 0;
	int changed = 0, restart;

	for (i = 0; i < nitems(daemon_restart_keys); i++) {
		name = daemon_restart_keys[i];
		if (strcmp(conf_str(old, name), conf_str(new, name)) == 0)
			continue;
		if (conf_is_secret(name))
			log_warnx("reload: %s changed; that needs a restart, "
			          "keeping the old one",
			    name);
		else
			log_warnx("reload: %s changed from '%s' to '%s'; "
			          "that needs a restart, keeping '%s'",
			    name, conf_str(old, name), conf_str(new, name),
			    conf_str(old, name));
		changed = 1;
	}
	if (!changed)
		return new;
	for (i = 0; i < conf_nkeys; i++) {
		name = conf_keys[i].name;
		restart = 0;
		for (j = 0; j < nitems(daemon_restart_keys); j++)
			if (strcmp(daemon_restart_keys[j], name) == 0)
				restart = 1;
		val = conf_str(restart ? old : new, name);
		/* A value holding a quote cannot be quoted; bare it is. */
		if (xasprintf(&line,
		        strchr(val, '"') ? "%s = %s\n" : "%s = \"%s\"\n", name,
		        val) == -1)
			fatal("reload");
		text = xreallocarray(text, len + strlen(line) + 1, 1);
		memcpy(text + len, line, strlen(line) + 1);
		len += strlen(line);
		free(line);
	}
	merged = conf_parse(conf_path(new), text, err, sizeof(err));
	explicit_bzero(text, len); /* secrets too */
	free(text);
	if (merged == NULL) {
		log_warnx("reload: cannot keep the restart-only values (%s); "
		          "they change on the next restart",
		    err);
		return new;
	}
	conf_free(new);
	return merged;
}

int
daemon_reload(struct daemon *d)
{
	struct conf *new;
	const char *path = conf_path(d->conf);
	char err[512];

	/* Started without a file: the default path, if one appeared since. */
	if (strcmp(path, "(defaults)") == 0) {
		if (access(NYON_CONF_DEFAULT, F_OK) == -1) {
			log_info("reload: no %s, keeping the defaults",
			    NYON_CONF_DEFAULT);
			return -1;
		}
		path = NYON_CONF_DEFAULT;
	}
	if ((new = conf_load(path, err, sizeof(err))) == NULL ||
	    daemon_read_secrets(d, new, err, sizeof(err)) == -1) {
		log_warnx("reload: %s; keeping the running configuration", err);
		conf_free(new);
		return -1;
	}
	new = daemon_conf_merge(d->conf, new);
	conf_free(d->conf);
	d->conf = new;
	d->verbose = daemon_verbosity(d, d->conf);
	log_setverbose(d->verbose);
	if (d->reload != NULL)
		d->reload(d->arg);
	log_info("reload: %s in use", conf_path(d->conf));
	return 0;
}

static void
daemon_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	if (sig == SIGHUP) {
		log_info("%s, reloading", strsignal(sig));
		daemon_reload(d);
		return;
	}
	log_info("%s, exiting", strsignal(sig));
	event_base_loopbreak(d->base);
}

static void
daemon_status(struct ctl_peer *p, struct daemon *d)
{
	yajl_gen g = ctl_reply_begin();

	json_str(g, "daemon", d->name);
	json_str(g, "version", NYON_VERSION);
	json_int(g, "pid", getpid());
	json_int(g, "uptime", time(NULL) - d->started);
	json_str(g, "config", conf_path(d->conf));
	procstat_json(g, "process");
	if (d->status != NULL)
		d->status(g, d->arg);
	ctl_reply_end(p, g);
}

static void
daemon_ping(struct ctl_peer *p, struct ctl_msg *m, void *arg)
{
	struct daemon *d = arg;
	yajl_gen g = ctl_reply_begin();

	json_str(g, "daemon", d->name);
	ctl_reply_end(p, g);
}

static void
daemon_status_op(struct ctl_peer *p, struct ctl_msg *m, void *arg)
{
	daemon_status(p, arg);
}

/* The daemon's handlers get d->arg; ping and status get d. */
static void
daemon_dispatch(struct ctl_peer *p, struct ctl_msg *m, void *arg)
{
	struct daemon *d = arg;
	enum ctl_op op;

	if (ctl_op_find(m->op, &op) == 0 && d->handlers[op] != NULL)
		d->handlers[op](p, m, d->arg);
}

static void
daemon_peer_closed(struct ctl_peer *p, void *arg)
{
	struct daemon *d = arg;

	if (d->peer_closed != NULL)
		d->peer_closed(p, d->arg);
}

/*
 * The first turn of the event loop comes after main has bound everything:
 * a daemon whose main does not call daemon_drop_privileges still never
 * serves a client as root.
 */
static void
daemon_drop_late(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	if (d->drop) {
		log_debug("dropping privileges as the loop starts");
		daemon_drop_privileges(d);
	}
}

void
daemon_start(struct daemon *d)
{
	const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	const char *rundir = conf_str(d->conf, "rundir");
	ctl_handler handlers[CTL_OP_COUNT];
	struct event_config *cfg;
	char err[512];
	struct stat sb;
	pid_t other;
	size_t i;
	int fd;

	log_init(d->name, d->foreground, d->verbose);
	d->made_rundir = stat(rundir, &sb) == -1 && errno == ENOENT;
	if (mkdir_p(rundir, 0755) == -1)
		fatal("%s", rundir);
	if ((size_t)snprintf(d->sockpath, sizeof(d->sockpath), "%s/%s.sock",
	        rundir, d->name) >= sizeof(d->sockpath) ||
	    (size_t)snprintf(d->pidpath, sizeof(d->pidpath), "%s/%s.pid",
	        rundir, d->name) >= sizeof(d->pidpath))
		fatalx("rundir %s: path too long", rundir);
	/* Refuse early, before detaching, so the operator sees why. */
	if ((fd = ctl_connect(d->sockpath)) != -1) {
		close(fd);
		fatalx("%s: in use by a running %s", d->sockpath, d->name);
	}
	if ((daemon_pidfh = pidfile_acquire(d->pidpath,
	         d->drop ? d->uid : (uid_t)-1, &other, err, sizeof(err))) ==
	    NULL) {
		if (errno == EEXIST)
			fatalx("%s already running, pid %ld", d->name,
			    (long)other);
		fatalx("%s", err);
	}
	if (!d->foreground && daemon(0, 0) == -1)
		fatal("daemon");
	signal(SIGPIPE, SIG_IGN);
	if ((cfg = event_config_new()) == NULL)
		fatalx("event_config_new");
	if (d->precise_timers)
		event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	if ((d->base = event_base_new_with_config(cfg)) == NULL)
		fatalx("event_base_new");
	event_config_free(cfg);
	for (i = 0; i < CTL_OP_COUNT; i++)
		handlers[i] = d->handlers[i] != NULL ? daemon_dispatch : NULL;
	handlers[CTL_OP_PING] = daemon_ping;
	handlers[CTL_OP_STATUS] = daemon_status_op;
	if ((d->ctl = ctl_server_new(d->base, d->sockpath, d->served,
	         &d->policy, handlers, daemon_peer_closed, d, err,
	         sizeof(err))) == NULL)
		fatalx("%s", err);
	/*
	 * The socket's group is the media user's: that is how the daemons
	 * (and operators in that group) reach each other; roles come from
	 * the peer's credentials (ctl_server.c).
	 */
	if (d->policy.media_set &&
	    chown(d->sockpath, (uid_t)-1, d->policy.media_gid) == -1)
		log_warn("chgrp %s to the group of %s", d->sockpath,
		    conf_str(d->conf, "user"));
	if (pidfile_store(daemon_pidfh) == -1)
		fatal("pidfile %s", d->pidpath);
	for (i = 0; i < nitems(sigs); i++) {
		daemon_sigev[i] =
		    evsignal_new(d->base, sigs[i], daemon_signal, d);
		evsignal_add(daemon_sigev[i], NULL);
	}
	if (d->drop &&
	    event_base_once(
	        d->base, -1, EV_TIMEOUT, daemon_drop_late, d, NULL) == -1)
		fatalx("event_base_once");
	d->started = time(NULL);
	setproctitle("%s", conf_path(d->conf));
	log_info("%s %s started, control socket %s", d->name, NYON_VERSION,
	    d->sockpath);
}

void
daemon_drop_privileges(struct daemon *d)
{
	const char *user = daemon_user(d);
	const char *rundir = conf_str(d->conf, "rundir");

	if (!d->drop)
		return;
	/*
	 * What was made as root becomes the user's, so that other daemons
	 * running as the user can connect and the socket and pidfile can
	 * be removed at exit.  A run directory made by someone else is left
	 * alone; the rc scripts and systemd make it the user's.
	 */
	/* the group stays the media user's (daemon_start) */
	if (chown(d->sockpath, d->uid, (gid_t)-1) == -1)
		fatal("chown %s", d->sockpath);
	if (pidfile_chown(daemon_pidfh, d->uid, d->gid) == -1)
		fatal("chown %s", d->pidpath);
	if (d->made_rundir && chown(rundir, d->uid, d->gid) == -1)
		fatal("chown %s", rundir);
	if (initgroups(user, d->gid) == -1)
		fatal("initgroups %s", user);
	if (setresgid(d->gid, d->gid, d->gid) == -1)
		fatal("setresgid %ld", (long)d->gid);
	if (setresuid(d->uid, d->uid, d->uid) == -1)
		fatal("setresuid %ld", (long)d->uid);
	if (setuid(0) != -1 || seteuid(0) != -1 || setgid(0) != -1)
		fatalx("could regain root after switching to %s", user);
	d->drop = 0;
	if (access(rundir, W_OK) == -1)
		log_warnx("%s is not writable by %s: the socket and pidfile "
		          "will be left behind at exit",
		    rundir, user);
	log_info("running as %s (uid %ld, gid %ld)", user, (long)d->uid,
	    (long)d->gid);
}

void
daemon_stop(struct daemon *d)
{
	size_t i;

	ctl_server_free(d->ctl);
	d->ctl = NULL;
	for (i = 0; i < nitems(daemon_sigev); i++)
		if (daemon_sigev[i] != NULL) {
			event_free(daemon_sigev[i]);
			daemon_sigev[i] = NULL;
		}
	pidfile_release(daemon_pidfh);
	daemon_pidfh = NULL;
	event_base_free(d->base);
	d->base = NULL;
	log_info("%s stopped", d->name);
	conf_free(d->conf);
	d->conf = NULL;
}
