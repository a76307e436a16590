#!/bin/sh
# Publishers messier than ffmpeg (issue 18): GStreamer (flvmux ! rtmp2sink)
# and a publisher joining mid-stream send onMetaData at a timestamp other
# than 0, which once gave ffmpeg a "Subtitle: text" stream and made
# `ffmpeg -i URL -map 0` fail; drones' SEI, AUD and filler NAL units, over
# RTMP and SRT; audio-only and video-only streams.
. "$(dirname "$0")/lib.sh"

SRT_PORT=$(free_port udp)
write_conf <<CONF
auth = none
CONF
check "ingestd starts" start ingestd
check "flvd starts" start flvd

# streams URL: the codec types ffprobe sees, one per line, sorted
streams() {
	timeout 20 ffprobe -v error -show_entries stream=codec_type -of csv=p=0 \
	    "$1" 2>&1 | sort | tr '\n' ' '
}
# map0 URL LOG: the command users type, decoding every stream for 4 s.
# A live GStreamer pipeline on a loaded machine stamps some frames late
# (steps of 64 ms then 16 ms): ffmpeg's constant-rate output then lands two
# frames on one slot and its muxer says so; that is the publisher's clock,
# not a decoding error, and is left out of LOG.
map0() {
	timeout 30 ffmpeg -hide_banner -nostdin -v error -i "$1" -map 0 -t 4 \
	    -f null - > "$2.all" 2>&1
	_rc=$?
	grep -v -e 'non monotonically increasing dts to muxer' \
	    -e 'Last message repeated' "$2.all" > "$2"
	return $_rc
}

# --- GStreamer: x264enc and voaacenc into flvmux, rtmp2sink ----------------
timeout 60 gst-launch-1.0 -q videotestsrc is-live=true \
    ! video/x-raw,width=320,height=240,framerate=25/1,format=I420 \
    ! x264enc tune=zerolatency key-int-max=25 bitrate=500 ! h264parse \
    ! flvmux name=mux streamable=true \
    ! rtmp2sink location="rtmp://127.0.0.1:$RTMP_PORT/live/gst" \
    audiotestsrc is-live=true ! audioconvert ! voaacenc ! aacparse ! mux. \
    > "$tmp/gst.log" 2>&1 &
gst=$!
pids="$pids $gst"
check "the GStreamer publisher goes live" wait_live gst
sleep 2
s=$(streams "$(flv_url gst)")
check "ffprobe sees one audio and one video stream, no data track ($s)" \
    [ "$s" = "audio video " ]
map0 "$(flv_url gst)" "$tmp/gst-map0.log"
rc=$?
check "ffmpeg -map 0 decodes the GStreamer stream (exit $rc)" [ "$rc" -eq 0 ]
check "with no error" [ ! -s "$tmp/gst-map0.log" ]
[ -s "$tmp/gst-map0.log" ] && diag "$(head -5 "$tmp/gst-map0.log")"
timeout 4 curl -s -o "$tmp/gst.flv" "$(flv_url gst)"
# GStreamer sends onMetaData again every few seconds
meta=$(python3 "$top/tests/integration/flv-tool.py" summary "$tmp/gst.flv" |
    pyjson 'sorted(set(d["script_ts"]))')
check "a viewer's onMetaData tags are all at timestamp 0 ($meta)" [ "$meta" = "[0]" ]
kill "$gst" 2>/dev/null

# --- joining mid-stream: onMetaData and everything at 3600 s -------------
ffmpeg -hide_banner -nostdin -loglevel error -f lavfi \
    -i testsrc2=size=320x240:rate=25 -f lavfi -i sine=sample_rate=44100 \
    -c:v libx264 -preset ultrafast -g 25 -pix_fmt yuv420p -c:a aac -t 20 \
    -f flv "$tmp/mid.flv"
timeout 60 python3 "$top/tests/integration/rtmp-pub.py" \
    "rtmp://127.0.0.1:$RTMP_PORT/live/mid" --flv "$tmp/mid.flv" \
    --start 3600000 > "$tmp/mid.log" 2>&1 &
mid=$!
pids="$pids $mid"
check "the mid-stream publisher goes live" wait_live mid
sleep 1
s=$(streams "$(flv_url mid)")
check "ffprobe: audio and video only, though onMetaData came at 3600 s ($s)" \
    [ "$s" = "audio video " ]
map0 "$(flv_url mid)" "$tmp/mid-map0.log"
rc=$?
check "ffmpeg -map 0 decodes it (exit $rc)" [ "$rc" -eq 0 ]
[ -s "$tmp/mid-map0.log" ] && diag "$(head -5 "$tmp/mid-map0.log")"
kill "$mid" 2>/dev/null

# --- SEI, AUD and filler data: x264 as a CBR drone encoder writes them ---
# (-qmin 40 keeps x264 from spending the bits on quality: it pads instead)
x264cbr="-c:v libx264 -preset ultrafast -tune zerolatency -pix_fmt yuv420p
    -g 25 -b:v 800k -minrate 800k -maxrate 800k -bufsize 400k -qmin 40
    -x264-params aud=1:nal-hrd=cbr:force-cfr=1:filler=1"
# shellcheck disable=SC2086
ffmpeg -hide_banner -nostdin -loglevel error -re -f lavfi \
    -i testsrc2=size=640x360:rate=25 -f lavfi -i sine $x264cbr -c:a aac \
    -t 40 -f flv "rtmp://127.0.0.1:$RTMP_PORT/live/drone" \
    > "$tmp/drone.log" 2>&1 &
pids="$pids $!"
check "the drone-like RTMP publisher goes live" wait_live drone
timeout 5 curl -s -o "$tmp/drone.flv" "$(flv_url drone)"
n=$(python3 "$top/tests/integration/flv-tool.py" nals "$tmp/drone.flv")
check_all "a viewer gets its AUD, SEI and filler NAL units ($n)" \
    'echo "$n" | pyjson "d[\"9\"] > 50 and d[\"6\"] > 50 and d[\"12\"] > 10" | grep -q True'
timeout 30 ffmpeg -hide_banner -nostdin -v error -i "$(flv_url drone)" -t 5 \
    -f null - > "$tmp/drone-dec.log" 2>&1
rc=$?
check "ffmpeg decodes it with no error (exit $rc)" sh -c \
    "[ $rc -eq 0 ] && [ ! -s '$tmp/drone-dec.log' ]"
[ -s "$tmp/drone-dec.log" ] && diag "$(head -5 "$tmp/drone-dec.log")"

# the same encoder over SRT (MPEG-TS): SEI and filler pass the demuxer
# shellcheck disable=SC2086
ffmpeg -hide_banner -nostdin -loglevel error -re -f lavfi \
    -i testsrc2=size=640x360:rate=25 -f lavfi -i sine $x264cbr -c:a aac \
    -t 40 -pes_payload_size 0 -f mpegts \
    "srt://127.0.0.1:$SRT_PORT?streamid=sdrone" > "$tmp/sdrone.log" 2>&1 &
pids="$pids $!"
check "the drone-like SRT publisher goes live" wait_live sdrone
timeout 5 curl -s -o "$tmp/sdrone.flv" "$(flv_url sdrone)"
n=$(python3 "$top/tests/integration/flv-tool.py" nals "$tmp/sdrone.flv")
check_all "over SRT a viewer gets its SEI and filler NAL units ($n)" \
    'echo "$n" | pyjson "d[\"6\"] > 50 and d[\"12\"] > 10" | grep -q True'
timeout 30 ffmpeg -hide_banner -nostdin -v error -i "$(flv_url sdrone)" -t 5 \
    -f null - > "$tmp/sdrone-dec.log" 2>&1
rc=$?
check "ffmpeg decodes the SRT drone with no error (exit $rc)" sh -c \
    "[ $rc -eq 0 ] && [ ! -s '$tmp/sdrone-dec.log' ]"
[ -s "$tmp/sdrone-dec.log" ] && diag "$(head -5 "$tmp/sdrone-dec.log")"

# --- audio only, video only --------------------------------------------
ffmpeg -hide_banner -nostdin -loglevel error -re -f lavfi -i sine \
    -c:a aac -b:a 64k -t 40 -f flv "rtmp://127.0.0.1:$RTMP_PORT/live/radio" \
    > "$tmp/radio.log" 2>&1 &
pids="$pids $!"
ffmpeg -hide_banner -nostdin -loglevel error -re -f lavfi \
    -i testsrc2=size=320x240:rate=25 -c:v libx264 -preset ultrafast -g 25 \
    -pix_fmt yuv420p -t 40 -f flv "rtmp://127.0.0.1:$RTMP_PORT/live/mute" \
    > "$tmp/mute.log" 2>&1 &
pids="$pids $!"
check "an audio-only stream goes live" wait_live radio
check "a video-only stream goes live" wait_live mute
sleep 1
s=$(streams "$(flv_url radio)")
check "ffprobe sees audio only ($s)" [ "$s" = "audio " ]
s=$(streams "$(flv_url mute)")
check "ffprobe sees video only ($s)" [ "$s" = "video " ]
map0 "$(flv_url radio)" "$tmp/radio-dec.log"
rc=$?
check "ffmpeg -map 0 decodes the audio-only stream (exit $rc)" sh -c \
    "[ $rc -eq 0 ] && [ ! -s '$tmp/radio-dec.log' ]"
map0 "$(flv_url mute)" "$tmp/mute-dec.log"
rc=$?
check "ffmpeg -map 0 decodes the video-only stream (exit $rc)" sh -c \
    "[ $rc -eq 0 ] && [ ! -s '$tmp/mute-dec.log' ]"

check "ingestd stops cleanly" stop ingestd
check "flvd stops cleanly" stop flvd
done_testing
