#!/bin/sh
# Bad input closes only that connection, with a log line; limits hold.
. "$(dirname "$0")/lib.sh"

write_conf <<CONF
auth = none
publish_timeout = 2
rtmp_max_message = 1m
max_publishers = 4
max_viewers_per_stream = 2
republish_grace = 0
CONF
check "ingestd starts" start ingestd
check "flvd starts" start flvd
raw() {
	timeout 30 perl "$top/tests/integration/rtmp-raw.pl" "$RTMP_PORT" "$@"
}
publish cam1 320x240 90
check "cam1 goes live" wait_live cam1

out=$(raw garbage)
case $out in "closed after"*) ok "garbage instead of a handshake: closed ($out)" ;; *) not_ok "garbage closed"; diag "$out" ;; esac
check "with a log line" grep -q "rtmp 127.0.0.1:[0-9]*: .*closing" "$tmp/ingestd.log"
out=$(raw truncated)
case $out in "closed after"*) ok "a truncated handshake is closed after publish_timeout ($out)" ;; *) not_ok "truncated"; diag "$out" ;; esac
check "the idle close is logged" grep -q "no data for 2s; closing" "$tmp/ingestd.log"
out=$(raw chunksize)
case $out in "closed after"*) ok "Set Chunk Size 0x7fffffff: closed ($out)" ;; *) not_ok "chunk size"; diag "$out" ;; esac
check "the huge chunk size is logged" grep -qi "chunk size" "$tmp/ingestd.log"
out=$(raw hugemsg)
case $out in "closed after"*) ok "a 16 MiB message over rtmp_max_message: closed ($out)" ;; *) not_ok "huge message"; diag "$out" ;; esac
grep -i "message" "$tmp/ingestd.log" | tail -1 | sed 's/^/# /'
check "ingestd still answers" nyonctl ping ingestd
check "cam1 still plays" wait_live cam1
bytes=$(curl -s --max-time 2 "$(flv_url cam1)" | wc -c)
check "cam1 still delivers media ($bytes bytes in 2 s)" [ "$bytes" -gt 20000 ]

# max_publishers = 4: cam1 and three idle connections fill it.
raw idle 3 > "$tmp/idle1" & i1=$!
raw idle 3 > "$tmp/idle2" & i2=$!
raw idle 3 > "$tmp/idle3" & i3=$!
sleep 0.5
out=$(raw idle 1)
case $out in "closed after"*) ok "a fifth publisher connection is refused at once ($out)" ;; *) not_ok "max_publishers"; diag "$out" ;; esac
check "the refusal is logged" grep -q "refused: max_publishers reached" "$tmp/ingestd.log"
wait $i1 $i2 $i3

# max_viewers_per_stream = 2
curl -s --max-time 3 -o /dev/null "$(flv_url cam1)" & c1=$!
curl -s --max-time 3 -o /dev/null "$(flv_url cam1)" & c2=$!
sleep 0.5
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$(flv_url cam1)")
check "a third viewer gets 503 ($code)" [ "$code" = 503 ]
wait $c1 $c2

# A publisher that stops sending is dropped after publish_timeout.
kill -STOP "$pub_cam1"
i=0
while [ $i -lt 60 ] && [ "$(curl -s -m 2 -o /dev/null -I -w '%{http_code}' "$(flv_url cam1)")" = 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "a stalled publisher's stream ends within 6 s ($((i / 10)) s)" [ $i -lt 60 ]
kill -CONT "$pub_cam1"
check "ingestd stops cleanly" stop ingestd
check "flvd stops cleanly" stop flvd
done_testing
