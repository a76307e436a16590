#!/bin/sh
# max_bitrate enforced (issue 18): a 3 Mb/s publisher on a 1000 kb/s
# stream is warned (log, status, the dashboard's health data) and then
# disconnected within bitrate_window + bitrate_grace, with the reason on its
# session; a 900 kb/s publisher beside it is never touched.  Short settings
# keep it fast: a 2 s window, a 20% margin, 5 s of grace.
. "$(dirname "$0")/lib.sh"

DEFAULT_ADMIN_PASSWORD=first-pass-123
export DEFAULT_ADMIN_PASSWORD
write_conf <<CONF
republish_grace = 0
bitrate_window = 2
bitrate_margin = 20
bitrate_grace = 5
CONF
check "authd starts" start authd
check "ingestd starts" start ingestd
check "flvd starts" start flvd
nyonctl stream add fast --key fast-key-1 --max-bitrate 1000 > /dev/null
# the dashboard's token, before anyone publishes: password hashing is slow
# under the sanitizers, and the warning lasts only bitrate_grace
api=http://127.0.0.1:$API_PORT
tok=$(curl -s -m 30 -H 'Content-Type: application/json' \
    -d '{"username":"admin","password":"first-pass-123"}' "$api/api/auth/login" |
    pyjson 'd["token"]')
curl -s -m 30 -o /dev/null -X PUT -H "Authorization: Bearer $tok" \
    -H 'Content-Type: application/json' \
    -d '{"current_password":"first-pass-123","new_password":"second-pass-456"}' \
    "$api/api/auth/change-password"
tok=$(curl -s -m 30 -H 'Content-Type: application/json' \
    -d '{"username":"admin","password":"second-pass-456"}' "$api/api/auth/login" |
    pyjson 'd["token"]')
nyonctl stream add steady --key steady-key-1 --max-bitrate 1000 > /dev/null

# cbr NAME KEY KBPS SECONDS: ffmpeg sends hard CBR H.264 at KBPS (x264
# pads with filler data when the picture needs less) and 64 kb/s AAC to
# KEY; its pid in $pub_NAME
cbr() {
	ffmpeg -hide_banner -nostdin -loglevel error -re \
	    -f lavfi -i testsrc2=size=640x360:rate=25 -f lavfi -i sine \
	    -c:v libx264 -preset ultrafast -tune zerolatency -pix_fmt yuv420p \
	    -g 25 -b:v "${3}k" -minrate "${3}k" -maxrate "${3}k" \
	    -bufsize "$(($3 / 2))k" -qmin 40 -x264-params nal-hrd=cbr:filler=1 \
	    -c:a aac -b:a 64k -t "$4" -f flv \
	    "rtmp://127.0.0.1:$RTMP_PORT/live/$2" > "$tmp/pub-$1.log" 2>&1 &
	eval "pub_$1=$!"
	pids="$pids $!"
}
cbr steady steady-key-1 820 40
cbr fast fast-key-1 2940 40
check "the 900 kb/s publisher goes live" wait_live steady
check "the 3 Mb/s publisher goes live" wait_live fast
t0=$(date +%s%N)

# warned: a log line, ingestd's status, and the dashboard's health data
i=0
while [ $i -lt 100 ] && ! grep -q "stream fast: .* above max_bitrate 1000 kb/s + 20%" "$tmp/ingestd.log"; do
	sleep 0.1
	i=$((i + 1))
done
check "ingestd warns about the fast one" grep -q "stream fast: [0-9]* kb/s over 2s, above max_bitrate 1000 kb/s + 20%: disconnected after 5s over" "$tmp/ingestd.log"
h=$(curl -s -m 10 -H "Authorization: Bearer $tok" "$api/api/config/health")
w=$(echo "$h" | pyjson '[(s["max_kbps"], s["bitrate_warning"]) for s in d["data"]["streams"] if s["name"] == "fast"][0]')
check "the dashboard's health data shows the limit and the warning ($w)" \
    sh -c "echo \"$w\" | grep -q \"^(1000, '.*above max_bitrate\""
json=$(nyonctl --json status)
w=$(echo "$json" | pyjson '[s["bitrate_warning"] for s in d["ingestd"]["streams"] if s["name"] == "fast"][0]')
check "status carries the warning ($w)" sh -c "echo '$w' | grep -q 'above max_bitrate 1000 kb/s'"
out=$(nyonctl status)
case $out in
*fast*"! "*"above max_bitrate 1000 kb/s"*) ok "nyonctl status shows it under the stream" ;;
*) not_ok "nyonctl status shows it under the stream"; diag "$out" ;;
esac
k=$(echo "$json" | pyjson '[(s["max_kbps"], s["window_kbps"]) for s in d["ingestd"]["streams"] if s["name"] == "fast"][0]')
diag "fast: (max_kbps, window_kbps) = $k"

# disconnected: waited for here, up to 15 s
i=0
while [ $i -lt 150 ] && kill -0 "$pub_fast" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
took=$((($(date +%s%N) - t0) / 1000000))
check "the fast publisher is disconnected ($took ms after going live)" \
    sh -c "! kill -0 $pub_fast 2>/dev/null"
# the first whole second, the window, the grace, the once-a-second check,
# and ffmpeg noticing
check "within window + grace + 3 s" [ "$took" -le 10000 ]
check "ingestd said why" grep -q "stream fast: over max_bitrate: [0-9]* kb/s over 2s for 5s (max 1000 kb/s, 1200 with the margin); disconnecting the publisher" "$tmp/ingestd.log"
sleep 0.5
why=$(nyonctl --json session list | pyjson '[s.get("end_reason") or "" for s in d if s["stream_name"] == "fast"][0]')
check "its session records the reason ($why)" sh -c "echo '$why' | grep -q '^over max_bitrate: '"
out=$(nyonctl session list)
case $out in
*fast*"over max_bitrate"*) ok "nyonctl session list shows it" ;;
*) not_ok "nyonctl session list shows it"; diag "$out" ;;
esac

# the 900 kb/s one: untouched, 15 s on
sleep 8
check "the 900 kb/s publisher is still publishing" kill -0 "$pub_steady"
check "and still plays" wait_live steady
check "and was never warned" sh -c "! grep -q 'stream steady: .*max_bitrate' '$tmp/ingestd.log'"
k=$(nyonctl --json status | pyjson '[s["window_kbps"] for s in d["ingestd"]["streams"] if s["name"] == "steady"][0]')
check "its rate is measured, and under 1200 kb/s ($k)" sh -c "[ ${k:-0} -gt 700 ] && [ ${k:-9999} -le 1200 ]"
active=$(nyonctl --json session list --active | pyjson '[s["stream_name"] for s in d]')
check "its session is still open ($active)" [ "$active" = "['steady']" ]

check "ingestd stops cleanly" stop ingestd
check "flvd stops cleanly" stop flvd
check "authd stops cleanly" stop authd
done_testing
