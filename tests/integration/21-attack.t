#!/bin/sh
# Everything issue 13 found, at once, against the daemons as installed
# (default limits, authd checking keys): RTMP clients that try to make
# ingestd buffer 16 MiB messages, sockets that hold publisher and viewer
# slots without saying anything, and names and keys that are too long,
# cut inside a character or not text at all.  Meanwhile a real ffmpeg
# publisher with a 100-character multibyte name goes live and a real
# viewer decodes it, and nothing the sanitizers watch goes wrong.
. "$(dirname "$0")/lib.sh"

DEFAULT_ADMIN_PASSWORD=attack-admin-1
export DEFAULT_ADMIN_PASSWORD
write_conf <<CONF
republish_grace = 0
CONF
check "authd starts" start authd
unset DEFAULT_ADMIN_PASSWORD
check "ingestd starts" start ingestd
check "flvd starts" start flvd
A=$top/tests/integration/attack.py
SECS=20

NAME=$(python3 -c 'print("Drone field ✈ " + "é" * 86, end="")')
KEY=$(nyonctl --json stream add "$NAME" | pyjson 'd["stream_key"]')
check "a 100-character multibyte stream is created" [ -n "$KEY" ]
PLAY=$(nyonctl --json stream urls "$NAME" | pyjson 'd["lan"]["play_url"].split("/", 3)[3]')

# --- the attackers ---------------------------------------------------------
srcs=""
i=10
while [ $i -le 40 ]; do
	srcs="$srcs --source 127.0.0.$i"
	i=$((i + 1))
done
# shellcheck disable=SC2086
timeout $((SECS + 20)) python3 "$A" "$RTMP_PORT" memory --clients 31 \
    --seconds "$SECS" --pause 1 $srcs > "$tmp/atk-memory" 2>&1 &
a1=$!
timeout $((SECS + 20)) python3 "$A" "$RTMP_PORT" idle --clients 64 \
    --seconds "$SECS" --pause 0.1 --source 127.0.0.2 > "$tmp/atk-idle" 2>&1 &
a2=$!
# viewer slots: sockets that never send a request, reopened at once
timeout $((SECS + 20)) python3 - "$FLV_PORT" "$SECS" > "$tmp/atk-http" 2>&1 <<'PY' &
import selectors, socket, sys, time
port, secs = int(sys.argv[1]), float(sys.argv[2])
sel = selectors.DefaultSelector()
def conn():
    s = socket.socket()
    s.bind(("127.0.0.3", 0))
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    sel.register(s, selectors.EVENT_READ)
n = 0
for i in range(300):
    conn()
    n += 1
end = time.monotonic() + secs
while time.monotonic() < end:
    for key, ev in sel.select(0.05):
        try:
            key.fileobj.recv(4096)
        except OSError:
            pass
        sel.unregister(key.fileobj)
        key.fileobj.close()
        conn()
        n += 1
print("connections", n)
PY
a3=$!
pids="$pids $a1 $a2 $a3"
sleep 1

# names and keys that are no name or key: refused, never cut, never a crash
n=0
for bad in "$(python3 -c 'print("k" * 101, end="")')" \
    "$(python3 -c 'print("日" * 34, end="")')" "bad/key" "a%ffb"; do
	n=$((n + 1))
	timeout 15 ffmpeg -hide_banner -nostdin -loglevel error -re \
	    -f lavfi -i testsrc2=size=160x120:rate=25 -c:v libx264 \
	    -preset ultrafast -t 3 -f flv \
	    "rtmp://127.0.0.1:$RTMP_PORT/live/$bad" > "$tmp/bad.log" 2>&1
	check "a publish with bad key $n is refused ($?)" gave_up $?
done
for path in "live/$(python3 -c 'print("%E6%97%A5" * 101, end="")').flv" \
    "live/%E6%97.flv" "live/%00abc.flv" \
    "watch/$(python3 -c 'print("%F0%9F%9A%81" * 101, end="")')"; do
	code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' --path-as-is \
	    "http://127.0.0.1:$FLV_PORT/$path")
	case $code in
	400 | 404) ok "GET /$(printf %.24s "$path")... is answered $code" ;;
	*) not_ok "GET /$(printf %.24s "$path")... is answered 400 or 404 ($code)" ;;
	esac
done

# --- the real publisher and viewer, during all of it -------------------------
publish_key real "$KEY" 30
i=0
while [ $i -lt 100 ]; do
	code=$(curl -s -m 2 -o /dev/null -I -w '%{http_code}' \
	    "http://127.0.0.1:$FLV_PORT/$PLAY")
	[ "$code" = 200 ] && break
	sleep 0.1
	i=$((i + 1))
done
check "the real publisher goes live under attack ($code)" [ "$code" = 200 ]
timeout 20 ffmpeg -hide_banner -nostdin -v error -rw_timeout 5000000 \
    -i "http://127.0.0.1:$FLV_PORT/$PLAY" -t 5 -f null - > "$tmp/decode.log" 2>&1
rc=$?
frames=$(timeout 20 ffprobe -v error -rw_timeout 5000000 -read_intervals %+3 \
    -select_streams v:0 -count_frames -show_entries stream=nb_read_frames \
    -of csv=p=0 "http://127.0.0.1:$FLV_PORT/$PLAY" 2>/dev/null | head -1)
check_all "a real viewer decodes it under attack (exit $rc, $frames frames in 3 s)" \
    "[ $rc -eq 0 ]" "[ ! -s '$tmp/decode.log' ]" "[ '${frames:-0}' -ge 50 ]"
check "status names the stream exactly" sh -c \
    "$bin/ctl/nyonctl -f $conf --json status | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if sys.argv[1] in [s[\"name\"] for s in d[\"ingestd\"][\"streams\"]] else 1)' '$NAME'"

reap "$a1" $(((SECS + 25) * 10))
reap "$a2" 50
reap "$a3" 50
diag "$(cat "$tmp/atk-memory" "$tmp/atk-idle" "$tmp/atk-http")"
check "ingestd closed the would-be memory hogs, saying why" \
    grep -Eq "rtmp 127.0.0.[1-4][0-9]:[0-9]*: (closed after [0-9]* ms without publishing|not publishing within)" \
    "$tmp/ingestd.log"
check "the daemons are all still up" sh -c \
    "$bin/ctl/nyonctl -f $conf status > /dev/null"
for d in ingestd flvd authd; do
	check "no sanitizer report from $d" sh -c \
	    "! grep -q 'ERROR: AddressSanitizer\|runtime error' '$tmp/$d.log'"
done
check "flvd stops cleanly" stop flvd
check "ingestd stops cleanly" stop ingestd
check "authd stops cleanly" stop authd
done_testing
