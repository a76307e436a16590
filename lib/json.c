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

void
json_key(yajl_gen g, const char *key)
{
	yajl_gen_string(g, (const unsigned char *)key, strlen(key));
}

void
json_str(yajl_gen g, const char *key, const char *val)
{
	json_key(g, key);
	if (val == NULL)
		yajl_gen_null(g);
	else
		yajl_gen_string(g, (const unsigned char *)val, strlen(val));
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

/* Whether buf nests arrays and objects no deeper than JSON_DEPTH_MAX. */
static int
json_depth_ok(const char *buf, size_t len)
{
	size_t i;
	int depth = 0, in_str = 0, esc = 0;

	for (i = 0; i < len; i++) {
		char c = buf[i];

		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"')
			in_str = 1;
		else if (c == '{' || c == '[') {
			if (++depth > JSON_DEPTH_MAX)
				return 0;
		} else if (c == '}' || c == ']')
			depth--;
	}
	return 1;
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
	yajl_val v;

	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "invalid JSON: NUL byte");
		return NULL;
	}
	if (!json_depth_ok(buf, len)) {
		snprintf(err, errlen, "invalid JSON: nested deeper than %d",
		    JSON_DEPTH_MAX);
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
	}
	return v;
}
