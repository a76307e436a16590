/*
 * The dashboard's files from www_dir: dashboard/ for the app, vendor/ for
 * the libraries it loads.
 */
#include <sys/stat.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "authd.h"

/* Opens root/rel if it is a regular file inside root; -1 otherwise. */
static int
api_files_open_inside(const char *root, const char *rel, struct stat *sb)
{
	char path[PATH_MAX], real[PATH_MAX], realroot[PATH_MAX];
	size_t n;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, rel) >=
	        sizeof(path) ||
	    realpath(root, realroot) == NULL || realpath(path, real) == NULL)
		return -1;
	n = strlen(realroot);
	/* symlinks out of the tree are refused like ".." */
	if (strncmp(real, realroot, n) != 0 || real[n] != '/')
		return -1;
	if ((fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	if (fstat(fd, sb) == -1 || !S_ISREG(sb->st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

void
api_files_get(struct api_req *r)
{
	struct evhttp_request *req = r->req;
	const char *rawpath = r->path;
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	const char *www = conf_str(authd->d.conf, "www_dir");
	char root[PATH_MAX], *path, *rel, *last;
	struct stat sb;
	size_t len;
	int fd = -1, vendor;

	if ((path = evhttp_uridecode(rawpath, 0, &len)) == NULL ||
	    strlen(path) != len || path[0] != '/' ||
	    strstr(path, "..") != NULL || strchr(path, '\\') != NULL) {
		free(path);
		api_reply_error(r, 404, "not found", NULL, NULL);
		return;
	}
	vendor = strncmp(path, "/vendor/", 8) == 0;
	snprintf(
	    root, sizeof(root), "%s/%s", www, vendor ? "vendor" : "dashboard");
	rel = path + (vendor ? 8 : 1);
	if (*rel != '\0')
		fd = api_files_open_inside(root, rel, &sb);
	last = strrchr(path, '/');
	/*
	 * A single-page app owns its paths: "/", "/streams/3" and the like
	 * get index.html.  What looks like a file ("x.js") or is under
	 * /vendor/ is a 404 when missing.
	 */
	if (fd == -1 && !vendor && strchr(last, '.') == NULL) {
		rel = "index.html";
		fd = api_files_open_inside(root, rel, &sb);
	}
	if (fd == -1) {
		free(path);
		api_reply_error(r, 404, "not found", NULL, NULL);
		return;
	}
	api_reply_headers(r);
	evhttp_add_header(h, "Content-Type", mime_type(rel));
	evhttp_add_header(h, "Cache-Control", "no-cache");
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		char n[32];

		snprintf(n, sizeof(n), "%lld", (long long)sb.st_size);
		evhttp_add_header(h, "Content-Length", n);
		close(fd);
	} else if (sb.st_size > 0 &&
	    evbuffer_add_file(evhttp_request_get_output_buffer(req), fd, 0,
	        sb.st_size) == -1) {
		free(path);
		api_reply_error(r, 500, "internal error", NULL, NULL);
		return;
	} else if (sb.st_size == 0)
		close(fd);
	free(path);
	evhttp_send_reply(req, 200, "OK", NULL);
}
