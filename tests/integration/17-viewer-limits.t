#!/bin/sh
# Hostile and idle connections cannot keep viewers out (issue 13): a host
# that opens connections and sends the start of a request and no more (a
# socket that sends nothing at all stays in the kernel: TCP_DEFER_ACCEPT)
# holds at most
# max_idle_per_address of them, each for viewer_request_timeout; whoever
# finds flvd full is answered 503 with Retry-After, never a bare close; one
# address cannot take more than max_viewers_per_address viewers.
. "$(dirname "$0")/lib.sh"

write_conf <<CONF
auth = none
viewer_request_timeout = 2
max_idle_per_address = 8
max_requests = 24
max_viewers = 6
max_viewers_per_stream = 6
max_viewers_per_address = 3
republish_grace = 0
CONF

# idle SRC SECONDS N: from SRC, keep N connections open that send "GET /"
# and no more, reconnecting each 50 ms after flvd closes it, for SECONDS; then
# print how the connections ended, as JSON: answered 503 (with
# Retry-After), closed without an answer before, at or after the deadline
# (viewer_request_timeout, 2 s: within 1.5 to 3.5 s), reset, or other.
cat > "$tmp/idle.py" <<'PY'
import json, selectors, socket, sys, time
src, port, secs, n = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
sel = selectors.DefaultSelector()
st = {"connects": 0, "answered_503": 0, "retry_after": 0, "bare_early": 0,
      "bare_at_deadline": 0, "bare_late": 0, "resets": 0, "other": [],
      "open": 0}
def conn():
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port))
        s.send(b"GET /")
    except OSError:
        pass
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, {"t": time.monotonic(), "data": b""})
    st["connects"] += 1
def ended(s, d, reset):
    life = time.monotonic() - d["t"]
    if d["data"].startswith(b"HTTP/1.1 503 "):
        st["answered_503"] += 1
        if b"\r\nRetry-After: " in d["data"]:
            st["retry_after"] += 1
    elif reset:
        st["resets"] += 1
    elif d["data"] == b"":
        k = "early" if life < 1.5 else "at_deadline" if life <= 3.5 else "late"
        st["bare_" + k] += 1
    else:
        st["other"].append(d["data"][:40].decode("latin-1"))
    sel.unregister(s)
    s.close()
for i in range(n):
    conn()
end = time.monotonic() + secs
reopen = []
while time.monotonic() < end:
    for key, ev in sel.select(0.05):
        s, d = key.fileobj, key.data
        try:
            b = s.recv(4096)
        except (ConnectionResetError, ConnectionRefusedError):
            ended(s, d, True)
            reopen.append(time.monotonic() + 0.05)
            continue
        if b:
            d["data"] += b
            continue
        ended(s, d, False)
        reopen.append(time.monotonic() + 0.05)
    now = time.monotonic()
    due = [t for t in reopen if t <= now]
    reopen = [t for t in reopen if t > now]
    for t in due:
        conn()
st["open"] = len(sel.get_map())
print(json.dumps(st))
PY
idle() {
	timeout $(($2 + 10)) python3 "$tmp/idle.py" "$1" "$FLV_PORT" "$2" "$3"
}
# wait_idle N: until flvd holds N connections that sent nothing, at most 5 s
wait_idle() {
	t_end=$(($(date +%s) + 5))
	while [ "$(date +%s)" -lt "$t_end" ]; do
		n=$(nyonctl --json status | pyjson 'd["flvd"]["idle"]' 2>/dev/null)
		[ "${n:-0}" -ge "$1" ] && return 0
		sleep 0.1
	done
	diag "flvd holds ${n:-no} idle connections, not $1"
	return 1
}
alive() {
	nyonctl ping flvd > /dev/null
}
# field JSON EXPR
field() {
	echo "$1" | pyjson "$2"
}
# code SRC URL [curl options]: the HTTP status a viewer from SRC gets (000:
# none, the connection was closed without an answer), headers in $tmp/h
code() {
	_src=$1 _url=$2
	shift 2
	: > "$tmp/h"
	curl -s --interface "$_src" -D "$tmp/h" -o /dev/null -w '%{http_code}' \
	    --max-time 3 "$@" "$_url"
}

check "ingestd starts" start ingestd
check "flvd starts" start flvd
publish cam1 320x240 120
check "cam1 goes live" wait_live cam1
url=$(flv_url cam1)

# 1. 80 idle connections from 127.0.0.2, more than max_viewers + 64 (the
# old limit), reconnected as fast as they are closed, for 8 s.
idle 127.0.0.2 8 80 > "$tmp/flood1" &
flood=$!
sleep 1.5
out=$(nyonctl --json status)
idlenow=$(echo "$out" | pyjson 'd["flvd"]["idle"]')
check "under the flood flvd holds at most max_idle_per_address idle connections ($idlenow)" \
    [ "${idlenow:-99}" -le 8 ]
c=$(code 127.0.0.1 "$url" --max-time 3)
check "a viewer from another address still gets the stream ($c)" [ "$c" = 200 ]
bytes=$(curl -s --max-time 3 "$url" | wc -c)
check "and its media ($bytes bytes in 3 s)" [ "$bytes" -gt 20000 ]
frames=$(timeout 20 ffprobe -v error -select_streams v -count_frames \
    -read_intervals '%+2' -show_entries stream=nb_read_frames -of csv=p=0 \
    "$url" 2>"$tmp/ffprobe.err")
check "ffprobe decodes its frames meanwhile ($frames)" [ "${frames:-0}" -ge 10 ]
reap $flood 150
r=$(cat "$tmp/flood1")
diag "flood from 127.0.0.2: $r"
check "the idle connections were refused with 503" \
    [ "$(field "$r" 'd["answered_503"]')" -gt 0 ]
check "every 503 carries Retry-After" \
    [ "$(field "$r" 'd["answered_503"] - d["retry_after"]')" -eq 0 ]
check "no connection was reset" [ "$(field "$r" 'd["resets"]')" -eq 0 ]
check "none got any other answer" [ "$(field "$r" 'len(d["other"])')" -eq 0 ]
# an accepted idle connection is closed, without an answer, at the deadline
check "idle connections were closed at the deadline (2 s)" \
    [ "$(field "$r" 'd["bare_at_deadline"]')" -ge 8 ]
check "none closed without an answer before it" \
    [ "$(field "$r" 'd["bare_early"]')" -eq 0 ]
check "none later" [ "$(field "$r" 'd["bare_late"]')" -eq 0 ]
check "the refusal is logged with the address and the limit" \
    grep -q "refused: 8 connections from 127.0.0.2 have sent no request (max_idle_per_address)" "$tmp/flvd.log"

# 2. Three addresses of 8 idle connections fill max_requests (24): flvd is
# full for another connection that would wait, and tells it so; a viewer
# whose request is whole when it arrives needs no waiting place and gets
# in at once.
idle 127.0.0.2 20 8 > "$tmp/f2" & f2=$!
idle 127.0.0.3 20 8 > "$tmp/f3" & f3=$!
idle 127.0.0.4 20 8 > "$tmp/f4" & f4=$!
check "they take max_requests" wait_idle 24
# partial SRC: connect from SRC, send the start of a request, print the
# answer's first line and whether it says Retry-After
partial() {
	timeout 5 python3 - "$1" "$FLV_PORT" <<'PY'
import socket, sys
s = socket.socket()
s.bind((sys.argv[1], 0))
s.settimeout(3)
s.connect(("127.0.0.1", int(sys.argv[2])))
s.send(b"GET /live/")
data = b""
try:
    while True:
        b = s.recv(4096)
        if not b:
            break
        data += b
except OSError:
    pass
print(data.split(b"\r\n")[0].decode("latin-1"),
      "retry" if b"\r\nRetry-After: " in data else "no-retry")
PY
}
# The holders are closed at the deadline and come back 50 ms later: a
# newcomer that arrives in that gap takes the free place, rightly, and
# waits; one that arrives when they have idled past the grace makes room
# by closing one (below).  So newcomers from addresses of their own every
# 0.3 s, each in the background, up to 12, until one is refused.
wait_idle 24
pp="" r=""
for try in 1 2 3 4 5 6 7 8 9 10 11 12; do
	partial "127.0.0.$((10 + try))" > "$tmp/full.$try" & pp="$pp $!"
	sleep 0.3
	r=$(cat "$tmp"/full.* 2>/dev/null | grep -m 1 '^HTTP/1.1 503 ')
	[ -n "$r" ] && break
done
for pid in $pp; do reap "$pid" 60; done
[ -n "$r" ] || r=$(cat "$tmp"/full.* | grep -m 1 '^HTTP/1.1 503 ')
diag "$try newcomers until one was refused"
check "with max_requests idle connections, another would-be idle one gets 503 ($r)" \
    sh -c "echo '$r' | grep -q '^HTTP/1.1 503 .* retry$'"
check "the refusal names max_requests" grep -q "(max_requests)" "$tmp/flvd.log"
c=$(code 127.0.0.5 "$url" --max-time 2)
check "a viewer whose request is whole gets the stream at once ($c)" [ "$c" = 200 ]
# Idle for more than a second (the grace), the oldest idle connection of
# the busiest address makes room for a newcomer: many hosts' idle sockets
# cannot keep even a slow client out.
# A newcomer that finds a place free (a holder just closed at its deadline)
# takes it, rightly, and holds it for its own deadline, which moves the
# holders' rhythm: so newcomers every 0.3 s, each in the background, up to
# 12, until one has made room by closing an idle connection.
wait_idle 24
sleep 1.2
pp=""
for try in 1 2 3 4 5 6 7 8 9 10 11 12; do
	partial 127.0.0.5 > "$tmp/partial.$try" & pp="$pp $!"
	sleep 0.3
	n=$(nyonctl --json status | pyjson 'd["flvd"]["evicted"]')
	[ "${n:-0}" -ge 1 ] && break
done
diag "$try newcomers until one made room"
for pid in $pp; do reap "$pid" 60; done
check "once they idled past the grace, a slow newcomer is let in by closing one ($n)" \
    [ "${n:-0}" -ge 1 ]
reap $f2 250; reap $f3 250; reap $f4 250
sleep 0.5

# 2b. Sockets that send nothing at all never reach flvd while the kernel
# holds them back (TCP_DEFER_ACCEPT, 3 s): 200 of them take no place.
python3 - "$FLV_PORT" > "$tmp/silent.out" 2>&1 <<'PY' &
import socket, sys, time
socks = []
for i in range(200):
    s = socket.socket()
    s.bind(("127.0.0.6", 0))
    s.connect(("127.0.0.1", int(sys.argv[1])))
    socks.append(s)
time.sleep(2.5)
PY
sil=$!
sleep 1
n=$(nyonctl --json status | pyjson 'd["flvd"]["idle"]')
check "200 silent sockets hold no place in flvd ($n idle)" [ "${n:-1}" -eq 0 ]
c=$(code 127.0.0.5 "$url" --max-time 2)
check "and a viewer gets the stream beside them ($c)" [ "$c" = 200 ]
reap $sil 50

# 3. Viewers: 3 per address at most, 6 in all.
vpids=""
for src in 127.0.0.3 127.0.0.3 127.0.0.3; do
	curl -s --interface $src --max-time 6 -o /dev/null "$url" &
	vpids="$vpids $!"
done
sleep 1
c=$(code 127.0.0.3 "$url")
check "a fourth viewer from one address gets 503 ($c)" [ "$c" = 503 ]
check "with Retry-After" grep -qi '^Retry-After: [0-9]' "$tmp/h"
check "the refusal names the address and max_viewers_per_address" \
    grep -q "3 viewers from 127.0.0.3 (max_viewers_per_address)" "$tmp/flvd.log"
c=$(code 127.0.0.3 "$url" -I)
check "HEAD from that address says 503 too ($c)" [ "$c" = 503 ]
for src in 127.0.0.4 127.0.0.4 127.0.0.4; do
	curl -s --interface $src --max-time 5 -o /dev/null "$url" &
	vpids="$vpids $!"
done
sleep 1
c=$(code 127.0.0.5 "$url")
check "with max_viewers watching, a new viewer gets 503 ($c)" [ "$c" = 503 ]
check "with Retry-After" grep -qi '^Retry-After: [0-9]' "$tmp/h"
for p in $vpids; do reap "$p" 100; done
c=$(code 127.0.0.3 "$url" --max-time 2)
check "once they leave, a viewer is let in again ($c)" [ "$c" = 200 ]

check "flvd still answers" alive
check "flvd stops cleanly" stop flvd

# 4. Out of descriptors: with a limit of 100, flvd answers 503 before the
# kernel would refuse it a descriptor, rather than leave clients waiting or
# close them unanswered.  The other limits are out of the way: 96 idle
# connections from 12 addresses, each within max_idle_per_address, more
# than 100 descriptors can hold.
write_conf <<CONF
auth = none
viewer_request_timeout = 2
max_idle_per_address = 8
max_requests = 200
republish_grace = 0
CONF
sh -c 'ulimit -n 100 && exec "$0" -d -f "$1"' "$bin/flvd/flvd" "$conf" \
    >> "$tmp/flvd.log" 2>&1 &
pid_flvd=$!
pids="$pids $pid_flvd"
i=0
until nyonctl ping flvd > /dev/null 2>&1 || [ $i -ge 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
check "flvd starts with 100 descriptors" kill -0 $pid_flvd
check "and warns that the limits need more" \
    grep -q "RLIMIT_NOFILE is 100" "$tmp/flvd.log"
check "cam1 is live there" wait_live cam1
fpids=""
for n in 2 3 4 6 7 8 9 10 11 12 13 14; do
	src=127.0.0.$n
	idle $src 8 8 > "$tmp/f0.$n" &
	fpids="$fpids $!"
done
# 64 descriptors kept for the rest, and 2 for each connection waiting for
# its request (one for a file it may be sent): 17 of them
check "they take what the descriptors allow" wait_idle 17
c=$(code 127.0.0.5 "$url")
check "a new viewer gets 503, not silence ($c)" [ "$c" = 503 ]
check "the refusal names RLIMIT_NOFILE" \
    grep -q "connections use the descriptors RLIMIT_NOFILE (100) allows" \
    "$tmp/flvd.log"
for p in $fpids; do reap "$p" 150; done
# one file each: appends from 12 processes may interleave on some filesystems
r=$(python3 -c 'import json, sys
t = {}
for f in sys.argv[1:]:
    for k, v in json.load(open(f)).items():
        if isinstance(v, int):
            t[k] = t.get(k, 0) + v
print(json.dumps(t))' "$tmp"/f0.*)
diag "12 floods: $r"
check "the refused were answered 503" [ "$(field "$r" 'd["answered_503"]')" -gt 0 ]
check "with Retry-After" [ "$(field "$r" 'd["answered_503"] - d["retry_after"]')" -eq 0 ]
check "none closed unanswered before the deadline" [ "$(field "$r" 'd["bare_early"]')" -eq 0 ]
check "none reset" [ "$(field "$r" 'd["resets"]')" -eq 0 ]
check "flvd never ran out of descriptors" \
    sh -c '! grep -q "Too many open files" "$1"' sh "$tmp/flvd.log"
c=$(code 127.0.0.5 "$url" --max-time 2)
check "once they are gone, a viewer gets the stream ($c)" [ "$c" = 200 ]
check "ingestd stops cleanly" stop ingestd
check "flvd stops cleanly" stop flvd
done_testing
