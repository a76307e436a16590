#!/bin/sh
# The playout-delay RTP header extension: Chromium offers it, rtcd answers
# it with the offer's id and sends rtc_playout_delay_ms as both the least
# and the most delay, on every packet of each keyframe (and on all until
# the browser's first report), in RFC 8285's one-byte form.  A UDP relay
# (udp-lossy.py, dropping nothing) reads the RTP headers, which SRTP
# leaves in the clear; a stamped picture shows what the browser does with
# it: at 0 it plays frames at once, at 150 ms it holds each frame that long
# (proof that it reads the extension), at -1 the extension is not sent.
. "$(dirname "$0")/lib.sh"

RTC_PORT=$(free_port)
RTC_UDP=$(free_port udp)
RELAY=$(free_port udp)
write_conf <<CONF
auth = none
rtc_listen = 127.0.0.1:$RTC_PORT
rtc_udp_listen = 127.0.0.1:$RTC_UDP
rtc_audio = off
CONF
whep=http://127.0.0.1:$RTC_PORT/whep
uri=http://www.webrtc.org/experiments/rtp-hdrext/playout-delay
check "the browser test's node modules are installed" timeout 180 "$top/tests/browser/setup.sh"
check "ingestd starts" start ingestd
check "flvd starts" start flvd
check "rtcd starts" start rtcd
python3 "$top/tests/bench/stamp.py" --seconds 100 |
    ffmpeg -hide_banner -nostdin -loglevel error -f rawvideo -pix_fmt gray \
    -s 640x360 -r 30 -i - -c:v libx264 -preset ultrafast -tune zerolatency \
    -pix_fmt yuv420p -g 30 -bf 0 -b:v 1000k -flush_packets 1 \
    -f flv "rtmp://127.0.0.1:$RTMP_PORT/live/stamp" >> "$tmp/pub-stamp.log" 2>&1 &
pids="$pids $!"
check "stamp goes live" wait_live stamp
sleep 2

# play N [SECONDS]: a viewer through the relay, ended with DELETE;
# $tmp/wN.json (whep.mjs), $tmp/rN.json (relay), $tmp/sN.json (status)
play() {
	python3 "$top/tests/integration/udp-lossy.py" --listen "$RELAY" \
	    --to "$RTC_UDP" --every 0 --seconds 60 --stats "$tmp/r$1.json" &
	_relay=$!
	pids="$pids $_relay"
	sleep 0.3
	timeout 90 node "$top/tests/browser/whep.mjs" --whep "$whep/stamp" \
	    --seconds "${2:-6}" --stamp --relay "127.0.0.1:$RELAY" --delete \
	    > "$tmp/w$1.json" 2> "$tmp/w$1.err" &
	_w=$!
	# rtcd's status once the viewer is there (Chromium takes seconds to
	# start on a busy box), and 2 s into its session
	_t=$(($(date +%s) + 30))
	while [ "$(date +%s)" -lt "$_t" ]; do
		nyonctl --json status > "$tmp/s$1.json" 2>&1
		pyjson 'd["rtcd"]["streams"][0]["sessions"][-1]' < "$tmp/s$1.json" \
		    > /dev/null 2>&1 && break
		sleep 0.2
	done
	sleep 2
	nyonctl --json status > "$tmp/s$1.json" 2>&1
	reap $_w 900
	_rc=$?
	kill "$_relay" 2>/dev/null
	wait "$_relay" 2>/dev/null
	[ "$_rc" -eq 0 ] || diag "$(tail -3 "$tmp/w$1.err")"
	diag "relay: $(cut -c1-400 "$tmp/r$1.json" 2>/dev/null)"
	diag "video: $(pyjson 'json.dumps({k: d["last"]["video"].get(k) for k in ("framesDecoded", "freezeCount", "jitterBufferDelay", "jitterBufferEmittedCount")})' < "$tmp/w$1.json" 2>/dev/null) latency $(pyjson 'd["latency"]' < "$tmp/w$1.json" 2>/dev/null)"
	return $_rc
}
j() { pyjson "$2" < "$tmp/w$1.json" 2>/dev/null; }
r() { pyjson "$2" < "$tmp/r$1.json" 2>/dev/null; }
# the offer's id for the extension (Chromium's own numbering)
id=$(sed -n "s|^a=extmap:\([0-9]*\) $uri.*|\1|p" "$top/tests/fuzz/corpus/fuzz_sdp/chrome-offer" | head -1)

check "Chromium plays with the default, rtc_playout_delay_ms = 0" play 1
check "the answer has the extension, with the id Chromium offered ($id)" \
    [ "$(j 1 "int('a=extmap:$id $uri' in d['answerLines'])")" = 1 ]
n=$(r 1 "d['ext'].get('$id:000000', 0)")
check "the packets carry it, 0 and 0 ms, one-byte form (${n:-0} packets)" \
    [ "${n:-0}" -ge 30 ]
check "and only it: no other extension element on the wire ($(r 1 'sorted(d["ext"])'))" \
    [ "$(r 1 "int(set(d['ext']) <= {'none', '$id:000000'})")" = 1 ]
check "not on every packet: after the first report, on keyframes only" \
    [ "$(r 1 "int(d['ext'].get('none', 0) > d['ext'].get('$id:000000', 0))")" = 1 ]
check "nyonctl status --json says the viewer's playout delay: 0 ms" \
    [ "$(pyjson 'd["rtcd"]["streams"][0]["sessions"][-1]["playout_delay_ms"]' < "$tmp/s1.json" 2>/dev/null)" = 0 ]
check "frames decoded: at least 150 in 6 s ($(j 1 'd["framesDecoded"]'))" \
    [ "$(j 1 'd["framesDecoded"]')" -ge 150 ]
check "the picture hardly froze ($(j 1 'd["freezeCount"]') freezes)" \
    [ "$(j 1 'int(d["freezeCount"] <= 3 and d["totalFreezesDuration"] < 1.0)')" = 1 ]
p50=$(j 1 'd["latency"]["p50"]')
check "the picture shown is under 100 ms old, half the time (p50 ${p50:-?} ms)" \
    [ "${p50:-999}" -lt 100 ]
jb1=$(j 1 'round(1000 * d["last"]["video"]["jitterBufferDelay"] / max(1, d["last"]["video"]["jitterBufferEmittedCount"]))')

# 150 ms: the browser holds the frames back towards it (a few ms each
# second, from where a join starts), so it reads the extension
sed -i '/^rtc_playout_delay_ms/d' "$conf"
echo "rtc_playout_delay_ms = 150" >> "$conf"
kill -HUP "$pid_rtcd"
sleep 1
check "Chromium plays with rtc_playout_delay_ms = 150" play 2 8
n=$(r 2 "d['ext'].get('$id:00f00f', 0)")
check "the packets carry 150 and 150 ms, 15 units of 10 ms each (${n:-0} packets)" \
    [ "${n:-0}" -ge 30 ]
last=$(j 2 'd["latencySeries"][-1]')
check "Chromium holds the picture back for it: ${last:-?} ms old in the last second, against ${p50:-?} ms at 0" \
    [ "${last:-0}" -gt $((${p50:-999} + 50)) ]
jb2=$(j 2 'round(1000 * d["last"]["video"]["jitterBufferDelay"] / max(1, d["last"]["video"]["jitterBufferEmittedCount"]))')
check "frames wait in its jitter buffer: ${jb2:-?} ms on average, against ${jb1:-?} ms at 0" \
    [ "${jb2:-0}" -gt $((${jb1:-999} + 40)) ]

# -1: not negotiated, not sent
sed -i '/^rtc_playout_delay_ms/d' "$conf"
echo "rtc_playout_delay_ms = -1" >> "$conf"
kill -HUP "$pid_rtcd"
sleep 1
check "Chromium plays with rtc_playout_delay_ms = -1" play 3
check "the answer has no extension" \
    [ "$(j 3 'int(not any(l.startswith("a=extmap:") for l in d["answerLines"]))')" = 1 ]
check "and no packet carries one ($(r 3 'sorted(d["ext"])'))" \
    [ "$(r 3 'int(set(d["ext"]) == {"none"})')" = 1 ]
check "nyonctl status --json says none: -1" \
    [ "$(pyjson 'd["rtcd"]["streams"][0]["sessions"][-1]["playout_delay_ms"]' < "$tmp/s3.json" 2>/dev/null)" = -1 ]
check "rtcd stops cleanly" stop rtcd
check "with no sanitizer report" sh -c "! grep -q 'Sanitizer\\|runtime error' '$tmp/rtcd.log'"
check "ingestd stops cleanly" stop ingestd
check "flvd stops cleanly" stop flvd
done_testing
