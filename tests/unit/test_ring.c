/*
 * The shared-memory ring, one process: wraparound through the double
 * mapping, lapped readers and keyframe starts, sequence headers, limits,
 * refusing malformed ring files, and the reader's mapping being read-only.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "nyon.h"
#include "ring.h"

#define FLV_AUDIO 8
#define FLV_VIDEO 9
#define FLV_SCRIPT 18

/* A complete FLV tag whose body is a pattern derived from seed. */
static size_t
make_tag(uint8_t *tag, uint8_t type, size_t bodylen, uint32_t ts, uint32_t seed)
{
	size_t i, prev = 11 + bodylen;

	tag[0] = type;
	tag[1] = (uint8_t)(bodylen >> 16);
	tag[2] = (uint8_t)(bodylen >> 8);
	tag[3] = (uint8_t)bodylen;
	tag[4] = (uint8_t)(ts >> 16);
	tag[5] = (uint8_t)(ts >> 8);
	tag[6] = (uint8_t)ts;
	tag[7] = (uint8_t)(ts >> 24);
	tag[8] = tag[9] = tag[10] = 0;
	for (i = 0; i < bodylen; i++)
		tag[11 + i] = (uint8_t)(seed * 31 + i * 7 + (i >> 8));
	tag[prev] = (uint8_t)(prev >> 24);
	tag[prev + 1] = (uint8_t)(prev >> 16);
	tag[prev + 2] = (uint8_t)(prev >> 8);
	tag[prev + 3] = (uint8_t)prev;
	return prev + 4;
}

/* Writes tag split into header, body and previous tag size, as ingestd will. */
static int
write_tag(
    struct ring *w, const uint8_t *tag, size_t len, uint32_t flags, uint32_t ts)
{
	struct iovec iov[3];

	iov[0].iov_base = (void *)tag;
	iov[0].iov_len = 11;
	iov[1].iov_base = (void *)(tag + 11);
	iov[1].iov_len = len - 15;
	iov[2].iov_base = (void *)(tag + len - 4);
	iov[2].iov_len = 4;
	return ring_writev(w, iov, 3, flags, ts);
}

static size_t
record_len(size_t taglen)
{
	return RING_RECORD_HDR + ((taglen + 7) & ~(size_t)7);
}

static void
test_sizes(void **state)
{
	struct ring *w;

	assert_int_equal(ring_size_for(0), 2 * 1024 * 1024);
	assert_int_equal(ring_size_for(3000), 2 * 1024 * 1024);
	assert_int_equal(ring_size_for(4000), 4 * 1024 * 1024);
	assert_int_equal(ring_size_for(8000), 8 * 1024 * 1024);
	assert_int_equal(ring_size_for(UINT64_MAX), RING_MAX_SIZE);

	assert_non_null(w = ring_create(1));
	assert_int_equal(ring_capacity(w), RING_MIN_SIZE);
	assert_true(ring_fd(w) >= 0);
	assert_int_equal(ring_tail(w), 0);
	assert_int_equal(ring_last_keyframe(w), RING_NO_POS);
	assert_true(record_len(ring_max_tag(w)) < ring_capacity(w) / 2);
	assert_true(record_len(ring_max_tag(w) + 1) >= ring_capacity(w) / 2);
	ring_free(w);
	assert_non_null(w = ring_create(100000));
	assert_int_equal(ring_capacity(w), 131072);
	ring_free(w);
	errno = 0;
	assert_null(ring_create((size_t)RING_MAX_SIZE + 1));
	assert_int_equal(errno, EINVAL);
}

/* Batches of records straddle the end of the data area and read back intact. */
static void
test_wraparound(void **state)
{
	static uint8_t tags[8][20000], out[40000];
	struct ring_tagref refs[16];
	size_t lens[8], outlen, nrefs, i, k, batch;
	uint64_t cursor, pos;
	struct ring *w, *r;
	uint32_t seq = 0;
	int straddled = 0;

	assert_non_null(w = ring_create(RING_MIN_SIZE));
	assert_non_null(r = ring_open(ring_fd(w)));
	assert_int_equal(ring_capacity(r), RING_MIN_SIZE);
	cursor = ring_cursor_start(r, RING_START_LIVE);
	assert_int_equal(cursor, 0);
	for (k = 0; k < 3000; k++) {
		batch = 1 + k % 5;
		for (i = 0; i < batch; i++, seq++) {
			size_t body = (seq * 2654435761u) % 6000;

			lens[i] = make_tag(tags[i], FLV_VIDEO, body, seq, seq);
			pos = ring_tail(w);
			if ((pos & (RING_MIN_SIZE - 1)) + record_len(lens[i]) >
			    RING_MIN_SIZE)
				straddled++;
			assert_int_equal(
			    write_tag(w, tags[i], lens[i], RING_VIDEO, seq), 0);
		}
		assert_int_equal(ring_read(r, &cursor, out, sizeof(out),
		                     &outlen, refs, nitems(refs), &nrefs),
		    0);
		assert_int_equal(nrefs, batch);
		assert_int_equal(cursor, ring_tail(w));
		for (i = 0; i < batch; i++) {
			/* out is one FLV byte stream: tags back to back. */
			assert_int_equal(refs[i].off,
			    i == 0 ? 0 : refs[i - 1].off + refs[i - 1].len);
			assert_int_equal(refs[i].len, lens[i]);
			assert_int_equal(refs[i].flags, RING_VIDEO);
			assert_int_equal(refs[i].timestamp, seq - batch + i);
			assert_memory_equal(
			    out + refs[i].off, tags[i], lens[i]);
		}
		assert_int_equal(outlen, refs[batch - 1].off + lens[batch - 1]);
	}
	/* Nothing new: 0 with nothing copied. */
	assert_int_equal(ring_read(r, &cursor, out, sizeof(out), &outlen, refs,
	                     nitems(refs), &nrefs),
	    0);
	assert_int_equal(nrefs, 0);
	assert_int_equal(outlen, 0);
	assert_true(straddled > 50);
	ring_free(r);
	ring_free(w);
}

static void
test_lapped(void **state)
{
	static uint8_t tag[2000], out[65536];
	struct ring_tagref refs[64];
	size_t len = 0, outlen, nrefs, i;
	uint64_t cursor, key = RING_NO_POS;
	struct ring *w, *r;

	assert_non_null(w = ring_create(RING_MIN_SIZE));
	assert_non_null(r = ring_open(ring_fd(w)));
	cursor = ring_cursor_start(r, RING_START_KEYFRAME);
	assert_int_equal(cursor, 0); /* no keyframe yet: the tail */
	for (i = 0; i < 200; i++) {
		uint32_t flags = RING_VIDEO | (i % 10 == 0 ? RING_KEYFRAME : 0);

		len = make_tag(tag, FLV_VIDEO, 1000, (uint32_t)i, (uint32_t)i);
		if (flags & RING_KEYFRAME)
			key = ring_tail(w);
		assert_int_equal(write_tag(w, tag, len, flags, (uint32_t)i), 0);
	}
	assert_int_equal(key, 190 * record_len(len));
	assert_int_equal(ring_last_keyframe(r), key);

	outlen = nrefs = 99;
	assert_int_equal(ring_read(r, &cursor, out, sizeof(out), &outlen, refs,
	                     nitems(refs), &nrefs),
	    RING_LAPPED);
	assert_int_equal(cursor, 0);
	assert_int_equal(outlen, 0);
	assert_int_equal(nrefs, 0);

	cursor = ring_cursor_start(r, RING_START_KEYFRAME);
	assert_int_equal(cursor, key);
	assert_int_equal(ring_read(r, &cursor, out, sizeof(out), &outlen, refs,
	                     nitems(refs), &nrefs),
	    0);
	assert_int_equal(nrefs, 10);
	assert_int_equal(refs[0].flags, RING_VIDEO | RING_KEYFRAME);
	for (i = 0; i < nrefs; i++) {
		assert_int_equal(refs[i].timestamp, 190 + i);
		make_tag(tag, FLV_VIDEO, 1000, (uint32_t)(190 + i),
		    (uint32_t)(190 + i));
		assert_memory_equal(out + refs[i].off, tag, len);
	}
	assert_int_equal(cursor, ring_tail(r));
	assert_int_equal(ring_cursor_start(r, RING_START_LIVE), ring_tail(r));
	ring_free(r);
	ring_free(w);
}

/* A keyframe older than the ring is no place to start: the tail is. */
static void
test_keyframe_overwritten(void **state)
{
	static uint8_t tag[2000];
	struct ring *w, *r;
	size_t len, i;

	assert_non_null(w = ring_create(RING_MIN_SIZE));
	assert_non_null(r = ring_open(ring_fd(w)));
	len = make_tag(tag, FLV_VIDEO, 1000, 0, 0);
	assert_int_equal(
	    write_tag(w, tag, len, RING_VIDEO | RING_KEYFRAME, 0), 0);
	assert_int_equal(ring_cursor_start(r, RING_START_KEYFRAME), 0);
	assert_int_equal(ring_cursor_start(r, RING_START_LIVE), ring_tail(r));
	for (i = 0; i < 100; i++)
		assert_int_equal(write_tag(w, tag, len, RING_VIDEO, 0), 0);
	assert_int_equal(ring_last_keyframe(r), 0);
	assert_int_equal(
	    ring_cursor_start(r, RING_START_KEYFRAME), ring_tail(r));
	ring_free(r);
	ring_free(w);
}

static void
test_seqhdr(void **state)
{
	static uint8_t meta[RING_META_MAX + 1], avc[RING_SEQHDR_MAX + 1],
	    out[RING_META_MAX];
	uint8_t aac[32];
	struct ring *w, *r;
	uint32_t v;
	size_t len, metalen, avclen, aaclen;

	assert_non_null(w = ring_create(RING_MIN_SIZE));
	assert_non_null(r = ring_open(ring_fd(w)));
	assert_int_equal(ring_seq_version(r), 0);
	errno = 0;
	assert_int_equal(
	    ring_seqhdr(r, RING_SLOT_VIDEO, out, sizeof(out), &len), -1);
	assert_int_equal(errno, ENOENT);

	metalen = make_tag(meta, FLV_SCRIPT, 300, 0, 1);
	avclen = make_tag(avc, FLV_VIDEO, 40, 0, 2);
	aaclen = make_tag(aac, FLV_AUDIO, 4, 0, 3);
	assert_int_equal(ring_set_seqhdr(w, RING_SLOT_META, meta, metalen), 0);
	assert_int_equal(ring_set_seqhdr(w, RING_SLOT_VIDEO, avc, avclen), 0);
	assert_int_equal(ring_set_seqhdr(w, RING_SLOT_AUDIO, aac, aaclen), 0);
	v = ring_seq_version(r);
	assert_int_equal(v, 3);
	assert_int_equal(
	    ring_seqhdr(r, RING_SLOT_META, out, sizeof(out), &len), 0);
	assert_int_equal(len, metalen);
	assert_memory_equal(out, meta, metalen);
	assert_int_equal(
	    ring_seqhdr(r, RING_SLOT_VIDEO, out, sizeof(out), &len), 0);
	assert_int_equal(len, avclen);
	assert_memory_equal(out, avc, avclen);
	assert_int_equal(
	    ring_seqhdr(r, RING_SLOT_AUDIO, out, sizeof(out), &len), 0);
	assert_int_equal(len, aaclen);
	assert_memory_equal(out, aac, aaclen);

	/* Encoders resend the same configuration: no news. */
	assert_int_equal(ring_set_seqhdr(w, RING_SLOT_VIDEO, avc, avclen), 0);
	assert_int_equal(ring_seq_version(r), v);

	/* A new publisher with a new codec configuration. */
	avclen = make_tag(avc, FLV_VIDEO, 60, 0, 4);
	assert_int_equal(ring_set_seqhdr(w, RING_SLOT_VIDEO, avc, avclen), 0);
	assert_true(ring_seq_version(r) != v);
	v = ring_seq_version(r);
	assert_int_equal(
	    ring_seqhdr(r, RING_SLOT_VIDEO, out, sizeof(out), &len), 0);
	assert_int_equal(len, avclen);
	assert_memory_equal(out, avc, avclen);

	/* Limits, both sides. */
	errno = 0;
	assert_int_equal(
	    ring_set_seqhdr(w, RING_SLOT_META, meta, RING_META_MAX + 1), -1);
	assert_int_equal(errno, EMSGSIZE);
	errno = 0;
	assert_int_equal(
	    ring_set_seqhdr(w, RING_SLOT_AUDIO, avc, RING_SEQHDR_MAX + 1), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(ring_seq_version(r), v);
	memset(meta, 0xa5, sizeof(meta));
	assert_int_equal(
	    ring_set_seqhdr(w, RING_SLOT_META, meta, RING_META_MAX), 0);
	assert_int_equal(
	    ring_seqhdr(r, RING_SLOT_META, out, sizeof(out), &len), 0);
	assert_int_equal(len, RING_META_MAX);
	assert_memory_equal(out, meta, RING_META_MAX);
	errno = 0;
	assert_int_equal(ring_seqhdr(r, RING_SLOT_META, out, 100, &len), -1);
	assert_int_equal(errno, ENOBUFS);

	/* Emptying a slot (no audio this time) is a change too. */
	v = ring_seq_version(r);
	assert_int_equal(ring_set_seqhdr(w, RING_SLOT_AUDIO, NULL, 0), 0);
	assert_true(ring_seq_version(r) != v);
	errno = 0;
	assert_int_equal(
	    ring_seqhdr(r, RING_SLOT_AUDIO, out, sizeof(out), &len), -1);
	assert_int_equal(errno, ENOENT);

	/* Readers cannot write. */
	errno = 0;
	assert_int_equal(ring_set_seqhdr(r, RING_SLOT_AUDIO, aac, aaclen), -1);
	assert_int_equal(errno, EBADF);
	ring_free(r);
	ring_free(w);
}

static void
test_oversize(void **state)
{
	static uint8_t tag[65536];
	struct iovec iov[2];
	struct ring *w, *r;
	size_t max;

	assert_non_null(w = ring_create(RING_MIN_SIZE));
	assert_non_null(r = ring_open(ring_fd(w)));
	max = ring_max_tag(w);
	assert_true(max > 30000 && max < 32768);

	make_tag(tag, FLV_VIDEO, max + 1 - 15, 0, 0);
	errno = 0;
	assert_int_equal(write_tag(w, tag, max + 1, RING_VIDEO, 0), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(ring_tail(w), 0);

	/* Lengths that would overflow a sum are refused, not wrapped. */
	iov[0].iov_base = tag;
	iov[0].iov_len = 100;
	iov[1].iov_base = tag;
	iov[1].iov_len = SIZE_MAX - 50;
	errno = 0;
	assert_int_equal(ring_writev(w, iov, 2, RING_VIDEO, 0), -1);
	assert_int_equal(errno, EMSGSIZE);

	assert_int_equal(ring_writev(w, iov, 1, RING_VIDEO, 0), 0);
	errno = 0;
	iov[0].iov_len = RING_TAG_MIN - 1;
	assert_int_equal(ring_writev(w, iov, 1, RING_VIDEO, 0), -1);
	assert_int_equal(errno, EINVAL);

	make_tag(tag, FLV_VIDEO, max - 15, 0, 0);
	assert_int_equal(write_tag(w, tag, max, RING_VIDEO, 0), 0);
	assert_int_equal(ring_tail(w), record_len(100) + record_len(max));

	errno = 0;
	assert_int_equal(write_tag(r, tag, 100, RING_VIDEO, 0), -1);
	assert_int_equal(errno, EBADF);
	ring_free(r);
	ring_free(w);
}

static void
test_read_limits(void **state)
{
	static uint8_t tag[4000], out[10000];
	struct ring_tagref refs[8];
	size_t len, outlen, nrefs, i;
	uint64_t cursor = 0;
	struct ring *w, *r;

	assert_non_null(w = ring_create(RING_MIN_SIZE));
	assert_non_null(r = ring_open(ring_fd(w)));
	len = make_tag(tag, FLV_AUDIO, 3000 - 15, 0, 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(write_tag(w, tag, len, RING_AUDIO, 0), 0);

	errno = 0;
	assert_int_equal(ring_read(r, &cursor, out, len - 1, &outlen, refs,
	                     nitems(refs), &nrefs),
	    -1);
	assert_int_equal(errno, ENOBUFS);
	assert_int_equal(cursor, 0);

	/* Two fit in 7000 bytes, the third waits. */
	assert_int_equal(ring_read(r, &cursor, out, 7000, &outlen, refs,
	                     nitems(refs), &nrefs),
	    0);
	assert_int_equal(nrefs, 2);
	assert_int_equal(outlen, 2 * len);
	assert_int_equal(cursor, 2 * record_len(len));
	assert_int_equal(
	    ring_read(r, &cursor, out, sizeof(out), &outlen, refs, 1, &nrefs),
	    0);
	assert_int_equal(nrefs, 1);
	assert_int_equal(refs[0].flags, RING_AUDIO);
	assert_memory_equal(out, tag, len);
	assert_int_equal(cursor, ring_tail(r));

	/* Cursors the ring never handed out. */
	cursor = ring_tail(r) + 16;
	errno = 0;
	assert_int_equal(ring_read(r, &cursor, out, sizeof(out), &outlen, refs,
	                     nitems(refs), &nrefs),
	    -1);
	assert_int_equal(errno, EINVAL);
	cursor = 8;
	errno = 0;
	assert_int_equal(ring_read(r, &cursor, out, sizeof(out), &outlen, refs,
	                     nitems(refs), &nrefs),
	    -1);
	assert_int_equal(errno, EBADMSG);
	assert_int_equal(cursor, 8);
	ring_free(r);
	ring_free(w);
}

static int
memfd_with(const uint8_t *buf, size_t len, off_t size, int seal)
{
	int fd;

	if ((fd = memfd_create("test-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING)) ==
	    -1)
		fail_msg("memfd_create: %s", strerror(errno));
	if (ftruncate(fd, size) == -1)
		fail_msg("ftruncate: %s", strerror(errno));
	if (len > 0 && pwrite(fd, buf, len, 0) != (ssize_t)len)
		fail_msg("pwrite: %s", strerror(errno));
	if (seal && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == -1)
		fail_msg("F_ADD_SEALS: %s", strerror(errno));
	return fd;
}

static void
open_refused(int fd, int want_errno)
{
	struct ring *r;

	errno = 0;
	r = ring_open(fd);
	if (r != NULL)
		ring_free(r);
	assert_null(r);
	assert_int_equal(errno, want_errno);
}

/* File data from another process is never trusted. */
static void
test_open_bad(void **state)
{
	static uint8_t tag[2000], out[65536];
	struct ring_tagref refs[8];
	size_t len, outlen, nrefs, size;
	uint8_t *img, *rec;
	struct ring *w, *r;
	struct stat st;
	uint64_t cursor;
	int fd, p[2];

	assert_non_null(w = ring_create(RING_MIN_SIZE));
	len = make_tag(tag, FLV_VIDEO, 1000, 0, 0);
	assert_int_equal(write_tag(w, tag, len, RING_VIDEO, 0), 0);
	assert_int_equal(fstat(ring_fd(w), &st), 0);
	size = (size_t)st.st_size;
	img = malloc(size);
	assert_non_null(img);
	assert_int_equal(pread(ring_fd(w), img, size, 0), size);

	open_refused(-1, EBADF);
	assert_int_equal(pipe(p), 0);
	open_refused(p[0], EINVAL);
	close(p[0]);
	close(p[1]);

	/* Too small to be a ring at all. */
	fd = memfd_with(NULL, 0, 4096, 1);
	open_refused(fd, EINVAL);
	close(fd);
	/* Ring-sized, sealed, garbage header. */
	memset(out, 0x5a, sizeof(out));
	fd = memfd_with(out, sizeof(out), (off_t)size, 1);
	open_refused(fd, EPROTO);
	close(fd);
	/* A good image, but not sealed: it could shrink under a reader. */
	fd = memfd_with(img, size, (off_t)size, 0);
	open_refused(fd, EINVAL);
	close(fd);
	/* Bad magic; bad version; the file size does not match the header. */
	img[0] ^= 1;
	fd = memfd_with(img, size, (off_t)size, 1);
	open_refused(fd, EPROTO);
	close(fd);
	img[0] ^= 1;
	img[4] ^= 0x80;
	fd = memfd_with(img, size, (off_t)size, 1);
	open_refused(fd, EPROTO);
	close(fd);
	img[4] ^= 0x80;
	fd = memfd_with(img, size, (off_t)size + RING_MIN_SIZE, 1);
	open_refused(fd, EPROTO);
	close(fd);

	/* The same image intact opens and reads: the checks above are real. */
	fd = memfd_with(img, size, (off_t)size, 1);
	assert_non_null(r = ring_open(fd));
	close(fd); /* the ring keeps its own descriptor */
	cursor = 0;
	assert_int_equal(ring_read(r, &cursor, out, sizeof(out), &outlen, refs,
	                     nitems(refs), &nrefs),
	    0);
	assert_int_equal(nrefs, 1);
	assert_memory_equal(out, tag, len);
	ring_free(r);

	/* Record lengths that are impossible: refused, never followed. */
	rec = img + size - RING_MIN_SIZE; /* the data area ends the file */
	memcpy(rec, &(uint32_t){0xfffffff0}, 4);
	fd = memfd_with(img, size, (off_t)size, 1);
	assert_non_null(r = ring_open(fd));
	close(fd);
	cursor = 0;
	errno = 0;
	assert_int_equal(ring_read(r, &cursor, out, sizeof(out), &outlen, refs,
	                     nitems(refs), &nrefs),
	    -1);
	assert_int_equal(errno, EBADMSG);
	assert_int_equal(cursor, 0);
	ring_free(r);
	/* Plausible length, but the record would run past the tail. */
	memcpy(rec, &(uint32_t){(uint32_t)len + 64}, 4);
	fd = memfd_with(img, size, (off_t)size, 1);
	assert_non_null(r = ring_open(fd));
	close(fd);
	errno = 0;
	assert_int_equal(ring_read(r, &cursor, out, sizeof(out), &outlen, refs,
	                     nitems(refs), &nrefs),
	    -1);
	assert_int_equal(errno, EBADMSG);
	ring_free(r);

	free(img);
	ring_free(w);
}

/*
 * The ring's mappings in /proc/self/maps, by the memfd's inode: the bytes
 * of the read-only shared ones, and the address of the last.  Bytes rather
 * than lines: qemu-user (make test-cross) shows the two data mappings,
 * back to back, as one line.
 */
static size_t
readonly_mappings(ino_t ino, void **addr)
{
	char line[512], perms[8];
	unsigned long lo, hi, inode;
	size_t n = 0;
	FILE *f;

	assert_non_null(f = fopen("/proc/self/maps", "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%lx-%lx %7s %*s %*s %lu", &lo, &hi, perms,
		        &inode) != 4)
			continue;
		if (inode == (unsigned long)ino && strcmp(perms, "r--s") == 0) {
			*addr = (void *)lo;
			n += hi - lo;
		}
	}
	fclose(f);
	return n;
}

static void
segv_exit(int sig)
{
	_exit(42);
}

static void
test_readonly(void **state)
{
	struct ring *w, *r;
	struct stat st;
	void *addr = NULL;
	pid_t pid;
	int status;

	assert_non_null(w = ring_create(RING_MIN_SIZE));
	assert_int_equal(fstat(ring_fd(w), &st), 0);
	assert_int_equal(readonly_mappings(st.st_ino, &addr), 0);
	assert_non_null(r = ring_open(ring_fd(w)));
	/*
	 * The header and the data area twice, none writable: the file (the
	 * header and the data area) and the data area again.
	 */
	assert_int_equal(readonly_mappings(st.st_ino, &addr),
	    (size_t)st.st_size + ring_capacity(r));

	/* The seal forbids making them writable (Linux 5.1+). */
	if (fcntl(ring_fd(w), F_GET_SEALS) & F_SEAL_FUTURE_WRITE) {
		errno = 0;
		assert_int_equal(
		    mprotect(addr, 4096, PROT_READ | PROT_WRITE), -1);
		assert_int_equal(errno, EACCES);
	} else
		print_message(
		    "no F_SEAL_FUTURE_WRITE: mprotect check skipped\n");

	/* A store through the reader's mapping faults. */
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = segv_exit;
		sigaction(SIGSEGV, &sa, NULL);
		sigaction(SIGBUS, &sa, NULL);
		*(volatile uint8_t *)addr = 1;
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 42);
	ring_free(r);
	ring_free(w);
}

static void
test_stats(void **state)
{
	static uint8_t tag[200];
	struct ring_stats st;
	struct ring *w, *r;
	size_t len, i;
	time_t t0 = time(NULL);

	assert_non_null(w = ring_create(RING_MIN_SIZE));
	assert_non_null(r = ring_open(ring_fd(w)));
	ring_stats(r, &st);
	assert_int_equal(st.tags_in, 0);
	assert_int_equal(st.closed, 0);
	assert_true(st.started >= t0 - 1 && st.started <= time(NULL));

	len = make_tag(tag, FLV_VIDEO, 100, 0, 0);
	for (i = 0; i < 10; i++) {
		uint32_t flags = i % 2 ? RING_AUDIO : RING_VIDEO;

		if (i % 4 == 0)
			flags |= RING_KEYFRAME;
		assert_int_equal(write_tag(w, tag, len, flags, 1000 + i), 0);
	}
	ring_stats(r, &st);
	assert_int_equal(st.bytes_in, 10 * len);
	assert_int_equal(st.tags_in, 10);
	assert_int_equal(st.keyframes, 3);
	assert_int_equal(st.video_tags, 5);
	assert_int_equal(st.audio_tags, 5);
	assert_int_equal(st.last_timestamp, 1009);
	assert_true(st.last_write_ms > 0 && st.last_write_ms <= now_ms());
	assert_int_equal(st.closed, 0);
	ring_close(w);
	ring_stats(r, &st);
	assert_int_equal(st.closed, 1);
	ring_free(r);
	ring_free(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_wraparound),
	    cmocka_unit_test(test_lapped),
	    cmocka_unit_test(test_keyframe_overwritten),
	    cmocka_unit_test(test_seqhdr),
	    cmocka_unit_test(test_oversize),
	    cmocka_unit_test(test_read_limits),
	    cmocka_unit_test(test_open_bad),
	    cmocka_unit_test(test_readonly),
	    cmocka_unit_test(test_stats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
