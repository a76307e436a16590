/*
 * flvd: HTTP-FLV fan-out of the live streams ingestd hands over.  See
 * flvd(8).
 */
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "flvd.h"
#include "vreport.h"

struct flvd *flvd;

static void
flvd_status(yajl_gen g, void *arg)
{
	json_int(g, "viewers", flvd->nviewers);
	json_int(g, "connections", flvd->nconnections);
	json_int(g, "idle", flvd->nidle);
	json_int(g, "viewers_total", (long long)flvd->viewers_total);
	json_int(g, "viewers_dropped", (long long)flvd->viewers_dropped);
	json_int(g, "viewers_skipped", (long long)flvd->skips);
	json_int(g, "not_found", (long long)flvd->not_found);
	json_int(g, "refused", (long long)flvd->refused);
	json_int(g, "idle_closed", (long long)flvd->idle_closed);
	json_int(g, "evicted", (long long)flvd->evicted);
	json_int(g, "bytes_out", (long long)flvd->bytes_out);
	source_status(g);
	vreport_status(g);
}

/* Values flvd caches out of the config, read again on SIGHUP. */
static void
flvd_reload(void *arg)
{
	const struct conf *c = flvd->d.conf;
	long long need, ms;

	flvd->backlog = conf_int(c, "viewer_backlog");
	flvd->request_timeout = (int)conf_int(c, "viewer_request_timeout");
	flvd->max_viewers = (int)conf_int(c, "max_viewers");
	flvd->max_viewers_per_stream =
	    (int)conf_int(c, "max_viewers_per_stream");
	flvd->max_viewers_per_address =
	    (int)conf_int(c, "max_viewers_per_address");
	flvd->max_requests = (int)conf_int(c, "max_requests");
	flvd->max_idle_per_address = (int)conf_int(c, "max_idle_per_address");
	ms = conf_int(c, "flv_coalesce_ms");
	flvd->coalesce.tv_sec = ms / 1000;
	flvd->coalesce.tv_usec = (ms % 1000) * 1000;
	/* a viewer takes a descriptor; a request may take two (a file) */
	need = FD_RESERVE + flvd->max_viewers + 2LL * flvd->max_requests;
	if (flvd->nofile > 0 && need > flvd->nofile)
		log_warnx("RLIMIT_NOFILE is %d; max_viewers and max_requests "
		          "need about %lld: connections past it are refused",
		    flvd->nofile, need);
}

/*
 * Every connection is a descriptor: take all the hard limit allows (a shell
 * or SysV init leaves a soft limit of 1024), so that the limits in the
 * config, not EMFILE, decide who is refused.
 */
static void
flvd_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit");
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("setrlimit RLIMIT_NOFILE");
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	flvd->nofile = rl.rlim_cur > 1 << 30 ? 1 << 30 : (int)rl.rlim_cur;
}

int
main(int argc, char *argv[])
{
	static struct flvd state;

	flvd = &state;
	TAILQ_INIT(&flvd->streams);
	TAILQ_INIT(&flvd->conns);
	TAILQ_INIT(&flvd->idles);
	flvd->d.name = "flvd";
	flvd->d.status = flvd_status;
	flvd->d.reload = flvd_reload;
	flvd->d.served = CTL_SERVED_FLVD;
	flvd->d.precise_timers = 1; /* flv_coalesce_ms is milliseconds */
	daemon_args(&flvd->d, argc, argv);
	daemon_start(&flvd->d);
	flvd_raise_nofile();
	flvd_reload(NULL);
	viewer_listen();
	daemon_drop_privileges(&flvd->d);
	writers_start((int)conf_int(flvd->d.conf, "flv_write_threads"),
	    conf_bool(flvd->d.conf, "flv_io_uring"),
	    (int)conf_int(flvd->d.conf, "flv_write_spread_us"));
	source_start();
	vreport_start(flvd->d.base, flvd->d.conf, &flvd->d.policy, "flvd");

	event_base_dispatch(flvd->d.base);

	viewer_close_listeners();
	source_stop();
	vreport_stop();
	writers_stop();
	free(flvd->batch);
	daemon_stop(&flvd->d);
	return 0;
}
