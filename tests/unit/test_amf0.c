/* AMF0: round trips, the values commands use, and input that must be refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nyon.h"
#include "amf0.h"

/* Decodes all of buf, re-encodes it and checks the bytes are identical. */
static void
roundtrip(const uint8_t *buf, size_t len)
{
	struct amf0_value v;
	struct amf0_buf out = {0};

	assert_int_equal(amf0_decode(buf, len, &v), (ssize_t)len);
	amf0_encode(&out, &v);
	assert_int_equal(out.len, len);
	assert_memory_equal(out.data, buf, len);
	amf0_free(&v);
	amf0_buf_free(&out);
}

static void
test_connect_command(void **state)
{
	struct amf0_buf b = {0};
	struct amf0_value v;
	const struct amf0_value *p;
	ssize_t n;
	size_t off = 0;

	amf0_put_string(&b, "connect");
	amf0_put_number(&b, 1);
	amf0_put_object(&b);
	amf0_put_key(&b, "app");
	amf0_put_string(&b, "live");
	amf0_put_key(&b, "tcUrl");
	amf0_put_string(&b, "rtmp://localhost/live");
	amf0_put_key(&b, "fpad");
	amf0_put_bool(&b, 0);
	amf0_put_key(&b, "audioCodecs");
	amf0_put_number(&b, 3575);
	amf0_put_key(&b, "nested");
	amf0_put_ecma_array(&b, 1);
	amf0_put_key(&b, "x");
	amf0_put_null(&b);
	amf0_put_object_end(&b);
	amf0_put_object_end(&b);
	amf0_put_undefined(&b);

	n = amf0_decode(b.data, b.len, &v);
	assert_int_equal(n, 10);
	assert_int_equal(v.type, AMF0_STRING);
	assert_string_equal(v.str, "connect");
	amf0_free(&v);
	off += n;
	n = amf0_decode(b.data + off, b.len - off, &v);
	assert_int_equal(n, 9);
	assert_int_equal(v.type, AMF0_NUMBER);
	assert_true(v.num == 1.0);
	off += n;
	n = amf0_decode(b.data + off, b.len - off, &v);
	assert_true(n > 0);
	assert_int_equal(v.type, AMF0_OBJECT);
	assert_string_equal(amf0_get_str(&v, "app"), "live");
	assert_string_equal(amf0_get_str(&v, "tcUrl"), "rtmp://localhost/live");
	assert_null(amf0_get_str(&v, "fpad"));
	assert_null(amf0_get(&v, "missing"));
	p = amf0_get(&v, "audioCodecs");
	assert_non_null(p);
	assert_true(p->num == 3575.0);
	p = amf0_get(&v, "nested");
	assert_int_equal(p->type, AMF0_ECMA_ARRAY);
	assert_int_equal(amf0_get(p, "x")->type, AMF0_NULL);
	amf0_free(&v);
	off += n;
	n = amf0_decode(b.data + off, b.len - off, &v);
	assert_int_equal(n, 1);
	assert_int_equal(v.type, AMF0_UNDEFINED);
	off += n;
	assert_int_equal(off, b.len);
	roundtrip(b.data + 10 + 9, b.len - 10 - 9 - 1);
	amf0_buf_free(&b);
}

static void
test_all_types(void **state)
{
	static const uint8_t date[] = {
	    0x0b, 0x42, 0x77, 0x8f, 0x2f, 0x0c, 0x80, 0x00, 0x00, 0xff, 0xc4};
	static const uint8_t strict[] = {0x0a, 0, 0, 0, 3, 0x00, 0x40, 0x59, 0,
	    0, 0, 0, 0, 0, 0x01, 0x01, 0x05};
	static const uint8_t longstr[] = {0x0c, 0, 0, 0, 2, 'h', 'i'};
	static const uint8_t empty_obj[] = {0x03, 0, 0, 0x09};
	static const uint8_t ecma0[] = {0x08, 0, 0, 0, 0, 0, 0, 0x09};
	static const uint8_t nul_in_str[] = {0x02, 0, 3, 'a', 0, 'b'};
	struct amf0_value v;
	struct amf0_buf b = {0};
	char *big;

	roundtrip(date, sizeof(date));
	roundtrip(strict, sizeof(strict));
	roundtrip(longstr, sizeof(longstr));
	roundtrip(empty_obj, sizeof(empty_obj));
	roundtrip(ecma0, sizeof(ecma0));
	roundtrip(nul_in_str, sizeof(nul_in_str));

	assert_int_equal(amf0_decode(date, sizeof(date), &v), 11);
	assert_int_equal(v.type, AMF0_DATE);
	assert_int_equal(v.tz, -60);
	amf0_free(&v);
	assert_int_equal(amf0_decode(strict, sizeof(strict), &v), 17);
	assert_int_equal(v.n, 3);
	assert_true(v.items[0].num == 100.0);
	assert_true(v.items[1].boolean);
	assert_int_equal(v.items[2].type, AMF0_NULL);
	amf0_free(&v);

	/* Strings over 64 KiB become long strings. */
	big = malloc(70000);
	memset(big, 'x', 69999);
	big[69999] = '\0';
	amf0_put_string(&b, big);
	assert_int_equal(b.data[0], AMF0_LONG_STRING);
	assert_int_equal(amf0_decode(b.data, b.len, &v), 70004);
	assert_int_equal(v.len, 69999);
	amf0_free(&v);
	roundtrip(b.data, b.len);
	amf0_buf_free(&b);
	free(big);
}

static void
expect_garbage(const uint8_t *buf, size_t len)
{
	struct amf0_value v;

	assert_int_equal(amf0_decode(buf, len, &v), -1);
	/* Nothing left to free, and freeing again is harmless. */
	assert_null(v.str);
	assert_null(v.props);
	assert_null(v.items);
	amf0_free(&v);
}

static void
test_garbage(void **state)
{
	static const uint8_t bare_end[] = {0x09};
	static const uint8_t reference[] = {0x07, 0, 1};
	static const uint8_t amf3[] = {0x11, 0x02};
	static const uint8_t movieclip[] = {0x04};
	static const uint8_t huge_strict[] = {0x0a, 0xff, 0xff, 0xff, 0xff, 5};
	static const uint8_t long_str[] = {0x0c, 0x7f, 0xff, 0xff, 0xff, 'a'};
	static const uint8_t obj_no_end[] = {0x03, 0, 1, 'a', 0x05, 0, 0, 0x05};
	static const uint8_t obj_value_missing[] = {0x03, 0, 1, 'a'};
	static const uint8_t obj_bad_value[] = {
	    0x03, 0, 1, 'a', 0x02, 0, 9, 'x'};
	static const uint8_t empty[] = {0};

	expect_garbage(empty, 0);
	expect_garbage(bare_end, sizeof(bare_end));
	expect_garbage(reference, sizeof(reference));
	expect_garbage(amf3, sizeof(amf3));
	expect_garbage(movieclip, sizeof(movieclip));
	expect_garbage(huge_strict, sizeof(huge_strict));
	expect_garbage(long_str, sizeof(long_str));
	expect_garbage(obj_no_end, sizeof(obj_no_end));
	expect_garbage(obj_value_missing, sizeof(obj_value_missing));
	expect_garbage(obj_bad_value, sizeof(obj_bad_value));
}

static void
test_truncated(void **state)
{
	struct amf0_buf b = {0};
	struct amf0_value v;
	size_t i;

	amf0_put_object(&b);
	amf0_put_key(&b, "app");
	amf0_put_string(&b, "live");
	amf0_put_key(&b, "n");
	amf0_put_number(&b, 2.5);
	amf0_put_key(&b, "arr");
	amf0_put_raw(&b, "\x0a\0\0\0\2\x01\x00\x06", 8);
	amf0_put_key(&b, "d");
	amf0_put_raw(&b, "\x0b\0\0\0\0\0\0\0\0\0\0", 11);
	amf0_put_object_end(&b);
	for (i = 0; i < b.len; i++)
		assert_int_equal(amf0_decode(b.data, i, &v), -1);
	assert_int_equal(amf0_decode(b.data, b.len, &v), (ssize_t)b.len);
	amf0_free(&v);
	amf0_buf_free(&b);
}

static void
test_depth(void **state)
{
	struct amf0_buf b = {0};
	struct amf0_value v;
	int i;

	/* AMF0_MAX_DEPTH nested objects decode; one more does not. */
	for (i = 0; i < AMF0_MAX_DEPTH; i++) {
		amf0_put_object(&b);
		amf0_put_key(&b, "o");
	}
	amf0_put_null(&b);
	for (i = 0; i < AMF0_MAX_DEPTH; i++)
		amf0_put_object_end(&b);
	assert_int_equal(amf0_decode(b.data, b.len, &v), (ssize_t)b.len);
	amf0_free(&v);

	amf0_buf_reset(&b);
	for (i = 0; i < 10000; i++)
		amf0_put_raw(&b, "\x0a\0\0\0\1", 5);
	amf0_put_null(&b);
	assert_int_equal(amf0_decode(b.data, b.len, &v), -1);
	amf0_buf_reset(&b);
	for (i = 0; i < AMF0_MAX_DEPTH + 1; i++) {
		amf0_put_ecma_array(&b, 1);
		amf0_put_key(&b, "e");
	}
	amf0_put_null(&b);
	for (i = 0; i < AMF0_MAX_DEPTH + 1; i++)
		amf0_put_object_end(&b);
	assert_int_equal(amf0_decode(b.data, b.len, &v), -1);
	amf0_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_connect_command),
	    cmocka_unit_test(test_all_types),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_depth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
