/*
 * The pidfile: one holder at a time, the holder's pid for a second one, a
 * stale file taken over, and nothing written through a symlink, a link or a
 * FIFO, nor in a directory others may write in.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "nyon.h"

struct fixture {
	char dir[64];
	char path[128];
	char err[512];
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	strlcpy(f->dir, "/tmp/nyon-pidfile.XXXXXX", sizeof(f->dir));
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/test.pid", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	chmod(f->dir, 0700);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static void
read_file(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, len - 1, fp);
	buf[n] = '\0';
	fclose(fp);
}

static struct pidfile *
acquire(struct fixture *f, pid_t *other)
{
	f->err[0] = '\0';
	return pidfile_acquire(
	    f->path, (uid_t)-1, other, f->err, sizeof(f->err));
}

static void
test_one_holder(void **state)
{
	struct fixture *f = *state;
	struct pidfile *pf, *second;
	struct stat sb;
	char buf[64], want[32];
	pid_t other = 1;

	pf = acquire(f, &other);
	assert_non_null(pf);
	assert_int_equal(other, 0);
	assert_int_equal(pidfile_store(pf), 0);
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	read_file(f->path, buf, sizeof(buf));
	assert_string_equal(buf, want);
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0644);

	/* flock is per open file: a second open in this process is refused */
	second = acquire(f, &other);
	assert_null(second);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(other, getpid());
	assert_non_null(strstr(f->err, "locked by pid"));

	pidfile_release(pf);
	assert_int_equal(access(f->path, F_OK), -1);
	/* and once released it can be had again */
	pf = acquire(f, &other);
	assert_non_null(pf);
	pidfile_release(pf);
}

static void
test_stale_taken_over(void **state)
{
	struct fixture *f = *state;
	struct pidfile *pf;
	char buf[64], want[32];
	pid_t other;

	write_file(f->path, "99999999999 and some longer stale text\n");
	pf = acquire(f, &other);
	assert_non_null(pf);
	assert_int_equal(pidfile_store(pf), 0);
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	read_file(f->path, buf, sizeof(buf));
	assert_string_equal(buf, want);
	pidfile_release(pf);
}

static void
test_symlink_not_followed(void **state)
{
	struct fixture *f = *state;
	char target[160], buf[64];
	pid_t other;

	snprintf(target, sizeof(target), "%s/precious", f->dir);
	write_file(target, "precious\n");
	assert_int_equal(symlink(target, f->path), 0);
	assert_null(acquire(f, &other));
	assert_int_not_equal(errno, EEXIST);
	assert_non_null(strstr(f->err, "symbolic link"));
	read_file(target, buf, sizeof(buf));
	assert_string_equal(buf, "precious\n");

	/* a dangling one does not create its target either */
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(unlink(target), 0);
	assert_int_equal(symlink(target, f->path), 0);
	assert_null(acquire(f, &other));
	assert_int_equal(access(target, F_OK), -1);
}

static void
test_links_and_fifos_refused(void **state)
{
	struct fixture *f = *state;
	char other_name[160];
	pid_t other;

	snprintf(other_name, sizeof(other_name), "%s/elsewhere", f->dir);
	write_file(other_name, "keep\n");
	assert_int_equal(link(other_name, f->path), 0);
	assert_null(acquire(f, &other));
	assert_non_null(strstr(f->err, "2 links"));
	assert_int_equal(unlink(f->path), 0);

	/* would block an O_WRONLY open forever without O_NONBLOCK */
	assert_int_equal(mkfifo(f->path, 0644), 0);
	assert_null(acquire(f, &other));
	assert_non_null(strstr(f->err, "not a plain file"));
}

static void
test_directory_others_may_write(void **state)
{
	struct fixture *f = *state;
	struct pidfile *pf;
	pid_t other;

	assert_int_equal(chmod(f->dir, 0777), 0);
	assert_null(acquire(f, &other));
	assert_non_null(strstr(f->err, "writable by anyone (mode 0777)"));
	assert_int_equal(access(f->path, F_OK), -1);

	/* sticky, like /tmp: others cannot replace what is ours */
	assert_int_equal(chmod(f->dir, 01777), 0);
	pf = acquire(f, &other);
	assert_non_null(pf);
	pidfile_release(pf);
}

static void
test_directory_of_another_user(void **state)
{
	struct fixture *f = *state;
	struct pidfile *pf;
	pid_t other;

	if (geteuid() != 0)
		skip();
	assert_int_equal(chown(f->dir, 65534, 65534), 0);
	assert_null(acquire(f, &other));
	assert_non_null(strstr(f->err, "belongs to uid 65534"));
	/* the user the daemon becomes may own it (rc scripts, systemd) */
	pf = pidfile_acquire(f->path, 65534, &other, f->err, sizeof(f->err));
	assert_non_null(pf);
	pidfile_release(pf);
}

static void
test_release_only_ours(void **state)
{
	struct fixture *f = *state;
	struct pidfile *pf;
	char buf[64];
	pid_t other, child;
	int status;

	/* a forked child exiting does not remove its parent's pidfile */
	pf = acquire(f, &other);
	assert_non_null(pf);
	assert_int_equal(pidfile_store(pf), 0);
	if ((child = fork()) == 0) {
		pidfile_release(pf);
		_exit(0);
	}
	assert_true(child > 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(access(f->path, F_OK), 0);

	/* one an operator put in its place is left alone */
	assert_int_equal(unlink(f->path), 0);
	write_file(f->path, "theirs\n");
	pidfile_release(pf);
	read_file(f->path, buf, sizeof(buf));
	assert_string_equal(buf, "theirs\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_one_holder, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_stale_taken_over, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_symlink_not_followed, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_links_and_fifos_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_directory_others_may_write, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_directory_of_another_user, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_release_only_ours, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
