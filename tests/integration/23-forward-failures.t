#!/bin/sh
# Forwarding that goes wrong (fwdd, issue 16): besides a healthy
# destination, one that refuses over RTMP and one over SRT (a second Nyon
# turning the name down), one that is down and comes back, and one that
# stalls (its server stops reading).  The publisher, the local viewers and
# the healthy destination carry on; the refusals show the server's reason;
# the one that comes back is reconnected; the stalled one skips to
# keyframes with a queue no longer than forward_backlog, is dropped as
# stalled and tried again.
. "$(dirname "$0")/lib.sh"

write_conf <<CONF
republish_grace = 3
forward_backlog = 256k
forward_timeout = 3
forward_retry_max = 2
CONF
for d in authd ingestd flvd fwdd; do
	check "$d starts" start $d
done
nyonctl stream add cam --key camkey123 >/dev/null

# A second Nyon that refuses names shorter than three characters.
B_SRT=$(free_port udp)
B_RTMP=$(free_port)
bconf=$tmp/b.conf
mkdir -p "$tmp/b-run"
cat > "$bconf" <<CONF
rundir = $tmp/b-run
statedir = $tmp/b-run
rtmp_listen = 127.0.0.1:$B_RTMP
flv_listen = 127.0.0.1:$(free_port)
srt_listen = 127.0.0.1:$B_SRT
auth = none
CONF
"$bin/ingestd/ingestd" -d -f "$bconf" >> "$tmp/b-ingestd.log" 2>&1 &
pids="$pids $!"

P_OK=$(free_port)
P_DOWN=$(free_port)
P_STALL=$(free_port)
rtmp_listen healthy "$P_OK"
# a server that accepts the publish, then stops reading (rtmp-stall.py)
python3 "$top/tests/integration/rtmp-stall.py" "$P_STALL" > "$tmp/stall.log" 2>&1 &
pids="$pids $!"

nyonctl stream forward add cam "rtmp://127.0.0.1:$P_OK/live/okkey" >/dev/null
nyonctl stream forward add cam "rtmp://127.0.0.1:$B_RTMP/live/ab" >/dev/null
nyonctl stream forward add cam "srt://127.0.0.1:$B_SRT?streamid=#!::r=live/ab,m=publish" >/dev/null
nyonctl stream forward add cam "rtmp://127.0.0.1:$P_DOWN/live/downkey" >/dev/null
nyonctl stream forward add cam "rtmp://127.0.0.1:$P_STALL/live/stallkey" >/dev/null

# until_dest ID EXPR [TENTHS]: until EXPR is True for destination ID
until_dest() {
	n=0
	while [ $n -lt "${3:-100}" ]; do
		[ "$(fwd_dest "$1" "$2")" = True ] && return 0
		sleep 0.1
		n=$((n + 1))
	done
	return 1
}

ffmpeg -hide_banner -nostdin -loglevel warning -re \
    -f lavfi -i testsrc2=size=640x360:rate=25 \
    -f lavfi -i sine=frequency=440:sample_rate=44100 \
    -c:v libx264 -preset ultrafast -tune zerolatency -pix_fmt yuv420p \
    -g 25 -b:v 3M -minrate 3M -maxrate 3M -bufsize 1M \
    -x264-params nal-hrd=cbr -c:a aac -t 30 \
    -f flv "rtmp://127.0.0.1:$RTMP_PORT/live/camkey123" > "$tmp/pub.log" 2>&1 &
pub=$!
pids="$pids $pub"
check "cam goes live" wait_live cam
check "the healthy destination goes live" until_dest 1 'd.get("state") == "live"'
check "so does the one that will stall" until_dest 5 'd.get("state") == "live"'

# --- the refusals: the server's own words ---------------------------------
check "the RTMP refusal is shown as failing" until_dest 2 'd.get("state") == "failing"' 100
e2=$(fwd_dest 2 'd.get("last_error")')
check "with the server's reason: $e2" \
    [ "$e2" = "NetStream.Publish.BadName: stream name must be 3 to 100 characters" ]
check "the SRT refusal is shown as failing" until_dest 3 'd.get("state") == "failing"' 100
e3=$(fwd_dest 3 'd.get("last_error")')
check "with the server's reject code: $e3" [ "$e3" = "SRT: rejected by the server: 1400 bad request" ]
e4=$(fwd_dest 4 'd.get("last_error")')
check "the one that is down says so: $e4" [ "$e4" = "Connection refused" ]

# --- down, then back; a stall --------------------------------------------------
timeout 30 ffmpeg -hide_banner -nostdin -v error -i "$(flv_url cam)" -t 10 \
    -f null - > "$tmp/viewer.log" 2>&1 &
viewer=$!
rtmp_listen back "$P_DOWN"
check "the one that was down is reconnected when it comes back" \
    until_dest 4 'd.get("state") == "live" and d.get("reconnects", 0) > 0' 100
check "the stalling server took the publish" grep -q '^publishing' "$tmp/stall.log"
maxq=0 skipped=0 n=0
while [ $n -lt 60 ]; do
	set -- $(fwd_dest 5 '"%d %d" % (d.get("queued", 0), d.get("skips", 0))')
	[ "${1:-0}" -gt "$maxq" ] && maxq=$1
	[ "${2:-0}" -gt 0 ] && skipped=$2
	grep -q "127.0.0.1:$P_STALL/live/\*\*\*\*: stalled" "$tmp/fwdd.log" && break
	sleep 0.2
	n=$((n + 1))
done
check "the stalled destination skipped to keyframes ($skipped times)" [ "$skipped" -gt 0 ]
# the queue when it skipped, as fwdd logged it, and as status showed it
logq=$(sed -n "s/.*127.0.0.1:$P_STALL.*: \([0-9]*\) bytes behind.*/\1/p" "$tmp/fwdd.log" |
    sort -n | tail -1)
[ "${logq:-0}" -gt "$maxq" ] && maxq=$logq
check "its queue stayed within forward_backlog and a keyframe ($maxq bytes)" \
    [ "$maxq" -le $((256 * 1024 + 512 * 1024)) ]
check "it was dropped as stalled and is tried again" \
    grep -q "127.0.0.1:$P_STALL/live/\*\*\*\*: stalled: the server took nothing for 3 s; again in" "$tmp/fwdd.log"
check "the healthy one stayed live all along" \
    until_dest 1 'd.get("state") == "live" and d.get("reconnects") == 0' 10
reap $viewer 300; rc=$?
check_all "a local viewer decoded 10 s meanwhile, with no error" '[ "$rc" -eq 0 ]' \
    '[ ! -s "$tmp/viewer.log" ]'
[ -s "$tmp/viewer.log" ] && diag "$(head -5 "$tmp/viewer.log")"

reap $pub 300; rc=$?
check_all "the publisher was never disturbed: 30 s in one session" '[ "$rc" -eq 0 ]' \
    'grep -q "stream cam: ended after \(29\|30\|31\)s" "$tmp/ingestd.log"'
check_all "the healthy and the reconnected servers see the end" \
    'reap "$lis_healthy" 150' 'reap "$lis_back" 100'
for f in healthy back; do
	timeout 60 ffmpeg -hide_banner -nostdin -v error -i "$tmp/$f.flv" \
	    -f null - > "$tmp/decode-$f.log" 2>&1; rc=$?
	check_all "what the $f server got decodes with no error" '[ "$rc" -eq 0 ]' \
	    '[ ! -s "$tmp/decode-$f.log" ]'
done
frames=$(timeout 60 ffprobe -v error -count_frames -select_streams v \
    -show_entries stream=nb_read_frames -of csv=p=0 "$tmp/healthy.flv")
check "the healthy server got the whole stream ($frames frames of 750)" \
    [ "${frames:-0}" -ge 690 ]
leaks=$(grep -l "okkey\|downkey\|stallkey" "$tmp/fwdd.log" "$tmp/authd.log" \
    "$tmp/ingestd.log" "$tmp/flvd.log")
check "no key in the logs" [ -z "$leaks" ]
done_testing
