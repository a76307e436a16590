#!/bin/sh
# The three daemons start, answer nyonctl, refuse a second instance, and stop
# cleanly on SIGTERM and SIGINT.
. "$(dirname "$0")/lib.sh"

write_conf </dev/null
for d in authd ingestd flvd; do
	check "$d starts and answers ping" start $d
done

out=$(nyonctl status); rc=$?
check "nyonctl status exits 0 with all up" [ "$rc" -eq 0 ]
for d in authd ingestd flvd; do
	case $out in
	*"$d "*" up "*) ok "status lists $d up" ;;
	*) not_ok "status lists $d up"; diag "$out" ;;
	esac
done

json=$(nyonctl --json status)
check "status --json is JSON with each daemon's pid" sh -c "
	echo '$json' | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert all(d[n][\"ok\"] and d[n][\"pid\"] > 0 and \"uptime\" in d[n] for n in (\"authd\", \"ingestd\", \"flvd\"))'"

out=$(nyonctl ping ingestd); rc=$?
check "nyonctl ping ingestd" [ "$rc" -eq 0 ]
out=$(nyonctl ping nosuchd 2>&1); rc=$?
check "ping of an unknown daemon is a usage error" [ "$rc" -eq 2 ]

out=$(timeout 10 "$bin/ingestd/ingestd" -d -f "$conf" 2>&1); rc=$?
check "a second ingestd is refused" [ "$rc" -eq 1 ]
case $out in
*"in use by a running ingestd"*|*"already running"*) ok "the refusal says why" ;;
*) not_ok "the refusal says why"; diag "$out" ;;
esac
check "the first ingestd still answers" nyonctl ping ingestd

check "flvd stops on SIGINT" stop flvd INT
check "flvd removed its socket" [ ! -e "$tmp/run/flvd.sock" ]
check "flvd removed its pidfile" [ ! -e "$tmp/run/flvd.pid" ]
out=$(nyonctl status); rc=$?
check "status exits 1 when a daemon is down" [ "$rc" -eq 1 ]
case $out in
*"flvd     down"*) ok "status shows flvd down" ;;
*) not_ok "status shows flvd down"; diag "$out" ;;
esac

check "flvd restarts on the same run directory" start flvd
for d in authd ingestd flvd; do
	check "$d stops on SIGTERM" stop $d
	check_all "$d removed its socket and pidfile" \
	    '[ ! -e "$tmp/run/$d.sock" ]' '[ ! -e "$tmp/run/$d.pid" ]'
done

# A stale socket left by a crash does not stop a new start.
check "ingestd starts again" start ingestd
kill -KILL "$pid_ingestd"; wait "$pid_ingestd" 2>/dev/null
check "the stale socket is still there" [ -e "$tmp/run/ingestd.sock" ]
check "ingestd starts over its stale socket and pidfile" start ingestd
check "and stops" stop ingestd
done_testing
