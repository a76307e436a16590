#!/bin/sh
# Awkward publishers (issue 18): a camera whose clock jumps 3 hours ahead,
# one that steps 3 seconds back, reach viewers as one continuous timeline;
# a publisher that changes resolution mid-stream gets its new decoder
# configuration to every viewer, those watching and those who join.
. "$(dirname "$0")/lib.sh"

write_conf <<CONF
auth = none
CONF
check "ingestd starts" start ingestd
check "flvd starts" start flvd

pub_py=$top/tests/integration/rtmp-pub.py
# mkflv FILE SIZE SECONDS: H.264 (keyframe each second) and AAC in FLV
mkflv() {
	ffmpeg -hide_banner -nostdin -loglevel error -f lavfi \
	    -i "testsrc2=size=$2:rate=25" -f lavfi -i sine=sample_rate=44100 \
	    -c:v libx264 -preset ultrafast -g 25 -pix_fmt yuv420p -c:a aac \
	    -t "$3" -f flv "$1"
}
mkflv "$tmp/in.flv" 320x240 16
mkflv "$tmp/small.flv" 320x240 6
mkflv "$tmp/big.flv" 640x360 10

# a viewer that curl stopped ends mid-tag: cut that off before decoding
trim() {
	python3 "$top/tests/integration/flv-tool.py" trim "$1"
}
# dts FILE v|a: a stream's packet times in a viewer's file, one a line
dts() {
	timeout 60 ffprobe -v error -select_streams "$2" \
	    -show_entries packet=dts_time -of csv=p=0 "$1" | grep '^[0-9]'
}
# continuous FILE v|a MIN_SPAN MAX_SPAN: never back, no step over 0.5 s,
# and the span (last - first) within [MIN_SPAN, MAX_SPAN] seconds
continuous() {
	dts "$1" "$2" | awk -v lo="$3" -v hi="$4" '
	NR == 1 { first = $1 }
	NR > 1 && ($1 < last || $1 - last > 0.5) { bad++ }
	{ last = $1 }
	END { span = last - first
	      printf "%d packets over %.2f s, %d bad steps\n", NR, span, bad
	      exit !(NR > 20 && bad == 0 && span >= lo && span <= hi) }'
}

# --- +3 hours ------------------------------------------------------------
timeout 60 python3 "$pub_py" "rtmp://127.0.0.1:$RTMP_PORT/live/ahead" \
    --flv "$tmp/in.flv" --jump 6:10800000 > "$tmp/ahead.log" 2>&1 &
pa=$!
pids="$pids $pa"
check "the publisher that jumps ahead goes live" wait_live ahead
timeout 13 curl -s -o "$tmp/ahead.flv" "$(flv_url ahead)"
trim "$tmp/ahead.flv"
out=$(continuous "$tmp/ahead.flv" v 10 14)
check "its viewer's video goes on across +3 h, no gap ($out)" continuous "$tmp/ahead.flv" v 10 14
out=$(continuous "$tmp/ahead.flv" a 10 14)
check "and its audio too ($out)" continuous "$tmp/ahead.flv" a 10 14
v=$(dts "$tmp/ahead.flv" v | tail -1)
a=$(dts "$tmp/ahead.flv" a | tail -1)
check "audio and video still together after it ($v, $a)" \
    awk -v v="$v" -v a="$a" 'BEGIN { d = v - a; exit !(d < 0.5 && d > -0.5) }'
check "ingestd logged the jump" grep -Eq "stream ahead: (audio|video) timestamp jumped by \+108000" "$tmp/ingestd.log"
check "the publisher was never cut off" reap "$pa" 150

# --- 3 seconds back ------------------------------------------------------
timeout 60 python3 "$pub_py" "rtmp://127.0.0.1:$RTMP_PORT/live/back" \
    --flv "$tmp/in.flv" --jump 6:-3000 > "$tmp/back.log" 2>&1 &
pb=$!
pids="$pids $pb"
check "the publisher that steps back goes live" wait_live back
timeout 13 curl -s -o "$tmp/back.flv" "$(flv_url back)"
trim "$tmp/back.flv"
out=$(continuous "$tmp/back.flv" v 10 14)
check "its viewer's video goes on across -3 s, never back ($out)" continuous "$tmp/back.flv" v 10 14
out=$(continuous "$tmp/back.flv" a 10 14)
check "and its audio too ($out)" continuous "$tmp/back.flv" a 10 14
check "ingestd logged the step back" grep -Eq "stream back: (audio|video) timestamp jumped by -29" "$tmp/ingestd.log"
timeout 60 ffmpeg -hide_banner -nostdin -v error -i "$tmp/back.flv" -f null - \
    > "$tmp/back-dec.log" 2>&1
check "the viewer's file decodes with no error" [ ! -s "$tmp/back-dec.log" ]
[ -s "$tmp/back-dec.log" ] && diag "$(head -5 "$tmp/back-dec.log")"
reap "$pb" 150

# --- 320x240 for 6 s, then 640x360 ------------------------------------------
timeout 60 python3 "$pub_py" "rtmp://127.0.0.1:$RTMP_PORT/live/resize" \
    --flv "$tmp/small.flv" --flv "$tmp/big.flv" > "$tmp/resize.log" 2>&1 &
pr=$!
pids="$pids $pr"
check "the publisher that changes size goes live" wait_live resize
# one watches throughout; one waits for a keyframe from just before the
# change (start=live); one comes after it
timeout 14 curl -s -o "$tmp/through.flv" "$(flv_url resize)" &
c1=$!
sleep 5.6
timeout 8 curl -s -o "$tmp/live.flv" "$(flv_url resize)?start=live" &
c2=$!
sleep 2.5
timeout 5 curl -s -o "$tmp/after.flv" "$(flv_url resize)"
wait $c1 $c2
for f in through live after; do
	trim "$tmp/$f.flv"
done
# the sizes of the decoded pictures, in order, each run once
sizes() {
	timeout 60 ffprobe -v error -select_streams v -show_entries \
	    frame=width,height -of csv=p=0 "$1" | sed 's/,*$//' | grep . | uniq |
	    tr '\n' ' '
}
s=$(sizes "$tmp/through.flv")
check "a viewer watching throughout decodes 320x240, then 640x360 ($s)" \
    [ "$s" = "320,240 640,360 " ]
for f in through live after; do
	timeout 60 ffmpeg -hide_banner -nostdin -v error -i "$tmp/$f.flv" \
	    -f null - > "$tmp/$f-dec.log" 2>&1
	rc=$?
	check "the $f viewer's file decodes with no error (exit $rc)" sh -c \
	    "[ $rc -eq 0 ] && [ ! -s '$tmp/$f-dec.log' ]"
	[ -s "$tmp/$f-dec.log" ] && diag "$(head -3 "$tmp/$f-dec.log")"
done
s=$(sizes "$tmp/live.flv")
check "the viewer that waited for a keyframe decodes what it got ($s)" \
    sh -c "echo '$s' | grep -Eq '^(320,240 )?640,360 $'"
s=$(sizes "$tmp/after.flv")
check "a viewer joining after the change gets 640x360 only ($s)" [ "$s" = "640,360 " ]
reap "$pr" 150

check "ingestd stops cleanly" stop ingestd
check "flvd stops cleanly" stop flvd
done_testing
