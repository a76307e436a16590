/*
 * nyonctl status, nyonctl ping DAEMON
 */
#include <stdio.h>
#include <string.h>

#include "nyonctl.h"

static const char *status_common[] = {
    "v", "ok", "daemon", "version", "pid", "uptime"};

static int
status_common_key(const char *key)
{
	size_t i;

	for (i = 0; i < nitems(status_common); i++)
		if (strcmp(key, status_common[i]) == 0)
			return 1;
	return 0;
}

static void
status_print(const char *name, yajl_val r)
{
	long long pid = 0, uptime = 0;
	size_t i;

	json_get_int(r, "pid", &pid);
	json_get_int(r, "uptime", &uptime);
	printf("%-8s up    pid %lld, up %llds, version %s\n", name, pid, uptime,
	    json_get_str(r, "version") ? json_get_str(r, "version") : "?");
	for (i = 0; i < r->u.object.len; i++) {
		yajl_val v = r->u.object.values[i];

		if (status_common_key(r->u.object.keys[i]) ||
		    YAJL_IS_ARRAY(v) || YAJL_IS_OBJECT(v))
			continue;
		printf("%10s%s: ", "", r->u.object.keys[i]);
		ctl_print_value(v);
		putchar('\n');
	}
}

static double
status_num(yajl_val o, const char *key)
{
	yajl_val v = json_get(o, key);

	return v != NULL && YAJL_IS_NUMBER(v) ? YAJL_GET_DOUBLE(v) : 0;
}

static const char *
status_str(yajl_val o, const char *key)
{
	const char *s = json_get_str(o, key);

	return s != NULL ? s : "";
}

/* A stream in a daemon's status, by name. */
static yajl_val
status_find(yajl_val daemon, const char *name)
{
	yajl_val streams = json_get(daemon, "streams");
	const char *sn;
	size_t i;

	for (i = 0; streams != NULL && YAJL_IS_ARRAY(streams) &&
	     i < streams->u.array.len;
	     i++)
		if ((sn = json_get_str(streams->u.array.values[i], "name")) !=
		        NULL &&
		    strcmp(sn, name) == 0)
			return streams->u.array.values[i];
	return NULL;
}

void
status_stream_detail(yajl_val st, yajl_val flvd, yajl_val rtcd)
{
	yajl_val v = json_get(st, "video"), a = json_get(st, "audio"), o, al;
	yajl_val outs[] = {flvd, rtcd};
	const char *name = status_str(st, "name");
	size_t i;

	if (v != NULL && YAJL_IS_OBJECT(v)) {
		printf("    video: %s %s %s", status_str(v, "codec"),
		    status_str(v, "profile"), status_str(v, "level"));
		if (status_num(v, "width") > 0)
			printf(", %.0fx%.0f", status_num(v, "width"),
			    status_num(v, "height"));
		printf(", %.1f fps (%.1f received)", status_num(st, "fps"),
		    status_num(st, "fps_received"));
		if (json_get(st, "keyframe_interval") != NULL &&
		    YAJL_IS_NUMBER(json_get(st, "keyframe_interval")))
			printf(", keyframes every %.1f s",
			    status_num(st, "keyframe_interval"));
		putchar('\n');
	}
	if (a != NULL && YAJL_IS_OBJECT(a))
		printf("    audio: %s %s, %.0f Hz, %.0f channels\n",
		    status_str(a, "codec"), status_str(a, "profile"),
		    status_num(a, "sample_rate"), status_num(a, "channels"));
	for (i = 0; i < nitems(outs); i++) {
		o = json_get(status_find(outs[i], name), "output");
		if (o == NULL || !YAJL_IS_OBJECT(o))
			continue;
		printf("    %s: %.0f viewers, %.0f bytes sent, %.0f joined, "
		       "%.0f skipped, %.0f dropped\n",
		    status_str(o, "kind"), status_num(o, "viewers"),
		    status_num(o, "bytes_out"), status_num(o, "viewers_total"),
		    status_num(o, "skipped"), status_num(o, "dropped"));
	}
	/* ingestd's alerts: bitrate over max_bitrate, keyframes, fps */
	al = json_get(st, "alerts");
	for (i = 0; al != NULL && YAJL_IS_ARRAY(al) && i < al->u.array.len; i++)
		printf(
		    "    ! %s\n", status_str(al->u.array.values[i], "message"));
}

void
status_stream_live(struct ctl_ctx *ctx, const char *name)
{
	static const char *const from[] = {"ingestd", "flvd", "rtcd"};
	struct ctl_msg reply[nitems(from)];
	char err[512];
	int up[nitems(from)];
	yajl_val st;
	size_t i;

	for (i = 0; i < nitems(from); i++)
		up[i] = ctl_request(ctx, from[i], ctl_msg_begin(CTL_OP_STATUS),
		            &reply[i], err, sizeof(err)) == 0;
	if (up[0] && (st = status_find(reply[0].root, name)) != NULL) {
		printf("on air:       %s from %s, %.0f kb/s for %.0f s\n",
		    status_str(st, "proto"), status_str(st, "publisher"),
		    status_num(st, "kbps"), status_num(st, "uptime"));
		status_stream_detail(st, up[1] ? reply[1].root : NULL,
		    up[2] ? reply[2].root : NULL);
	}
	for (i = 0; i < nitems(from); i++)
		if (up[i])
			ctl_msg_free(&reply[i]);
}

/* The live streams ingestd has, with flvd's viewers beside them. */
static void
status_streams(yajl_val ingestd, yajl_val flvd, yajl_val rtcd)
{
	yajl_val streams = json_get(ingestd, "streams"), fps;
	long long kbps, uptime, viewers;
	size_t i;

	if (streams == NULL || !YAJL_IS_ARRAY(streams))
		return;
	printf("\nlive streams: %zu\n", streams->u.array.len);
	if (streams->u.array.len == 0)
		return;
	printf("  %-24s %-5s %9s %6s %8s %8s  %s\n", "NAME", "PROTO", "IN kbps",
	    "fps", "VIEWERS", "UPTIME", "PUBLISHER");
	for (i = 0; i < streams->u.array.len; i++) {
		yajl_val st = streams->u.array.values[i];
		const char *name = json_get_str(st, "name");

		if (name == NULL)
			continue;
		kbps = uptime = 0;
		json_get_int(st, "kbps", &kbps);
		json_get_int(st, "uptime", &uptime);
		fps = json_get(st, "fps");
		viewers = -1;
		if (flvd != NULL)
			json_get_int(
			    status_find(flvd, name), "viewers", &viewers);
		printf("  %-24s %-5s %9lld %6.1f ", name,
		    json_get_str(st, "proto") ? json_get_str(st, "proto") : "?",
		    kbps,
		    fps && YAJL_IS_NUMBER(fps) ? YAJL_GET_DOUBLE(fps) : 0.0);
		if (viewers >= 0)
			printf("%8lld", viewers);
		else
			printf("%8s", "-");
		printf(" %7llds  %s\n", uptime,
		    json_get_str(st, "publisher")
		        ? json_get_str(st, "publisher")
		        : "");
		status_stream_detail(st, flvd, rtcd);
	}
}

/* rtcd's viewers with what their receiver reports say. */
static void
status_webrtc(yajl_val rtcd)
{
	yajl_val streams = json_get(rtcd, "streams"), list, v;
	size_t i, k, n = 0;
	const char *name;

	if (streams == NULL || !YAJL_IS_ARRAY(streams))
		return;
	for (i = 0; i < streams->u.array.len; i++)
		if ((list = json_get(streams->u.array.values[i], "sessions")) !=
		        NULL &&
		    YAJL_IS_ARRAY(list))
			n += list->u.array.len;
	printf("\nWebRTC viewers: %zu\n", n);
	if (n == 0)
		return;
	printf("  %-24s %-22s %-5s %7s %8s %7s %9s %7s\n", "STREAM", "ADDRESS",
	    "STATE", "LOSS %", "JITTER", "RTT", "PACKETS", "RESENT");
	for (i = 0; i < streams->u.array.len; i++) {
		name = json_get_str(streams->u.array.values[i], "name");
		list = json_get(streams->u.array.values[i], "sessions");
		if (list == NULL || !YAJL_IS_ARRAY(list))
			continue;
		for (k = 0; k < list->u.array.len; k++) {
			v = list->u.array.values[k];
			printf("  %-24s %-22s %-5s %7.1f %6.1fms %5.0fms %9.0f "
			       "%7.0f\n",
			    name ? name : "?",
			    json_get_str(v, "address")
			        ? json_get_str(v, "address")
			        : "-",
			    json_get_str(v, "state") ? json_get_str(v, "state")
			                             : "?",
			    status_num(v, "loss_pct"),
			    status_num(v, "jitter_ms"), status_num(v, "rtt_ms"),
			    status_num(v, "packets"),
			    status_num(v, "retransmits"));
		}
	}
}

/* fwdd's destinations: where each live stream goes, and how it fares. */
static void
status_forwarding(yajl_val fwdd)
{
	yajl_val list = json_get(fwdd, "destinations"), fps;
	long long reconnects, bytes;
	size_t i;

	if (list == NULL || !YAJL_IS_ARRAY(list) || list->u.array.len == 0)
		return;
	printf("\nforwarding: %zu\n", list->u.array.len);
	printf("  %-24s %-10s %9s %9s %6s  %s\n", "STREAM", "STATE", "OUT kbps",
	    "SENT MB", "RECONN", "DESTINATION");
	for (i = 0; i < list->u.array.len; i++) {
		yajl_val d = list->u.array.values[i];
		const char *err = json_get_str(d, "last_error");

		reconnects = bytes = 0;
		json_get_int(d, "reconnects", &reconnects);
		json_get_int(d, "bytes_out", &bytes);
		fps = json_get(d, "kbps");
		printf("  %-24s %-10s %9.0f %9.1f %6lld  %s\n",
		    json_get_str(d, "stream") ? json_get_str(d, "stream") : "?",
		    json_get_str(d, "state") ? json_get_str(d, "state") : "?",
		    fps && YAJL_IS_NUMBER(fps) ? YAJL_GET_DOUBLE(fps) : 0.0,
		    bytes / 1e6, reconnects,
		    json_get_str(d, "url") ? json_get_str(d, "url") : "?");
		if (err != NULL)
			printf("  %-24s last error: %s\n", "", err);
	}
}

int
cmd_status(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct ctl_msg reply[nitems(ctl_daemons)];
	char err[nitems(ctl_daemons)][512];
	int up[nitems(ctl_daemons)], down = 0;
	size_t i;
	yajl_gen g;

	for (i = 0; i < nitems(ctl_daemons); i++) {
		up[i] = ctl_request(ctx, ctl_daemons[i],
		            ctl_msg_begin(CTL_OP_STATUS), &reply[i], err[i],
		            sizeof(err[i])) == 0;
		if (!up[i] && !ctl_daemon_optional(ctl_daemons[i]))
			down++;
	}
	if (ctx->json) {
		g = json_gen();
		yajl_gen_config(g, yajl_gen_beautify, 1);
		yajl_gen_map_open(g);
		for (i = 0; i < nitems(ctl_daemons); i++) {
			json_key(g, ctl_daemons[i]);
			if (up[i]) {
				json_value(g, reply[i].root);
				continue;
			}
			yajl_gen_map_open(g);
			json_bool(g, "ok", 0);
			json_str(g, "error", err[i]);
			yajl_gen_map_close(g);
		}
		yajl_gen_map_close(g);
		ctl_print_gen(g);
		yajl_gen_free(g);
	} else {
		for (i = 0; i < nitems(ctl_daemons); i++) {
			if (up[i])
				status_print(ctl_daemons[i], reply[i].root);
			else if (ctl_daemon_optional(ctl_daemons[i]))
				printf("%-8s off   (%s)\n", ctl_daemons[i],
				    err[i]);
			else
				printf("%-8s down  (%s)\n", ctl_daemons[i],
				    err[i]);
		}
		/* ctl_daemons: authd, ingestd, flvd, rtcd, recd, fwdd */
		if (up[1])
			status_streams(reply[1].root,
			    up[2] ? reply[2].root : NULL,
			    up[3] ? reply[3].root : NULL);
		if (up[3])
			status_webrtc(reply[3].root);
		if (up[5])
			status_forwarding(reply[5].root);
	}
	for (i = 0; i < nitems(ctl_daemons); i++)
		if (up[i])
			ctl_msg_free(&reply[i]);
	return down ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

int
cmd_ping(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct ctl_msg reply;
	char err[512];
	uint64_t t0 = now_us();
	size_t i;

	for (i = 0; i < nitems(ctl_daemons); i++)
		if (strcmp(argv[0], ctl_daemons[i]) == 0)
			break;
	if (i == nitems(ctl_daemons)) {
		fprintf(stderr,
		    "nyonctl: no daemon named '%s' (authd, "
		    "ingestd, flvd, rtcd, recd or fwdd)\n",
		    argv[0]);
		return CTL_EXIT_USAGE;
	}
	if (ctl_request(ctx, argv[0], ctl_msg_begin(CTL_OP_PING), &reply, err,
	        sizeof(err)) == -1) {
		if (ctx->json)
			printf("{\"daemon\":\"%s\",\"ok\":false}\n", argv[0]);
		fprintf(stderr, "nyonctl: %s\n", err);
		return CTL_EXIT_FAIL;
	}
	if (ctx->json)
		ctl_print_json(reply.root);
	else
		printf(
		    "%s: alive (%.2f ms)\n", argv[0], (now_us() - t0) / 1000.0);
	ctl_msg_free(&reply);
	return CTL_EXIT_OK;
}
