/*
 * The ring under load, across processes: one writer, several forked readers
 * that ring_open the inherited descriptor (and drop the writer's mapping) as
 * flvd would.  Records of random sizes, some up to 1/8 of the ring, carry a
 * sequence number and a checksum of their contents.  Readers are slow on
 * purpose so they get lapped; every record they are handed must be intact,
 * in order, and without gaps except right after a lap.
 *
 *	NYON_RING_STRESS_RECORDS	records to write (default 1000000)
 *	NYON_RING_STRESS_READERS	reader processes (default 4)
 *	NYON_RING_STRESS_SIZE		ring data size (default 256 KiB)
 *	NYON_RING_STRESS_RATE		records per second (400000, 0: flat out)
 */
#include <sys/wait.h>
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
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

#define KEYFRAME_EVERY 64
#define SEQHDR_EVERY 5000
#define POOL_SIZE (1024 * 1024)
#define BODY_HDR 16 /* u64 sequence, u64 checksum */
#define TIMEOUT_S 300

struct report {
	uint64_t delivered; /* records handed out by ring_read */
	uint64_t laps; /* RING_LAPPED */
	uint64_t torn; /* records whose bytes were wrong */
	uint64_t backwards; /* sequence did not increase */
	uint64_t gaps; /* records skipped without a lap */
	uint64_t keystarts; /* restarts that landed on a keyframe */
	uint64_t errors; /* ring_read -1 */
	uint64_t seqhdr_ok; /* consistent sequence header copies */
	uint64_t seqhdr_bad; /* torn ones */
	uint64_t first_seq, last_seq;
};

static uint8_t pool[POOL_SIZE];

static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t
checksum(uint64_t seq, const uint8_t *p, size_t n)
{
	uint64_t h = mix64(seq ^ ((uint64_t)n << 40)), w;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	for (; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return mix64(h);
}

static uint64_t
env_u64(const char *name, uint64_t def)
{
	const char *s = getenv(name);

	return s != NULL && *s != '\0' ? strtoull(s, NULL, 0) : def;
}

/* Everything about record seq follows from seq. */
static size_t
body_len(uint64_t seq, size_t large)
{
	uint64_t r = mix64(seq + 0x9e3779b97f4a7c15ULL);

	if (r % 100 == 0)
		return BODY_HDR + (r >> 8) % (large - BODY_HDR);
	if (r % 10 == 0)
		return 512 + (r >> 8) % 3584;
	return BODY_HDR + (r >> 8) % 500;
}

static uint32_t
seq_flags(uint64_t seq)
{
	if (seq % KEYFRAME_EVERY == 0)
		return RING_VIDEO | RING_KEYFRAME;
	return seq % 2 ? RING_VIDEO : RING_AUDIO;
}

static const uint8_t *
payload(uint64_t seq)
{
	return pool + (seq * 4099) % (POOL_SIZE / 2);
}

static void
put_be(uint8_t *p, uint32_t v, int n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

static uint32_t
get_be(const uint8_t *p, int n)
{
	uint32_t v = 0;

	while (n-- > 0)
		v = v << 8 | *p++;
	return v;
}

static void
flv_header(uint8_t *h, uint32_t flags, size_t bodylen, uint32_t ts)
{
	h[0] = flags & RING_VIDEO ? 9 : 8;
	put_be(h + 1, (uint32_t)bodylen, 3);
	put_be(h + 4, ts, 3);
	h[7] = (uint8_t)(ts >> 24);
	h[8] = h[9] = h[10] = 0;
}

/* A version-numbered video sequence header with its own checksum. */
static size_t
make_seqhdr(uint8_t *tag, uint32_t version)
{
	size_t n = 64 + mix64(version) % (RING_SEQHDR_MAX - 64 - 15 - 16);
	uint64_t sum;

	flv_header(tag, RING_VIDEO, n + 16, 0);
	memcpy(tag + 11, &version, 4);
	memcpy(tag + 15, pool + version % 1000, n);
	sum = checksum(version, tag + 11, n + 4);
	memcpy(tag + 15 + n, &sum, 8);
	memset(tag + 23 + n, 0, 4);
	put_be(tag + 27 + n, (uint32_t)(n + 16 + 11), 4);
	return n + 16 + 15;
}

static int
seqhdr_intact(const uint8_t *tag, size_t len)
{
	static uint8_t want[RING_SEQHDR_MAX];
	uint32_t version;
	uint64_t sum;
	size_t n;

	if (len < 15 + 16 + 64 || get_be(tag + 1, 3) != len - 15 ||
	    get_be(tag + len - 4, 4) != len - 4)
		return 0;
	n = len - 15 - 16;
	memcpy(&version, tag + 11, 4);
	memcpy(&sum, tag + 15 + n, 8);
	return sum == checksum(version, tag + 11, n + 4) &&
	    len == make_seqhdr(want, version) && memcmp(tag, want, len) == 0;
}

/* One delivered tag: its FLV framing, its ring metadata, its contents. */
static int
tag_intact(const uint8_t *tag, const struct ring_tagref *ref, uint64_t *seqp)
{
	size_t len = ref->len, n;
	uint64_t seq, sum;

	if (len < 15 + BODY_HDR || get_be(tag + 1, 3) != len - 15 ||
	    get_be(tag + len - 4, 4) != len - 4)
		return 0;
	memcpy(&seq, tag + 11, 8);
	memcpy(&sum, tag + 19, 8);
	n = len - 15 - BODY_HDR;
	*seqp = seq;
	return sum == checksum(seq, tag + 11 + BODY_HDR, n) &&
	    ref->flags == seq_flags(seq) && ref->timestamp == (uint32_t)seq &&
	    get_be(tag + 4, 3) == ((uint32_t)seq & 0xffffff) &&
	    tag[0] == (seq_flags(seq) & RING_VIDEO ? 9 : 8);
}

static pid_t parent;

static void
reader_idle(int *idle)
{
	struct timespec ts = {0, 100 * 1000};

	if (++*idle < 50)
		sched_yield();
	else
		nanosleep(&ts, NULL);
	if (getppid() != parent)
		_exit(4); /* the writer failed an assertion and left */
}

/*
 * Waits until the writer is about to overwrite the cursor, so the next read
 * races the writer: where torn copies happen if validation is wrong.
 */
static void
lag_behind(struct ring *r, uint64_t cursor, uint64_t *lag)
{
	size_t size = ring_capacity(r);
	struct ring_stats st;
	unsigned idle = 0;

	*lag = mix64(*lag);
	while (ring_tail(r) - cursor < size - *lag % 4096) {
		ring_stats(r, &st);
		if (st.closed)
			return;
		if (++idle % 64 == 0)
			sched_yield();
		if (idle % 100000 == 0 && getppid() != parent)
			_exit(4);
	}
}

/*
 * Reader i: 0 goes as fast as it can, 1 too with the smallest buffer, 2
 * naps now and then, 3 waits to be nearly lapped before each read.
 */
static void
reader(struct ring *r, int i, int reportfd)
{
	struct report rep;
	struct ring_tagref refs[256];
	struct ring_stats st;
	size_t cap, maxrefs, outlen, nrefs, k, len;
	uint64_t cursor, seq, napped = 0, lag = (uint64_t)i;
	uint8_t *out, hdr[RING_SEQHDR_MAX];
	int ret, idle = 0, restarted = 0, calls = 0, started = 0;

	memset(&rep, 0, sizeof(rep));
	/* Reader 1 reads with the smallest buffer that always works. */
	cap = i == 1 ? ring_max_tag(r) : 1024 * 1024;
	maxrefs = i == 1 ? 3 : nitems(refs);
	out = xmalloc(cap);
	/*
	 * The lagger yields its CPU to the writer whenever that wakes, often
	 * mid-copy: the torn reads validation has to catch.
	 */
	if (i % 4 == 3 && nice(19) == -1)
		_exit(5);
	cursor = ring_cursor_start(r, RING_START_LIVE);
	for (;;) {
		if (++calls % 200 == 0) {
			if (ring_seqhdr(r, RING_SLOT_VIDEO, hdr, sizeof(hdr),
			        &len) == 0) {
				if (seqhdr_intact(hdr, len))
					rep.seqhdr_ok++;
				else
					rep.seqhdr_bad++;
			}
		}
		if (i % 4 == 3)
			lag_behind(r, cursor, &lag);
		ret = ring_read(
		    r, &cursor, out, cap, &outlen, refs, maxrefs, &nrefs);
		if (ret == RING_LAPPED) {
			rep.laps++;
			cursor = ring_cursor_start(r, RING_START_KEYFRAME);
			restarted = 1;
			continue;
		}
		if (ret != 0) {
			rep.errors++;
			break;
		}
		if (nrefs == 0) {
			ring_stats(r, &st);
			if (st.closed && cursor == ring_tail(r))
				break;
			reader_idle(&idle);
			continue;
		}
		idle = 0;
		for (k = 0; k < nrefs; k++) {
			if (!tag_intact(out + refs[k].off, &refs[k], &seq)) {
				rep.torn++;
				continue;
			}
			if (!started) {
				rep.first_seq = seq;
				started = 1;
			} else if (seq <= rep.last_seq)
				rep.backwards++;
			else if (!restarted && seq != rep.last_seq + 1)
				rep.gaps++;
			if (restarted && seq % KEYFRAME_EVERY == 0)
				rep.keystarts++;
			restarted = 0;
			rep.last_seq = seq;
			rep.delivered++;
		}
		if (i % 4 == 2 && rep.delivered - napped >= 3000) {
			napped = rep.delivered;
			usleep(1000);
		}
	}
	free(out);
	if (write(reportfd, &rep, sizeof(rep)) != sizeof(rep))
		_exit(3);
}

/*
 * Keeps to rate records per second, so that readers run alongside the
 * writer on a small machine instead of seeing only laps.
 */
static void
writer_pace(uint64_t t0, uint64_t seq, uint64_t rate)
{
	uint64_t due = t0 + seq * 1000000 / rate, now = now_us();
	struct timespec ts;

	if (now < due) {
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(due - now) * 1000;
		nanosleep(&ts, NULL);
	}
}

static void
writer(struct ring *w, uint64_t records, uint64_t rate)
{
	uint64_t t0 = now_us();
	static uint8_t tag[RING_SEQHDR_MAX];
	uint8_t flvhdr[11], body[BODY_HDR], prev[4];
	size_t large = ring_capacity(w) / 8 - 64, n;
	struct iovec iov[4];
	uint64_t seq, sum;
	uint32_t flags;

	iov[0].iov_base = flvhdr;
	iov[0].iov_len = sizeof(flvhdr);
	iov[1].iov_base = body;
	iov[1].iov_len = sizeof(body);
	iov[3].iov_base = prev;
	iov[3].iov_len = sizeof(prev);
	for (seq = 0; seq < records; seq++) {
		if (seq % SEQHDR_EVERY == 0)
			assert_int_equal(
			    ring_set_seqhdr(w, RING_SLOT_VIDEO, tag,
			        make_seqhdr(
			            tag, (uint32_t)(seq / SEQHDR_EVERY))),
			    0);
		n = body_len(seq, large) - BODY_HDR;
		flags = seq_flags(seq);
		flv_header(flvhdr, flags, BODY_HDR + n, (uint32_t)seq);
		sum = checksum(seq, payload(seq), n);
		memcpy(body, &seq, 8);
		memcpy(body + 8, &sum, 8);
		iov[2].iov_base = (void *)payload(seq);
		iov[2].iov_len = n;
		put_be(prev, (uint32_t)(11 + BODY_HDR + n), 4);
		assert_int_equal(
		    ring_writev(w, iov, 4, flags, (uint32_t)seq), 0);
		/*
		 * A quarter of the time flat out, so readers are lapped
		 * mid-copy; otherwise paced, so they also keep up.
		 */
		if (seq % 65536 == 0)
			t0 = now_us() - seq * 1000000 / (rate ? rate : 1);
		if (rate > 0 && seq % 8 == 0 && seq % 65536 >= 16384)
			writer_pace(t0, seq, rate);
	}
	ring_close(w);
}

static void
test_stress(void **state)
{
	uint64_t records = env_u64("NYON_RING_STRESS_RECORDS", 1000000);
	int nreaders = (int)env_u64("NYON_RING_STRESS_READERS", 4);
	size_t size = env_u64("NYON_RING_STRESS_SIZE", 256 * 1024);
	uint64_t laps = 0, keystarts = 0, seqhdrs = 0, t0,
	         x = 88172645463325252ULL;
	struct report rep;
	struct ring_stats st;
	struct ring *w, *r;
	pid_t pids[64];
	int ready[2], reports[64][2], i, status, bad = 0;
	char c;

	assert_true(nreaders >= 1 && nreaders <= 64 && records > 0);
	for (i = 0; i < POOL_SIZE; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		pool[i] = (uint8_t)x;
	}
	assert_non_null(w = ring_create(size));
	assert_int_equal(pipe(ready), 0);
	parent = getpid();
	for (i = 0; i < nreaders; i++) {
		assert_int_equal(pipe(reports[i]), 0);
		pids[i] = fork();
		assert_true(pids[i] != -1);
		if (pids[i] == 0) {
			alarm(TIMEOUT_S);
			close(reports[i][0]);
			close(ready[0]);
			/* As flvd: its own read-only mapping, nothing else. */
			if ((r = ring_open(ring_fd(w))) == NULL)
				_exit(2);
			ring_free(w);
			if (write(ready[1], "r", 1) != 1)
				_exit(2);
			reader(r, i, reports[i][1]);
			ring_free(r);
			_exit(0);
		}
		close(reports[i][1]);
	}
	close(ready[1]);
	for (i = 0; i < nreaders; i++)
		assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);

	t0 = now_ms();
	writer(w, records, env_u64("NYON_RING_STRESS_RATE", 400000));
	ring_stats(w, &st);
	assert_int_equal(st.tags_in, records);

	for (i = 0; i < nreaders; i++) {
		memset(&rep, 0, sizeof(rep));
		if (read(reports[i][0], &rep, sizeof(rep)) != sizeof(rep)) {
			print_error("reader %d: no report\n", i);
			bad++;
		}
		close(reports[i][0]);
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			print_error("reader %d: status %#x\n", i, status);
			bad++;
		}
		print_message("reader %d: %" PRIu64 " delivered, %" PRIu64
		              " laps, %" PRIu64 " keyframe restarts, %" PRIu64
		              " torn, %" PRIu64 " backwards, %" PRIu64
		              " gaps, %" PRIu64 " errors, seqhdr %" PRIu64
		              " ok %" PRIu64 " torn, seq %" PRIu64 "..%" PRIu64
		              "\n",
		    i, rep.delivered, rep.laps, rep.keystarts, rep.torn,
		    rep.backwards, rep.gaps, rep.errors, rep.seqhdr_ok,
		    rep.seqhdr_bad, rep.first_seq, rep.last_seq);
		if (rep.torn || rep.backwards || rep.gaps || rep.errors ||
		    rep.seqhdr_bad || rep.delivered == 0 ||
		    rep.last_seq != records - 1)
			bad++;
		laps += rep.laps;
		keystarts += rep.keystarts;
		seqhdrs += rep.seqhdr_ok;
	}
	print_message("%" PRIu64 " records, %zu byte ring, %d readers, %" PRIu64
	              " ms\n",
	    records, ring_capacity(w), nreaders, now_ms() - t0);
	ring_free(w);
	assert_int_equal(bad, 0);
	/* The test proves nothing unless readers really were overtaken. */
	assert_true(laps > 0);
	assert_true(keystarts > 0);
	assert_true(seqhdrs > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
