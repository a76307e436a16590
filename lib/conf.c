/*
 * nyon.conf: "key = value" lines, '#' comments, optional double quotes.
 * Every key any Nyon program knows is in conf_keys; an unknown key, a
 * repeated key or a bad value is an error naming the file and line.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        "user to run as after binding; empty keeps the current user"},
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
    {"max_pending_per_ip", CONF_INT, "4", 1, 10000, NULL,
        "most connections not yet authorised from one address (IPv6: /64)"},
    {"max_publishers_per_ip", CONF_INT, "8", 1, 10000, NULL,
        "most publishing connections from one address (IPv6: /64)"},
    {"rtmp_memory", CONF_SIZE, "64m", 1 * MB, 1 * GB, NULL,
        "most bytes of RTMP messages all publishers may buffer together"},
    {"ring_size", CONF_SIZE, "0", 0, 1 * GB, NULL,
        "per-stream ring size; 0 sizes it from the stream's bitrate"},
    {"flv_listen", CONF_LISTEN, "*:8080", 0, 0, NULL,
        "HTTP-FLV viewers: addresses to listen on"},
    {"max_viewers", CONF_INT, "1000", 1, 100000, NULL,
        "most viewers at once, all streams together"},
    {"max_viewers_per_stream", CONF_INT, "500", 1, 100000, NULL,
        "most viewers of one stream"},
    {"viewer_backlog", CONF_SIZE, "2m", 64 * KB, 256 * MB, NULL,
        "unsent bytes a viewer may lag before it skips to a keyframe"},
    {"flv_write_threads", CONF_INT, "0", 0, 16, NULL,
        "threads writing the fan-out to viewers; 0: one per core, up to 4"},
    {"republish_grace", CONF_INT, "10", 0, 600, NULL,
        "seconds viewers wait for a publisher to come back"},
    {"srt_listen", CONF_LISTEN, "*:10080", 0, 0, NULL,
        "SRT publishers: UDP addresses to listen on"},
    {"srt_passphrase", CONF_STR, "", 10, 79, NULL,
        "SRT encryption passphrase (10 to 79 characters); empty for none"},
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
    {"cors_origin", CONF_STR, "*", 0, 0, NULL,
        "Access-Control-Allow-Origin of the REST API"},
    {"www_dir", CONF_STR, "/usr/local/share/nyon/www", 0, 0, NULL,
        "static web files: dashboard/ (authd), watch/ (flvd), vendor/"},
    {"hooks", CONF_CHOICE, "off", 0, 0, "off|loopback|any",
        "SRS-compatible publish hooks: off, from loopback only, or anyone"},
};
const size_t conf_nkeys = nitems(conf_keys);

struct conf_value {
	char *str;
	long long num;
	int set; /* given in the file */
};

struct conf {
	char *path;
	struct conf_value v[nitems(conf_keys)];
};

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
			snprintf(err, errlen,
			    "%s:%d: bad value for %s: '%s': %s", path, lineno,
			    key, val, why);
			goto fail;
		}
		c->v[idx].set = 1;
	}
	free(copy);
	return c;
fail:
	free(copy);
	conf_free(c);
	return NULL;
}

struct conf *
conf_load(const char *path, char *err, size_t errlen)
{
	struct conf *c;
	FILE *f;
	char *text;
	size_t len = 0, cap = 4096, n;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
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
	free(text);
	return c;
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
