/*
 * AMF0 decoding into a small tree, and encoding replies.  Input comes from
 * publishers: lengths are checked against the remaining bytes before they
 * are used, and every value consumes at least one byte, so what is
 * allocated is bounded by a small multiple of the input size.
 */
#include <stdlib.h>
#include <string.h>

#include "nyon.h"
#include "amf0.h"
#include "flv.h"

static int amf0_decode_value(
    const uint8_t *, size_t, size_t *, struct amf0_value *, int);

static uint64_t
amf0_be64(const uint8_t *p)
{
	return (uint64_t)be32_read(p) << 32 | be32_read(p + 4);
}

static double
amf0_double(const uint8_t *p)
{
	uint64_t u = amf0_be64(p);
	double d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

/* Copies n bytes at buf+*off into a new NUL-terminated string. */
static char *
amf0_strdup(const uint8_t *buf, size_t n)
{
	char *s;

	s = xmalloc(n + 1);
	memcpy(s, buf, n);
	s[n] = '\0';
	return s;
}

/* Properties up to the empty key and OBJECT_END marker. */
static int
amf0_decode_props(const uint8_t *buf, size_t len, size_t *off,
    struct amf0_value *v, int depth)
{
	size_t cap = 0, klen;
	struct amf0_prop *p;

	for (;;) {
		if (len - *off < 2)
			return -1;
		klen = be16_read(buf + *off);
		*off += 2;
		if (klen == 0) {
			if (len - *off < 1 || buf[*off] != AMF0_OBJECT_END)
				return -1;
			*off += 1;
			return 0;
		}
		/* The key, then at least a one-byte value. */
		if (len - *off < klen + 1)
			return -1;
		if (v->n == cap) {
			cap = cap ? cap * 2 : 8;
			v->props = xreallocarray(v->props, cap, sizeof(*p));
		}
		p = &v->props[v->n];
		memset(p, 0, sizeof(*p));
		p->name = amf0_strdup(buf + *off, klen);
		p->namelen = klen;
		*off += klen;
		v->n++;
		if (amf0_decode_value(buf, len, off, &p->value, depth + 1) ==
		    -1)
			return -1;
	}
}

static int
amf0_decode_value(const uint8_t *buf, size_t len, size_t *off,
    struct amf0_value *v, int depth)
{
	size_t n, i;

	memset(v, 0, sizeof(*v));
	v->type = AMF0_NULL;
	if (depth > AMF0_MAX_DEPTH || len - *off < 1)
		return -1;
	v->type = buf[(*off)++];
	switch (v->type) {
	case AMF0_NUMBER:
		if (len - *off < 8)
			return -1;
		v->num = amf0_double(buf + *off);
		*off += 8;
		return 0;
	case AMF0_BOOLEAN:
		if (len - *off < 1)
			return -1;
		v->boolean = buf[(*off)++] != 0;
		return 0;
	case AMF0_STRING:
	case AMF0_LONG_STRING:
		if (v->type == AMF0_STRING) {
			if (len - *off < 2)
				return -1;
			n = be16_read(buf + *off);
			*off += 2;
		} else {
			if (len - *off < 4)
				return -1;
			n = be32_read(buf + *off);
			*off += 4;
		}
		if (len - *off < n)
			return -1;
		v->str = amf0_strdup(buf + *off, n);
		v->len = n;
		*off += n;
		return 0;
	case AMF0_NULL:
	case AMF0_UNDEFINED:
		return 0;
	case AMF0_ECMA_ARRAY:
		/* The count is only a hint (often 0); the end marker decides. */
		if (len - *off < 4)
			return -1;
		*off += 4;
		/* FALLTHROUGH */
	case AMF0_OBJECT:
		return amf0_decode_props(buf, len, off, v, depth);
	case AMF0_STRICT_ARRAY:
		if (len - *off < 4)
			return -1;
		n = be32_read(buf + *off);
		*off += 4;
		if (n > len - *off) /* each item is at least one byte */
			return -1;
		if (n == 0)
			return 0;
		v->items = xcalloc(n, sizeof(*v->items));
		for (i = 0; i < n; i++) {
			v->n = i + 1;
			if (amf0_decode_value(
			        buf, len, off, &v->items[i], depth + 1) == -1)
				return -1;
		}
		return 0;
	case AMF0_DATE:
		if (len - *off < 10)
			return -1;
		v->num = amf0_double(buf + *off);
		v->tz = (int16_t)be16_read(buf + *off + 8);
		*off += 10;
		return 0;
	default:
		/* OBJECT_END out of place, references, AMF3, XML, ... */
		return -1;
	}
}

ssize_t
amf0_decode(const uint8_t *buf, size_t len, struct amf0_value *out)
{
	size_t off = 0;

	if (amf0_decode_value(buf, len, &off, out, 0) == -1) {
		amf0_free(out);
		return -1;
	}
	return (ssize_t)off;
}

void
amf0_free(struct amf0_value *v)
{
	size_t i;

	free(v->str);
	if (v->props != NULL) {
		for (i = 0; i < v->n; i++) {
			free(v->props[i].name);
			amf0_free(&v->props[i].value);
		}
		free(v->props);
	}
	if (v->items != NULL) {
		for (i = 0; i < v->n; i++)
			amf0_free(&v->items[i]);
		free(v->items);
	}
	memset(v, 0, sizeof(*v));
	v->type = AMF0_NULL;
}

const struct amf0_value *
amf0_get(const struct amf0_value *v, const char *name)
{
	size_t i, len = strlen(name);

	if (v->type != AMF0_OBJECT && v->type != AMF0_ECMA_ARRAY)
		return NULL;
	for (i = 0; i < v->n; i++)
		if (v->props[i].namelen == len &&
		    memcmp(v->props[i].name, name, len) == 0)
			return &v->props[i].value;
	return NULL;
}

const char *
amf0_get_str(const struct amf0_value *v, const char *name)
{
	const struct amf0_value *p;

	if ((p = amf0_get(v, name)) == NULL)
		return NULL;
	if (p->type != AMF0_STRING && p->type != AMF0_LONG_STRING)
		return NULL;
	return p->str;
}

void
amf0_buf_reset(struct amf0_buf *b)
{
	b->len = 0;
}

void
amf0_buf_free(struct amf0_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void
amf0_put_raw(struct amf0_buf *b, const void *p, size_t n)
{
	size_t cap;

	if (n == 0)
		return;
	if (n > b->cap - b->len) {
		cap = b->cap ? b->cap : 256;
		while (cap - b->len < n)
			cap *= 2;
		b->data = xreallocarray(b->data, cap, 1);
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void
amf0_put_byte(struct amf0_buf *b, uint8_t c)
{
	amf0_put_raw(b, &c, 1);
}

void
amf0_put_number(struct amf0_buf *b, double d)
{
	uint8_t p[9];
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	p[0] = AMF0_NUMBER;
	be32_write(p + 1, u >> 32);
	be32_write(p + 5, (uint32_t)u);
	amf0_put_raw(b, p, sizeof(p));
}

void
amf0_put_bool(struct amf0_buf *b, int v)
{
	uint8_t p[2] = {AMF0_BOOLEAN, v != 0};

	amf0_put_raw(b, p, sizeof(p));
}

static void
amf0_put_typed_string(
    struct amf0_buf *b, enum amf0_type type, const char *s, size_t n)
{
	uint8_t p[5];

	p[0] = type;
	if (type == AMF0_STRING) {
		be16_write(p + 1, (uint16_t)n);
		amf0_put_raw(b, p, 3);
	} else {
		be32_write(p + 1, (uint32_t)n);
		amf0_put_raw(b, p, 5);
	}
	amf0_put_raw(b, s, n);
}

void
amf0_put_stringn(struct amf0_buf *b, const char *s, size_t n)
{
	if (n > UINT32_MAX)
		fatalx("%s: string too long", __func__);
	amf0_put_typed_string(
	    b, n > UINT16_MAX ? AMF0_LONG_STRING : AMF0_STRING, s, n);
}

void
amf0_put_string(struct amf0_buf *b, const char *s)
{
	amf0_put_stringn(b, s, strlen(s));
}

void
amf0_put_null(struct amf0_buf *b)
{
	amf0_put_byte(b, AMF0_NULL);
}

void
amf0_put_undefined(struct amf0_buf *b)
{
	amf0_put_byte(b, AMF0_UNDEFINED);
}

void
amf0_put_object(struct amf0_buf *b)
{
	amf0_put_byte(b, AMF0_OBJECT);
}

void
amf0_put_ecma_array(struct amf0_buf *b, uint32_t count)
{
	uint8_t p[5];

	p[0] = AMF0_ECMA_ARRAY;
	be32_write(p + 1, count);
	amf0_put_raw(b, p, sizeof(p));
}

void
amf0_put_strict_array(struct amf0_buf *b, uint32_t count)
{
	uint8_t p[5];

	p[0] = AMF0_STRICT_ARRAY;
	be32_write(p + 1, count);
	amf0_put_raw(b, p, sizeof(p));
}

static void
amf0_put_keyn(struct amf0_buf *b, const char *k, size_t n)
{
	uint8_t p[2];

	if (n > UINT16_MAX)
		fatalx("%s: key too long", __func__);
	be16_write(p, (uint16_t)n);
	amf0_put_raw(b, p, 2);
	amf0_put_raw(b, k, n);
}

void
amf0_put_key(struct amf0_buf *b, const char *k)
{
	amf0_put_keyn(b, k, strlen(k));
}

void
amf0_put_object_end(struct amf0_buf *b)
{
	uint8_t p[3] = {0, 0, AMF0_OBJECT_END};

	amf0_put_raw(b, p, sizeof(p));
}

void
amf0_encode(struct amf0_buf *b, const struct amf0_value *v)
{
	uint8_t p[11];
	size_t i;

	switch (v->type) {
	case AMF0_NUMBER:
		amf0_put_number(b, v->num);
		break;
	case AMF0_BOOLEAN:
		amf0_put_bool(b, v->boolean);
		break;
	case AMF0_STRING:
	case AMF0_LONG_STRING:
		amf0_put_typed_string(b, v->type, v->str, v->len);
		break;
	case AMF0_OBJECT:
	case AMF0_ECMA_ARRAY:
		if (v->type == AMF0_OBJECT)
			amf0_put_object(b);
		else
			amf0_put_ecma_array(b, (uint32_t)v->n);
		for (i = 0; i < v->n; i++) {
			amf0_put_keyn(b, v->props[i].name, v->props[i].namelen);
			amf0_encode(b, &v->props[i].value);
		}
		amf0_put_object_end(b);
		break;
	case AMF0_STRICT_ARRAY:
		p[0] = AMF0_STRICT_ARRAY;
		be32_write(p + 1, (uint32_t)v->n);
		amf0_put_raw(b, p, 5);
		for (i = 0; i < v->n; i++)
			amf0_encode(b, &v->items[i]);
		break;
	case AMF0_DATE:
		amf0_put_number(b, v->num);
		b->data[b->len - 9] = AMF0_DATE;
		be16_write(p, (uint16_t)v->tz);
		amf0_put_raw(b, p, 2);
		break;
	case AMF0_NULL:
		amf0_put_null(b);
		break;
	case AMF0_UNDEFINED:
		amf0_put_undefined(b);
		break;
	case AMF0_OBJECT_END:
		amf0_put_byte(b, AMF0_OBJECT_END);
		break;
	}
}
