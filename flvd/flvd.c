/*
 * flvd: HTTP-FLV fan-out of the live streams ingestd hands over.  See
 * flvd(8).
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "flvd.h"

struct flvd *flvd;

static void
flvd_status(yajl_gen g, void *arg)
{
	json_int(g, "viewers", flvd->nviewers);
	json_int(g, "connections", flvd->nconnections);
	json_int(g, "viewers_total", (long long)flvd->viewers_total);
	json_int(g, "viewers_dropped", (long long)flvd->viewers_dropped);
	json_int(g, "not_found", (long long)flvd->not_found);
	json_int(g, "refused", (long long)flvd->refused);
	json_int(g, "bytes_out", (long long)flvd->bytes_out);
	source_status(g);
}

/* Values flvd caches out of the config, read again on SIGHUP. */
static void
flvd_reload(void *arg)
{
	flvd->backlog = conf_int(flvd->d.conf, "viewer_backlog");
}

int
main(int argc, char *argv[])
{
	static struct flvd state;

	flvd = &state;
	TAILQ_INIT(&flvd->streams);
	TAILQ_INIT(&flvd->conns);
	flvd->d.name = "flvd";
	flvd->d.status = flvd_status;
	flvd->d.reload = flvd_reload;
	flvd->d.served = CTL_SERVED_FLVD;
	daemon_args(&flvd->d, argc, argv);
	flvd_reload(NULL);
	daemon_start(&flvd->d);
	viewer_listen();
	daemon_drop_privileges(&flvd->d);
	writers_start((int)conf_int(flvd->d.conf, "flv_write_threads"));
	source_start();

	event_base_dispatch(flvd->d.base);

	viewer_close_listeners();
	source_stop();
	writers_stop();
	free(flvd->batch);
	daemon_stop(&flvd->d);
	return 0;
}
