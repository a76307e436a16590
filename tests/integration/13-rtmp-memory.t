#!/bin/sh
# Issue 13: no bytes from the network take ingestd past the bound of
# ingestd(8), MEMORY, and what attackers made it hold goes back when they
# leave, while a real publisher goes live and a real viewer watches.
#
# The resident sizes are the plain build's (ASan's quarantine and shadow
# memory would distort them).  With NYON_BUILD set to another build (the
# ASan one), that build then takes the same attacks, for the memory errors
# ASan would catch.
. "$(dirname "$0")/lib.sh"

plain=$top/ingestd/ingestd
if [ ! -x "$plain" ] || [ ! -x "$top/ctl/nyonctl" ]; then
	echo "1..0 # SKIP the plain build is needed for resident sizes: make all"
	exit 0
fi

# Only keys the code before issue 13 knew, so that it runs this test too.
write_conf <<CONF
auth = none
max_publishers = 80
max_streams = 40
publish_timeout = 3
republish_grace = 0
CONF
A=$top/tests/integration/attack.py
KIB=1024
MIB=$((1024 * 1024))

rss() {
	awk '/^VmRSS/ { print $2 * 1024 }' "/proc/$1/status"
}
# sample_rss PID FILE: the highest VmRSS seen (bytes) in FILE, until PID ends
sample_rss() {
	_max=0
	while _r=$(awk '/^VmRSS/ { print $2 * 1024 }' "/proc/$1/status" 2>/dev/null) &&
	    [ -n "$_r" ]; do
		if [ "$_r" -gt "$_max" ]; then
			_max=$_r
			echo "$_max" > "$2"
		fi
		sleep 0.1
	done
}
mb() {
	echo "$(($1 / 1000000)) MB"
}

# attack SECONDS TAG: 31 hosts (127.0.0.10-40) each with the connection of
# the report (handshake, Set Chunk Size 0xffffff, 16 MiB messages, never
# connect), each with a publish and two unfinished 16 MiB messages, and 4
# that publish and then send Pings without reading the answers.  Closed
# connections come back.  Output in $tmp/atk-TAG-*.
attack() {
	_s=""
	_i=10
	while [ $_i -le 40 ]; do
		_s="$_s --source 127.0.0.$_i"
		_i=$((_i + 1))
	done
	# shellcheck disable=SC2086
	timeout $(($1 + 20)) python3 "$A" "$RTMP_PORT" memory --clients 31 \
	    --seconds "$1" --pause 1 $_s > "$tmp/atk-$2-memory" 2>&1 &
	_a1=$!
	# shellcheck disable=SC2086
	timeout $(($1 + 20)) python3 "$A" "$RTMP_PORT" publish --clients 31 \
	    --seconds "$1" --pause 1 $_s > "$tmp/atk-$2-publish" 2>&1 &
	_a2=$!
	timeout $(($1 + 20)) python3 "$A" "$RTMP_PORT" pings --clients 4 \
	    --seconds "$1" --source 127.0.0.50 --source 127.0.0.51 \
	    --source 127.0.0.52 --source 127.0.0.53 > "$tmp/atk-$2-pings" 2>&1 &
	_a3=$!
	attackers="$_a1 $_a2 $_a3"
}

# --- the plain build, measured ---------------------------------------------
_b=$bin
bin=$top
check "ingestd (plain build) starts" start ingestd
bin=$_b
check "flvd starts" start flvd
base=$(rss "$pid_ingestd")
diag "ingestd at rest: $(mb "$base")"

publish cam1 320x240 60
check "cam1 goes live" wait_live cam1
sleep 2
before=$(rss "$pid_ingestd")

# The bound of ingestd(8) for this configuration: base + max_publishers x
# 160 KiB + rtmp_memory (64m) + max_streams x ring (8 MiB with auth = none).
bound=$((base + 80 * 160 * KIB + 64 * MIB + 40 * 8 * MIB))
# What this attack may add: rtmp_memory and the connections, and cam2's
# ring, new during the attack.
added=$((64 * MIB + 80 * 160 * KIB + 8 * MIB))

sample_rss "$pid_ingestd" "$tmp/peak" &
sampler=$!
curl -s --max-time 12 -o "$tmp/cam1.flv" "$(flv_url cam1)" &
viewer=$!
attack 10 plain
sleep 2
publish cam2 320x240 30
check "cam2 goes live while the attack runs" wait_live cam2
bytes=$(curl -s --max-time 3 "$(flv_url cam2)" | wc -c)
check "a viewer of cam2 gets media during the attack ($bytes bytes in 3 s)" \
    [ "$bytes" -gt 20000 ]
# shellcheck disable=SC2086
wait $attackers
wait $viewer
sleep 2
after=$(rss "$pid_ingestd")
kill $sampler 2>/dev/null
wait $sampler 2>/dev/null
peak=$(cat "$tmp/peak" 2>/dev/null || echo 0)
diag "before the attack $(mb "$before"), peak $(mb "$peak"), after $(mb "$after")"
diag "attackers: $(cat "$tmp/atk-plain-memory") / $(cat "$tmp/atk-plain-publish") / $(cat "$tmp/atk-plain-pings")"
check "the attack was made ($(sed -n 's/connections=\([0-9]*\).*/\1/p' "$tmp/atk-plain-memory") connections)" \
    grep -q "connections=[1-9]" "$tmp/atk-plain-memory"
check "the resident size was sampled during the attack" [ "$peak" -gt 0 ]
check "ingestd stays under the bound of ingestd(8) ($(mb "$peak") <= $(mb "$bound"))" \
    [ "$peak" -le "$bound" ]
check "the attack adds at most rtmp_memory + max_publishers x 160 KiB + a ring ($(mb $((peak - before))) <= $(mb "$added"))" \
    [ "$((peak - before))" -le "$added" ]
check "memory goes back after the attackers leave ($(mb "$after"), $(mb "$before") before)" \
    [ "$after" -le $((before + 12 * MIB)) ]
size=$(size_of "$tmp/cam1.flv")
check "cam1's viewer got media all through the attack ($size bytes in 12 s)" \
    [ "$size" -gt 300000 ]
check "a publisher over rtmp_memory is closed with a log line" \
    grep -q "rtmp 127.0.0.[0-9]*:[0-9]*: no room for a 16777215 byte message: .* all may use; closing" \
    "$tmp/ingestd.log"
check "ingestd still answers" nyonctl ping ingestd
check "ingestd stops cleanly" stop ingestd

# --- the build under test (ASan), attacked the same way --------------------
if [ "$bin" != "$top" ]; then
	mv "$tmp/ingestd.log" "$tmp/ingestd-plain.log"
	check "ingestd ($bin) starts" start ingestd
	attack 8 asan
	sleep 2
	publish cam3 320x240 30
	check "cam3 goes live while the attack runs" wait_live cam3
	bytes=$(curl -s --max-time 3 "$(flv_url cam3)" | wc -c)
	check "a viewer of cam3 gets media during the attack ($bytes bytes in 3 s)" \
	    [ "$bytes" -gt 20000 ]
	# shellcheck disable=SC2086
	wait $attackers
	diag "attackers: $(cat "$tmp/atk-asan-memory") / $(cat "$tmp/atk-asan-publish") / $(cat "$tmp/atk-asan-pings")"
	check "ingestd still answers" nyonctl ping ingestd
	check "ingestd stops cleanly" stop ingestd
	check "no memory error" sh -c "! grep -q 'Sanitizer' '$tmp/ingestd.log'"
fi
check "flvd stops cleanly" stop flvd
done_testing
