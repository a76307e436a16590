#!/bin/sh
# Recording and thumbnails through real daemons and real clients: a stream
# whose record setting is on is published for 20 s with ffmpeg and becomes
# one MP4 that ffprobe reads as 20 +- 1 s of H.264 and AAC, that decodes
# without an error and that plays and seeks in headless Chromium from the
# API's signed URL; a stream left at the default is not recorded; the
# live thumbnail is a JPEG of the stream's size within seconds, served by
# flvd and named by the watch page as poster and og:image; the recordings
# API refuses strangers, answers ranges with 206 and the right bytes,
# keeps and deletes; nyonctl lists; a codec recd cannot record is logged
# and skipped.
. "$(dirname "$0")/lib.sh"

write_conf <<CONF
www_dir = $top/www
thumbnail_interval = 2
CONF
api=http://127.0.0.1:$API_PORT
rec=$tmp/state/recordings
DEFAULT_ADMIN_PASSWORD=first-pass-123
export DEFAULT_ADMIN_PASSWORD
check "authd starts" start authd
unset DEFAULT_ADMIN_PASSWORD
check "ingestd starts" start ingestd
check "flvd starts" start flvd
check "recd starts" start recd

# --- the record setting ---------------------------------------------------------
check "stream add cam1 --record on" sh -c "'$bin/ctl/nyonctl' -f '$conf' stream add cam1 --record on >/dev/null"
check "stream add cam2 (record left at the default, off)" sh -c "'$bin/ctl/nyonctl' -f '$conf' stream add cam2 >/dev/null"
check "stream add cam3 --record on" sh -c "'$bin/ctl/nyonctl' -f '$conf' stream add cam3 --record on >/dev/null"
out=$(nyonctl stream show cam1)
case $out in
*"record:       yes"*) ok "stream show cam1: record yes" ;;
*) not_ok "stream show cam1: record yes"; diag "$out" ;;
esac
out=$(nyonctl stream show cam2)
case $out in
*"record:       no (the default)"*) ok "stream show cam2: record no (the default)" ;;
*) not_ok "stream show cam2: record no (the default)"; diag "$out" ;;
esac
out=$(nyonctl stream add cam4 --record maybe 2>&1); rc=$?
check "--record maybe is refused ($rc)" [ "$rc" -eq 2 ]
key() {
	nyonctl --json stream show "$1" | pyjson 'd["stream_key"]'
}
k1=$(key cam1) k2=$(key cam2) k3=$(key cam3)

# --- 20 s of cam1, recorded; cam2 beside it, not --------------------------------
publish cam1 640x360 20 "rtmp://127.0.0.1:$RTMP_PORT/live/$k1"
publish cam2 320x240 8 "rtmp://127.0.0.1:$RTMP_PORT/live/$k2"
check "cam1 goes live" wait_live cam1
# the live thumbnail: within a few seconds, served by flvd
i=0 code=
while [ $i -lt 60 ]; do
	code=$(curl -s -m 3 -o "$tmp/live.jpg" -w '%{http_code}' \
	    "http://127.0.0.1:$FLV_PORT/thumb/cam1.jpg")
	[ "$code" = 200 ] && break
	sleep 0.1
	i=$((i + 1))
done
check "flvd serves cam1's live thumbnail within 6 s of going live ($code, $((i / 10)) s)" [ "$code" = 200 ]
size=$(timeout 10 ffprobe -v error -show_entries stream=codec_name,width,height \
    -of csv=p=0 "$tmp/live.jpg" 2>&1)
check "it is a JPEG of the stream's size that decodes ($size)" [ "$size" = "mjpeg,640,360" ]
code=$(curl -s -m 3 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$FLV_PORT/thumb/nosuch.jpg")
check "no thumbnail for a stream that never went live: 404" [ "$code" = 404 ]
code=$(curl -s -m 3 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$FLV_PORT/thumb/..%2Fnyon.db.jpg")
check "a path out of the thumbnails is 404" [ "$code" = 404 ]
curl -s -m 3 -o "$tmp/page.html" -H 'Host: pi.example:8080' "http://127.0.0.1:$FLV_PORT/watch/cam1"
check "the watch page names the thumbnail as og:image" grep -qF \
    '<meta property="og:image" content="http://pi.example:8080/thumb/cam1.jpg">' "$tmp/page.html"
check "and the stream as og:title" grep -qF '<meta property="og:title" content="cam1">' "$tmp/page.html"
check "and uses it as the video's poster" grep -qF "video.poster = '/thumb/'" "$tmp/page.html"
page=$(curl -s -m 3 "http://127.0.0.1:$FLV_PORT/watch/%3Cb%3E%22x")
case $page in
*'content="&lt;b&gt;&quot;x"'*) ok "a name with markup is escaped in the tags" ;;
*) not_ok "a name with markup is escaped in the tags" ;;
esac
sleep 2
out=$(nyonctl status)
case $out in
*"recd     up"*"recording: 1"*) ok "nyonctl status: recd up, recording 1 stream" ;;
*) not_ok "nyonctl status: recd up, recording 1 stream"; diag "$out" ;;
esac
reap "$pub_cam1" 400
reap "$pub_cam2" 100
sleep 2

# --- the file ----------------------------------------------------------------------
n1=$(ls "$rec/cam1/"*.mp4 2>/dev/null | wc -l)
check "cam1: one recording ($n1)" [ "$n1" -eq 1 ]
check "cam2 (record off): none" [ ! -d "$rec/cam2" ]
f=$(ls "$rec/cam1/"*.mp4 2>/dev/null | head -1)
case $(basename "${f:-x}") in
[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9][0-9][0-9]-[0-9][0-9][0-9].mp4)
	ok "its name sorts by time: $(basename "$f")" ;;
*) not_ok "its name sorts by time: $f" ;;
esac
dur=$(timeout 20 ffprobe -v error -show_entries format=duration -of csv=p=0 "$f")
check "ffprobe reads its duration as 20 +- 1 s ($dur)" \
    awk -v d="${dur:-0}" 'BEGIN { exit !(d >= 19 && d <= 21) }'
streams=$(timeout 20 ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$f" | tr '\n' ' ')
check "video and audio: $streams" [ "$streams" = "h264 aac " ]
errs=$(timeout 60 ffmpeg -nostdin -v error -i "$f" -f null - 2>&1)
check "it decodes with no error" [ -z "$errs" ]
[ -z "$errs" ] || diag "$(echo "$errs" | head -5)"
check "its thumbnail is beside it" [ -s "${f%.mp4}.jpg" ]

# --- nyonctl -------------------------------------------------------------------------
out=$(nyonctl recording list cam1)
case $out in
*cam1*avc1.*mp4a.40.2*) ok "nyonctl recording list cam1 shows it with its codecs" ;;
*) not_ok "nyonctl recording list cam1 shows it with its codecs"; diag "$out" ;;
esac
id=$(nyonctl --json recording list cam1 | pyjson 'd[0]["id"]')
check "it has an id ($id)" [ -n "$id" ]

# --- the API ------------------------------------------------------------------------
req() {
	_m=$1 _p=$2 _b=${3:-} _t=${4:-}
	if [ $# -ge 4 ]; then shift 4; else shift $#; fi
	set -- -s -m 20 -o "$tmp/out" -D "$tmp/hdr" -w '%{http_code}' -X "$_m" "$@"
	[ -n "$_t" ] && set -- "$@" -H "Authorization: Bearer $_t"
	[ -n "$_b" ] && set -- "$@" -H 'Content-Type: application/json' \
	    --data-binary "$_b"
	code=$(curl "$@" "$api$_p")
}
js() {
	python3 -c "import json,sys
d = json.load(open(sys.argv[1]))
print($1)" "$tmp/out" 2>/dev/null
}
hdr() {
	tr -d '\r' < "$tmp/hdr" | grep -i "^$1:" | head -1 | sed 's/^[^:]*: *//'
}
req POST /api/auth/login '{"username":"admin","password":"first-pass-123"}'
t0k=$(js 'd["token"]')
req PUT /api/auth/change-password \
    '{"current_password":"first-pass-123","new_password":"second-pass-456"}' "$t0k"
tok=$(js 'd["token"]')
check "logged in" [ -n "$tok" ]
req GET /api/recordings
check "GET /api/recordings without a token: 401" [ "$code" = 401 ]
req GET "/api/recordings/$id/file"
check "the file without a token: 401" [ "$code" = 401 ]
req GET "/api/recordings/$id/file?exp=9999999999&sig=$(printf '%064d' 0)"
check "the file with a forged signature: 401" [ "$code" = 401 ]
req GET /api/recordings "" "$tok"
check "GET /api/recordings: 200" [ "$code" = 200 ]
n=$(js 'len([r for r in d["data"]["recordings"] if r["stream"] == "cam1" and r["id"] == '"$id"' and r["duration"] > 19 and r["size"] > 0 and "avc1" in r["codecs"]])')
check "it lists cam1's recording: stream, duration, size, codecs" [ "$n" = 1 ]
url=$(js 'd["data"]["recordings"][0]["url"]')
turl=$(js 'd["data"]["recordings"][0]["thumbnail_url"]')
check "with a signed URL" sh -c "echo '$url' | grep -q '^/api/recordings/$id/file?exp=[0-9]*&sig=[0-9a-f]\{64\}$'"
req GET "/api/recordings?stream=cam2" "" "$tok"
check "none for cam2" [ "$(js 'len(d["data"]["recordings"])')" = 0 ]
fsize=$(wc -c < "$f" | tr -d ' ')
req GET "$url" "" "" -H 'Range: bytes=100-1123'
check "a range: 206" [ "$code" = 206 ]
check "Content-Range: bytes 100-1123/$fsize ($(hdr Content-Range))" [ "$(hdr Content-Range)" = "bytes 100-1123/$fsize" ]
dd if="$f" of="$tmp/want" bs=1 skip=100 count=1024 2>/dev/null
check "the right 1024 bytes" cmp -s "$tmp/out" "$tmp/want"
req GET "$url" "" "" -H 'Range: bytes=-16'
tail -c 16 "$f" > "$tmp/want"
check_all "a suffix range: the last 16 bytes" '[ "$code" = 206 ]' 'cmp -s "$tmp/out" "$tmp/want"'
req GET "$url" "" "" -H "Range: bytes=$fsize-"
check "a range past the end: 416" [ "$code" = 416 ]
req GET "/api/recordings/$id/file" "" "$tok"
check_all "the whole file with the token: 200, the same bytes" '[ "$code" = 200 ]' \
    'cmp -s "$tmp/out" "$f"' '[ "$(hdr Accept-Ranges)" = bytes ]' \
    '[ "$(hdr Content-Type)" = video/mp4 ]'
req GET "$turl"
check_all "the recording's thumbnail by its signed URL: a JPEG" '[ "$code" = 200 ]' \
    '[ "$(hdr Content-Type)" = image/jpeg ]' 'cmp -s "$tmp/out" "${f%.mp4}.jpg"'
req GET "/api/recordings/999999999/file" "" "$tok"
check "an unknown recording: 404" [ "$code" = 404 ]

# --- in the browser: plays and seeks ------------------------------------------------
check "the browser test's node modules are installed" timeout 180 "$top/tests/browser/setup.sh"
out=$(timeout 90 node "$top/tests/browser/seek.mjs" "$api$url" --seek 15 2>&1); rc=$?
check "Chromium plays it in a <video> and seeks to 15 s (exit $rc)" [ "$rc" -eq 0 ]
diag "$out"

# --- keep and delete ----------------------------------------------------------------
req PUT "/api/recordings/$id" '{"keep":true}' "$tok"
check_all "PUT keep: 200, kept" '[ "$code" = 200 ]' '[ "$(js "d[\"data\"][\"keep\"]")" = True ]'
check "a .keep mark beside the file" [ -e "${f%.mp4}.keep" ]
out=$(nyonctl recording list)
case $out in *kept*) ok "nyonctl shows it kept" ;; *) not_ok "nyonctl shows it kept"; diag "$out" ;; esac
req PUT "/api/recordings/$id" '{"keep":"yes"}' "$tok"
check "keep must be true or false: 400" [ "$code" = 400 ]
req DELETE "/api/recordings/$id"
check "DELETE without a token: 401" [ "$code" = 401 ]
req DELETE "/api/recordings/$id" "" "$tok"
check "DELETE: 200" [ "$code" = 200 ]
check_all "the file, its thumbnail and mark are gone" '[ ! -e "$f" ]' \
    '[ ! -e "${f%.mp4}.jpg" ]' '[ ! -e "${f%.mp4}.keep" ]'
req DELETE "/api/recordings/$id" "" "$tok"
check "DELETE again: 404" [ "$code" = 404 ]

# --- a codec recd cannot record: logged and skipped -----------------------------------
ffmpeg -hide_banner -nostdin -loglevel warning -re \
    -f lavfi -i "testsrc2=size=320x240:rate=25" -f lavfi -i "sine=frequency=440" \
    -c:v flv1 -g 25 -c:a aac -t 4 -f flv "rtmp://127.0.0.1:$RTMP_PORT/live/$k3" \
    >> "$tmp/pub-cam3.log" 2>&1 &
pub_cam3=$!
pids="$pids $pub_cam3"
reap "$pub_cam3" 150
sleep 1
check "recd says why cam3 (Sorenson H.263) is not recorded" \
    grep -q "stream cam3: FLV video codec 2: not recorded" "$tmp/recd.log"
check "and is still up" nyonctl ping recd
# --- the setting changed while live: recording starts and stops at once ------------
publish cam2 320x240 12 "rtmp://127.0.0.1:$RTMP_PORT/live/$k2"
check "cam2 goes live, not recorded" wait_live cam2
sleep 1
check "stream edit cam2 --record on while it is live" sh -c "'$bin/ctl/nyonctl' -f '$conf' stream edit cam2 --record on >/dev/null"
sleep 3
f2=$(ls "$rec/cam2/"*.mp4 2>/dev/null | head -1)
check "recd records cam2 from its next keyframe ($(basename "${f2:-none}"))" [ -n "$f2" ]
check "and says so" grep -q "stream cam2: recording turned on" "$tmp/recd.log"
check "stream edit cam2 --record default (off) while it is live" sh -c "'$bin/ctl/nyonctl' -f '$conf' stream edit cam2 --record default >/dev/null"
sleep 1
check "the file ends at once" grep -q "recording ${f2:-none}: done" "$tmp/recd.log"
dur=$(timeout 20 ffprobe -v error -show_entries format=duration -of csv=p=0 "${f2:-/nonexistent}")
check "holding the seconds it was on ($dur)" awk -v d="${dur:-0}" 'BEGIN { exit !(d >= 2 && d <= 5) }'
reap "$pub_cam2" 150

# --- HEVC over SRT: recorded as hvc1 with its AAC, thumbnails decoded too --------------
check "stream add cam5 --record on" sh -c "'$bin/ctl/nyonctl' -f '$conf' stream add cam5 --record on >/dev/null"
k5=$(key cam5)
timeout 30 ffmpeg -hide_banner -nostdin -loglevel warning -re \
    -f lavfi -i "testsrc2=size=320x240:rate=25" -f lavfi -i "sine=frequency=440" \
    -c:v libx265 -preset ultrafast -x265-params log-level=error -g 25 \
    -c:a aac -t 6 -pes_payload_size 0 \
    -f mpegts "srt://127.0.0.1:$SRT_PORT?streamid=#!::r=live/$k5,m=publish" \
    >> "$tmp/pub-cam5.log" 2>&1
sleep 1.5
n5=$(ls "$rec/cam5/"*.mp4 2>/dev/null | wc -l)
check "cam5 (HEVC over SRT): one recording ($n5), audio waited for" [ "$n5" -eq 1 ]
f5=$(ls "$rec/cam5/"*.mp4 2>/dev/null | head -1)
streams=$(timeout 20 ffprobe -v error -show_entries stream=codec_name,codec_tag_string,width,height \
    -of csv=p=0 "${f5:-/nonexistent}" 2>&1 | tr '\n' ' ')
check "hvc1 320x240 and AAC: $streams" [ "$streams" = "hevc,hvc1,320,240 aac,mp4a " ]
dur=$(timeout 20 ffprobe -v error -show_entries format=duration -of csv=p=0 "${f5:-/nonexistent}")
check "about the 6 s sent (${dur:-?} s)" awk -v d="${dur:-0}" 'BEGIN { exit !(d >= 4.5 && d <= 6.5) }'
errs=$(timeout 60 ffmpeg -nostdin -v error -i "${f5:-/nonexistent}" -f null - 2>&1)
check "and decodes with no error" [ -z "$errs" ]
size=$(timeout 10 ffprobe -v error -show_entries stream=width,height -of csv=p=0 \
    "$rec/.live/cam5.jpg" 2>&1)
check "its live thumbnail is a JPEG of 320x240 ($size)" [ "$size" = "320,240" ]

check "recd stops cleanly" stop recd
check "flvd stops cleanly" stop flvd
check "ingestd stops cleanly" stop ingestd
check "authd stops cleanly" stop authd
done_testing
