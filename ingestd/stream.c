/*
 * Live streams: each is a ring written by one publisher and handed to every
 * subscriber (flvd) as its memfd plus an eventfd rung after each tag.
 *
 * What every output gets from here, whatever the publisher did: one
 * continuous timeline (timeline.c), onMetaData at timestamp 0 as other
 * servers send it (a player takes script data at any other time for a
 * data track of its own: ffmpeg shows "Subtitle: text"), the sequence
 * headers kept for late viewers stamped 0 too, and the publisher held to
 * its stream's max_bitrate (bitrate.c).
 */
#include <sys/eventfd.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ingestd.h"
#include "flv.h"

struct subscriber {
	struct ctl_peer *peer;
	int slot;
};

#define NSLOTS nitems(((struct ingestd *)0)->subscribers)

struct stream *
stream_find(const char *name)
{
	struct stream *s;

	TAILQ_FOREACH(s, &ingestd->streams, entry)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

/*
 * Sends one stream's announcement (ring and eventfd) to one subscriber.
 * The message is queued if the socket is full, never dropped; a send that
 * fails closes the subscriber (stream_unsubscribe cleans up), so callers
 * look the subscriber up again afterwards.
 */
static void
stream_announce(struct stream *s, struct subscriber *sub)
{
	yajl_gen g;
	int fds[2], efd;

	if ((efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		log_warn("stream %s: eventfd", s->name);
		return;
	}
	s->eventfds[sub->slot] = efd;
	fds[0] = ring_fd(s->ring);
	fds[1] = efd;
	g = ctl_msg_begin(CTL_OP_STREAM);
	json_str(g, "name", s->name);
	json_int(g, "id", (long long)s->id);
	json_str(g, "proto", s->proto);
	if (s->record != -1)
		json_bool(g, "record", s->record);
	yajl_gen_map_close(g);
	ctl_peer_send(sub->peer, g, fds, 2);
	yajl_gen_free(g);
}

static void
stream_announce_end(struct stream *s, struct subscriber *sub)
{
	yajl_gen g = ctl_msg_begin(CTL_OP_STREAM_END);

	json_str(g, "name", s->name);
	json_int(g, "id", (long long)s->id);
	yajl_gen_map_close(g);
	ctl_peer_send(sub->peer, g, NULL, 0);
	yajl_gen_free(g);
}

/* alert_keyframe_interval and alert_fps_drop as they are now */
static void
stream_media_rule(struct mediastat_rule *r)
{
	r->keyframe_interval_s =
	    (unsigned)conf_int(ingestd->d.conf, "alert_keyframe_interval");
	r->fps_drop_pct = (unsigned)conf_int(ingestd->d.conf, "alert_fps_drop");
}

/* bitrate_window, bitrate_margin and bitrate_grace as they are now */
static void
stream_bitrate_rule(struct bitrate_rule *r)
{
	r->window_s = (unsigned)conf_int(ingestd->d.conf, "bitrate_window");
	r->margin_pct = (unsigned)conf_int(ingestd->d.conf, "bitrate_margin");
	r->grace_s = (unsigned)conf_int(ingestd->d.conf, "bitrate_grace");
}

struct stream *
stream_open(const char *name, const char *proto, struct publisher *p,
    uint64_t bitrate_kbps, char *err, size_t errlen)
{
	struct bitrate_rule rule;
	struct mediastat_rule mrule;
	struct stream *s;
	char why[128];
	size_t size, i;

	/* whatever authd or the publisher said, a name is never cut */
	if (stream_name_check(name, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "stream name %s", why);
		return NULL;
	}
	if (stream_find(name) != NULL) {
		snprintf(err, errlen, "stream %s is already live", name);
		return NULL;
	}
	if (ingestd->nstreams >= conf_int(ingestd->d.conf, "max_streams")) {
		snprintf(err, errlen, "too many live streams");
		return NULL;
	}
	size = conf_int(ingestd->d.conf, "ring_size");
	if (size == 0)
		size = ring_size_for(bitrate_kbps ? bitrate_kbps : 8000);
	s = xcalloc(1, sizeof(*s));
	if ((s->ring = ring_create(size)) == NULL) {
		snprintf(err, errlen, "ring of %zu bytes: %s", size,
		    strerror(errno));
		free(s);
		return NULL;
	}
	s->id = ++ingestd->next_id;
	memcpy(s->name, name, strlen(name) + 1);
	strlcpy(s->proto, proto, sizeof(s->proto));
	s->publisher = p;
	s->record = p != NULL && p->record_set ? p->record : -1;
	s->started = time(NULL);
	s->last_ms = now_ms();
	timeline_init(&s->timeline);
	stream_bitrate_rule(&rule);
	bitrate_init(&s->bitrate, bitrate_kbps, &rule, s->last_ms);
	stream_media_rule(&mrule);
	mediastat_init(&s->media, &mrule);
	for (i = 0; i < NSLOTS; i++)
		s->eventfds[i] = -1;
	TAILQ_INSERT_TAIL(&ingestd->streams, s, entry);
	ingestd->nstreams++;
	for (i = 0; i < NSLOTS; i++)
		if (ingestd->subscribers[i] != NULL)
			stream_announce(s, ingestd->subscribers[i]);
	log_info("stream %s: live from %s %s (ring %zu KiB)", s->name, proto,
	    p ? p->addr : "-", ring_capacity(s->ring) / 1024);
	return s;
}

static int
stream_is_metadata(const uint8_t *body, size_t len)
{
	return len >= 13 && body[0] == 0x02 && be16_read(body + 1) == 10 &&
	    memcmp(body + 3, "onMetaData", 10) == 0;
}

/* The tag's timestamp on the viewers' timeline; logs a jump smoothed. */
static uint32_t
stream_time(struct stream *s, uint8_t type, uint32_t timestamp,
    const uint8_t *body, size_t len, uint64_t now)
{
	enum timeline_track_id id;
	uint32_t out;
	int64_t jump;

	if (type == FLV_TAG_SCRIPT)
		return stream_is_metadata(body, len)
		    ? 0
		    : timeline_script(&s->timeline, timestamp);
	id = type == FLV_TAG_VIDEO ? TIMELINE_VIDEO : TIMELINE_AUDIO;
	out = timeline_map(&s->timeline, id, timestamp, now, &jump);
	/* a camera whose clock is broken for good would fill the log */
	if (jump != 0 &&
	    (s->timeline.jumps <= 10 || s->timeline.jumps % 1000 == 0))
		log_info("stream %s: %s timestamp jumped by %+lld ms (to %u); "
		         "viewers go on at %u (%llu jumps)",
		    s->name, id == TIMELINE_VIDEO ? "video" : "audio",
		    (long long)jump, timestamp, out,
		    (unsigned long long)s->timeline.jumps);
	return out;
}

/* Writes one FLV tag into the ring; stream_wake tells the readers. */
int
stream_tag(struct stream *s, uint8_t type, uint32_t timestamp,
    const uint8_t *body, size_t len)
{
	uint8_t hdr[FLV_TAG_HEADER_LEN], prev[4];
	struct iovec iov[3];
	uint64_t now = now_ms();
	int flags;

	if (len == 0)
		return 0;
	if (len > FLV_TAG_SIZE_MAX ||
	    len + FLV_TAG_HEADER_LEN + 4 > ring_max_tag(s->ring)) {
		log_warnx("stream %s: dropped a %zu-byte tag: larger than the "
		          "ring allows (raise ring_size)",
		    s->name, len);
		return -1;
	}
	bitrate_add(&s->bitrate, len, now);
	timestamp = stream_time(s, type, timestamp, body, len, now);
	flags = flv_classify(type, body, len);
	mediastat_tag(&s->media, type, timestamp, body, len, flags, now);
	flv_tag_header(hdr, type, (uint32_t)len, timestamp);
	be32_write(prev, (uint32_t)(len + FLV_TAG_HEADER_LEN));
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)body;
	iov[1].iov_len = len;
	iov[2].iov_base = prev;
	iov[2].iov_len = sizeof(prev);
	if (flags & FLV_F_SEQHDR ||
	    (type == FLV_TAG_SCRIPT && stream_is_metadata(body, len))) {
		uint8_t tag[RING_META_MAX];
		size_t taglen = len + FLV_TAG_HEADER_LEN + 4;
		enum ring_slot slot = type == FLV_TAG_SCRIPT ? RING_SLOT_META
		    : type == FLV_TAG_VIDEO                  ? RING_SLOT_VIDEO
		                                             : RING_SLOT_AUDIO;

		if (taglen <= sizeof(tag)) {
			/*
			 * At 0: a viewer gets them first, before a GOP that
			 * starts anywhere; and the same header sent again
			 * at another time is no new version.
			 */
			flv_tag_header(tag, type, (uint32_t)len, 0);
			memcpy(tag + sizeof(hdr), body, len);
			memcpy(tag + sizeof(hdr) + len, prev, sizeof(prev));
			if (ring_set_seqhdr(s->ring, slot, tag, taglen) == -1)
				log_warnx("stream %s: %zu-byte sequence header "
				          "too large to keep",
				    s->name, taglen);
		}
	}
	if (ring_writev(s->ring, iov, 3, (uint32_t)flags, timestamp) == -1) {
		log_warn("stream %s: ring write", s->name);
		return -1;
	}
	ingestd->bytes_in += len;
	s->unwoken = 1;
	return 0;
}

/*
 * Wakes the readers of every stream written to since the last call.  The
 * protocols call it once per read from a publisher, not once per tag: the
 * tags that arrived together then reach each viewer in one write, and no
 * tag waits for anything but the rest of its own read.
 */
void
stream_wake(void)
{
	const uint64_t one = 1;
	struct stream *s;
	size_t i;

	TAILQ_FOREACH(s, &ingestd->streams, entry) {
		if (!s->unwoken)
			continue;
		s->unwoken = 0;
		for (i = 0; i < NSLOTS; i++)
			if (s->eventfds[i] != -1 &&
			    write(s->eventfds[i], &one, sizeof(one)) == -1 &&
			    errno != EAGAIN)
				log_warn("stream %s: eventfd", s->name);
	}
}

void
stream_close(struct stream *s)
{
	struct ring_stats st;
	size_t i;

	ring_close(s->ring);
	ring_stats(s->ring, &st);
	for (i = 0; i < NSLOTS; i++) {
		if (s->eventfds[i] == -1)
			continue;
		/* a last wakeup so the reader sees the closed flag */
		const uint64_t one = 1;

		if (write(s->eventfds[i], &one, sizeof(one)) == -1)
			log_debug(
			    "stream %s: eventfd: %s", s->name, strerror(errno));
		close(s->eventfds[i]);
		s->eventfds[i] = -1;
		if (ingestd->subscribers[i] != NULL)
			stream_announce_end(s, ingestd->subscribers[i]);
	}
	log_info("stream %s: ended after %llds, %llu tags, %llu bytes", s->name,
	    (long long)(time(NULL) - s->started),
	    (unsigned long long)st.tags_in, (unsigned long long)st.bytes_in);
	TAILQ_REMOVE(&ingestd->streams, s, entry);
	ingestd->nstreams--;
	ring_free(s->ring);
	free(s);
}

/*
 * The publisher's rate against its stream's max_bitrate: warned when it
 * goes over, disconnected when it stays over for bitrate_grace, with the
 * reason on its session.  Returns 1 if the stream was ended.
 */
static int
stream_bitrate_check(struct stream *s, uint64_t now)
{
	struct bitrate *b = &s->bitrate;
	unsigned long long limit;
	char why[200];

	limit = b->max_kbps * (100 + b->rule.margin_pct) / 100;
	switch (bitrate_check(b, now)) {
	case BITRATE_OK:
	case BITRATE_OVER:
		return 0;
	case BITRATE_BACK_UNDER:
		log_info("stream %s: back under max_bitrate: %llu kb/s",
		    s->name, (unsigned long long)b->kbps);
		s->bitrate_warning[0] = '\0';
		return 0;
	case BITRATE_WARN:
		if (b->rule.grace_s > 0)
			snprintf(s->bitrate_warning, sizeof(s->bitrate_warning),
			    "%llu kb/s over %us, above max_bitrate %llu kb/s "
			    "+ %u%%: disconnected after %us over",
			    (unsigned long long)b->kbps, b->rule.window_s,
			    (unsigned long long)b->max_kbps, b->rule.margin_pct,
			    b->rule.grace_s);
		else
			snprintf(s->bitrate_warning, sizeof(s->bitrate_warning),
			    "%llu kb/s over %us, above max_bitrate %llu kb/s "
			    "+ %u%%",
			    (unsigned long long)b->kbps, b->rule.window_s,
			    (unsigned long long)b->max_kbps,
			    b->rule.margin_pct);
		log_warnx("stream %s: %s", s->name, s->bitrate_warning);
		return 0;
	case BITRATE_KICK:
		break;
	}
	snprintf(why, sizeof(why),
	    "over max_bitrate: %llu kb/s over %us for %us (max %llu kb/s, "
	    "%llu with the margin)",
	    (unsigned long long)b->kbps, b->rule.window_s, b->rule.grace_s,
	    (unsigned long long)b->max_kbps, limit);
	log_warnx("stream %s: %s; disconnecting the publisher", s->name, why);
	if (s->publisher != NULL)
		s->publisher->kick(s->publisher, why); /* frees s */
	else
		stream_close(s);
	return 1;
}

/* An alert of the media's that came or went goes into the log. */
static void
stream_media_alerts(struct stream *s)
{
	static const enum mediastat_alert which[] = {
	    MEDIASTAT_ALERT_KEYFRAME, MEDIASTAT_ALERT_FPS};
	char text[256];
	size_t i;
	int on;

	if (!s->media.alert_changed)
		return;
	s->media.alert_changed = 0;
	for (i = 0; i < nitems(which); i++) {
		on = mediastat_alert_text(
		    &s->media, which[i], text, sizeof(text));
		if (on && !(s->alerted & (1u << i)))
			log_warnx("stream %s: %s", s->name, text);
		else if (!on && (s->alerted & (1u << i)))
			log_info("stream %s: %s back to normal (%.1f fps, "
			         "keyframes every %.1f s)",
			    s->name,
			    which[i] == MEDIASTAT_ALERT_FPS
			        ? "frame rate"
			        : "keyframe interval",
			    s->media.fps, s->media.key_interval_ms / 1000.0);
		if (on)
			s->alerted |= 1u << i;
		else
			s->alerted &= ~(1u << i);
	}
}

/* Once a second: bitrate, frame rate and the alerts. */
void
stream_stats_tick(void)
{
	struct stream *s, *next;
	struct ring_stats st;
	struct bitrate_rule rule;
	struct mediastat_rule mrule;
	uint64_t now = now_ms(), dt;

	stream_bitrate_rule(&rule); /* a reload changes it for all */
	stream_media_rule(&mrule);
	TAILQ_FOREACH_SAFE(s, &ingestd->streams, entry, next) {
		bitrate_set_rule(&s->bitrate, &rule);
		if (stream_bitrate_check(s, now))
			continue;
		mediastat_set_rule(&s->media, &mrule);
		mediastat_tick(&s->media, now);
		stream_media_alerts(s);
		ring_stats(s->ring, &st);
		if ((dt = now - s->last_ms) == 0)
			continue;
		s->kbps = (st.bytes_in - s->last.bytes_in) * 8.0 / dt;
		s->last = st;
		s->last_ms = now;
	}
}

/* Every alert the stream is under: the media's and the bitrate's. */
static void
stream_alerts_json(yajl_gen g, const struct stream *s)
{
	static const struct {
		enum mediastat_alert which;
		const char *kind;
	} media[] = {{MEDIASTAT_ALERT_KEYFRAME, "keyframe_interval"},
	    {MEDIASTAT_ALERT_FPS, "fps"}};
	char text[256];
	size_t i;

	json_key(g, "alerts");
	yajl_gen_array_open(g);
	if (s->bitrate_warning[0] != '\0') {
		yajl_gen_map_open(g);
		json_str(g, "kind", "bitrate");
		json_str(g, "message", s->bitrate_warning);
		yajl_gen_map_close(g);
	}
	for (i = 0; i < nitems(media); i++) {
		if (!mediastat_alert_text(
		        &s->media, media[i].which, text, sizeof(text)))
			continue;
		yajl_gen_map_open(g);
		json_str(g, "kind", media[i].kind);
		json_str(g, "message", text);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

void
stream_status(yajl_gen g)
{
	struct stream *s;
	struct ring_stats st;

	json_key(g, "streams");
	yajl_gen_array_open(g);
	TAILQ_FOREACH(s, &ingestd->streams, entry) {
		ring_stats(s->ring, &st);
		yajl_gen_map_open(g);
		json_str(g, "name", s->name);
		json_int(g, "id", (long long)s->id);
		json_str(g, "proto", s->proto);
		json_str(
		    g, "publisher", s->publisher ? s->publisher->addr : "");
		json_int(g, "uptime", time(NULL) - s->started);
		json_int(g, "started", (long long)s->started);
		json_int(g, "kbps", (long long)(s->kbps + 0.5));
		mediastat_json(g, &s->media);
		json_int(g, "bytes_in", (long long)st.bytes_in);
		json_int(g, "tags_in", (long long)st.tags_in);
		json_int(g, "keyframes", (long long)st.keyframes);
		json_int(g, "ring_size", (long long)ring_capacity(s->ring));
		json_int(g, "max_kbps", (long long)s->bitrate.max_kbps);
		json_int(g, "window_kbps", (long long)s->bitrate.kbps);
		if (s->bitrate_warning[0] != '\0')
			json_str(g, "bitrate_warning", s->bitrate_warning);
		else
			json_null(g, "bitrate_warning");
		json_int(g, "timestamp_jumps", (long long)s->timeline.jumps);
		stream_alerts_json(g, s);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

void
stream_subscribe(struct ctl_peer *peer, struct ctl_msg *m, void *arg)
{
	struct subscriber *sub;
	struct stream *s;
	yajl_gen g;
	size_t i;

	if (ctl_peer_data(peer) != NULL) {
		ctl_peer_error(peer, "already subscribed");
		return;
	}
	for (i = 0; i < NSLOTS; i++)
		if (ingestd->subscribers[i] == NULL)
			break;
	if (i == NSLOTS) {
		ctl_peer_error(peer, "too many subscribers");
		return;
	}
	sub = xcalloc(1, sizeof(*sub));
	sub->peer = peer;
	sub->slot = (int)i;
	ingestd->subscribers[i] = sub;
	ctl_peer_set_data(peer, sub);
	log_info("subscriber pid %ld (slot %zu)", (long)ctl_peer_pid(peer), i);
	g = ctl_reply_begin();
	json_int(g, "streams", ingestd->nstreams);
	ctl_reply_end(peer, g);
	/* a failed send unsubscribes: stop at once when it has */
	TAILQ_FOREACH(s, &ingestd->streams, entry) {
		if (ingestd->subscribers[i] != sub)
			break;
		stream_announce(s, sub);
	}
}

void
stream_unsubscribe(struct ctl_peer *peer)
{
	struct subscriber *sub = ctl_peer_data(peer);
	struct stream *s;

	if (sub == NULL)
		return;
	TAILQ_FOREACH(s, &ingestd->streams, entry)
		if (s->eventfds[sub->slot] != -1) {
			close(s->eventfds[sub->slot]);
			s->eventfds[sub->slot] = -1;
		}
	ingestd->subscribers[sub->slot] = NULL;
	log_info("subscriber pid %ld gone", (long)ctl_peer_pid(peer));
	free(sub);
}
