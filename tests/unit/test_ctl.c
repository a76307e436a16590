/* Control sockets: messages, descriptors, the server, stale and live sockets. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "nyon.h"

static void
test_send_recv_fds(void **state)
{
	struct ctl_msg m;
	char err[128], buf[8];
	int sv[2], pfd[2];
	const char *json = "{\"v\":1,\"op\":\"hello\",\"n\":42}";
	long long n;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(ctl_send(sv[0], json, strlen(json), &pfd[0], 1), 0);
	close(pfd[0]);
	assert_int_equal(ctl_recv(sv[1], &m, err, sizeof(err)), 1);
	assert_string_equal(m.op, "hello");
	assert_int_equal(json_get_int(m.root, "n", &n), 0);
	assert_int_equal(n, 42);
	assert_int_equal(m.nfds, 1);
	/* the descriptor works in the receiver */
	assert_int_equal(write(pfd[1], "ping", 4), 4);
	assert_int_equal(read(m.fds[0], buf, 4), 4);
	assert_memory_equal(buf, "ping", 4);
	ctl_msg_free(&m);

	/* bad JSON and non-objects are refused but the socket stays usable */
	assert_int_equal(ctl_send(sv[0], "{nope", 5, NULL, 0), 0);
	assert_int_equal(ctl_recv(sv[1], &m, err, sizeof(err)), -2);
	assert_non_null(strstr(err, "invalid JSON"));
	assert_int_equal(ctl_send(sv[0], "[1,2]", 5, NULL, 0), 0);
	assert_int_equal(ctl_recv(sv[1], &m, err, sizeof(err)), -2);
	assert_int_equal(ctl_send(sv[0], json, strlen(json), NULL, 0), 0);
	assert_int_equal(ctl_recv(sv[1], &m, err, sizeof(err)), 1);
	ctl_msg_free(&m);

	/* nesting that would exhaust yajl's recursive free is refused */
	{
		char deep[4096];
		size_t k, half = 2000;

		for (k = 0; k < half; k++) {
			deep[k] = '[';
			deep[half + k] = ']';
		}
		assert_int_equal(ctl_send(sv[0], deep, 2 * half, NULL, 0), 0);
		assert_int_equal(ctl_recv(sv[1], &m, err, sizeof(err)), -2);
		assert_non_null(strstr(err, "nested too deep"));
	}

	/* oversized messages are refused on the sending side */
	assert_int_equal(ctl_send(sv[0], json, CTL_MSG_MAX + 1, NULL, 0), -1);
	close(sv[0]);
	assert_int_equal(ctl_recv(sv[1], &m, err, sizeof(err)), 0);
	close(sv[1]);
	close(pfd[1]);
}

struct srv {
	int calls;
	int closed;
};

static void
echo_handler(struct ctl_peer *p, struct ctl_msg *m, void *arg)
{
	struct srv *s = arg;
	yajl_gen g = ctl_reply_begin();

	s->calls++;
	json_str(g, "echo", m->op);
	json_int(g, "uid", ctl_peer_uid(p));
	ctl_reply_end(p, g);
}

static void
on_closed(struct ctl_peer *p, void *arg)
{
	((struct srv *)arg)->closed++;
}

/* Runs the loop until a client in a child process has finished. */
static void
run_client(struct event_base *base, const char *path, const char *json,
    const char *want)
{
	pid_t pid;
	int status;

	if ((pid = fork()) == 0) {
		struct ctl_msg m;
		char err[256];
		int fd = ctl_connect(path);

		if (fd == -1 ||
		    ctl_send(fd, json, strlen(json), NULL, 0) == -1 ||
		    ctl_recv(fd, &m, err, sizeof(err)) != 1)
			_exit(1);
		if (strstr(json_get_str(m.root, "echo")
		            ? json_get_str(m.root, "echo")
		            : json_get_str(m.root, "error"),
		        want) == NULL)
			_exit(2);
		_exit(0);
	}
	while (waitpid(pid, &status, WNOHANG) == 0)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* let the server see the close */
	event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

static void
test_server(void **state)
{
	char dir[] = "/tmp/nyon-ctl-XXXXXX", path[256], err[256];
	struct event_base *base = event_base_new();
	struct ctl_server *srv, *second;
	struct srv s = {0};
	struct stat st;
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.sock", dir);
	srv = ctl_server_new(
	    base, path, echo_handler, on_closed, &s, err, sizeof(err));
	assert_non_null(srv);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);

	run_client(base, path, "{\"v\":1,\"op\":\"ping\"}", "ping");
	assert_int_equal(s.calls, 1);
	/* a message in another protocol version is answered, not dispatched */
	run_client(base, path, "{\"v\":99,\"op\":\"ping\"}", "version");
	run_client(base, path, "{\"v\":1}", "no op");
	assert_int_equal(s.calls, 1);
	assert_true(s.closed >= 2);

	/* a second server on a live socket is refused */
	second = ctl_server_new(
	    base, path, echo_handler, NULL, &s, err, sizeof(err));
	assert_null(second);
	assert_non_null(strstr(err, "in use"));

	ctl_server_free(srv);
	assert_int_equal(stat(path, &st), -1);

	/* a stale socket (nobody listening) is replaced */
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	{
		struct sockaddr_un {
			sa_family_t f;
			char p[108];
		} sun = {AF_UNIX, ""};

		strlcpy(sun.p, path, sizeof(sun.p));
		assert_int_equal(bind(fd, (void *)&sun, sizeof(sun)), 0);
	}
	close(fd);
	assert_int_equal(stat(path, &st), 0);
	srv = ctl_server_new(
	    base, path, echo_handler, NULL, &s, err, sizeof(err));
	assert_non_null(srv);
	ctl_server_free(srv);
	rmdir(dir);
	event_base_free(base);
}

static void
test_json(void **state)
{
	char err[64];
	yajl_val v = yajl_tree_parse(
	    "{\"s\":\"x\",\"i\":-3,\"b\":true,\"d\":1.5}", err, sizeof(err));
	long long i;
	int b;

	assert_non_null(v);
	assert_string_equal(json_get_str(v, "s"), "x");
	assert_null(json_get_str(v, "i"));
	assert_int_equal(json_get_int(v, "i", &i), 0);
	assert_int_equal(i, -3);
	assert_int_equal(json_get_int(v, "d", &i), -1);
	assert_int_equal(json_get_bool(v, "b", &b), 0);
	assert_true(b);
	assert_null(json_get(v, "missing"));
	yajl_tree_free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_send_recv_fds),
	    cmocka_unit_test(test_server),
	    cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
