/*
 * fwdd: pushes live streams to other servers over RTMP, RTMPS and SRT.
 * See fwdd(8).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <event2/dns.h>
#include <event2/event.h>

#include "fwdd.h"

struct fwdd *fwdd;

static void
fwdd_status(yajl_gen g, void *arg)
{
	json_int(g, "sessions", (long long)fwdd->sessions);
	json_int(g, "failures", (long long)fwdd->failures);
	json_int(g, "bytes_out", (long long)fwdd->bytes_out);
	source_status(g);
}

/* Values fwdd caches out of the config, read again on SIGHUP. */
static void
fwdd_reload(void *arg)
{
	const struct conf *c = fwdd->d.conf;

	fwdd->backlog = (size_t)conf_int(c, "forward_backlog");
	fwdd->timeout = (int)conf_int(c, "forward_timeout");
	fwdd->retry_max = (int)conf_int(c, "forward_retry_max");
}

/* Once a second: rates, stalls, broken connections. */
static void
fwdd_tick(evutil_socket_t fd, short what, void *arg)
{
	struct fstream *s;
	struct dest *d, *next;
	uint64_t now = now_ms(), out = 0;

	TAILQ_FOREACH(s, &fwdd->streams, entry)
		TAILQ_FOREACH_SAFE(d, &s->dests, entry, next) {
			dest_tick(d, now);
			out += d->bytes_out;
		}
	if (out > fwdd->bytes_out)
		fwdd->bytes_out = out;
}

int
main(int argc, char *argv[])
{
	static struct fwdd state;
	struct timeval tv = {1, 0};
	char err[256];

	fwdd = &state;
	TAILQ_INIT(&fwdd->streams);
	fwdd->d.name = "fwdd";
	fwdd->d.status = fwdd_status;
	fwdd->d.reload = fwdd_reload;
	fwdd->d.served = CTL_SERVED_FWDD;
	daemon_args(&fwdd->d, argc, argv);
	daemon_start(&fwdd->d);
	fwdd_reload(NULL);
	if (dest_rtmp_tls_init(err, sizeof(err)) == -1)
		fatalx("TLS: %s", err);
	if ((fwdd->dns = evdns_base_new(
	         fwdd->d.base, EVDNS_BASE_INITIALIZE_NAMESERVERS)) == NULL)
		fatalx("DNS: no resolver (/etc/resolv.conf)");
	daemon_drop_privileges(&fwdd->d);
	fwdd->tick = event_new(fwdd->d.base, -1, EV_PERSIST, fwdd_tick, NULL);
	event_add(fwdd->tick, &tv);
	authc_start();
	source_start();

	event_base_dispatch(fwdd->d.base);

	source_stop();
	authc_stop();
	event_free(fwdd->tick);
	/* the servers are told goodbye: a second for it to leave */
	if (dest_rtmp_lingering_count() > 0) {
		struct timeval second = {1, 0};

		event_base_loopexit(fwdd->d.base, &second);
		event_base_dispatch(fwdd->d.base);
	}
	dest_rtmp_lingering_free();
	evdns_base_free(fwdd->dns, 1);
	dest_rtmp_tls_free();
	dest_srt_cleanup();
	daemon_stop(&fwdd->d);
	return 0;
}
