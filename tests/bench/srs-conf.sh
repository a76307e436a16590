# shellcheck shell=sh
# srs_conf RTMP_PORT FLV_PORT DIR: SRS 6's low-latency configuration
# (realtime.conf: min_latency, mw_latency 100) with HTTP-FLV remux, its log
# and pid in DIR; sourced by run.sh and serve.sh.  Nothing of SRS is part
# of Nyon: the benches only speak RTMP in and HTTP-FLV out to it.
srs_conf() {
	cat <<SRSCONF
listen $1;
max_connections 2000;
daemon off;
srs_log_tank file;
srs_log_file $3/srs.log;
pid $3/srs.pid;
http_api { enabled off; }
http_server { enabled on; listen $2; dir $3; }
vhost __defaultVhost__ {
    tcp_nodelay on;
    min_latency on;
    play { gop_cache on; queue_length 10; mw_latency 100; }
    publish { mr off; }
    http_remux { enabled on; mount [vhost]/[app]/[stream].flv; }
}
SRSCONF
}
