/*
 * One destination's life: connect, be accepted, push the stream from a
 * keyframe on its own timeline (zero at the session's first tag, never
 * going back), fall behind no further than forward_backlog before
 * skipping to the next keyframe, and after any failure try again later,
 * the delay doubling up to forward_retry_max with jitter so that many
 * destinations of one dead server do not come back all at once.  What
 * the server said goes into last_error with the destination's secrets
 * masked; its URL is only ever shown masked.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "fwdd.h"
#include "flv.h"

static void
dest_timer(evutil_socket_t fd, short what, void *arg)
{
	struct dest *d = arg;

	if (d->state == DEST_RETRYING) {
		dest_start(d);
		return;
	}
	dest_fail(
	    d, "no answer in %d s (%s)", fwdd->timeout, dest_state_name(d));
}

static void
dest_set_state(struct dest *d, enum dest_state s)
{
	d->state = s;
	d->state_ms = now_ms();
}

struct dest *
dest_new(struct fstream *s, int64_t id, const char *url, int tls_verify)
{
	struct dest *d;
	char why[160];

	d = xcalloc(1, sizeof(*d));
	if (desturl_parse(url, &d->u, why, sizeof(why)) == -1) {
		/* authd checked it: a newer authd, or a bug */
		log_warnx("stream %s: destination %lld: %s", s->name,
		    (long long)id, why);
		explicit_bzero(d, sizeof(*d));
		free(d);
		return NULL;
	}
	d->stream = s;
	d->id = id;
	d->url = xstrdup(url);
	desturl_mask(url, d->masked, sizeof(d->masked));
	d->tls_verify = tls_verify;
	d->ops = d->u.proto == DESTURL_SRT ? &dest_srt_ops : &dest_rtmp_ops;
	d->timer = evtimer_new(fwdd->d.base, dest_timer, d);
	dest_set_state(d, DEST_RETRYING);
	TAILQ_INSERT_TAIL(&s->dests, d, entry);
	s->ndests++;
	return d;
}

static void
dest_close(struct dest *d, int graceful)
{
	if (d->conn == NULL)
		return;
	/* what never left is not out */
	d->bytes_enq -= d->ops->queued(d);
	d->ops->close(d, graceful);
	d->conn = NULL;
}

void
dest_free(struct dest *d, int graceful)
{
	struct fstream *s = d->stream;

	log_info("stream %s: %s: stopped", s->name, d->masked);
	dest_close(d, graceful);
	event_free(d->timer);
	TAILQ_REMOVE(&s->dests, d, entry);
	s->ndests--;
	explicit_bzero(d->url, strlen(d->url));
	free(d->url);
	explicit_bzero(d, sizeof(*d));
	free(d);
}

void
dest_start(struct dest *d)
{
	struct timeval tv = {fwdd->timeout, 0};

	if (d->sessions > 0 || d->failures > 0)
		d->reconnects++;
	d->started = 0;
	d->need_sync = 0;
	d->bytes_session = 0;
	memset(d->last_ts, 0, sizeof(d->last_ts));
	dest_set_state(d, DEST_CONNECTING);
	evtimer_add(d->timer, &tv);
	log_debug("stream %s: %s: connecting", d->stream->name, d->masked);
	d->ops->open(d);
}

void
dest_connected(struct dest *d)
{
	if (d->state == DEST_CONNECTING)
		dest_set_state(d, DEST_HANDSHAKE);
}

void
dest_live(struct dest *d)
{
	uint64_t now = now_ms();

	evtimer_del(d->timer);
	dest_set_state(d, DEST_LIVE);
	d->sessions++;
	fwdd->sessions++;
	d->progress_ms = d->rate_ms = now;
	d->progress_bytes = d->rate_bytes = d->bytes_out;
	log_info("stream %s: %s: live%s", d->stream->name, d->masked,
	    d->failures > 0 ? " again" : "");
}

/* The secrets a server might echo back: whole and in parts. */
static size_t
dest_secrets(const struct dest *d, const char *out[4], size_t lens[4])
{
	const char *p, *r;
	size_t n = 0, len;

	if (d->u.proto != DESTURL_SRT) {
		out[n] = d->u.stream;
		lens[n++] = strlen(d->u.stream);
		out[n] = d->u.stream;
		lens[n++] = strcspn(d->u.stream, "?");
	} else {
		out[n] = d->u.streamid;
		lens[n++] = strlen(d->u.streamid);
		out[n] = d->u.passphrase;
		lens[n++] = strlen(d->u.passphrase);
		/* "#!::r=live/KEY,m=publish": the resource, and its last part */
		if ((r = strstr(d->u.streamid, "r=")) != NULL) {
			r += 2;
			len = strcspn(r, ",");
			out[n] = r;
			lens[n++] = len;
			if ((p = memrchr(r, '/', len)) != NULL) {
				out[n] = p + 1;
				lens[n++] = len - (p + 1 - r);
			}
		}
	}
	return n;
}

void
dest_redact(const struct dest *d, char *s, size_t size)
{
	const char *secret[4];
	size_t len[4], n, i, off;
	char *p;

	n = dest_secrets(d, secret, len);
	for (i = 0; i < n; i++) {
		/* short ones would mask ordinary words */
		if (len[i] < 4)
			continue;
		off = 0;
		while ((p = memmem(s + off, strnlen(s + off, size - off),
		            secret[i], len[i])) != NULL) {
			memcpy(p, "****", 4);
			memmove(p + 4, p + len[i], strlen(p + len[i]) + 1);
			off = p + 4 - s;
		}
	}
}

void
dest_fail(struct dest *d, const char *fmt, ...)
{
	struct timeval tv;
	char why[FWDD_ERROR_SZ];
	uint64_t delay;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	dest_redact(d, why, sizeof(why));
	strlcpy(d->last_error, why, sizeof(d->last_error));
	/* a long session ended: the next try is the first of a new run */
	if (d->state == DEST_LIVE &&
	    now_ms() - d->state_ms >= FWDD_STEADY_S * 1000)
		d->failures = 0;
	d->failures++;
	fwdd->failures++;
	dest_close(d, 0);
	delay = backoff_delay_ms(d->failures, (uint64_t)fwdd->retry_max * 1000);
	log_warnx("stream %s: %s: %s; again in %.1f s%s", d->stream->name,
	    d->masked, why, delay / 1000.0,
	    d->failures >= FWDD_FAILING ? " (failing)" : "");
	dest_set_state(d, DEST_RETRYING);
	tv.tv_sec = delay / 1000;
	tv.tv_usec = (delay % 1000) * 1000;
	evtimer_add(d->timer, &tv);
}

void
dest_republished(struct dest *d)
{
	if (d->started) {
		d->need_sync = 1;
		d->resend_headers = 1;
	}
}

static int
dest_track(uint8_t type)
{
	return type == FLV_TAG_AUDIO ? 0 : type == FLV_TAG_VIDEO ? 1 : 2;
}

static void
dest_send(
    struct dest *d, uint8_t type, int64_t ts, const uint8_t *body, size_t len)
{
	int t = dest_track(type);
	uint32_t out;

	ts -= d->base;
	if (ts < 0)
		ts = 0;
	out = (uint32_t)ts;
	if (out < d->last_ts[t])
		out = d->last_ts[t];
	d->last_ts[t] = out;
	if (d->ops->send(d, type, out, body, len) == -1)
		d->tags_dropped++;
}

/* The sequence headers and metadata the ring keeps, at the session's 0. */
static void
dest_send_headers(struct dest *d)
{
	static const enum ring_slot slots[] = {
	    RING_SLOT_META, RING_SLOT_VIDEO, RING_SLOT_AUDIO};
	struct ring *ring = d->stream->ring;
	uint8_t buf[RING_META_MAX];
	struct flv_tag tag;
	size_t i, len;

	d->seq_version = ring_seq_version(ring);
	d->resend_headers = 0;
	for (i = 0; i < nitems(slots); i++) {
		if (ring_seqhdr(ring, slots[i], buf, sizeof(buf), &len) == -1 ||
		    flv_tag_parse(buf, len, &tag) == -1 ||
		    (size_t)tag.size + FLV_TAG_HEADER_LEN + 4 != len)
			continue;
		dest_send(
		    d, tag.type, d->base, buf + FLV_TAG_HEADER_LEN, tag.size);
	}
}

void
dest_tag(
    struct dest *d, const struct ring_tagref *r, const uint8_t *tag, int64_t ts)
{
	size_t queued;

	if (d->state != DEST_LIVE || d->conn == NULL ||
	    r->len < FLV_TAG_HEADER_LEN + 4)
		return;
	if (!d->started) {
		if (!source_sync_point(d->stream, r))
			return;
		d->base = ts;
		d->started = 1;
		d->need_sync = 0;
		dest_send_headers(d);
	} else if (d->need_sync) {
		/* skipping after a backlog or a republish: a keyframe, room */
		if (!source_sync_point(d->stream, r) ||
		    d->ops->queued(d) > fwdd->backlog / 2) {
			d->tags_dropped++;
			return;
		}
		d->need_sync = 0;
		/* after a skip the server has them, unless they changed */
		if (d->resend_headers ||
		    ring_seq_version(d->stream->ring) != d->seq_version)
			dest_send_headers(d);
	}
	queued = d->ops->queued(d);
	if (queued > fwdd->backlog) {
		if (!d->need_sync)
			log_info("stream %s: %s: %zu bytes behind; skipping to "
			         "the next keyframe",
			    d->stream->name, d->masked, queued);
		d->need_sync = 1;
		d->skips++;
		d->tags_dropped++;
		return;
	}
	/* headers passing in the stream keep the server up to date */
	if (r->flags & (RING_SEQHDR | RING_SCRIPT))
		d->seq_version = ring_seq_version(d->stream->ring);
	dest_send(d, tag[0] & 0x1f, ts, tag + FLV_TAG_HEADER_LEN,
	    r->len - FLV_TAG_HEADER_LEN - 4);
}

void
dest_tick(struct dest *d, uint64_t now)
{
	size_t queued;

	if (d->conn == NULL)
		return;
	queued = d->ops->queued(d);
	d->bytes_out = d->bytes_enq - queued;
	if (now - d->rate_ms >= 1000) {
		d->kbps = (d->bytes_out - d->rate_bytes) * 8.0 /
		    (double)(now - d->rate_ms);
		d->rate_bytes = d->bytes_out;
		d->rate_ms = now;
	}
	if (d->state != DEST_LIVE) {
		d->ops->tick(d);
		return;
	}
	if (now - d->state_ms >= FWDD_STEADY_S * 1000)
		d->failures = 0;
	/* a server that takes nothing more is dropped, not waited for */
	if (queued == 0 || d->bytes_out != d->progress_bytes) {
		d->progress_bytes = d->bytes_out;
		d->progress_ms = now;
	} else if (now - d->progress_ms >= (uint64_t)fwdd->timeout * 1000) {
		dest_fail(d, "stalled: the server took nothing for %d s",
		    fwdd->timeout);
		return;
	}
	d->ops->tick(d);
}

const char *
dest_state_name(const struct dest *d)
{
	switch (d->state) {
	case DEST_CONNECTING:
		return "connecting";
	case DEST_HANDSHAKE:
		return "handshake";
	case DEST_LIVE:
		return d->started ? "live" : "starting";
	case DEST_RETRYING:
		return d->failures >= FWDD_FAILING ? "failing" : "retrying";
	}
	return "?";
}

void
dest_status(yajl_gen g, const struct dest *d)
{
	uint64_t now = now_ms();

	yajl_gen_map_open(g);
	json_int(g, "id", d->id);
	json_str(g, "stream", d->stream->name);
	json_str(g, "url", d->masked);
	json_str(g, "protocol", desturl_proto_name(d->u.proto));
	json_str(g, "state", dest_state_name(d));
	json_int(g, "state_s", (long long)((now - d->state_ms) / 1000));
	json_bool(g, "publisher", d->stream->live);
	json_int(g, "bytes_out", (long long)d->bytes_out);
	json_double(g, "kbps",
	    d->state == DEST_LIVE ? (long long)(d->kbps * 10) / 10.0 : 0);
	json_int(
	    g, "queued", d->conn != NULL ? (long long)d->ops->queued(d) : 0);
	json_int(g, "sessions", (long long)d->sessions);
	json_int(g, "reconnects", (long long)d->reconnects);
	json_int(g, "failures", d->failures);
	json_int(g, "skips", (long long)d->skips);
	json_int(g, "tags_dropped", (long long)d->tags_dropped);
	if (d->last_error[0] != '\0')
		json_str(g, "last_error", d->last_error);
	else
		json_null(g, "last_error");
	yajl_gen_map_close(g);
}
