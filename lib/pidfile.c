/*
 * The pidfile: a file locked for as long as its daemon runs, so a second
 * instance learns the first one's pid, and a stale file left by a crash is
 * simply taken over.  Unlike libbsd's pidfile_open it never follows a
 * symbolic link, never writes into a file that is not a plain file of ours,
 * and refuses a directory anyone could plant such things in: the daemon
 * starting as root would otherwise write where a local user pointed it.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nyon.h"

struct pidfile {
	int fd;
	pid_t writer; /* the process that wrote its pid: only it removes it */
	dev_t dev;
	ino_t ino;
	char path[];
};

/*
 * The directory holding path is writable by root, us and `owner` alone, or
 * sticky (where others cannot remove or rename what we own).
 */
static int
pidfile_dir_safe(const char *path, uid_t owner, char *err, size_t errlen)
{
	char dir[PATH_MAX], *slash;
	struct stat sb;

	if (strlcpy(dir, path, sizeof(dir)) >= sizeof(dir)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	if ((slash = strrchr(dir, '/')) == NULL)
		strlcpy(dir, ".", sizeof(dir));
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &sb) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (sb.st_uid != 0 && sb.st_uid != geteuid() && sb.st_uid != owner) {
		snprintf(err, errlen,
		    "%s belongs to uid %ld, neither root nor uid %ld: refusing "
		    "to keep a pidfile and socket where another user can "
		    "replace them",
		    dir, (long)sb.st_uid,
		    (long)(owner != (uid_t)-1 ? owner : geteuid()));
		return -1;
	}
	if ((sb.st_mode & S_IWOTH) && !(sb.st_mode & S_ISVTX)) {
		snprintf(err, errlen,
		    "%s is writable by anyone (mode %04o): refusing to keep a "
		    "pidfile and socket there (chmod o-w %s)",
		    dir, (unsigned)(sb.st_mode & 07777), dir);
		return -1;
	}
	return 0;
}

/* The pid a running instance wrote, 0 if it has not yet. */
static pid_t
pidfile_read(const char *path)
{
	char buf[32];
	const char *errstr;
	ssize_t n;
	long long pid;
	int fd, tries;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) ==
	    -1)
		return 0;
	/* It locks first and writes once it has detached: give it a moment. */
	for (tries = 0; tries < 50; tries++) {
		if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) > 0) {
			buf[n] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			pid = strtonum(buf, 1, INT_MAX, &errstr);
			if (errstr == NULL) {
				close(fd);
				return (pid_t)pid;
			}
		}
		usleep(10000);
	}
	close(fd);
	return 0;
}

/*
 * One attempt: 1 with the lock on the file now at path, 0 if the file was
 * removed or replaced while we waited (try again), -1 on failure.
 */
static int
pidfile_try(
    struct pidfile *pf, uid_t owner, pid_t *other, char *err, size_t errlen)
{
	struct stat sb, now;
	int fd;

	fd = open(pf->path,
	    O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0644);
	if (fd == -1) {
		if (errno == ELOOP)
			snprintf(err, errlen,
			    "pidfile %s is a symbolic link: refusing to "
			    "follow it",
			    pf->path);
		else if (errno == ENXIO) /* a FIFO or socket */
			snprintf(err, errlen,
			    "pidfile %s is not a plain file: refusing to "
			    "write into it",
			    pf->path);
		else
			snprintf(err, errlen, "pidfile %s: %s", pf->path,
			    strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		snprintf(
		    err, errlen, "pidfile %s: %s", pf->path, strerror(errno));
		goto fail;
	}
	/* Another file linked or planted here is not ours to write into. */
	if (!S_ISREG(sb.st_mode) || sb.st_nlink != 1 ||
	    (sb.st_uid != 0 && sb.st_uid != geteuid() && sb.st_uid != owner)) {
		snprintf(err, errlen,
		    "pidfile %s is not a plain file of ours (mode %06o, %ld "
		    "links, uid %ld): refusing to write into it",
		    pf->path, (unsigned)sb.st_mode, (long)sb.st_nlink,
		    (long)sb.st_uid);
		goto fail;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			*other = pidfile_read(pf->path);
			snprintf(err, errlen, "pidfile %s is locked by pid %ld",
			    pf->path, (long)*other);
			close(fd);
			errno = EEXIST;
			return -1;
		}
		snprintf(err, errlen, "pidfile %s: lock: %s", pf->path,
		    strerror(errno));
		goto fail;
	}
	/* The previous holder may have removed it as we opened it. */
	if (lstat(pf->path, &now) == -1 || now.st_dev != sb.st_dev ||
	    now.st_ino != sb.st_ino) {
		close(fd);
		return 0;
	}
	if (fchmod(fd, 0644) == -1) {
		snprintf(
		    err, errlen, "pidfile %s: %s", pf->path, strerror(errno));
		goto fail;
	}
	pf->fd = fd;
	pf->dev = sb.st_dev;
	pf->ino = sb.st_ino;
	return 1;
fail:
	close(fd);
	errno = EPERM;
	return -1;
}

struct pidfile *
pidfile_acquire(
    const char *path, uid_t owner, pid_t *other, char *err, size_t errlen)
{
	struct pidfile *pf;
	int i, r = 0, saved;

	*other = 0;
	if (pidfile_dir_safe(path, owner, err, errlen) == -1) {
		errno = EPERM;
		return NULL;
	}
	pf = xcalloc(1, sizeof(*pf) + strlen(path) + 1);
	memcpy(pf->path, path, strlen(path) + 1);
	pf->fd = -1;
	for (i = 0;
	     i < 10 && (r = pidfile_try(pf, owner, other, err, errlen)) == 0;
	     i++)
		;
	if (r != 1) {
		if (r == 0) {
			snprintf(err, errlen, "pidfile %s keeps being replaced",
			    path);
			errno = EAGAIN;
		}
		saved = errno;
		free(pf);
		errno = saved;
		return NULL;
	}
	return pf;
}

int
pidfile_store(struct pidfile *pf)
{
	char buf[32];
	int len;

	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(pf->fd, 0) == -1 ||
	    pwrite(pf->fd, buf, (size_t)len, 0) != (ssize_t)len)
		return -1;
	pf->writer = getpid();
	return 0;
}

int
pidfile_chown(struct pidfile *pf, uid_t uid, gid_t gid)
{
	return fchown(pf->fd, uid, gid);
}

void
pidfile_release(struct pidfile *pf)
{
	struct stat sb;

	if (pf == NULL)
		return;
	/*
	 * Only the process whose pid it holds removes it (not a forked
	 * child), and only the very file we locked: one an operator put in
	 * its place is theirs.
	 */
	if (pf->writer == getpid() && lstat(pf->path, &sb) == 0 &&
	    sb.st_dev == pf->dev && sb.st_ino == pf->ino)
		unlink(pf->path);
	close(pf->fd);
	free(pf);
}
