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

/* Viewers of a stream as flvd counts them, or -1 if flvd does not know it. */
static long long
status_viewers(yajl_val flvd, const char *name)
{
	yajl_val streams = json_get(flvd, "streams");
	long long n;
	size_t i;

	if (streams == NULL || !YAJL_IS_ARRAY(streams))
		return -1;
	for (i = 0; i < streams->u.array.len; i++) {
		yajl_val st = streams->u.array.values[i];
		const char *sn = json_get_str(st, "name");

		if (sn != NULL && strcmp(sn, name) == 0 &&
		    json_get_int(st, "viewers", &n) == 0)
			return n;
	}
	return -1;
}

/* The live streams ingestd has, with flvd's viewers beside them. */
static void
status_streams(yajl_val ingestd, yajl_val flvd)
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
		viewers = flvd ? status_viewers(flvd, name) : -1;
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
		/* ingestd's warning while the publisher is over max_bitrate */
		if (json_get_str(st, "bitrate_warning") != NULL)
			printf(
			    "    ! %s\n", json_get_str(st, "bitrate_warning"));
	}
}

static double
status_num(yajl_val o, const char *key)
{
	yajl_val v = json_get(o, key);

	return v != NULL && YAJL_IS_NUMBER(v) ? YAJL_GET_DOUBLE(v) : 0;
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
		/* ctl_daemons: authd, ingestd, flvd, rtcd, recd */
		if (up[1])
			status_streams(
			    reply[1].root, up[2] ? reply[2].root : NULL);
		if (up[3])
			status_webrtc(reply[3].root);
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
		    "ingestd, flvd, rtcd or recd)\n",
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
