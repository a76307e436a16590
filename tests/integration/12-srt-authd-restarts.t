#!/bin/sh
# SRT publishers go through authd like RTMP ones; flvd and ingestd pick
# each other up again after a restart; IPv6 listeners.
. "$(dirname "$0")/lib.sh"

DEFAULT_ADMIN_PASSWORD=admin-secret-1
export DEFAULT_ADMIN_PASSWORD
RTMP_PORT=$(free_port)
FLV_PORT=$(free_port)
if grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null; then
	have_v6=1
	RTMP_LISTEN="127.0.0.1:$RTMP_PORT [::1]:$RTMP_PORT"
	FLV_LISTEN="127.0.0.1:$FLV_PORT [::1]:$FLV_PORT"
fi
write_conf <<CONF
republish_grace = 0
CONF
check "authd starts" start authd
check "ingestd starts" start ingestd
check "flvd starts" start flvd
nyonctl stream add cam1 > /dev/null
nyonctl stream add rtmponly --protocol rtmp > /dev/null
key_of() {
	nyonctl --json stream show "$1" | pyjson 'd["stream_key"]'
}
srt_url() {
	echo "srt://127.0.0.1:$SRT_PORT?streamid=#!::r=live/$1,m=publish"
}
srt_publish() {
	ffmpeg -hide_banner -nostdin -loglevel warning -re \
	    -f lavfi -i testsrc2=size=320x240:rate=25 -f lavfi -i sine \
	    -c:v libx264 -preset ultrafast -tune zerolatency -pix_fmt yuv420p \
	    -g 25 -c:a aac -t "${2:-60}" -pes_payload_size 0 \
	    -f mpegts "$(srt_url "$1")" >> "$tmp/srt.log" 2>&1 &
	srt_pid=$!
	pids="$pids $!"
}

# --- SRT through authd
srt_publish "$(key_of cam1)" 90
check "an SRT publisher with a valid key goes live under the stream's name" wait_live cam1
proto=$(nyonctl --json session list --active | pyjson 'd[0]["protocol"]')
check "its session says srt ($proto)" [ "$proto" = srt ]
srt_publish wrongkey 10
reap $srt_pid 100; rc=$?
check "a wrong key over SRT is refused: ffmpeg gives up within 10 s with an error ($rc)" \
    gave_up "$rc"
check "ingestd logged 'unknown key'" grep -q "unknown key" "$tmp/ingestd.log"
srt_publish "$(key_of rtmponly)" 10
reap $srt_pid 100; rc=$?
check "an rtmp-only stream's key over SRT is refused: ffmpeg gives up with an error ($rc)" \
    gave_up "$rc"
check "ingestd logged 'protocol not allowed'" grep -q "protocol not allowed" "$tmp/ingestd.log"

# --- IPv6
if [ -n "${have_v6:-}" ]; then
	code=$(curl -s -m 3 -g -o /dev/null -I -w '%{http_code}' "http://[::1]:$FLV_PORT/live/cam1.flv")
	check "flvd answers on [::1] too ($code)" [ "$code" = 200 ]
	publish v6cam 320x240 20 "rtmp://[::1]:$RTMP_PORT/live/$(nyonctl --json stream add v6cam | pyjson 'd["stream_key"]')"
	check "an RTMP publisher over IPv6 goes live" wait_live v6cam
	ip=$(nyonctl --json session list --active | pyjson '[s["ip_address"] for s in d if s["stream_name"] == "v6cam"][0]')
	check "its session records ::1 ($ip)" [ "$ip" = "::1" ]
	kill "$pub_v6cam"
else
	echo "ok $((ntest += 1)) # SKIP no IPv6 on the loopback interface"
fi

# --- flvd restarts while cam1 is live: it picks the stream up again
check "flvd stops" stop flvd
check "flvd starts again" start flvd
check "the restarted flvd serves the live stream" wait_live cam1
bytes=$(curl -s --max-time 3 "$(flv_url cam1)" | wc -c)
check "with media ($bytes bytes in 3 s)" [ "$bytes" -gt 20000 ]

# --- ingestd restarts: flvd subscribes again by itself
check "ingestd stops (its publisher is dropped)" stop ingestd
check "the SRT publisher gives up" wait_gone $srt_pid 150
check "ingestd starts again" start ingestd
i=0
while [ $i -lt 50 ] && [ "$(nyonctl --json status | pyjson 'd["flvd"]["subscribed"]')" != True ]; do
	sleep 0.1
	i=$((i + 1))
done
check "flvd subscribed to the new ingestd" [ $i -lt 50 ]
srt_publish "$(key_of cam1)" 30
check "a new publish plays through the restarted ingestd" wait_live cam1
for d in flvd ingestd authd; do
	check "$d stops cleanly" stop $d
done
done_testing
