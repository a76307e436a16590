/*
 * Viewer sessions, reported by the output daemons (flvd, rtcd) to authd,
 * which keeps them in the database (authd(8), GET /api/viewers).  One
 * reporter per process:
 *
 *	vreport_start(base, conf, &policy, "flvd");
 *	vs = vreport_open(stream, "flv", "192.0.2.7:50123", user_agent);
 *	...
 *	vreport_end(vs, bytes);		(vs is freed)
 *
 * Nothing is written per viewer: what changed is sent to authd in batches
 * every VREPORT_FLUSH_MS over one control connection (op viewer_report,
 * which the media user may send and not read).  A session is sent when it
 * starts (so live viewers are listed) and when it ends; on each new
 * connection every live session is sent again, so authd, which ends the
 * open sessions of a reporter that goes away, has them back.  While authd
 * is unreachable, ended sessions wait, at most VREPORT_PENDING_MAX; older
 * ones are dropped and counted.
 */
#ifndef VREPORT_H
#define VREPORT_H

#include <stdint.h>

#include "nyon.h"

#define VREPORT_FLUSH_MS 5000
#define VREPORT_PENDING_MAX 4096 /* ended sessions waiting for authd */
#define VREPORT_BATCH_BYTES (48 * 1024) /* of one message, < CTL_MSG_MAX */
#define VREPORT_UA_MAX 256 /* a user agent's bytes kept */
#define VREPORT_OUTPUT_MAX 16 /* "flv", "webrtc": [a-z0-9_] */

struct vsess;

void vreport_start(struct event_base *, const struct conf *,
    const struct ctl_policy *, const char *daemon);
void vreport_stop(void);
/*
 * A viewer starts watching.  address is "IP", "IP:PORT" or "[IPv6]:PORT";
 * user_agent may be NULL, and is cut to VREPORT_UA_MAX bytes of printable
 * ASCII.  Never NULL.
 */
struct vsess *vreport_open(const char *stream, const char *output,
    const char *address, const char *user_agent);
/* It stopped, having been sent bytes; vs is freed. */
void vreport_end(struct vsess *, uint64_t bytes);
/* "viewer_reports": sent, lost, waiting; for the daemon's status. */
void vreport_status(yajl_gen);
/* A User-Agent as kept: printable ASCII, cut at VREPORT_UA_MAX bytes. */
void vreport_clean_ua(const char *in, size_t inlen, char *out, size_t outlen);

#endif
