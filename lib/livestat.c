/*
 * The live figures of a stream as the daemons give them, in one shape.
 * Each output daemon puts an "output" object in every stream of its
 * status (output_stats_json); authd and nyonctl read them back without
 * knowing which daemon serves which output, so a new output (forwarding)
 * shows up everywhere by sending the same object.
 */
#include <string.h>

#include "nyon.h"

void
output_stats_json(yajl_gen g, const struct output_stats *o)
{
	json_key(g, "output");
	yajl_gen_map_open(g);
	json_str(g, "kind", o->kind);
	json_int(g, "viewers", o->viewers);
	json_int(g, "bytes_out", o->bytes_out);
	json_int(g, "viewers_total", o->viewers_total);
	json_int(g, "skipped", o->skipped);
	json_int(g, "dropped", o->dropped);
	yajl_gen_map_close(g);
}
