/*
 * The time series (migration 6): fine rows every DB_HIST_FINE seconds
 * kept a day, and the minute's averages kept a month.  In SQLite rather
 * than a ring in memory: it outlives a restart of authd with no file
 * format of its own, ranges are one query, and it stays bounded (about
 * 8640 fine and 43200 coarse rows per series).  Each sample is one small
 * transaction; under WAL with synchronous NORMAL that is no fsync.
 */
#include <math.h>
#include <string.h>

#include <sqlite3.h>

#include "nyon.h"
#include "db.h"

#define DB_HIST_POINTS 1000 /* most points a series is read back as */

static void
db_history_bind(sqlite3_stmt *st, int i, double v)
{
	if (isnan(v))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_double(st, i, v);
}

static int
db_history_roll(struct db *db, int64_t minute, int64_t t, struct db_err *err)
{
	sqlite3_stmt *st;

	if (db_prepare(db,
	        "INSERT OR REPLACE INTO history SELECT ?1, ?2, stream,"
	        " avg(kbps_in), avg(viewers), avg(kbps_out), avg(cpu),"
	        " avg(mem), avg(temp), avg(load), avg(rx_kbps), avg(tx_kbps)"
	        " FROM history WHERE res = ?3 AND t >= ?2 AND t < ?2 + ?1"
	        " GROUP BY stream",
	        &st, err) == -1)
		return -1;
	sqlite3_bind_int(st, 1, DB_HIST_COARSE);
	sqlite3_bind_int64(st, 2, minute);
	sqlite3_bind_int(st, 3, DB_HIST_FINE);
	if (db_step_done(db, st, "history roll", err) == -1)
		return -1;
	if (db_prepare(db,
	        "DELETE FROM history WHERE (res = ?1 AND t < ?2)"
	        " OR (res = ?3 AND t < ?4)",
	        &st, err) == -1)
		return -1;
	sqlite3_bind_int(st, 1, DB_HIST_FINE);
	sqlite3_bind_int64(st, 2, t - DB_HIST_FINE_KEEP);
	sqlite3_bind_int(st, 3, DB_HIST_COARSE);
	sqlite3_bind_int64(st, 4, t - DB_HIST_COARSE_KEEP);
	return db_step_done(db, st, "history prune", err);
}

int
db_history_add(struct db *db, int64_t t, const struct db_hist *h, size_t n,
    struct db_err *err)
{
	sqlite3_stmt *st = NULL;
	int64_t minute = t / DB_HIST_COARSE * DB_HIST_COARSE;
	size_t i;

	t = t / DB_HIST_FINE * DB_HIST_FINE;
	if (db_begin(db, err) == -1)
		return -1;
	if (db_prepare(db,
	        /* a restart within a row's 10 s keeps what it knew */
	        "INSERT INTO history VALUES"
	        " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	        " ON CONFLICT (res, t, stream) DO UPDATE SET"
	        " kbps_in = coalesce(excluded.kbps_in, kbps_in),"
	        " viewers = coalesce(excluded.viewers, viewers),"
	        " kbps_out = coalesce(excluded.kbps_out, kbps_out),"
	        " cpu = coalesce(excluded.cpu, cpu),"
	        " mem = coalesce(excluded.mem, mem),"
	        " temp = coalesce(excluded.temp, temp),"
	        " load = coalesce(excluded.load, load),"
	        " rx_kbps = coalesce(excluded.rx_kbps, rx_kbps),"
	        " tx_kbps = coalesce(excluded.tx_kbps, tx_kbps)",
	        &st, err) == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int(st, 1, DB_HIST_FINE);
		sqlite3_bind_int64(st, 2, t);
		db_bind_text(st, 3, h[i].stream);
		db_history_bind(st, 4, h[i].kbps_in);
		db_history_bind(st, 5, h[i].viewers);
		db_history_bind(st, 6, h[i].kbps_out);
		db_history_bind(st, 7, h[i].cpu);
		db_history_bind(st, 8, h[i].mem);
		db_history_bind(st, 9, h[i].temp);
		db_history_bind(st, 10, h[i].load);
		db_history_bind(st, 11, h[i].rx_kbps);
		db_history_bind(st, 12, h[i].tx_kbps);
		if (sqlite3_step(st) != SQLITE_DONE) {
			db_sqlfail(db, "history", err);
			goto fail;
		}
	}
	sqlite3_finalize(st);
	st = NULL;
	/* a new minute: the one before is whole */
	if (db->hist_minute != minute) {
		if (db->hist_minute != 0 &&
		    db_history_roll(db, minute - DB_HIST_COARSE, t, err) == -1)
			goto fail;
		db->hist_minute = minute;
	}
	return db_commit(db, err);
fail:
	sqlite3_finalize(st);
	db_rollback(db);
	return -1;
}

static void
db_history_num(yajl_gen g, sqlite3_stmt *st, int col)
{
	double v;

	if (sqlite3_column_type(st, col) == SQLITE_NULL) {
		yajl_gen_null(g);
		return;
	}
	v = sqlite3_column_double(st, col);
	yajl_gen_double(g, round(v * 100) / 100);
}

/* The rows of [from, to] in steps of step, one array per series. */
static int
db_history_series(struct db *db, int res, int64_t step, int64_t from,
    int64_t to, const char *stream, int box, yajl_gen g, struct db_err *err)
{
	sqlite3_stmt *st;
	char name[DB_NAME_SZ], cur[DB_NAME_SZ] = "";
	int rc, open = 0, c, ncols = box ? 6 : 3;

	if (db_prepare(db,
	        box ? "SELECT stream, t / ?4 * ?4 AS tt, avg(cpu), avg(mem),"
	              " avg(temp), avg(load), avg(rx_kbps), avg(tx_kbps)"
	              " FROM history WHERE res = ?1 AND t BETWEEN ?2 AND ?3"
	              " AND stream = '' GROUP BY tt ORDER BY tt"
	            : "SELECT stream, t / ?4 * ?4 AS tt, avg(kbps_in),"
	              " avg(viewers), avg(kbps_out)"
	              " FROM history WHERE res = ?1 AND t BETWEEN ?2 AND ?3"
	              " AND stream <> '' AND (?5 IS NULL OR stream = ?5)"
	              " GROUP BY stream, tt ORDER BY stream, tt",
	        &st, err) == -1)
		return -1;
	sqlite3_bind_int(st, 1, res);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	sqlite3_bind_int64(st, 4, step);
	if (!box)
		db_bind_text(st, 5, stream);
	/* the box: one array; the streams: an object of arrays */
	if (box)
		yajl_gen_array_open(g);
	else
		yajl_gen_map_open(g);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		db_col(st, 0, name, sizeof(name));
		if (!box && (!open || strcmp(name, cur) != 0)) {
			if (open)
				yajl_gen_array_close(g);
			strlcpy(cur, name, sizeof(cur));
			json_key(g, name);
			yajl_gen_array_open(g);
			open = 1;
		}
		yajl_gen_array_open(g);
		yajl_gen_integer(g, sqlite3_column_int64(st, 1));
		for (c = 0; c < ncols; c++)
			db_history_num(g, st, 2 + c);
		yajl_gen_array_close(g);
	}
	if (open || box)
		yajl_gen_array_close(g);
	if (!box)
		yajl_gen_map_close(g);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_sqlfail(db, "history", err);
}

int
db_history_json(struct db *db, int64_t from, int64_t to, const char *stream,
    yajl_gen g, struct db_err *err)
{
	int res =
	    to - from <= DB_HIST_FINE_KEEP ? DB_HIST_FINE : DB_HIST_COARSE;
	int64_t step = (to - from) / DB_HIST_POINTS;

	/* whole rows, at most DB_HIST_POINTS of them */
	step = step <= res ? res : (step + res - 1) / res * res;
	yajl_gen_map_open(g);
	json_int(g, "from", from);
	json_int(g, "to", to);
	json_int(g, "resolution", res);
	json_int(g, "step", step);
	json_key(g, "box_columns");
	yajl_gen_array_open(g);
	{
		static const char *const cols[] = {"t", "cpu_percent",
		    "memory_percent", "temperature_c", "load1", "rx_kbps",
		    "tx_kbps"};
		size_t i;

		for (i = 0; i < nitems(cols); i++)
			yajl_gen_string(
			    g, (const unsigned char *)cols[i], strlen(cols[i]));
	}
	yajl_gen_array_close(g);
	json_key(g, "stream_columns");
	yajl_gen_array_open(g);
	{
		static const char *const cols[] = {
		    "t", "kbps_in", "viewers", "kbps_out"};
		size_t i;

		for (i = 0; i < nitems(cols); i++)
			yajl_gen_string(
			    g, (const unsigned char *)cols[i], strlen(cols[i]));
	}
	yajl_gen_array_close(g);
	json_key(g, "box");
	if (db_history_series(db, res, step, from, to, NULL, 1, g, err) == -1)
		return -1;
	json_key(g, "streams");
	if (db_history_series(db, res, step, from, to, stream, 0, g, err) == -1)
		return -1;
	yajl_gen_map_close(g);
	return 0;
}
