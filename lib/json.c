/*
 * Small helpers over yajl: write "key": value pairs into a map being
 * generated, and read typed fields from a parsed object.
 */
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
