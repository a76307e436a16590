#!/bin/sh
# The web UI end to end: the dashboard (authd) and the public watch page
# (flvd) in headless Chromium against the real daemons, with ffmpeg
# publishing to the key the dashboard shows (tests/browser/dashboard.mjs).
# Also flvd's static files: content types, caching, no way out of www_dir.
# Screenshots of every page land in build/screenshots/.
. "$(dirname "$0")/lib.sh"

www=$top/www
shots=${NYON_SCREENSHOTS:-$top/build/screenshots}
DEFAULT_ADMIN_PASSWORD=first-Passw0rd
export DEFAULT_ADMIN_PASSWORD

if [ ! -f "$www/vendor/mpegts.js" ] || [ ! -f "$www/vendor/qrcode.mjs" ]; then
	not_ok "www/vendor is built (run make www)"
	done_testing
	exit
fi
SRT_PORT=$(free_port udp)
write_conf <<CONF
www_dir = $www
republish_grace = 2
CONF
check "authd starts" start authd
check "ingestd starts" start ingestd
check "flvd starts" start flvd
check "recd starts" start recd
check "fwdd starts" start fwdd
# the stream the browser forwards the live one to (dashboard.mjs --relay-key)
nyonctl stream add relay --key relayDashKey4242 > /dev/null || not_ok "nyonctl stream add relay"
# the URLs the dashboard shows point at this test's ports
for kv in "lan_ip 127.0.0.1" "rtmp_port $RTMP_PORT" "srt_port $SRT_PORT" \
    "http_port $FLV_PORT" "api_port $API_PORT"; do
	# shellcheck disable=SC2086
	nyonctl config set $kv > /dev/null || not_ok "nyonctl config set $kv"
done

# --- flvd's static files
flv=http://127.0.0.1:$FLV_PORT
head_of() {
	curl -s -m 10 -D - -o "$tmp/body" --path-as-is "$flv$1"
}
h=$(head_of /watch/cam1)
case $h in
*"200 OK"*"Content-Type: text/html; charset=utf-8"*"Cache-Control: no-cache"*) ok "/watch/NAME is the watch page (text/html, no-cache)" ;;
*) not_ok "/watch/NAME is the watch page"; diag "$h" ;;
esac
# flvd writes the stream's Open Graph tags where the page says <!--og-->
page_is_watch() {
	grep -v '^<meta property="og:\|^<meta name="twitter:\|^<!--og-->$' "$tmp/body" > "$tmp/body.stripped"
	grep -v '^<!--og-->$' "$www/watch/index.html" > "$tmp/watch.stripped"
	cmp -s "$tmp/body.stripped" "$tmp/watch.stripped" &&
	    grep -q '^<meta property="og:image" content="[^"]*/thumb/[^"]*\.jpg">$' "$tmp/body"
}
check "it is www/watch/index.html, with its Open Graph tags" page_is_watch
h=$(head_of /vendor/mpegts.js)
case $h in
*"200 OK"*"Content-Type: text/javascript; charset=utf-8"*"Content-Length: $(size_of "$www/vendor/mpegts.js")"*"Cache-Control: public, max-age="*) ok "/vendor/mpegts.js: JavaScript, its length, cacheable" ;;
*) not_ok "/vendor/mpegts.js headers"; diag "$h" ;;
esac
check "whole, byte for byte" cmp -s "$tmp/body" "$www/vendor/mpegts.js"
h=$(curl -s -m 5 -I "$flv/vendor/qrcode.mjs")
case $h in *"200 OK"*"text/javascript"*) ok "/vendor/qrcode.mjs is JavaScript" ;; *) not_ok "/vendor/qrcode.mjs"; diag "$h" ;; esac
for p in /vendor/../watch/index.html /vendor/%2e%2e/watch/index.html \
    /vendor/..%2fwatch%2findex.html /vendor/.stamp /vendor/nosuch.js /vendor/ \
    /watch/ /watch /favicon.ico; do
	code=$(curl -s -m 5 -o /dev/null --path-as-is -w '%{http_code}' "$flv$p")
	check "$p is 404 ($code)" [ "$code" = 404 ]
done
# a name holds no '/': /watch/../x is no stream and never another file
code=$(curl -s -m 5 -o "$tmp/body" -w '%{http_code}' --path-as-is "$flv/watch/../Makefile")
check "/watch/../Makefile is a 404 ($code)" [ "$code" = 404 ]
check "and not the file" sh -c "! cmp -s '$tmp/body' '$top/Makefile'"
h=$(head_of /watch/caf%C3%A9%20cam)
check "/watch/NAME with any characters is the watch page" page_is_watch
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST "$flv/watch/cam1")
check "POST /watch/NAME is 405 ($code)" [ "$code" = 405 ]

# --- the browser
if ! timeout 180 "$top/tests/browser/setup.sh" >> "$tmp/setup.log" 2>&1; then
	not_ok "tests/browser/setup.sh installs playwright-core"
	diag "$(tail -5 "$tmp/setup.log")"
	done_testing
	exit
fi
rm -rf "$shots"
# dashboard.mjs gives up by itself after 180 s; timeout is the backstop
timeout 210 node "$top/tests/browser/dashboard.mjs" --api "http://127.0.0.1:$API_PORT" \
    --flv "$flv" --rtmp-port "$RTMP_PORT" --password "$DEFAULT_ADMIN_PASSWORD" \
    --relay-key relayDashKey4242 \
    --screenshots "$shots" > "$tmp/browser.out" 2> "$tmp/browser.err"
rc=$?
relay_tap "$tmp/browser.out"
check "dashboard.mjs exits 0 ($rc)" [ "$rc" -eq 0 ]
[ -s "$tmp/browser.err" ] && diag "$(tail -5 "$tmp/browser.err")"
n=$(ls "$shots"/*.png 2>/dev/null | wc -l)
check "screenshots saved in $shots ($n)" [ "$n" -ge 14 ]

check "fwdd stops cleanly" stop fwdd
check "authd stops cleanly" stop authd
check "ingestd stops cleanly" stop ingestd
check "flvd stops cleanly" stop flvd
leaks=$(grep -l 'refusedDashKey77\|relayDashKey4242' "$tmp/fwdd.log" "$tmp/authd.log")
check "no destination key in fwdd's or authd's log" [ -z "$leaks" ]
done_testing
