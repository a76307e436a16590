#!/bin/sh
# Enhanced RTMP (issue 18), as OBS 30 and ffmpeg 6.1 send it: HEVC, AV1 and
# Opus by FourCC reach HTTP-FLV viewers as enhanced FLV.  ffmpeg here is
# 5.1, which can neither send enhanced RTMP nor read enhanced FLV: the
# publisher is tests/integration/rtmp-pub.py (fed by ffmpeg's encoders),
# and the viewer's bytes are read by flv-tool.py; the HEVC it extracts is
# decoded by ffmpeg.  A codec nobody defined is refused with a status the
# publisher hears and a reason on its session.
. "$(dirname "$0")/lib.sh"

write_conf <<CONF
republish_grace = 0
CONF
check "authd starts" start authd
check "ingestd starts" start ingestd
check "flvd starts" start flvd

pub_py=$top/tests/integration/rtmp-pub.py
flv_tool=$top/tests/integration/flv-tool.py
nyonctl stream add hevc --key hevc-key-1 > /dev/null
nyonctl stream add av1 --key av1-key-1 > /dev/null
nyonctl stream add odd --key odd-key-1 > /dev/null

ffmpeg -hide_banner -nostdin -loglevel error -f lavfi \
    -i testsrc2=size=640x360:rate=25 -t 30 -c:v libx265 -preset ultrafast \
    -x265-params keyint=25:bframes=0:log-level=error -f hevc "$tmp/in.hevc"
ffmpeg -hide_banner -nostdin -loglevel error -f lavfi \
    -i sine=frequency=440:sample_rate=48000 -t 30 -c:a libopus -b:a 64k \
    -f ogg "$tmp/in.opus"
check "ffmpeg made the HEVC and Opus inputs" sh -c \
    "[ -s '$tmp/in.hevc' ] && [ -s '$tmp/in.opus' ]"

check "the browser test's node modules are installed" timeout 180 "$top/tests/browser/setup.sh"

# --- HEVC and Opus ---------------------------------------------------------
timeout 60 python3 "$pub_py" "rtmp://127.0.0.1:$RTMP_PORT/live/hevc-key-1" \
    --hevc "$tmp/in.hevc" --opus "$tmp/in.opus" > "$tmp/hevc.log" 2>&1 &
ph=$!
pids="$pids $ph"
check "the enhanced RTMP publisher goes live" wait_live hevc
# mpegts.js reads the hvc1 stream; whether the browser can decode HEVC is
# the browser's business.  Debian's Chromium cannot (MediaSource refuses
# hvc1): that is a skip that says so, any other failure is a failure.
out=$(timeout 120 node "$top/tests/browser/play.mjs" "$(flv_url hevc)" \
    --seconds 15 --expect-width 640 --expect-height 360 2>&1)
rc=$?
case "$rc $out" in
0*) ok "Chromium plays the HEVC stream with mpegts.js" ;;
*"addSourceBuffer"*"hvc1."*"is unsupported"*)
	ok "Chromium plays the HEVC stream with mpegts.js # SKIP this Chromium cannot decode HEVC (mpegts.js read the stream and asked MediaSource for hvc1)" ;;
*) not_ok "Chromium plays the HEVC stream with mpegts.js"; diag "$out" ;;
esac
check "connect's fourCcList was answered with the FourCCs we carry" \
    grep -q "server fourCcList .*hvc1.*av01.*vp09.*Opus" "$tmp/hevc.log"
timeout 6 curl -s -o "$tmp/hevc.flv" "$(flv_url hevc)"
python3 "$flv_tool" trim "$tmp/hevc.flv"
sum=$(python3 "$flv_tool" summary "$tmp/hevc.flv")
diag "$sum"
check_all "the viewer gets enhanced FLV: hvc1 sequence start, frames, keyframes" \
    'echo "$sum" | pyjson "d[\"video\"][\"hvc1\"][\"seq_start\"] >= 1 and d[\"video\"][\"hvc1\"][\"frames\"] >= 100 and d[\"video\"][\"hvc1\"][\"keyframes\"] >= 4" | grep -q True'
check_all "and Opus: its OpusHead, then frames" \
    'echo "$sum" | pyjson "d[\"audio\"][\"Opus\"][\"seq_start\"] >= 1 and d[\"audio\"][\"Opus\"][\"frames\"] >= 200" | grep -q True'
check_all "timestamps never go back, onMetaData at 0" \
    'echo "$sum" | pyjson "d[\"video_backwards\"] == 0 and d[\"audio_backwards\"] == 0 and set(d[\"script_ts\"]) == {0}" | grep -q True'
n=$(python3 "$flv_tool" hevc "$tmp/hevc.flv" "$tmp/out.hevc")
timeout 60 ffmpeg -hide_banner -nostdin -v error -f hevc -i "$tmp/out.hevc" \
    -f null - > "$tmp/hevc-dec.log" 2>&1
rc=$?
check "ffmpeg decodes the viewer's HEVC ($n frames) with no error (exit $rc)" \
    sh -c "[ $rc -eq 0 ] && [ ! -s '$tmp/hevc-dec.log' ] && [ ${n:-0} -ge 100 ]"
[ -s "$tmp/hevc-dec.log" ] && diag "$(head -5 "$tmp/hevc-dec.log")"
s=$(timeout 30 ffprobe -v error -f hevc -show_entries stream=width,height \
    -of csv=p=0 "$tmp/out.hevc")
check "at the publisher's 640x360 ($s)" [ "$s" = "640,360" ]
n=$(python3 "$flv_tool" opus "$tmp/hevc.flv" "$tmp/in.opus")
rc=$?
check "the Opus packets are the publisher's, byte for byte ($n)" [ "$rc" -eq 0 ]

reap "$ph" 300

# --- AV1 and Opus, played in Chromium ---------------------------------
# libaom in its real-time mode, as a live encoder would run it.  One
# keyframe in 10 s: mpegts.js 1.8.2 misreads the frame header of a later
# AV1 keyframe (it throws "readBits() bits exceeded max 32bits"), so the
# player's 2 s check stays within the first GOP.
ffmpeg -hide_banner -nostdin -loglevel error -f lavfi \
    -i testsrc2=size=320x240:rate=25 -t 30 -c:v libaom-av1 -usage realtime \
    -cpu-used 8 -lag-in-frames 0 -g 250 -pix_fmt yuv420p -f obu "$tmp/in.obu"
timeout 60 python3 "$pub_py" "rtmp://127.0.0.1:$RTMP_PORT/live/av1-key-1" \
    --av1 "$tmp/in.obu" --opus "$tmp/in.opus" > "$tmp/av1.log" 2>&1 &
pa=$!
pids="$pids $pa"
check "the AV1 publisher goes live" wait_live av1
out=$(timeout 120 node "$top/tests/browser/play.mjs" "$(flv_url av1)" \
    --seconds 15 --expect-width 320 --expect-height 240 2>&1)
rc=$?
check "Chromium plays AV1 and Opus from Nyon's enhanced FLV (exit $rc)" [ "$rc" -eq 0 ]
diag "$(echo "$out" | tail -1)"
reap "$pa" 300

# --- a FourCC nobody defined: refused ---------------------------------
timeout 30 python3 "$pub_py" "rtmp://127.0.0.1:$RTMP_PORT/live/odd-key-1" \
    --hevc "$tmp/in.hevc" --video-fourcc vvc2 > "$tmp/odd.log" 2>&1
rc=$?
check "the publisher sending vvc2 is stopped (exit $rc)" [ "$rc" -eq 3 ]
check "it hears NetStream.Publish.Rejected, and why" \
    grep -q "onStatus error NetStream.Publish.Rejected: video codec vvc2 is not one enhanced RTMP defines" "$tmp/odd.log"
check "ingestd logged the refusal" grep -q "publish rejected: video codec vvc2" "$tmp/ingestd.log"
sleep 0.5
why=$(nyonctl --json session list | pyjson '[s.get("end_reason") or "" for s in d if s["stream_name"] == "odd"][0]')
check "its session says why it ended ($why)" sh -c "echo '$why' | grep -q 'video codec vvc2'"
code=$(curl -s -m 3 -o /dev/null -I -w '%{http_code}' "$(flv_url odd)")
check "and the stream is not live ($code)" [ "$code" = 404 ]

check "ingestd stops cleanly" stop ingestd
check "flvd stops cleanly" stop flvd
check "authd stops cleanly" stop authd
done_testing
