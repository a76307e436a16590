#!/bin/sh
# A recording cut by a crash: recd is killed with SIGKILL 10 s into a
# recorded stream.  The file it leaves plays up to within 1.5 s of the
# kill (fragments of about a second, each written as it is made); once recd
# is back it repairs the file (the torn last fragment cut off, the index
# and duration added), which then decodes cleanly and says how long it
# is; and the streams after that are recorded as usual.
. "$(dirname "$0")/lib.sh"

write_conf <<CONF
auth = none
record = yes
CONF
rec=$tmp/state/recordings
check "ingestd starts" start ingestd
check "flvd starts" start flvd
check "recd starts" start recd

publish cam1 640x360 30
check "cam1 goes live" wait_live cam1
i=0
while [ $i -lt 50 ] && ! ls "$rec/cam1/"*.mp4 >/dev/null 2>&1; do
	sleep 0.1
	i=$((i + 1))
done
f=$(ls "$rec/cam1/"*.mp4 2>/dev/null | head -1)
check "recd is recording cam1 ($f)" [ -n "$f" ]
sleep 10
kill -KILL "$pid_recd"
t_kill=$(date +%s%3N)
wait "$pid_recd" 2>/dev/null
cp "$f" "$tmp/as-left.mp4"
# the file's name is the time its first keyframe was written
name=$(basename "$f" .mp4)
t_start=$(python3 -c "
import calendar, sys, time
n = sys.argv[1]
t = calendar.timegm(time.strptime(n[:15], '%Y%m%d-%H%M%S'))
print(t * 1000 + int(n[16:19]))" "$name")
elapsed=$(awk -v a="$t_kill" -v b="$t_start" 'BEGIN { printf "%.2f", (a - b) / 1000 }')
last=$(timeout 60 ffprobe -v quiet -select_streams v -show_entries packet=pts_time \
    -of csv=p=0 "$tmp/as-left.mp4" | sort -n | tail -1)
check "the file as the crash left it plays up to ${last:-?} s, within 1.5 s of the kill at $elapsed s" \
    awk -v l="${last:-0}" -v e="$elapsed" 'BEGIN { exit !(l >= e - 1.5 && l <= e + 0.5) }'
frames=$(timeout 60 ffmpeg -nostdin -v quiet -i "$tmp/as-left.mp4" -map 0:v -f null - \
    -progress pipe:1 2>/dev/null | sed -n 's/^frame=//p' | tail -1)
check "and decodes that far (${frames:-0} frames at 25 fps)" \
    awk -v n="${frames:-0}" -v e="$elapsed" 'BEGIN { exit !(n >= (e - 1.5) * 25) }'

check "recd starts again" start recd
check "it repaired the file" grep -q "recording $f: repaired" "$tmp/recd.log"
dur=$(timeout 20 ffprobe -v error -show_entries format=duration -of csv=p=0 "$f")
check "the repaired file says its duration (${dur:-?} s, killed at $elapsed s)" \
    awk -v d="${dur:-0}" -v e="$elapsed" 'BEGIN { exit !(d >= e - 1.5 && d <= e + 0.5) }'
errs=$(timeout 60 ffmpeg -nostdin -v error -i "$f" -f null - 2>&1)
check "and decodes with no error" [ -z "$errs" ]
[ -z "$errs" ] || diag "$(echo "$errs" | head -5)"
out=$(nyonctl --json recording list cam1)
n=$(echo "$out" | pyjson "len([r for r in d if r['file'] == '$name.mp4' and not r['recording']])")
check "recd lists it" [ "$n" = 1 ]
# cam1 is still live: recd records the rest in a file of its own
reap "$pub_cam1" 300
sleep 1

# the next session
publish cam1 640x360 8
check "cam1 goes live again" wait_live cam1
reap "$pub_cam1" 200
sleep 2
g=$(ls "$rec/cam1/"*.mp4 | tail -1)
check "a new file for the next session ($(basename "$g"))" [ "$g" != "$f" ]
dur=$(timeout 20 ffprobe -v error -show_entries format=duration -of csv=p=0 "$g")
check "recorded as usual: 8 +- 1 s ($dur)" \
    awk -v d="${dur:-0}" 'BEGIN { exit !(d >= 7 && d <= 9) }'
errs=$(timeout 60 ffmpeg -nostdin -v error -i "$g" -f null - 2>&1)
check "and decodes with no error" [ -z "$errs" ]
check "recd stops cleanly" stop recd
check "flvd stops cleanly" stop flvd
check "ingestd stops cleanly" stop ingestd
done_testing
