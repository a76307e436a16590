#!/bin/sh
# Stream names are counted in characters and never cut: long multibyte
# names go live under their exact name, play at the URL nyonctl prints, keep
# status and the health API readable, and two names that share their first
# 100 bytes stay two streams.
. "$(dirname "$0")/lib.sh"

DEFAULT_ADMIN_PASSWORD=names-admin-1
export DEFAULT_ADMIN_PASSWORD
write_conf <<CONF
republish_grace = 0
CONF
check "authd starts" start authd
unset DEFAULT_ADMIN_PASSWORD
check "ingestd starts" start ingestd
check "flvd starts" start flvd

rep() {
	python3 -c 'import sys; print(sys.argv[1] * int(sys.argv[2]), end="")' "$1" "$2"
}
E60=$(rep é 60)                 # 120 bytes
KANJI=$(rep 日 34)              # 102 bytes
PREFIX=$(rep é 50)              # exactly 100 bytes
ONE="${PREFIX}one"
TWO="${PREFIX}two"
LONGEST=$(rep 🚁 100)           # 400 bytes, the longest name there is

add() {
	nyonctl --json stream add "$1" | pyjson 'd["stream_key"]'
}
# path_of NAME: the path of the play URL nyonctl prints for NAME
path_of() {
	nyonctl --json stream urls "$1" |
	    pyjson 'd["lan"]["play_url"].split("/", 3)[3]'
}
# width_at PATH: the video width ffprobe decodes from flvd at PATH
width_at() {
	timeout 20 ffprobe -v error -rw_timeout 10000000 -select_streams v:0 \
	    -show_entries stream=width -of csv=p=0 \
	    "http://127.0.0.1:$FLV_PORT/$1" 2>/dev/null | head -1
}
head_at() {
	curl -s -o /dev/null -I --max-time 5 -w '%{http_code}' \
	    "http://127.0.0.1:$FLV_PORT/$1"
}

nyonctl config set max_concurrent_streams 8 > /dev/null
K_E60=$(add "$E60")
K_KANJI=$(add "$KANJI")
K_ONE=$(add "$ONE")
K_TWO=$(add "$TWO")
K_LONGEST=$(add "$LONGEST")
check "five multibyte names are created" \
    sh -c "[ -n '$K_E60' ] && [ -n '$K_KANJI' ] && [ -n '$K_ONE' ] && [ -n '$K_TWO' ] && [ -n '$K_LONGEST' ]"
out=$(nyonctl stream add "$(rep é 101)" 2>&1); rc=$?
case "$rc $out" in
"1 "*"name: must be 3 to 100 characters"*) ok "101 characters are refused, in characters not bytes" ;;
*) not_ok "101 characters are refused"; diag "$rc $out" ;;
esac
out=$(nyonctl stream add "a/b/c" 2>&1); rc=$?
case "$rc $out" in "1 "*"name: must not contain '/'"*) ok "a name with '/' is refused" ;; *) not_ok "slash refused"; diag "$rc $out" ;; esac

publish_key e60 "$K_E60" 30
publish_key kanji "$K_KANJI" 30
publish one 320x240 30 "rtmp://127.0.0.1:$RTMP_PORT/live/$K_ONE"
publish two 640x360 30 "rtmp://127.0.0.1:$RTMP_PORT/live/$K_TWO"
publish longest 320x240 30 "rtmp://127.0.0.1:$RTMP_PORT/live/$K_LONGEST"

P_E60=$(path_of "$E60")
P_KANJI=$(path_of "$KANJI")
P_ONE=$(path_of "$ONE")
P_TWO=$(path_of "$TWO")
P_LONGEST=$(path_of "$LONGEST")
i=0
while [ $i -lt 100 ]; do
	[ "$(head_at "$P_E60")$(head_at "$P_KANJI")$(head_at "$P_ONE")$(head_at "$P_TWO")$(head_at "$P_LONGEST")" = 200200200200200 ] && break
	sleep 0.1
	i=$((i + 1))
done
check "60 × é plays at the URL nyonctl prints ($(head_at "$P_E60"))" [ "$(head_at "$P_E60")" = 200 ]
check "34 × 日 plays at its URL ($(head_at "$P_KANJI"))" [ "$(head_at "$P_KANJI")" = 200 ]
check "100 × 🚁 (400 bytes) plays at its URL ($(head_at "$P_LONGEST"))" [ "$(head_at "$P_LONGEST")" = 200 ]
w=$(width_at "$P_E60")
check "ffprobe decodes the 60 × é stream ($w)" [ "$w" = 320 ]

# Two names sharing their first 100 bytes are two streams.
w1=$(width_at "$P_ONE")
w2=$(width_at "$P_TWO")
check "the first of two look-alike names shows its own video ($w1)" [ "$w1" = 320 ]
check "the second shows its own ($w2)" [ "$w2" = 640 ]

# status stays readable and lists every live stream by its exact name
out=$(nyonctl --json status 2>&1); rc=$?
check "nyonctl status succeeds with these names live ($rc)" [ "$rc" -eq 0 ]
n=$(echo "$out" | python3 -c '
import json, sys
names = set(sys.argv[1:])
d = json.load(sys.stdin)
live = [s["name"] for s in d["ingestd"]["streams"]]
print(len(names & set(live)))' "$E60" "$KANJI" "$ONE" "$TWO" "$LONGEST" 2>&1)
check "ingestd's status lists all five exact names ($n)" [ "$n" = 5 ]
case $(nyonctl status 2>&1) in
*"ingestd down"*|*"invalid JSON"*) not_ok "nyonctl status shows ingestd up" ;;
*) ok "nyonctl status shows ingestd up" ;;
esac

# the health API too
api=http://127.0.0.1:$API_PORT
tok=$(curl -s --max-time 5 -H 'Content-Type: application/json' \
    --data '{"username":"admin","password":"names-admin-1"}' \
    "$api/api/auth/login" | pyjson 'd["token"]')
curl -s --max-time 5 -X PUT -H "Authorization: Bearer $tok" \
    -H 'Content-Type: application/json' \
    --data '{"current_password":"names-admin-1","new_password":"names-admin-2"}' \
    "$api/api/auth/change-password" > /dev/null
tok=$(curl -s --max-time 5 -H 'Content-Type: application/json' \
    --data '{"username":"admin","password":"names-admin-2"}' \
    "$api/api/auth/login" | pyjson 'd["token"]')
n=$(curl -s --max-time 5 -H "Authorization: Bearer $tok" \
    "$api/api/config/health" | python3 -c '
import json, sys
names = set(sys.argv[1:])
d = json.load(sys.stdin)["data"]
print(len(names & set(s["name"] for s in d["streams"])))' "$E60" "$KANJI" "$ONE" "$TWO" "$LONGEST" 2>&1)
check "the health API lists all five ($n)" [ "$n" = 5 ]

# a name flvd has never heard of: 404, however long
code=$(head_at "live/$(rep %F0%9F%9A%81 99)x.flv")
check "an unknown 100-character name is a 404 ($code)" [ "$code" = 404 ]

check "flvd stops cleanly" stop flvd
check "ingestd stops cleanly" stop ingestd
check "authd stops cleanly" stop authd
done_testing
