#!/bin/sh
# Forwarding (fwdd, issue 16): one publisher, three destinations at once: a
# local ffmpeg RTMP server, the same behind TLS (RTMPS, a self-signed
# certificate, checking turned off for that destination only), and a
# second Nyon over SRT with a passphrase.  Each far end decodes what it got
# with no error; the timestamps start at zero and keep growing through a
# republish within the grace period; a fourth destination that checks the
# certificate refuses the self-signed one and says so.  The destinations'
# keys appear in no log, listing, status or API answer unless an operator
# asks for them.
. "$(dirname "$0")/lib.sh"

KEY1=rtmpK3yOne$$
KEY2=tlsK3yTwo$$
PASS3=srtPassTHREE$$
NAME3=srtcam$$

SRT_PORT=$(free_port udp)
write_conf <<CONF
republish_grace = 10
forward_timeout = 5
forward_retry_max = 2
CONF
api=http://127.0.0.1:$API_PORT
for d in authd ingestd flvd fwdd; do
	check "$d starts" start $d
done
echo "a-test-password-1" | nyonctl user passwd admin >/dev/null
nyonctl stream add cam --key camkey123 >/dev/null

# --- the far ends ----------------------------------------------------------
# A second Nyon (ingestd and flvd of this build) taking SRT with a passphrase.
B_SRT=$(free_port udp)
B_FLV=$(free_port)
B_RTMP=$(free_port)
bconf=$tmp/b.conf
mkdir -p "$tmp/b-run"
cat > "$bconf" <<CONF
rundir = $tmp/b-run
statedir = $tmp/b-run
rtmp_listen = 127.0.0.1:$B_RTMP
flv_listen = 127.0.0.1:$B_FLV
srt_listen = 127.0.0.1:$B_SRT
auth = none
srt_passphrase = $PASS3
CONF
chmod 600 "$bconf"
start_b() {
	"$bin/$1/$1" -d -f "$bconf" >> "$tmp/b-$1.log" 2>&1 &
	pids="$pids $!"
	i=0
	while [ $i -lt 100 ]; do
		"$bin/ctl/nyonctl" -f "$bconf" ping "$1" >/dev/null 2>&1 && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}
check "a second Nyon's ingestd starts" start_b ingestd
check "and its flvd" start_b flvd

P_RTMP=$(free_port)
P_PLAIN=$(free_port)
P_TLS=$(free_port)
rtmp_listen rtmp "$P_RTMP"
rtmp_listen rtmps "$P_PLAIN"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" \
    -out "$tmp/cert.pem" -days 1 -subj /CN=localhost > /dev/null 2>&1
python3 "$top/tests/integration/tls-terminator.py" "$P_TLS" "$P_PLAIN" \
    "$tmp/cert.pem" "$tmp/key.pem" > "$tmp/tls.log" 2>&1 &
pids="$pids $!"

# --- the destinations --------------------------------------------------------
nyonctl stream forward add cam "rtmp://127.0.0.1:$P_RTMP/live/$KEY1" > "$tmp/add.out" 2>&1
nyonctl stream forward add cam "rtmps://127.0.0.1:$P_TLS/live/$KEY2" --no-verify >> "$tmp/add.out" 2>&1
nyonctl stream forward add cam "srt://127.0.0.1:$B_SRT?streamid=#!::r=live/$NAME3,m=publish&passphrase=$PASS3" >> "$tmp/add.out" 2>&1
nyonctl stream forward add cam "rtmps://localhost:$P_TLS/live/$KEY2-verified" >> "$tmp/add.out" 2>&1
check "four destinations added" [ "$(grep -c '^destination [0-9]* added to cam' "$tmp/add.out")" -eq 4 ]
check "what nyonctl said has no key in it" \
    sh -c "! grep -q '$KEY1\|$KEY2\|$PASS3\|$NAME3' '$tmp/add.out'"
bad=$(nyonctl stream forward add cam "http://example.org/live/x" 2>&1); rc=$?
check_all "a URL of another scheme is refused with the reason" '[ "$rc" -ne 0 ]' \
    'case $bad in *"must start with rtmp://, rtmps:// or srt://"*) true ;; *) false ;; esac'

# --- live -----------------------------------------------------------------
publish cam 640x360 60 "rtmp://127.0.0.1:$RTMP_PORT/live/camkey123"
p1=$pub_cam
check "cam goes live" wait_live cam
t_live=$(date +%s)
n=0
live=""
while [ $n -lt 100 ]; do
	live=$(nyonctl --json status 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(" ".join(str(d["id"]) for d in s["fwdd"]["destinations"] if d["state"] == "live"))' 2>/dev/null)
	[ "$live" = "1 2 3" ] && break
	sleep 0.1
	n=$((n + 1))
done
check "RTMP, RTMPS and SRT destinations are live at once ($live)" [ "$live" = "1 2 3" ]
[ "$live" = "1 2 3" ] || diag "$(nyonctl status 2>&1 | sed -n '/forwarding/,$p')"

# the local viewers and the second Nyon's, decoding at the same time
timeout 30 ffmpeg -hide_banner -nostdin -v error -i "$(flv_url cam)" -t 4 \
    -f null - > "$tmp/local.log" 2>&1 &
v1=$!
timeout 30 ffmpeg -hide_banner -nostdin -v error \
    -i "http://127.0.0.1:$B_FLV/live/$NAME3.flv" -t 4 -f null - \
    > "$tmp/far-srt.log" 2>&1 &
v2=$!
reap $v1 300; rc1=$?
reap $v2 300; rc2=$?
check_all "a local viewer decodes 4 s with no error" '[ "$rc1" -eq 0 ]' '[ ! -s "$tmp/local.log" ]'
check_all "the second Nyon, fed over SRT, serves it: 4 s decode with no error" \
    '[ "$rc2" -eq 0 ]' '[ ! -s "$tmp/far-srt.log" ]'
[ -s "$tmp/far-srt.log" ] && diag "$(head -5 "$tmp/far-srt.log")"
check "the second Nyon's ingestd took it as an SRT publisher" \
    grep -q "stream $NAME3: live from srt" "$tmp/b-ingestd.log"
check "the RTMPS destination spoke TLS to the terminator" grep -q '^tls TLSv1' "$tmp/tls.log"
err4=$(fwd_dest 4 'd.get("state"), d.get("last_error")')
case $err4 in
*"TLS: certificate: self-signed certificate"*) ok "the destination that checks certificates refuses the self-signed one ($err4)" ;;
*) not_ok "the destination that checks certificates refuses the self-signed one"; diag "$err4" ;;
esac
kbps=$(fwd_dest 1 'int(d.get("kbps", 0))')
check "status gives the RTMP destination's rate ($kbps kbps)" [ "${kbps:-0}" -gt 200 ]

# --- the secrets -------------------------------------------------------------
nyonctl stream forward list cam > "$tmp/list.out" 2>&1
nyonctl --json stream forward list > "$tmp/list.json" 2>&1
nyonctl status > "$tmp/status.out" 2>&1
nyonctl --json status > "$tmp/status.json" 2>&1
tok=$(curl -s -m 10 -H 'Content-Type: application/json' \
    --data-binary '{"username":"admin","password":"a-test-password-1"}' \
    "$api/api/auth/login" | pyjson 'd["token"]')
curl -s -m 10 -H "Authorization: Bearer $tok" "$api/api/streams/1/destinations" > "$tmp/api-list.json"
curl -s -m 10 -H "Authorization: Bearer $tok" "$api/api/destinations" > "$tmp/api-all.json"
curl -s -m 10 -H "Authorization: Bearer $tok" "$api/api/config/health" > "$tmp/api-health.json"
n=$(pyjson 'len(d["data"])' < "$tmp/api-list.json" 2>&1)
check "the API lists the four destinations ($n)" [ "$n" = 4 ]
st=$(pyjson 'd["data"]["daemons"]["fwdd"] + " " + d["data"]["forwarding"][0]["state"]' \
    < "$tmp/api-health.json" 2>&1)
check "the API health has fwdd's states ($st)" [ "$st" = "up live" ]
curl -s -m 10 -o "$tmp/metrics.txt" "$api/metrics"
check "/metrics has fwdd up, with its CPU and memory" sh -c "
	grep -qx 'nyon_up{daemon=\"fwdd\"} 1' '$tmp/metrics.txt' &&
	grep -q '^nyon_process_resident_memory_bytes{daemon=\"fwdd\"} [1-9]' '$tmp/metrics.txt'"
check "the listing masks the keys" grep -q "rtmp://127.0.0.1:$P_RTMP/live/\*\*\*\*" "$tmp/list.out"
leaks=$(grep -l "$KEY1\|$KEY2\|$PASS3\|$NAME3" "$tmp/authd.log" "$tmp/ingestd.log" \
    "$tmp/flvd.log" "$tmp/fwdd.log" "$tmp/list.out" "$tmp/list.json" \
    "$tmp/status.out" "$tmp/status.json" "$tmp/api-list.json" \
    "$tmp/api-all.json" "$tmp/api-health.json" 2>/dev/null)
check "no key in the daemons' logs, nyonctl's listings and status, the API" [ -z "$leaks" ]
[ -z "$leaks" ] || diag "found in: $leaks"
# and they would have been found: an operator may see them, which is logged
nyonctl stream forward list cam --show-keys > "$tmp/show.out" 2>&1
curl -s -m 10 -H "Authorization: Bearer $tok" "$api/api/destinations/3?reveal=true" > "$tmp/api-reveal.json"
check_all "an operator asking sees them: nyonctl --show-keys, ?reveal=true" \
    "grep -q '$KEY1' '$tmp/show.out'" "grep -q '$PASS3' '$tmp/api-reveal.json'"
check "and authd logs that" grep -q "shown with" "$tmp/authd.log"
# only to an operator: without a token the API answers 401 and nothing more
code=$(curl -s -m 10 -o "$tmp/api-anon.json" -w '%{http_code}' "$api/api/destinations/3?reveal=true")
check_all "without a token ?reveal=true is a 401 with no key ($code)" "[ '$code' = 401 ]" \
    "! grep -q '$PASS3\\|$NAME3' '$tmp/api-anon.json'"

# --- a republish within the grace period -----------------------------------------
# The publisher drops (as OBS on a bad link) and comes back at once.
kill "$p1"
reap "$p1" 100
t_gone=$(date +%s)
publish cam2 640x360 5 "rtmp://127.0.0.1:$RTMP_PORT/live/camkey123"
reap "$pub_cam2" 200
check "fwdd carried the destinations over the republish" \
    grep -q "stream cam: republished; 4 destinations carry on" "$tmp/fwdd.log"
# the grace period ends: fwdd says goodbye, the servers end their files
check_all "the RTMP and RTMPS servers see the end of the stream" \
    'reap "$lis_rtmp" 200' 'reap "$lis_rtmps" 100'

for f in rtmp rtmps; do
	timeout 60 ffmpeg -hide_banner -nostdin -v error -i "$tmp/$f.flv" -f null - \
	    > "$tmp/decode-$f.log" 2>&1; rc=$?
	check_all "what the $f destination got decodes with no error" '[ "$rc" -eq 0 ]' \
	    '[ ! -s "$tmp/decode-$f.log" ]'
	[ -s "$tmp/decode-$f.log" ] && diag "$(head -5 "$tmp/decode-$f.log")"
done
# One timeline: from 0, never back, as long as both publishes.
timeout 60 ffprobe -v error -select_streams v -show_entries packet=dts_time \
    -of csv=p=0 "$tmp/rtmp.flv" > "$tmp/dts.txt" 2>&1
line=$(awk 'NR == 1 { first = $1 } { if ($1 < last) back++; last = $1; n++ }
	END { printf "%s %s %d %d\n", first, last, back, n }' "$tmp/dts.txt")
set -- $line
diag "video dts: first $1, last $2, backwards $3, packets $4"
check "the RTMP destination's timestamps start at zero" \
    awk "BEGIN { exit !($1 <= 0.1) }"
check "never go back, through the republish" [ "$3" -eq 0 ]
first=$((t_gone - t_live))
check "and span both publishes (${first} s + 5 s)" awk "BEGIN { exit !($2 >= $first + 3) }"
frames=$(timeout 60 ffprobe -v error -count_frames -select_streams v \
    -show_entries stream=nb_read_frames -of csv=p=0 "$tmp/rtmps.flv")
check "the RTMPS destination got most of the frames ($frames)" \
    [ "${frames:-0}" -ge $(( first * 25 )) ]
done_testing
