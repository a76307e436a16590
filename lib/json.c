/*
 * Small helpers over yajl: write "key": value pairs into a map being
 * generated, and read typed fields from a parsed object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nyon.h"

yajl_gen
json_gen(void)
{
	yajl_gen g;

	if ((g = yajl_gen_alloc(NULL)) == NULL)
		fatalx("yajl_gen_alloc: out of memory");
	/* never emit what no parser would take back (see json_string) */
	yajl_gen_config(g, yajl_gen_validate_utf8, 1);
	return g;
}

/* Appends the finished JSON text of data to g as one value. */
void
json_raw(yajl_gen g, yajl_gen data)
{
	const unsigned char *buf;
	size_t len;

	yajl_gen_get_buf(data, &buf, &len);
	/* yajl_gen_number copies its text as is */
	yajl_gen_number(g, (const char *)buf, len);
}

/* Bytes in the valid UTF-8 sequence at p (len left), or 0 if invalid. */
static size_t
json_utf8_len(const unsigned char *p, size_t len)
{
	uint32_t cp;
	size_t more, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		more = 1;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		more = 2;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		more = 3;
	else
		return 0;
	cp = p[0] & (0x3f >> more);
	if (more >= len)
		return 0;
	for (i = 1; i <= more; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((more == 2 && cp < 0x800) || (more == 3 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return more + 1;
}

/*
 * A string value or key.  Text that is not UTF-8 (a peer's bytes in a log
 * field, say) goes out with each bad byte as U+FFFD, so one odd string
 * never makes a whole reply unreadable.
 */
static void
json_string(yajl_gen g, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i, n = 0, k;
	unsigned char *fixed;

	if (yajl_gen_string(g, p, len) != yajl_gen_invalid_string)
		return;
	fixed = xmalloc(len * 3 + 1);
	for (i = 0; i < len; i += k ? k : 1) {
		if ((k = json_utf8_len(p + i, len - i)) > 0) {
			memcpy(fixed + n, p + i, k);
			n += k;
		} else {
			memcpy(fixed + n, "\xef\xbf\xbd", 3);
			n += 3;
		}
	}
	yajl_gen_string(g, fixed, n);
	free(fixed);
}

void
json_key(yajl_gen g, const char *key)
{
	json_string(g, key);
}

void
json_str(yajl_gen g, const char *key, const char *val)
{
	json_key(g, key);
	if (val == NULL)
		yajl_gen_null(g);
	else
		json_string(g, val);
}

void
json_int(yajl_gen g, const char *key, long long val)
{
	json_key(g, key);
	yajl_gen_integer(g, val);
}

void
json_double(yajl_gen g, const char *key, double val)
{
	json_key(g, key);
	yajl_gen_double(g, val);
}

void
json_bool(yajl_gen g, const char *key, int val)
{
	json_key(g, key);
	yajl_gen_bool(g, val);
}

void
json_null(yajl_gen g, const char *key)
{
	json_key(g, key);
	yajl_gen_null(g);
}

yajl_val
json_get(yajl_val obj, const char *key)
{
	size_t i;

	if (obj == NULL || !YAJL_IS_OBJECT(obj))
		return NULL;
	for (i = 0; i < obj->u.object.len; i++)
		if (strcmp(obj->u.object.keys[i], key) == 0)
			return obj->u.object.values[i];
	return NULL;
}

const char *
json_get_str(yajl_val obj, const char *key)
{
	yajl_val v = json_get(obj, key);

	return v != NULL && YAJL_IS_STRING(v) ? v->u.string : NULL;
}

int
json_get_int(yajl_val obj, const char *key, long long *out)
{
	yajl_val v = json_get(obj, key);

	if (v == NULL || !YAJL_IS_INTEGER(v))
		return -1;
	*out = YAJL_GET_INTEGER(v);
	return 0;
}

int
json_get_bool(yajl_val obj, const char *key, int *out)
{
	yajl_val v = json_get(obj, key);

	if (v == NULL || !(YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)))
		return -1;
	*out = YAJL_IS_TRUE(v);
	return 0;
}

/*
 * What yajl lets through and we must not: nesting deeper than
 * JSON_DEPTH_MAX (yajl_tree_free recurses) and an escaped NUL, which would
 * silently end the C string it becomes ("abc\u0000xyz" is not "abc").
 * NULL if buf is fine, else why not.
 */
static const char *
json_scan(const char *buf, size_t len)
{
	size_t i;
	int depth = 0, in_str = 0, esc = 0;

	for (i = 0; i < len; i++) {
		char c = buf[i];

		if (in_str) {
			if (esc) {
				esc = 0;
				if (c == 'u' && len - i > 4 &&
				    memcmp(buf + i + 1, "0000", 4) == 0)
					return "escaped NUL (\\u0000) in a "
					       "string";
			} else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"')
			in_str = 1;
		else if (c == '{' || c == '[') {
			if (++depth > JSON_DEPTH_MAX)
				return "nested too deep";
		} else if (c == '}' || c == ']')
			depth--;
	}
	return NULL;
}

static int
json_keycmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first key that appears twice in one object, anywhere in v. */
static const char *
json_duplicate(yajl_val v)
{
	const char **keys, *dup = NULL;
	size_t i, n;

	if (YAJL_IS_ARRAY(v)) {
		for (i = 0; i < v->u.array.len && dup == NULL; i++)
			dup = json_duplicate(v->u.array.values[i]);
		return dup;
	}
	if (!YAJL_IS_OBJECT(v) || (n = v->u.object.len) == 0)
		return NULL;
	keys = xreallocarray(NULL, n, sizeof(*keys));
	memcpy(keys, v->u.object.keys, n * sizeof(*keys));
	qsort(keys, n, sizeof(*keys), json_keycmp);
	for (i = 1; i < n && dup == NULL; i++)
		if (strcmp(keys[i - 1], keys[i]) == 0)
			dup = keys[i];
	free(keys);
	for (i = 0; i < n && dup == NULL; i++)
		dup = json_duplicate(v->u.object.values[i]);
	return dup;
}

/*
 * Parses JSON text from the outside (a control message, a request body).
 * yajl checks syntax and UTF-8; the depth is bounded first because
 * yajl_tree_free recurses.  NULL with a one-line reason in err on failure.
 */
yajl_val
json_parse(const char *buf, size_t len, char *err, size_t errlen)
{
	char *text, yerr[128];
	const char *why, *dup;
	yajl_val v;

	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "invalid JSON: NUL byte");
		return NULL;
	}
	if ((why = json_scan(buf, len)) != NULL) {
		snprintf(err, errlen, "invalid JSON: %s", why);
		return NULL;
	}
	text = xmalloc(len + 1);
	memcpy(text, buf, len);
	text[len] = '\0';
	v = yajl_tree_parse(text, yerr, sizeof(yerr));
	free(text);
	if (v == NULL) {
		/* yajl's message spans lines and quotes the input */
		yerr[strcspn(yerr, "\n")] = '\0';
		snprintf(err, errlen, "invalid JSON: %s", yerr);
	} else if ((dup = json_duplicate(v)) != NULL) {
		/* two answers to one question: trust neither */
		snprintf(err, errlen, "invalid JSON: key \"%.64s\" given twice",
		    dup);
		yajl_tree_free(v);
		v = NULL;
	}
	return v;
}

/* A copy of a parsed value into g: numbers keep their text. */
void
json_value(yajl_gen g, yajl_val v)
{
	size_t i;

	if (YAJL_IS_STRING(v))
		yajl_gen_string(
		    g, (const unsigned char *)v->u.string, strlen(v->u.string));
	else if (YAJL_IS_INTEGER(v))
		yajl_gen_integer(g, YAJL_GET_INTEGER(v));
	else if (YAJL_IS_NUMBER(v))
		yajl_gen_number(
		    g, YAJL_GET_NUMBER(v), strlen(YAJL_GET_NUMBER(v)));
	else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v))
		yajl_gen_bool(g, YAJL_IS_TRUE(v));
	else if (YAJL_IS_OBJECT(v)) {
		yajl_gen_map_open(g);
		for (i = 0; i < v->u.object.len; i++) {
			json_key(g, v->u.object.keys[i]);
			json_value(g, v->u.object.values[i]);
		}
		yajl_gen_map_close(g);
	} else if (YAJL_IS_ARRAY(v)) {
		yajl_gen_array_open(g);
		for (i = 0; i < v->u.array.len; i++)
			json_value(g, v->u.array.values[i]);
		yajl_gen_array_close(g);
	} else
		yajl_gen_null(g);
}
