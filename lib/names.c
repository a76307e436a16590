/*
 * Stream names and keys: one definition of what they may be, used by every
 * program.  A name is what viewers see and type (UTF-8, counted in
 * characters); a key is a secret made for URLs and config files (ASCII).
 * Nothing that handles either may cut it: a value that does not fit these
 * rules is refused with the reason, wherever it comes from.
 */
#include <stdio.h>
#include <string.h>

#include "nyon.h"

/*
 * Text a person typed: valid, shortest-form UTF-8 with no control
 * characters (C0, DEL, C1; tab and newlines allowed when multiline) and no
 * surrogates.  *nchars receives the number of code points.
 */
int
text_check(const char *s, int multiline, size_t *nchars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;
	uint32_t cp;
	int i, more;

	while (*p != '\0') {
		if (*p < 0x80) {
			if (*p == 0x7f ||
			    (*p < 0x20 &&
			        !(multiline &&
			            (*p == '\n' || *p == '\r' || *p == '\t'))))
				return -1;
			p++;
			n++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf) {
			more = 1;
			cp = *p & 0x1f;
		} else if (*p >= 0xe0 && *p <= 0xef) {
			more = 2;
			cp = *p & 0x0f;
		} else if (*p >= 0xf0 && *p <= 0xf4) {
			more = 3;
			cp = *p & 0x07;
		} else
			return -1;
		/* a NUL fails the continuation test, so no overrun */
		for (i = 1; i <= more; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return -1;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((more == 2 && cp < 0x800) || (more == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
		    cp < 0xa0) /* C1 controls */
			return -1;
		p += more + 1;
		n++;
	}
	*nchars = n;
	return 0;
}

static int
names_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

int
stream_name_check(const char *name, char *why, size_t whylen)
{
	size_t n, len;

	if (name == NULL) {
		snprintf(why, whylen, "a stream name is required");
		return -1;
	}
	len = strlen(name);
	if (len > STREAM_NAME_SZ - 1) {
		snprintf(why, whylen, "must be %d to %d characters",
		    STREAM_NAME_MIN, STREAM_NAME_MAX);
		return -1;
	}
	if (text_check(name, 0, &n) == -1) {
		snprintf(why, whylen,
		    "must be printable text (UTF-8, no control characters)");
		return -1;
	}
	if (n < STREAM_NAME_MIN || n > STREAM_NAME_MAX) {
		snprintf(why, whylen, "must be %d to %d characters",
		    STREAM_NAME_MIN, STREAM_NAME_MAX);
		return -1;
	}
	if (names_space((unsigned char)name[0]) ||
	    names_space((unsigned char)name[len - 1])) {
		snprintf(why, whylen, "must not start or end with a space");
		return -1;
	}
	/* names become URL paths and, for recordings, directory names */
	if (strchr(name, '/') != NULL || name[0] == '.') {
		snprintf(why, whylen, "must not contain '/' or start with '.'");
		return -1;
	}
	return 0;
}

int
stream_key_check(const char *key, char *why, size_t whylen)
{
	size_t n;
	int c;

	for (n = 0; key != NULL && key[n] != '\0'; n++) {
		c = (unsigned char)key[n];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		        (c >= '0' && c <= '9') || c == '_' || c == '-'))
			break;
		if (n > STREAM_KEY_MAX)
			break;
	}
	if (key == NULL || key[n] != '\0' || n < STREAM_KEY_MIN ||
	    n > STREAM_KEY_MAX) {
		snprintf(why, whylen,
		    "must be %d to %d letters, digits, '_' or '-'",
		    STREAM_KEY_MIN, STREAM_KEY_MAX);
		return -1;
	}
	return 0;
}
