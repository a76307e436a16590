#!/bin/sh
# WebRTC over a lossy path: Chromium plays through a UDP relay
# (udp-lossy.py) that drops 1 in 20 of the RTP packets rtcd sends it.
# Chromium NACKs the gaps, rtcd resends from its history, and the picture
# goes on: frames decoded at the stream's rate, few freezes, and what was
# dropped arrives again (the loss Chromium counts in the end is a fraction
# of what the relay dropped).
. "$(dirname "$0")/lib.sh"

RTC_PORT=$(free_port)
RTC_UDP=$(free_port udp)
RELAY=$(free_port udp)
write_conf <<CONF
auth = none
rtc_listen = 127.0.0.1:$RTC_PORT
rtc_udp_listen = 127.0.0.1:$RTC_UDP
CONF
whep=http://127.0.0.1:$RTC_PORT/whep
check "the browser test's node modules are installed" timeout 180 "$top/tests/browser/setup.sh"
check "ingestd starts" start ingestd
check "flvd starts" start flvd
check "rtcd starts" start rtcd
publish cam1 640x360 60
check "cam1 goes live" wait_live cam1

python3 "$top/tests/integration/udp-lossy.py" --listen "$RELAY" --to "$RTC_UDP" \
    --every 20 --seconds 80 --stats "$tmp/relay.json" &
relay=$!
pids="$pids $relay"
sleep 0.3
timeout 90 node "$top/tests/browser/whep.mjs" --whep "$whep/cam1" --seconds 12 \
    --relay "127.0.0.1:$RELAY" > "$tmp/whep.json" 2> "$tmp/whep.err" &
wpid=$!
sleep 9
nyonctl --json status > "$tmp/status.json" 2>&1
reap $wpid 900
rc=$?
kill "$relay" 2>/dev/null
wait "$relay" 2>/dev/null
check "Chromium played through the lossy relay (exit $rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || diag "$(tail -3 "$tmp/whep.err")"
r() { pyjson "$1" < "$tmp/relay.json" 2>/dev/null; }
j() { pyjson "$1" < "$tmp/whep.json" 2>/dev/null; }
dropped=$(r 'd["dropped"]')
diag "relay: $(cat "$tmp/relay.json" 2>/dev/null)"
diag "video: $(j 'json.dumps({k: d["last"]["video"].get(k) for k in ("packetsReceived", "packetsLost", "nackCount", "retransmittedPacketsReceived", "framesDecoded", "freezeCount", "totalFreezesDuration")})')"
check "the relay dropped RTP packets (${dropped:-none} of $(r 'd["rtp"]'))" \
    [ "${dropped:-0}" -ge 100 ]
check "Chromium sent NACKs ($(j 'd["last"]["video"]["nackCount"]'))" \
    [ "$(j 'd["last"]["video"]["nackCount"]')" -gt 10 ]
rtx=$(pyjson 'sum(v["retransmits"] for s in d["rtcd"]["streams"] for v in s["sessions"])' < "$tmp/status.json" 2>/dev/null)
check "rtcd resent packets from its history (${rtx:-none})" [ "${rtx:-0}" -gt 10 ]
check "Chromium counts what was dropped as received in the end: lost $(j 'd["last"]["video"]["packetsLost"]') of $dropped dropped" \
    [ "$(j "int(d['last']['video']['packetsLost'] * 4 < $dropped)")" = 1 ]
check "frames decoded at the stream's rate: at least 200 in 12 s ($(j 'd["framesDecoded"]'))" \
    [ "$(j 'd["framesDecoded"]')" -ge 200 ]
check "few freezes ($(j 'd["freezeCount"]'), $(j 'd["totalFreezesDuration"]') s)" \
    [ "$(j 'int(d["freezeCount"] <= 3 and d["totalFreezesDuration"] < 1.0)')" = 1 ]
check "rtcd stops cleanly" stop rtcd
check "with no sanitizer report" sh -c "! grep -q 'Sanitizer\\|runtime error' '$tmp/rtcd.log'"
done_testing
