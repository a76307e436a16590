/*
 * How long a failing destination waits before its next attempt: from
 * FWDD_RETRY_MIN_MS, doubling with each failure in a row up to
 * forward_retry_max, then anywhere in the upper half of that, so that the
 * destinations of a server that went away do not all knock again in the
 * same instant when it comes back.
 */
#include <stdint.h>
#include <stdlib.h>

#include "fwdd.h"

uint64_t
backoff_delay_ms(int failures, uint64_t max_ms)
{
	uint64_t delay = FWDD_RETRY_MIN_MS;
	int k;

	for (k = 1; k < failures && delay < max_ms; k++)
		delay *= 2;
	if (delay > max_ms)
		delay = max_ms;
	return delay / 2 + arc4random_uniform((uint32_t)(delay / 2) + 1);
}
