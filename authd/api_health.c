/*
 * /api/health for init systems, and /api/config/health for the dashboard:
 * the box (CPU, memory, load, uptime), the daemons and the live streams
 * with their viewers, the recordings and the forwarding destinations.
 * gather.c asks the other daemons, so authd's loop never waits on them.
 */
#include <sys/sysinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/http.h>

#include "authd.h"

static double api_health_cpu_pct = -1;
static unsigned long long api_health_cpu_total, api_health_cpu_idle;

void
api_health_tick(void)
{
	unsigned long long v[8] = {0}, total = 0, idle;
	FILE *f;
	int i, n;

	if ((f = fopen("/proc/stat", "r")) == NULL)
		return;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
	    &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n < 4)
		return;
	for (i = 0; i < 8; i++)
		total += v[i];
	idle = v[3] + v[4];
	if (api_health_cpu_total != 0 && total > api_health_cpu_total)
		api_health_cpu_pct = 100.0 *
		    (double)((total - api_health_cpu_total) -
		        (idle - api_health_cpu_idle)) /
		    (double)(total - api_health_cpu_total);
	api_health_cpu_total = total;
	api_health_cpu_idle = idle;
}

/* "MemTotal:  948304 kB" -> bytes */
static long long
api_health_meminfo(const char *key)
{
	char line[256];
	long long kb = -1;
	size_t n = strlen(key);
	FILE *f;

	if ((f = fopen("/proc/meminfo", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, n) == 0 && line[n] == ':') {
			kb = strtoll(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

static yajl_val
api_health_find_stream(yajl_val list, const char *name)
{
	const char *n;
	size_t i;

	if (list == NULL || !YAJL_IS_ARRAY(list))
		return NULL;
	for (i = 0; i < list->u.array.len; i++)
		if ((n = json_get_str(list->u.array.values[i], "name")) !=
		        NULL &&
		    strcmp(n, name) == 0)
			return list->u.array.values[i];
	return NULL;
}

static void
api_health_copy_num(
    yajl_gen g, const char *key, yajl_val from, const char *fkey)
{
	yajl_val v = json_get(from, fkey);

	if (v != NULL && YAJL_IS_INTEGER(v))
		json_int(g, key, YAJL_GET_INTEGER(v));
	else if (v != NULL && YAJL_IS_DOUBLE(v))
		json_double(g, key, YAJL_GET_DOUBLE(v));
	else
		json_null(g, key);
}

static void
api_health_copy_str(
    yajl_gen g, const char *key, yajl_val from, const char *fkey)
{
	const char *s = json_get_str(from, fkey);

	if (s != NULL)
		json_str(g, key, s);
	else
		json_null(g, key);
}

static void
api_health_system(yajl_gen g)
{
	struct sysinfo si;
	long long total, avail, temp = -1;
	double load[3];
	size_t i;
	FILE *f;

	json_key(g, "cpu");
	yajl_gen_map_open(g);
	if (api_health_cpu_pct >= 0)
		json_double(
		    g, "percent", (long long)(api_health_cpu_pct * 10) / 10.0);
	else
		json_null(g, "percent");
	json_int(g, "cores", sysconf(_SC_NPROCESSORS_ONLN));
	if ((f = fopen("/sys/class/thermal/thermal_zone0/temp", "r")) != NULL) {
		if (fscanf(f, "%lld", &temp) != 1)
			temp = -1;
		fclose(f);
	}
	if (temp >= 0)
		json_double(g, "temperature_c", temp / 1000.0);
	else
		json_null(g, "temperature_c");
	yajl_gen_map_close(g);

	total = api_health_meminfo("MemTotal");
	avail = api_health_meminfo("MemAvailable");
	json_key(g, "memory");
	yajl_gen_map_open(g);
	json_int(g, "total", total);
	json_int(g, "available", avail);
	json_int(g, "used", total >= 0 && avail >= 0 ? total - avail : -1);
	if (total > 0 && avail >= 0)
		json_double(g, "percent",
		    (long long)((total - avail) * 1000 / total) / 10.0);
	else
		json_null(g, "percent");
	yajl_gen_map_close(g);

	json_key(g, "load");
	yajl_gen_array_open(g);
	if (getloadavg(load, 3) == 3)
		for (i = 0; i < 3; i++)
			yajl_gen_double(g, (long long)(load[i] * 100) / 100.0);
	yajl_gen_array_close(g);

	json_key(g, "uptime");
	yajl_gen_map_open(g);
	json_int(g, "system", sysinfo(&si) == 0 ? si.uptime : -1);
	json_int(g, "authd", time(NULL) - authd->d.started);
	yajl_gen_map_close(g);
}

static void
api_health_copy_any(yajl_gen g, const char *key, yajl_val from)
{
	yajl_val v = json_get(from, key);

	json_key(g, key);
	if (v != NULL)
		json_value(g, v);
	else
		yajl_gen_null(g);
}

/* Each output daemon's figures for the stream, in livestat.c's shape. */
static void
api_health_outputs(yajl_gen g, const char *name, yajl_val flv, yajl_val rtc)
{
	yajl_val from[] = {flv, rtc}, o;
	size_t i;

	json_key(g, "outputs");
	yajl_gen_array_open(g);
	for (i = 0; i < nitems(from); i++) {
		o = json_get(
		    api_health_find_stream(json_get(from[i], "streams"), name),
		    "output");
		if (o != NULL && YAJL_IS_OBJECT(o))
			json_value(g, o);
	}
	yajl_gen_array_close(g);
}

/* rtcd's viewers of a stream, with what their receiver reports say. */
static void
api_health_webrtc(yajl_gen g, yajl_val rs)
{
	yajl_val list = json_get(rs, "sessions"), v;
	size_t i;

	api_health_copy_num(g, "webrtc_viewers", rs, "viewers");
	json_key(g, "webrtc");
	yajl_gen_array_open(g);
	for (i = 0;
	     list != NULL && YAJL_IS_ARRAY(list) && i < list->u.array.len;
	     i++) {
		v = list->u.array.values[i];
		yajl_gen_map_open(g);
		json_str(g, "address",
		    json_get_str(v, "address") ? json_get_str(v, "address")
		                               : "");
		json_str(g, "state",
		    json_get_str(v, "state") ? json_get_str(v, "state") : "");
		api_health_copy_num(g, "loss_pct", v, "loss_pct");
		api_health_copy_num(g, "jitter_ms", v, "jitter_ms");
		api_health_copy_num(g, "rtt_ms", v, "rtt_ms");
		api_health_copy_num(g, "packets", v, "packets");
		api_health_copy_num(g, "retransmits", v, "retransmits");
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

/* Live figures: ingestd's streams, each with flvd's and rtcd's viewers. */
static void
api_health_streams(yajl_gen g, yajl_val ing, yajl_val flv, yajl_val rtc)
{
	yajl_val list = json_get(ing, "streams"), s, fs;
	long long live = 0, viewers = 0;
	const char *name;
	size_t i;

	json_key(g, "streams");
	yajl_gen_array_open(g);
	for (i = 0;
	     list != NULL && YAJL_IS_ARRAY(list) && i < list->u.array.len;
	     i++) {
		s = list->u.array.values[i];
		if ((name = json_get_str(s, "name")) == NULL)
			continue;
		live++;
		fs = api_health_find_stream(json_get(flv, "streams"), name);
		yajl_gen_map_open(g);
		json_str(g, "name", name);
		json_str(g, "protocol",
		    json_get_str(s, "proto") ? json_get_str(s, "proto") : "");
		api_health_copy_num(g, "kbps", s, "kbps");
		api_health_copy_num(g, "fps", s, "fps");
		api_health_copy_num(g, "uptime", s, "uptime");
		api_health_copy_num(g, "bytes_in", s, "bytes_in");
		api_health_copy_num(g, "viewers", fs, "viewers");
		/* max_bitrate as enforced: the limit, the rate it is held to */
		api_health_copy_num(g, "max_kbps", s, "max_kbps");
		api_health_copy_num(g, "window_kbps", s, "window_kbps");
		api_health_copy_str(g, "bitrate_warning", s, "bitrate_warning");
		api_health_webrtc(
		    g, api_health_find_stream(json_get(rtc, "streams"), name));
		api_health_copy_str(g, "publisher", s, "publisher");
		api_health_copy_num(g, "width", s, "width");
		api_health_copy_num(g, "height", s, "height");
		api_health_copy_num(g, "fps_received", s, "fps_received");
		api_health_copy_num(
		    g, "keyframe_interval", s, "keyframe_interval");
		api_health_copy_any(g, "video", s);
		api_health_copy_any(g, "audio", s);
		api_health_copy_any(g, "alerts", s);
		api_health_outputs(g, name, flv, rtc);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	if (ing != NULL)
		json_int(g, "active_streams", live);
	else
		json_null(g, "active_streams");
	if (flv != NULL && json_get_int(flv, "viewers", &viewers) == 0)
		json_int(g, "viewers", viewers);
	else
		json_null(g, "viewers");
}

/*
 * fwdd's destinations as it reports them: URLs masked, states, rates and
 * the last error.  The dashboard puts them beside authd's list.
 */
static void
api_health_forwarding(yajl_gen g, yajl_val fwd)
{
	static const char *const strs[] = {
	    "stream", "url", "protocol", "state", "last_error"};
	static const char *const nums[] = {"id", "kbps", "bytes_out", "queued",
	    "sessions", "reconnects", "failures", "skips", "state_s"};
	yajl_val list = json_get(fwd, "destinations"), d;
	size_t i, k;

	json_key(g, "forwarding");
	if (list == NULL || !YAJL_IS_ARRAY(list)) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_array_open(g);
	for (i = 0; i < list->u.array.len; i++) {
		d = list->u.array.values[i];
		yajl_gen_map_open(g);
		for (k = 0; k < nitems(strs); k++)
			json_str(g, strs[k], json_get_str(d, strs[k]));
		for (k = 0; k < nitems(nums); k++)
			api_health_copy_num(g, nums[k], d, nums[k]);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

/* recd's state: what it records, and why it pauses (the disk). */
static void
api_health_recording(yajl_gen g, yajl_val recd)
{
	json_key(g, "recording");
	if (recd == NULL) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_map_open(g);
	json_bool(g, "paused", YAJL_IS_TRUE(json_get(recd, "paused")));
	if (json_get_str(recd, "warning") != NULL)
		json_str(g, "warning", json_get_str(recd, "warning"));
	else
		json_null(g, "warning");
	api_health_copy_num(g, "recording", recd, "recording");
	api_health_copy_num(g, "recordings", recd, "recordings");
	api_health_copy_num(g, "used_bytes", recd, "used_bytes");
	api_health_copy_num(g, "budget_bytes", recd, "budget_bytes");
	api_health_copy_num(g, "free_bytes", recd, "free_bytes");
	yajl_gen_map_close(g);
}

static void
api_health_reply(struct api_req *r, yajl_val status[GATHER_N])
{
	yajl_gen g = json_gen();
	int i;

	yajl_gen_map_open(g);
	json_str(g, "status", "ok");
	api_health_system(g);
	json_key(g, "daemons");
	yajl_gen_map_open(g);
	json_str(g, "authd", "up");
	for (i = 0; i < GATHER_N; i++)
		json_str(
		    g, gather_daemons[i], status[i] != NULL ? "up" : "down");
	yajl_gen_map_close(g);
	api_health_streams(g, status[GATHER_INGESTD], status[GATHER_FLVD],
	    status[GATHER_RTCD]);
	api_health_recording(g, status[GATHER_RECD]);
	api_health_forwarding(g, status[GATHER_FWDD]);
	alerts_json(g, status);
	yajl_gen_map_close(g);
	api_reply_ok(r, 200, g, NULL);
	yajl_gen_free(g);
}

void
api_health_config(struct api_req *r)
{
	gather_reply(r, api_health_reply);
}

/* For init systems and load balancers: no token, no secrets. */
void
api_health(struct api_req *r)
{
	struct db_stats st;
	yajl_gen g;

	if (db_stats(authd->db, &st, NULL) == -1) {
		api_reply_error(r, 500, "database unavailable", NULL, NULL);
		return;
	}
	g = json_gen();
	yajl_gen_map_open(g);
	json_str(g, "status", "ok");
	json_str(g, "version", NYON_VERSION);
	json_int(g, "uptime", time(NULL) - authd->d.started);
	json_bool(g, "ingestd_connected", control_ingestd_connected());
	yajl_gen_map_close(g);
	api_reply_ok(r, 200, g, NULL);
	yajl_gen_free(g);
}
