/*
 * Control sockets: messages, descriptors, the server with its op table and
 * roles, the outgoing queue, the client with reconnects, stale and live
 * sockets.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <grp.h>
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
	struct ctl_peer *last;
};

static void
echo_handler(struct ctl_peer *p, struct ctl_msg *m, void *arg)
{
	struct srv *s = arg;
	yajl_gen g = ctl_reply_begin();

	s->calls++;
	s->last = p;
	json_str(g, "echo", m->op);
	json_int(g, "uid", ctl_peer_uid(p));
	ctl_reply_end(p, g);
}

static void
on_closed(struct ctl_peer *p, void *arg)
{
	struct srv *s = arg;

	s->closed++;
	if (s->last == p)
		s->last = NULL;
}

/* ping, status and publish answered by echo_handler */
static void
echo_handlers(ctl_handler h[CTL_OP_COUNT])
{
	memset(h, 0, sizeof(ctl_handler) * CTL_OP_COUNT);
	h[CTL_OP_PING] = echo_handler;
	h[CTL_OP_STATUS] = echo_handler;
	h[CTL_OP_PUBLISH] = echo_handler;
	h[CTL_OP_STREAM_LIST] = echo_handler;
}

static struct ctl_server *
echo_server(struct event_base *base, const char *path, struct srv *s,
    const struct ctl_policy *pol)
{
	ctl_handler h[CTL_OP_COUNT];
	struct ctl_policy none = {0};
	char err[256];

	echo_handlers(h);
	return ctl_server_new(base, path, CTL_SERVED_AUTHD, pol ? pol : &none,
	    h, on_closed, s, err, sizeof(err));
}

/*
 * Runs the loop until a client in a child process has finished.  The
 * child becomes uid/gid (with one supplementary group) first when uid is
 * not -1; it exits 0 when the answer (echo or error) contains want.
 */
static void
run_client_as(struct event_base *base, const char *path, const char *json,
    const char *want, uid_t uid, gid_t gid, gid_t group)
{
	pid_t pid;
	int status;

	if ((pid = fork()) == 0) {
		struct ctl_msg m;
		char err[256];
		const char *got;
		int fd;

		if (uid != (uid_t)-1 &&
		    (setgroups(1, &group) == -1 || setgid(gid) == -1 ||
		        setuid(uid) == -1))
			_exit(3);
		if ((fd = ctl_connect(path)) == -1)
			_exit(4);
		if (ctl_send(fd, json, strlen(json), NULL, 0) == -1)
			_exit(1);
		if (ctl_recv(fd, &m, err, sizeof(err)) != 1)
			_exit(strcmp(want, "(closed)") == 0 ? 0 : 5);
		got = json_get_str(m.root, "echo")
		    ? json_get_str(m.root, "echo")
		    : json_get_str(m.root, "error");
		if (got == NULL || strstr(got, want) == NULL) {
			fprintf(stderr, "child got '%s', want '%s'\n",
			    got ? got : "?", want);
			_exit(2);
		}
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
run_client(struct event_base *base, const char *path, const char *json,
    const char *want)
{
	run_client_as(base, path, json, want, (uid_t)-1, 0, 0);
}

static void
test_server(void **state)
{
	char dir[] = "/tmp/nyon-ctl-XXXXXX", path[256];
	struct event_base *base = event_base_new();
	struct ctl_server *srv, *second;
	struct srv s = {0};
	struct stat st;
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.sock", dir);
	srv = echo_server(base, path, &s, NULL);
	assert_non_null(srv);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);

	run_client(base, path, "{\"v\":1,\"op\":\"ping\"}", "ping");
	assert_int_equal(s.calls, 1);
	/* a message in another protocol version is answered, not dispatched */
	run_client(base, path, "{\"v\":99,\"op\":\"ping\"}", "version");
	run_client(base, path, "{\"v\":1}", "no op");
	/* ops this daemon does not serve, and ops nobody has */
	run_client(base, path, "{\"v\":1,\"op\":\"subscribe\"}", "unknown op");
	run_client(base, path, "{\"v\":1,\"op\":\"no_such_op\"}", "unknown op");
	/* the fields are checked before the handler runs */
	run_client(base, path, "{\"v\":1,\"op\":\"publish\"}",
	    "publish: key is required");
	run_client(base, path,
	    "{\"v\":1,\"op\":\"publish\",\"key\":\"k\",\"proto\":\"rtmp\","
	    "\"ip\":\"x\",\"client\":\"c\"}",
	    "publish: key: must be 3 to 100");
	run_client(base, path,
	    "{\"v\":1,\"op\":\"publish\",\"key\":\"key1\",\"proto\":7,"
	    "\"ip\":\"x\",\"client\":\"c\"}",
	    "proto must be a string");
	assert_int_equal(s.calls, 1);
	run_client(base, path,
	    "{\"v\":1,\"op\":\"publish\",\"key\":\"key1\",\"proto\":\"rtmp\","
	    "\"ip\":\"x\",\"client\":\"c\"}",
	    "publish");
	assert_int_equal(s.calls, 2);
	assert_true(s.closed >= 2);

	/* a second server on a live socket is refused */
	second = echo_server(base, path, &s, NULL);
	assert_null(second);

	ctl_server_free(srv);
	assert_int_equal(stat(path, &st), -1);

	/* a stale socket (nobody listening) is replaced */
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	{
		struct sockaddr_un sun = {.sun_family = AF_UNIX};

		strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
		assert_int_equal(bind(fd, (void *)&sun, sizeof(sun)), 0);
	}
	close(fd);
	assert_int_equal(stat(path, &st), 0);
	srv = echo_server(base, path, &s, NULL);
	assert_non_null(srv);
	ctl_server_free(srv);
	rmdir(dir);
	event_base_free(base);
}

/* Which credentials earn which roles (the table nyonctl(8) documents). */
static void
test_roles(void **state)
{
	const unsigned all =
	    CTL_ROLE_OPERATOR | CTL_ROLE_INGEST | CTL_ROLE_READER;
	struct ctl_policy pol = {.media_set = 1,
	    .media_uid = 4001,
	    .authd_set = 1,
	    .authd_uid = 4002,
	    .admin_set = 1,
	    .admin_gid = 4100};
	gid_t groups[3] = {27, 4100, 100};

	assert_int_equal(ctl_policy_roles(&pol, 0, 0, NULL, 0), all);
	assert_int_equal(ctl_policy_roles(&pol, geteuid(), 5, NULL, 0), all);
	assert_int_equal(ctl_policy_roles(&pol, 4001, 4001, NULL, 0),
	    CTL_ROLE_INGEST | CTL_ROLE_READER);
	/* the media user is never an operator, whatever its groups */
	assert_int_equal(ctl_policy_roles(&pol, 4001, 4100, groups, 3),
	    CTL_ROLE_INGEST | CTL_ROLE_READER);
	assert_int_equal(
	    ctl_policy_roles(&pol, 4002, 4002, NULL, 0), CTL_ROLE_OPERATOR);
	/* admin_group counts as a primary or a supplementary group */
	assert_int_equal(
	    ctl_policy_roles(&pol, 4005, 4100, NULL, 0), CTL_ROLE_OPERATOR);
	assert_int_equal(
	    ctl_policy_roles(&pol, 4005, 4005, groups, 3), CTL_ROLE_OPERATOR);
	assert_int_equal(ctl_policy_roles(&pol, 4005, 4005, groups, 1), 0);
	assert_int_equal(ctl_policy_roles(&pol, 4005, 4005, NULL, 0), 0);
	pol.admin_set = 0;
	assert_int_equal(ctl_policy_roles(&pol, 4005, 4100, groups, 3), 0);
}

/* Real peers with other credentials: needs root to become them. */
static void
test_server_roles(void **state)
{
	char dir[] = "/tmp/nyon-ctl-XXXXXX", path[256];
	struct event_base *base;
	struct ctl_server *srv;
	struct ctl_policy pol = {.media_set = 1,
	    .media_uid = 64001,
	    .admin_set = 1,
	    .admin_gid = 64100};
	struct srv s = {0};
	const char *list = "{\"v\":1,\"op\":\"stream_list\"}";
	const char *pub = "{\"v\":1,\"op\":\"publish\",\"key\":\"key1\","
	                  "\"proto\":\"rtmp\",\"ip\":\"x\",\"client\":\"c\"}";

	if (geteuid() != 0)
		skip();
	base = event_base_new();
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/x.sock", dir);
	srv = echo_server(base, path, &s, &pol);
	assert_non_null(srv);
	/* everyone may connect at the socket level; credentials decide */
	assert_int_equal(chmod(path, 0666), 0);
	/* the media user: publish yes, management no */
	run_client_as(base, path, pub, "publish", 64001, 64001, 64001);
	run_client_as(base, path, list, "not allowed", 64001, 64001, 64100);
	/* an operator only by a supplementary group */
	run_client_as(base, path, list, "stream_list", 64002, 64002, 64100);
	run_client_as(base, path, pub, "not allowed", 64002, 64002, 64100);
	/* a stranger is not even answered */
	run_client_as(base, path, list, "(closed)", 64003, 64003, 64003);
	assert_int_equal(s.calls, 2);
	ctl_server_free(srv);
	rmdir(dir);
	event_base_free(base);
}

/*
 * A peer that does not read: pushes queue instead of being dropped, and
 * arrive whole and in order once it reads; past CTL_QUEUE_MAX the peer is
 * disconnected rather than costing us more memory.
 */
static void
test_queue(void **state)
{
	char dir[] = "/tmp/nyon-ctl-XXXXXX", path[256], err[256];
	struct event_base *base = event_base_new();
	struct ctl_server *srv;
	struct srv s = {0};
	struct ctl_msg m;
	char pad[2001];
	long long n;
	yajl_gen g;
	int fd, i, r, got = 0;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.sock", dir);
	srv = echo_server(base, path, &s, NULL);
	fd = ctl_connect(path);
	assert_true(fd != -1);
	assert_int_equal(
	    ctl_send(fd, "{\"v\":1,\"op\":\"ping\"}", 19, NULL, 0), 0);
	while (s.last == NULL)
		event_base_loop(base, EVLOOP_ONCE);
	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	/* 1000 messages of 2 KB: far more than the socket holds */
	for (i = 0; i < 1000; i++) {
		g = ctl_msg_begin(CTL_OP_REVOKE);
		json_int(g, "n", i);
		json_str(g, "reason", pad);
		yajl_gen_map_close(g);
		assert_int_equal(ctl_peer_send(s.last, g, NULL, 0), 0);
		yajl_gen_free(g);
	}
	fd_nonblock(fd);
	/* the ping's reply first, then every push in order */
	while (got < 1001) {
		r = ctl_recv(fd, &m, err, sizeof(err));
		if (r == -1 && errno == EAGAIN) {
			event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
			continue;
		}
		assert_int_equal(r, 1);
		if (got > 0) {
			assert_int_equal(json_get_int(m.root, "n", &n), 0);
			assert_int_equal(n, got - 1);
		}
		got++;
		ctl_msg_free(&m);
	}
	/* now a peer that never reads: cut off, not fed forever */
	for (i = 0; i < 4000 && s.last != NULL; i++) {
		g = ctl_msg_begin(CTL_OP_REVOKE);
		json_str(g, "reason", pad);
		yajl_gen_map_close(g);
		ctl_peer_send(s.last, g, NULL, 0);
		yajl_gen_free(g);
	}
	assert_null(s.last);
	assert_true(i > CTL_QUEUE_MAX / (int)sizeof(pad));
	close(fd);
	ctl_server_free(srv);
	rmdir(dir);
	event_base_free(base);
}

struct cli {
	int ups, downs, pushes, replies, failed;
	long long last_n;
};

static void
cli_up(struct ctl_client *c, void *arg)
{
	((struct cli *)arg)->ups++;
}

static void
cli_down(struct ctl_client *c, void *arg)
{
	((struct cli *)arg)->downs++;
}

static void
cli_push(struct ctl_client *c, enum ctl_op op, struct ctl_msg *m, void *arg)
{
	struct cli *k = arg;

	assert_int_equal(op, CTL_OP_REVOKE);
	k->pushes++;
	json_get_int(m->root, "n", &k->last_n);
}

static void
cli_reply(struct ctl_msg *m, void *arg)
{
	struct cli *k = arg;

	if (m == NULL)
		k->failed++;
	else if (json_get_str(m->root, "echo") != NULL)
		k->replies++;
}

static void
loop_until(struct event_base *base, int *what, int want)
{
	int i;

	for (i = 0; i < 500 && *what < want; i++) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(2000);
	}
	assert_true(*what >= want);
}

/*
 * The client: requests matched to replies, pushes checked against the op
 * table, requests failed and the owner told when the server goes, and the
 * connection made again when it is back.
 */
static void
test_client(void **state)
{
	static const struct ctl_client_cb cb = {
	    .up = cli_up, .push = cli_push, .down = cli_down};
	char dir[] = "/tmp/nyon-ctl-XXXXXX", path[256];
	struct event_base *base = event_base_new();
	struct ctl_policy none = {0};
	struct ctl_server *srv;
	struct ctl_client *c;
	struct srv s = {0};
	struct cli k = {0};
	yajl_gen g;
	int i;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.sock", dir);
	/* the client starts before the server: it keeps trying */
	c = ctl_client_new(base, path, "test", &none, 0, &cb, &k);
	for (i = 0; i < 5; i++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	assert_int_equal(k.ups, 0);
	assert_false(ctl_client_up(c));
	g = ctl_msg_begin(CTL_OP_PING);
	assert_int_equal(
	    ctl_client_request(c, g, NULL, 0, 0, cli_reply, &k), -1);
	srv = echo_server(base, path, &s, NULL);
	loop_until(base, &k.ups, 1);
	for (i = 0; i < 3; i++)
		assert_int_equal(
		    ctl_client_request(c, ctl_msg_begin(CTL_OP_PING), NULL, 0,
		        1000, cli_reply, &k),
		    0);
	loop_until(base, &k.replies, 3);
	/* a push, and one the table says a server never sends */
	g = ctl_msg_begin(CTL_OP_REVOKE);
	json_int(g, "n", 7);
	json_str(g, "reason", "test");
	yajl_gen_map_close(g);
	assert_int_equal(ctl_peer_send(s.last, g, NULL, 0), 0);
	yajl_gen_free(g);
	g = ctl_msg_begin(CTL_OP_STREAM_LIST);
	yajl_gen_map_close(g);
	assert_int_equal(ctl_peer_send(s.last, g, NULL, 0), 0);
	yajl_gen_free(g);
	loop_until(base, &k.pushes, 1);
	for (i = 0; i < 5; i++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	assert_int_equal(k.pushes, 1);
	assert_int_equal(k.last_n, 7);
	/* the server goes with a request outstanding: failed, then down */
	assert_int_equal(ctl_client_request(c, ctl_msg_begin(CTL_OP_PING), NULL,
	                     0, 0, cli_reply, &k),
	    0);
	s.last = NULL;
	ctl_server_free(srv);
	loop_until(base, &k.downs, 1);
	assert_int_equal(k.failed, 1);
	assert_int_equal(k.replies, 3);
	/* and comes back: up again */
	srv = echo_server(base, path, &s, NULL);
	loop_until(base, &k.ups, 2);
	ctl_client_free(c);
	ctl_server_free(srv);

	/* a one-shot client with nobody there: down, once, no retry */
	memset(&k, 0, sizeof(k));
	c = ctl_client_new(base, path, "once", &none, CTL_CLIENT_ONCE, &cb, &k);
	loop_until(base, &k.downs, 1);
	assert_int_equal(k.ups, 0);
	ctl_client_free(c);
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
	    cmocka_unit_test(test_roles),
	    cmocka_unit_test(test_server_roles),
	    cmocka_unit_test(test_queue),
	    cmocka_unit_test(test_client),
	    cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
