#!/bin/sh
# WebRTC host candidates: the addresses an operator gave authd (lan_ip,
# public_ip: the ones the watch page's links and QR code carry) are offered
# in every WHEP answer along with the address rtcd listens on, a change
# reaches new answers within seconds, the last known ones stay while authd
# is away, rtc_ips come first, and Chromium still plays through an answer
# with candidates it cannot reach.
. "$(dirname "$0")/lib.sh"

RTC_PORT=$(free_port)
RTC_UDP=$(free_port udp)
write_conf <<CONF
auth = none
rtc_listen = 127.0.0.1:$RTC_PORT
rtc_udp_listen = 127.0.0.1:$RTC_UDP
CONF
whep=http://127.0.0.1:$RTC_PORT/whep
offer=$top/tests/fuzz/corpus/fuzz_sdp/chrome-offer
check "authd starts" start authd
check "lan_ip set" sh -c "'$bin/ctl/nyonctl' -f '$conf' config set lan_ip 127.0.0.3 >/dev/null"
check "public_ip set" sh -c "'$bin/ctl/nyonctl' -f '$conf' config set public_ip 127.0.0.4 >/dev/null"
check "ingestd starts" start ingestd
check "flvd starts" start flvd
check "rtcd starts" start rtcd
publish cam1 320x240 60
check "cam1 goes live" wait_live cam1

# answer: POSTs Chromium's offer, the answer in $tmp/b, and ends the session
answer() {
	: > "$tmp/b"
	code=$(curl -s -m 10 -D "$tmp/h" -o "$tmp/b" -w '%{http_code}' -X POST \
	    -H "Content-Type: application/sdp" --data-binary "@$offer" "$whep/cam1")
	loc=$(sed -n 's/^Location: *//ip' "$tmp/h" | tr -d '\r')
	[ -n "$loc" ] && curl -s -m 10 -o /dev/null -X DELETE "http://127.0.0.1:$RTC_PORT$loc"
	[ "$code" = 201 ]
}
# cand IP: the last answer offers IP on the UDP port, as a host candidate
cand() {
	grep -q "^a=candidate:.* udp [0-9]* $1 $RTC_UDP typ host" "$tmp/b"
}
# cands: the answer's candidate addresses, in order (each m-section has them)
cands() {
	sed -n 's/^a=candidate:[^ ]* [0-9]* udp [0-9]* \([^ ]*\) .*/\1/p' "$tmp/b" |
	    awk '!seen[$0]++' | tr '\n' ' '
}
cands_are() {
	[ "$(cands)" = "$1" ]
}
# until_answer CMD...: POSTs until CMD passes on the answer, at most 10 s
until_answer() {
	_i=0
	while [ $_i -lt 40 ]; do
		answer && "$@" && return 0
		sleep 0.25
		_i=$((_i + 1))
	done
	return 1
}

check "an answer offers authd's lan_ip" until_answer cand 127.0.0.3
diag "candidates: $(cands)"
check "and its public_ip" cand 127.0.0.4
check "and the address rtcd listens on" cand 127.0.0.1
check "lan_ip first, then public_ip, then the listening address" \
    cands_are "127.0.0.3 127.0.0.4 127.0.0.1 "

nyonctl config set lan_ip 127.0.0.5 >/dev/null 2>&1
check "a new lan_ip reaches new answers within 10 s" until_answer cand 127.0.0.5
check "and the old one is gone" sh -c "! grep -q ' 127.0.0.3 ' '$tmp/b'"
nyonctl config set public_ip '' >/dev/null 2>&1
check "public_ip emptied: no longer offered" until_answer sh -c "! grep -q ' 127.0.0.4 ' '$tmp/b'"

check "authd stops" stop authd
sleep 1
check "with authd away, answers still come" answer
check "with the last addresses it gave" sh -c "grep -q ' 127.0.0.5 $RTC_UDP ' '$tmp/b'"

# rtc_ips come first; rtcd reads them at start
stop rtcd
echo "rtc_ips = 127.0.0.6" >> "$conf"
check "rtcd starts again, with rtc_ips" start rtcd
check "authd starts again" start authd
check "rtc_ips, then authd's lan_ip, then the listening address" \
    until_answer cands_are "127.0.0.6 127.0.0.5 127.0.0.1 "
diag "candidates: $(cands)"

# Chromium tries them all and plays through the one it reaches.
timeout 90 node "$top/tests/browser/whep.mjs" --whep "$whep/cam1" --seconds 4 \
    > "$tmp/whep.json" 2> "$tmp/whep.err"
rc=$?
check "Chromium plays through that answer (exit $rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || diag "$(tail -3 "$tmp/whep.err")"
check "frames decoded ($(pyjson 'd["framesDecoded"]' < "$tmp/whep.json" 2>/dev/null))" \
    [ "$(pyjson 'd["framesDecoded"]' < "$tmp/whep.json" 2>/dev/null)" -gt 30 ]
check "the 'authd: candidates' change was logged" grep -q 'authd: candidates lan_ip 127.0.0.5' "$tmp/rtcd.log"
check "rtcd stops cleanly" stop rtcd
check "with no sanitizer report" sh -c "! grep -q 'Sanitizer\\|runtime error' '$tmp/rtcd.log'"
done_testing
