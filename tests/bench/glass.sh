#!/bin/sh
# Glass-to-glass delay in headless Chromium, WebRTC against HTTP-FLV through
# the watch page (BENCHMARKS.md).  A publisher stamps each frame with the
# time it was made (tests/bench/stamp.py, 640x360 at 30 fps, x264
# zerolatency, no B-frames, a keyframe a second, AAC) and sends it to
# ingestd over RTMP; the browser reads the stamp of every frame it shows
# (tests/browser/whep.mjs --stamp) and compares it with the clock.
#
#	tests/bench/glass.sh [SECONDS] [JOINS]
#
# WebRTC: one viewer for SECONDS (default 30), then JOINS (5) viewers in a
# row, each for 6 s, with the time from the POST to its first frame.
# HTTP-FLV: the watch page with rtcd stopped, JOINS joins of 8 s each.
# Prints one JSON line per run, then a summary, and the load average
# before each part (the box's other work shows in the numbers).  Needs
# `make` and `make www`.  BENCHMARKS.md ran it under nice -n -15.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${NYON_BUILD:-$top}
secs=${1:-30}
joins=${2:-5}
NYON_ALLOW_ROOT=1
export NYON_ALLOW_ROOT
tmp=$(mktemp -d /tmp/nyon-glass.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	if [ -z "${KEEP_TMP:-}" ]; then rm -rf "$tmp"; else echo "kept $tmp"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM
port() {
	perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1",
		    LocalPort => 0, Proto => ($ARGV[0] || "tcp")) or die;
		print $s->sockport, "\n";' "${1:-tcp}"
}
rtmp=$(port) flv=$(port) rtc=$(port) udp=$(port udp)
mkdir -p "$tmp/run" "$tmp/state"
cat > "$tmp/nyon.conf" <<CONF
rundir = $tmp/run
statedir = $tmp/state
auth = none
rtmp_listen = 127.0.0.1:$rtmp
flv_listen = 127.0.0.1:$flv
api_listen = 127.0.0.1:$(port)
srt_listen = 127.0.0.1:$(port udp)
rtc_listen = 127.0.0.1:$rtc
rtc_udp_listen = 127.0.0.1:$udp
www_dir = $top/www
CONF
for d in ingestd flvd rtcd; do
	"$bin/$d/$d" -d -f "$tmp/nyon.conf" > "$tmp/$d.log" 2>&1 &
	pids="$pids $!"
	eval "pid_$d=$!"
	sleep 0.3
done
"$top/tests/browser/setup.sh" >/dev/null
# The audio input is not paced (-re): ffmpeg then takes it as the video
# comes and never holds video back for it, which -re would (~250 ms).
python3 "$top/tests/bench/stamp.py" --size 640x360 --fps 30 \
    --seconds $((secs * 2 + joins * 30 + 120)) |
    ffmpeg -hide_banner -nostdin -loglevel error -f rawvideo -pix_fmt gray \
    -s 640x360 -r 30 -i - -f lavfi -i sine=frequency=440:sample_rate=48000 \
    -c:v libx264 -preset ultrafast -tune zerolatency -pix_fmt yuv420p \
    -g 30 -bf 0 -b:v 1500k -c:a aac -b:a 64k -flush_packets 1 \
    -f flv "rtmp://127.0.0.1:$rtmp/live/stamp" > "$tmp/pub.log" 2>&1 &
pids="$pids $!"
# past the publisher's start-up, whose first frames come late
sleep 8
w() {
	timeout 200 node "$top/tests/browser/whep.mjs" "$@" 2>>"$tmp/whep.err"
}
summ() {
	python3 -c '
import json, sys
d = json.loads(sys.stdin.readline())
out = {k: d.get(k) for k in ("firstFrameMs", "latency", "framesDecoded", "freezeCount", "badStamps", "audioSamples")}
for k in ("audio", "video"):
    a = (d.get("last") or {}).get(k)
    if a and a.get("jitterBufferEmittedCount"):
        out[k + "_jitter_buffer_ms"] = round(1000 * a["jitterBufferDelay"] / a["jitterBufferEmittedCount"])
a = (d.get("last") or {}).get("audio") or {}
if a.get("totalSamplesReceived"):
    # the share of the sound NetEq had to make up: choppy when large
    out["audio_concealed_pct"] = round(100 * a["concealedSamples"] / a["totalSamplesReceived"], 2)
b = (d.get("buffers") or [{}])[-1]
if b.get("audioBehind") is not None and b.get("videoBehind") is not None:
    # how far each track plays behind the sender reports clock: the
    # sound trails the picture by the difference plus rtc_audio_lag
    out["behind_ms"] = [b["audioBehind"], b["videoBehind"]]
print(json.dumps(out))'
}
load() {
	echo "   (load average $(cut -d' ' -f1-3 /proc/loadavg))"
}
echo "== WebRTC, one viewer, $secs s"; load
w --whep "http://127.0.0.1:$rtc/whep/stamp" --seconds "$secs" --stamp | tee "$tmp/rtc.json" | summ
echo "== WebRTC, $joins joins of 6 s"; load
i=0
while [ $i -lt "$joins" ]; do
	w --whep "http://127.0.0.1:$rtc/whep/stamp" --seconds 6 --stamp | summ
	sleep 0.$((i * 3 % 10))
	i=$((i + 1))
done
# The browser keeps lip sync: video waits for the audio's jitter buffer.
# Without audio, what the video path alone costs:
echo "rtc_audio = off" >> "$tmp/nyon.conf"
kill -HUP "$pid_rtcd"
sleep 1
echo "== WebRTC, video only (rtc_audio = off), one viewer, $secs s"; load
w --whep "http://127.0.0.1:$rtc/whep/stamp" --seconds "$secs" --stamp | summ
sed -i '/^rtc_audio = off$/d' "$tmp/nyon.conf"
kill -HUP "$pid_rtcd"
sleep 1
echo "== watch page over WebRTC, 1 join of 8 s"; load
w --page "http://127.0.0.1:$flv/watch/stamp" --seconds 8 --stamp |
    python3 -c 'import json, sys; d = json.loads(sys.stdin.readline())
for j in d["joins"]: print(j["watch"]["mode"], j["firstFrameMs"], json.dumps(j["latency"]))' ||
    echo "(no result; whep.mjs said: $(tail -1 "$tmp/whep.err"))"
kill "$pid_rtcd"
sleep 1
echo "== watch page over HTTP-FLV (rtcd stopped), $joins joins of 8 s"; load
w --page "http://127.0.0.1:$flv/watch/stamp" --seconds 8 --join "$joins" --stamp |
    python3 -c 'import json, sys; d = json.loads(sys.stdin.readline())
for j in d["joins"]: print(j["watch"]["mode"], j["firstFrameMs"], json.dumps(j["latency"]))' ||
    echo "(no result; whep.mjs said: $(tail -1 "$tmp/whep.err"))"
