/* RTCP compound packets from viewers, after SRTCP: any bytes parsed. */
#include <stdint.h>
#include <stdlib.h>

#include "rtcd.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtcp_info info;
	const char *why;

	rtcp_is(data, size);
	if (rtcp_parse(data, size, &info, &why) == 0 &&
	    (info.nrr > (int)nitems(info.rr) || info.nnack > RTCP_NACK_MAX))
		abort();
	return 0;
}
