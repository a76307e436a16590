/*
 * rbsp.c: reading a NAL unit's payload bit by bit, as H.264 and HEVC
 * parameter sets are written (ue(v), se(v)), bounded by RBSP_MAX.
 */
#ifndef RBSP_H
#define RBSP_H

#include <stddef.h>
#include <stdint.h>

#define RBSP_MAX 1024 /* a parameter set is tens of bytes; more is not one */

struct rbsp {
	uint8_t rbsp[RBSP_MAX];
	size_t len, pos; /* bytes, bits */
	int overrun; /* a read went past the end */
};

/* The payload of nal from byte skip on; -1 if longer than RBSP_MAX. */
int rbsp_init(struct rbsp *, const uint8_t *nal, size_t len, size_t skip);
uint32_t rbsp_get(struct rbsp *, int n); /* n <= 32 bits */
void rbsp_skip(struct rbsp *, size_t n);
uint32_t rbsp_ue(struct rbsp *);
int32_t rbsp_se(struct rbsp *);

#endif
