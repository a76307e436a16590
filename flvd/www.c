/*
 * The few static files flvd serves beside the streams, all from www_dir:
 * the public watch page (watch/index.html for any /watch/NAME; the page
 * reads NAME from its own URL), the third-party scripts it loads
 * (/vendor/FILE), /favicon.ico, and /whep.json (where WebRTC is).  A
 * name is one path component of letters, digits, '.', '_' and '-' not
 * starting with '.', so no request can leave www_dir; files are regular, bounded in size and sent from the
 * page cache (evbuffer_add_file), one response per connection as for the
 * streams.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "flvd.h"

#define WWW_FILE_MAX (4 * 1024 * 1024) /* bytes: mpegts.js.map is ~1 MB */
/* a day: `make www` after an upgrade is seen by tomorrow at the latest */
#define WWW_VENDOR_CACHE "public, max-age=86400"

/* One plain path component: no '/', no "..", no hidden files. */
static int
www_safe_name(const char *name)
{
	const char *p;

	if (name[0] == '\0' || name[0] == '.' || strlen(name) > 128)
		return 0;
	for (p = name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		        (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		        *p == '-'))
			return 0;
	return 1;
}

/* Answers with www_dir/DIR/NAME (DIR may be empty), or 404. */
static void
www_send(struct viewer *v, const struct http_request *req, const char *dir,
    const char *name, const char *cache)
{
	char path[1024];
	struct stat st;
	int fd, n;

	n = snprintf(path, sizeof(path), "%s/%s%s%s",
	    conf_str(flvd->d.conf, "www_dir"), dir, dir[0] ? "/" : "", name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		viewer_respond(v, 404, "not found\n");
		return;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		int e = errno;

		if (e != ENOENT)
			log_warn("www: %s", path);
		else
			log_debug("www: %s: not found", path);
		/* out of descriptors is being full, not a missing file */
		if (e == EMFILE || e == ENFILE)
			viewer_respond(v, 503, "out of descriptors\n");
		else
			viewer_respond(v, 404, "not found\n");
		return;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > WWW_FILE_MAX) {
		log_warnx("www: %s: not a regular file of at most %d bytes",
		    path, WWW_FILE_MAX);
		close(fd);
		viewer_respond(v, 404, "not found\n");
		return;
	}
	http_respond(v->out,
	    &(struct http_response){.status = 200,
	        .type = mime_type(name),
	        .length = (long long)st.st_size,
	        .cache = cache,
	        .extra = "X-Content-Type-Options: nosniff\r\n"});
	if (req->method == HTTP_HEAD || st.st_size == 0)
		close(fd);
	else if (evbuffer_add_file(v->out, fd, 0, st.st_size) == -1) {
		/* the head is queued already: cut the response short */
		log_warnx("www: %s: cannot queue the file", path);
		close(fd);
	}
	viewer_finish(v);
}

/*
 * /whep.json: where the watch page finds WebRTC (rtcd(8)): the port of
 * rtc_listen, on the host the page came from.  flvd does not know if
 * rtcd runs; the page tries, and falls back to HTTP-FLV by itself.
 */
static void
www_whep(struct viewer *v, const struct http_request *req)
{
	struct listen_addr la[8];
	char err[128], body[64];
	int n;

	n = listen_parse(conf_str(flvd->d.conf, "rtc_listen"), la, nitems(la),
	    err, sizeof(err));
	snprintf(body, sizeof(body), "{\"whep_port\":%s}\n",
	    n > 0 ? la[0].port : "null");
	evbuffer_add_printf(v->out,
	    "HTTP/1.1 200 OK\r\nServer: nyon/%s\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	    "Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\n"
	    "Connection: close\r\n\r\n%s",
	    NYON_VERSION, strlen(body), req->method == HTTP_HEAD ? "" : body);
	viewer_finish(v);
}

int
www_route(struct viewer *v, const struct http_request *req)
{
	const char *p = req->path;

	if (req->method != HTTP_GET && req->method != HTTP_HEAD)
		return 0;
	if (strncmp(p, "/watch/", 7) == 0) {
		/* any stream name: the page reads it from its URL */
		char why[128];

		if (stream_name_check(p + 7, why, sizeof(why)) == -1) {
			viewer_respond(v, 404, "not found\n");
			return 1;
		}
		www_send(v, req, "watch", "index.html", "no-cache");
		return 1;
	}
	if (strncmp(p, "/vendor/", 8) == 0) {
		if (!www_safe_name(p + 8))
			viewer_respond(v, 404, "not found\n");
		else
			www_send(v, req, "vendor", p + 8, WWW_VENDOR_CACHE);
		return 1;
	}
	if (strcmp(p, "/whep.json") == 0) {
		www_whep(v, req);
		return 1;
	}
	if (strcmp(p, "/favicon.ico") == 0) {
		www_send(v, req, "", "favicon.ico", WWW_VENDOR_CACHE);
		return 1;
	}
	return 0;
}
