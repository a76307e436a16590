#!/bin/sh
# SRT publishers with real clients: ffmpeg and srt-live-transmit publish
# MPEG-TS over SRT; ffprobe, ffmpeg and curl watch over HTTP-FLV.
. "$(dirname "$0")/lib.sh"

# write_conf's heredoc is expanded before write_conf runs: pick the port here.
SRT_PORT=$(free_port udp)
write_conf <<CONF
auth = none
srt_latency = 120
CONF
check "ingestd starts" start ingestd
check "flvd starts" start flvd
check "ingestd listens for SRT" grep -q "srt: listening on 127.0.0.1:$SRT_PORT" "$tmp/ingestd.log"
# libsrt (with libstdc++ and libcrypto) is opened by the first SRT
# datagram, so an RTMP-only box never maps it; that first caller is not lost.
check "ingestd has not mapped libsrt before any SRT caller" \
    sh -c "! grep -q libsrt /proc/$pid_ingestd/maps"

srt_url() {
	echo "srt://127.0.0.1:$SRT_PORT?streamid=$1"
}

# srt_publish NAME STREAMID [SECONDS] [EXTRA...]: ffmpeg sends a live test
# pattern (H.264, keyframe every second, AAC) as MPEG-TS over SRT in the
# background; pid in $spub_NAME, log in $tmp/spub-NAME.log.
# -pes_payload_size 0 puts each AAC frame in its own PES: by default
# ffmpeg's TS muxer holds ~180 ms of audio per PES, so audio would arrive
# that much after the video of the same instant.
srt_publish() {
	_name=$1 _sid=$2 _secs=${3:-60}
	shift 3 2>/dev/null || shift $#
	ffmpeg -hide_banner -nostdin -loglevel warning -re \
	    -f lavfi -i testsrc2=size=640x360:rate=25 -f lavfi -i sine \
	    -c:v libx264 -preset ultrafast -tune zerolatency -pix_fmt yuv420p \
	    -g 25 -c:a aac -t "$_secs" "$@" -pes_payload_size 0 \
	    -f mpegts "$(srt_url "$_sid")" >> "$tmp/spub-$_name.log" 2>&1 &
	eval "spub_$_name=$!"
	pids="$pids $!"
}

srt_publish cam '#!::r=live/cam,m=publish' 90
check "cam goes live over SRT" wait_live cam
check "the first SRT caller loaded libsrt" grep -q "srt: loaded libsrt" "$tmp/ingestd.log"
check "which ingestd now maps" grep -q libsrt "/proc/$pid_ingestd/maps"

probe=$(timeout 20 ffprobe -v error -show_entries stream=codec_name,width,height \
    -of csv=p=0 "$(flv_url cam)" 2>&1)
case $probe in
*h264,640,360*) ok "ffprobe sees H.264 640x360" ;;
*) not_ok "ffprobe sees H.264 640x360"; diag "$probe" ;;
esac
case $probe in
*aac*) ok "ffprobe sees AAC" ;;
*) not_ok "ffprobe sees AAC"; diag "$probe" ;;
esac

timeout 30 ffmpeg -hide_banner -nostdin -v error -i "$(flv_url cam)" -t 5 \
    -f null - > "$tmp/decode.log" 2>&1
rc=$?
check "ffmpeg decodes 5 s from HTTP-FLV (exit $rc)" [ "$rc" -eq 0 ]
check "with no decode errors" [ ! -s "$tmp/decode.log" ]
[ -s "$tmp/decode.log" ] && diag "$(head -5 "$tmp/decode.log")"

# Audio and video on one timeline: in a 6 s recording, the first and the
# last packets of the two tracks are within 100 ms of each other.
curl -s --max-time 6 -o "$tmp/cam.flv" "$(flv_url cam)"
timeout 60 ffprobe -v error -show_packets -show_entries packet=codec_type,pts_time \
    -of csv=p=0 "$tmp/cam.flv" > "$tmp/packets.txt" 2>&1
sync=$(awk -F, '
	$2 == "" || $2 == "N/A" { next }
	!($1 in first) { first[$1] = $2 }
	{ last[$1] = $2; n[$1]++ }
	END {
		if (n["video"] < 100 || n["audio"] < 100) { print "too few packets"; exit }
		d1 = first["video"] - first["audio"]; if (d1 < 0) d1 = -d1
		d2 = last["video"] - last["audio"]; if (d2 < 0) d2 = -d2
		printf "%d %d %d %d\n", d1 * 1000, d2 * 1000, n["video"], n["audio"]
	}' "$tmp/packets.txt")
set -- $sync
if [ "$#" -eq 4 ] && [ "$1" -le 100 ] && [ "$2" -le 100 ]; then
	ok "A/V in step: first packets ${1} ms apart, last ${2} ms ($3 video, $4 audio)"
else
	not_ok "A/V in step (first, last ms apart; packets): $sync"
	diag "$(head -5 "$tmp/packets.txt")"
fi

out=$(nyonctl status)
case $out in
*cam*srt*127.0.0.1:*) ok "nyonctl status shows cam with proto srt" ;;
*) not_ok "nyonctl status shows cam with proto srt"; diag "$out" ;;
esac

# Every stream id form publishes, under the name it carries.
n=0
for sid in '#!::m=publish,r=live/sid1,u=bob' '#!::u=bob,r=sid2,m=publish' \
    'publish:live/sid3' 'publish:sid4' 'live/sid5' 'sid6'; do
	n=$((n + 1))
	srt_publish "sid$n" "$sid" 20
	check "stream id '$sid' publishes sid$n" wait_live "sid$n"
	eval "kill \$spub_sid$n"
done

# A play request is refused at the handshake, with a reason.
ffmpeg -hide_banner -nostdin -v error -i "$(srt_url '#!::r=live/cam,m=request')" \
    -t 2 -f null - > "$tmp/play.log" 2>&1 &
play=$!
pids="$pids $play"
reap $play 50; rc=$?
check "a play stream id gives up within 5 s with an error ($rc)" gave_up "$rc"
check "ingestd logged the refused play request" \
    grep -q "stream id '#!::r=live/cam,m=request': only m=publish" "$tmp/ingestd.log"
timeout 15 ffmpeg -hide_banner -nostdin -v error -i "$(srt_url 'play:live/cam')" \
    -t 2 -f null - > "$tmp/play2.log" 2>&1
rc=$?
check "play:live/cam is refused too ($rc)" gave_up "$rc"

# srt-live-transmit as a second kind of client.
timeout 60 ffmpeg -hide_banner -nostdin -v error -f lavfi -i testsrc2=size=320x240:rate=25 \
    -f lavfi -i sine -c:v libx264 -preset ultrafast -g 25 -c:a aac -t 8 \
    -f mpegts "$tmp/slt.ts" > "$tmp/slt-make.log" 2>&1
check "a TS file for srt-live-transmit" [ -s "$tmp/slt.ts" ]
# srt-live-transmit polls its input, so it wants a pipe, not a file; ffmpeg
# -re paces the file at its own speed.  -a:no: leave when the input ends.
{ ffmpeg -hide_banner -nostdin -v error -re -i "$tmp/slt.ts" -c copy \
    -f mpegts - | srt-live-transmit -a:no file://con "$(srt_url live/slt)"; } \
    > "$tmp/slt.log" 2>&1 &
slt=$!
pids="$pids $slt"
check "srt-live-transmit's stream goes live" wait_live slt
sleep 1
probe=$(timeout 20 ffprobe -v error -select_streams v -show_entries stream=codec_name,width,height \
    -of csv=p=0 "$(flv_url slt)" 2>&1)
check "and plays as H.264 320x240 ($probe)" [ "$probe" = "h264,320,240" ]
wait_gone $slt 100

# A second publisher to a live stream is refused.
srt_publish second '#!::r=live/cam,m=publish' 10
reap "$spub_second" 80; rc=$?
check "a second SRT publisher to cam gives up within 8 s with an error ($rc)" gave_up "$rc"
check "ingestd logged the refusal" \
    grep -q "srt .*: publish refused: stream cam is already live" "$tmp/ingestd.log"
check "cam still plays" wait_live cam

# Names that could never be valid are refused at the handshake.
for sid in 'live/a/b' 'live/bad$name' 'publish:live/.hidden' 'other/cam' ''; do
	timeout 15 ffmpeg -hide_banner -nostdin -v error -re -f lavfi -i testsrc2=rate=25 \
	    -c:v libx264 -preset ultrafast -t 3 -f mpegts "$(srt_url "$sid")" \
	    > "$tmp/badname.log" 2>&1
	rc=$?
	check "stream id '$sid' is refused ($rc)" gave_up "$rc"
done
check "ingestd logged the invalid name" \
    grep -q "stream id 'live/bad\$name': key must be" "$tmp/ingestd.log"
check "and the hidden one" \
    grep -q "stream id 'publish:live/.hidden': stream name must not" "$tmp/ingestd.log"

# Garbage UDP at the SRT port does no harm.
timeout 30 perl -MIO::Socket::INET -e '
	my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ARGV[0]",
	    Proto => "udp") or die;
	for my $i (1 .. 2000) {
		my $len = 1 + int(rand(1500));
		$s->send(join("", map { chr(int(rand(256))) } 1 .. $len));
	}
	# an SRT control header with nonsense after it
	$s->send(pack("NNNN", 0x80000000, 0, 0, 0) . "x" x 100) for 1 .. 100;' \
    "$SRT_PORT"
check "ingestd still answers after garbage UDP" nyonctl ping ingestd
check "cam still plays after garbage UDP" wait_live cam
srt_publish after '#!::r=live/after,m=publish' 10
check "and a new SRT publisher still goes live" wait_live after

# The publisher leaving ends the stream.
kill -INT "$spub_cam"
wait_gone "$spub_cam" 50
i=0
while [ $i -lt 100 ] && ! grep -q "stream cam: ended" "$tmp/ingestd.log"; do
	sleep 0.1
	i=$((i + 1))
done
check "cam ended when its SRT publisher left" grep -q "stream cam: ended" "$tmp/ingestd.log"
check "ingestd logged the disconnect" grep -Eq "srt 127.0.0.1:[0-9]+: (disconnected|Connection)" "$tmp/ingestd.log"

check "ingestd stops cleanly" stop ingestd

# Without a loadable libsrt, the first SRT caller turns SRT off: callers
# are refused and RTMP carries on.
export NYON_SRT_LIBRARY=/nonexistent/libsrt.so
check "ingestd starts with libsrt missing" start ingestd
unset NYON_SRT_LIBRARY
srt_publish nolib '#!::r=live/nolib,m=publish' 10
reap "$spub_nolib" 80; rc=$?
check "an SRT publisher gives up within 8 s with an error ($rc)" gave_up "$rc"
check "ingestd logged why SRT is off" \
    grep -q "srt: cannot load libsrt: .*SRT is off" "$tmp/ingestd.log"
check "ingestd still answers" nyonctl ping ingestd
publish rtmpcam
check "and an RTMP publisher still goes live" wait_live rtmpcam
kill "$pub_rtmpcam"
reap "$pub_rtmpcam"
check "ingestd stops cleanly" stop ingestd

# Encryption: with srt_passphrase set, a caller with that passphrase
# publishes, and callers without it or with another are refused.  Two
# listen addresses this time, each its own libsrt listener: IPv6 too.
# The passphrase is a secret: not in a nyon.conf anyone can read, but in a
# file of its own named by srt_passphrase_file.
SRT_LISTEN="127.0.0.1:$SRT_PORT [::1]:$SRT_PORT"
write_conf <<CONF
auth = none
srt_passphrase = nyon-test-passphrase
CONF
chmod 644 "$conf"
out=$("$bin/ingestd/ingestd" -n -f "$conf" 2>&1); rc=$?
case $rc:$out in
1:*"srt_passphrase is a secret, but this file is readable by anyone"*srt_passphrase_file*)
	ok "srt_passphrase in a nyon.conf anyone can read is refused" ;;
*) not_ok "srt_passphrase in a nyon.conf anyone can read is refused"; diag "$rc $out" ;;
esac
(umask 077 && echo nyon-test-passphrase > "$tmp/srt.passphrase")
write_conf <<CONF
auth = none
srt_latency = 120
srt_passphrase_file = $tmp/srt.passphrase
CONF
check "ingestd starts with an SRT passphrase" start ingestd
check "and says its SRT port is encrypted" \
    grep -q "srt: listening on 127.0.0.1:$SRT_PORT (encrypted)" "$tmp/ingestd.log"
srt_publish enc '#!::r=live/enc,m=publish&passphrase=nyon-test-passphrase' 30
check "a caller with the passphrase goes live" wait_live enc
ffmpeg -hide_banner -nostdin -loglevel warning -re -f lavfi \
    -i testsrc2=size=320x240:rate=25 -c:v libx264 -preset ultrafast -g 25 \
    -t 20 -f mpegts \
    "srt://[::1]:$SRT_PORT?streamid=#!::r=live/enc6,m=publish&passphrase=nyon-test-passphrase" \
    >> "$tmp/spub-enc6.log" 2>&1 &
spub_enc6=$!
pids="$pids $spub_enc6"
check "and one over IPv6 too" wait_live enc6
probe=$(timeout 20 ffprobe -v error -show_entries stream=codec_name -of csv=p=0 \
    "$(flv_url enc)" 2>&1 | tr '\n' ' ')
case $probe in
*h264*aac* | *aac*h264*) ok "and plays: $probe" ;;
*) not_ok "and plays: $probe" ;;
esac
srt_publish noenc '#!::r=live/noenc,m=publish' 10
reap "$spub_noenc" 80; rc=$?
check "a caller without the passphrase gives up within 8 s with an error ($rc)" \
    gave_up "$rc"
srt_publish badenc '#!::r=live/badenc,m=publish&passphrase=not-the-passphrase' 10
reap "$spub_badenc" 80; rc=$?
check "a caller with another passphrase gives up within 8 s with an error ($rc)" \
    gave_up "$rc"
code=$(curl -s -m 3 -o /dev/null -I -w '%{http_code}' "$(flv_url noenc)")
code2=$(curl -s -m 3 -o /dev/null -I -w '%{http_code}' "$(flv_url badenc)")
check "neither went live ($code, $code2)" [ "$code$code2" = 404404 ]
kill "$spub_enc" "$spub_enc6"
reap "$spub_enc"
reap "$spub_enc6"

check "ingestd stops cleanly" stop ingestd
check "flvd stops cleanly" stop flvd
done_testing
