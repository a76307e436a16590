#!/bin/sh
# WebRTC load (BENCHMARKS.md): VIEWERS viewers of a 2 Mb/s stream (H.264
# 640x360 25 fps, AAC transcoded to Opus) for SECONDS, through
# tests/bench/rtc-load (DTLS-SRTP with rtcd's own code).  Reports rtcd's
# CPU, the transcode's CPU, rtcd's memory per viewer and packets lost.
#
#	tests/bench/rtc-load.sh [VIEWERS] [SECONDS]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${NYON_BUILD:-$top}
n=${1:-100}
secs=${2:-30}
NYON_ALLOW_ROOT=1
export NYON_ALLOW_ROOT
ulimit -n 4096 2>/dev/null || true
tmp=$(mktemp -d /tmp/nyon-rtcload.XXXXXX)
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
rtmp=$(port) rtc=$(port) udp=$(port udp)
mkdir -p "$tmp/run" "$tmp/state"
cat > "$tmp/nyon.conf" <<CONF
rundir = $tmp/run
statedir = $tmp/state
auth = none
rtmp_listen = 127.0.0.1:$rtmp
flv_listen = 127.0.0.1:$(port)
api_listen = 127.0.0.1:$(port)
srt_listen = 127.0.0.1:$(port udp)
rtc_listen = 127.0.0.1:$rtc
rtc_udp_listen = 127.0.0.1:$udp
rtc_max_viewers = 1000
rtc_max_viewers_per_stream = 1000
CONF
"$bin/ingestd/ingestd" -d -f "$tmp/nyon.conf" > "$tmp/ingestd.log" 2>&1 &
pids="$pids $!"
sleep 0.3
"$bin/rtcd/rtcd" -d -f "$tmp/nyon.conf" > "$tmp/rtcd.log" 2>&1 &
rtcd=$!
pids="$pids $rtcd"
ffmpeg -hide_banner -nostdin -loglevel error -re \
    -f lavfi -i testsrc2=size=640x360:rate=25 \
    -f lavfi -i sine=frequency=440:sample_rate=44100 \
    -c:v libx264 -preset ultrafast -tune zerolatency -g 25 \
    -b:v 2000k -minrate 2000k -maxrate 2000k -bufsize 500k -x264-params nal-hrd=cbr \
    -c:a aac -b:a 64k -t $((secs + n / 10 + 30)) \
    -f flv "rtmp://127.0.0.1:$rtmp/live/load" > "$tmp/pub.log" 2>&1 &
pids="$pids $!"
sleep 3
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)
rss0=$(rss "$rtcd")
"$top/tests/bench/rtc-load" 127.0.0.1 "$rtc" load "$n" "$secs" > "$tmp/load.json" &
lpid=$!
# the steady state: after the joins, the middle of the run
sleep $((n / 40 + 3))
c0=$(cpu "$rtcd") t0=$(date +%s.%N)
l0=$(cpu "$lpid")
sleep $((secs / 2))
c1=$(cpu "$rtcd") t1=$(date +%s.%N)
l1=$(cpu "$lpid")
rss1=$(rss "$rtcd")
st=$("$bin/ctl/nyonctl" -f "$tmp/nyon.conf" --json status || true) # authd is not running
wait "$lpid" || true
echo "$st" | python3 -c '
import json, sys
d = json.load(sys.stdin)["rtcd"]
s = d["streams"][0]
print(json.dumps({"rtcd_viewers": d["viewers"], "transcode_cpu_ms": s["transcode_cpu_ms"],
    "retransmits": d["retransmits"], "uptime_s": d["uptime"]}))'
cat "$tmp/load.json"
python3 -c "
c0, c1, t0, t1, hz = $c0, $c1, $t0, $t1, $hz
l0, l1 = $l0, $l1
rss0, rss1, n = $rss0, $rss1, $n
print('rtcd cpu %.1f %% of a core, load client %.1f %%, rtcd rss %d -> %d KiB (%.1f KiB per viewer)' % (
    100.0 * (c1 - c0) / hz / (t1 - t0), 100.0 * (l1 - l0) / hz / (t1 - t0),
    rss0, rss1, (rss1 - rss0) / n))"
