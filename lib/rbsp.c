/*
 * A bit reader over a NAL unit's payload (RBSP) with its emulation
 * prevention bytes taken out: what the SPS readers of avinfo.c and
 * ingestd's nal.c share.  Reads past the end give 0 and set overrun.
 */
#include <string.h>

#include "rbsp.h"

int
rbsp_init(struct rbsp *b, const uint8_t *nal, size_t len, size_t skip)
{
	size_t i, zeros = 0;

	b->len = b->pos = 0;
	b->overrun = 0;
	for (i = skip; i < len; i++) {
		if (zeros >= 2 && nal[i] == 3) {
			zeros = 0;
			continue;
		}
		if (b->len >= sizeof(b->rbsp))
			return -1;
		b->rbsp[b->len++] = nal[i];
		zeros = nal[i] == 0 ? zeros + 1 : 0;
	}
	return 0;
}

uint32_t
rbsp_get(struct rbsp *b, int n)
{
	uint32_t v = 0;

	while (n-- > 0) {
		if (b->pos >= b->len * 8) {
			b->overrun = 1;
			return 0;
		}
		v = v << 1 | ((b->rbsp[b->pos / 8] >> (7 - b->pos % 8)) & 1);
		b->pos++;
	}
	return v;
}

void
rbsp_skip(struct rbsp *b, size_t n)
{
	if (b->pos + n > b->len * 8) {
		b->overrun = 1;
		b->pos = b->len * 8;
	} else
		b->pos += n;
}

/* Exp-Golomb ue(v); anything longer than 31 bits is corrupt here. */
uint32_t
rbsp_ue(struct rbsp *b)
{
	int zeros = 0;

	while (rbsp_get(b, 1) == 0) {
		if (b->overrun || ++zeros > 31) {
			b->overrun = 1;
			return 0;
		}
	}
	if (zeros == 0)
		return 0;
	return ((1u << zeros) - 1) + rbsp_get(b, zeros);
}

int32_t
rbsp_se(struct rbsp *b)
{
	uint32_t v = rbsp_ue(b);

	return v & 1 ? (int32_t)((v + 1) / 2) : -(int32_t)(v / 2);
}
