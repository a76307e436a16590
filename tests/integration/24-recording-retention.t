#!/bin/sh
# Never fill the disk: record_max_size removes the oldest recordings first
# and always leaves the newest; a kept recording is exempt; one older than
# record_max_days goes; below record_min_free recording pauses, says so in
# the log and nyonctl status, and viewers still get the stream; above it
# again, recording resumes.  Settings change with a reload (SIGHUP).
. "$(dirname "$0")/lib.sh"

write_conf <<CONF
auth = none
record = yes
record_max_size = 0
record_min_free = 0
CONF
rec=$tmp/state/recordings
check "ingestd starts" start ingestd
check "flvd starts" start flvd
check "recd starts" start recd

# session: one short recorded publish of cam1, waited for
session() {
	publish cam1 320x240 3
	wait_live cam1 || return 1
	reap "$pub_cam1" 150
	sleep 1.2
}
# set KEY VALUE: in the config, then a reload of recd
set_key() {
	sed -i "/^$1 =/d" "$conf"
	echo "$1 = $2" >> "$conf"
	kill -HUP "$pid_recd"
	sleep 1.5
}
files() {
	ls "$rec/cam1/" 2>/dev/null | grep '\.mp4$' | tr '\n' ' '
}
id_of() {
	nyonctl --json recording list cam1 |
	    pyjson "[r['id'] for r in d if r['file'] == '$1'][0]"
}

session
session
session
set -- $(files)
a=$1 b=$2 c=$3
check "three recordings ($*)" [ $# -eq 3 ]
sb=$(wc -c < "$rec/cam1/$b") sc=$(wc -c < "$rec/cam1/$c")

set_key record_max_size $((sb + sc + 1024))
check "a budget for two: the oldest ($a) went first" sh -c "[ '$(files)' = '$b $c ' ]"
check "and the log says why" grep -q "recording cam1/$a removed: record_max_size" "$tmp/recd.log"
set_key record_max_size 1k
check "a tiny budget: the next oldest went, the newest stays" sh -c "[ '$(files)' = '$c ' ]"

# keep: exempt
set_key record_max_size 0
out=$(nyonctl recording keep "$(id_of "$c")"); rc=$?
check "nyonctl recording keep ($rc: $out)" [ "$rc" -eq 0 ]
session
session
set -- $(files)
d=$2 e=$3
set_key record_max_size 1k
check "with $c kept, $d goes and the newest $e stays" sh -c "[ '$(files)' = '$c $e ' ]"
check "nyonctl recording unkeep" nyonctl recording unkeep "$(id_of "$c")"

# age: a recording from 2000 goes at once
check "recd stops" stop recd
cp "$rec/cam1/$e" "$rec/cam1/20000101-000000-000.mp4"
sed -i "s/^record_max_size =.*/record_max_size = 0/" "$conf"
check "recd starts again" start recd
sleep 1.5
check "the recording from 2000 went: older than record_max_days" \
    sh -c "[ ! -e '$rec/cam1/20000101-000000-000.mp4' ]"
check "and the log says so" grep -q "20000101-000000-000.mp4 removed: older than 30 days" "$tmp/recd.log"

# the free-space floor
set_key record_min_free 1000000g
check "below record_min_free: a warning in the log" grep -q "recording paused: .* under record_min_free" "$tmp/recd.log"
out=$(nyonctl status)
case $out in
*"paused: yes"*"warning: recording paused"*) ok "nyonctl status shows recording paused, and why" ;;
*) not_ok "nyonctl status shows recording paused, and why"; diag "$out" ;;
esac
before=$(files)
publish cam1 320x240 5
check "cam1 goes live while recording is paused" wait_live cam1
got=$(curl -s -m 3 -o - "$(flv_url cam1)" | wc -c)
check "viewers get the stream all the same ($got bytes in 3 s)" [ "$got" -gt 50000 ]
reap "$pub_cam1" 150
sleep 1
check "nothing was recorded" sh -c "[ '$(files)' = '$before' ]"
set_key record_min_free 1m
check "above the floor again: recording resumes" grep -q "recording resumes" "$tmp/recd.log"
session
set -- $(files)
check "and the next session is recorded ($#)" [ $# -eq 3 ]
check "recd stops cleanly" stop recd
check "flvd stops cleanly" stop flvd
check "ingestd stops cleanly" stop ingestd
done_testing
