/*
 * RTP packets and H.264 payloads (RFC 3550, RFC 6184 packetization-mode
 * 1).  A frame arrives from FLV as AVCC, NAL units each behind a length;
 * it leaves as single NAL unit packets, FU-A fragments of the larger
 * ones, and before a keyframe one STAP-A holding the SPS and PPS, so a
 * viewer can start at any keyframe.  Latency first: a frame is cut into
 * packets as soon as its tag arrives, nothing is held back.
 */
#include <string.h>

#include "flv.h"
#include "rtcd.h"

#define NAL_STAP_A 24
#define NAL_FU_A 28

void
rtp_header(
    uint8_t *out, int pt, int marker, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
	out[0] = 0x80;
	out[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
	be16_write(out + 2, seq);
	be32_write(out + 4, ts);
	be32_write(out + 8, ssrc);
}

/*
 * The one extension goes in RFC 8285's one-byte form: 0xBEDE, the length
 * in words, then ID (4 bits), length - 1 (4 bits) and the data, here
 * playout-delay's 12-bit minimum and maximum.  An RTX packet is the
 * original with the RTX payload type, SSRC and its own sequence number,
 * the original sequence number before the payload.
 */
size_t
rtp_rewrite(uint8_t *out, size_t cap, const uint8_t *p, size_t len,
    const struct rtp_out *o)
{
	size_t off = RTP_HEADER;

	if (len < RTP_HEADER || p[0] != 0x80 || len + RTP_EXTRA_MAX > cap)
		return 0;
	memcpy(out, p, RTP_HEADER);
	out[1] = (uint8_t)((p[1] & 0x80) | (o->pt & 0x7f));
	be32_write(out + 4, o->ts);
	if (o->rtx) {
		be16_write(out + 2, o->rtx_seq);
		be32_write(out + 8, o->rtx_ssrc);
	}
	if (o->playout_id >= 1 && o->playout_id <= 14) {
		unsigned lo = o->playout_min > 0xfff ? 0xfff : o->playout_min;
		unsigned hi = o->playout_max > 0xfff ? 0xfff : o->playout_max;

		out[0] |= 0x10;
		out[off++] = 0xbe;
		out[off++] = 0xde;
		be16_write(out + off, 1);
		off += 2;
		out[off++] = (uint8_t)(o->playout_id << 4 | 2);
		be24_write(out + off, (uint32_t)(lo << 12 | hi));
		off += 3;
	}
	if (o->rtx) {
		memcpy(out + off, p + 2, 2);
		off += 2;
	}
	memcpy(out + off, p + RTP_HEADER, len - RTP_HEADER);
	return off + len - RTP_HEADER;
}

int
rtp_h264_split(const uint8_t *p, size_t len, int lensize, struct rtp_h264 *f)
{
	size_t off = 0, n;
	int i, type;

	f->nnal = 0;
	if (lensize != 1 && lensize != 2 && lensize != 4)
		return -1;
	while (off < len) {
		if (len - off < (size_t)lensize)
			return -1;
		for (n = 0, i = 0; i < lensize; i++)
			n = n << 8 | p[off + i];
		off += (size_t)lensize;
		if (n > len - off)
			return -1;
		if (n == 0)
			continue;
		type = p[off] & 0x1f;
		/* access unit delimiters and filler mean nothing over RTP */
		if (type != 9 && type != 12) {
			if (f->nnal == (int)nitems(f->nal))
				return -1;
			f->nal[f->nnal] = p + off;
			f->nallen[f->nnal] = n;
			f->nnal++;
		}
		off += n;
	}
	return 0;
}

int
rtp_h264_packetize(const struct rtp_h264 *f, const uint8_t *sps, size_t spslen,
    const uint8_t *pps, size_t ppslen, size_t mtu, rtp_emit emit, void *arg)
{
	uint8_t pkt[RTC_MTU];
	size_t room = mtu - RTP_HEADER, off, n, chunk;
	int i, last, start = 1;

	if (mtu > RTC_MTU || mtu < RTP_HEADER + 64)
		return -1;
	if (sps != NULL && pps != NULL && spslen > 0 && ppslen > 0 &&
	    1 + 2 + spslen + 2 + ppslen <= room) {
		/* STAP-A: F and NRI of the most important unit, type 24 */
		pkt[0] = (uint8_t)((sps[0] & 0xe0) | NAL_STAP_A);
		be16_write(pkt + 1, (uint16_t)spslen);
		memcpy(pkt + 3, sps, spslen);
		be16_write(pkt + 3 + spslen, (uint16_t)ppslen);
		memcpy(pkt + 5 + spslen, pps, ppslen);
		emit(pkt, 5 + spslen + ppslen, f->nnal == 0, start, arg);
		start = 0;
	}
	for (i = 0; i < f->nnal; i++) {
		const uint8_t *nal = f->nal[i];

		n = f->nallen[i];
		if (n == 0)
			return -1;
		last = i == f->nnal - 1;
		if (n <= room) {
			emit(nal, n, last, start, arg);
			start = 0;
			continue;
		}
		/* FU-A: indicator (F, NRI, 28), header (S, E, type) */
		for (off = 1; off < n; off += chunk) {
			chunk = n - off < room - 2 ? n - off : room - 2;
			pkt[0] = (uint8_t)((nal[0] & 0xe0) | NAL_FU_A);
			pkt[1] = (uint8_t)((off == 1 ? 0x80 : 0) |
			    (off + chunk == n ? 0x40 : 0) | (nal[0] & 0x1f));
			memcpy(pkt + 2, nal + off, chunk);
			emit(pkt, chunk + 2, last && off + chunk == n, start,
			    arg);
			start = 0;
		}
	}
	return 0;
}
