/*
 * GET /metrics: Prometheus's text exposition format (version 0.0.4), on
 * the API port.  The figures are the daemons' own status, gathered as the
 * health page does (gather.c): a daemon that is down is nyon_up 0, never
 * a slow scrape.  metrics_access decides who may read it: loopback peers
 * alone, or whoever sends metrics_token or an API token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "authd.h"

/* A label value with \, " and newline escaped. */
static void
api_metrics_label(struct evbuffer *b, const char *name, const char *v)
{
	evbuffer_add_printf(b, "%s=\"", name);
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			evbuffer_add_printf(b, "\\%c", *v);
		else if (*v == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, v, 1);
	}
	evbuffer_add(b, "\"", 1);
}

/* ",label=value" with obj's string at key, "" if it has none. */
static void
api_metrics_label_of(
    struct evbuffer *b, const char *label, yajl_val obj, const char *key)
{
	const char *v = json_get_str(obj, key);

	evbuffer_add(b, ",", 1);
	api_metrics_label(b, label, v != NULL ? v : "");
}

static void
api_metrics_family(
    struct evbuffer *b, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(
	    b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample: name{l1="v1",l2="v2"} value; a label whose value is NULL is left out. */
static void
api_metrics_sample(struct evbuffer *b, const char *name, const char *l1,
    const char *v1, const char *l2, const char *v2, double value)
{
	evbuffer_add_printf(b, "%s", name);
	if (v1 != NULL || v2 != NULL) {
		evbuffer_add(b, "{", 1);
		if (v1 != NULL)
			api_metrics_label(b, l1, v1);
		if (v1 != NULL && v2 != NULL)
			evbuffer_add(b, ",", 1);
		if (v2 != NULL)
			api_metrics_label(b, l2, v2);
		evbuffer_add(b, "}", 1);
	}
	if (value == (double)(long long)value)
		evbuffer_add_printf(b, " %lld\n", (long long)value);
	else
		evbuffer_add_printf(b, " %.3f\n", value);
}

static int
api_metrics_num(yajl_val obj, const char *key, double *out)
{
	yajl_val v = json_get(obj, key);

	if (v == NULL || !YAJL_IS_NUMBER(v))
		return -1;
	*out = YAJL_GET_DOUBLE(v);
	return 0;
}

struct api_metric {
	const char *name, *type, *key, *help;
};

/*
 * One family per metric over the streams in the daemons' status: the
 * value at key in the stream or, for outputs, in its "output" object
 * (livestat.c's shape), labelled by stream and output.
 */
static void
api_metrics_streams(struct evbuffer *b, const struct api_metric *m, size_t nm,
    const yajl_val *daemons, size_t nd, int outputs)
{
	yajl_val list, s, o;
	const char *name, *kind;
	double v;
	size_t i, k, d;

	for (k = 0; k < nm; k++) {
		api_metrics_family(b, m[k].name, m[k].type, m[k].help);
		for (d = 0; d < nd; d++) {
			list = json_get(daemons[d], "streams");
			for (i = 0; list != NULL && YAJL_IS_ARRAY(list) &&
			     i < list->u.array.len;
			     i++) {
				s = list->u.array.values[i];
				name = json_get_str(s, "name");
				o = outputs ? json_get(s, "output") : s;
				kind = outputs ? json_get_str(o, "kind") : NULL;
				if (name != NULL &&
				    (!outputs || kind != NULL) &&
				    api_metrics_num(o, m[k].key, &v) == 0)
					api_metrics_sample(b, m[k].name,
					    "stream", name, "output", kind, v);
			}
		}
	}
}

/* The daemons: up, and each one's CPU, memory and descriptors. */
static void
api_metrics_daemons(struct evbuffer *b, yajl_val status[GATHER_N])
{
	static const struct api_metric proc[] = {
	    {"nyon_process_cpu_seconds_total", "counter", "cpu_seconds",
	        "CPU time the daemon has used, user and system"},
	    {"nyon_process_resident_memory_bytes", "gauge", "rss_bytes",
	        "resident memory of the daemon"},
	    {"nyon_process_open_fds", "gauge", "open_fds",
	        "file descriptors the daemon has open"},
	    {"nyon_process_max_fds", "gauge", "max_fds",
	        "file descriptors the daemon may open"},
	};
	struct procstat ps;
	double v;
	size_t i, k;

	api_metrics_family(
	    b, "nyon_up", "gauge", "1 if the daemon answered its status");
	api_metrics_sample(b, "nyon_up", "daemon", "authd", NULL, NULL, 1);
	for (i = 0; i < GATHER_N; i++)
		api_metrics_sample(b, "nyon_up", "daemon", gather_daemons[i],
		    NULL, NULL, status[i] != NULL);
	procstat_self(&ps);
	for (k = 0; k < nitems(proc); k++) {
		api_metrics_family(b, proc[k].name, proc[k].type, proc[k].help);
		v = k == 0   ? ps.cpu_seconds
		    : k == 1 ? (double)ps.rss_bytes
		    : k == 2 ? (double)ps.open_fds
		             : (double)ps.max_fds;
		if (v >= 0)
			api_metrics_sample(
			    b, proc[k].name, "daemon", "authd", NULL, NULL, v);
		for (i = 0; i < GATHER_N; i++)
			if (api_metrics_num(json_get(status[i], "process"),
			        proc[k].key, &v) == 0 &&
			    v >= 0)
				api_metrics_sample(b, proc[k].name, "daemon",
				    gather_daemons[i], NULL, NULL, v);
	}
	api_metrics_family(b, "nyon_publishes_total", "counter",
	    "publish requests authd answered, by result");
	api_metrics_sample(b, "nyon_publishes_total", "result", "allowed", NULL,
	    NULL, (double)authd->publishes_ok);
	api_metrics_sample(b, "nyon_publishes_total", "result", "refused", NULL,
	    NULL, (double)authd->publishes_refused);
	api_metrics_family(b, "nyon_viewer_sessions_reported_total", "counter",
	    "viewer session reports authd stored");
	api_metrics_sample(b, "nyon_viewer_sessions_reported_total", NULL, NULL,
	    NULL, NULL, (double)authd->viewer_reports);
	/* the reporters' side: sessions dropped while authd was away */
	api_metrics_family(b, "nyon_viewer_reports_lost_total", "counter",
	    "ended viewer sessions an output daemon dropped, authd unreachable");
	for (i = 0; i < GATHER_N; i++)
		if (api_metrics_num(
		        json_get(status[i], "viewer_reports"), "lost", &v) == 0)
			api_metrics_sample(b, "nyon_viewer_reports_lost_total",
			    "daemon", gather_daemons[i], NULL, NULL, v);
}

/* ingestd's streams: what comes in, and what it is. */
static void
api_metrics_inputs(struct evbuffer *b, yajl_val ing)
{
	static const struct api_metric in[] = {
	    {"nyon_stream_bitrate_kbps", "gauge", "kbps",
	        "publisher's bitrate, kbit/s"},
	    {"nyon_stream_received_bytes_total", "counter", "bytes_in",
	        "bytes received from the publisher"},
	    {"nyon_stream_fps", "gauge", "fps",
	        "frames per second, by the timestamps"},
	    {"nyon_stream_keyframe_interval_seconds", "gauge",
	        "keyframe_interval", "seconds between keyframes"},
	    {"nyon_stream_uptime_seconds", "gauge", "uptime",
	        "seconds the stream has been live"},
	    {"nyon_stream_width_pixels", "gauge", "width", "picture width"},
	    {"nyon_stream_height_pixels", "gauge", "height", "picture height"},
	};
	yajl_val list = json_get(ing, "streams"), s, al;
	const char *name;
	size_t i;

	if (list == NULL || !YAJL_IS_ARRAY(list))
		return;
	api_metrics_streams(b, in, nitems(in), &ing, 1, 0);
	api_metrics_family(b, "nyon_stream_info", "gauge",
	    "1 per live stream, its protocol and codecs as labels");
	for (i = 0; i < list->u.array.len; i++) {
		s = list->u.array.values[i];
		if ((name = json_get_str(s, "name")) == NULL)
			continue;
		evbuffer_add_printf(b, "nyon_stream_info{");
		api_metrics_label(b, "stream", name);
		api_metrics_label_of(b, "protocol", s, "proto");
		api_metrics_label_of(
		    b, "video_codec", json_get(s, "video"), "codec");
		api_metrics_label_of(
		    b, "audio_codec", json_get(s, "audio"), "codec");
		evbuffer_add_printf(b, "} 1\n");
	}
	api_metrics_family(b, "nyon_stream_alerts", "gauge",
	    "alerts a stream is under (bitrate, keyframe interval, fps)");
	for (i = 0; i < list->u.array.len; i++) {
		s = list->u.array.values[i];
		al = json_get(s, "alerts");
		if ((name = json_get_str(s, "name")) != NULL)
			api_metrics_sample(b, "nyon_stream_alerts", "stream",
			    name, NULL, NULL,
			    al != NULL && YAJL_IS_ARRAY(al)
			        ? (double)al->u.array.len
			        : 0);
	}
}

/* Every output daemon's streams, by output. */
static void
api_metrics_outputs(struct evbuffer *b, yajl_val status[GATHER_N])
{
	static const struct api_metric out[] = {
	    {"nyon_output_viewers", "gauge", "viewers", "viewers watching"},
	    {"nyon_output_sent_bytes_total", "counter", "bytes_out",
	        "bytes sent to viewers"},
	    {"nyon_output_viewers_joined_total", "counter", "viewers_total",
	        "viewers that started watching"},
	    {"nyon_output_viewers_skipped_total", "counter", "skipped",
	        "times a slow viewer was skipped ahead"},
	    {"nyon_output_viewers_dropped_total", "counter", "dropped",
	        "viewers dropped for being too slow"},
	};
	const yajl_val outs[] = {status[GATHER_FLVD], status[GATHER_RTCD]};

	api_metrics_streams(b, out, nitems(out), outs, nitems(outs), 1);
}

static void
api_metrics_reply(struct api_req *r, yajl_val status[GATHER_N])
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
	struct evbuffer *b = evbuffer_new();

	api_metrics_daemons(b, status);
	api_metrics_inputs(b, status[GATHER_INGESTD]);
	api_metrics_outputs(b, status);
	evhttp_add_header(
	    h, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_send_reply(r->req, 200, "OK", b);
	evbuffer_free(b);
}

int
api_metrics_access(
    const char *mode, int loopback, const char *auth, const char *token)
{
	size_t n = strlen(token);

	if (strcmp(mode, "loopback") == 0)
		return loopback ? API_METRICS_OK : API_METRICS_REFUSED;
	if (n > 0 && auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0 &&
	    strlen(auth + 7) == n && hmac_equal(auth + 7, token, n))
		return API_METRICS_OK;
	return API_METRICS_JWT;
}

/* 0 if r may read the metrics; else -1, answered. */
static int
api_metrics_allowed(struct api_req *r)
{
	const char *auth = evhttp_find_header(
	    evhttp_request_get_input_headers(r->req), "Authorization");

	switch (api_metrics_access(conf_str(authd->d.conf, "metrics_access"),
	    r->loopback, auth, conf_str(authd->d.conf, "metrics_token"))) {
	case API_METRICS_OK:
		return 0;
	case API_METRICS_REFUSED:
		api_reply_error(r, 403,
		    "metrics are for loopback peers (metrics_access)", NULL,
		    NULL);
		return -1;
	default:
		/* an operator's API token will do too */
		return api_authenticate(r, 0);
	}
}

void
api_metrics(struct api_req *r)
{
	if (api_metrics_allowed(r) == -1)
		return;
	gather_reply(r, api_metrics_reply);
}
