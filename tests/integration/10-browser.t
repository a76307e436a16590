#!/bin/sh
# A browser plays the HTTP-FLV URL: headless Chromium with mpegts.js.
. "$(dirname "$0")/lib.sh"

write_conf <<CONF
auth = none
CONF
check "the browser test's node modules are installed" timeout 180 "$top/tests/browser/setup.sh"
check "ingestd starts" start ingestd
check "flvd starts" start flvd
publish cam1 640x360 60
check "cam1 goes live" wait_live cam1
mkdir -p "$top/build/screenshots"
# play.mjs stops itself after --seconds plus its launch and close margins
out=$(timeout 120 node "$top/tests/browser/play.mjs" "$(flv_url cam1)" --seconds 20 \
    --expect-width 640 --expect-height 360 \
    --screenshot "$top/build/screenshots/play-cam1.png" 2>&1)
rc=$?
check "Chromium plays cam1 at 640x360 with currentTime advancing" [ "$rc" -eq 0 ]
diag "$out"
lat=$(echo "$out" | sed -n 's/.*"latency":\([0-9.]*\).*/\1/p' | head -1)
check "the player's buffered latency is under 2 s (${lat:-?} s)" awk -v l="${lat:-99}" 'BEGIN { exit !(l < 2) }'
out=$(timeout 90 node "$top/tests/browser/play.mjs" "$(flv_url nosuch)" --seconds 5 2>&1)
rc=$?
# 1 is play.mjs's "did not play"; 2 and 3 (usage, no browser) and a timeout
# say nothing about the stream
check "an unknown stream fails in the browser too (exit $rc)" [ "$rc" -eq 1 ]
check "ingestd stops cleanly" stop ingestd
check "flvd stops cleanly" stop flvd
done_testing
