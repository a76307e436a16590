/*
 * What the three daemons do alike: -d -f -n -v, the configuration, the
 * control socket with ping and status, the pidfile, and clean exit on
 * SIGINT/SIGTERM.
 */
#include <sys/stat.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libutil.h>

#include <event2/event.h>

#include "nyon.h"

static struct pidfh *daemon_pidfh;
static struct event *daemon_sigev[3];

static void __attribute__((noreturn)) daemon_usage(const char *name)
{
	fprintf(stderr, "usage: %s [-dnv] [-f file]\n", name);
	exit(2);
}

void
daemon_args(struct daemon *d, int argc, char **argv)
{
	const char *path = NULL;
	char err[512];
	int ch, check = 0;

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
			d->verbose++;
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
	if (check) {
		fprintf(stderr, "%s: configuration %s OK\n", d->name,
		    conf_path(d->conf));
		exit(0);
	}
	if (strcmp(conf_str(d->conf, "log_level"), "debug") == 0 &&
	    d->verbose == 0)
		d->verbose = 1;
}

static void
daemon_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

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
	if (d->status != NULL)
		d->status(g, d->arg);
	ctl_reply_end(p, g);
}

static void
daemon_dispatch(struct ctl_peer *p, struct ctl_msg *m, void *arg)
{
	struct daemon *d = arg;
	yajl_gen g;

	if (strcmp(m->op, "ping") == 0) {
		g = ctl_reply_begin();
		json_str(g, "daemon", d->name);
		ctl_reply_end(p, g);
	} else if (strcmp(m->op, "status") == 0)
		daemon_status(p, d);
	else if (d->handle == NULL || d->handle(p, m, d->arg) == -1)
		ctl_peer_error(p, "unknown op '%s'", m->op);
}

static void
daemon_peer_closed(struct ctl_peer *p, void *arg)
{
	struct daemon *d = arg;

	if (d->peer_closed != NULL)
		d->peer_closed(p, d->arg);
}

void
daemon_start(struct daemon *d)
{
	const int sigs[] = {SIGINT, SIGTERM};
	const char *rundir = conf_str(d->conf, "rundir");
	char err[512];
	pid_t other;
	size_t i;
	int fd;

	log_init(d->name, d->foreground, d->verbose);
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
	if ((daemon_pidfh = pidfile_open(d->pidpath, 0644, &other)) == NULL) {
		if (errno == EEXIST)
			fatalx("%s already running, pid %ld", d->name,
			    (long)other);
		fatal("pidfile %s", d->pidpath);
	}
	if (!d->foreground && daemon(0, 0) == -1)
		fatal("daemon");
	signal(SIGPIPE, SIG_IGN);
	if ((d->base = event_base_new()) == NULL)
		fatalx("event_base_new");
	if ((d->ctl = ctl_server_new(d->base, d->sockpath, daemon_dispatch,
	         daemon_peer_closed, d, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	pidfile_write(daemon_pidfh);
	for (i = 0; i < nitems(sigs); i++) {
		daemon_sigev[i] =
		    evsignal_new(d->base, sigs[i], daemon_signal, d);
		evsignal_add(daemon_sigev[i], NULL);
	}
	d->started = time(NULL);
	log_info("%s %s started, control socket %s", d->name, NYON_VERSION,
	    d->sockpath);
}

void
daemon_stop(struct daemon *d)
{
	size_t i;

	ctl_server_free(d->ctl);
	d->ctl = NULL;
	for (i = 0; i < nitems(daemon_sigev); i++)
		if (daemon_sigev[i] != NULL)
			event_free(daemon_sigev[i]);
	pidfile_remove(daemon_pidfh);
	daemon_pidfh = NULL;
	event_base_free(d->base);
	d->base = NULL;
	log_info("%s stopped", d->name);
	conf_free(d->conf);
	d->conf = NULL;
}
