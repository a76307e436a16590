#!/bin/sh
# The media path with real clients: ffmpeg publishes over RTMP, ffprobe,
# ffmpeg and curl watch over HTTP-FLV.
. "$(dirname "$0")/lib.sh"

# Every fan-out spread over two write threads, each through io_uring (the
# default where the kernel has it; 25-timestamps.t takes send()).
write_conf <<CONF
auth = none
republish_grace = 10
viewer_backlog = 256k
flv_write_threads = 2
flv_write_spread_us = 0
CONF
check "ingestd starts" start ingestd
check "flvd starts" start flvd
if [ -n "${NYON_EMULATED:-}" ]; then
	# qemu-user has no io_uring: flvd must say so and use send()
	check "flvd writes on two threads, with send() under $NYON_EMULATED" sh -c "
	    grep -q 'io_uring unavailable (.*): fan-out writes with send()' '$tmp/flvd.log' &&
	    grep -q 'fan-out writes on 2 threads\$' '$tmp/flvd.log'"
else
	check "flvd writes through io_uring on two threads" \
	    grep -q "fan-out writes on 2 threads, through io_uring" "$tmp/flvd.log"
fi

publish cam1 640x360 90
check "cam1 goes live" wait_live cam1

probe=$(timeout 20 ffprobe -v error -show_entries stream=codec_name,width,height \
    -of csv=p=0 "$(flv_url cam1)" 2>&1)
case $probe in
*h264,640,360*) ok "ffprobe sees H.264 640x360" ;;
*) not_ok "ffprobe sees H.264 640x360"; diag "$probe" ;;
esac
case $probe in
*aac*) ok "ffprobe sees AAC" ;;
*) not_ok "ffprobe sees AAC"; diag "$probe" ;;
esac

# Decode 6 s of frames; any decode error is printed at -v error.
timeout 30 ffmpeg -hide_banner -nostdin -v error -i "$(flv_url cam1)" -t 6 \
    -f null - > "$tmp/decode.log" 2>&1
rc=$?
check "ffmpeg decodes 6 s from HTTP-FLV (exit 0)" [ "$rc" -eq 0 ]
check "with no decode errors" [ ! -s "$tmp/decode.log" ]
[ -s "$tmp/decode.log" ] && diag "$(head -5 "$tmp/decode.log")"
frames=$(timeout 30 ffmpeg -hide_banner -nostdin -i "$(flv_url cam1)" -t 5 -f null - 2>&1 |
    tr '\r' '\n' | sed -n 's/^frame= *\([0-9]*\).*/\1/p' | tail -1)
check "at least 5 s of video frames decoded ($frames)" [ "${frames:-0}" -ge 120 ]

# A second stream stays separate.
publish cam2 320x240 90
check "cam2 goes live" wait_live cam2
p1=$(timeout 20 ffprobe -v error -select_streams v -show_entries stream=width,height \
    -of csv=p=0 "$(flv_url cam1)")
p2=$(timeout 20 ffprobe -v error -select_streams v -show_entries stream=width,height \
    -of csv=p=0 "$(flv_url cam2)")
check "cam1 is still 640x360 ($p1)" [ "$p1" = "640,360" ]
check "cam2 is 320x240 ($p2)" [ "$p2" = "320,240" ]

# Forty viewers at once all receive the stream, written by both threads.
i=1
while [ $i -le 40 ]; do
	curl -s --max-time 4 -o "$tmp/v$i.flv" "$(flv_url cam1)" &
	i=$((i + 1))
done
sleep 5
good=0
i=1
while [ $i -le 40 ]; do
	sz=$(size_of "$tmp/v$i.flv")
	if [ "$sz" -gt 150000 ] && [ "$(head -c 3 "$tmp/v$i.flv")" = FLV ]; then
		good=$((good + 1))
	else
		diag "viewer $i got $sz bytes"
	fi
	i=$((i + 1))
done
check "40 of 40 viewers received FLV (> 150 kB in 4 s): $good" [ "$good" -eq 40 ]
# Their sockets, registered with io_uring for the fan-out, close with them:
# none is left on flvd's side, half-closed or open.
left() {
	ss -Htn "( sport = :$FLV_PORT )" | wc -l | tr -d ' '
}
i=0
while [ "$(left)" -gt 0 ] && [ $i -lt 30 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "flvd closed the 40 viewers' sockets ($(left) left)" [ "$(left)" -eq 0 ]
ref=$(rate_of "$(flv_url cam1)")

# A second publisher to a live stream is refused.
ffmpeg -hide_banner -nostdin -loglevel error -re -f lavfi -i testsrc2=rate=25 \
    -c:v libx264 -preset ultrafast -t 10 -f flv \
    "rtmp://127.0.0.1:$RTMP_PORT/live/cam1" > "$tmp/second.log" 2>&1 &
second=$!
pids="$pids $second"
reap $second 80; rc=$?
check "the second publisher gives up within 8 s with an error ($rc)" gave_up "$rc"
check "ingestd logged the refusal" grep -q "publish refused: stream cam1 is already live" "$tmp/ingestd.log"
check "cam1 still plays after the refused publisher" wait_live cam1

# A viewer that reads nothing does not slow another viewer.
perl -MIO::Socket::INET -e '
	my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ARGV[0]") or die;
	setsockopt($s, Socket::SOL_SOCKET(), Socket::SO_RCVBUF(), 4096);
	print $s "GET /live/cam1.flv HTTP/1.1\r\nHost: x\r\n\r\n";
	sleep 12;' "$FLV_PORT" &
stalled=$!
pids="$pids $stalled"
sleep 1
beside=$(rate_of "$(flv_url cam1)")
check_all "a viewer beside a stalled one gets as much ($beside vs $ref bytes in 4 s)" \
    '[ "$ref" -gt 100000 ]' '[ "$beside" -ge $((ref * 9 / 10)) ]'
i=0
while [ $i -lt 150 ] && ! grep -q "dropped from cam1" "$tmp/flvd.log"; do
	sleep 0.1
	i=$((i + 1))
done
check "the stalled viewer was dropped" grep -q "dropped from cam1" "$tmp/flvd.log"
kill $stalled 2>/dev/null

# Unknown streams: 404 at once.
code=$(curl -s -m 5 -o "$tmp/404.txt" -w '%{http_code} %{time_total}' \
    "$(flv_url nosuch)")
check "unknown stream is 404 ($code)" [ "${code%% *}" = 404 ]
check "answered within a second (${code#* } s)" awk -v t="${code#* }" 'BEGIN { exit !(t < 1) }'
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$FLV_PORT/elsewhere")
check "other paths are 404 ($code)" [ "$code" = 404 ]

# HEAD and the CORS preflight.
hdrs=$(curl -s -m 5 -I "$(flv_url cam1)")
case $hdrs in
*"200 OK"*"video/x-flv"*) ok "HEAD: 200 video/x-flv" ;;
*) not_ok "HEAD: 200 video/x-flv"; diag "$hdrs" ;;
esac
for h in "Cache-Control: no-cache" "Access-Control-Allow-Origin: *"; do
	case $hdrs in
	*"$h"*) ok "HEAD has $h" ;;
	*) not_ok "HEAD has $h" ;;
	esac
done
hdrs=$(curl -s -m 5 -i -X OPTIONS -H 'Origin: http://example' \
    -H 'Access-Control-Request-Method: GET' "$(flv_url cam1)")
case $hdrs in
*"204 No Content"*"Access-Control-Allow-Origin: *"*) ok "OPTIONS preflight: 204 with CORS" ;;
*) not_ok "OPTIONS preflight: 204 with CORS"; diag "$hdrs" ;;
esac
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST "$(flv_url cam1)")
check "POST is 405 ($code)" [ "$code" = 405 ]

# nyonctl shows the live streams with bitrate, fps and viewers.
curl -s --max-time 3 -o /dev/null "$(flv_url cam2)" &
sleep 1.5
out=$(nyonctl status)
case $out in
*"IN kbps"*cam1*rtmp*) ok "nyonctl status lists live streams with kbps and fps" ;;
*) not_ok "nyonctl status lists live streams with kbps and fps"; diag "$out" ;;
esac
json=$(nyonctl --json status)
check "status --json: cam2 has a viewer and an input bitrate" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
ing = {s["name"]: s for s in d["ingestd"]["streams"]}
flv = {s["name"]: s for s in d["flvd"]["streams"]}
assert ing["cam2"]["kbps"] > 100 and ing["cam2"]["fps"] > 10, ing
assert flv["cam2"]["viewers"] >= 1, flv' "$json"

# Republish within the grace period: the viewer carries on.
curl -s --max-time 14 -o "$tmp/grace.flv" "$(flv_url cam2)" &
viewer=$!
sleep 2
kill -INT "$pub_cam2"
wait_gone "$pub_cam2" 50
sleep 2
before=$(size_of "$tmp/grace.flv")
publish cam2 320x240 30
sleep 5
after=$(size_of "$tmp/grace.flv")
check "the viewer kept its connection through the republish" kill -0 $viewer
check "and received more after it ($before -> $after bytes)" [ "$after" -gt $((before + 100000)) ]
check "flvd logged the carry-on" grep -q "stream cam2: republished" "$tmp/flvd.log"
wait $viewer
timeout 60 ffprobe -v error -select_streams v -show_entries packet=dts -of csv=p=0 \
    "$tmp/grace.flv" > "$tmp/dts.txt" 2>"$tmp/dts.err"
rc=$?
# never_back FILE: the timestamps in FILE's first column never go back
never_back() {
	awk -F, '
	$1 != "" && $1 != "N/A" { if (seen && $1 + 0 < last) bad = 1; last = $1 + 0; seen = 1 }
	END { exit bad }' "$1"
}
# An empty or unreadable file has no timestamps that go back: ask for the
# ~14 s of video the viewer was there for (25 fps; 100 is a low floor).
n=$(grep -c '^[0-9]' "$tmp/dts.txt")
check_all "video timestamps in the viewer's file never go back ($n packets)" \
    '[ "$rc" -eq 0 ]' '[ "$n" -ge 100 ]' 'never_back "$tmp/dts.txt"'
timeout 60 ffmpeg -hide_banner -nostdin -v error -i "$tmp/grace.flv" -f null - > "$tmp/grace-decode.log" 2>&1
check "the viewer's recording decodes without errors" [ ! -s "$tmp/grace-decode.log" ]
[ -s "$tmp/grace-decode.log" ] && diag "$(head -5 "$tmp/grace-decode.log")"

# A republish with another codec configuration ends the viewer's response
# (its decoder could not continue), well before the grace would.
curl -s --max-time 20 -o "$tmp/other.flv" "$(flv_url cam2)" &
viewer=$!
sleep 1
kill -INT "$pub_cam2"
wait_gone "$pub_cam2" 50
publish cam2 640x360 30
check "a viewer of a republish at another size is ended within 6 s" wait_gone $viewer 60
reap $viewer; rc=$?
check "cleanly (curl exit $rc)" [ "$rc" -eq 0 ]
check "flvd logged why" grep -q "republished with another codec configuration" "$tmp/flvd.log"
check "cam2 plays again, now at 640x360" wait_live cam2

# When the publisher does not come back, viewers end cleanly after the grace.
curl -s --max-time 30 -o "$tmp/end.flv" "$(flv_url cam1)" &
viewer=$!
sleep 1
kill -INT "$pub_cam1"
check "the viewer's response ends after the grace period" wait_gone $viewer 150
reap $viewer; rc=$?
check "curl saw a clean end of the response (exit $rc)" [ "$rc" -eq 0 ]
check "ingestd still answers" nyonctl ping ingestd
check "ingestd stops cleanly" stop ingestd
check "flvd stops cleanly" stop flvd
done_testing
