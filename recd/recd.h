/*
 * recd: recordings and thumbnails.  Reads every live stream's ring through
 * lib's ring subscriber; writes the streams whose record setting is on as
 * fragmented MP4 files under recordings_dir, keeps the disk within its
 * budget, and makes a JPEG of each live stream every few seconds.  The
 * only process that writes recordings; it never touches the database.
 */
#ifndef RECD_H
#define RECD_H

#include <sys/queue.h>
#include <sys/types.h>
#include <stdint.h>

#include "nyon.h"
#include "ring.h"
#include "ringsub.h"
#include "mp4.h"

#define RECD_LIVE_DIR ".live" /* live thumbnails: not a stream name */
#define RECD_READ_MAX (2 * 1024 * 1024) /* ring bytes copied per read */
#define RECD_REFS_MAX 512
/*
 * At a stream's start the first keyframe may come before the audio's
 * configuration (an SRT publisher: ingestd learns it from the first audio
 * frame): its video waits this long for it, held, so the file has both.
 */
#define RECD_AUDIO_WAIT_MS 1500
#define RECD_HOLD_MAX (8 * 1024 * 1024) /* bytes of video held meanwhile */

/* Video frames held until the audio's configuration comes. */
struct recframe {
	uint32_t ts;
	int32_t cts;
	int key;
	size_t off, len;
};

struct recording;

/* A file being written. */
struct recfile {
	int fd;
	char path[1024];
	struct mp4mux *mux;
	struct mp4buf out;
	uint64_t size; /* bytes written */
	uint64_t started_ms; /* now_ms() at its start, for the split */
	struct recording *rec; /* its catalog entry */
	int thumb_due; /* its own thumbnail is still to be made */
};

/* One live stream, as ringsub hands it over. */
struct rstream {
	TAILQ_ENTRY(rstream) entry;
	char name[STREAM_NAME_SZ];
	struct ringsub_stream *rs;
	struct ring *ring;
	struct ringsub_cursor cursor;
	int record; /* its setting: authd's, or the `record` default */
	uint32_t seq_version;
	struct mp4_track video, audio;
	int has_video, has_audio; /* a usable configuration came */
	int video_seen; /* a video tag came, usable or not */
	char skip_why[128]; /* what cannot be recorded, said once */
	struct recfile *file;
	int waiting_key; /* resynced or new config: a file starts on a key */
	uint64_t last_thumb_ms;
	uint64_t live_ms; /* now_ms() when it was announced */
	/* held video (RECD_AUDIO_WAIT_MS) */
	int holding, hold_done; /* hold_done: never again for this stream */
	struct recframe *held;
	size_t nheld, heldcap;
	uint8_t *hold;
	size_t holdlen, holdcap;
	uint64_t tags, bytes;
	uint64_t written, files; /* bytes written, files begun, for status */
};
TAILQ_HEAD(rstreamlist, rstream);

/* A recording on disk (or being written), by its inode number. */
struct recording {
	TAILQ_ENTRY(recording) entry;
	uint64_t id; /* st_ino: stable for the file's life */
	char stream[STREAM_NAME_SZ];
	char file[64]; /* "20240501-120000-123.mp4" */
	int64_t start_ms; /* unix ms, from the name */
	uint64_t size;
	uint64_t duration_ms;
	char codecs[96];
	uint16_t width, height;
	int keep;
	int thumb; /* FILE.jpg exists */
	struct recfile *active; /* being written */
};
TAILQ_HEAD(recordinglist, recording);

struct recd {
	struct daemon d; /* d.conf is the configuration */
	char dir[512]; /* recordings_dir, resolved */
	struct rstreamlist streams;
	struct recordinglist recs; /* oldest first */
	struct ringsub *sub;
	struct event *tick;
	uint8_t *buf; /* ring reads */
	size_t bufcap;
	int paused; /* below record_min_free */
	char warning[768];
	char disk_warning[768]; /* under record_warn_free: soon paused */
	uint64_t free_bytes, used_bytes;
	/* counters */
	uint64_t files_done, removed, write_errors, thumbs, thumbs_skipped;
};

extern struct recd *recd;

/* record.c */
void record_start(void);
void record_stop(void);
void record_status(yajl_gen);
/* Ends every file (paused, or shutting down); streams go on. */
void record_finish_all(const char *why);
/* Once a second: splits and the pause. */
void record_tick(void);
/* A live stream's record setting changed: 0, or -1 if it is not live. */
int record_set(const char *name, int record);

/* file.c */
struct recfile *file_open(struct rstream *, char *err, size_t errlen);
/* Writes out what the muxer produced; -1 after closing the file on error. */
int file_write(struct recfile *);
/* Last fragment, mfra, durations; closes; the catalog learns the result. */
void file_finish(struct recfile *);
/* Makes a file cut short (crash, full disk) whole and seekable again. */
int file_repair(const char *path, uint64_t *size, char *err, size_t errlen);
void file_sync_start(void);
void file_sync_stop(void);

/* catalog.c */
void catalog_scan(void);
struct recording *catalog_add(const char *stream, const char *file);
void catalog_update(struct recording *);
struct recording *catalog_find(uint64_t id);
int catalog_delete(struct recording *, char *err, size_t errlen);
int catalog_keep(struct recording *, int keep, char *err, size_t errlen);
void catalog_json(yajl_gen, const struct recording *);
/* Age and budget, oldest first; and the free-space floor. */
void catalog_retention(void);
void catalog_free(void);
/* "NAME/FILE" under recd->dir into buf; suffix replaces ".mp4" if given. */
const char *catalog_path(
    const struct recording *, const char *suffix, char *buf, size_t len);

/* thumb.c */
void thumb_start(void);
void thumb_stop(void);
/*
 * Offers a keyframe of s (an FLV video tag body) for its live thumbnail
 * and, if file is not NULL, the recording's.  Skipped (0) while the last
 * one is still being made.  1 if taken.
 */
int thumb_offer(
    struct rstream *, const uint8_t *body, size_t len, const char *file_jpg);

/* control.c */
void control_init(struct daemon *);

#endif
