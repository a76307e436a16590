#!/bin/sh
# WebRTC over a lossy path: Chromium plays through a UDP relay
# (udp-lossy.py) that drops 1 in 20 of the RTP packets rtcd sends it.
# Chromium NACKs the gaps, rtcd resends from its history, and the picture
# goes on: frames decoded at the stream's rate, few freezes, and what was
# dropped arrives again.  Chromium offers RTX (RFC 4588), so the answer
# has it and the resent packets come on the RTX stream: Chromium counts
# them as retransmissions it received, the relay sees them on the RTX
# SSRC.  An offer without RTX gets its packets resent as they were.
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
diag "video: $(j 'json.dumps({k: d["last"]["video"].get(k) for k in ("packetsReceived", "packetsLost", "nackCount", "retransmittedPacketsReceived", "ssrc", "rtxSsrc", "framesDecoded", "freezeCount", "totalFreezesDuration")})')"
diag "answer: $(j '" ".join(d["answerLines"])')"
# the answer's RTX: a=rtpmap:PT rtx/90000 and a=ssrc-group:FID MEDIA RTX
rtxpt=$(j '[l.split(":")[1].split()[0] for l in d["answerLines"] if " rtx/90000" in l][0]')
fid=$(j '[l.split()[1:] for l in d["answerLines"] if l.startswith("a=ssrc-group:FID ")][0][1]')
check "the answer has RTX for the H.264 payload type (rtx ${rtxpt:-none}, SSRC ${fid:-none})" \
    sh -c "[ -n '$rtxpt' ] && [ -n '$fid' ]"
check "the relay dropped RTP packets (${dropped:-none} of $(r 'd["rtp"]'))" \
    [ "${dropped:-0}" -ge 100 ]
check "Chromium sent NACKs ($(j 'd["last"]["video"]["nackCount"]'))" \
    [ "$(j 'd["last"]["video"]["nackCount"]')" -gt 10 ]
rtx=$(pyjson 'sum(v["retransmits"] for s in d["rtcd"]["streams"] for v in s["sessions"])' < "$tmp/status.json" 2>/dev/null)
check "rtcd resent packets from its history (${rtx:-none})" [ "${rtx:-0}" -gt 10 ]
onrtx=$(r "d['ssrcs'].get('$fid', {}).get('pts', {}).get('$rtxpt', 0)")
check "they went on the RTX stream: $onrtx packets of SSRC $fid, payload type $rtxpt" \
    [ "${onrtx:-0}" -gt 10 ]
check "Chromium took the RTX stream as the video's (rtxSsrc $(j 'd["last"]["video"]["rtxSsrc"]'))" \
    [ "$(j 'd["last"]["video"]["rtxSsrc"]')" = "${fid:-no RTX in the answer}" ]
check "and counts the retransmissions it received ($(j 'd["last"]["video"]["retransmittedPacketsReceived"]'))" \
    [ "$(j 'int((d["last"]["video"]["retransmittedPacketsReceived"] or 0) > 10)')" = 1 ]
# Chromium counts a packet that came again on RTX as lost on the video's
# own SSRC: every one it missed must have come on RTX (a last few may
# still be on their way when the stats are read)
lost=$(j 'd["last"]["video"]["packetsLost"]')
check "every video packet Chromium missed came on RTX: lost ${lost:-?} (of $dropped dropped), $(j 'd["last"]["video"]["retransmittedPacketsReceived"]') retransmissions" \
    [ "$(j 'int(d["last"]["video"]["packetsLost"] <= (d["last"]["video"]["retransmittedPacketsReceived"] or 0) + 3)')" = 1 ]
check "frames decoded at the stream's rate: at least 200 in 12 s ($(j 'd["framesDecoded"]'))" \
    [ "$(j 'd["framesDecoded"]')" -ge 200 ]
check "few freezes ($(j 'd["freezeCount"]'), $(j 'd["totalFreezesDuration"]') s)" \
    [ "$(j 'int(d["freezeCount"] <= 3 and d["totalFreezesDuration"] < 1.0)')" = 1 ]

# A client without RTX: the resent packets go as they were, on the video's
# SSRC, and Chromium counts them as received.
python3 "$top/tests/integration/udp-lossy.py" --listen "$RELAY" --to "$RTC_UDP" \
    --every 20 --seconds 60 --stats "$tmp/relay2.json" &
relay=$!
pids="$pids $relay"
sleep 0.3
timeout 90 node "$top/tests/browser/whep.mjs" --whep "$whep/cam1" --seconds 8 \
    --relay "127.0.0.1:$RELAY" --no-rtx > "$tmp/whep2.json" 2> "$tmp/whep2.err" &
wpid=$!
sleep 6
nyonctl --json status > "$tmp/status2.json" 2>&1
reap $wpid 900
rc=$?
kill "$relay" 2>/dev/null
wait "$relay" 2>/dev/null
check "Chromium played an offer without RTX through the lossy relay (exit $rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || diag "$(tail -3 "$tmp/whep2.err")"
r() { pyjson "$1" < "$tmp/relay2.json" 2>/dev/null; }
j() { pyjson "$1" < "$tmp/whep2.json" 2>/dev/null; }
dropped=$(r 'd["dropped"]')
diag "relay: $(r 'json.dumps({k: d[k] for k in ("rtp", "dropped", "ssrcs")})')"
diag "video: $(j 'json.dumps({k: d["last"]["video"].get(k) for k in ("packetsReceived", "packetsLost", "nackCount", "retransmittedPacketsReceived", "rtxSsrc", "framesDecoded", "freezeCount")})')"
check "the answer has no RTX ($(j '" ".join(d["answerLines"])'))" \
    [ "$(j 'int(not any("rtx" in l or "FID" in l for l in d["answerLines"]))')" = 1 ]
rtx=$(pyjson 'sum(v["retransmits"] for s in d["rtcd"]["streams"] for v in s["sessions"])' < "$tmp/status2.json" 2>/dev/null)
check "rtcd resent packets (${rtx:-none})" [ "${rtx:-0}" -gt 5 ]
check "on the two SSRCs of the answer only ($(r 'len(d["ssrcs"])'))" [ "$(r 'len(d["ssrcs"])')" = 2 ]
check "Chromium counts what was dropped as received in the end: lost $(j 'd["last"]["video"]["packetsLost"]') of $dropped dropped" \
    [ "$(j "int(d['last']['video']['packetsLost'] * 4 < $dropped)")" = 1 ]
check "few freezes ($(j 'd["freezeCount"]'), $(j 'd["totalFreezesDuration"]') s)" \
    [ "$(j 'int(d["freezeCount"] <= 3 and d["totalFreezesDuration"] < 1.0)')" = 1 ]
check "rtcd stops cleanly" stop rtcd
check "with no sanitizer report" sh -c "! grep -q 'Sanitizer\\|runtime error' '$tmp/rtcd.log'"
done_testing
