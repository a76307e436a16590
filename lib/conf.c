/*
 * nyon.conf: "key = value" lines, '#' comments, optional double quotes.
 * Every key any Nyon program knows is in conf_keys; an unknown key, a
 * repeated key or a bad value is an error naming the file and line.  A
 * secret in a file that others can read is an error too: nyon.conf is
 * readable by every daemon and operator, so secrets live elsewhere.
 */
#include <sys/stat.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nyon.h"

#define KB 1024LL
#define MB (1024LL * 1024)
#define GB (1024LL * 1024 * 1024)

const struct conf_key conf_keys[] = {
    {"rundir", CONF_STR, "/run/nyon", 0, 0, NULL,
        "directory for the control sockets and pidfiles"},
    {"statedir", CONF_STR, "/var/lib/nyon", 0, 0, NULL,
        "directory for the database and secrets"},
    {"database", CONF_STR, "nyon.db", 0, 0, NULL,
        "SQLite database, relative to statedir unless absolute"},
    {"user", CONF_STR, "", 0, 0, NULL,
        "user the media daemons run as after binding; empty keeps the "
        "current user"},
    {"authd_user", CONF_STR, "", 0, 0, NULL,
        "user authd runs as, the only one that can read the database and "
        "secrets; empty: the same as user"},
    {"admin_group", CONF_STR, "", 0, 0, NULL,
        "group whose members may use nyonctl's operator commands; empty: "
        "root and the daemons' users only"},
    {"log_level", CONF_CHOICE, "info", 0, 0, "info|debug", "how much to log"},
    {"auth", CONF_CHOICE, "authd", 0, 0, "authd|none",
        "who may publish: keys checked by authd, or anyone (labs and tests)"},
    {"rtmp_listen", CONF_LISTEN, "*:1935", 0, 0, NULL,
        "RTMP publishers: addresses to listen on"},
    {"rtmp_app", CONF_STR, "live", 0, 0, NULL,
        "RTMP application name in rtmp://HOST/APP/KEY"},
    {"rtmp_max_message", CONF_SIZE, "16m", 64 * KB, 256 * MB, NULL,
        "largest RTMP message accepted (a 4K keyframe must fit)"},
    {"publish_timeout", CONF_INT, "10", 1, 3600, NULL,
        "seconds without data before a publisher is dropped"},
    {"max_publishers", CONF_INT, "32", 1, 10000, NULL,
        "most publisher connections at once, publishing or not"},
    {"max_streams", CONF_INT, "16", 1, 10000, NULL,
        "most live streams at once"},
    /* What a publisher may hold before and after it is authorised. */
    {"auth_timeout", CONF_INT, "5", 1, 300, NULL,
        "seconds a publisher has to handshake, connect and be authorised"},
    {"max_pending_per_ip", CONF_INT, "8", 1, 10000, NULL,
        "most connections not yet authorised from one address (IPv6: /64)"},
    {"max_publishers_per_ip", CONF_INT, "8", 1, 10000, NULL,
        "most publishing connections from one address (IPv6: /64)"},
    {"rtmp_memory", CONF_SIZE, "64m", 1 * MB, 1 * GB, NULL,
        "most bytes of RTMP messages all publishers may buffer together"},
    {"ring_size", CONF_SIZE, "0", 0, 1 * GB, NULL,
        "per-stream ring size; 0 sizes it from the stream's bitrate"},
    /* RTMP over TLS: the same publishers, encrypted. */
    {"rtmps_listen", CONF_LISTEN, "", 0, 0, NULL,
        "RTMPS (RTMP over TLS) publishers: addresses to listen on; empty "
        "for none"},
    {"rtmps_cert", CONF_STR, "", 0, 0, NULL,
        "RTMPS certificate file (PEM, the chain after the certificate); "
        "read again on SIGHUP"},
    {"rtmps_key", CONF_STR, "", 0, 0, NULL,
        "RTMPS private key file (PEM), readable by user and not by "
        "others; read again on SIGHUP"},
    /* Holding publishers to their stream's max_bitrate. */
    {"default_max_bitrate", CONF_INT, "0", 0, 1000000, NULL,
        "kb/s a stream may average when auth = none (authd gives each "
        "stream its own max_bitrate); 0: no limit"},
    {"bitrate_window", CONF_INT, "10", 1, 60, NULL,
        "seconds over which a publisher's bitrate is averaged"},
    {"bitrate_margin", CONF_INT, "25", 0, 1000, NULL,
        "percent above max_bitrate a publisher may average before it is "
        "warned"},
    {"bitrate_grace", CONF_INT, "30", 0, 3600, NULL,
        "seconds a warned publisher may stay above before it is "
        "disconnected; 0: warn only"},
    /* What the media itself says (alerts in the log and the dashboard). */
    {"alert_keyframe_interval", CONF_INT, "4", 0, 3600, NULL,
        "seconds between keyframes above which a stream is flagged (new "
        "viewers wait that long); 0: never"},
    {"alert_fps_drop", CONF_INT, "20", 0, 90, NULL,
        "percent under its usual frame rate at which a stream is flagged; "
        "0: never"},
    {"flv_listen", CONF_LISTEN, "*:8080", 0, 0, NULL,
        "HTTP-FLV viewers: addresses to listen on"},
    {"max_viewers", CONF_INT, "1000", 1, 100000, NULL,
        "most viewers at once, all streams together"},
    {"max_viewers_per_stream", CONF_INT, "500", 1, 100000, NULL,
        "most viewers of one stream"},
    {"max_viewers_per_address", CONF_INT, "250", 1, 100000, NULL,
        "most viewers from one address (IPv6: one /64); a school or an "
        "office behind NAT is one address"},
    {"max_requests", CONF_INT, "256", 1, 100000, NULL,
        "most connections at once that are not viewers: sending their "
        "request or being answered"},
    {"max_idle_per_address", CONF_INT, "32", 1, 100000, NULL,
        "most connections from one address (IPv6: one /64) that have not "
        "sent a request yet"},
    {"viewer_request_timeout", CONF_INT, "5", 1, 300, NULL,
        "seconds a new connection has to send its request"},
    {"viewer_backlog", CONF_SIZE, "2m", 64 * KB, 256 * MB, NULL,
        "unsent bytes a viewer may lag before it skips to a keyframe"},
    {"flv_write_threads", CONF_INT, "0", 0, 16, NULL,
        "threads writing the fan-out to viewers; 0: one per core, up to 4"},
    {"flv_write_spread_us", CONF_INT, "3000", 0, 1000000, NULL,
        "a fan-out the main thread would take longer than this to write "
        "(microseconds, measured) is spread over the write threads; 0: "
        "always"},
    {"flv_coalesce_ms", CONF_INT, "0", 0, 100, NULL,
        "hold each fan-out this long for the tags that follow, and send "
        "them together (fewer writes, less CPU; each tag waits at most "
        "this); 0: every tag at once"},
    {"flv_io_uring", CONF_BOOL, "yes", 0, 0, NULL,
        "write each fan-out with one io_uring call where the kernel allows "
        "it"},
    {"republish_grace", CONF_INT, "10", 0, 600, NULL,
        "seconds viewers wait for a publisher to come back"},
    {"rtc_listen", CONF_LISTEN, "*:8889", 0, 0, NULL,
        "WebRTC (rtcd): WHEP over HTTP, addresses to listen on"},
    {"rtc_udp_listen", CONF_LISTEN, "*:8189", 0, 0, NULL,
        "WebRTC (rtcd): the one UDP port all viewers' media uses"},
    {"rtc_ips", CONF_STR, "", 0, 0, NULL,
        "WebRTC (rtcd): addresses offered to browsers, before authd's "
        "lan_ip and public_ip and the addresses rtc_udp_listen binds"},
    {"rtc_max_viewers", CONF_INT, "100", 1, 10000, NULL,
        "WebRTC (rtcd): most viewers at once, all streams together"},
    {"rtc_max_viewers_per_stream", CONF_INT, "100", 1, 10000, NULL,
        "WebRTC (rtcd): most viewers of one stream"},
    {"rtc_audio", CONF_CHOICE, "opus", 0, 0, "opus|off",
        "WebRTC (rtcd): transcode AAC to Opus while a stream has viewers, "
        "or send video only"},
    {"rtc_audio_lag", CONF_INT, "100", 0, 1000, NULL,
        "WebRTC (rtcd): milliseconds a browser plays the sound after the "
        "picture, so lip sync does not hold the picture back for the "
        "sound's delay"},
    {"rtc_playout_delay_ms", CONF_INT, "0", -1, 10000, NULL,
        "WebRTC (rtcd): the delay a browser plays video at, sent in the "
        "playout-delay RTP extension (0: each frame as soon as it is "
        "decoded; -1: not sent, the browser picks)"},
    {"rtc_start", CONF_CHOICE, "gop", 0, 0, "gop|keyframe",
        "WebRTC (rtcd): a new viewer starts at the cached GOP, caught up, "
        "or waits for the next keyframe"},
    {"forward_backlog", CONF_SIZE, "4m", 256 * KB, 256 * MB, NULL,
        "unsent bytes a forwarding destination may lag before it skips to "
        "the next keyframe"},
    {"forward_timeout", CONF_INT, "10", 2, 300, NULL,
        "seconds a destination has to connect and accept the publish, and "
        "to take data again before it is dropped as stalled"},
    {"forward_retry_max", CONF_INT, "60", 1, 3600, NULL,
        "most seconds between a failing destination's attempts (the delay "
        "doubles from 1 s, with jitter)"},
    {"forward_tls_ca", CONF_STR, "", 0, 0, NULL,
        "CA certificates (PEM file) RTMPS destinations are checked against; "
        "empty: the system's"},
    {"srt_listen", CONF_LISTEN, "*:10080", 0, 0, NULL,
        "SRT publishers: UDP addresses to listen on"},
    {"srt_passphrase", CONF_STR, "", 10, 79, NULL,
        "SRT encryption passphrase (10 to 79 characters); empty for none"},
    {"srt_passphrase_file", CONF_STR, "", 0, 0, NULL,
        "file holding the SRT passphrase, readable by user and not by "
        "others; instead of srt_passphrase"},
    {"srt_pbkeylen", CONF_CHOICE, "16", 0, 0, "16|24|32",
        "SRT key length in bytes when a passphrase is set"},
    {"srt_latency", CONF_INT, "120", 20, 8000, NULL,
        "SRT receive latency, milliseconds"},
    {"srt_peer_idle_timeout", CONF_INT, "5000", 1000, 60000, NULL,
        "milliseconds without packets before an SRT publisher is dropped"},
    {"api_listen", CONF_LISTEN, "*:3000", 0, 0, NULL,
        "REST API and dashboard: addresses to listen on"},
    {"jwt_secret", CONF_STR, "", 32, 512, NULL,
        "HS256 secret for API tokens; empty: generated once into statedir"},
    {"jwt_ttl", CONF_INT, "86400", 60, 2592000, NULL,
        "seconds an API token stays valid"},
    {"cors_origin", CONF_STR, "", 0, 0, NULL,
        "origins whose pages may read REST API answers; empty: none"},
    {"www_dir", CONF_STR, "/usr/local/share/nyon/www", 0, 0, NULL,
        "static web files: dashboard/ (authd), watch/ (flvd), vendor/"},
    {"hooks", CONF_CHOICE, "off", 0, 0, "off|loopback|any",
        "SRS-compatible publish hooks: off, from loopback only, or anyone"},
    {"hook_session_ttl", CONF_INT, "3600", 5, 604800, NULL,
        "seconds a hook's session lasts unless SRS calls again"},
    {"metrics_access", CONF_CHOICE, "loopback", 0, 0, "loopback|token",
        "who may read /metrics: loopback peers alone, or any peer sending "
        "metrics_token or an API token as a bearer token"},
    {"metrics_token", CONF_STR, "", 16, 512, NULL,
        "bearer token Prometheus sends for /metrics under metrics_access "
        "token; empty: API tokens only"},
    {"viewer_retention_days", CONF_INT, "30", 1, 3650, NULL,
        "days ended viewer sessions are kept in the database"},
    {"viewer_retention_rows", CONF_INT, "100000", 1, 10000000, NULL,
        "most viewer sessions kept in the database; the oldest go first"},
    /* Recording and thumbnails (recd). */
    {"recordings_dir", CONF_STR, "recordings", 0, 0, NULL,
        "recordings and thumbnails, relative to statedir unless absolute; "
        "recd's alone"},
    {"record", CONF_BOOL, "no", 0, 0, NULL,
        "record the streams whose own record setting is the default"},
    {"record_split", CONF_INT, "3600", 10, 86400, NULL,
        "seconds of a recording file; the next starts on a keyframe"},
    {"record_max_days", CONF_INT, "30", 0, 36500, NULL,
        "days a recording is kept, unless kept by hand; 0: no limit"},
    {"record_max_size", CONF_SIZE, "8g", 0, 1024 * 1024 * GB, NULL,
        "disk space recordings may take, oldest removed first (kept ones "
        "aside); 0: no limit"},
    {"record_min_free", CONF_SIZE, "1g", 0, 1024 * 1024 * GB, NULL,
        "free space below which recording pauses"},
    {"record_warn_free", CONF_SIZE, "2g", 0, 1024 * 1024 * GB, NULL,
        "free space below which recd warns that recording will soon pause "
        "(above record_min_free); 0: no warning"},
    {"thumbnail_interval", CONF_INT, "5", 0, 3600, NULL,
        "seconds between a live stream's thumbnails; 0: none"},
};
const size_t conf_nkeys = nitems(conf_keys);

/*
 * The secrets, and the permission bits a file holding one must not have:
 * others may never read one; the group may not read what authd alone may
 * know, since nyon.conf's group is how the media daemons read it.
 */
static const struct {
	const char *key;
	mode_t forbidden;
} conf_secrets[] = {
    {"srt_passphrase", S_IROTH},
    {"jwt_secret", S_IRGRP | S_IROTH},
};

struct conf_value {
	char *str;
	long long num;
	int set; /* the line of the file that gave it; 0: not given */
};

struct conf {
	char *path;
	struct conf_value v[nitems(conf_keys)];
};

/* The permission bits forbidden to a file holding key; 0: not a secret. */
static mode_t
conf_forbidden(const char *key)
{
	size_t i;

	for (i = 0; i < nitems(conf_secrets); i++)
		if (strcmp(conf_secrets[i].key, key) == 0)
			return conf_secrets[i].forbidden;
	return 0;
}

static const struct conf_key *
conf_lookup(const char *name, size_t *idx)
{
	size_t i;

	for (i = 0; i < conf_nkeys; i++)
		if (strcmp(conf_keys[i].name, name) == 0) {
			*idx = i;
			return &conf_keys[i];
		}
	return NULL;
}

static int
conf_parse_size(const char *s, long long *out)
{
	char *end;
	long long n, mult = 1;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (end == s || errno != 0 || n < 0)
		return -1;
	switch (tolower((unsigned char)*end)) {
	case '\0':
		break;
	case 'k':
		mult = KB;
		end++;
		break;
	case 'm':
		mult = MB;
		end++;
		break;
	case 'g':
		mult = GB;
		end++;
		break;
	default:
		return -1;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end != '\0' || n > LLONG_MAX / mult)
		return -1;
	*out = n * mult;
	return 0;
}

static int
conf_choice_ok(const char *choices, const char *word)
{
	size_t len = strlen(word);
	const char *p = choices;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, word, len) == 0 &&
		    (p[len] == '|' || p[len] == '\0'))
			return 1;
		if ((p = strchr(p, '|')) != NULL)
			p++;
	}
	return 0;
}

/* Checks val against k; on success stores it in v. */
static int
conf_set(const struct conf_key *k, struct conf_value *v, const char *val,
    char *why, size_t whylen)
{
	struct listen_addr la[8];
	const char *errstr;
	long long n = 0;

	switch (k->type) {
	case CONF_STR:
		/* min..max bound the length of a non-empty value */
		if (k->max > 0 && *val != '\0' &&
		    ((long long)strlen(val) < k->min ||
		        (long long)strlen(val) > k->max)) {
			snprintf(why, whylen,
			    "must be %lld to %lld characters, or empty", k->min,
			    k->max);
			return -1;
		}
		break;
	case CONF_INT:
		n = strtonum(val, k->min, k->max, &errstr);
		if (errstr != NULL) {
			snprintf(why, whylen,
			    "%s: must be an integer from %lld to %lld", errstr,
			    k->min, k->max);
			return -1;
		}
		break;
	case CONF_SIZE:
		if (conf_parse_size(val, &n) == -1) {
			snprintf(why, whylen,
			    "not a size (bytes, or with k, m or g)");
			return -1;
		}
		if ((n < k->min && n != 0) || n > k->max ||
		    (n == 0 && k->min > 0)) {
			snprintf(why, whylen, "must be from %lldk to %lldm",
			    k->min / KB, k->max / MB);
			return -1;
		}
		break;
	case CONF_LISTEN:
		/* a listener that is off by default may be left off */
		if (*val == '\0' && *k->def == '\0')
			break;
		if (listen_parse(val, la, nitems(la), why, whylen) == -1)
			return -1;
		break;
	case CONF_CHOICE:
		if (!conf_choice_ok(k->choices, val)) {
			snprintf(why, whylen, "must be one of %s", k->choices);
			return -1;
		}
		break;
	case CONF_BOOL:
		if (strcmp(val, "yes") == 0 || strcmp(val, "true") == 0 ||
		    strcmp(val, "on") == 0 || strcmp(val, "1") == 0)
			n = 1;
		else if (strcmp(val, "no") == 0 || strcmp(val, "false") == 0 ||
		    strcmp(val, "off") == 0 || strcmp(val, "0") == 0)
			n = 0;
		else {
			snprintf(why, whylen, "must be yes or no");
			return -1;
		}
		break;
	}
	free(v->str);
	v->str = xstrdup(val);
	v->num = n;
	return 0;
}

struct conf *
conf_defaults(void)
{
	struct conf *c = xcalloc(1, sizeof(*c));
	char why[256];
	size_t i;

	c->path = xstrdup("(defaults)");
	for (i = 0; i < conf_nkeys; i++)
		if (conf_set(&conf_keys[i], &c->v[i], conf_keys[i].def, why,
		        sizeof(why)) == -1)
			fatalx("default of %s: %s", conf_keys[i].name, why);
	return c;
}

/* Splits one line into key and value in place; returns 0 for a blank line. */
static int
conf_split(char *line, char **key, char **val, const char **why)
{
	char *p = line, *end, *q;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	*key = p;
	while (*p != '\0' && (isalnum((unsigned char)*p) || *p == '_'))
		p++;
	end = p;
	while (isspace((unsigned char)*p))
		p++;
	if (end == *key || *p != '=') {
		*why = "expected key = value";
		return -1;
	}
	*end = '\0';
	p++;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '"') {
		*val = ++p;
		if ((q = strchr(p, '"')) == NULL) {
			*why = "unterminated quote";
			return -1;
		}
		*q++ = '\0';
		while (isspace((unsigned char)*q))
			q++;
		if (*q != '\0' && *q != '#') {
			*why = "text after the closing quote";
			return -1;
		}
		return 1;
	}
	*val = p;
	/* A '#' starts a comment at the line start or after white space. */
	for (q = p; *q != '\0'; q++)
		if (*q == '#' && (q == p || isspace((unsigned char)q[-1]))) {
			*q = '\0';
			break;
		}
	q = p + strlen(p);
	while (q > p && isspace((unsigned char)q[-1]))
		*--q = '\0';
	return 1;
}

struct conf *
conf_parse(const char *path, const char *text, char *err, size_t errlen)
{
	struct conf *c = conf_defaults();
	char *copy, *line, *next, *key, *val, why[256];
	const char *msg;
	const struct conf_key *k;
	size_t idx;
	int lineno = 0, r;

	free(c->path);
	c->path = xstrdup(path);
	copy = xstrdup(text);
	for (line = copy; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		msg = NULL;
		if ((r = conf_split(line, &key, &val, &msg)) == 0)
			continue;
		if (r == -1) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, msg);
			goto fail;
		}
		if ((k = conf_lookup(key, &idx)) == NULL) {
			snprintf(err, errlen, "%s:%d: unknown key '%s'", path,
			    lineno, key);
			goto fail;
		}
		if (c->v[idx].set) {
			snprintf(err, errlen, "%s:%d: '%s' given twice", path,
			    lineno, key);
			goto fail;
		}
		if (conf_set(k, &c->v[idx], val, why, sizeof(why)) == -1) {
			/* a secret is not repeated into logs */
			snprintf(err, errlen,
			    "%s:%d: bad value for %s: '%s': %s", path, lineno,
			    key, conf_forbidden(key) ? "(secret)" : val, why);
			goto fail;
		}
		c->v[idx].set = lineno;
	}
	free(copy);
	return c;
fail:
	free(copy);
	conf_free(c);
	return NULL;
}

/*
 * A secret given in a file that others can read is no secret: refused,
 * with the line, and where the secret belongs instead.
 */
static int
conf_check_secrets(const struct conf *c, mode_t mode, char *err, size_t errlen)
{
	const struct conf_key *k;
	char companion[64], instead[128];
	size_t i, unused;
	mode_t bad;

	for (i = 0; i < conf_nkeys; i++) {
		k = &conf_keys[i];
		bad = mode & conf_forbidden(k->name);
		if (bad == 0 || !c->v[i].set || *c->v[i].str == '\0')
			continue;
		snprintf(companion, sizeof(companion), "%s_file", k->name);
		if (conf_lookup(companion, &unused) != NULL)
			snprintf(instead, sizeof(instead),
			    "put it in a file of its own, named by %s",
			    companion);
		else
			snprintf(instead, sizeof(instead),
			    "leave it out (empty: authd keeps a generated "
			    "secret in statedir)");
		snprintf(err, errlen,
		    "%s:%d: %s is a secret, but this file is readable by %s "
		    "(mode %04o): %s",
		    c->path, c->v[i].set, k->name,
		    (bad & S_IROTH) ? "anyone" : "its group",
		    (unsigned)(mode & 07777), instead);
		return -1;
	}
	return 0;
}

struct conf *
conf_load(const char *path, char *err, size_t errlen)
{
	struct conf *c;
	struct stat sb;
	FILE *f;
	char *text;
	size_t len = 0, cap = 4096, n;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &sb) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		fclose(f);
		return NULL;
	}
	text = xmalloc(cap);
	while ((n = fread(text + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (len + 1 == cap) {
			if (cap >= 1024 * 1024) {
				snprintf(
				    err, errlen, "%s: file too large", path);
				fclose(f);
				free(text);
				return NULL;
			}
			cap *= 2;
			text = xreallocarray(text, cap, 1);
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		fclose(f);
		free(text);
		return NULL;
	}
	fclose(f);
	text[len] = '\0';
	if (memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		free(text);
		return NULL;
	}
	c = conf_parse(path, text, err, errlen);
	explicit_bzero(text, len);
	free(text);
	if (c != NULL && conf_check_secrets(c, sb.st_mode, err, errlen) == -1) {
		conf_free(c);
		return NULL;
	}
	return c;
}

int
conf_is_secret(const char *key)
{
	return conf_forbidden(key) != 0;
}

#define CONF_SECRET_MAX 4096

int
conf_secret_file(struct conf *c, const char *key, char *err, size_t errlen)
{
	const struct conf_key *k;
	struct stat sb;
	char fkey[64], buf[CONF_SECRET_MAX + 1], why[256];
	const char *path;
	size_t idx, fidx, len = 0;
	mode_t forbidden = conf_forbidden(key);
	ssize_t n;
	int fd, r = -1;

	snprintf(fkey, sizeof(fkey), "%s_file", key);
	if ((k = conf_lookup(key, &idx)) == NULL || forbidden == 0 ||
	    conf_lookup(fkey, &fidx) == NULL)
		fatalx("conf: %s is not a secret kept in a file", key);
	path = c->v[fidx].str;
	if (*path == '\0')
		return 0;
	if (*c->v[idx].str != '\0') {
		snprintf(err, errlen, "%s: give %s or %s, not both", c->path,
		    key, fkey);
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) ==
	    -1) {
		snprintf(err, errlen, "%s %s: %s", fkey, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		snprintf(err, errlen, "%s %s: %s", fkey, path, strerror(errno));
		goto done;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s %s: not a plain file", fkey, path);
		goto done;
	}
	if (sb.st_mode & forbidden) {
		snprintf(err, errlen,
		    "%s %s is readable by %s (mode %04o): a secret must not "
		    "be (chmod %s %s)",
		    fkey, path,
		    (sb.st_mode & forbidden & S_IROTH) ? "anyone" : "its group",
		    (unsigned)(sb.st_mode & 07777),
		    (forbidden & S_IRGRP) ? "go-r" : "o-r", path);
		goto done;
	}
	while ((n = read(fd, buf + len, sizeof(buf) - len)) > 0)
		if ((len += (size_t)n) == sizeof(buf))
			break;
	if (n == -1) {
		snprintf(err, errlen, "%s %s: %s", fkey, path, strerror(errno));
		goto done;
	}
	if (len > CONF_SECRET_MAX) {
		snprintf(err, errlen, "%s %s: longer than %d bytes", fkey, path,
		    CONF_SECRET_MAX);
		goto done;
	}
	/* one line; its newline is not part of the secret */
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	if (len == 0 || strlen(buf) != len || strchr(buf, '\n') != NULL) {
		snprintf(err, errlen, "%s %s: %s", fkey, path,
		    len == 0 ? "empty" : "must be one line of text");
		goto done;
	}
	if (conf_set(k, &c->v[idx], buf, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s %s: %s", fkey, path, why);
		goto done;
	}
	r = 0;
done:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return r;
}

void
conf_free(struct conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < conf_nkeys; i++)
		free(c->v[i].str);
	free(c->path);
	free(c);
}

const char *
conf_path(const struct conf *c)
{
	return c->path;
}

static const struct conf_value *
conf_value(const struct conf *c, const char *key)
{
	size_t idx;

	if (conf_lookup(key, &idx) == NULL)
		fatalx("conf: no key named %s", key);
	return &c->v[idx];
}

const char *
conf_str(const struct conf *c, const char *key)
{
	return conf_value(c, key)->str;
}

long long
conf_int(const struct conf *c, const char *key)
{
	return conf_value(c, key)->num;
}

int
conf_bool(const struct conf *c, const char *key)
{
	return conf_value(c, key)->num != 0;
}

const char *
conf_file(const struct conf *c, const char *dirkey, const char *name, char *buf,
    size_t len)
{
	if (name[0] == '/')
		strlcpy(buf, name, len);
	else
		snprintf(buf, len, "%s/%s", conf_str(c, dirkey), name);
	return buf;
}
