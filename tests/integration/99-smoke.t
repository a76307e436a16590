. tests/integration/lib.sh
write_conf <<CONF
auth = none
record = yes
thumbnail_interval = 2
CONF
start ingestd; start flvd; start recd
publish cam1 640x360 12
wait_live cam1
sleep 14
nyonctl --json status > $tmp/status.json 2>&1
stop recd
ls -la $tmp/state/recordings/* 
for f in $tmp/state/recordings/cam1/*.mp4; do ffprobe -v error -show_entries format=duration:stream=codec_name,width,height -of compact "$f"; ffmpeg -v error -i "$f" -f null - && echo DECODE-OK; done
ffprobe -v error -show_entries stream=width,height -of compact $tmp/state/recordings/.live/cam1.jpg
cat $tmp/recd.log | tail -20
KEEP_TMP=1
