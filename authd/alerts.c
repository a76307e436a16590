/*
 * Alerts for the dashboard, in one list: what the daemons flag (ingestd:
 * bitrate over max_bitrate, keyframe interval, frame rate drop; recd: the
 * disk) and what the board says.  The daemons log their own; authd logs
 * the board's throttling, which no other daemon reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authd.h"

/* Raspberry Pi firmware's flags; absent elsewhere, and then silent. */
#define ALERTS_THROTTLED "/sys/devices/platform/soc/soc:firmware/get_throttled"

static unsigned long alerts_throttled; /* the flags now (bits 0-3) */

static void
alerts_throttle_text(unsigned long f, char *buf, size_t len)
{
	snprintf(buf, len, "CPU throttling:%s%s%s%s",
	    f & 0x1 ? " under-voltage" : "", f & 0x2 ? " frequency capped" : "",
	    f & 0x4 ? " throttled" : "",
	    f & 0x8 ? " soft temperature limit" : "");
}

void
alerts_update(yajl_val status[GATHER_N])
{
	char line[64], text[128];
	unsigned long f;
	FILE *fp;

	if ((fp = fopen(ALERTS_THROTTLED, "r")) == NULL)
		return;
	if (fgets(line, sizeof(line), fp) != NULL) {
		f = strtoul(line, NULL, 16) & 0xf;
		if (f != alerts_throttled) {
			alerts_throttle_text(f, text, sizeof(text));
			if (f != 0)
				log_warnx("%s", text);
			else
				log_info("CPU throttling: over");
		}
		alerts_throttled = f;
	}
	fclose(fp);
}

static void
alerts_one(
    yajl_gen g, const char *kind, const char *stream, const char *message)
{
	yajl_gen_map_open(g);
	json_str(g, "kind", kind);
	if (stream != NULL)
		json_str(g, "stream", stream);
	else
		json_null(g, "stream");
	json_str(g, "message", message);
	yajl_gen_map_close(g);
}

void
alerts_json(yajl_gen g, yajl_val status[GATHER_N])
{
	yajl_val list = json_get(status[GATHER_INGESTD], "streams"), s, al;
	const char *name, *kind, *msg;
	char text[128];
	size_t i, k;

	json_key(g, "alerts");
	yajl_gen_array_open(g);
	for (i = 0;
	     list != NULL && YAJL_IS_ARRAY(list) && i < list->u.array.len;
	     i++) {
		s = list->u.array.values[i];
		name = json_get_str(s, "name");
		al = json_get(s, "alerts");
		for (k = 0; name != NULL && al != NULL && YAJL_IS_ARRAY(al) &&
		     k < al->u.array.len;
		     k++) {
			kind = json_get_str(al->u.array.values[k], "kind");
			msg = json_get_str(al->u.array.values[k], "message");
			if (kind != NULL && msg != NULL)
				alerts_one(g, kind, name, msg);
		}
	}
	if ((msg = json_get_str(status[GATHER_RECD], "disk_warning")) != NULL)
		alerts_one(g, "disk", NULL, msg);
	else if ((msg = json_get_str(status[GATHER_RECD], "warning")) != NULL)
		alerts_one(g, "disk", NULL, msg);
	if (alerts_throttled != 0) {
		alerts_throttle_text(alerts_throttled, text, sizeof(text));
		alerts_one(g, "throttling", NULL, text);
	}
	yajl_gen_array_close(g);
}
