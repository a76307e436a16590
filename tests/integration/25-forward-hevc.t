#!/bin/sh
# Forwarding HEVC (fwdd, issue 16): a camera publishing H.265 over SRT is
# pushed on over SRT to an ffmpeg SRT listener, which records MPEG-TS that
# ffmpeg decodes as HEVC and AAC with no error, from a keyframe and with
# timestamps from zero.  Skipped without libx265.
. "$(dirname "$0")/lib.sh"

if ! ffmpeg -hide_banner -encoders 2>/dev/null | grep -q libx265; then
	echo "1..0 # SKIP ffmpeg has no libx265"
	exit 0
fi
SRT_PORT=$(free_port udp)
write_conf <<CONF
republish_grace = 1
CONF
for d in authd ingestd flvd fwdd; do
	check "$d starts" start $d
done
nyonctl stream add hevc --key hevckey123 >/dev/null
P=$(free_port udp)
timeout 60 ffmpeg -hide_banner -nostdin -v error \
    -i "srt://127.0.0.1:$P?mode=listener&latency=200000" -copyts -muxdelay 0 \
    -c copy -f mpegts \
    "$tmp/far.ts" > "$tmp/far.log" 2>&1 &
far=$!
pids="$pids $far"
nyonctl stream forward add hevc "srt://127.0.0.1:$P?streamid=hevcfar&latency=200" >/dev/null

timeout 60 ffmpeg -hide_banner -nostdin -loglevel warning -re \
    -f lavfi -i testsrc2=size=640x360:rate=25 -f lavfi -i sine \
    -c:v libx265 -preset ultrafast -pix_fmt yuv420p \
    -x265-params log-level=error:keyint=25:min-keyint=25:scenecut=0 \
    -c:a aac -t 8 -pes_payload_size 0 -f mpegts \
    "srt://127.0.0.1:$SRT_PORT?streamid=#!::r=live/hevckey123,m=publish" \
    > "$tmp/pub.log" 2>&1 &
pub=$!
pids="$pids $pub"
check "the HEVC camera goes live" wait_live hevc
n=0
while [ $n -lt 100 ] && ! grep -q "stream hevc: srt://127.0.0.1:$P?streamid=\*\*\*\*.*: live" "$tmp/fwdd.log"; do
	sleep 0.1
	n=$((n + 1))
done
check "the SRT destination is live" [ $n -lt 100 ]
reap $pub 300
# the grace period ends, fwdd closes, the listener ends its file
check "the far end sees the end of the stream" reap $far 150
timeout 60 ffmpeg -hide_banner -nostdin -v error -i "$tmp/far.ts" -f null - \
    > "$tmp/decode.log" 2>&1; rc=$?
check_all "what it recorded decodes with no error" '[ "$rc" -eq 0 ]' '[ ! -s "$tmp/decode.log" ]'
[ -s "$tmp/decode.log" ] && diag "$(head -5 "$tmp/decode.log")"
probe=$(timeout 30 ffprobe -v error -count_frames -show_entries \
    stream=codec_name,width,height,nb_read_frames -of csv=p=0 "$tmp/far.ts" 2>&1 | tr '\n' ' ')
case $probe in
*hevc,640,360,*aac*) ok "it is HEVC 640x360 and AAC: $probe" ;;
*) not_ok "it is HEVC 640x360 and AAC"; diag "$probe" ;;
esac
frames=$(echo "$probe" | sed -n 's/.*hevc,640,360,\([0-9]*\).*/\1/p')
check "most of the 8 s arrived ($frames frames)" [ "${frames:-0}" -ge 150 ]
start=$(timeout 30 ffprobe -v error -show_entries format=start_time -of csv=p=0 "$tmp/far.ts")
check "from the session's zero (+ the mux delay of 0.5 s): $start" \
    awk "BEGIN { exit !($start >= 0.4 && $start <= 0.7) }"
done_testing
