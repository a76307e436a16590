/*
 * AMF0, the encoding of RTMP commands and FLV script data.  A small value
 * tree for reading commands, and an append-only writer for replies.
 *
 * The decoder trusts nothing: every length and count is checked against the
 * bytes left before anything is allocated, nesting is bounded, and anything
 * it does not know (references, AMF3 switches, XML, typed objects) is refused.
 */
#ifndef AMF0_H
#define AMF0_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

enum amf0_type {
	AMF0_NUMBER = 0x00,
	AMF0_BOOLEAN = 0x01,
	AMF0_STRING = 0x02,
	AMF0_OBJECT = 0x03,
	AMF0_NULL = 0x05,
	AMF0_UNDEFINED = 0x06,
	AMF0_ECMA_ARRAY = 0x08,
	AMF0_OBJECT_END = 0x09,
	AMF0_STRICT_ARRAY = 0x0a,
	AMF0_DATE = 0x0b,
	AMF0_LONG_STRING = 0x0c,
};

#define AMF0_MAX_DEPTH 32 /* objects/arrays inside each other */

struct amf0_prop;

struct amf0_value {
	enum amf0_type type;
	double num; /* NUMBER, DATE (ms since the epoch) */
	int boolean; /* BOOLEAN */
	int16_t tz; /* DATE: the (unused) time zone */
	char *str; /* STRING, LONG_STRING: NUL added, may hold NULs */
	size_t len; /* string bytes */
	struct amf0_prop *props; /* OBJECT, ECMA_ARRAY */
	struct amf0_value *items; /* STRICT_ARRAY */
	size_t n; /* props or items */
};

struct amf0_prop {
	char *name; /* NUL-terminated */
	size_t namelen;
	struct amf0_value value;
};

/*
 * Decodes one value from buf.  Returns the bytes used, or -1 on malformed,
 * truncated or too deeply nested input (out is then empty).  A bare
 * OBJECT_END marker is malformed.  Free out with amf0_free.
 */
ssize_t amf0_decode(const uint8_t *buf, size_t len, struct amf0_value *out);
void amf0_free(struct amf0_value *);

/* Property of an OBJECT or ECMA_ARRAY by name, or NULL. */
const struct amf0_value *amf0_get(const struct amf0_value *, const char *name);
/* The string property name, or NULL if absent or not a string. */
const char *amf0_get_str(const struct amf0_value *, const char *name);

/* A growing output buffer; start zeroed, free data when done. */
struct amf0_buf {
	uint8_t *data;
	size_t len, cap;
};

void amf0_buf_reset(struct amf0_buf *);
void amf0_buf_free(struct amf0_buf *);
void amf0_put_raw(struct amf0_buf *, const void *, size_t);
void amf0_put_number(struct amf0_buf *, double);
void amf0_put_bool(struct amf0_buf *, int);
/* STRING, or LONG_STRING if it does not fit in 16 bits. */
void amf0_put_string(struct amf0_buf *, const char *);
void amf0_put_stringn(struct amf0_buf *, const char *, size_t);
void amf0_put_null(struct amf0_buf *);
void amf0_put_undefined(struct amf0_buf *);
void amf0_put_object(struct amf0_buf *); /* then keys and values */
void amf0_put_ecma_array(struct amf0_buf *, uint32_t count);
/* then count values, no end marker */
void amf0_put_strict_array(struct amf0_buf *, uint32_t count);
void amf0_put_key(struct amf0_buf *, const char *); /* name without marker */
void amf0_put_object_end(struct amf0_buf *);
/* Encodes a decoded value back (strings keep their STRING/LONG_STRING type). */
void amf0_encode(struct amf0_buf *, const struct amf0_value *);

#endif
