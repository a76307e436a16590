#!/bin/sh
# flv_coalesce_ms (issue 20): with a window, flvd sends what arrives
# within it to each viewer in one write, so it makes far fewer fan-outs
# than there are tags, and the viewer still gets every frame and its sound;
# a reload to 0 sends each publisher read at once again.
. "$(dirname "$0")/lib.sh"

write_conf <<CONF
auth = none
log_level = info
flv_coalesce_ms = 60
CONF
check "ingestd starts" start ingestd
check "flvd starts" start flvd
publish cast 320x240 25
check "the stream goes live" wait_live cast

# counts: "tags fanouts" of stream cast in flvd's status
counts() {
	nyonctl --json status | pyjson \
	    '" ".join(str(s[k]) for s in d["flvd"]["streams"] if s["name"] == "cast" for k in ("tags", "fanouts"))'
}
# watch_ratio SECONDS FILE: a viewer watches for SECONDS into FILE; prints flvd's
# fan-outs per tag meanwhile, in percent, then the counts before and after
watch_ratio() {
	# shellcheck disable=SC2046 # two numbers
	set -- "$1" "$2" $(counts)
	timeout $(($1 + 7)) curl -s -m "$1" -o "$2" "$(flv_url cast)"
	# shellcheck disable=SC2046
	set -- "$@" $(counts)
	[ "$5" -gt "$3" ] && echo "$(((($6 - $4) * 100) / ($5 - $3))) ($3 $4 $5 $6)"
}

out=$(watch_ratio 8 "$tmp/cast.flv")
r=${out%% *}
check "with a 60 ms window, at most a third as many fan-outs as tags ($out)" \
    [ "${r:-100}" -lt 35 ]
frames=$(timeout 30 ffprobe -v error -count_frames -select_streams v \
    -show_entries stream=nb_read_frames -of csv=p=0 "$tmp/cast.flv" | tr -d ,)
check "the viewer decodes its 8 s of video ($frames frames)" \
    [ "${frames:-0}" -ge 150 ]
audio=$(timeout 30 ffprobe -v error -count_frames -select_streams a \
    -show_entries stream=nb_read_frames -of csv=p=0 "$tmp/cast.flv" | tr -d ,)
check "and its sound ($audio audio frames)" [ "${audio:-0}" -ge 250 ]

# back to every read at once, by a reload
sed -i 's/^flv_coalesce_ms = 60$/flv_coalesce_ms = 0/' "$conf"
kill -HUP "$pid_flvd"
sleep 1
check "flvd took the reload" grep -q "reload: $conf in use" "$tmp/flvd.log"
out=$(watch_ratio 5 "$tmp/cast2.flv")
r=${out%% *}
check "with the window off, a fan-out for most tags ($out)" \
    [ "${r:-0}" -ge 40 ]

check "the publisher was never cut off" reap "$pub_cast" 200
check "flvd stops cleanly" stop flvd
check "ingestd stops cleanly" stop ingestd
done_testing
