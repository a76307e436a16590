/*
 * A publisher's bitrate over a sliding window, and the rule that holds it to
 * its stream's max_bitrate: above max_bitrate plus a margin it is warned at
 * once, and disconnected once it has stayed above for the grace time; back
 * under, the count starts again.  A stream is judged only on full windows,
 * so the first keyframe's burst is never mistaken for the rate.  Pure: fed
 * byte counts and the clock, so it is unit-tested without a peer.
 */
#include <string.h>

#include "ingestd.h"

void
bitrate_init(struct bitrate *b, uint64_t max_kbps,
    const struct bitrate_rule *rule, uint64_t now_ms)
{
	memset(b, 0, sizeof(*b));
	b->max_kbps = max_kbps;
	bitrate_set_rule(b, rule);
	b->start_ms = now_ms;
	b->slot_s = now_ms / 1000;
}

void
bitrate_set_rule(struct bitrate *b, const struct bitrate_rule *rule)
{
	b->rule = *rule;
	/* the window is whole seconds of the ring of counts, never more */
	if (b->rule.window_s < 1)
		b->rule.window_s = 1;
	if (b->rule.window_s > BITRATE_SLOTS - 1)
		b->rule.window_s = BITRATE_SLOTS - 1;
}

/* Moves the window to the second of now, emptying the seconds passed. */
static void
bitrate_advance(struct bitrate *b, uint64_t now_ms)
{
	uint64_t sec = now_ms / 1000;

	if (sec <= b->slot_s)
		return;
	if (sec - b->slot_s >= BITRATE_SLOTS)
		memset(b->bytes, 0, sizeof(b->bytes));
	else
		while (b->slot_s < sec)
			b->bytes[++b->slot_s % BITRATE_SLOTS] = 0;
	b->slot_s = sec;
}

void
bitrate_add(struct bitrate *b, uint64_t bytes, uint64_t now_ms)
{
	bitrate_advance(b, now_ms);
	b->bytes[b->slot_s % BITRATE_SLOTS] += bytes;
}

uint64_t
bitrate_kbps(struct bitrate *b, uint64_t now_ms)
{
	uint64_t sum = 0;
	unsigned i, w = b->rule.window_s;

	bitrate_advance(b, now_ms);
	/* the last w whole seconds, not the one under way */
	for (i = 1; i <= w; i++)
		sum += b->bytes[(b->slot_s - i) % BITRATE_SLOTS];
	return sum * 8 / 1000 / w;
}

enum bitrate_verdict
bitrate_check(struct bitrate *b, uint64_t now_ms)
{
	uint64_t limit;

	/* a whole window of whole seconds first */
	if (b->max_kbps == 0 ||
	    now_ms / 1000 < b->start_ms / 1000 + 1 + b->rule.window_s)
		return BITRATE_OK;
	b->kbps = bitrate_kbps(b, now_ms);
	limit = b->max_kbps * (100 + b->rule.margin_pct) / 100;
	if (b->kbps <= limit) {
		if (b->over_since_ms == 0)
			return BITRATE_OK;
		b->over_since_ms = 0;
		return BITRATE_BACK_UNDER;
	}
	if (b->over_since_ms == 0) {
		b->over_since_ms = now_ms;
		return BITRATE_WARN;
	}
	if (b->rule.grace_s > 0 &&
	    now_ms - b->over_since_ms >= (uint64_t)b->rule.grace_s * 1000)
		return BITRATE_KICK;
	return BITRATE_OVER;
}
