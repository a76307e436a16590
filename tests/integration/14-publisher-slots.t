#!/bin/sh
# Issue 13: one host cannot take every publisher slot.  An attacker at
# 127.0.0.2 (any 127.0.0.0/8 address is loopback on Linux) opens sockets,
# sends one byte of handshake and waits, over and over; real publishers
# from 127.0.0.1 still go live and play, and the idle sockets are closed
# after auth_timeout.  max_pending_per_ip is set below its default (8) so
# that the numbers are small; max_publishers_per_ip 8 and auth_timeout 5
# are the defaults.
. "$(dirname "$0")/lib.sh"

SRT_PORT=$(free_port udp)
write_conf <<CONF
auth = none
max_publishers = 16
max_pending_per_ip = 4
publish_timeout = 30
republish_grace = 0
CONF
A=$top/tests/integration/attack.py
check "ingestd starts" start ingestd
check "flvd starts" start flvd

# 32 sockets from 127.0.0.2, twice max_publishers, each back 0.1 s after
# it is closed, for 14 s.
timeout 40 python3 "$A" "$RTMP_PORT" idle --clients 32 --seconds 14 \
    --pause 0.1 --source 127.0.0.2 > "$tmp/idle.out" 2>&1 &
idle=$!
sleep 1
check "127.0.0.2 gets max_pending_per_ip slots, and a log line for the rest" \
    grep -q "rtmp 127.0.0.2:[0-9]*: refused: connections not yet authorised from 127.0.0.2: 4 (max_pending_per_ip)" \
    "$tmp/ingestd.log"
publish cam1 320x240 40
check "cam1 from 127.0.0.1 goes live meanwhile" wait_live cam1
bytes=$(curl -s --max-time 3 "$(flv_url cam1)" | wc -c)
check "and plays ($bytes bytes in 3 s)" [ "$bytes" -gt 20000 ]

# The same rule for SRT callers, counted with RTMP: 127.0.0.2 is refused in
# the SRT handshake, 127.0.0.1 gets in.
ffmpeg -hide_banner -nostdin -v error -f lavfi -i testsrc2=size=320x240:rate=25 \
    -c:v libx264 -preset ultrafast -g 25 -t 6 -f mpegts "$tmp/srt.ts" \
    > "$tmp/srt-make.log" 2>&1
# srt-live-transmit wants a pipe (06-srt.t); adapter is its source address.
{ ffmpeg -hide_banner -nostdin -v error -re -i "$tmp/srt.ts" -c copy \
    -f mpegts - | timeout 10 srt-live-transmit -a:no file://con \
    "srt://127.0.0.1:$SRT_PORT?streamid=live/srt2&mode=caller&adapter=127.0.0.2"; } \
    > "$tmp/slt2.log" 2>&1
check "an SRT caller from 127.0.0.2 is refused in the handshake" \
    grep -q "REJECT" "$tmp/slt2.log"
check "with a log line" \
    grep -q "srt 127.0.0.2:[0-9]*: refused: connections not yet authorised from 127.0.0.2: 4 (max_pending_per_ip) (reject 1402)" \
    "$tmp/ingestd.log"
{ ffmpeg -hide_banner -nostdin -v error -re -i "$tmp/srt.ts" -c copy \
    -f mpegts - | timeout 15 srt-live-transmit -a:no file://con \
    "srt://127.0.0.1:$SRT_PORT?streamid=live/srt1"; } > "$tmp/slt1.log" 2>&1 &
slt=$!
pids="$pids $slt"
check "an SRT caller from 127.0.0.1 goes live" wait_live srt1

wait $idle
diag "127.0.0.2: $(cat "$tmp/idle.out")"
refused=$(sed -n 's/.* refused=\([0-9]*\).*/\1/p' "$tmp/idle.out")
held=$(sed -n 's/.* held=\([0-9]*\).*/\1/p' "$tmp/idle.out")
median=$(sed -n 's/.* held_ms_median=\([0-9]*\).*/\1/p' "$tmp/idle.out")
check "most of 127.0.0.2's connections were refused at once (${refused:-?})" \
    [ "${refused:-0}" -gt 100 ]
check "the ones it held were closed after auth_timeout: ${held:-0} held for ${median:-?} ms" \
    sh -c "[ '${held:-0}' -ge 8 ] && [ '${median:-0}' -ge 4500 ] && [ '${median:-0}' -le 7000 ]"
check "with a log line" \
    grep -q "rtmp 127.0.0.2:[0-9]*: not publishing within 5s (auth_timeout); closing" \
    "$tmp/ingestd.log"

# Publishing connections per address: 10 publishers from 127.0.0.3, of
# which max_publishers_per_ip (8) go live; cam2 from 127.0.0.1 still does.
timeout 30 python3 "$A" "$RTMP_PORT" publish --size 20000 --clients 10 \
    --seconds 8 --source 127.0.0.3 > "$tmp/pub3.out" 2>&1 &
pub3=$!
sleep 3
live3=$(nyonctl --json status 2>/dev/null |
    pyjson "len([s for s in d['ingestd']['streams'] if s['name'].startswith('atk')])")
check "127.0.0.3 has max_publishers_per_ip streams live (${live3:-?})" [ "${live3:-0}" -eq 8 ]
check "its other publishes are refused with a log line" \
    grep -q "rtmp 127.0.0.3:[0-9]*: publish refused: publishing connections from 127.0.0.3: 8 (max_publishers_per_ip)" \
    "$tmp/ingestd.log"
publish cam2 320x240 20
check "cam2 from 127.0.0.1 goes live meanwhile" wait_live cam2
wait $pub3
check "cam1 still plays" wait_live cam1
check "ingestd stops cleanly" stop ingestd
check "flvd stops cleanly" stop flvd
done_testing
