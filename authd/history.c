/*
 * The history sampler: every DB_HIST_FINE seconds it gathers the other
 * daemons' status (gather.c, never waiting on them) and the box's own
 * figures, and writes one row per series (db_history.c).  Rates are
 * differences between two samples, so the first sample after a start
 * has none.  The same tick keeps viewer sessions within their bounds and
 * looks at the board's throttling (alerts.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "authd.h"

#define HISTORY_STREAMS_MAX 128 /* streams one sample holds */

/* What the last sample counted, for rates. */
static struct {
	struct event *timer;
	uint64_t at_ms;
	unsigned long long cpu_total, cpu_idle;
	unsigned long long rx, tx;
	struct {
		char name[DB_NAME_SZ];
		long long bytes_out;
	} out[HISTORY_STREAMS_MAX];
	size_t nout;
} hist;

/* The whole machine's CPU use since the last call, percent; NAN at first. */
static double
history_cpu(void)
{
	unsigned long long v[8] = {0}, total = 0, idle;
	double pct = NAN;
	FILE *f;
	int i, n;

	if ((f = fopen("/proc/stat", "r")) == NULL)
		return NAN;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
	    &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n < 4)
		return NAN;
	for (i = 0; i < 8; i++)
		total += v[i];
	idle = v[3] + v[4];
	if (hist.cpu_total != 0 && total > hist.cpu_total)
		pct = 100.0 *
		    (double)((total - hist.cpu_total) -
		        (idle - hist.cpu_idle)) /
		    (double)(total - hist.cpu_total);
	hist.cpu_total = total;
	hist.cpu_idle = idle;
	return pct;
}

/* Bytes received and sent by every interface but loopback. */
static int
history_netdev(unsigned long long *rx, unsigned long long *tx)
{
	char line[512], *colon, *p;
	unsigned long long r, t;
	FILE *f;

	*rx = *tx = 0;
	if ((f = fopen("/proc/net/dev", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if ((colon = strchr(line, ':')) == NULL)
			continue;
		*colon = '\0';
		for (p = line; *p == ' '; p++)
			;
		if (strcmp(p, "lo") == 0)
			continue;
		/* rx: bytes packets errs drop fifo frame compressed mcast */
		if (sscanf(colon + 1, "%llu %*u %*u %*u %*u %*u %*u %*u %llu",
		        &r, &t) == 2) {
			*rx += r;
			*tx += t;
		}
	}
	fclose(f);
	return 0;
}

static double
history_temp(void)
{
	long long milli;
	FILE *f;
	int n;

	if ((f = fopen("/sys/class/thermal/thermal_zone0/temp", "r")) == NULL)
		return NAN;
	n = fscanf(f, "%lld", &milli);
	fclose(f);
	return n == 1 ? milli / 1000.0 : NAN;
}

static double
history_mem(void)
{
	char line[256];
	long long total = -1, avail = -1;
	FILE *f;

	if ((f = fopen("/proc/meminfo", "r")) == NULL)
		return NAN;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "MemTotal:", 9) == 0)
			total = strtoll(line + 9, NULL, 10);
		else if (strncmp(line, "MemAvailable:", 13) == 0)
			avail = strtoll(line + 13, NULL, 10);
	}
	fclose(f);
	return total > 0 && avail >= 0 ? 100.0 * (total - avail) / total : NAN;
}

/* A stream's bytes out over every output, from the output daemons. */
static long long
history_stream_out(
    const char *name, yajl_val status[GATHER_N], long long *viewers)
{
	static const int outs[] = {GATHER_FLVD, GATHER_RTCD};
	long long bytes = 0, n;
	yajl_val list, o;
	size_t i, k;

	*viewers = 0;
	for (k = 0; k < nitems(outs); k++) {
		list = json_get(status[outs[k]], "streams");
		for (i = 0; list != NULL && YAJL_IS_ARRAY(list) &&
		     i < list->u.array.len;
		     i++) {
			const char *sn =
			    json_get_str(list->u.array.values[i], "name");

			if (sn == NULL || strcmp(sn, name) != 0)
				continue;
			o = json_get(list->u.array.values[i], "output");
			if (json_get_int(o, "bytes_out", &n) == 0)
				bytes += n;
			if (json_get_int(o, "viewers", &n) == 0)
				*viewers += n;
		}
	}
	return bytes;
}

static long long
history_prev_out(const char *name)
{
	size_t i;

	for (i = 0; i < hist.nout; i++)
		if (strcmp(hist.out[i].name, name) == 0)
			return hist.out[i].bytes_out;
	return -1;
}

static void
history_gathered(yajl_val status[GATHER_N], void *arg)
{
	struct db_hist *rows;
	struct db_err err = {0};
	unsigned long long rx, tx;
	uint64_t now = now_ms();
	double dt = hist.at_ms != 0 ? (now - hist.at_ms) / 1000.0 : 0;
	double load[1];
	yajl_val list = json_get(status[GATHER_INGESTD], "streams"), s;
	long long kbps, bytes, prev, viewers;
	const char *name;
	size_t i, n = 0, nlist;

	nlist = list != NULL && YAJL_IS_ARRAY(list) ? list->u.array.len : 0;
	if (nlist > HISTORY_STREAMS_MAX)
		nlist = HISTORY_STREAMS_MAX;
	rows = xcalloc(nlist + 1, sizeof(*rows));
	rows[0].kbps_in = rows[0].viewers = rows[0].kbps_out = NAN;
	rows[0].cpu = history_cpu();
	rows[0].mem = history_mem();
	rows[0].temp = history_temp();
	rows[0].load = getloadavg(load, 1) == 1 ? load[0] : NAN;
	rows[0].rx_kbps = rows[0].tx_kbps = NAN;
	if (history_netdev(&rx, &tx) == 0) {
		if (dt > 0 && rx >= hist.rx && tx >= hist.tx) {
			rows[0].rx_kbps = (rx - hist.rx) * 8 / 1000.0 / dt;
			rows[0].tx_kbps = (tx - hist.tx) * 8 / 1000.0 / dt;
		}
		hist.rx = rx;
		hist.tx = tx;
	}
	n = 1;
	for (i = 0; i < nlist; i++) {
		s = list->u.array.values[i];
		if ((name = json_get_str(s, "name")) == NULL)
			continue;
		struct db_hist *h = &rows[n++];

		strlcpy(h->stream, name, sizeof(h->stream));
		h->cpu = h->mem = h->temp = h->load = NAN;
		h->rx_kbps = h->tx_kbps = NAN;
		h->kbps_in = json_get_int(s, "kbps", &kbps) == 0 ? kbps : NAN;
		bytes = history_stream_out(name, status, &viewers);
		h->viewers =
		    status[GATHER_FLVD] != NULL || status[GATHER_RTCD] != NULL
		    ? viewers
		    : NAN;
		prev = history_prev_out(name);
		h->kbps_out = prev >= 0 && bytes >= prev && dt > 0
		    ? (bytes - prev) * 8 / 1000.0 / dt
		    : NAN;
	}
	/* the counts to take the next rates from */
	hist.nout = 0;
	for (i = 1; i < n; i++) {
		strlcpy(hist.out[hist.nout].name, rows[i].stream,
		    sizeof(hist.out[hist.nout].name));
		hist.out[hist.nout++].bytes_out =
		    history_stream_out(rows[i].stream, status, &viewers);
	}
	hist.at_ms = now;
	if (db_history_add(authd->db, time(NULL), rows, n, &err) == -1)
		log_warnx("history: %s", err.msg);
	free(rows);
	alerts_update(status);
}

static void
history_tick(evutil_socket_t fd, short what, void *arg)
{
	gather_start(history_gathered, NULL);
	viewers_prune();
}

void
history_start(void)
{
	struct timeval tv = {DB_HIST_FINE, 0};

	hist.timer =
	    event_new(authd->d.base, -1, EV_PERSIST, history_tick, NULL);
	event_add(hist.timer, &tv);
	/* the first rates need a count to start from */
	history_cpu();
	gather_start(history_gathered, NULL);
}

void
history_stop(void)
{
	if (hist.timer != NULL)
		event_free(hist.timer);
	hist.timer = NULL;
}

int
ops_history(yajl_val a, yajl_gen g, struct db_err *err)
{
	const char *range = json_get_str(a, "range");
	int64_t now = time(NULL), secs = 3600;
	char *end;

	if (range != NULL) {
		/* "90s", "15m", "6h", "30d" */
		long long v = strtoll(range, &end, 10);

		if (v <= 0 || end == range || end[0] == '\0' ||
		    end[1] != '\0' || strchr("smhd", end[0]) == NULL)
			return db_fail(err, DB_EINVAL, "range",
			    "range: a number and s, m, h or d (e.g. 1h)");
		secs = v *
		    (end[0] == 's'          ? 1
		            : end[0] == 'm' ? 60
		            : end[0] == 'h' ? 3600
		                            : 86400);
		if (v > 31 * 86400 || secs > 31 * 86400)
			return db_fail(
			    err, DB_EINVAL, "range", "range: at most 31 days");
	}
	return db_history_json(
	    authd->db, now - secs, now, json_get_str(a, "stream"), g, err);
}
