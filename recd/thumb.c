/*
 * Thumbnails: a keyframe decoded with libavcodec and written as a JPEG
 * with libturbojpeg, on a thread of its own so that the rings are read on
 * time whatever the decoder costs.  The work is bounded: one job at a
 * time, taken only when the thread is idle (a busy box makes decodes slow,
 * and then the next ones are skipped), one per stream per
 * thumbnail_interval, and each job's decoder lives only for that frame.
 * A live stream's picture goes to recordings_dir/.live/NAME.jpg, a
 * recording's beside it as FILE.jpg; both are written to a temporary name
 * and renamed, so a reader never sees half a JPEG.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
#include <turbojpeg.h>

#include "recd.h"

#define THUMB_QUALITY 80
#define THUMB_FRAME_MAX (8 * 1024 * 1024)

struct thumb_job {
	int hevc;
	uint8_t config[MP4_CONFIG_MAX];
	size_t config_len;
	uint8_t *frame;
	size_t frame_len;
	char live[1024]; /* .live/NAME.jpg */
	char rec[1024]; /* FILE.jpg, or "" */
	char stream[STREAM_NAME_SZ];
};

static struct {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct thumb_job job;
	int busy, stop, running;
} thumb;

/* Writes data to path through path.tmp and a rename. */
static int
thumb_save(const char *path, const uint8_t *data, size_t len)
{
	char tmp[1200];
	ssize_t n;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) ==
	    -1)
		return -1;
	while (len > 0) {
		if ((n = write(fd, data, len)) == -1) {
			if (errno == EINTR)
				continue;
			close(fd);
			unlink(tmp);
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* One decoded picture as 4:2:0 planes, converted if it is not. */
static int
thumb_encode(AVFrame *f, unsigned char **jpeg, unsigned long *jlen)
{
	const unsigned char *planes[3];
	int strides[3], r = -1;
	uint8_t *conv[4] = {NULL};
	int cstride[4];
	struct SwsContext *sws = NULL;
	tjhandle tj;

	if ((tj = tjInitCompress()) == NULL)
		return -1;
	if (f->format == AV_PIX_FMT_YUV420P ||
	    f->format == AV_PIX_FMT_YUVJ420P) {
		planes[0] = f->data[0];
		planes[1] = f->data[1];
		planes[2] = f->data[2];
		strides[0] = f->linesize[0];
		strides[1] = f->linesize[1];
		strides[2] = f->linesize[2];
	} else {
		/* 10-bit, 4:2:2 and the like: to 8-bit 4:2:0 first */
		if ((sws = sws_getContext(f->width, f->height, f->format,
		         f->width, f->height, AV_PIX_FMT_YUV420P, SWS_BILINEAR,
		         NULL, NULL, NULL)) == NULL ||
		    av_image_alloc(conv, cstride, f->width, f->height,
		        AV_PIX_FMT_YUV420P, 32) < 0)
			goto out;
		sws_scale(sws, (const uint8_t *const *)f->data, f->linesize, 0,
		    f->height, conv, cstride);
		planes[0] = conv[0];
		planes[1] = conv[1];
		planes[2] = conv[2];
		strides[0] = cstride[0];
		strides[1] = cstride[1];
		strides[2] = cstride[2];
	}
	if (tjCompressFromYUVPlanes(tj, planes, f->width, strides, f->height,
	        TJSAMP_420, jpeg, jlen, THUMB_QUALITY, TJFLAG_FASTDCT) == 0)
		r = 0;
out:
	if (sws != NULL)
		sws_freeContext(sws);
	if (conv[0] != NULL)
		av_freep(&conv[0]);
	tjDestroy(tj);
	return r;
}

static void
thumb_run(struct thumb_job *j)
{
	const AVCodec *codec;
	AVCodecContext *ctx = NULL;
	AVPacket *pkt = NULL;
	AVFrame *frame = NULL;
	unsigned char *jpeg = NULL;
	unsigned long jlen = 0;
	int r;

	codec =
	    avcodec_find_decoder(j->hevc ? AV_CODEC_ID_HEVC : AV_CODEC_ID_H264);
	if (codec == NULL || (ctx = avcodec_alloc_context3(codec)) == NULL ||
	    (pkt = av_packet_alloc()) == NULL ||
	    (frame = av_frame_alloc()) == NULL) {
		log_warnx("stream %s: thumbnail: no %s decoder", j->stream,
		    j->hevc ? "HEVC" : "H.264");
		goto out;
	}
	ctx->thread_count = 1;
	ctx->extradata =
	    av_mallocz(j->config_len + AV_INPUT_BUFFER_PADDING_SIZE);
	if (ctx->extradata == NULL)
		goto out;
	memcpy(ctx->extradata, j->config, j->config_len);
	ctx->extradata_size = (int)j->config_len;
	if (avcodec_open2(ctx, codec, NULL) < 0) {
		log_warnx("stream %s: thumbnail: the decoder refused the "
		          "stream's configuration",
		    j->stream);
		goto out;
	}
	if (av_new_packet(pkt, (int)j->frame_len) < 0)
		goto out;
	memcpy(pkt->data, j->frame, j->frame_len);
	pkt->flags |= AV_PKT_FLAG_KEY;
	r = avcodec_send_packet(ctx, pkt);
	if (r >= 0)
		avcodec_send_packet(ctx, NULL); /* a keyframe alone: drain */
	r = r < 0 ? r : avcodec_receive_frame(ctx, frame);
	if (r < 0 || frame->width <= 0 || frame->height <= 0) {
		log_warnx("stream %s: thumbnail: the keyframe did not decode",
		    j->stream);
		goto out;
	}
	if (thumb_encode(frame, &jpeg, &jlen) == -1) {
		log_warnx(
		    "stream %s: thumbnail: JPEG encoding failed", j->stream);
		goto out;
	}
	if (thumb_save(j->live, jpeg, jlen) == -1)
		log_warn("thumbnail %s", j->live);
	if (j->rec[0] != '\0' && thumb_save(j->rec, jpeg, jlen) == -1)
		log_warn("thumbnail %s", j->rec);
out:
	tjFree(jpeg);
	av_frame_free(&frame);
	av_packet_free(&pkt);
	avcodec_free_context(&ctx);
}

static void *
thumb_main(void *arg)
{
	pthread_mutex_lock(&thumb.mu);
	for (;;) {
		while (!thumb.busy && !thumb.stop)
			pthread_cond_wait(&thumb.cv, &thumb.mu);
		if (thumb.stop)
			break;
		pthread_mutex_unlock(&thumb.mu);
		thumb_run(&thumb.job);
		free(thumb.job.frame);
		thumb.job.frame = NULL;
		pthread_mutex_lock(&thumb.mu);
		thumb.busy = 0;
	}
	pthread_mutex_unlock(&thumb.mu);
	return NULL;
}

int
thumb_offer(
    struct rstream *s, const uint8_t *frame, size_t len, const char *file)
{
	struct thumb_job *j = &thumb.job;
	size_t n;
	int busy;

	if (!thumb.running || !s->has_video || len > THUMB_FRAME_MAX)
		return 0;
	pthread_mutex_lock(&thumb.mu);
	busy = thumb.busy;
	pthread_mutex_unlock(&thumb.mu);
	if (busy) {
		recd->thumbs_skipped++;
		return 0;
	}
	/* the thread is idle and waits for busy: the job is ours to fill */
	j->hevc = s->video.fourcc == MP4_FOURCC('h', 'v', 'c', '1');
	memcpy(j->config, s->video.config, s->video.config_len);
	j->config_len = s->video.config_len;
	j->frame = xmalloc(len);
	memcpy(j->frame, frame, len);
	j->frame_len = len;
	memcpy(j->stream, s->name, strlen(s->name) + 1);
	snprintf(j->live, sizeof(j->live), "%s/%s/%s.jpg", recd->dir,
	    RECD_LIVE_DIR, s->name);
	j->rec[0] = '\0';
	if (file != NULL) {
		strlcpy(j->rec, file, sizeof(j->rec));
		if ((n = strlen(j->rec)) > 4 &&
		    strcmp(j->rec + n - 4, ".mp4") == 0)
			memcpy(j->rec + n - 4, ".jpg", 5);
		else
			j->rec[0] = '\0';
	}
	pthread_mutex_lock(&thumb.mu);
	thumb.busy = 1;
	pthread_cond_signal(&thumb.cv);
	pthread_mutex_unlock(&thumb.mu);
	recd->thumbs++;
	return 1;
}

void
thumb_start(void)
{
	char live[1024];

	snprintf(live, sizeof(live), "%s/%s", recd->dir, RECD_LIVE_DIR);
	if (mkdir(live, 0755) == -1 && errno != EEXIST)
		fatal("%s", live);
	av_log_set_level(AV_LOG_QUIET);
	pthread_mutex_init(&thumb.mu, NULL);
	pthread_cond_init(&thumb.cv, NULL);
	if (pthread_create(&thumb.thread, NULL, thumb_main, NULL) != 0)
		fatalx("pthread_create");
	thumb.running = 1;
}

void
thumb_stop(void)
{
	if (!thumb.running)
		return;
	pthread_mutex_lock(&thumb.mu);
	thumb.stop = 1;
	pthread_cond_signal(&thumb.cv);
	pthread_mutex_unlock(&thumb.mu);
	pthread_join(thumb.thread, NULL);
	free(thumb.job.frame);
	thumb.running = 0;
}
