#!/bin/sh
# Forwarding to SRS (fwdd, issue 16), a server Nyon pushes to when one Pi is
# not enough (nyon(7)): with SRS=PATH/objs/srs in the environment (as for
# tests/bench), a stream pushed over RTMP comes out of SRS's HTTP-FLV as
# what went in, with no decoding error, and SRS sees the publish end when
# the stream does.  Skipped without SRS: it is not part of Nyon.
. "$(dirname "$0")/lib.sh"

if [ -z "${SRS:-}" ] || [ ! -x "$SRS" ]; then
	echo "1..0 # SKIP SRS=PATH/objs/srs not given"
	exit 0
fi

write_conf <<CONF
republish_grace = 2
CONF
for d in authd ingestd flvd fwdd; do
	check "$d starts" start $d
done
nyonctl stream add cam --key camkey123 >/dev/null

S_RTMP=$(free_port)
S_FLV=$(free_port)
mkdir -p "$tmp/srs"
cat > "$tmp/srs/srs.conf" <<EOF
listen 127.0.0.1:$S_RTMP;
max_connections 100;
daemon off;
srs_log_tank file;
srs_log_file $tmp/srs/srs.log;
pid $tmp/srs/srs.pid;
http_api { enabled off; }
http_server { enabled on; listen 127.0.0.1:$S_FLV; dir $tmp/srs; }
vhost __defaultVhost__ {
    http_remux { enabled on; mount [vhost]/[app]/[stream].flv; }
}
EOF
(cd "$(dirname "$SRS")/.." && exec "$SRS" -c "$tmp/srs/srs.conf") \
    > "$tmp/srs/srs.out" 2>&1 &
pids="$pids $!"
sleep 1
check_all "SRS starts" "grep -q 'RTMP listen at tcp://127.0.0.1:$S_RTMP' '$tmp/srs/srs.log'" \
    "grep -q 'HTTP-Server listen at tcp://127.0.0.1:$S_FLV' '$tmp/srs/srs.log'"

nyonctl stream forward add cam "rtmp://127.0.0.1:$S_RTMP/live/srskey" >/dev/null
publish cam 640x360 12 "rtmp://127.0.0.1:$RTMP_PORT/live/camkey123"
check "cam goes live" wait_live cam
n=0
while [ $n -lt 100 ]; do
	nyonctl status 2>/dev/null | grep -q "live .*rtmp://127.0.0.1:$S_RTMP/live/\*\*\*\*" && break
	sleep 0.1
	n=$((n + 1))
done
check "the SRS destination is live" [ $n -lt 100 ]
probe=$(timeout 20 ffprobe -v error -show_entries stream=codec_name,width,height \
    -of csv=p=0 "http://127.0.0.1:$S_FLV/live/srskey.flv" 2>&1)
case $probe in
*h264,640,360*aac*|*aac*h264,640,360*) ok "SRS serves H.264 640x360 and AAC" ;;
*) not_ok "SRS serves H.264 640x360 and AAC"; diag "$probe" ;;
esac
timeout 30 ffmpeg -hide_banner -nostdin -v error \
    -i "http://127.0.0.1:$S_FLV/live/srskey.flv" -t 4 -f null - \
    > "$tmp/srs-decode.log" 2>&1; rc=$?
check_all "what SRS serves decodes for 4 s with no error" '[ "$rc" -eq 0 ]' \
    '[ ! -s "$tmp/srs-decode.log" ]'
reap "$pub_cam" 200
n=0
while [ $n -lt 100 ] && ! grep -q "stream cam: .*: stopped" "$tmp/fwdd.log"; do
	sleep 0.1
	n=$((n + 1))
done
sleep 0.5
check "SRS sees the publish end when the grace period does" \
    grep -qi "unpublish" "$tmp/srs/srs.log"
check "SRS took us for an encoder publishing (type=fmle-publish)" \
    grep -q "type=fmle-publish, .*stream=srskey" "$tmp/srs/srs.log"
check "fwdd never logged the key" sh -c "! grep -q srskey '$tmp/fwdd.log'"
done_testing
