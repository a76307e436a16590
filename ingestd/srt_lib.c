/*
 * libsrt, loaded when it is first needed.  libsrt is C++ and links
 * OpenSSL: mapping it with libstdc++ and libcrypto costs ingestd about
 * 4 MiB of RSS and five threads, which a box that only ever sees RTMP
 * should not pay.  So ingestd is not linked with libsrt: srt_conn.c binds
 * the UDP ports itself and calls srt_lib_load() when the first datagram
 * arrives.  The functions below have libsrt's own names and prototypes
 * (from <srt/srt.h>) and call through pointers that srt_lib_load() fills,
 * so srt_conn.c reads as plain libsrt code.  They are not in ingestd's
 * dynamic symbol table (it links no library that refers to them), so
 * libsrt's calls to itself never land here.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <srt/srt.h>

#include "ingestd.h"

#ifndef NYON_SRT_SONAME
#define NYON_SRT_SONAME "libsrt.so.1.5"
#endif

/* X(return type, name, parameters, arguments) for each function we use */
#define SRT_FUNCS(X, V) \
	X(int, srt_startup, (void), ()) \
	X(int, srt_cleanup, (void), ()) \
	X(SRTSOCKET, srt_create_socket, (void), ()) \
	X(int, srt_setsockflag, \
	    (SRTSOCKET u, SRT_SOCKOPT o, const void *v, int l), (u, o, v, l)) \
	X(int, srt_getsockflag, (SRTSOCKET u, SRT_SOCKOPT o, void *v, int *l), \
	    (u, o, v, l)) \
	X(int, srt_bind_acquire, (SRTSOCKET u, UDPSOCKET fd), (u, fd)) \
	X(int, srt_listen_callback, \
	    (SRTSOCKET u, srt_listen_callback_fn * fn, void *opaq), \
	    (u, fn, opaq)) \
	X(int, srt_listen, (SRTSOCKET u, int backlog), (u, backlog)) \
	X(SRTSOCKET, srt_accept, \
	    (SRTSOCKET u, struct sockaddr * sa, int *salen), (u, sa, salen)) \
	X(int, srt_close, (SRTSOCKET u), (u)) \
	X(int, srt_recvmsg, (SRTSOCKET u, char *buf, int len), (u, buf, len)) \
	X(const char *, srt_getlasterror_str, (void), ()) \
	X(int, srt_getlasterror, (int *e), (e)) \
	X(int, srt_epoll_create, (void), ()) \
	X(int32_t, srt_epoll_set, (int eid, int32_t flags), (eid, flags)) \
	X(int, srt_epoll_add_usock, (int eid, SRTSOCKET u, const int *ev), \
	    (eid, u, ev)) \
	X(int, srt_epoll_uwait, \
	    (int eid, SRT_EPOLL_EVENT *ev, int n, int64_t ms), \
	    (eid, ev, n, ms)) \
	X(int, srt_epoll_release, (int eid), (eid)) \
	X(int, srt_setrejectreason, (SRTSOCKET u, int v), (u, v)) \
	X(SRT_SOCKSTATUS, srt_getsockstate, (SRTSOCKET u), (u)) \
	V(srt_setloglevel, (int level), (level)) \
	V(srt_setlogflags, (int flags), (flags)) \
	V(srt_setloghandler, (void *opaq, SRT_LOG_HANDLER_FN *fn), (opaq, fn))

#define SRT_PTR(ret, name, params, args) static ret(*p_##name) params;
#define SRT_VPTR(name, params, args) static void(*p_##name) params;
SRT_FUNCS(SRT_PTR, SRT_VPTR)

#define SRT_WRAP(ret, name, params, args) \
	ret name params \
	{ \
		return p_##name args; \
	}
#define SRT_VWRAP(name, params, args) \
	void name params \
	{ \
		p_##name args; \
	}
SRT_FUNCS(SRT_WRAP, SRT_VWRAP)

static void *srt_lib;

/* NYON_SRT_LIBRARY in the environment names another build of libsrt. */
int
srt_lib_load(char *err, size_t errlen)
{
	const char *missing = NULL, *name = getenv("NYON_SRT_LIBRARY");
	void *h;

	if (srt_lib != NULL)
		return 0;
	if (name == NULL || *name == '\0')
		name = NYON_SRT_SONAME;
	if ((h = dlopen(name, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, errlen, "%s", dlerror());
		return -1;
	}
	/* POSIX: a function pointer can hold what dlsym() returns */
#define SRT_SYM(ret, name, params, args) \
	if (missing == NULL && \
	    (*(void **)&p_##name = dlsym(h, #name)) == NULL) \
		missing = #name;
#define SRT_VSYM(name, params, args) SRT_SYM(void, name, params, args)
	SRT_FUNCS(SRT_SYM, SRT_VSYM)
	if (missing != NULL) {
		snprintf(err, errlen, "%s: no %s", name, missing);
		dlclose(h);
		return -1;
	}
	srt_lib = h;
	log_info("srt: loaded %s", name);
	return 0;
}

int
srt_lib_loaded(void)
{
	return srt_lib != NULL;
}
