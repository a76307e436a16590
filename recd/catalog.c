/*
 * The recordings on disk, oldest first: recordings_dir/NAME/FILE.mp4, with
 * FILE.jpg its thumbnail and FILE.keep when an operator kept it.  Read
 * once at start (a file a crash left unfinished is repaired then), and
 * kept up to date as files start, end and go.  Retention lives here too:
 * recordings older than record_max_days go, then the oldest until the
 * rest fit record_max_size; kept ones and the ones being written never.
 * Each is known by its inode number, which stays the same for its life.
 */
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "recd.h"

#define CATALOG_HEAD_MAX (256 * 1024)

const char *
catalog_path(
    const struct recording *r, const char *suffix, char *buf, size_t len)
{
	size_t n;

	snprintf(buf, len, "%s/%s/%s", recd->dir, r->stream, r->file);
	if (suffix != NULL && (n = strlen(buf)) > 4 &&
	    strcmp(buf + n - 4, ".mp4") == 0)
		snprintf(buf + n - 4, len - (n - 4), "%s", suffix);
	return buf;
}

/* "20240501-120000-123.mp4" -> unix ms, or -1 */
static int64_t
catalog_name_time(const char *name)
{
	struct tm tm;
	int ms, n = 0;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(name, "%4d%2d%2d-%2d%2d%2d-%3d.mp4%n", &tm.tm_year,
	        &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
	        &ms, &n) != 7 ||
	    n != (int)strlen(name) || strlen(name) != 23)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

static int
catalog_exists(const struct recording *r, const char *suffix)
{
	char path[1024];

	return access(catalog_path(r, suffix, path, sizeof(path)), F_OK) == 0;
}

/* Oldest first; same start: by stream name. */
static void
catalog_insert(struct recording *r)
{
	struct recording *o;

	TAILQ_FOREACH_REVERSE(o, &recd->recs, recordinglist, entry)
		if (o->start_ms <= r->start_ms) {
			TAILQ_INSERT_AFTER(&recd->recs, o, r, entry);
			return;
		}
	TAILQ_INSERT_HEAD(&recd->recs, r, entry);
}

struct recording *
catalog_add(const char *stream, const char *file)
{
	struct recording *r = xcalloc(1, sizeof(*r));
	char path[1024];
	struct stat sb;

	memcpy(r->stream, stream, strlen(stream) + 1);
	strlcpy(r->file, file, sizeof(r->file));
	r->start_ms = catalog_name_time(file);
	if (stat(catalog_path(r, NULL, path, sizeof(path)), &sb) == -1) {
		log_warn("%s", path);
		free(r);
		return NULL;
	}
	r->id = (uint64_t)sb.st_ino;
	r->size = (uint64_t)sb.st_size;
	catalog_insert(r);
	return r;
}

/* Reads a finished file's header: duration, codecs, picture size. */
static int
catalog_read(struct recording *r)
{
	char path[1024], codecs[96] = "";
	uint8_t *buf;
	struct mp4scan sc;
	const char *why;
	size_t need;
	ssize_t n;
	int fd, i;

	if ((fd = open(catalog_path(r, NULL, path, sizeof(path)),
	         O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	buf = xmalloc(CATALOG_HEAD_MAX);
	n = pread(fd, buf, CATALOG_HEAD_MAX, 0);
	close(fd);
	if (n <= 0 || mp4scan_init(buf, (size_t)n, &sc, &need, &why) != 0) {
		free(buf);
		return -1;
	}
	free(buf);
	r->duration_ms = sc.duration_ms;
	for (i = 0; i < sc.ntracks; i++) {
		if (sc.track[i].width > 0) {
			r->width = sc.track[i].width;
			r->height = sc.track[i].height;
		}
		strlcat(codecs, i ? "," : "", sizeof(codecs));
		strlcat(codecs, sc.track[i].codecs, sizeof(codecs));
	}
	strlcpy(r->codecs, codecs, sizeof(r->codecs));
	return 0;
}

static void
catalog_remove(struct recording *r)
{
	TAILQ_REMOVE(&recd->recs, r, entry);
	free(r);
}

void
catalog_update(struct recording *r)
{
	if (r->active == NULL && r->size == 0) {
		catalog_remove(r);
		return;
	}
	r->thumb = catalog_exists(r, ".jpg");
	if (r->active == NULL)
		catalog_read(r);
}

static void
catalog_scan_stream(const char *stream)
{
	char dir[900], path[1024], err[256];
	struct recording *r;
	struct dirent *de;
	uint64_t size;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%s", recd->dir, stream);
	if ((d = opendir(dir)) == NULL) {
		log_warn("%s", dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (catalog_name_time(de->d_name) == -1)
			continue;
		snprintf(path, sizeof(path), "%s/%.64s", dir, de->d_name);
		/* a crash left it unfinished: whole and seekable again */
		if (file_repair(path, &size, err, sizeof(err)) == -1) {
			log_warnx("recording %s: %s; removed", path, err);
			unlink(path);
			continue;
		}
		if ((r = catalog_add(stream, de->d_name)) == NULL)
			continue;
		r->keep = catalog_exists(r, ".keep");
		r->thumb = catalog_exists(r, ".jpg");
		if (catalog_read(r) == -1)
			log_warnx("recording %s: cannot read its header", path);
	}
	closedir(d);
}

void
catalog_scan(void)
{
	struct dirent *de;
	struct recording *r;
	char why[128];
	uint64_t n = 0, bytes = 0;
	DIR *d;

	if ((d = opendir(recd->dir)) == NULL)
		fatal("%s", recd->dir);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    stream_name_check(de->d_name, why, sizeof(why)) == -1)
			continue;
		catalog_scan_stream(de->d_name);
	}
	closedir(d);
	TAILQ_FOREACH(r, &recd->recs, entry) {
		n++;
		bytes += r->size;
	}
	log_info("%s: %llu recordings, %llu MB", recd->dir,
	    (unsigned long long)n, (unsigned long long)(bytes >> 20));
}

struct recording *
catalog_find(uint64_t id)
{
	struct recording *r;

	TAILQ_FOREACH(r, &recd->recs, entry)
		if (r->id == id)
			return r;
	return NULL;
}

static void
catalog_unlink(struct recording *r, const char *why)
{
	char path[1024];

	log_info("recording %s/%s removed: %s", r->stream, r->file, why);
	if (unlink(catalog_path(r, NULL, path, sizeof(path))) == -1 &&
	    errno != ENOENT)
		log_warn("%s", path);
	unlink(catalog_path(r, ".jpg", path, sizeof(path)));
	unlink(catalog_path(r, ".keep", path, sizeof(path)));
	catalog_remove(r);
}

int
catalog_delete(struct recording *r, char *err, size_t errlen)
{
	if (r->active != NULL) {
		snprintf(err, errlen, "recording in progress");
		return -1;
	}
	catalog_unlink(r, "deleted by an operator");
	recd->removed++;
	return 0;
}

int
catalog_keep(struct recording *r, int keep, char *err, size_t errlen)
{
	char path[1024];
	int fd;

	catalog_path(r, ".keep", path, sizeof(path));
	if (keep) {
		if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0640)) ==
		    -1) {
			snprintf(err, errlen, "%s", strerror(errno));
			return -1;
		}
		close(fd);
	} else if (unlink(path) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	r->keep = keep;
	log_info("recording %s/%s: %s", r->stream, r->file,
	    keep ? "kept" : "no longer kept");
	return 0;
}

void
catalog_json(yajl_gen g, const struct recording *r)
{
	char when[32];
	time_t t = (time_t)(r->start_ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	yajl_gen_map_open(g);
	json_int(g, "id", (long long)r->id);
	json_str(g, "stream", r->stream);
	json_str(g, "file", r->file);
	json_str(g, "started_at", when);
	json_int(g, "start_ms", r->start_ms);
	json_double(g, "duration", (double)r->duration_ms / 1000.0);
	json_int(g, "size", (long long)r->size);
	json_str(g, "codecs", r->codecs);
	json_int(g, "width", r->width);
	json_int(g, "height", r->height);
	json_bool(g, "keep", r->keep);
	json_bool(g, "recording", r->active != NULL);
	json_bool(g, "thumbnail", r->thumb);
	yajl_gen_map_close(g);
}

/*
 * The warning before the floor: recording goes on, but the operator
 * learns that it will soon pause.  Said once in the log, shown while it
 * lasts.
 */
static void
catalog_warn_level(uint64_t floor, uint64_t slack)
{
	uint64_t warn = (uint64_t)conf_int(recd->d.conf, "record_warn_free");

	if (warn == 0 || warn <= floor || recd->paused) {
		recd->disk_warning[0] = '\0';
		return;
	}
	if (recd->disk_warning[0] == '\0' && recd->free_bytes < warn) {
		snprintf(recd->disk_warning, sizeof(recd->disk_warning),
		    "disk nearly full: %llu MB free in %s, under "
		    "record_warn_free (%llu MB); recording pauses under %llu MB",
		    (unsigned long long)(recd->free_bytes >> 20), recd->dir,
		    (unsigned long long)(warn >> 20),
		    (unsigned long long)(floor >> 20));
		log_warnx("%s", recd->disk_warning);
	} else if (recd->disk_warning[0] != '\0' &&
	    recd->free_bytes >= warn + slack) {
		recd->disk_warning[0] = '\0';
		log_info("disk space back above record_warn_free: %llu MB free "
		         "in %s",
		    (unsigned long long)(recd->free_bytes >> 20), recd->dir);
	}
}

/* The free-space floor: below it recording pauses, above again resumes. */
static void
catalog_floor(void)
{
	struct statvfs vfs;
	uint64_t floor = (uint64_t)conf_int(recd->d.conf, "record_min_free");
	/* some room above the floor, so it does not flap */
	uint64_t slack = floor / 10 < 64ULL << 20 ? floor / 10 : 64ULL << 20;

	if (statvfs(recd->dir, &vfs) == -1) {
		log_warn("statvfs %s", recd->dir);
		return;
	}
	recd->free_bytes = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	if (!recd->paused && recd->free_bytes < floor) {
		recd->paused = 1;
		snprintf(recd->warning, sizeof(recd->warning),
		    "recording paused: %llu MB free in %s, under "
		    "record_min_free (%llu MB)",
		    (unsigned long long)(recd->free_bytes >> 20), recd->dir,
		    (unsigned long long)(floor >> 20));
		log_warnx("%s", recd->warning);
		record_finish_all("the disk is nearly full");
	} else if (recd->paused && recd->free_bytes >= floor + slack) {
		recd->paused = 0;
		recd->warning[0] = '\0';
		log_info("recording resumes: %llu MB free in %s",
		    (unsigned long long)(recd->free_bytes >> 20), recd->dir);
	}
	catalog_warn_level(floor, slack);
}

void
catalog_retention(void)
{
	struct recording *r, *next;
	int64_t days = conf_int(recd->d.conf, "record_max_days");
	uint64_t budget = (uint64_t)conf_int(recd->d.conf, "record_max_size");
	int64_t cutoff = ((int64_t)time(NULL) - days * 86400) * 1000;
	uint64_t used = 0;
	char why[128];

	TAILQ_FOREACH_SAFE(r, &recd->recs, entry, next) {
		if (r->keep || r->active != NULL)
			continue;
		if (days > 0 && r->start_ms < cutoff) {
			snprintf(why, sizeof(why), "older than %lld days",
			    (long long)days);
			catalog_unlink(r, why);
			recd->removed++;
			continue;
		}
		used += r->size;
	}
	TAILQ_FOREACH(r, &recd->recs, entry)
		if (!r->keep && r->active != NULL)
			used += r->size;
	/* oldest first, until the rest fit; the newest always stays */
	TAILQ_FOREACH_SAFE(r, &recd->recs, entry, next) {
		if (budget == 0 || used <= budget)
			break;
		if (r->keep || r->active != NULL ||
		    r == TAILQ_LAST(&recd->recs, recordinglist))
			continue;
		used -= r->size;
		snprintf(why, sizeof(why), "record_max_size (%llu MB) reached",
		    (unsigned long long)(budget >> 20));
		catalog_unlink(r, why);
		recd->removed++;
	}
	recd->used_bytes = used;
	catalog_floor();
}

void
catalog_free(void)
{
	struct recording *r;

	while ((r = TAILQ_FIRST(&recd->recs)) != NULL)
		catalog_remove(r);
}
