/*
 * Forwarding destinations' URLs: one definition of what they may be, used
 * by authd (refusing a bad one when it is added), fwdd (connecting) and
 * every listing (masking).  A destination's URL carries a secret: the
 * stream key at the end of an RTMP path, the stream id and passphrase of
 * an SRT URL.  desturl_mask() is the only form that may be shown or
 * logged; the whole URL goes to fwdd and, on request, to an operator.
 *
 *	rtmp://HOST[:PORT]/APP[/MORE]/KEY[?QUERY]	(port 1935)
 *	rtmps://HOST[:PORT]/APP[/MORE]/KEY[?QUERY]	(port 443)
 *	srt://HOST:PORT[/][?streamid=ID&passphrase=P&latency=MS&pbkeylen=N]
 *
 * An RTMP key keeps its query (Facebook's keys have one), and the
 * application is everything between the host and the key, as OBS and
 * ffmpeg read such URLs.  HOST is a DNS name, an IPv4 address or an IPv6
 * address in brackets; credentials in the authority are refused.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nyon.h"

#define DESTURL_MASK "****"

static int
desturl_fail(char *why, size_t whylen, const char *msg)
{
	if (why != NULL)
		strlcpy(why, msg, whylen);
	return -1;
}

static int
desturl_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decodes len bytes of s into out (size outlen); -1 if bad. */
static int
desturl_decode(const char *s, size_t len, char *out, size_t outlen)
{
	size_t i, n = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (n + 1 >= outlen)
			return -1;
		if (s[i] != '%') {
			out[n++] = s[i];
			continue;
		}
		if (i + 2 >= len ||
		    (hi = desturl_hexval((unsigned char)s[i + 1])) == -1 ||
		    (lo = desturl_hexval((unsigned char)s[i + 2])) == -1)
			return -1;
		/* a decoded NUL or control byte would be cut or misread */
		if (hi * 16 + lo < 0x20 || hi * 16 + lo == 0x7f)
			return -1;
		out[n++] = (char)(hi * 16 + lo);
		i += 2;
	}
	out[n] = '\0';
	return 0;
}

static const char *
desturl_scheme(const char *url, enum desturl_proto *proto)
{
	static const struct {
		const char *prefix;
		enum desturl_proto proto;
	} schemes[] = {
	    {"rtmp://", DESTURL_RTMP},
	    {"rtmps://", DESTURL_RTMPS},
	    {"srt://", DESTURL_SRT},
	};
	size_t i, n;

	for (i = 0; i < nitems(schemes); i++) {
		n = strlen(schemes[i].prefix);
		if (strncasecmp(url, schemes[i].prefix, n) == 0) {
			*proto = schemes[i].proto;
			return url + n;
		}
	}
	return NULL;
}

/* HOST[:PORT] up to end; fills host (no brackets) and port. */
static int
desturl_authority(
    const char *s, const char *end, struct desturl *u, char *why, size_t whylen)
{
	const char *p, *hend, *port = NULL;
	const char *errstr;
	size_t len;

	if (memchr(s, '@', end - s) != NULL)
		return desturl_fail(
		    why, whylen, "credentials in the URL are not supported");
	if (*s == '[') {
		if ((hend = memchr(s, ']', end - s)) == NULL)
			return desturl_fail(why, whylen, "unclosed [ in host");
		p = s + 1;
		len = hend - p;
		for (; p < hend; p++)
			if (!isxdigit((unsigned char)*p) && *p != ':' &&
			    *p != '.')
				return desturl_fail(
				    why, whylen, "bad IPv6 address");
		p = s + 1;
		hend++;
		if (hend < end && *hend != ':')
			return desturl_fail(why, whylen, "bad host");
	} else {
		hend = memchr(s, ':', end - s);
		if (hend == NULL)
			hend = end;
		p = s;
		len = hend - p;
		for (; p < hend; p++)
			if (!isalnum((unsigned char)*p) && *p != '-' &&
			    *p != '.' && *p != '_')
				return desturl_fail(why, whylen, "bad host");
		p = s;
	}
	if (len == 0)
		return desturl_fail(why, whylen, "no host");
	if (len >= sizeof(u->host))
		return desturl_fail(why, whylen, "host too long");
	memcpy(u->host, p, len);
	u->host[len] = '\0';
	if (hend < end) {
		port = hend + 1;
		len = end - port;
		if (len == 0 || len >= sizeof(u->port))
			return desturl_fail(why, whylen, "bad port");
		memcpy(u->port, port, len);
		u->port[len] = '\0';
		strtonum(u->port, 1, 65535, &errstr);
		if (errstr != NULL)
			return desturl_fail(
			    why, whylen, "port must be 1 to 65535");
	} else if (u->proto == DESTURL_SRT)
		return desturl_fail(why, whylen, "an SRT URL needs a port");
	else
		strlcpy(u->port, u->proto == DESTURL_RTMPS ? "443" : "1935",
		    sizeof(u->port));
	return 0;
}

static int
desturl_rtmp(const char *url, const char *path, struct desturl *u, char *why,
    size_t whylen)
{
	const char *q, *last;
	size_t len;

	/* the key is after the last '/' of the path, with any query */
	if ((q = strchr(path, '?')) == NULL)
		q = path + strlen(path);
	last = path;
	while (last < q && memchr(last + 1, '/', q - last - 1) != NULL)
		last = memchr(last + 1, '/', q - last - 1);
	if (last == path)
		return desturl_fail(why, whylen,
		    "an RTMP URL needs an application and a stream key: "
		    "rtmp://host/app/key");
	len = last - (path + 1);
	if (len == 0)
		return desturl_fail(why, whylen, "no application in the URL");
	if (len >= sizeof(u->app))
		return desturl_fail(why, whylen, "application too long");
	memcpy(u->app, path + 1, len);
	u->app[len] = '\0';
	if (last[1] == '\0' || last[1] == '?')
		return desturl_fail(why, whylen, "no stream key in the URL");
	if (strlcpy(u->stream, last + 1, sizeof(u->stream)) >=
	    sizeof(u->stream))
		return desturl_fail(why, whylen, "stream key too long");
	len = last - url;
	if (len >= sizeof(u->tcurl))
		return desturl_fail(why, whylen, "URL too long");
	memcpy(u->tcurl, url, len);
	u->tcurl[len] = '\0';
	return 0;
}

static int
desturl_srt_param(const char *key, size_t klen, const char *val, size_t vlen,
    struct desturl *u, char *why, size_t whylen)
{
	char buf[DESTURL_SZ];
	const char *errstr;
	long long n;

	if (desturl_decode(val, vlen, buf, sizeof(buf)) == -1)
		return desturl_fail(why, whylen, "bad %-escape in the query");
	if (klen == 8 && strncmp(key, "streamid", 8) == 0) {
		if (strlcpy(u->streamid, buf, sizeof(u->streamid)) >=
		    sizeof(u->streamid))
			return desturl_fail(
			    why, whylen, "streamid longer than 512 bytes");
	} else if (klen == 10 && strncmp(key, "passphrase", 10) == 0) {
		if (strlen(buf) < 10 || strlen(buf) > 79)
			return desturl_fail(why, whylen,
			    "passphrase must be 10 to 79 characters");
		strlcpy(u->passphrase, buf, sizeof(u->passphrase));
	} else if (klen == 7 && strncmp(key, "latency", 7) == 0) {
		n = strtonum(buf, 20, 8000, &errstr);
		if (errstr != NULL)
			return desturl_fail(why, whylen,
			    "latency must be 20 to 8000 (milliseconds)");
		u->latency_ms = (int)n;
	} else if (klen == 8 && strncmp(key, "pbkeylen", 8) == 0) {
		n = strtonum(buf, 16, 32, &errstr);
		if (errstr != NULL || (n != 16 && n != 24 && n != 32))
			return desturl_fail(
			    why, whylen, "pbkeylen must be 16, 24 or 32");
		u->pbkeylen = (int)n;
	} else if (klen == 4 && strncmp(key, "mode", 4) == 0) {
		if (strcmp(buf, "caller") != 0)
			return desturl_fail(why, whylen,
			    "mode must be caller: Nyon connects to the "
			    "destination");
	} else
		return desturl_fail(why, whylen,
		    "unknown SRT option (streamid, passphrase, latency, "
		    "pbkeylen and mode are understood)");
	return 0;
}

static int
desturl_srt(const char *rest, struct desturl *u, char *why, size_t whylen)
{
	const char *p, *amp, *eq;

	if (*rest == '/')
		rest++;
	if (*rest == '\0')
		return 0;
	if (*rest != '?')
		return desturl_fail(
		    why, whylen, "an SRT URL has no path: srt://host:port?...");
	for (p = rest + 1; *p != '\0'; p = *amp ? amp + 1 : amp) {
		if ((amp = strchr(p, '&')) == NULL)
			amp = p + strlen(p);
		if (amp == p)
			continue;
		if ((eq = memchr(p, '=', amp - p)) == NULL)
			return desturl_fail(
			    why, whylen, "an SRT option without a value");
		if (desturl_srt_param(
		        p, eq - p, eq + 1, amp - eq - 1, u, why, whylen) == -1)
			return -1;
	}
	if (u->pbkeylen != 0 && u->passphrase[0] == '\0')
		return desturl_fail(
		    why, whylen, "pbkeylen without a passphrase");
	return 0;
}

int
desturl_parse(const char *url, struct desturl *u, char *why, size_t whylen)
{
	const char *rest, *end;
	size_t i, len = strlen(url);

	memset(u, 0, sizeof(*u));
	u->latency_ms = -1;
	if (len == 0)
		return desturl_fail(why, whylen, "empty URL");
	if (len >= DESTURL_SZ)
		return desturl_fail(why, whylen, "URL longer than 1024 bytes");
	for (i = 0; i < len; i++)
		if ((unsigned char)url[i] <= 0x20 ||
		    (unsigned char)url[i] >= 0x7f)
			return desturl_fail(why, whylen,
			    "spaces, control characters and non-ASCII are not "
			    "allowed in a URL (%-escape them)");
	if ((rest = desturl_scheme(url, &u->proto)) == NULL)
		return desturl_fail(
		    why, whylen, "must start with rtmp://, rtmps:// or srt://");
	end = rest + strcspn(rest, "/?");
	if (desturl_authority(rest, end, u, why, whylen) == -1)
		return -1;
	if (u->proto == DESTURL_SRT)
		return desturl_srt(end, u, why, whylen);
	if (*end != '/')
		return desturl_fail(why, whylen,
		    "an RTMP URL needs an application and a stream key: "
		    "rtmp://host/app/key");
	return desturl_rtmp(url, end, u, why, whylen);
}

const char *
desturl_proto_name(enum desturl_proto p)
{
	switch (p) {
	case DESTURL_RTMP:
		return "rtmp";
	case DESTURL_RTMPS:
		return "rtmps";
	case DESTURL_SRT:
		return "srt";
	}
	return "?";
}

/*
 * The URL as it may be shown: an RTMP key becomes ****, and so do an SRT
 * URL's streamid and passphrase; everything else stays as written.  A URL
 * that does not parse is shown as nothing but its scheme.
 */
const char *
desturl_mask(const char *url, char *out, size_t outlen)
{
	struct desturl u;
	const char *q, *p, *amp, *eq;
	size_t n;
	char *o;

	if (outlen == 0)
		return out;
	if (desturl_parse(url, &u, NULL, 0) == -1) {
		snprintf(out, outlen, "(invalid URL)");
		return out;
	}
	if (u.proto != DESTURL_SRT) {
		snprintf(out, outlen, "%s/" DESTURL_MASK, u.tcurl);
		return out;
	}
	if ((q = strchr(url, '?')) == NULL) {
		strlcpy(out, url, outlen);
		return out;
	}
	n = q - url + 1;
	o = out;
	if (n >= outlen)
		n = outlen - 1;
	memcpy(o, url, n);
	o += n;
	for (p = q + 1; *p != '\0' && (size_t)(o - out) < outlen - 1;
	     p = *amp ? amp + 1 : amp) {
		if ((amp = strchr(p, '&')) == NULL)
			amp = p + strlen(p);
		eq = memchr(p, '=', amp - p);
		if (eq != NULL &&
		    ((eq - p == 8 && strncmp(p, "streamid", 8) == 0) ||
		        (eq - p == 10 && strncmp(p, "passphrase", 10) == 0)))
			n = snprintf(o, outlen - (o - out),
			    "%s%.*s=" DESTURL_MASK, p == q + 1 ? "" : "&",
			    (int)(eq - p), p);
		else
			n = snprintf(o, outlen - (o - out), "%s%.*s",
			    p == q + 1 ? "" : "&", (int)(amp - p), p);
		if (n >= outlen - (o - out))
			break;
		o += n;
	}
	*o = '\0';
	return out;
}
