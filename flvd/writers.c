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
 */
#include <sys/socket.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "flvd.h"

#define WRITERS_MAX 16
#define WRITERS_BATCH 4 /* viewers a thread takes at a time */
#define WRITERS_MIN_EACH 16 /* fewer viewers per thread: not worth a wakeup */

static struct {
	pthread_t threads[WRITERS_MAX];
	int nthreads; /* helpers, besides the main thread */
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	unsigned gen;
	int pending, stop;
	struct viewer **jobs;
	size_t njobs, next;
} writers = {
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .go = PTHREAD_COND_INITIALIZER,
    .done = PTHREAD_COND_INITIALIZER,
};

/*
 * A fan-out's chunk for a viewer with nothing queued goes straight to the
 * socket: no buffer bookkeeping, no allocation.  Only what the socket does
 * not take is queued, by reference.
 */
static int
writers_direct(struct viewer *v, struct chunk *c)
{
	uint32_t off = 0, len = c->len;
	ssize_t n;

	if (evbuffer_get_length(v->out) == 0) {
		n = send(v->fd, c->data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n == (ssize_t)len) {
			v->wrote = (int)n;
			return 1;
		}
		if (n == -1 && errno != EAGAIN && errno != EINTR) {
			v->werr = errno;
			return 1;
		}
		if (n > 0) {
			v->wrote = (int)n;
			off = (uint32_t)n;
			len -= (uint32_t)n;
		}
		viewer_add_ref(v, c, off, len);
		return 1;
	}
	viewer_add_ref(v, c, off, len);
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

static void
writers_work(void)
{
	size_t i, end;

	for (;;) {
		i = __atomic_fetch_add(
		    &writers.next, WRITERS_BATCH, __ATOMIC_RELAXED);
		if (i >= writers.njobs)
			return;
		end = i + WRITERS_BATCH < writers.njobs ? i + WRITERS_BATCH
		                                        : writers.njobs;
		for (; i < end; i++)
			writers_write(writers.jobs[i]);
	}
}

static void *
writers_thread(void *arg)
{
	unsigned seen = 0;

	pthread_mutex_lock(&writers.mu);
	for (;;) {
		while (writers.gen == seen && !writers.stop)
			pthread_cond_wait(&writers.go, &writers.mu);
		if (writers.stop)
			break;
		seen = writers.gen;
		pthread_mutex_unlock(&writers.mu);
		writers_work();
		pthread_mutex_lock(&writers.mu);
		if (--writers.pending == 0)
			pthread_cond_signal(&writers.done);
	}
	pthread_mutex_unlock(&writers.mu);
	return NULL;
}

/* n threads in all, the main one included; 0 picks one per core, at most 4. */
void
writers_start(int n)
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
	/* the helpers leave every signal to the main thread's event loop */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < n - 1; i++) {
		if ((e = pthread_create(&writers.threads[i], NULL,
		         writers_thread, NULL)) != 0) {
			errno = e;
			log_warn("write thread %d", i + 1);
			break;
		}
		writers.nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	log_info("fan-out writes on %d thread%s", writers.nthreads + 1,
	    writers.nthreads ? "s" : "");
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
}

/* Writes every viewer of v[]; on return v[i]->wrote and ->werr are set. */
void
writers_run(struct viewer **v, size_t n)
{
	size_t i;

	if (writers.nthreads == 0 || n < 2 * WRITERS_MIN_EACH) {
		for (i = 0; i < n; i++)
			writers_write(v[i]);
		return;
	}
	pthread_mutex_lock(&writers.mu);
	writers.jobs = v;
	writers.njobs = n;
	writers.next = 0;
	writers.pending = writers.nthreads;
	writers.gen++;
	pthread_cond_broadcast(&writers.go);
	pthread_mutex_unlock(&writers.mu);
	writers_work();
	pthread_mutex_lock(&writers.mu);
	while (writers.pending > 0)
		pthread_cond_wait(&writers.done, &writers.mu);
	pthread_mutex_unlock(&writers.mu);
}
