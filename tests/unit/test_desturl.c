/*
 * Destination URLs (lib/desturl.c): what real platforms hand out parses
 * into what the RTMP and SRT clients need, mistakes are refused with a
 * reason that never quotes the URL, and the masked form keeps everything
 * but the secrets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "nyon.h"

static void
test_platforms(void **state)
{
	struct desturl u;
	char why[160], m[DESTURL_SZ];

	assert_int_equal(desturl_parse("rtmp://a.rtmp.youtube.com/live2/"
	                               "abcd-efgh-ijkl-mnop-qrst",
	                     &u, why, sizeof(why)),
	    0);
	assert_int_equal(u.proto, DESTURL_RTMP);
	assert_string_equal(u.host, "a.rtmp.youtube.com");
	assert_string_equal(u.port, "1935");
	assert_string_equal(u.app, "live2");
	assert_string_equal(u.stream, "abcd-efgh-ijkl-mnop-qrst");
	assert_string_equal(u.tcurl, "rtmp://a.rtmp.youtube.com/live2");
	assert_string_equal(desturl_mask("rtmp://a.rtmp.youtube.com/live2/"
	                                 "abcd-efgh-ijkl-mnop-qrst",
	                        m, sizeof(m)),
	    "rtmp://a.rtmp.youtube.com/live2/****");

	/* Facebook: RTMPS on 443, a key with a query */
	assert_int_equal(desturl_parse("rtmps://live-api-s.facebook.com:443/"
	                               "rtmp/FB-1234-0-AbCd?s_bl=1&s_psm=1",
	                     &u, why, sizeof(why)),
	    0);
	assert_int_equal(u.proto, DESTURL_RTMPS);
	assert_string_equal(u.port, "443");
	assert_string_equal(u.app, "rtmp");
	assert_string_equal(u.stream, "FB-1234-0-AbCd?s_bl=1&s_psm=1");
	assert_string_equal(
	    u.tcurl, "rtmps://live-api-s.facebook.com:443/rtmp");
	desturl_mask("rtmps://live-api-s.facebook.com:443/rtmp/FB-1234-0-AbCd"
	             "?s_bl=1&s_psm=1",
	    m, sizeof(m));
	assert_string_equal(m, "rtmps://live-api-s.facebook.com:443/rtmp/****");
	assert_null(strstr(m, "AbCd"));
	assert_null(strstr(m, "s_bl"));

	/* the default RTMPS port; an application of two parts (Wowza) */
	assert_int_equal(desturl_parse("rtmps://example.org/app/inst/key", &u,
	                     why, sizeof(why)),
	    0);
	assert_string_equal(u.port, "443");
	assert_string_equal(u.app, "app/inst");
	assert_string_equal(u.stream, "key");

	/* SRT: decoded options, IPv6 */
	assert_int_equal(desturl_parse("srt://[2001:db8::7]:10080?streamid=%23!"
	                               "::r=live/cam,m=publish&passphrase="
	                               "0123456789ab&latency=200&pbkeylen=32",
	                     &u, why, sizeof(why)),
	    0);
	assert_int_equal(u.proto, DESTURL_SRT);
	assert_string_equal(u.host, "2001:db8::7");
	assert_string_equal(u.port, "10080");
	assert_string_equal(u.streamid, "#!::r=live/cam,m=publish");
	assert_string_equal(u.passphrase, "0123456789ab");
	assert_int_equal(u.latency_ms, 200);
	assert_int_equal(u.pbkeylen, 32);
	desturl_mask("srt://[2001:db8::7]:10080?streamid=%23!::r=live/cam,"
	             "m=publish&passphrase=0123456789ab&latency=200",
	    m, sizeof(m));
	assert_string_equal(m,
	    "srt://[2001:db8::7]:10080?streamid=****&"
	    "passphrase=****&latency=200");
	/* as ffmpeg and OBS write it: a bare '#' */
	assert_int_equal(desturl_parse("srt://127.0.0.1:9000?streamid=#!::r="
	                               "live/cam,m=publish",
	                     &u, why, sizeof(why)),
	    0);
	assert_string_equal(u.streamid, "#!::r=live/cam,m=publish");
	assert_int_equal(u.latency_ms, -1);
	assert_int_equal(desturl_parse("SRT://h:1", &u, why, sizeof(why)), 0);
	assert_string_equal(desturl_proto_name(u.proto), "srt");
}

static void
test_refused(void **state)
{
	static const struct {
		const char *url, *why;
	} bad[] = {
	    {"", "empty"},
	    {"http://example.org/live/key", "must start with"},
	    {"rtmp://example.org/key", "application and a stream key"},
	    {"rtmp://example.org/live/", "no stream key"},
	    {"rtmp://example.org", "application and a stream key"},
	    {"rtmp://user:secret@example.org/live/key", "credentials"},
	    {"rtmp://exa mple.org/live/key", "spaces"},
	    {"rtmp://example.org:0/live/key", "port"},
	    {"rtmp://example.org:99999/live/key", "port"},
	    {"rtmp://exa%mple.org/live/key", "bad host"},
	    {"rtmp://[::1/live/key", "unclosed"},
	    {"srt://example.org?streamid=x", "needs a port"},
	    {"srt://example.org:9000/path", "no path"},
	    {"srt://example.org:9000?passphrase=short", "10 to 79"},
	    {"srt://example.org:9000?latency=5", "20 to 8000"},
	    {"srt://example.org:9000?mode=listener", "caller"},
	    {"srt://example.org:9000?foo=bar", "unknown SRT option"},
	    {"srt://example.org:9000?streamid", "without a value"},
	    {"srt://example.org:9000?streamid=%zz", "escape"},
	    {"srt://example.org:9000?streamid=%00", "escape"},
	    {"srt://example.org:9000?pbkeylen=16", "without a passphrase"},
	};
	struct desturl u;
	char why[160];
	size_t i;

	for (i = 0; i < nitems(bad); i++) {
		why[0] = '\0';
		if (desturl_parse(bad[i].url, &u, why, sizeof(why)) != -1)
			fail_msg("accepted %s", bad[i].url);
		if (strstr(why, bad[i].why) == NULL)
			fail_msg("%s: \"%s\", wanted \"%s\"", bad[i].url, why,
			    bad[i].why);
	}
	/* too long */
	{
		char big[DESTURL_SZ + 10];

		memset(big, 'a', sizeof(big));
		memcpy(big, "rtmp://h/a/", 11);
		big[sizeof(big) - 1] = '\0';
		assert_int_equal(desturl_parse(big, &u, why, sizeof(why)), -1);
		assert_non_null(strstr(why, "longer than 1024"));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_platforms),
	    cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
