/*
 * Recording files.  Each fragment the muxer makes is written at once (the
 * page cache takes it, so a kill -9 loses nothing written) and then made
 * durable by a thread that calls fdatasync about once a second per file,
 * so that a power cut loses about a second while the event loop never
 * waits for the card.  A file that ends cleanly gets its mfra index and
 * its durations; one cut short (a crash, a full disk) is repaired: its
 * torn last fragment cut off, and the same index and durations added.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flv.h"
#include "recd.h"

#define FILE_SYNC_QUEUE 64
#define FILE_SYNC_MS 900 /* at most one fdatasync per file this often */
#define FILE_HEAD_MAX (256 * 1024) /* what is read for the moov */
#define FILE_MOOF_MAX (1024 * 1024)

static struct {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fds[FILE_SYNC_QUEUE];
	int n, stop, running;
} file_sync;

static void *
file_sync_main(void *arg)
{
	int fd;

	pthread_mutex_lock(&file_sync.mu);
	for (;;) {
		while (file_sync.n == 0 && !file_sync.stop)
			pthread_cond_wait(&file_sync.cv, &file_sync.mu);
		if (file_sync.n == 0)
			break;
		fd = file_sync.fds[0];
		memmove(file_sync.fds, file_sync.fds + 1,
		    --file_sync.n * sizeof(int));
		pthread_mutex_unlock(&file_sync.mu);
		if (fdatasync(fd) == -1 && errno != EINVAL)
			log_warn("recording: fdatasync");
		close(fd);
		pthread_mutex_lock(&file_sync.mu);
	}
	pthread_mutex_unlock(&file_sync.mu);
	return NULL;
}

/* Queues a copy of fd for fdatasync; skipped when the queue is full. */
static void
file_sync_push(int fd)
{
	int dup;

	if (!file_sync.running)
		return;
	if ((dup = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1) {
		log_warn("recording: dup");
		return;
	}
	pthread_mutex_lock(&file_sync.mu);
	if (file_sync.n < FILE_SYNC_QUEUE) {
		file_sync.fds[file_sync.n++] = dup;
		dup = -1;
		pthread_cond_signal(&file_sync.cv);
	}
	pthread_mutex_unlock(&file_sync.mu);
	if (dup != -1) {
		log_debug("recording: the disk is behind; a sync skipped");
		close(dup);
	}
}

void
file_sync_start(void)
{
	pthread_mutex_init(&file_sync.mu, NULL);
	pthread_cond_init(&file_sync.cv, NULL);
	if (pthread_create(&file_sync.thread, NULL, file_sync_main, NULL) != 0)
		fatalx("pthread_create");
	file_sync.running = 1;
}

void
file_sync_stop(void)
{
	if (!file_sync.running)
		return;
	pthread_mutex_lock(&file_sync.mu);
	file_sync.stop = 1;
	pthread_cond_signal(&file_sync.cv);
	pthread_mutex_unlock(&file_sync.mu);
	pthread_join(file_sync.thread, NULL);
	file_sync.running = 0;
}

static int
file_write_all(int fd, const uint8_t *p, size_t len, off_t off)
{
	ssize_t n;

	while (len > 0) {
		if ((n = pwrite(fd, p, len, off)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

struct recfile *
file_open(struct rstream *s, char *err, size_t errlen)
{
	struct recfile *f;
	struct timespec ts;
	struct tm tm;
	char dir[900], name[64];
	int i, fd = -1;
	long ms;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", recd->dir, s->name) >=
	    sizeof(dir)) {
		snprintf(err, errlen, "path too long");
		return NULL;
	}
	if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	f = xcalloc(1, sizeof(*f));
	clock_gettime(CLOCK_REALTIME, &ts);
	ms = ts.tv_nsec / 1000000;
	/* names sort by time; two in one millisecond take the next */
	for (i = 0; i < 16 && fd == -1; i++, ms++) {
		if (ms == 1000) {
			ms = 0;
			ts.tv_sec++;
		}
		gmtime_r(&ts.tv_sec, &tm);
		snprintf(name, sizeof(name),
		    "%04d%02d%02d-%02d%02d%02d-%03d.mp4",
		    (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
		    tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
		    tm.tm_sec % 100, (int)(ms % 1000));
		snprintf(f->path, sizeof(f->path), "%.900s/%s", dir, name);
		fd = open(
		    f->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		if (fd == -1 && errno != EEXIST)
			break;
	}
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", f->path, strerror(errno));
		free(f);
		return NULL;
	}
	f->fd = fd;
	f->started_ms = now_ms();
	f->thumb_due = 1;
	f->mux = mp4mux_new(s->has_video ? &s->video : NULL,
	    s->has_audio ? &s->audio : NULL, ts.tv_sec);
	mp4mux_init(f->mux, &f->out);
	if ((f->rec = catalog_add(s->name, name)) == NULL) {
		snprintf(err, errlen, "%s: cannot keep track of it", f->path);
		close(fd);
		unlink(f->path);
		mp4mux_free(f->mux);
		mp4buf_free(&f->out);
		free(f);
		return NULL;
	}
	f->rec->active = f;
	snprintf(f->rec->codecs, sizeof(f->rec->codecs), "%s%s%s",
	    s->has_video ? s->video.codecs : "",
	    s->has_video && s->has_audio ? "," : "",
	    s->has_audio ? s->audio.codecs : "");
	f->rec->width = s->has_video ? s->video.width : 0;
	f->rec->height = s->has_video ? s->video.height : 0;
	log_info("stream %s: recording into %s (%s)", s->name, f->path,
	    f->rec->codecs);
	if (file_write(f) == -1)
		return NULL;
	return f;
}

/* The file could not be written: it ends here, repaired, and is kept. */
static void
file_failed(struct recfile *f, const char *what)
{
	char err[256];
	uint64_t size;

	log_warn("recording %s: %s", f->path, what);
	recd->write_errors++;
	close(f->fd);
	f->fd = -1;
	if (file_repair(f->path, &size, err, sizeof(err)) == -1) {
		log_warnx("recording %s: %s; removed", f->path, err);
		unlink(f->path);
		size = 0;
	}
	if (f->rec != NULL) {
		f->rec->active = NULL;
		f->rec->size = size;
		catalog_update(f->rec);
	}
	mp4mux_free(f->mux);
	mp4buf_free(&f->out);
	free(f);
}

int
file_write(struct recfile *f)
{
	static uint64_t last_sync_note;

	if (f->out.len == 0)
		return 0;
	if (file_write_all(f->fd, f->out.data, f->out.len, (off_t)f->size) ==
	    -1) {
		file_failed(f, "write");
		return -1;
	}
	f->size += f->out.len;
	mp4buf_reset(&f->out);
	if (f->rec != NULL) {
		f->rec->size = f->size;
		f->rec->duration_ms = mp4mux_duration_ms(f->mux);
	}
	if (now_ms() - last_sync_note >= FILE_SYNC_MS / 4) {
		file_sync_push(f->fd);
		last_sync_note = now_ms();
	}
	return 0;
}

void
file_finish(struct recfile *f)
{
	struct mp4_patch p[MP4_PATCH_MAX];
	size_t n, i;

	mp4mux_finish(f->mux, &f->out);
	if (file_write(f) == -1)
		return;
	if (mp4mux_fragments(f->mux) == 0) {
		/* a keyframe and nothing after it: no recording */
		log_info("recording %s: empty; removed", f->path);
		close(f->fd);
		unlink(f->path);
		if (f->rec != NULL) {
			f->rec->active = NULL;
			f->rec->size = 0;
			catalog_update(f->rec);
		}
		goto out;
	}
	n = mp4mux_patches(f->mux, p, nitems(p));
	for (i = 0; i < n; i++)
		if (file_write_all(f->fd, p[i].bytes, p[i].len,
		        (off_t)p[i].offset) == -1) {
			log_warn("recording %s: durations", f->path);
			break;
		}
	file_sync_push(f->fd);
	close(f->fd);
	recd->files_done++;
	log_info("recording %s: done, %llu s, %llu bytes", f->path,
	    (unsigned long long)(mp4mux_duration_ms(f->mux) / 1000),
	    (unsigned long long)f->size);
	if (f->rec != NULL) {
		f->rec->active = NULL;
		f->rec->size = f->size;
		f->rec->duration_ms = mp4mux_duration_ms(f->mux);
		catalog_update(f->rec);
	}
out:
	mp4mux_free(f->mux);
	mp4buf_free(&f->out);
	free(f);
}

static int
file_read_at(int fd, uint8_t *buf, size_t len, off_t off)
{
	ssize_t n;
	size_t got = 0;

	while (got < len) {
		if ((n = pread(fd, buf + got, len - got, off + got)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (int)got == (int)len ? 0 : -1;
}

int
file_repair(const char *path, uint64_t *sizep, char *err, size_t errlen)
{
	struct mp4_patch p[MP4_PATCH_MAX];
	struct mp4_frag *frags = NULL, fr;
	struct mp4buf mfra = {0};
	struct mp4scan sc;
	struct stat sb;
	uint8_t *head = NULL, *moof = NULL, hdr[16];
	uint64_t off, size, end, dur = 0;
	size_t need, nfr = 0, cap = 0, hl, n, i;
	uint32_t type, ids[2] = {0, 0};
	const char *why;
	int fd, r = -1, video = -1, t;

	if ((fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1 ||
	    fstat(fd, &sb) == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	*sizep = (uint64_t)sb.st_size;
	n = sb.st_size < FILE_HEAD_MAX ? (size_t)sb.st_size : FILE_HEAD_MAX;
	head = xmalloc(n + 1);
	if (file_read_at(fd, head, n, 0) == -1 ||
	    mp4scan_init(head, n, &sc, &need, &why) != 0) {
		snprintf(err, errlen, "no whole MP4 header");
		goto out;
	}
	if (sc.duration_ms > 0) {
		r = 0; /* finished cleanly */
		goto out;
	}
	/* whole moof + mdat pairs, up to the first torn one */
	off = sc.init_len;
	while (off + 16 <= (uint64_t)sb.st_size) {
		uint64_t mdat;

		if (file_read_at(fd, hdr, 16, (off_t)off) == -1 ||
		    mp4scan_box(hdr, 16, &type, &size, &hl) == -1 ||
		    type != MP4_FOURCC('m', 'o', 'o', 'f') ||
		    size > FILE_MOOF_MAX ||
		    off + size + 16 > (uint64_t)sb.st_size)
			break;
		moof = xreallocarray(moof, (size_t)size, 1);
		if (file_read_at(fd, moof, (size_t)size, (off_t)off) == -1 ||
		    mp4scan_moof(moof, (size_t)size, &sc, &fr, &end) == -1)
			break;
		fr.moof_offset = off;
		if (file_read_at(fd, hdr, 16, (off_t)(off + size)) == -1 ||
		    mp4scan_box(hdr, 16, &type, &mdat, &hl) == -1 ||
		    type != MP4_FOURCC('m', 'd', 'a', 't') ||
		    off + size + mdat > (uint64_t)sb.st_size)
			break;
		if (nfr == cap) {
			cap = cap ? cap * 2 : 256;
			frags = xreallocarray(frags, cap, sizeof(*frags));
		}
		frags[nfr++] = fr;
		if (end > dur)
			dur = end;
		off += size + mdat;
	}
	if (nfr == 0 || dur == 0) {
		snprintf(err, errlen, "no whole fragment");
		goto out;
	}
	for (t = 0; t < sc.ntracks; t++) {
		ids[t] = sc.track[t].id;
		if (sc.track[t].fourcc == MP4_FOURCC('a', 'v', 'c', '1') ||
		    sc.track[t].fourcc == MP4_FOURCC('h', 'v', 'c', '1'))
			video = t;
	}
	mp4_mfra(&mfra, frags, nfr, ids, sc.ntracks, video);
	if (ftruncate(fd, (off_t)off) == -1 ||
	    file_write_all(fd, mfra.data, mfra.len, (off_t)off) == -1) {
		snprintf(
		    err, errlen, "cannot rewrite its end: %s", strerror(errno));
		goto out;
	}
	n = mp4scan_patches(head, (size_t)sc.init_len, &sc, dur, p, nitems(p));
	for (i = 0; i < n; i++)
		if (file_write_all(
		        fd, p[i].bytes, p[i].len, (off_t)p[i].offset) == -1) {
			snprintf(err, errlen, "cannot set its duration: %s",
			    strerror(errno));
			goto out;
		}
	if (fdatasync(fd) == -1)
		log_warn("recording %s: fdatasync", path);
	*sizep = off + mfra.len;
	log_info("recording %s: repaired: %zu whole fragments, %llu s, %llu "
	         "bytes cut",
	    path, nfr, (unsigned long long)(dur / 1000),
	    (unsigned long long)((uint64_t)sb.st_size - off));
	r = 0;
out:
	free(head);
	free(moof);
	free(frags);
	mp4buf_free(&mfra);
	close(fd);
	return r;
}
