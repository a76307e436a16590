/*
 * The store's rows as JSON, one shape shared by nyonctl and the REST API.
 */
#include "nyon.h"
#include "db.h"

void
db_user_json(yajl_gen g, const struct db_user *u)
{
	yajl_gen_map_open(g);
	json_int(g, "id", u->id);
	json_str(g, "username", u->username);
	json_str(g, "email", u->email);
	json_bool(g, "must_change_password", u->must_change_password);
	json_str(g, "created_at", u->created_at);
	yajl_gen_map_close(g);
}

void
db_stream_json_fields(yajl_gen g, const struct db_stream *s, int with_key)
{
	json_int(g, "id", s->id);
	json_str(g, "name", s->name);
	if (with_key)
		json_str(g, "stream_key", s->stream_key);
	json_str(g, "description", s->description);
	json_str(g, "protocol", s->protocol);
	json_bool(g, "is_active", s->is_active);
	json_int(g, "max_bitrate", s->max_bitrate);
	/* record: what happens; record_setting: null follows nyon.conf */
	json_bool(g, "record", s->record < 0 ? db_record_default : s->record);
	if (s->record < 0)
		json_null(g, "record_setting");
	else
		json_bool(g, "record_setting", s->record);
	json_str(g, "created_at", s->created_at);
	json_str(g, "updated_at", s->updated_at);
}

void
db_stream_json(yajl_gen g, const struct db_stream *s, int with_key)
{
	yajl_gen_map_open(g);
	db_stream_json_fields(g, s, with_key);
	yajl_gen_map_close(g);
}

void
db_session_json(yajl_gen g, const struct db_session *s)
{
	yajl_gen_map_open(g);
	json_int(g, "id", s->id);
	json_int(g, "stream_id", s->stream_id);
	json_str(g, "stream_name", s->stream_name);
	json_str(g, "client_id", s->client_id);
	json_str(g, "ip_address", s->ip_address);
	json_str(g, "protocol", s->protocol);
	json_str(g, "started_at", s->started_at);
	json_str(g, "ended_at", s->ended_at[0] != '\0' ? s->ended_at : NULL);
	json_str(
	    g, "end_reason", s->end_reason[0] != '\0' ? s->end_reason : NULL);
	yajl_gen_map_close(g);
}

void
db_config_json(yajl_gen g, const struct db_config *c)
{
	yajl_gen_map_open(g);
	json_str(g, "key", c->key);
	json_str(g, "value", c->value);
	json_str(g, "description", c->description);
	yajl_gen_map_close(g);
}

void
db_stats_json(yajl_gen g, const struct db_stats *s)
{
	yajl_gen_map_open(g);
	json_int(g, "streams_total", s->streams_total);
	json_int(g, "streams_active", s->streams_active);
	json_int(g, "streams_live", s->streams_live);
	json_int(g, "sessions_today", s->sessions_today);
	yajl_gen_map_close(g);
}
