/*
 * The ring: one per live stream, a sealed memfd shared between ingestd (the
 * only writer) and flvd (readers in other processes, mapped read-only).
 *
 * The file holds a header, three sequence-header slots and a power-of-two
 * data area that is mapped twice back to back, so a record that wraps past
 * the end reads as one contiguous slice.  Positions are 64-bit byte counters
 * that only grow; position & (capacity - 1) is the offset in the data area.
 *
 * Each record is a 16-byte record header, then one complete FLV tag (11-byte
 * tag header, body, 4-byte previous tag size), zero-padded to 8 bytes:
 *
 *	uint32_t len;		FLV tag bytes that follow
 *	uint32_t flags;		RING_KEYFRAME ...
 *	uint32_t timestamp;	FLV timestamp, milliseconds
 *	uint32_t check;		low 32 bits of the record's position ^ RING_MAGIC
 *
 * The writer never waits.  A reader copies, then checks that what it copied
 * was not overwritten meanwhile (Aeron's broadcast buffer); a lapped reader
 * moves its cursor with ring_cursor_start().  Readers keep no shared state:
 * their cursor is theirs.  Waking readers (eventfd) is the writer's business,
 * not the ring's.
 */
#ifndef RING_H
#define RING_H

#include <sys/uio.h>
#include <stddef.h>
#include <stdint.h>

#define RING_KEYFRAME 0x01 /* video keyframe: a viewer may start here */
#define RING_VIDEO 0x02
#define RING_AUDIO 0x04
#define RING_SCRIPT 0x08 /* script data, e.g. onMetaData */
#define RING_SEQHDR 0x10 /* decoder configuration */

#define RING_LAPPED (-2) /* ring_read: the writer overtook us */
#define RING_NO_POS UINT64_MAX /* ring_last_keyframe: none yet */
#define RING_MIN_SIZE (64 * 1024) /* data area, bytes */
#define RING_MAX_SIZE (1024 * 1024 * 1024)
#define RING_RECORD_HDR 16 /* record header before each tag */
#define RING_TAG_MIN 15 /* empty FLV tag: header + prev size */
#define RING_META_MAX (64 * 1024) /* RING_SLOT_META tag, bytes */
#define RING_SEQHDR_MAX (16 * 1024) /* RING_SLOT_VIDEO/AUDIO tag, bytes */

enum ring_slot {
	RING_SLOT_META,
	RING_SLOT_VIDEO,
	RING_SLOT_AUDIO,
	RING_NSLOTS
};
enum ring_start {
	RING_START_KEYFRAME, /* the newest keyframe still intact, else tail */
	RING_START_LIVE, /* the tail: the caller waits for a keyframe */
};

struct ring;

struct ring_tagref {
	uint32_t off; /* in the caller's buffer */
	uint32_t len; /* whole FLV tag */
	uint32_t flags; /* RING_* */
	uint32_t timestamp; /* as given to ring_writev */
};

struct ring_stats {
	uint64_t bytes_in; /* FLV tag bytes written */
	uint64_t tags_in;
	uint64_t keyframes;
	uint64_t video_tags;
	uint64_t audio_tags;
	int64_t started; /* ring_create, unix seconds */
	uint64_t
	    last_write_ms; /* now_ms() (CLOCK_MONOTONIC) of the last write */
	uint32_t last_timestamp;
	int closed; /* ring_close was called */
};

/* Data area for a bitrate: a power of two >= max(4 s at 1.25x, 2 MiB). */
size_t ring_size_for(uint64_t bitrate_kbps);

/*
 * Writer.  data_size is rounded up to a power of two, at least RING_MIN_SIZE;
 * more than RING_MAX_SIZE fails with EINVAL.  NULL and errno on failure.
 */
struct ring *ring_create(size_t data_size);
/*
 * Reader.  fd is not taken: the ring keeps its own dup, the caller closes
 * fd.  Anything that is not a sealed, well-formed ring is refused: NULL and
 * errno (EBADF, EINVAL, EPROTO for a bad header).
 */
struct ring *ring_open(int fd);
/* Unmaps and closes; does not mark the ring closed (see ring_close). */
void ring_free(struct ring *);
int ring_fd(const struct ring *);
size_t ring_capacity(const struct ring *);
/* Largest FLV tag ring_writev accepts: the record must be under half the ring. */
size_t ring_max_tag(const struct ring *);

/*
 * Writer: appends one complete FLV tag given as iov (so callers need not
 * copy it together first).  Never blocks, no syscalls.  -1 and errno:
 * EMSGSIZE if longer than ring_max_tag, EINVAL if shorter than RING_TAG_MIN,
 * EBADF on a reader's ring.
 */
int ring_writev(struct ring *, const struct iovec *iov, int iovcnt,
    uint32_t flags, uint32_t timestamp);
/*
 * Writer: stores one slot's complete FLV tag; len 0 empties the slot.  Bumps
 * ring_seq_version if the bytes differ from the slot's.  -1 and EMSGSIZE if
 * longer than RING_META_MAX (META) or RING_SEQHDR_MAX (VIDEO, AUDIO).
 */
int ring_set_seqhdr(struct ring *, enum ring_slot, const void *tag, size_t len);
/* Writer: the publisher has ended. */
void ring_close(struct ring *);

/* Reader: the position after the newest complete record. */
uint64_t ring_tail(const struct ring *);
/* Reader: the newest keyframe record's position, or RING_NO_POS. */
uint64_t ring_last_keyframe(const struct ring *);
/*
 * Reader: where to start (or restart after RING_LAPPED).  For
 * RING_START_KEYFRAME, the newest keyframe unless there is none or it is
 * already being overwritten; then, as for RING_START_LIVE, the tail, and the
 * caller should skip video until a RING_KEYFRAME tag.
 */
uint64_t ring_cursor_start(const struct ring *, enum ring_start);
/*
 * Reader: copies whole records from *cursor towards the tail into out, FLV
 * tag bytes only (out is a valid FLV byte stream), as many as fit in cap and
 * maxrefs; refs[i] describes each tag.  Advances *cursor past them.
 * Returns 0 (perhaps with nothing new), RING_LAPPED if the writer overwrote
 * what we were reading (nothing copied, *cursor unchanged: restart with
 * ring_cursor_start), or -1 and errno: EBADMSG for a corrupt record or a
 * cursor not on a record, EINVAL for a cursor beyond the tail, ENOBUFS if
 * the next tag alone is larger than cap (cap >= ring_max_tag always works).
 * Tags copied before a bad record are returned first, with 0.
 */
int ring_read(const struct ring *, uint64_t *cursor, uint8_t *out, size_t cap,
    size_t *outlen, struct ring_tagref *refs, size_t maxrefs, size_t *nrefs);
/*
 * Reader: copies a slot's FLV tag consistently.  0, or -1 and errno: ENOENT
 * if empty, ENOBUFS if larger than cap, EAGAIN if the writer kept changing
 * it.  To get a consistent set, read ring_seq_version before and after.
 */
int ring_seqhdr(
    const struct ring *, enum ring_slot, uint8_t *out, size_t cap, size_t *len);
/* Bumped whenever any slot's bytes change: a new publisher, new codec. */
uint32_t ring_seq_version(const struct ring *);
void ring_stats(const struct ring *, struct ring_stats *);

#endif
