/*
 * AAC to Opus, because browsers take no AAC over WebRTC: libavcodec's
 * AAC decoder, libswresample to 48 kHz, libopus in its low-delay mode
 * (CELT only: less delay and less CPU than the speech modes), 20 ms
 * packets.  One per stream, made when its first viewer comes and freed
 * when the last leaves.  Timestamps follow the FLV ones: the first
 * sample of each packet is placed at its AAC frame's time in 48 kHz
 * units, the same timeline the video's 90 kHz clock is drawn from, so the
 * sender reports keep the two in sync.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
#include <opus/opus.h>

#include "rtcd.h"

#define OPUS_RATE 48000
#define OPUS_FRAME 960 /* 20 ms */
#define FIFO_MAX (OPUS_RATE / 2) /* samples per channel */
#define OPUS_PACKET_MAX 1000
#define RESYNC_MS 100 /* a gap or jump larger than this restarts the clock */

struct audio_tc {
	AVCodecContext *dec;
	AVPacket *pkt;
	AVFrame *frame;
	SwrContext *swr;
	OpusEncoder *enc;
	int channels; /* out: 1 or 2 */
	int in_rate;
	float fifo[FIFO_MAX * 2];
	int nfifo; /* samples per channel */
	uint64_t fifo_pts; /* 48 kHz time of fifo[0] */
	int64_t next_in_ms; /* expected time of the next AAC frame */
	int started;
	audio_out out;
	void *arg;
	uint64_t cpu_us;
};

static uint64_t
audio_thread_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

struct audio_tc *
audio_tc_new(const uint8_t *asc, size_t asclen, audio_out out, void *arg,
    char *err, size_t errlen)
{
	const AVCodec *codec;
	struct audio_tc *tc;
	int e;

	if (asclen == 0 || asclen > 64) {
		snprintf(err, errlen, "no AAC configuration");
		return NULL;
	}
	if ((codec = avcodec_find_decoder(AV_CODEC_ID_AAC)) == NULL) {
		snprintf(err, errlen, "libavcodec has no AAC decoder");
		return NULL;
	}
	tc = xcalloc(1, sizeof(*tc));
	tc->out = out;
	tc->arg = arg;
	if ((tc->dec = avcodec_alloc_context3(codec)) == NULL)
		fatalx("avcodec_alloc_context3");
	tc->dec->extradata = av_mallocz(asclen + AV_INPUT_BUFFER_PADDING_SIZE);
	memcpy(tc->dec->extradata, asc, asclen);
	tc->dec->extradata_size = (int)asclen;
	if (avcodec_open2(tc->dec, codec, NULL) < 0) {
		snprintf(err, errlen, "the AAC configuration is refused");
		audio_tc_free(tc);
		return NULL;
	}
	tc->pkt = av_packet_alloc();
	tc->frame = av_frame_alloc();
	tc->channels = tc->dec->ch_layout.nb_channels >= 2 ? 2 : 1;
	tc->enc = opus_encoder_create(
	    OPUS_RATE, tc->channels, OPUS_APPLICATION_RESTRICTED_LOWDELAY, &e);
	if (tc->enc == NULL) {
		snprintf(err, errlen, "opus: %s", opus_strerror(e));
		audio_tc_free(tc);
		return NULL;
	}
	opus_encoder_ctl(tc->enc, OPUS_SET_BITRATE(tc->channels * 48000));
	opus_encoder_ctl(tc->enc, OPUS_SET_COMPLEXITY(5));
	return tc;
}

void
audio_tc_free(struct audio_tc *tc)
{
	if (tc == NULL)
		return;
	avcodec_free_context(&tc->dec);
	av_packet_free(&tc->pkt);
	av_frame_free(&tc->frame);
	swr_free(&tc->swr);
	if (tc->enc != NULL)
		opus_encoder_destroy(tc->enc);
	free(tc);
}

uint64_t
audio_tc_cpu_us(const struct audio_tc *tc)
{
	return tc->cpu_us;
}

/* The resampler for what the decoder gives (it may change midway). */
static int
audio_swr(struct audio_tc *tc, const AVFrame *f)
{
	AVChannelLayout out;

	if (tc->swr != NULL && tc->in_rate == f->sample_rate)
		return 0;
	swr_free(&tc->swr);
	av_channel_layout_default(&out, tc->channels);
	if (swr_alloc_set_opts2(&tc->swr, &out, AV_SAMPLE_FMT_FLT, OPUS_RATE,
	        (AVChannelLayout *)&f->ch_layout,
	        (enum AVSampleFormat)f->format, f->sample_rate, 0, NULL) < 0 ||
	    swr_init(tc->swr) < 0) {
		swr_free(&tc->swr);
		return -1;
	}
	tc->in_rate = f->sample_rate;
	return 0;
}

static void
audio_encode(struct audio_tc *tc)
{
	unsigned char pkt[OPUS_PACKET_MAX];
	opus_int32 n;

	while (tc->nfifo >= OPUS_FRAME) {
		n = opus_encode_float(
		    tc->enc, tc->fifo, OPUS_FRAME, pkt, sizeof(pkt));
		if (n > 0)
			tc->out(pkt, (size_t)n, tc->fifo_pts, tc->arg);
		tc->nfifo -= OPUS_FRAME;
		memmove(tc->fifo, tc->fifo + OPUS_FRAME * tc->channels,
		    sizeof(float) * (size_t)tc->nfifo * (size_t)tc->channels);
		tc->fifo_pts += OPUS_FRAME;
	}
}

void
audio_tc_feed(struct audio_tc *tc, const uint8_t *p, size_t len, uint32_t ts)
{
	uint64_t t0 = audio_thread_us();
	uint8_t *outp;
	int got, room;

	if (len == 0 || len > 8192)
		return;
	/* a jump in the publisher's clock: start the Opus clock again */
	if (!tc->started || (int64_t)ts - tc->next_in_ms > RESYNC_MS ||
	    tc->next_in_ms - (int64_t)ts > RESYNC_MS) {
		tc->nfifo = 0;
		tc->fifo_pts = (uint64_t)ts * 48;
		tc->started = 1;
	}
	if (av_new_packet(tc->pkt, (int)len) < 0)
		return;
	memcpy(tc->pkt->data, p, len);
	if (avcodec_send_packet(tc->dec, tc->pkt) < 0) {
		av_packet_unref(tc->pkt);
		goto out;
	}
	av_packet_unref(tc->pkt);
	while (avcodec_receive_frame(tc->dec, tc->frame) == 0) {
		if (tc->frame->sample_rate > 0)
			tc->next_in_ms = (int64_t)ts +
			    (int64_t)tc->frame->nb_samples * 1000 /
			        tc->frame->sample_rate;
		if (audio_swr(tc, tc->frame) == -1) {
			av_frame_unref(tc->frame);
			continue;
		}
		room = FIFO_MAX - tc->nfifo;
		outp = (uint8_t *)(tc->fifo + tc->nfifo * tc->channels);
		got = swr_convert(tc->swr, &outp, room,
		    (const uint8_t **)tc->frame->extended_data,
		    tc->frame->nb_samples);
		if (got > 0)
			tc->nfifo += got;
		av_frame_unref(tc->frame);
		audio_encode(tc);
	}
out:
	tc->cpu_us += audio_thread_us() - t0;
}
