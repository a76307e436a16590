/*
 * MPEG-TS demuxer for SRT publishers: TS packets in, FLV tag bodies out.
 * No I/O: the SRT side feeds whatever bytes it receives, in any chunking,
 * and gets complete FLV tag bodies back through a callback.
 *
 * One program (the first in the PAT), its first H.264 (0x1b) or HEVC (0x24)
 * stream and its first ADTS AAC (0x0f) stream.  Other streams are skipped.
 * Timestamps are milliseconds on one timeline for audio and video, starting
 * near 0, unwrapped across the 33-bit PTS wrap and never going backwards
 * within a track.
 */
#ifndef TS_H
#define TS_H

#include <stddef.h>
#include <stdint.h>

#define TS_PACKET_SIZE 188
#define TS_PES_MAX (8 * 1024 * 1024) /* largest PES we reassemble */
#define TS_SYNC_LOSS_MAX 65536 /* bytes without sync before giving up */

#define TS_TAG_AUDIO 8
#define TS_TAG_VIDEO 9

struct ts_demux;

/*
 * An FLV tag body ready for the ring: type 8 audio, 9 video; timestamp in
 * ms; the composition time offset is already encoded in the body.
 * Sequence headers come through here too, before the frames they describe.
 * The callback must not call ts_free().  A video PES of unbounded length
 * ends at the next one's start, so video leaves one frame later than it
 * arrived; bounded PES (audio) leave as soon as they are complete.
 */
typedef void (*ts_tag_cb)(void *arg, uint8_t type, uint32_t timestamp,
    const uint8_t *body, size_t len);

struct ts_stats {
	uint64_t packets; /* TS packets parsed */
	uint64_t cc_errors; /* continuity counter gaps */
	uint64_t pes_dropped; /* PES packets and frames thrown away */
	uint64_t video_frames; /* coded video tags emitted */
	uint64_t audio_frames; /* raw AAC tags emitted */
};

struct ts_demux *ts_new(ts_tag_cb, void *arg);
void ts_free(struct ts_demux *);
/*
 * Returns 0, or -1 once the input cannot be MPEG-TS (no sync for
 * TS_SYNC_LOSS_MAX bytes); ts_error() then says why and later calls fail.
 */
int ts_feed(struct ts_demux *, const uint8_t *buf, size_t len);
const char *ts_error(const struct ts_demux *);
void ts_stats(const struct ts_demux *, struct ts_stats *);

#endif
