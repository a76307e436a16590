/*
 * /api/health for init systems, and /api/config/health for the dashboard:
 * the box's CPU, memory and load, and the live figures ingestd and flvd
 * report.
 */
#include <sys/sysinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "authd.h"

/* CPU use between the last two samples of /proc/stat; -1 until known. */
static double api_cpu_pct = -1;
static unsigned long long api_cpu_total, api_cpu_idle;

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
	if (api_cpu_total != 0 && total > api_cpu_total)
		api_cpu_pct = 100.0 *
		    (double)((total - api_cpu_total) - (idle - api_cpu_idle)) /
		    (double)(total - api_cpu_total);
	api_cpu_total = total;
	api_cpu_idle = idle;
}

/* "MemTotal:  948304 kB" -> bytes */
static long long
api_meminfo(const char *key)
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

/* A daemon's status reply, or NULL if it is down or slow. */
static yajl_val
api_daemon_status(const char *name, struct ctl_msg *m)
{
	char path[512], sock[64], err[256];
	yajl_gen g = ctl_msg_begin("status");
	int ok;

	yajl_gen_map_close(g);
	snprintf(sock, sizeof(sock), "%s.sock", name);
	conf_file(authd->d.conf, "rundir", sock, path, sizeof(path));
	ok = ctl_call(path, g, m, API_HEALTH_MS, err, sizeof(err)) == 0;
	yajl_gen_free(g);
	if (!ok) {
		log_debug("api: health: %s", err);
		return NULL;
	}
	if (!YAJL_IS_TRUE(json_get(m->root, "ok")))
		return NULL;
	return m->root;
}

static yajl_val
api_find_stream(yajl_val list, const char *name)
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
api_copy_num(yajl_gen g, const char *key, yajl_val from, const char *fkey)
{
	yajl_val v = json_get(from, fkey);

	if (v != NULL && YAJL_IS_INTEGER(v))
		json_int(g, key, YAJL_GET_INTEGER(v));
	else if (v != NULL && YAJL_IS_DOUBLE(v))
		json_double(g, key, YAJL_GET_DOUBLE(v));
	else
		json_null(g, key);
}

void
api_config_health(struct api_req *r)
{
	struct ctl_msg im, fm;
	struct sysinfo si;
	yajl_val ing, flv, list, s, fs;
	long long total, avail, live = 0, viewers = 0, temp;
	double load[3];
	yajl_gen g = json_gen();
	size_t i;
	FILE *f;

	ing = api_daemon_status("ingestd", &im);
	flv = api_daemon_status("flvd", &fm);
	yajl_gen_map_open(g);
	json_str(g, "status", "ok");

	json_key(g, "cpu");
	yajl_gen_map_open(g);
	if (api_cpu_pct >= 0)
		json_double(g, "percent", (long long)(api_cpu_pct * 10) / 10.0);
	else
		json_null(g, "percent");
	json_int(g, "cores", sysconf(_SC_NPROCESSORS_ONLN));
	temp = -1;
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

	total = api_meminfo("MemTotal");
	avail = api_meminfo("MemAvailable");
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

	json_key(g, "daemons");
	yajl_gen_map_open(g);
	json_str(g, "authd", "up");
	json_str(g, "ingestd", ing != NULL ? "up" : "down");
	json_str(g, "flvd", flv != NULL ? "up" : "down");
	yajl_gen_map_close(g);

	/* live figures: ingestd's streams, each with flvd's viewers */
	list = json_get(ing, "streams");
	json_key(g, "streams");
	yajl_gen_array_open(g);
	for (i = 0;
	     list != NULL && YAJL_IS_ARRAY(list) && i < list->u.array.len;
	     i++) {
		const char *name;

		s = list->u.array.values[i];
		if ((name = json_get_str(s, "name")) == NULL)
			continue;
		live++;
		fs = api_find_stream(json_get(flv, "streams"), name);
		yajl_gen_map_open(g);
		json_str(g, "name", name);
		json_str(g, "protocol",
		    json_get_str(s, "proto") ? json_get_str(s, "proto") : "");
		api_copy_num(g, "kbps", s, "kbps");
		api_copy_num(g, "fps", s, "fps");
		api_copy_num(g, "uptime", s, "uptime");
		api_copy_num(g, "bytes_in", s, "bytes_in");
		api_copy_num(g, "viewers", fs, "viewers");
		/* ingestd does not report the picture size yet */
		json_null(g, "width");
		json_null(g, "height");
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
	yajl_gen_map_close(g);
	if (ing != NULL)
		ctl_msg_free(&im);
	if (flv != NULL)
		ctl_msg_free(&fm);
	api_reply_ok(r, 200, g, NULL);
	yajl_gen_free(g);
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
