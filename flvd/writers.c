/*
 * The fan-out's socket writes, spread over the cores.  Writing one tag to
 * N viewers is N writev calls, nearly all kernel time, and done in turn it
 * makes the last viewer wait N times one write.  So the writes of one
 * fan-out go to a few threads, the main thread among them, each taking
 * viewers from a shared index until none are left.  Nothing else runs in
 * these threads: each only calls evbuffer_write on viewers it took, whose
 * buffers no other thread touches meanwhile; the main thread waits for
 * them and then does everything else (accounting, events, closing), so
 * the daemon's state keeps a single owner.  Chunk reference counts are
 * atomic because a write frees the references it sent.
 *
 * Where the kernel allows io_uring (flv_io_uring, the default), each
 * thread has a ring and writes the viewers it takes as one io_uring_enter:
 * a SEND for each viewer with nothing queued, which the kernel tries at
 * once and non-blocking, as send() would.  The kernel does the same work,
 * but one system call replaces one per viewer (BENCHMARKS.md, fan-out
 * CPU).  The rings hold the viewers' sockets in a table (a viewer's slot is
 * its descriptor), so a SEND costs no descriptor lookup; the main thread's
 * ring, which does nearly all the writing below a few hundred viewers, is
 * also single-issuer with its completions run in the submitting call
 * (IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN).  Each of
 * these falls back to what the kernel has.
 */
#include <sys/socket.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <liburing.h>

#include "flvd.h"

#define WRITERS_MAX 16
#define WRITERS_BATCH 4 /* viewers a thread takes at a time, with send() */
#define WRITERS_URING_BATCH 32 /* ... and with io_uring, one call's worth */
#define WRITERS_MIN_EACH 16 /* fewer viewers per thread: not worth a wakeup */

#define WRITERS_URING 256 /* SENDs per io_uring_enter */
#define WRITERS_STAY_PCT 75 /* spread until below this % of alone_ns */

static struct {
	pthread_t threads[WRITERS_MAX];
	int nthreads; /* helpers, besides the main thread */
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	unsigned gen;
	int pending, stop;
	struct viewer **jobs;
	size_t njobs, next;
	int uring, nrings; /* the fan-out goes through rings, one per thread */
	unsigned nfiles; /* the rings' socket tables' size; 0: none */
	uint64_t ns_each; /* the main thread's write of a viewer, averaged */
	uint64_t alone_ns; /* flv_write_spread_us */
	int spread; /* the last fan-out woke the helpers */
	struct io_uring rings[WRITERS_MAX]; /* [0]: the main thread's */
} writers = {
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .go = PTHREAD_COND_INITIALIZER,
    .done = PTHREAD_COND_INITIALIZER,
};

/* What a send of chunk c to v did: n bytes, or -1 and err; the rest queued. */
static void
writers_sent(struct viewer *v, struct chunk *c, ssize_t n, int err)
{
	uint32_t off = 0, len = c->len;

	if (n == (ssize_t)len) {
		v->wrote = (int)n;
		return;
	}
	if (n == -1 && err != EAGAIN && err != EINTR) {
		v->werr = err;
		return;
	}
	if (n > 0) {
		v->wrote = (int)n;
		off = (uint32_t)n;
		len -= (uint32_t)n;
	}
	viewer_add_ref(v, c, off, len);
}

/*
 * A fan-out's chunk for a viewer with nothing queued (viewer_fanout sets
 * v->direct only then) goes straight to the socket: no buffer bookkeeping,
 * no allocation.  Only what the socket does not take is queued, by
 * reference.
 */
static void
writers_direct(struct viewer *v, struct chunk *c)
{
	ssize_t n;

	n = send(v->fd, c->data, c->len, MSG_DONTWAIT | MSG_NOSIGNAL);
	writers_sent(v, c, n, errno);
}

/* Writes what the socket takes; thread-safe for distinct viewers. */
void
writers_write(struct viewer *v)
{
	struct chunk *c = v->direct;

	v->wrote = 0;
	v->werr = 0;
	if (c != NULL) {
		v->direct = NULL;
		writers_direct(v, c);
		return;
	}
	if (evbuffer_get_length(v->out) == 0)
		return;
	if ((v->wrote = evbuffer_write(v->out, v->fd)) == -1) {
		v->werr = errno;
		v->wrote = 0;
	}
}

/*
 * Writes v[0..n): with ring, one io_uring_enter for every WRITERS_URING
 * viewers with nothing queued, the others as writers_write does.  On
 * return v[i]->wrote and ->werr are set as writers_write sets them.
 */
static void
writers_batch(struct io_uring *ring, struct viewer **v, size_t n)
{
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct viewer *x;
	size_t i = 0;
	unsigned queued, done;
	int r;

	if (ring == NULL) {
		for (; i < n; i++)
			writers_write(v[i]);
		return;
	}
	while (i < n) {
		for (queued = 0; i < n; i++) {
			x = v[i];
			if (x->direct == NULL) {
				writers_write(x);
				continue;
			}
			if ((sqe = io_uring_get_sqe(ring)) == NULL)
				break;
			x->wrote = 0;
			x->werr = 0;
			/* with a table, slot x->fd holds x's socket */
			io_uring_prep_send(sqe, x->fd, x->direct->data,
			    x->direct->len, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (x->fixed)
				io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);
			io_uring_sqe_set_data(sqe, x);
			queued++;
		}
		if (queued == 0)
			continue;
		/* non-blocking SENDs complete within the call that submits */
		for (done = 0; done < queued; done += (unsigned)r) {
			if ((r = io_uring_submit(ring)) == -EINTR)
				r = 0;
			else if (r == 0)
				fatalx("io_uring_submit: none of %u taken",
				    queued);
			else if (r < 0) {
				errno = -r;
				fatal("io_uring_submit");
			}
		}
		for (done = 0; done < queued; done++) {
			while ((r = io_uring_wait_cqe(ring, &cqe)) == -EINTR)
				;
			if (r < 0) {
				errno = -r;
				fatal("io_uring_wait_cqe");
			}
			x = io_uring_cqe_get_data(cqe);
			writers_sent(x, x->direct, cqe->res < 0 ? -1 : cqe->res,
			    cqe->res < 0 ? -cqe->res : 0);
			x->direct = NULL;
			io_uring_cqe_seen(ring, cqe);
		}
	}
}

/* Takes viewers from the shared index until none are left; how many. */
static size_t
writers_work(struct io_uring *ring)
{
	size_t i, n, done = 0,
	             batch = ring ? WRITERS_URING_BATCH : WRITERS_BATCH;

	for (;;) {
		i = __atomic_fetch_add(&writers.next, batch, __ATOMIC_RELAXED);
		if (i >= writers.njobs)
			return done;
		n = i + batch < writers.njobs ? batch : writers.njobs - i;
		writers_batch(ring, writers.jobs + i, n);
		done += n;
	}
}

static void *
writers_thread(void *arg)
{
	struct io_uring *ring = arg;
	unsigned seen = 0;

	pthread_mutex_lock(&writers.mu);
	for (;;) {
		while (writers.gen == seen && !writers.stop)
			pthread_cond_wait(&writers.go, &writers.mu);
		if (writers.stop)
			break;
		seen = writers.gen;
		pthread_mutex_unlock(&writers.mu);
		writers_work(ring);
		pthread_mutex_lock(&writers.mu);
		if (--writers.pending == 0)
			pthread_cond_signal(&writers.done);
	}
	pthread_mutex_unlock(&writers.mu);
	return NULL;
}

/*
 * A ring, with the most the kernel offers of: a single issuer whose
 * completions wait for its own calls (Linux 6.1; only the main thread's
 * ring: the helpers' are set up here, used there), completions without
 * interrupting the thread (5.19), or neither.
 */
static int
writers_ring_init(struct io_uring *ring, int main_thread)
{
	static const unsigned flags[] = {
	    IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
	    IORING_SETUP_COOP_TASKRUN,
	    0,
	};
	struct io_uring_params p;
	size_t i;
	int r = -EINVAL;

	for (i = main_thread ? 0 : 1; i < nitems(flags) && r == -EINVAL; i++) {
		memset(&p, 0, sizeof(p));
		p.flags = flags[i];
		r = io_uring_queue_init_params(WRITERS_URING, ring, &p);
	}
	if (r == 0 && main_thread && i > 1)
		log_info("io_uring: no single-issuer ring (Linux 6.1)");
	return r;
}

/*
 * A table of nfiles sockets in every ring, or none and a line in the log.
 * A viewer's slot is its descriptor, so the table covers the descriptors
 * the limits let viewers have; a viewer beyond it (the limits raised by a
 * reload) is sent to by descriptor.
 */
static void
writers_files_start(void)
{
	long want = FD_RESERVE + 2L * (flvd->max_viewers + flvd->max_requests);
	unsigned n = (unsigned)(want < flvd->nofile ? want : flvd->nofile);
	int i, r = 0;

	for (i = 0; i < writers.nrings && r == 0; i++)
		r = io_uring_register_files_sparse(&writers.rings[i], n);
	if (r < 0) {
		while (--i > 0)
			io_uring_unregister_files(&writers.rings[i - 1]);
		log_info("io_uring: no registered files (%s): each send "
		         "looks its socket up",
		    strerror(-r));
		return;
	}
	writers.nfiles = n;
}

/* n rings, or 0 and a line in the log that says why not. */
static int
writers_uring_start(int n)
{
	int i, r = 0;

	for (i = 0; i < n && r >= 0; i++)
		r = writers_ring_init(&writers.rings[i], i == 0);
	if (r < 0) {
		while (--i > 0)
			io_uring_queue_exit(&writers.rings[i - 1]);
		log_info(
		    "io_uring unavailable (%s): fan-out writes with send()",
		    strerror(-r));
		return 0;
	}
	writers.uring = 1;
	writers.nrings = n;
	writers_files_start();
	return 1;
}

/* Puts fd into slot fd of every ring's table (-1 empties it); 0 or -1. */
static int
writers_files_set(int slot, int fd)
{
	int i, r;

	for (i = 0; i < writers.nrings; i++)
		if ((r = io_uring_register_files_update(
		         &writers.rings[i], (unsigned)slot, &fd, 1)) != 1) {
			errno = r < 0 ? -r : EIO;
			return -1;
		}
	return 0;
}

/*
 * A viewer's socket goes into the rings' tables when it starts streaming,
 * and out before it is closed: a table holds its socket open.
 */
void
writers_add(struct viewer *v)
{
	static int warned;

	if (writers.nfiles == 0 || v->fixed || v->fd < 0 ||
	    (unsigned)v->fd >= writers.nfiles)
		return;
	if (writers_files_set(v->fd, v->fd) == -1) {
		if (!warned++)
			log_warn("io_uring: registering viewer %s's socket",
			    v->addr);
		writers_files_set(v->fd, -1);
		return;
	}
	v->fixed = 1;
}

void
writers_remove(struct viewer *v)
{
	if (!v->fixed)
		return;
	v->fixed = 0;
	/* should it fail, the socket stays open until its slot is reused */
	if (writers_files_set(v->fd, -1) == -1)
		log_warn("io_uring: unregistering viewer %s's socket", v->addr);
}

/*
 * n threads in all, the main one included; 0 picks one per core, at most 4.
 * With uring, each writes through a ring where the kernel allows it.  A
 * fan-out the main thread can write alone within spread_us microseconds
 * wakes no helper: the helpers make the last viewer's wait shorter but
 * cost CPU (wakeups, and cores contending for the same sockets and
 * chunks).  How long one viewer's write takes is measured as it goes, so a
 * Pi's slower cores call the helpers in sooner.
 */
void
writers_start(int n, int uring, int spread_us)
{
	sigset_t all, old;
	long cpus;
	int i, e;

	if (n == 0) {
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		n = cpus < 1 ? 1 : cpus > 4 ? 4 : (int)cpus;
	}
	if (n > WRITERS_MAX)
		n = WRITERS_MAX;
	writers.alone_ns = (uint64_t)spread_us * 1000;
	if (uring)
		writers_uring_start(n);
	/* the helpers leave every signal to the main thread's event loop */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < n - 1; i++) {
		if ((e = pthread_create(&writers.threads[i], NULL,
		         writers_thread,
		         writers.uring ? &writers.rings[i + 1] : NULL)) != 0) {
			errno = e;
			log_warn("write thread %d", i + 1);
			break;
		}
		writers.nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	log_info("fan-out writes on %d thread%s%s", writers.nthreads + 1,
	    writers.nthreads ? "s" : "",
	    writers.uring ? ", through io_uring" : "");
}

void
writers_stop(void)
{
	int i;

	pthread_mutex_lock(&writers.mu);
	writers.stop = 1;
	pthread_cond_broadcast(&writers.go);
	pthread_mutex_unlock(&writers.mu);
	for (i = 0; i < writers.nthreads; i++)
		pthread_join(writers.threads[i], NULL);
	writers.nthreads = 0;
	for (i = 0; writers.uring && i < writers.nrings; i++)
		io_uring_queue_exit(&writers.rings[i]);
	writers.uring = writers.nrings = 0;
	writers.nfiles = 0;
}

/*
 * Whether a fan-out to n viewers wakes the helpers: when the main thread
 * alone would take over alone_ns, and, once it does, until it would take
 * under WRITERS_STAY_PCT of that, so that a load near the line does not
 * flip between one thread and several from one tag to the next.
 */
static int
writers_spread(size_t n)
{
	uint64_t alone = n * writers.ns_each;

	if (writers.nthreads == 0 || n < 2 * WRITERS_MIN_EACH)
		return 0;
	if (writers.spread)
		return alone * 100 >= writers.alone_ns * WRITERS_STAY_PCT;
	return alone > writers.alone_ns;
}

/* Writes every viewer of v[]; on return v[i]->wrote and ->werr are set. */
void
writers_run(struct viewer **v, size_t n)
{
	struct io_uring *ring = writers.uring ? &writers.rings[0] : NULL;
	uint64_t t0, t1;
	size_t mine = n;

	if (n == 0)
		return;
	writers.spread = writers_spread(n);
	if (!writers.spread) {
		t0 = now_us();
		writers_batch(ring, v, n);
		t1 = now_us();
	} else {
		pthread_mutex_lock(&writers.mu);
		writers.jobs = v;
		writers.njobs = n;
		writers.next = 0;
		writers.pending = writers.nthreads;
		writers.gen++;
		pthread_cond_broadcast(&writers.go);
		pthread_mutex_unlock(&writers.mu);
		t0 = now_us();
		mine = writers_work(ring);
		t1 = now_us();
		pthread_mutex_lock(&writers.mu);
		while (writers.pending > 0)
			pthread_cond_wait(&writers.done, &writers.mu);
		pthread_mutex_unlock(&writers.mu);
	}
	/* the main thread's own pace, whoever helped */
	if (mine > 0)
		writers.ns_each =
		    (writers.ns_each * 7 + (t1 - t0) * 1000 / mine) / 8;
}
