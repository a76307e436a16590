/* AMF0 decoder: any bytes, value by value, each re-encoded and re-decoded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nyon.h"
#include "amf0.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct amf0_value v, again;
	struct amf0_buf b = {0}, b2 = {0};
	size_t off = 0;
	ssize_t n;

	while (off < size) {
		if ((n = amf0_decode(data + off, size - off, &v)) == -1)
			break;
		/*
		 * What decodes must encode, decode again and encode to the same
		 * bytes (not always the input's: ECMA array counts are hints).
		 */
		amf0_buf_reset(&b);
		amf0_encode(&b, &v);
		if (amf0_decode(b.data, b.len, &again) != (ssize_t)b.len)
			abort();
		amf0_buf_reset(&b2);
		amf0_encode(&b2, &again);
		if (b2.len != b.len || memcmp(b.data, b2.data, b.len) != 0)
			abort();
		amf0_get_str(&v, "app");
		amf0_free(&again);
		amf0_free(&v);
		off += (size_t)n;
	}
	amf0_buf_free(&b);
	amf0_buf_free(&b2);
	return 0;
}
