/*
 * Reading recordings back: the tracks and duration in a file's moov, and
 * the times of its fragments, so recd can list a file and repair one a
 * crash cut short.  A file on disk is not trusted more than the network
 * (a disk fills, a card corrupts): every read is bounded.  No I/O.
 */
#include <stdio.h>
#include <string.h>

#include "flv.h"
#include "mp4.h"

#define SCAN_MOOV_MAX (1024 * 1024) /* our moov is a few hundred bytes */
#define SCAN_DEPTH_MAX 8

static uint64_t
be64_read(const uint8_t *p)
{
	return (uint64_t)be32_read(p) << 32 | be32_read(p + 4);
}

int
mp4scan_box(const uint8_t *buf, size_t len, uint32_t *type, uint64_t *size,
    size_t *hdrlen)
{
	if (len < 8)
		return -1;
	*size = be32_read(buf);
	*type = be32_read(buf + 4);
	*hdrlen = 8;
	if (*size == 1) {
		if (len < 16)
			return -1;
		*size = be64_read(buf + 8);
		*hdrlen = 16;
	}
	/* 0 ("to the end of the file") is never ours */
	if (*size < *hdrlen)
		return -1;
	return 0;
}

/* The next child box within [*off, len): its type and body. */
static int
scan_child(const uint8_t *buf, size_t len, size_t *off, uint32_t *type,
    const uint8_t **body, size_t *bodylen)
{
	uint64_t size;
	size_t hdr;

	if (*off >= len)
		return 0;
	if (mp4scan_box(buf + *off, len - *off, type, &size, &hdr) == -1 ||
	    size > len - *off)
		return -1;
	*body = buf + *off + hdr;
	*bodylen = (size_t)size - hdr;
	*off += (size_t)size;
	return 1;
}

/* The body of the first child of this type, or NULL. */
static const uint8_t *
scan_find(const uint8_t *buf, size_t len, uint32_t want, size_t *bodylen)
{
	const uint8_t *body;
	size_t off = 0;
	uint32_t type;

	while (scan_child(buf, len, &off, &type, &body, bodylen) == 1)
		if (type == want)
			return body;
	return NULL;
}

#define T(a, b, c, d) MP4_FOURCC(a, b, c, d)

/* The audio object type in an esds: ES_Descriptor > DecoderConfig > DSI. */
static int
scan_esds_aot(const uint8_t *p, size_t len)
{
	size_t off = 4, dlen;
	int tag, i, depth;

	for (depth = 0; depth < 3; depth++) {
		if (off >= len)
			return -1;
		tag = p[off++];
		for (dlen = 0, i = 0; i < 4; i++) {
			if (off >= len)
				return -1;
			dlen = dlen << 7 | (p[off] & 0x7f);
			if (!(p[off++] & 0x80))
				break;
		}
		if (dlen > len - off)
			return -1;
		if (tag == 0x03)
			off += 3; /* ES_ID, flags (none set in ours) */
		else if (tag == 0x04)
			off += 13;
		else if (tag == 0x05)
			return off < len ? p[off] >> 3 : -1;
		else
			return -1;
	}
	return -1;
}

static void
scan_stsd(const uint8_t *p, size_t len, struct mp4scan_track *t)
{
	const uint8_t *e, *c;
	size_t off = 8, elen, clen;
	uint32_t type;
	int aot;

	if (len < 8 || scan_child(p, len, &off, &type, &e, &elen) != 1)
		return;
	t->fourcc = type;
	snprintf(t->codecs, sizeof(t->codecs), "%c%c%c%c", type >> 24,
	    (type >> 16) & 0xff, (type >> 8) & 0xff, type & 0xff);
	if ((type == T('a', 'v', 'c', '1') || type == T('h', 'v', 'c', '1')) &&
	    elen >= 78) {
		t->width = be16_read(e + 24);
		t->height = be16_read(e + 26);
		c = scan_find(e + 78, elen - 78, T('a', 'v', 'c', 'C'), &clen);
		if (c != NULL && clen >= 4)
			snprintf(t->codecs, sizeof(t->codecs),
			    "avc1.%02x%02x%02x", c[1], c[2], c[3]);
	} else if (type == T('m', 'p', '4', 'a') && elen >= 28) {
		c = scan_find(e + 28, elen - 28, T('e', 's', 'd', 's'), &clen);
		if (c != NULL && (aot = scan_esds_aot(c, clen)) > 0)
			snprintf(
			    t->codecs, sizeof(t->codecs), "mp4a.40.%d", aot);
	}
}

static int
scan_trak(const uint8_t *p, size_t len, struct mp4scan_track *t)
{
	const uint8_t *b, *mdia, *minf, *stbl;
	size_t blen, mlen, ilen, slen;

	memset(t, 0, sizeof(*t));
	if ((b = scan_find(p, len, T('t', 'k', 'h', 'd'), &blen)) == NULL ||
	    blen < 4 || blen < (b[0] == 1 ? 24u : 16u))
		return -1;
	t->id = be32_read(b + (b[0] == 1 ? 20 : 12));
	if ((mdia = scan_find(p, len, T('m', 'd', 'i', 'a'), &mlen)) == NULL ||
	    (b = scan_find(mdia, mlen, T('m', 'd', 'h', 'd'), &blen)) == NULL ||
	    blen < 4 || blen < (b[0] == 1 ? 24u : 16u))
		return -1;
	t->timescale = be32_read(b + (b[0] == 1 ? 20 : 12));
	if (t->timescale == 0 || t->id == 0)
		return -1;
	if ((minf = scan_find(mdia, mlen, T('m', 'i', 'n', 'f'), &ilen)) !=
	        NULL &&
	    (stbl = scan_find(minf, ilen, T('s', 't', 'b', 'l'), &slen)) !=
	        NULL &&
	    (b = scan_find(stbl, slen, T('s', 't', 's', 'd'), &blen)) != NULL)
		scan_stsd(b, blen, t);
	return 0;
}

int
mp4scan_init(const uint8_t *buf, size_t len, struct mp4scan *s, size_t *need,
    const char **why)
{
	const uint8_t *body, *mvhd;
	size_t off = 0, blen, mlen, hdr;
	uint32_t type, ts;
	uint64_t size, dur;
	int64_t created;
	int seen_ftyp = 0;

	memset(s, 0, sizeof(*s));
	*need = 0;
	for (;;) {
		if (off > len || len - off < 16) {
			*need = off + 16;
			return 1;
		}
		if (mp4scan_box(buf + off, len - off, &type, &size, &hdr) ==
		    -1) {
			*why = "not an MP4 box";
			return -1;
		}
		if (type == T('f', 't', 'y', 'p') && off == 0) {
			seen_ftyp = 1;
		} else if (type == T('m', 'o', 'o', 'v') && seen_ftyp)
			break;
		else {
			*why = "not a recording: no ftyp and moov";
			return -1;
		}
		if (size > SCAN_MOOV_MAX) {
			*why = "ftyp too large";
			return -1;
		}
		off += (size_t)size;
	}
	if (size > SCAN_MOOV_MAX) {
		*why = "moov too large";
		return -1;
	}
	if (size > len - off) {
		*need = off + (size_t)size;
		return 1;
	}
	body = buf + off + hdr;
	blen = (size_t)size - hdr;
	s->init_len = off + size;
	if ((mvhd = scan_find(body, blen, T('m', 'v', 'h', 'd'), &mlen)) ==
	        NULL ||
	    mlen < 4 || mlen < (mvhd[0] == 1 ? 32u : 20u)) {
		*why = "moov without mvhd";
		return -1;
	}
	if (mvhd[0] == 1) {
		created = (int64_t)be64_read(mvhd + 4);
		ts = be32_read(mvhd + 20);
		dur = be64_read(mvhd + 24);
	} else {
		created = be32_read(mvhd + 4);
		ts = be32_read(mvhd + 12);
		dur = be32_read(mvhd + 16);
	}
	/* seconds since 1904; nonsense reads as 0 */
	s->created = created >= 2082844800LL && created < (1LL << 40)
	    ? created - 2082844800LL
	    : 0;
	s->duration_ms =
	    ts > 0 && dur < UINT64_MAX / 1000 ? dur * 1000 / ts : 0;
	off = 0;
	while (scan_child(body, blen, &off, &type, &mvhd, &mlen) == 1) {
		if (type != T('t', 'r', 'a', 'k') ||
		    s->ntracks == MP4SCAN_TRACKS)
			continue;
		if (scan_trak(mvhd, mlen, &s->track[s->ntracks]) == 0)
			s->ntracks++;
	}
	if (s->ntracks == 0) {
		*why = "no tracks";
		return -1;
	}
	return 0;
}

static int
scan_track_index(const struct mp4scan *s, uint32_t id)
{
	int i;

	for (i = 0; i < s->ntracks; i++)
		if (s->track[i].id == id)
			return i;
	return -1;
}

static int
scan_is_video(const struct mp4scan_track *t)
{
	return t->fourcc == T('a', 'v', 'c', '1') ||
	    t->fourcc == T('h', 'v', 'c', '1');
}

/* One traf: its track, start time, summed durations, first sample's sync. */
static int
scan_traf(const uint8_t *p, size_t len, const struct mp4scan *s,
    struct mp4_frag *f, uint64_t *end_ms)
{
	const uint8_t *b;
	size_t blen, off, i;
	uint32_t tflags, rflags, n, defdur = 0, defflags = 0, sflags;
	uint64_t base, sum = 0, end;
	int idx;

	if ((b = scan_find(p, len, T('t', 'f', 'h', 'd'), &blen)) == NULL ||
	    blen < 8 || (idx = scan_track_index(s, be32_read(b + 4))) == -1)
		return -1;
	tflags = be32_read(b) & 0xffffff;
	off = 8;
	if (tflags & 0x01)
		off += 8;
	if (tflags & 0x02)
		off += 4;
	if (tflags & 0x08) {
		if (blen < off + 4)
			return -1;
		defdur = be32_read(b + off);
		off += 4;
	}
	if (tflags & 0x10)
		off += 4;
	if (tflags & 0x20) {
		if (blen < off + 4)
			return -1;
		defflags = be32_read(b + off);
	}
	if ((b = scan_find(p, len, T('t', 'f', 'd', 't'), &blen)) == NULL ||
	    blen < 4 || blen < (b[0] == 1 ? 12u : 8u))
		return -1;
	base = b[0] == 1 ? be64_read(b + 4) : be32_read(b + 4);
	if ((b = scan_find(p, len, T('t', 'r', 'u', 'n'), &blen)) == NULL ||
	    blen < 8)
		return -1;
	rflags = be32_read(b) & 0xffffff;
	n = be32_read(b + 4);
	off = 8;
	if (rflags & 0x01)
		off += 4;
	sflags = defflags;
	if (rflags & 0x04) {
		if (blen < off + 4)
			return -1;
		sflags = be32_read(b + off);
		off += 4;
	}
	for (i = 0; i < n; i++) {
		if (rflags & 0x100) {
			if (blen < off + 4)
				return -1;
			sum += be32_read(b + off);
			off += 4;
		} else
			sum += defdur;
		if (rflags & 0x200)
			off += 4;
		if (rflags & 0x400) {
			if (blen < off + 4)
				return -1;
			if (i == 0 && !(rflags & 0x04))
				sflags = be32_read(b + off);
			off += 4;
		}
		if (rflags & 0x800)
			off += 4;
		if (off > blen)
			return -1;
	}
	if (idx >= 2 || base > UINT64_MAX / 2 || sum > UINT64_MAX / 4)
		return -1;
	f->has[idx] = 1;
	f->time[idx] = base;
	if (scan_is_video(&s->track[idx]))
		f->sync = n > 0 && !(sflags & 0x00010000);
	end = (base + sum) / s->track[idx].timescale * 1000 +
	    (base + sum) % s->track[idx].timescale * 1000 /
	        s->track[idx].timescale;
	if (end > *end_ms)
		*end_ms = end;
	return 0;
}

int
mp4scan_moof(const uint8_t *buf, size_t len, const struct mp4scan *s,
    struct mp4_frag *f, uint64_t *end_ms)
{
	const uint8_t *body, *traf;
	uint64_t size;
	size_t hdr, blen, off = 0, tlen;
	uint32_t type;
	int ntraf = 0;

	memset(f, 0, sizeof(*f));
	*end_ms = 0;
	if (mp4scan_box(buf, len, &type, &size, &hdr) == -1 ||
	    type != T('m', 'o', 'o', 'f') || size > len)
		return -1;
	body = buf + hdr;
	blen = (size_t)size - hdr;
	while (scan_child(body, blen, &off, &type, &traf, &tlen) == 1) {
		if (type != T('t', 'r', 'a', 'f'))
			continue;
		if (scan_traf(traf, tlen, s, f, end_ms) == -1)
			return -1;
		ntraf++;
	}
	return ntraf > 0 ? 0 : -1;
}

static size_t
scan_patch(struct mp4_patch *p, uint64_t off, uint64_t v, int wide)
{
	int i;

	p->offset = off;
	p->len = wide ? 8 : 4;
	for (i = 0; i < (int)p->len; i++)
		p->bytes[i] = (uint8_t)(v >> (8 * (p->len - 1 - i)));
	return 1;
}

size_t
mp4scan_patches(const uint8_t *buf, size_t len, const struct mp4scan *s,
    uint64_t dur_ms, struct mp4_patch *p, size_t max)
{
	const uint8_t *moov, *b, *trak, *mdia, *mvex;
	size_t mlen, blen, off = 0, toff, tlen, dlen, xlen, n = 0;
	uint32_t type, ts = 1000;
	uint64_t size;
	size_t hdr;

	if (s->init_len > len)
		return 0;
	/* moov is the box that ends at init_len, after ftyp */
	if (mp4scan_box(buf, len, &type, &size, &hdr) == -1 || size >= len)
		return 0;
	off = (size_t)size;
	if (mp4scan_box(buf + off, len - off, &type, &size, &hdr) == -1 ||
	    type != T('m', 'o', 'o', 'v') || off + size != s->init_len)
		return 0;
	moov = buf + off + hdr;
	mlen = (size_t)size - hdr;
#define AT(ptr) ((uint64_t)((ptr)-buf))
	if (n < max &&
	    (b = scan_find(moov, mlen, T('m', 'v', 'h', 'd'), &blen)) != NULL &&
	    blen >= 32 && b[0] == 1) {
		ts = be32_read(b + 20);
		n += scan_patch(
		    &p[n], AT(b + 24), ts ? dur_ms * ts / 1000 : 0, 1);
	}
	if (n < max &&
	    (mvex = scan_find(moov, mlen, T('m', 'v', 'e', 'x'), &xlen)) !=
	        NULL &&
	    (b = scan_find(mvex, xlen, T('m', 'e', 'h', 'd'), &blen)) != NULL &&
	    blen >= 12 && b[0] == 1)
		n += scan_patch(
		    &p[n], AT(b + 4), ts ? dur_ms * ts / 1000 : 0, 1);
	toff = 0;
	while (n + 2 <= max &&
	    scan_child(moov, mlen, &toff, &type, &trak, &tlen) == 1) {
		if (type != T('t', 'r', 'a', 'k'))
			continue;
		if ((b = scan_find(trak, tlen, T('t', 'k', 'h', 'd'), &blen)) !=
		        NULL &&
		    blen >= 36 && b[0] == 1)
			n += scan_patch(
			    &p[n], AT(b + 28), ts ? dur_ms * ts / 1000 : 0, 1);
		if ((mdia = scan_find(
		         trak, tlen, T('m', 'd', 'i', 'a'), &dlen)) != NULL &&
		    (b = scan_find(mdia, dlen, T('m', 'd', 'h', 'd'), &blen)) !=
		        NULL &&
		    blen >= 32 && b[0] == 1)
			n += scan_patch(&p[n], AT(b + 24),
			    dur_ms * be32_read(b + 20) / 1000, 1);
	}
#undef AT
	return n;
}
