/*
 * ingestd: RTMP and SRT publishers in, FLV tags out into a shared-memory
 * ring per live stream, handed to flvd over the control socket.  See
 * ingestd(8).
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "ingestd.h"

/* Allocations from this size up get mappings of their own. */
#define INGESTD_MMAP_THRESHOLD (64 * 1024)

struct ingestd *ingestd;

static void
ingestd_status(yajl_gen g, void *arg)
{
	json_int(g, "publishers", ingestd->npublishers);
	json_int(g, "live_streams", ingestd->nstreams);
	json_int(g, "publishes_ok", (long long)ingestd->publishes_ok);
	json_int(g, "publishes_refused", (long long)ingestd->publishes_refused);
	json_int(g, "evicted", (long long)ingestd->evicted);
	json_int(g, "bytes_in", (long long)ingestd->bytes_in);
	rtmp_conn_status(g);
	json_str(g, "auth", conf_str(ingestd->d.conf, "auth"));
	if (strcmp(conf_str(ingestd->d.conf, "auth"), "authd") == 0)
		json_bool(g, "authd_connected", authc_connected());
	srt_conn_status(g);
	stream_status(g);
}

static void
ingestd_peer_closed(struct ctl_peer *p, void *arg)
{
	stream_unsubscribe(p);
}

static void
ingestd_tick(evutil_socket_t fd, short what, void *arg)
{
	stream_stats_tick();
}

/* SIGHUP: a renewed RTMPS certificate takes effect for new connections. */
static void
ingestd_reload(void *arg)
{
	char err[512];

	if (*conf_str(ingestd->d.conf, "rtmps_listen") == '\0')
		return;
	if (tls_load(ingestd->d.conf, err, sizeof(err)) == -1)
		log_warnx(
		    "reload: %s; RTMPS keeps the certificate in use", err);
}

int
main(int argc, char *argv[])
{
	static struct ingestd state;
	struct timeval second = {1, 0};
	struct publisher *p;
	char err[512];

	/*
	 * Big message buffers go back to the kernel when freed.  glibc
	 * raises its mmap threshold to the largest block freed, after which
	 * big buffers come from the heap, where one small allocation above
	 * them keeps their pages: measured, 56 MB still held after every
	 * publisher left.  A fixed threshold turns that off (MEMORY in
	 * ingestd(8)).
	 */
#ifdef M_MMAP_THRESHOLD
	mallopt(M_MMAP_THRESHOLD, INGESTD_MMAP_THRESHOLD);
#endif
	ingestd = &state;
	TAILQ_INIT(&ingestd->streams);
	TAILQ_INIT(&ingestd->publishers);
	ingestd->d.name = "ingestd";
	ingestd->d.status = ingestd_status;
	ingestd->d.served = CTL_SERVED_INGESTD;
	ingestd->d.handlers[CTL_OP_SUBSCRIBE] = stream_subscribe;
	ingestd->d.peer_closed = ingestd_peer_closed;
	ingestd->d.reload = ingestd_reload;
	daemon_args(&ingestd->d, argc, argv);
	daemon_start(&ingestd->d);
	rtmp_conn_listen();
	srt_conn_listen();
	daemon_drop_privileges(&ingestd->d);
	/* as our own user: what a reload will have to read again */
	if (*conf_str(ingestd->d.conf, "rtmps_listen") != '\0' &&
	    tls_load(ingestd->d.conf, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (strcmp(conf_str(ingestd->d.conf, "auth"), "authd") == 0)
		authc_start();
	ingestd->stats_timer =
	    event_new(ingestd->d.base, -1, EV_PERSIST, ingestd_tick, NULL);
	event_add(ingestd->stats_timer, &second);

	event_base_dispatch(ingestd->d.base);

	while ((p = TAILQ_FIRST(&ingestd->publishers)) != NULL)
		p->destroy(p);
	authc_stop();
	rtmp_conn_close_listeners();
	tls_free();
	srt_conn_close();
	event_free(ingestd->stats_timer);
	daemon_stop(&ingestd->d);
	return 0;
}
