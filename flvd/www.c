/*
 * The few static files flvd serves beside the streams, all from www_dir:
 * the public watch page (watch/index.html for any /watch/NAME; the page
 * reads NAME from its own URL), the third-party scripts it loads
 * (/vendor/FILE), /favicon.ico, and /whep.json (where WebRTC is).  Also
 * each live stream's thumbnail, /thumb/NAME.jpg, which recd writes
 * (recordings_dir/.live/NAME.jpg): the watch page's poster, and its Open
 * Graph preview, whose tags flvd writes into the page's <!--og--> line so
 * chat apps see them.  A name is one path component of letters, digits,
 * '.', '_' and '-' not starting with '.', so no request can leave
 * www_dir; files are regular, bounded in size and sent from the
 * page cache (evbuffer_add_file), one response per connection as for the
 * streams.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "flvd.h"

#define WWW_FILE_MAX (4 * 1024 * 1024) /* bytes: mpegts.js.map is ~1 MB */
#define WWW_PAGE_MAX (64 * 1024) /* the watch page, read to add its tags */
#define WWW_OG_MARK "<!--og-->"
/* a picture a few seconds old: caches must ask again */
#define WWW_THUMB_CACHE "no-cache"
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

/* Opens a regular file of at most max bytes; -1 after answering. */
static int
www_open(struct viewer *v, const char *path, off_t max, struct stat *st)
{
	int fd;

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
		return -1;
	}
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode) || st->st_size > max) {
		log_warnx("www: %s: not a regular file of at most %lld bytes",
		    path, (long long)max);
		close(fd);
		viewer_respond(v, 404, "not found\n");
		return -1;
	}
	return fd;
}

/* Answers with the file at path, or 404. */
static void
www_send_path(struct viewer *v, const struct http_request *req,
    const char *path, const char *cache)
{
	struct stat st;
	int fd;

	if ((fd = www_open(v, path, WWW_FILE_MAX, &st)) == -1)
		return;
	http_respond(v->out,
	    &(struct http_response){.status = 200,
	        .type = mime_type(path),
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
	http_respond(v->out,
	    &(struct http_response){.status = 200,
	        .type = "application/json",
	        .length = (long long)strlen(body),
	        .cache = "no-cache",
	        .extra = "X-Content-Type-Options: nosniff\r\n"});
	if (req->method != HTTP_HEAD)
		evbuffer_add(v->out, body, strlen(body));
	viewer_finish(v);
}

/* Answers with www_dir/DIR/NAME (DIR may be empty), or 404. */
static void
www_send(struct viewer *v, const struct http_request *req, const char *dir,
    const char *name, const char *cache)
{
	char path[1024];
	int n;

	n = snprintf(path, sizeof(path), "%s/%s%s%s",
	    conf_str(flvd->d.conf, "www_dir"), dir, dir[0] ? "/" : "", name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		viewer_respond(v, 404, "not found\n");
		return;
	}
	www_send_path(v, req, path, cache);
}

/* recd's picture of a live stream: recordings_dir/.live/NAME.jpg */
static void
www_thumb(struct viewer *v, const struct http_request *req, const char *name)
{
	char dir[512], path[1024];
	int n;

	conf_file(flvd->d.conf, "statedir",
	    conf_str(flvd->d.conf, "recordings_dir"), dir, sizeof(dir));
	n = snprintf(path, sizeof(path), "%s/.live/%s.jpg", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		viewer_respond(v, 404, "not found\n");
		return;
	}
	www_send_path(v, req, path, WWW_THUMB_CACHE);
}

/* s with & < > " ' as entities, into b */
static void
www_html_escape(struct evbuffer *b, const char *s)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '&':
			evbuffer_add(b, "&amp;", 5);
			break;
		case '<':
			evbuffer_add(b, "&lt;", 4);
			break;
		case '>':
			evbuffer_add(b, "&gt;", 4);
			break;
		case '"':
			evbuffer_add(b, "&quot;", 6);
			break;
		case '\'':
			evbuffer_add(b, "&#39;", 5);
			break;
		default:
			evbuffer_add(b, s, 1);
		}
}

/*
 * The watch page with its Open Graph tags: a link shared in a chat app
 * shows the stream's name and live thumbnail.  The image URL is absolute
 * when the request named its Host, as the tags want.
 */
static void
www_watch(struct viewer *v, const struct http_request *req, const char *name)
{
	char path[1024], page[WWW_PAGE_MAX + 1], *mark, *enc;
	struct evbuffer *body;
	struct stat st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/watch/index.html",
	    conf_str(flvd->d.conf, "www_dir"));
	if ((fd = www_open(v, path, WWW_PAGE_MAX, &st)) == -1)
		return;
	n = read(fd, page, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		viewer_respond(v, 503, "cannot read the page\n");
		return;
	}
	page[n] = '\0';
	if ((enc = evhttp_uriencode(name, -1, 0)) == NULL) {
		viewer_respond(v, 503, "out of memory\n");
		return;
	}
	body = evbuffer_new();
	if ((mark = strstr(page, WWW_OG_MARK)) == NULL)
		evbuffer_add(body, page, (size_t)n);
	else {
		evbuffer_add(body, page, (size_t)(mark - page));
		evbuffer_add_printf(body,
		    "<meta property=\"og:type\" content=\"video.other\">\n"
		    "<meta property=\"og:title\" content=\"");
		www_html_escape(body, name);
		evbuffer_add_printf(body,
		    "\">\n<meta property=\"og:image\" content=\"%s%s"
		    "/thumb/%s.jpg\">\n"
		    "<meta name=\"twitter:card\" "
		    "content=\"summary_large_image\">",
		    req->host[0] ? "http://" : "", req->host, enc);
		mark += strlen(WWW_OG_MARK);
		evbuffer_add(body, mark, strlen(mark));
	}
	free(enc);
	http_respond(v->out,
	    &(struct http_response){.status = 200,
	        .type = "text/html; charset=utf-8",
	        .length = (long long)evbuffer_get_length(body),
	        .cache = "no-cache",
	        .extra = "X-Content-Type-Options: nosniff\r\n"});
	if (req->method != HTTP_HEAD)
		evbuffer_add_buffer(v->out, body);
	evbuffer_free(body);
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
		www_watch(v, req, p + 7);
		return 1;
	}
	if (strncmp(p, "/thumb/", 7) == 0) {
		char name[STREAM_NAME_SZ + 8], why[128];
		size_t n = strlen(p + 7);

		if (n <= 4 || n >= sizeof(name) ||
		    strcmp(p + 7 + n - 4, ".jpg") != 0) {
			viewer_respond(v, 404, "not found\n");
			return 1;
		}
		memcpy(name, p + 7, n - 4);
		name[n - 4] = '\0';
		if (stream_name_check(name, why, sizeof(why)) == -1)
			viewer_respond(v, 404, "not found\n");
		else
			www_thumb(v, req, name);
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
