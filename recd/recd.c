/*
 * recd: recordings and thumbnails of the live streams.  See recd(8).
 */
#include <sys/stat.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "recd.h"

struct recd *recd;

static void
recd_status(yajl_gen g, void *arg)
{
	struct recording *r;
	long long n = 0, active = 0;

	TAILQ_FOREACH(r, &recd->recs, entry) {
		n++;
		if (r->active != NULL)
			active++;
	}
	json_str(g, "dir", recd->dir);
	json_bool(g, "paused", recd->paused);
	if (recd->warning[0] != '\0')
		json_str(g, "warning", recd->warning);
	if (recd->disk_warning[0] != '\0')
		json_str(g, "disk_warning", recd->disk_warning);
	else
		json_null(g, "disk_warning");
	json_int(g, "recording", active);
	json_int(g, "recordings", n);
	json_int(g, "used_bytes", (long long)recd->used_bytes);
	json_int(g, "budget_bytes", conf_int(recd->d.conf, "record_max_size"));
	json_int(g, "free_bytes", (long long)recd->free_bytes);
	json_int(
	    g, "min_free_bytes", conf_int(recd->d.conf, "record_min_free"));
	json_int(g, "files_done", (long long)recd->files_done);
	json_int(g, "removed", (long long)recd->removed);
	json_int(g, "write_errors", (long long)recd->write_errors);
	json_int(g, "thumbnails", (long long)recd->thumbs);
	json_int(g, "thumbnails_skipped", (long long)recd->thumbs_skipped);
	record_status(g);
}

static void
recd_tick(evutil_socket_t fd, short what, void *arg)
{
	record_tick();
	catalog_retention();
}

/* A change of the floor or the budget takes effect at once. */
static void
recd_reload(void *arg)
{
	catalog_retention();
}

int
main(int argc, char *argv[])
{
	static struct recd state;
	struct timeval sec = {1, 0};

	recd = &state;
	TAILQ_INIT(&recd->streams);
	TAILQ_INIT(&recd->recs);
	recd->d.name = "recd";
	recd->d.status = recd_status;
	recd->d.reload = recd_reload;
	control_init(&recd->d);
	daemon_args(&recd->d, argc, argv);
	daemon_start(&recd->d);
	/* files are made as the media user, never as root */
	daemon_drop_privileges(&recd->d);
	conf_file(recd->d.conf, "statedir",
	    conf_str(recd->d.conf, "recordings_dir"), recd->dir,
	    sizeof(recd->dir));
	if (mkdir_p(recd->dir, 0750) == -1)
		fatal("%s (rc.d/postinstall.sh makes it, owned by user)",
		    recd->dir);
	catalog_scan();
	file_sync_start();
	thumb_start();
	catalog_retention();
	record_start();
	recd->tick = event_new(recd->d.base, -1, EV_PERSIST, recd_tick, NULL);
	event_add(recd->tick, &sec);

	event_base_dispatch(recd->d.base);

	event_free(recd->tick);
	record_stop();
	thumb_stop();
	file_sync_stop();
	catalog_free();
	daemon_stop(&recd->d);
	return 0;
}
