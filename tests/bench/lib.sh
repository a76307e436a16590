# shellcheck shell=sh
# What run.sh and serve.sh share: free ports and the servers' bench
# configurations.  Sourced.

# free_port [ADDRESS [udp]]: a port free on ADDRESS (127.0.0.1) now
free_port() {
	perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(LocalAddr => $ARGV[0],
		    LocalPort => 0, Proto => $ARGV[1]) or die "$ARGV[0]: $!\n";
		print $s->sockport, "\n";' "${1:-127.0.0.1}" "${2:-tcp}"
}

# nyon_conf DIR ADDRESS RTMP_PORT FLV_PORT: Nyon's bench configuration,
# rundir and statedir under DIR, the media listeners on ADDRESS; no
# authentication, and the per-address limits raised for one client
# machine that is every viewer.
nyon_conf() {
	mkdir -p "$1/run" "$1/state"
	cat <<NYONCONF
rundir = $1/run
statedir = $1/state
rtmp_listen = $2:$3
flv_listen = $2:$4
api_listen = 127.0.0.1:$(free_port)
srt_listen = $2:$(free_port "$2" udp)
auth = none
log_level = info
max_viewers = 2000
max_viewers_per_stream = 2000
max_viewers_per_address = 5000
max_idle_per_address = 5000
max_requests = 5000
NYONCONF
}

# srs_conf RTMP_PORT FLV_PORT DIR: SRS 6's low-latency configuration
# (realtime.conf: min_latency, mw_latency 100) with HTTP-FLV remux, its log
# and pid in DIR.  Nothing of SRS is part of Nyon: the benches only speak
# RTMP in and HTTP-FLV out to it.
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
