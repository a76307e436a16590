/*
 * RTCP (RFC 3550, RFC 4585, RFC 5104): the compound packets viewers send
 * (receiver reports, generic NACK, PLI, FIR, BYE) are read into a struct
 * rtcp_info; we write sender reports with a CNAME, and BYE.  Every
 * length is checked against the datagram before it is used.
 */
#include <string.h>
#include <time.h>

#include "flv.h"
#include "rtcd.h"

#define RTCP_SR 200
#define RTCP_RR 201
#define RTCP_SDES 202
#define RTCP_BYE 203
#define RTCP_RTPFB 205
#define RTCP_PSFB 206
#define FMT_NACK 1
#define FMT_PLI 1
#define FMT_FIR 4

int
rtcp_is(const uint8_t *p, size_t len)
{
	return len >= 8 && (p[0] & 0xc0) == 0x80 && p[1] >= 192 && p[1] <= 223;
}

static void
rtcp_blocks(const uint8_t *p, int count, struct rtcp_info *info)
{
	struct rtcp_report *r;
	int i;

	for (i = 0; i < count; i++, p += 24) {
		if (info->nrr == (int)nitems(info->rr))
			return;
		r = &info->rr[info->nrr++];
		r->ssrc = be32_read(p);
		r->fraction_lost = p[4];
		/* 24-bit signed */
		r->lost = (int32_t)(be24_read(p + 5) << 8) >> 8;
		r->highest_seq = be32_read(p + 8);
		r->jitter = be32_read(p + 12);
		r->lsr = be32_read(p + 16);
		r->dlsr = be32_read(p + 20);
	}
}

int
rtcp_parse(
    const uint8_t *p, size_t len, struct rtcp_info *info, const char **why)
{
	size_t off = 0, plen, fci;
	int count, type;
	uint32_t media;

	memset(info, 0, sizeof(*info));
	if (len < 4) {
		*why = "shorter than an RTCP header";
		return -1;
	}
	while (off < len) {
		if (len - off < 4) {
			*why = "truncated header";
			return -1;
		}
		if ((p[off] & 0xc0) != 0x80) {
			*why = "not RTP version 2";
			return -1;
		}
		count = p[off] & 0x1f;
		type = p[off + 1];
		plen = ((size_t)be16_read(p + off + 2) + 1) * 4;
		if (plen > len - off) {
			*why = "packet overruns the datagram";
			return -1;
		}
		switch (type) {
		case RTCP_SR:
			if (plen < 28 + (size_t)count * 24) {
				*why = "SR shorter than its blocks";
				return -1;
			}
			rtcp_blocks(p + off + 28, count, info);
			break;
		case RTCP_RR:
			if (plen < 8 + (size_t)count * 24) {
				*why = "RR shorter than its blocks";
				return -1;
			}
			rtcp_blocks(p + off + 8, count, info);
			break;
		case RTCP_BYE:
			info->bye = 1;
			break;
		case RTCP_RTPFB:
			if (plen < 12) {
				*why = "feedback shorter than its header";
				return -1;
			}
			if (count != FMT_NACK)
				break;
			media = be32_read(p + off + 8);
			for (fci = 12; fci + 4 <= plen; fci += 4) {
				uint16_t pid = be16_read(p + off + fci);
				uint16_t blp = be16_read(p + off + fci + 2);
				int b;

				for (b = -1; b < 16; b++) {
					if (b >= 0 && !(blp & (1 << b)))
						continue;
					if (info->nnack == RTCP_NACK_MAX)
						break;
					info->nack_ssrc[info->nnack] = media;
					info->nack[info->nnack++] =
					    (uint16_t)(pid + b + 1);
				}
			}
			break;
		case RTCP_PSFB:
			if (plen < 12) {
				*why = "feedback shorter than its header";
				return -1;
			}
			if (count == FMT_PLI)
				info->pli++;
			else if (count == FMT_FIR)
				info->fir++;
			break;
		default:
			break; /* SDES, APP, XR, transport-cc: not ours */
		}
		off += plen;
	}
	return 0;
}

uint64_t
rtcp_ntp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec + 2208988800ull) << 32 |
	    (uint64_t)(((uint64_t)ts.tv_nsec << 32) / 1000000000ull);
}

size_t
rtcp_sender_report(uint8_t *out, size_t cap, uint32_t ssrc, uint64_t ntp,
    uint32_t rtp_ts, uint32_t packets, uint32_t octets, const char *cname)
{
	size_t clen = strlen(cname), slen;

	if (clen > 255)
		clen = 255;
	/* SDES: header, SSRC, CNAME item, end, padded to 32 bits */
	slen = (8 + 2 + clen + 1 + 3) & ~(size_t)3;
	if (cap < 28 + slen)
		return 0;
	out[0] = 0x80;
	out[1] = RTCP_SR;
	be16_write(out + 2, 6);
	be32_write(out + 4, ssrc);
	be32_write(out + 8, (uint32_t)(ntp >> 32));
	be32_write(out + 12, (uint32_t)ntp);
	be32_write(out + 16, rtp_ts);
	be32_write(out + 20, packets);
	be32_write(out + 24, octets);
	memset(out + 28, 0, slen);
	out[28] = 0x81;
	out[29] = RTCP_SDES;
	be16_write(out + 30, (uint16_t)(slen / 4 - 1));
	be32_write(out + 32, ssrc);
	out[36] = 1; /* CNAME */
	out[37] = (uint8_t)clen;
	memcpy(out + 38, cname, clen);
	return 28 + slen;
}

size_t
rtcp_bye(uint8_t *out, size_t cap, uint32_t ssrc)
{
	if (cap < 8)
		return 0;
	out[0] = 0x81;
	out[1] = RTCP_BYE;
	be16_write(out + 2, 1);
	be32_write(out + 4, ssrc);
	return 8;
}

size_t
rtcp_receiver_report(
    uint8_t *out, size_t cap, uint32_t ssrc, const struct rtcp_report *r)
{
	if (cap < 32)
		return 0;
	out[0] = 0x81;
	out[1] = RTCP_RR;
	be16_write(out + 2, 7);
	be32_write(out + 4, ssrc);
	be32_write(out + 8, r->ssrc);
	out[12] = r->fraction_lost;
	be24_write(out + 13, (uint32_t)r->lost & 0xffffff);
	be32_write(out + 16, r->highest_seq);
	be32_write(out + 20, r->jitter);
	be32_write(out + 24, r->lsr);
	be32_write(out + 28, r->dlsr);
	return 32;
}

size_t
rtcp_nack(uint8_t *out, size_t cap, uint32_t sender, uint32_t media,
    const uint16_t *seqs, int n)
{
	size_t len = 12 + (size_t)n * 4;
	int i;

	if (n < 1 || cap < len)
		return 0;
	out[0] = 0x80 | FMT_NACK;
	out[1] = RTCP_RTPFB;
	be16_write(out + 2, (uint16_t)(len / 4 - 1));
	be32_write(out + 4, sender);
	be32_write(out + 8, media);
	for (i = 0; i < n; i++) {
		be16_write(out + 12 + i * 4, seqs[i]);
		be16_write(out + 14 + i * 4, 0);
	}
	return len;
}
