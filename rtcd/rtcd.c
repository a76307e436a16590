/*
 * rtcd: WebRTC playback (WHEP) of the live streams ingestd hands over.
 * See rtcd(8).
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "rtcd.h"
#include "vreport.h"

struct rtcd *rtcd;

static void
rtcd_status(yajl_gen g, void *arg)
{
	uint64_t tc = rtcd->transcode_us;
	struct rstream *s;

	TAILQ_FOREACH(s, &rtcd->streams, entry)
		if (s->tc != NULL)
			tc += audio_tc_cpu_us(s->tc);
	json_int(g, "viewers", rtcd->nsessions);
	json_int(g, "viewers_total", (long long)rtcd->sessions_total);
	json_int(g, "refused", (long long)rtcd->refused);
	json_int(g, "not_found", (long long)rtcd->not_found);
	json_int(g, "timed_out", (long long)rtcd->ended_timeout);
	json_int(g, "packets_out", (long long)rtcd->packets_out);
	json_int(g, "bytes_out", (long long)rtcd->bytes_out);
	json_int(g, "retransmits", (long long)rtcd->retransmits);
	json_int(g, "transcode_cpu_ms", (long long)(tc / 1000));
	stream_status(g);
	vreport_status(g);
}

int
main(int argc, char *argv[])
{
	static struct rtcd state;
	char err[512];

	rtcd = &state;
	TAILQ_INIT(&rtcd->streams);
	TAILQ_INIT(&rtcd->sessions);
	rtcd->d.name = "rtcd";
	rtcd->d.status = rtcd_status;
	rtcd->d.served = CTL_SERVED_RTCD;
	daemon_args(&rtcd->d, argc, argv);
	if (cand_check(conf_str(rtcd->d.conf, "rtc_ips"), err, sizeof(err)) ==
	    -1)
		errx(1, "%s: %s", conf_path(rtcd->d.conf), err);
	daemon_start(&rtcd->d);
	whep_listen();
	udp_listen();
	daemon_drop_privileges(&rtcd->d);
	/* as the media user, so the key is its own */
	conf_file(rtcd->d.conf, "statedir", "rtc", rtcd->statedir,
	    sizeof(rtcd->statedir));
	if (dtls_init(rtcd->statedir, 0, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (srtp_lib_init() == -1)
		fatalx("libsrtp2 will not start");
	udp_start();
	stream_start();
	authc_start();
	vreport_start(rtcd->d.base, rtcd->d.conf, &rtcd->d.policy, "rtcd");
	log_info("WHEP ready; DTLS fingerprint sha-256 %s", dtls_fingerprint());

	event_base_dispatch(rtcd->d.base);

	whep_close();
	authc_stop();
	stream_stop();
	vreport_stop();
	session_end_all();
	udp_close();
	dtls_cleanup();
	daemon_stop(&rtcd->d);
	return 0;
}
