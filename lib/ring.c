/*
 * The ring: a single-writer, many-reader broadcast buffer in a sealed memfd.
 * See ring.h for the record format and DESIGN.md ("The ring").
 *
 * File layout (offsets are multiples of 64 KiB so the double mapping works
 * with any page size up to that, e.g. the Pi 5's 16 KiB pages):
 *
 *	0	struct ring_hdr (one page used)
 *	64K	META slot bytes, RING_META_MAX
 *	128K	VIDEO slot bytes, RING_SEQHDR_MAX
 *	144K	AUDIO slot bytes, RING_SEQHDR_MAX
 *	192K	data area, a power of two, mapped twice back to back
 *
 * Ordering (the Aeron broadcast transmitter/receiver, with C11 fences):
 *	writer: tail_intent = end; release fence; copy record; tail = end
 *	    (release); last_keyframe = pos (release).
 *	reader: tail (acquire); copy records below it; acquire fence;
 *	    tail_intent; if cursor + capacity < tail_intent the copy may be
 *	    torn: RING_LAPPED.
 * If the reader copied any byte of a write begun after its fence-paired
 * release fence, it also sees that write's tail_intent, so a torn copy is
 * always detected.  Bytes read from shared memory are never trusted: every
 * length is loaded once into a local and bounded before use.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nyon.h"
#include "ring.h"

#define RING_MAGIC 0x4e59524eU /* "NYRN" */
#define RING_VERSION 1
#define RING_CACHELINE 64
#define RING_HDR_SIZE (64 * 1024)
#define RING_SLOTS_OFF RING_HDR_SIZE
#define RING_DATA_OFF (192 * 1024)
#define RING_SEQ_TRIES 1000

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

/*
 * Positions and counters are shared between processes: they must be real
 * lock-free atomics (a lock-based fallback would lock per process).
 */
_Static_assert(__atomic_always_lock_free(sizeof(uint64_t), 0),
    "64-bit atomics must be lock-free for a shared ring");

/* liburing's barrier.h, for the fields of struct ring_hdr. */
#define load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define load_relaxed(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define store_relaxed(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define fence_acquire() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define fence_release() __atomic_thread_fence(__ATOMIC_RELEASE)

struct ring_slot_state {
	uint32_t seq; /* odd while the writer changes the slot */
	uint32_t len;
};

struct ring_hdr {
	/* Written once by ring_create, before the fd is shared. */
	uint32_t magic;
	uint32_t version;
	uint64_t hdr_size;
	uint64_t data_off;
	uint64_t data_size;

	alignas(RING_CACHELINE) uint64_t tail_intent;
	alignas(RING_CACHELINE) uint64_t tail;
	alignas(RING_CACHELINE) uint64_t last_keyframe;
	alignas(RING_CACHELINE) uint32_t seq_version;
	alignas(RING_CACHELINE) struct ring_slot_state slot[RING_NSLOTS];

	/* Status counters: the writer stores, readers load now and then. */
	alignas(RING_CACHELINE) uint64_t bytes_in;
	uint64_t tags_in;
	uint64_t keyframes;
	uint64_t video_tags;
	uint64_t audio_tags;
	uint64_t last_write_ms;
	uint32_t last_timestamp;
	alignas(RING_CACHELINE) int64_t started;
	uint32_t closed;
};

_Static_assert(sizeof(struct ring_hdr) <= 4096, "ring header fits a page");

static const struct {
	size_t off, max;
} ring_slots[RING_NSLOTS] = {
    [RING_SLOT_META] = {RING_SLOTS_OFF, RING_META_MAX},
    [RING_SLOT_VIDEO] = {RING_SLOTS_OFF + RING_META_MAX, RING_SEQHDR_MAX},
    [RING_SLOT_AUDIO] = {RING_SLOTS_OFF + RING_META_MAX + RING_SEQHDR_MAX,
        RING_SEQHDR_MAX},
};
_Static_assert(
    RING_SLOTS_OFF + RING_META_MAX + 2 * RING_SEQHDR_MAX <= RING_DATA_OFF,
    "slots fit below the data area");

struct ring {
	struct ring_hdr *hdr; /* the first RING_DATA_OFF bytes of the file */
	uint8_t *data; /* 2 * size bytes: the data area, twice */
	size_t size; /* data area; our copy, never re-read */
	uint64_t mask;
	int fd;
	int writer;
	uint64_t wtail; /* writer: its own tail, to not re-read it */
};

static inline size_t
ring_align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

static size_t
ring_pow2(size_t n)
{
	size_t p = RING_MIN_SIZE;

	while (p < n)
		p <<= 1;
	return p;
}

size_t
ring_size_for(uint64_t bitrate_kbps)
{
	uint64_t want;

	/* 4 s * 1.25 * kbps * 1000 / 8 = kbps * 625 bytes */
	if (bitrate_kbps > RING_MAX_SIZE / 625)
		return RING_MAX_SIZE;
	want = bitrate_kbps * 625;
	if (want < 2 * 1024 * 1024)
		want = 2 * 1024 * 1024;
	return ring_pow2(want);
}

/*
 * Reserves 2 * size of address space, then maps the file's data area into
 * both halves, so offset x and x + size are the same byte.
 */
static uint8_t *
ring_map_data(int fd, size_t size, int prot)
{
	uint8_t *base;

	base = mmap(NULL, 2 * size, PROT_NONE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	if (mmap(base, size, prot, MAP_SHARED | MAP_FIXED, fd, RING_DATA_OFF) ==
	        MAP_FAILED ||
	    mmap(base + size, size, prot, MAP_SHARED | MAP_FIXED, fd,
	        RING_DATA_OFF) == MAP_FAILED) {
		int saved = errno;

		munmap(base, 2 * size);
		errno = saved;
		return NULL;
	}
	return base;
}

static struct ring *
ring_map(int fd, size_t size, int writer)
{
	int prot = writer ? PROT_READ | PROT_WRITE : PROT_READ;
	struct ring *r;
	void *hdr;

	hdr = mmap(NULL, RING_DATA_OFF, prot, MAP_SHARED, fd, 0);
	if (hdr == MAP_FAILED)
		return NULL;
	r = xcalloc(1, sizeof(*r));
	r->hdr = hdr;
	r->size = size;
	r->mask = size - 1;
	r->fd = fd;
	r->writer = writer;
	if ((r->data = ring_map_data(fd, size, prot)) == NULL) {
		int saved = errno;

		munmap(hdr, RING_DATA_OFF);
		free(r);
		errno = saved;
		return NULL;
	}
	return r;
}

struct ring *
ring_create(size_t data_size)
{
	struct ring_hdr *h;
	struct ring *r;
	size_t size;
	int fd, saved, seals;

	if (data_size > RING_MAX_SIZE) {
		errno = EINVAL;
		return NULL;
	}
	size = ring_pow2(data_size);
	fd = memfd_create("nyon-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd == -1)
		return NULL;
	if (ftruncate(fd, RING_DATA_OFF + size) == -1 ||
	    (r = ring_map(fd, size, 1)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return NULL;
	}
	h = r->hdr;
	h->magic = RING_MAGIC;
	h->version = RING_VERSION;
	h->hdr_size = RING_HDR_SIZE;
	h->data_off = RING_DATA_OFF;
	h->data_size = size;
	h->last_keyframe = RING_NO_POS;
	h->started = time(NULL);

	/*
	 * A file that cannot shrink cannot SIGBUS a reader's mapping.  Our
	 * mappings are made, so refuse anyone else a writable one (Linux
	 * 5.1+; older kernels get the rest).
	 */
	seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;
	if (fcntl(fd, F_ADD_SEALS, seals | F_SEAL_FUTURE_WRITE) == -1 &&
	    fcntl(fd, F_ADD_SEALS, seals) == -1) {
		saved = errno;
		ring_free(r);
		errno = saved;
		return NULL;
	}
	return r;
}

struct ring *
ring_open(int fd)
{
	struct ring_hdr hdr, *h;
	struct stat st;
	struct ring *r;
	int seals, saved, dupfd;

	if (fstat(fd, &st) == -1)
		return NULL;
	if (!S_ISREG(st.st_mode) ||
	    st.st_size < RING_DATA_OFF + RING_MIN_SIZE ||
	    st.st_size > RING_DATA_OFF + (off_t)RING_MAX_SIZE) {
		errno = EINVAL;
		return NULL;
	}
	/* Without this seal the file could shrink under us: SIGBUS. */
	if ((seals = fcntl(fd, F_GET_SEALS)) == -1 ||
	    (seals & F_SEAL_SHRINK) == 0) {
		errno = EINVAL;
		return NULL;
	}
	h = mmap(NULL, RING_DATA_OFF, PROT_READ, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED)
		return NULL;
	memcpy(&hdr, h, offsetof(struct ring_hdr, tail_intent));
	munmap(h, RING_DATA_OFF);
	if (hdr.magic != RING_MAGIC || hdr.version != RING_VERSION ||
	    hdr.hdr_size != RING_HDR_SIZE || hdr.data_off != RING_DATA_OFF ||
	    hdr.data_size < RING_MIN_SIZE || hdr.data_size > RING_MAX_SIZE ||
	    (hdr.data_size & (hdr.data_size - 1)) != 0 ||
	    hdr.data_off + hdr.data_size != (uint64_t)st.st_size) {
		errno = EPROTO;
		return NULL;
	}
	if ((dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1)
		return NULL;
	if ((r = ring_map(dupfd, hdr.data_size, 0)) == NULL) {
		saved = errno;
		close(dupfd);
		errno = saved;
		return NULL;
	}
	return r;
}

void
ring_free(struct ring *r)
{
	if (r == NULL)
		return;
	munmap(r->data, 2 * r->size);
	munmap(r->hdr, RING_DATA_OFF);
	close(r->fd);
	free(r);
}

int
ring_fd(const struct ring *r)
{
	return r->fd;
}

size_t
ring_capacity(const struct ring *r)
{
	return r->size;
}

size_t
ring_max_tag(const struct ring *r)
{
	/* record header + tag + padding < size / 2 */
	return r->size / 2 - RING_RECORD_HDR - 8;
}

int
ring_writev(struct ring *r, const struct iovec *iov, int iovcnt, uint32_t flags,
    uint32_t timestamp)
{
	struct ring_hdr *h = r->hdr;
	size_t len = 0, max = ring_max_tag(r), reclen;
	uint64_t pos = r->wtail, end;
	uint32_t rec[4];
	uint8_t *p;
	int i;

	if (!r->writer) {
		errno = EBADF;
		return -1;
	}
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > max - len) {
			errno = EMSGSIZE;
			return -1;
		}
		len += iov[i].iov_len;
	}
	if (len < RING_TAG_MIN) {
		errno = EINVAL;
		return -1;
	}
	reclen = RING_RECORD_HDR + ring_align8(len);
	end = pos + reclen;

	store_relaxed(&h->tail_intent, end);
	fence_release();

	p = r->data + (pos & r->mask);
	rec[0] = (uint32_t)len;
	rec[1] = flags;
	rec[2] = timestamp;
	rec[3] = (uint32_t)pos ^ RING_MAGIC;
	memcpy(p, rec, sizeof(rec));
	p += RING_RECORD_HDR;
	for (i = 0; i < iovcnt; i++) {
		memcpy(p, iov[i].iov_base, iov[i].iov_len);
		p += iov[i].iov_len;
	}
	memset(p, 0, ring_align8(len) - len);

	store_release(&h->tail, end);
	r->wtail = end;
	if (flags & RING_KEYFRAME) {
		store_release(&h->last_keyframe, pos);
		store_relaxed(&h->keyframes, load_relaxed(&h->keyframes) + 1);
	}
	store_relaxed(&h->bytes_in, load_relaxed(&h->bytes_in) + len);
	store_relaxed(&h->tags_in, load_relaxed(&h->tags_in) + 1);
	if (flags & RING_VIDEO)
		store_relaxed(&h->video_tags, load_relaxed(&h->video_tags) + 1);
	if (flags & RING_AUDIO)
		store_relaxed(&h->audio_tags, load_relaxed(&h->audio_tags) + 1);
	store_relaxed(&h->last_timestamp, timestamp);
	store_relaxed(&h->last_write_ms, now_ms());
	return 0;
}

int
ring_set_seqhdr(
    struct ring *r, enum ring_slot slot, const void *tag, size_t len)
{
	struct ring_slot_state *s;
	uint8_t *bytes;
	uint32_t seq;

	if (!r->writer || (unsigned)slot >= RING_NSLOTS) {
		errno = r->writer ? EINVAL : EBADF;
		return -1;
	}
	if (len > ring_slots[slot].max) {
		errno = EMSGSIZE;
		return -1;
	}
	s = &r->hdr->slot[slot];
	bytes = (uint8_t *)r->hdr + ring_slots[slot].off;
	/*
	 * Encoders resend unchanged decoder configuration; that is not news
	 * for viewers.  We are the only writer, so reading our own slot is safe.
	 */
	if (load_relaxed(&s->len) == len &&
	    (len == 0 || memcmp(bytes, tag, len) == 0))
		return 0;

	seq = load_relaxed(&s->seq);
	store_relaxed(&s->seq, seq + 1);
	fence_release();
	if (len > 0)
		memcpy(bytes, tag, len);
	store_relaxed(&s->len, (uint32_t)len);
	store_release(&s->seq, seq + 2);
	store_release(
	    &r->hdr->seq_version, load_relaxed(&r->hdr->seq_version) + 1);
	return 0;
}

void
ring_close(struct ring *r)
{
	store_release(&r->hdr->closed, 1);
}

uint64_t
ring_tail(const struct ring *r)
{
	return load_acquire(&r->hdr->tail);
}

uint64_t
ring_last_keyframe(const struct ring *r)
{
	return load_acquire(&r->hdr->last_keyframe);
}

uint64_t
ring_cursor_start(const struct ring *r, enum ring_start how)
{
	uint64_t key, tail, intent;

	/* last_keyframe is stored after tail: tail covers the keyframe. */
	key = load_acquire(&r->hdr->last_keyframe);
	tail = load_acquire(&r->hdr->tail);
	if (how == RING_START_LIVE || key == RING_NO_POS || key > tail)
		return tail;
	intent = load_acquire(&r->hdr->tail_intent);
	if (intent - key > r->size)
		return tail; /* the keyframe is already being overwritten */
	return key;
}

int
ring_read(const struct ring *r, uint64_t *cursor, uint8_t *out, size_t cap,
    size_t *outlen, struct ring_tagref *refs, size_t maxrefs, size_t *nrefs)
{
	const struct ring_hdr *h = r->hdr;
	uint64_t start = *cursor, pos = start, tail, intent;
	size_t o = 0, n = 0, max = ring_max_tag(r), reclen;
	const uint32_t *rec;
	uint32_t len, flags, ts, check;
	int bad = 0;

	*outlen = 0;
	*nrefs = 0;
	tail = load_acquire(&h->tail);
	if (start > tail) {
		errno = EINVAL;
		return -1;
	}
	if (load_acquire(&h->tail_intent) - start > r->size)
		return RING_LAPPED;

	while (pos < tail && n < maxrefs) {
		/*
		 * The writer may be overwriting this very record: load each
		 * word once, bound it, and decide only after validating.
		 */
		rec = (const uint32_t *)(r->data + (pos & r->mask));
		len = load_relaxed(&rec[0]);
		flags = load_relaxed(&rec[1]);
		ts = load_relaxed(&rec[2]);
		check = load_relaxed(&rec[3]);
		if (check != ((uint32_t)pos ^ RING_MAGIC) ||
		    len < RING_TAG_MIN || len > max) {
			bad = EBADMSG;
			break;
		}
		reclen = RING_RECORD_HDR + ring_align8(len);
		if (reclen > tail - pos) {
			bad = EBADMSG;
			break;
		}
		if (len > cap - o) {
			if (n == 0)
				bad = ENOBUFS;
			break;
		}
		memcpy(out + o, rec + 4, len);
		refs[n].off = (uint32_t)o;
		refs[n].len = len;
		refs[n].flags = flags;
		refs[n].timestamp = ts;
		o += len;
		n++;
		pos += reclen;
	}

	/* Was any of it overwritten while we copied? */
	fence_acquire();
	intent = load_relaxed(&h->tail_intent);
	if (intent - start > r->size)
		return RING_LAPPED;
	if (n == 0 && bad) {
		errno = bad;
		return -1;
	}
	*cursor = pos;
	*outlen = o;
	*nrefs = n;
	return 0;
}

int
ring_seqhdr(const struct ring *r, enum ring_slot slot, uint8_t *out, size_t cap,
    size_t *lenp)
{
	const struct ring_slot_state *s;
	const uint8_t *bytes;
	uint32_t seq, len;
	int tries, err;

	*lenp = 0;
	if ((unsigned)slot >= RING_NSLOTS) {
		errno = EINVAL;
		return -1;
	}
	s = &r->hdr->slot[slot];
	bytes = (const uint8_t *)r->hdr + ring_slots[slot].off;
	for (tries = 0; tries < RING_SEQ_TRIES; tries++) {
		if (tries > 3)
			sched_yield();
		seq = load_acquire(&s->seq);
		if (seq & 1)
			continue;
		len = load_relaxed(&s->len);
		err = 0;
		if (len == 0)
			err = ENOENT;
		else if (len > ring_slots[slot].max)
			err = EBADMSG; /* unless torn: checked below */
		else if (len > cap)
			err = ENOBUFS;
		else
			memcpy(out, bytes, len);
		fence_acquire();
		if (load_relaxed(&s->seq) != seq)
			continue;
		if (err) {
			errno = err;
			return -1;
		}
		*lenp = len;
		return 0;
	}
	errno = EAGAIN;
	return -1;
}

uint32_t
ring_seq_version(const struct ring *r)
{
	return load_acquire(&r->hdr->seq_version);
}

void
ring_stats(const struct ring *r, struct ring_stats *st)
{
	const struct ring_hdr *h = r->hdr;

	st->bytes_in = load_relaxed(&h->bytes_in);
	st->tags_in = load_relaxed(&h->tags_in);
	st->keyframes = load_relaxed(&h->keyframes);
	st->video_tags = load_relaxed(&h->video_tags);
	st->audio_tags = load_relaxed(&h->audio_tags);
	st->started = load_relaxed(&h->started);
	st->last_write_ms = load_relaxed(&h->last_write_ms);
	st->last_timestamp = load_relaxed(&h->last_timestamp);
	st->closed = load_acquire(&h->closed) != 0;
}
