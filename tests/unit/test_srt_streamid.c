/*
 * SRT stream ids: every form a publisher may use, and what must be refused
 * (play requests above all, which must never be taken as a publish).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ingestd.h"

static void
accepts(const char *sid, const char *want)
{
	char key[SRT_KEY_MAX + 1];
	const char *why;
	enum srt_streamid_err e = srt_streamid_parse(sid, "live", key, &why);

	if (e != SRT_STREAMID_OK)
		fail_msg("'%s' refused: %s", sid, why);
	assert_string_equal(key, want);
	assert_null(why);
}

static void
refuses(const char *sid, enum srt_streamid_err want)
{
	char key[SRT_KEY_MAX + 1];
	const char *why;
	enum srt_streamid_err e = srt_streamid_parse(sid, "live", key, &why);

	if (e != want)
		fail_msg("'%s': got %d, want %d (%s)", sid, e, want,
		    why ? why : "accepted");
	assert_non_null(why);
	assert_string_equal(key, "");
}

static void
test_keyed(void **state)
{
	accepts("#!::r=live/cam,m=publish", "cam");
	accepts("#!::m=publish,r=live/cam", "cam");
	accepts("#!::m=publish,r=live/cam,u=bob", "cam");
	accepts("#!::u=bob,s=42,r=live/cam,h=example.org,m=publish,x=y", "cam");
	accepts("#!::r=cam,m=publish", "cam");
	accepts("#!::r=live/Cam_1.x-y,m=publish,t=stream", "Cam_1.x-y");
}

static void
test_keyed_value_with_equals(void **state)
{
	/* "a=b" is the value of r; '=' is not a key character */
	refuses("#!::r=live/a=b,m=publish", SRT_STREAMID_BAD);
}

static void
test_plain(void **state)
{
	accepts("publish:live/cam", "cam");
	accepts("publish:cam", "cam");
	accepts("live/cam", "cam");
	accepts("cam", "cam");
	accepts("a_b-c.d~e", "a_b-c.d~e");
}

static void
test_play_refused(void **state)
{
	refuses("#!::r=live/cam,m=request", SRT_STREAMID_MODE);
	refuses("#!::m=request,r=live/cam", SRT_STREAMID_MODE);
	refuses("#!::r=live/cam", SRT_STREAMID_MODE); /* default m=request */
	refuses("#!::r=live/cam,m=bidirectional", SRT_STREAMID_MODE);
	refuses("#!::r=live/cam,m=publish,t=file", SRT_STREAMID_MODE);
	refuses("play:live/cam", SRT_STREAMID_MODE);
	refuses("read:cam", SRT_STREAMID_MODE);
	refuses("request:cam", SRT_STREAMID_MODE);
}

static void
test_bad(void **state)
{
	char big[SRT_STREAMID_MAX + 2];

	refuses("", SRT_STREAMID_BAD);
	refuses("#!::", SRT_STREAMID_BAD);
	refuses("#!::m=publish", SRT_STREAMID_BAD); /* no r= */
	refuses("#!::r=live/cam,m=publish,", SRT_STREAMID_BAD);
	refuses("#!::r=live/cam,,m=publish", SRT_STREAMID_BAD);
	refuses("#!::r=live/cam,m=publish,junk", SRT_STREAMID_BAD);
	refuses("#!::=x,r=live/cam,m=publish", SRT_STREAMID_BAD);
	refuses("#!::r=live/cam,m=publish,m=request", SRT_STREAMID_BAD);
	refuses("#!::r=live/a,r=live/b,m=publish", SRT_STREAMID_BAD);
	refuses("#!::r=live/cam,m=pub", SRT_STREAMID_BAD);
	refuses("#!::r=live/cam,m=publishx", SRT_STREAMID_BAD);
	refuses("#!::r=,m=publish", SRT_STREAMID_BAD);
	refuses("live/", SRT_STREAMID_BAD);
	refuses("publish:", SRT_STREAMID_BAD);
	refuses("publish:live/", SRT_STREAMID_BAD);
	refuses("live/a/b", SRT_STREAMID_BAD);
	refuses("publish:live/a/b", SRT_STREAMID_BAD);
	refuses("bad$name", SRT_STREAMID_BAD);
	refuses("live/bad name", SRT_STREAMID_BAD);
	refuses("live/caf\xc3\xa9", SRT_STREAMID_BAD);
	refuses("cam\n", SRT_STREAMID_BAD);
	memset(big, 'a', SRT_KEY_MAX + 1);
	big[SRT_KEY_MAX + 1] = '\0';
	refuses(big, SRT_STREAMID_BAD); /* key one too long */
	big[SRT_KEY_MAX] = '\0';
	accepts(big, big);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	refuses(big, SRT_STREAMID_BAD); /* longer than libsrt allows */
}

static void
test_app(void **state)
{
	refuses("other/cam", SRT_STREAMID_APP);
	refuses("publish:other/cam", SRT_STREAMID_APP);
	refuses("#!::r=other/cam,m=publish", SRT_STREAMID_APP);
	refuses("/cam", SRT_STREAMID_APP);
	refuses("liv/cam", SRT_STREAMID_APP);
	refuses("livex/cam", SRT_STREAMID_APP);
	refuses("LIVE/cam", SRT_STREAMID_APP);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keyed),
	    cmocka_unit_test(test_keyed_value_with_equals),
	    cmocka_unit_test(test_plain),
	    cmocka_unit_test(test_play_refused),
	    cmocka_unit_test(test_bad),
	    cmocka_unit_test(test_app),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
