#!/bin/sh
# authd decides who may publish: stream keys, sessions, revocations, crashes;
# and every nyonctl management command, in table and JSON form.
. "$(dirname "$0")/lib.sh"

DEFAULT_ADMIN_PASSWORD=admin-secret-1
export DEFAULT_ADMIN_PASSWORD
write_conf <<CONF
republish_grace = 0
CONF
check "authd starts" start authd
check "ingestd starts" start ingestd
check "flvd starts" start flvd

key_of() {
	nyonctl --json stream show "$1" | pyjson 'd["stream_key"]'
}
# refused KEY: an RTMP publish with KEY fails: ffmpeg exits with an error
# of its own (one that hangs until the timeout was not refused)
refused() {
	timeout 15 ffmpeg -hide_banner -nostdin -loglevel error -re \
	    -f lavfi -i testsrc2=size=160x120:rate=25 -c:v libx264 \
	    -preset ultrafast -t 4 -f flv \
	    "rtmp://127.0.0.1:$RTMP_PORT/live/$1" > "$tmp/refused.log" 2>&1
	gave_up $?
}
head_code() {
	curl -s -m 3 -o /dev/null -I -w '%{http_code}' "$(flv_url "$1")"
}

# --- stream management, table and JSON
out=$(nyonctl stream add cam1 --description "Front door")
check "stream add prints the new stream" sh -c "echo '$out' | grep -q '^key: *cam1_[0-9a-f]\{32\}$'"
KEY1=$(key_of cam1)
check "stream add --json gives the row" sh -c \
    "$bin/ctl/nyonctl -f $conf --json stream add cam2 --key cam2-secret --protocol rtmp --max-bitrate 2000 | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"name\"]==\"cam2\" and d[\"stream_key\"]==\"cam2-secret\" and d[\"max_bitrate\"]==2000'"
nyonctl stream add srtonly --protocol srt > /dev/null
nyonctl stream add "it's; DROP TABLE streams;--" > /dev/null
out=$(nyonctl stream list)
case $out in
*cam1*both*yes*cam2*rtmp*2000*cam2-secret*"it's; DROP TABLE streams;--"*) ok "stream list table" ;;
*) not_ok "stream list table"; diag "$out" ;;
esac
n=$(nyonctl --json stream list | pyjson 'len(d)')
check "stream list --json has 4 streams ($n)" [ "$n" = 4 ]
out=$(nyonctl stream add x 2>&1); rc=$?
check "a bad name is refused with exit 1 ($rc)" [ "$rc" -eq 1 ]
case $out in *"name: must be 3 to 100 characters"*) ok "the error names the field" ;; *) not_ok "the error names the field"; diag "$out" ;; esac
out=$(nyonctl stream add cam3 --key "bad key" 2>&1); rc=$?
case "$rc $out" in "1 "*stream_key*) ok "a bad custom key is refused naming stream_key" ;; *) not_ok "bad custom key"; diag "$out" ;; esac
out=$(nyonctl stream add cam1 2>&1); rc=$?
case "$rc $out" in "1 "*name*) ok "a duplicate name is refused" ;; *) not_ok "duplicate name"; diag "$out" ;; esac
out=$(nyonctl stream add cam9 --max-bitrate 5 2>&1); rc=$?
case "$rc $out" in "1 "*max_bitrate*) ok "max_bitrate 5 is refused" ;; *) not_ok "max_bitrate range"; diag "$out" ;; esac
out=$(nyonctl stream add cam9 --protocol udp 2>&1); rc=$?
case "$rc $out" in "1 "*protocol*) ok "protocol udp is refused" ;; *) not_ok "protocol"; diag "$out" ;; esac
out=$(nyonctl stream add cam9 --bogus 1 2>&1); rc=$?
check "an unknown option is a usage error ($rc)" [ "$rc" -eq 2 ]
out=$(nyonctl stream show nosuch 2>&1); rc=$?
case "$rc $out" in "1 "*"no stream named 'nosuch'"*) ok "show of an unknown stream: exit 1, says so" ;; *) not_ok "show unknown"; diag "$rc $out" ;; esac
out=$(nyonctl stream show 2>&1); rc=$?
check "show without a name is a usage error ($rc)" [ "$rc" -eq 2 ]
out=$(nyonctl stream edit cam2 --description "Back yard")
case $out in *"description:  Back yard"*) ok "stream edit changes the description" ;; *) not_ok "stream edit"; diag "$out" ;; esac
nyonctl --json stream edit cam2 --max-bitrate 3000 | pyjson 'd["max_bitrate"]' > "$tmp/br"
check "stream edit --json shows the new bitrate" [ "$(cat "$tmp/br")" = 3000 ]
out=$(nyonctl stream urls cam1)
case $out in
*"OBS server:   rtmp://"*":1935/live"*"OBS key:      $KEY1"*"SRT URL:      srt://"*"m=publish"*"Play URL:     http://"*"/live/cam1.flv"*) ok "stream urls: OBS server and key, SRT and play URLs" ;;
*) not_ok "stream urls"; diag "$out" ;;
esac
nyonctl config set public_ip 203.0.113.7 > /dev/null
url=$(nyonctl --json stream urls cam1 | pyjson 'd["public"]["play_url"]')
check "the public play URL uses public_ip ($url)" [ "$url" = "http://203.0.113.7:8080/live/cam1.flv" ]
out=$(nyonctl config get max_concurrent_streams)
case $out in *max_concurrent_streams*3*) ok "config get shows the default limit" ;; *) not_ok "config get"; diag "$out" ;; esac
n=$(nyonctl --json config get | pyjson 'len(d)')
check "config get --json lists every setting ($n)" [ "$n" -ge 8 ]
out=$(nyonctl config set max_concurrent_streams 0 2>&1); rc=$?
case "$rc $out" in "1 "*max_concurrent_streams*) ok "config set refuses a bad value" ;; *) not_ok "config set bad"; diag "$out" ;; esac
out=$(nyonctl config set nosuch 1 2>&1); rc=$?
check "config set of an unknown key fails ($rc)" [ "$rc" -eq 1 ]
out=$(echo "new-password-2" | nyonctl user passwd admin); rc=$?
check "user passwd reads the password from stdin" [ "$rc" -eq 0 ]
out=$(echo "short" | nyonctl user passwd admin 2>&1); rc=$?
case "$rc $out" in "1 "*password*) ok "a too-short password is refused" ;; *) not_ok "short password"; diag "$out" ;; esac
out=$(echo "another-pass-3" | nyonctl user passwd nobody 2>&1); rc=$?
check "user passwd of an unknown user fails ($rc)" [ "$rc" -eq 1 ]

# --- publishing with keys
publish_key cam1 "$KEY1" 90
check "a valid key publishes; cam1 plays under its name" wait_live cam1
check "the key is not a play URL (404)" [ "$(head_code "$KEY1")" = 404 ]
probe=$(timeout 20 ffprobe -v error -select_streams v -show_entries stream=codec_name -of csv=p=0 "$(flv_url cam1)")
check "ffprobe reads cam1 ($probe)" [ "$probe" = h264 ]
check "the key never appears in flvd's log" sh -c "! grep -q '$KEY1' '$tmp/flvd.log'"
check "a wrong key is refused" refused wrongkey123
check "ingestd logged 'unknown key'" grep -q "publish refused: unknown key" "$tmp/ingestd.log"
check "an RTMP publish to an srt-only stream is refused" refused "$(key_of srtonly)"
check "ingestd logged 'protocol not allowed'" grep -q "protocol not allowed" "$tmp/ingestd.log"
nyonctl stream disable cam2 > /dev/null
check "a disabled stream's key is refused" refused cam2-secret
nyonctl stream enable cam2 > /dev/null

json=$(nyonctl --json session list --active)
check "session list --active shows cam1 live over rtmp from 127.0.0.1" python3 -c '
import json, sys
s = json.loads(sys.argv[1])
assert len(s) == 1, s
s = s[0]
assert s["stream_name"] == "cam1" and s["protocol"] == "rtmp" and s["ip_address"] == "127.0.0.1", s
assert s["started_at"].endswith("Z") and s["ended_at"] is None, s' "$json"
out=$(nyonctl session list)
case $out in *cam1*rtmp*127.0.0.1*) ok "session list table" ;; *) not_ok "session list table"; diag "$out" ;; esac
sid=$(echo "$json" | pyjson 'd[0]["id"]')
out=$(nyonctl session show "$sid")
case $out in *cam1*rtmp*) ok "session show" ;; *) not_ok "session show"; diag "$out" ;; esac
out=$(nyonctl session show abc 2>&1); rc=$?
check "session show abc is a usage error ($rc)" [ "$rc" -eq 2 ]
out=$(nyonctl session show 99999 2>&1); rc=$?
check "session show of an unknown id fails ($rc)" [ "$rc" -eq 1 ]

# --- the concurrent limit
nyonctl config set max_concurrent_streams 1 > /dev/null
check "a second live stream is refused at max_concurrent_streams 1" refused cam2-secret
check "ingestd logged 'too many live streams'" grep -q "too many live streams" "$tmp/ingestd.log"
nyonctl config set max_concurrent_streams 3 > /dev/null

# --- revocations
# not_live NAME TENTHS: the stream stops being served within TENTHS/10 s
not_live() {
	i=0
	while [ $i -lt "$2" ] && [ "$(head_code "$1")" = 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ $i -lt "$2" ]
}
nyonctl stream disable cam1 > /dev/null
check "disable while live ends cam1 within a second" not_live cam1 10
check "and its publisher's ffmpeg gives up" wait_gone "$pub_cam1" 50
nyonctl stream enable cam1 > /dev/null
publish_key cam1 "$KEY1" 90
check "cam1 publishes again once enabled" wait_live cam1
out=$(nyonctl stream regen-key cam1)
check "regen-key ends the live stream within a second" not_live cam1 10
check "and its publisher gives up" wait_gone "$pub_cam1" 50
check "the old key is refused" refused "$KEY1"
KEY1=$(key_of cam1)
publish_key cam1 "$KEY1" 90
check "the new key publishes" wait_live cam1
sid=$(nyonctl --json session list --active | pyjson 'd[0]["id"]')
out=$(nyonctl session kick "$sid")
check "session kick drops the publisher" wait_gone "$pub_cam1" 20
ended=$(nyonctl --json session show "$sid" | pyjson 'd["ended_at"] is not None')
check "and ends its session" [ "$ended" = True ]
out=$(nyonctl session kick "$sid" 2>&1); rc=$?
check "kicking an ended session fails ($rc)" [ "$rc" -eq 1 ]

# --- authd crashes: viewers carry on, publishing fails closed, restart heals
publish_key cam1 "$KEY1" 90
check "cam1 live before the crash" wait_live cam1
curl -s --max-time 12 -o "$tmp/crash.flv" "$(flv_url cam1)" &
viewer=$!
sleep 1
kill -KILL "$pid_authd"; wait "$pid_authd" 2>/dev/null
check "the database is intact after kill -9 of authd" integrity
sleep 1
s1=$(size_of "$tmp/crash.flv")
check "with authd down a new publish is refused" refused cam2-secret
s2=$(size_of "$tmp/crash.flv")
check "while the viewer keeps receiving ($s1 -> $s2 bytes)" [ "$s2" -gt $((s1 + 20000)) ]
check "the publisher is still live" kill -0 "$pub_cam1"
check "authd restarts" start authd
sleep 1.5
n=$(nyonctl --json session list --active | pyjson 'len([s for s in d if s["stream_name"] == "cam1"])')
check "after the restart cam1's session is open again ($n)" [ "$n" = 1 ]
publish_key cam2 cam2-secret 60
check "and publishing works again" wait_live cam2
kill $viewer 2>/dev/null

# --- ingestd crashes: its sessions end
n=$(nyonctl --json session list --active | pyjson 'len(d)')
check "two live sessions before killing ingestd ($n)" [ "$n" = 2 ]
kill -KILL "$pid_ingestd"; wait "$pid_ingestd" 2>/dev/null
sleep 0.5
n=$(nyonctl --json session list --active | pyjson 'len(d)')
check "kill -9 of ingestd ends its sessions ($n open)" [ "$n" = 0 ]
check "the database is intact after kill -9 of ingestd" integrity
check "ingestd restarts" start ingestd

# --- rm while live, and the remaining commands
publish_key cam2 cam2-secret 60
check "cam2 live" wait_live cam2
out=$(nyonctl stream rm cam2)
check "stream rm drops the live publisher" wait_gone "$pub_cam2" 20
out=$(nyonctl stream show cam2 2>&1); rc=$?
check "the removed stream is gone ($rc)" [ "$rc" -eq 1 ]
check "its key is refused" refused cam2-secret
for c in "stream list" "stream show cam1" "stream urls cam1" "session list" "config get"; do
	# shellcheck disable=SC2086
	nyonctl --json $c > "$tmp/c.json" 2>&1
	check "'$c --json' is valid JSON" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/c.json"
done
out=$(nyonctl stream 2>&1); rc=$?
check "'nyonctl stream' alone is a usage error ($rc)" [ "$rc" -eq 2 ]
for d in flvd ingestd authd; do
	check "$d stops cleanly" stop $d
done
check "the database is intact at the end" integrity
done_testing
