/*
 * The little HTTP flvd needs: find the end of a request head, check the
 * request line, and split its target with libevent's URI functions.
 * Of the headers only Host (the watch page's absolute preview URL) and
 * User-Agent (viewer sessions, printable ASCII and cut) are kept; the head is bounded by HTTP_HEAD_MAX.  Every response head flvd sends is written here too.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "flvd.h"
#include "vreport.h"

/* Any page, wherever it is served from, may play the streams. */
static const char http_cors[] =
    "Access-Control-Allow-Origin: *\r\n"
    "Access-Control-Allow-Methods: GET, HEAD, OPTIONS\r\n"
    "Access-Control-Allow-Headers: Range, Origin, Accept, Content-Type\r\n"
    "Access-Control-Expose-Headers: Content-Length, Content-Type\r\n";

/* Where the head ends (after the blank line), or 0 if not yet. */
static size_t
http_head_end(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* The Host header's value, if it is letters, digits, '.', '-', ':', [ ]. */
static void
http_host(const char *buf, size_t end, char *out, size_t outlen)
{
	const char *p = buf, *e = buf + end, *nl, *v;
	size_t n;

	out[0] = '\0';
	while (p < e && (nl = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		p = nl + 1;
		if ((size_t)(e - p) < 5 || strncasecmp(p, "host:", 5) != 0)
			continue;
		for (v = p + 5; v < e && (*v == ' ' || *v == '\t'); v++)
			;
		for (n = 0; v + n < e && n < outlen - 1 &&
		     (isalnum((unsigned char)v[n]) || v[n] == '.' ||
		         v[n] == '-' || v[n] == ':' || v[n] == '[' ||
		         v[n] == ']');
		     n++)
			;
		if (n == 0 || n == outlen - 1 ||
		    (v[n] != '\r' && v[n] != '\n' && v[n] != ' '))
			return;
		memcpy(out, v, n);
		out[n] = '\0';
		return;
	}
}

/* The User-Agent header's value, as vreport keeps it. */
static void
http_user_agent(const char *buf, size_t end, char *out, size_t outlen)
{
	const char *p = buf, *e = buf + end, *nl, *v, *ve;

	out[0] = '\0';
	while (p < e && (nl = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		p = nl + 1;
		if ((size_t)(e - p) < 11 ||
		    strncasecmp(p, "user-agent:", 11) != 0)
			continue;
		for (v = p + 11; v < e && (*v == ' ' || *v == '\t'); v++)
			;
		for (ve = v; ve < e && *ve != '\r' && *ve != '\n'; ve++)
			;
		vreport_clean_ua(v, (size_t)(ve - v), out, outlen);
		return;
	}
}

int
http_parse(const char *buf, size_t len, struct http_request *req, size_t *used,
    const char **why)
{
	/* a 100-character name of 4-byte characters is 1200 bytes encoded */
	char line[4096], *method, *target, *version, *save = NULL, *dec;
	struct evhttp_uri *uri;
	const char *path, *query;
	size_t end, n, declen;

	memset(req, 0, sizeof(*req));
	if (memchr(buf, '\0', len) != NULL) {
		*why = "NUL byte in request";
		return -1;
	}
	if ((end = http_head_end(buf, len)) == 0) {
		if (len >= HTTP_HEAD_MAX) {
			*why = "request head too large";
			return -1;
		}
		return 0;
	}
	if (end > HTTP_HEAD_MAX) {
		*why = "request head too large";
		return -1;
	}
	*used = end;
	http_host(buf, end, req->host, sizeof(req->host));
	http_user_agent(buf, end, req->user_agent, sizeof(req->user_agent));
	for (n = 0; n < end && buf[n] != '\r' && buf[n] != '\n'; n++)
		;
	if (n == 0 || n >= sizeof(line)) {
		*why = "bad request line";
		return -1;
	}
	memcpy(line, buf, n);
	line[n] = '\0';
	method = strtok_r(line, " ", &save);
	target = strtok_r(NULL, " ", &save);
	version = strtok_r(NULL, " ", &save);
	if (method == NULL || target == NULL || version == NULL ||
	    strtok_r(NULL, " ", &save) != NULL) {
		*why = "bad request line";
		return -1;
	}
	if (strcmp(version, "HTTP/1.1") == 0)
		req->minor = 1;
	else if (strcmp(version, "HTTP/1.0") == 0)
		req->minor = 0;
	else {
		*why = "not HTTP/1.0 or HTTP/1.1";
		return -1;
	}
	if (strcmp(method, "GET") == 0)
		req->method = HTTP_GET;
	else if (strcmp(method, "HEAD") == 0)
		req->method = HTTP_HEAD;
	else if (strcmp(method, "OPTIONS") == 0)
		req->method = HTTP_OPTIONS;
	else
		req->method = HTTP_OTHER;
	if (target[0] != '/') {
		if (req->method == HTTP_OPTIONS && strcmp(target, "*") == 0) {
			strlcpy(req->path, "*", sizeof(req->path));
			return 1;
		}
		*why = "request target is not a path";
		return -1;
	}
	if ((uri = evhttp_uri_parse_with_flags(
	         target, EVHTTP_URI_NONCONFORMANT)) == NULL) {
		*why = "bad request target";
		return -1;
	}
	path = evhttp_uri_get_path(uri);
	query = evhttp_uri_get_query(uri);
	if (path == NULL ||
	    (dec = evhttp_uridecode(path, 0, &declen)) == NULL) {
		evhttp_uri_free(uri);
		*why = "bad request target";
		return -1;
	}
	/* "//host/x" parses as an authority and an empty path */
	if (dec[0] != '/' || strlen(dec) != declen ||
	    declen >= sizeof(req->path) ||
	    (query != NULL && strlen(query) >= sizeof(req->query))) {
		free(dec);
		evhttp_uri_free(uri);
		*why = "bad or too long request target";
		return -1;
	}
	strlcpy(req->path, dec, sizeof(req->path));
	strlcpy(req->query, query ? query : "", sizeof(req->query));
	free(dec);
	evhttp_uri_free(uri);
	return 1;
}

int
http_query_get(const char *query, const char *name, char *out, size_t len)
{
	struct evkeyvalq params;
	const char *v;
	int r = -1;

	TAILQ_INIT(&params);
	if (evhttp_parse_query_str(query, &params) == 0 &&
	    (v = evhttp_find_header(&params, name)) != NULL) {
		strlcpy(out, v, len);
		r = 0;
	}
	evhttp_clear_headers(&params);
	return r;
}

const char *
http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 431:
		return "Request Header Fields Too Large";
	case 503:
		return "Service Unavailable";
	default:
		return "Error";
	}
}

void
http_respond(struct evbuffer *out, const struct http_response *r)
{
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nServer: nyon/%s\r\n",
	    r->status, http_reason(r->status), NYON_VERSION);
	if (r->cors)
		evbuffer_add(out, http_cors, sizeof(http_cors) - 1);
	if (r->type != NULL)
		evbuffer_add_printf(out, "Content-Type: %s\r\n", r->type);
	if (r->length != HTTP_ENDLESS)
		evbuffer_add_printf(out, "Content-Length: %lld\r\n", r->length);
	if (r->cache != NULL)
		evbuffer_add_printf(out, "Cache-Control: %s\r\n", r->cache);
	if (r->extra != NULL)
		evbuffer_add(out, r->extra, strlen(r->extra));
	/* one response per connection: no keep-alive state to get wrong */
	evbuffer_add(out, "Connection: close\r\n\r\n", 21);
}
