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
 * CPU).
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
	uint64_t ns_each; /* a viewer's write, averaged over fan-outs */
	uint64_t alone_ns; /* flv_write_spread_us */
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
 * A fan-out's chunk for a viewer with nothing queued goes straight to the
 * socket: no buffer bookkeeping, no allocation.  Only what the socket does
 * not take is queued, by reference.
 */
static int
writers_direct(struct viewer *v, struct chunk *c)
{
	ssize_t n;

	if (evbuffer_get_length(v->out) == 0) {
		n = send(v->fd, c->data, c->len, MSG_DONTWAIT | MSG_NOSIGNAL);
		writers_sent(v, c, n, errno);
		return 1;
	}
	viewer_add_ref(v, c, 0, c->len);
	return 0;
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
		if (writers_direct(v, c))
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
			if (x->direct == NULL || evbuffer_get_length(x->out)) {
				writers_write(x);
				continue;
			}
			if ((sqe = io_uring_get_sqe(ring)) == NULL)
				break;
			x->wrote = 0;
			x->werr = 0;
			io_uring_prep_send(sqe, x->fd, x->direct->data,
			    x->direct->len, MSG_DONTWAIT | MSG_NOSIGNAL);
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

static void
writers_work(struct io_uring *ring)
{
	size_t i, batch = ring ? WRITERS_URING_BATCH : WRITERS_BATCH;

	for (;;) {
		i = __atomic_fetch_add(&writers.next, batch, __ATOMIC_RELAXED);
		if (i >= writers.njobs)
			return;
		writers_batch(ring, writers.jobs + i,
		    i + batch < writers.njobs ? batch : writers.njobs - i);
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

/* n rings, or 0 and a line in the log that says why not. */
static int
writers_uring_start(int n)
{
	struct io_uring_params p;
	int i, r = 0;

	for (i = 0; i < n && r >= 0; i++) {
		memset(&p, 0, sizeof(p));
		p.flags = IORING_SETUP_COOP_TASKRUN;
		r = io_uring_queue_init_params(
		    WRITERS_URING, &writers.rings[i], &p);
		if (r == -EINVAL) { /* before Linux 5.19 */
			memset(&p, 0, sizeof(p));
			r = io_uring_queue_init_params(
			    WRITERS_URING, &writers.rings[i], &p);
		}
	}
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
	return 1;
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
}

/* Writes every viewer of v[]; on return v[i]->wrote and ->werr are set. */
void
writers_run(struct viewer **v, size_t n)
{
	struct io_uring *ring = writers.uring ? &writers.rings[0] : NULL;
	uint64_t t0 = now_us(), each;
	int threads = 1;

	if (writers.nthreads == 0 || n < 2 * WRITERS_MIN_EACH ||
	    n * writers.ns_each <= writers.alone_ns)
		writers_batch(ring, v, n);
	else {
		threads += writers.nthreads;
		pthread_mutex_lock(&writers.mu);
		writers.jobs = v;
		writers.njobs = n;
		writers.next = 0;
		writers.pending = writers.nthreads;
		writers.gen++;
		pthread_cond_broadcast(&writers.go);
		pthread_mutex_unlock(&writers.mu);
		writers_work(ring);
		pthread_mutex_lock(&writers.mu);
		while (writers.pending > 0)
			pthread_cond_wait(&writers.done, &writers.mu);
		pthread_mutex_unlock(&writers.mu);
	}
	if (n > 0) {
		each = (now_us() - t0) * 1000 * (uint64_t)threads / n;
		writers.ns_each = (writers.ns_each * 7 + each) / 8;
	}
}
