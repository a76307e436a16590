#!/bin/sh
# SRS-compatible hooks obey the rules an RTMP publish to ingestd does (one
# session per stream, disabled streams, protocols, max_concurrent_streams),
# the sessions they open end when SRS stops speaking of them
# (hook_session_ttl, renewed by on_publish and on_hls), only the client
# with the key ends a session, and unknown keys are limited per publisher
# address and per caller.  The calls are made with curl, as SRS makes them:
# a JSON body, Content-Type application/json.
. "$(dirname "$0")/lib.sh"

write_conf <<CONF
hooks = loopback
hook_session_ttl = 5
CONF
check "authd starts" start authd
api=http://127.0.0.1:$API_PORT

nyonctl stream add cam1 --key cam1-key > /dev/null
nyonctl stream add cam2 --key cam2-key --protocol rtmp > /dev/null
nyonctl stream add cam3 --key cam3-key > /dev/null
nyonctl stream add cam4 --key cam4-key > /dev/null
nyonctl stream add srtcam --key srt-key --protocol srt > /dev/null
nyonctl stream add offcam --key off-key --disabled > /dev/null

# hook ACTION CLIENT KEY [IP] [FROM]: the verdict's code in $hc, its msg in
# $hm; IP is what SRS says the publisher's address is, FROM the caller's
hook() {
	curl -s --max-time 10 -o "$tmp/hook" --interface "${5:-127.0.0.1}" \
	    -H 'Content-Type: application/json' --data-binary \
	    "{\"action\":\"$1\",\"client_id\":\"$2\",\"ip\":\"${4:-192.0.2.10}\",\"vhost\":\"__defaultVhost__\",\"app\":\"live\",\"stream\":\"$3\",\"param\":\"\"}" \
	    "$api/api/hooks/$1"
	hc=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["code"])' "$tmp/hook" 2>/dev/null)
	hm=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("msg", ""))' "$tmp/hook" 2>/dev/null)
}
# live NAME: how many open sessions NAME has
live() {
	nyonctl --json session list --active | python3 -c '
import json, sys
print(sum(1 for s in json.load(sys.stdin) if s["stream_name"] == sys.argv[1]))' "$1"
}
# live_client NAME: the client of NAME's open session
live_client() {
	nyonctl --json session list --active | python3 -c '
import json, sys
print(" ".join(s["client_id"] for s in json.load(sys.stdin) if s["stream_name"] == sys.argv[1]))' "$1"
}

# -- the rules of a publish -------------------------------------------------------
hook on_publish c1 cam1-key
check "on_publish with a good key: code 0 ($hc)" [ "$hc" = 0 ]
check "... and cam1 has one open session, client c1" [ "$(live_client cam1)" = c1 ]
hook on_publish c2 cam1-key
check "a second on_publish for live cam1 from another client is refused ($hc: $hm)" \
    sh -c "[ '$hc' != 0 ] && [ '$hm' = 'stream already live' ]"
check "... and cam1 still has one session, c1's" [ "$(live_client cam1)" = c1 ]
hook on_publish c1 cam1-key
check "the same client asking again about the same key: code 0 ($hc)" [ "$hc" = 0 ]
check "... still one session" [ "$(live cam1)" = 1 ]
hook on_publish c1 cam2-key
check "the same client with another stream's key is refused ($hc)" [ "$hc" != 0 ]
check "... and opened nothing" [ "$(live cam2)" = 0 ]
hook on_publish c3 off-key
check "a disabled stream: refused ($hm)" sh -c "[ '$hc' != 0 ] && [ '$hm' = 'stream disabled' ]"
hook on_publish c3 srt-key
check "an SRT-only stream over SRS (RTMP): refused ($hm)" sh -c "[ '$hc' != 0 ] && [ '$hm' = 'protocol not allowed' ]"
nyonctl config set max_concurrent_streams 2 > /dev/null
hook on_publish c3 cam2-key
check "a second stream goes live ($hc)" [ "$hc" = 0 ]
hook on_publish c4 cam3-key
check "a third, at max_concurrent_streams 2, is refused ($hm)" \
    sh -c "[ '$hc' != 0 ] && [ '$hm' = 'too many live streams' ]"

# -- who may end a session ---------------------------------------------------------
hook on_unpublish c3 cam1-key
check "on_unpublish naming c3 with another stream's key: code 0 ($hc)" [ "$hc" = 0 ]
check "... but cam2 stays live" [ "$(live cam2)" = 1 ]
hook on_unpublish c9 cam2-key
check "on_unpublish with cam2's key from another client leaves it live" [ "$(live cam2)" = 1 ]
hook on_unpublish c3 cam2-key
check "c3 with cam2's key ends it" [ "$(live cam2)" = 0 ]

# -- sessions SRS stops speaking of end ----------------------------------------------
# cam1 (c1) was last spoken of above, cam4 is kept up by on_hls
nyonctl config set max_concurrent_streams 3 > /dev/null
hook on_publish c4 cam4-key
check "cam4 goes live ($hc)" [ "$hc" = 0 ]
i=0
while [ $i -lt 5 ]; do
	sleep 2
	hook on_hls c4 cam4-key
	i=$((i + 1))
done
check "cam4, with an on_hls every 2 s for 10 s, is still live (ttl 5 s)" [ "$(live cam4)" = 1 ]
check "cam1, not spoken of for over 10 s, has ended" [ "$(live cam1)" = 0 ]
check "authd logged why" grep -q "client c1) ended: no word from SRS" "$tmp/authd.log"
hook on_publish c9 cam1-key
check "so cam1 may go live again, for another client ($hc)" [ "$hc" = 0 ]
hook on_hls c4 wrong-key
i=0
while [ $i -lt 100 ] && [ "$(live cam4)" != 0 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "on_hls with a wrong key does not keep cam4 up: it ends within 10 s" [ "$(live cam4)" = 0 ]

# -- unknown keys are limited ----------------------------------------------------------
i=0
while [ $i -lt 5 ]; do
	hook on_publish "g$i" "guess-$i" 192.0.2.50
	i=$((i + 1))
done
check "five unknown keys for publisher 192.0.2.50: refused ($hm)" [ "$hm" = "unknown key" ]
hook on_publish g9 cam3-key 192.0.2.50
check "then even a good key for it: 429 ($hc)" [ "$hc" = 429 ]
check "... which opened nothing" [ "$(live cam3)" = 0 ]
hook on_publish g9 cam3-key 2001:db8:5::1
check "another publisher address is not held back ($hc)" [ "$hc" = 0 ]
hook on_unpublish g9 cam3-key 2001:db8:5::1
# a caller that says every guess comes from a new publisher address
hc=$(timeout 120 python3 - "$API_PORT" <<'PY'
import http.client, json, sys
port = int(sys.argv[1])
codes = {}
for i in range(100):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                   source_address=("127.0.0.5", 0))
    body = json.dumps({"action": "on_publish", "client_id": "x%d" % i,
                       "ip": "198.51.%d.%d" % (i // 200, i % 200 + 1),
                       "stream": "guess-%d" % i})
    c.request("POST", "/api/hooks/on_publish", body,
              {"Content-Type": "application/json"})
    r = c.getresponse()
    code = json.loads(r.read())["code"]
    c.close()
    codes[code] = codes.get(code, 0) + 1
print(json.dumps(codes))
PY
)
check "100 guesses from 127.0.0.5, each for a new publisher address: 403 each" [ "$hc" = '{"403": 100}' ]
hook on_publish y1 cam3-key 198.51.9.9 127.0.0.5
check "then that caller is refused even with a good key ($hc)" [ "$hc" = 429 ]
hook on_publish y1 cam3-key 198.51.9.9 127.0.0.6
check "another caller is not ($hc)" [ "$hc" = 0 ]

check "authd stops cleanly" stop authd
done_testing
