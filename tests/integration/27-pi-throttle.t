#!/bin/sh
# A Raspberry Pi that throttles its CPU (under-voltage, heat) says so in the
# firmware's get_throttled file; authd logs it and shows it among the
# alerts of the health answer, and says when it is over.  This box is no
# Pi: authd runs in a private mount namespace where a tmpfs holds the file
# at the firmware's own path, so it reads the real path and nothing in
# authd knows it is a test.
. "$(dirname "$0")/lib.sh"

fw=/sys/devices/platform/soc/soc:firmware
if [ "$(id -u)" -ne 0 ] || ! command -v unshare > /dev/null ||
    ! unshare -m --propagation private \
    mount -t tmpfs -o size=4k nyon-probe /sys/devices/platform 2> /dev/null; then
	echo "ok $((ntest += 1)) # SKIP needs root and mount namespaces (unshare -m) to give authd a Pi's firmware file"
	done_testing
	exit
fi
write_conf < /dev/null
api=http://127.0.0.1:$API_PORT
board=$tmp/board
mkdir -p "$board"
# the flags under-voltage (bit 0) and throttled (bit 2) now, and both
# since boot (bits 16, 18): what a Pi on a weak supply reports
# board FLAGS: what the firmware says from now on (renamed into place, so
# authd never reads half a file)
board() {
	echo "$1" > "$board/new" && mv "$board/new" "$board/get_throttled"
}
board 0x50005
DEFAULT_ADMIN_PASSWORD=first-pass-123
export DEFAULT_ADMIN_PASSWORD
unshare -m --propagation private sh -c '
	mount -t tmpfs -o size=64k nyon-test /sys/devices/platform &&
	mkdir -p "$1" && ln -s "$2/get_throttled" "$1/get_throttled" &&
	exec "$3" -d -f "$4"' sh "$fw" "$board" "$bin/authd/authd" "$conf" \
    >> "$tmp/authd.log" 2>&1 &
pid_authd=$!
pids="$pids $pid_authd"
i=0
until nyonctl ping authd > /dev/null 2>&1 || [ $i -ge 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
check "authd starts in its namespace" nyonctl ping authd
unset DEFAULT_ADMIN_PASSWORD
t0=$(curl -s -m 10 -H 'Content-Type: application/json' \
    -d '{"username":"admin","password":"first-pass-123"}' \
    "$api/api/auth/login" | pyjson 'd["data"]["token"]')
# the first password must be changed before the API answers more
tok=$(curl -s -m 10 -X PUT -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $t0" \
    -d '{"current_password":"first-pass-123","new_password":"second-pass-456"}' \
    "$api/api/auth/change-password" | pyjson 'd["data"]["token"]')
check "an API token" [ -n "$tok" ]

# alerts KIND: the health answer's alerts of one kind, one message per
# line; "no answer" when there is no health answer to read
alerts() {
	curl -s -m 10 -H "Authorization: Bearer $tok" \
	    "$api/api/config/health" |
	    pyjson "'\n'.join(a['message'] for a in d['data']['alerts'] if a['kind'] == '$1')" 2> /dev/null ||
	    echo "no answer"
}
# wait_alert KIND PATTERN: up to 25 s (authd samples every 10 s)
wait_alert() {
	i=0
	while [ $i -lt 50 ]; do
		a=$(alerts "$1")
		# shellcheck disable=SC2254 # $2 is a pattern
		case $a in $2) return 0 ;; esac
		sleep 0.5
		i=$((i + 1))
	done
	return 1
}

check "the health answer shows the throttling" \
    wait_alert throttling "*under-voltage*throttled*"
diag "alert: $a"
check "and it is logged" grep -q "CPU throttling: under-voltage throttled" \
    "$tmp/authd.log"
check "the frequency cap is not claimed" sh -c "! echo '$a' | grep -q 'frequency capped'"

# the supply recovers: the flags now clear, those since boot stay
board 0x50000
check "the alert goes when the board clears it" wait_alert throttling ""
check "and the log says it is over" grep -q "CPU throttling: over" \
    "$tmp/authd.log"
done_testing
