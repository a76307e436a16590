#!/bin/sh
# The three daemons start, answer nyonctl, refuse a second instance, and stop
# cleanly on SIGTERM and SIGINT; their pidfiles are locked, follow no
# symlink, and live only in a run directory no one else may write in.
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

# The pidfile is locked while its daemon runs: with the socket moved out of
# the way, a second ingestd is still refused, and names the first one.
check "ingestd starts" start ingestd
mv "$tmp/run/ingestd.sock" "$tmp/ingestd.sock.away"
out=$(timeout 10 "$bin/ingestd/ingestd" -d -f "$conf" 2>&1); rc=$?
mv "$tmp/ingestd.sock.away" "$tmp/run/ingestd.sock"
check "without its socket, a second ingestd is refused by the pidfile ($rc)" \
    [ "$rc" -eq 1 ]
case $out in
*"ingestd already running, pid $pid_ingestd"*) ok "and names the running one's pid" ;;
*) not_ok "and names the running one's pid ($pid_ingestd)"; diag "$out" ;;
esac
check "the first ingestd still answers" nyonctl ping ingestd
check "and stops" stop ingestd

# A symlink planted at the pidfile's path is not followed: the daemon
# refuses to start, and the file it points at is untouched.
echo precious > "$tmp/precious"
rm -f "$tmp/run/flvd.pid"
ln -s "$tmp/precious" "$tmp/run/flvd.pid"
out=$(timeout 10 "$bin/flvd/flvd" -d -f "$conf" 2>&1); rc=$?
check "with a symlink as its pidfile flvd refuses to start ($rc)" [ "$rc" -eq 1 ]
case $out in
*"pidfile $tmp/run/flvd.pid is a symbolic link: refusing to follow it"*)
	ok "and says why" ;;
*) not_ok "and says why"; diag "$out" ;;
esac
check "the symlink's target is unchanged" [ "$(cat "$tmp/precious")" = precious ]
check_all "and it did not start: no socket, the symlink left as it was" \
    '[ ! -e "$tmp/run/flvd.sock" ]' '[ -L "$tmp/run/flvd.pid" ]'
rm -f "$tmp/run/flvd.pid"

# A run directory anyone may write in is refused; a sticky one (like /tmp)
# is not, since there nobody can replace what is ours.
mkdir "$tmp/wrun"
chmod 0777 "$tmp/wrun"
sed "s|^rundir = .*|rundir = $tmp/wrun|" "$conf" > "$tmp/wrun.conf"
out=$(timeout 10 "$bin/flvd/flvd" -d -f "$tmp/wrun.conf" 2>&1); rc=$?
check "a world-writable run directory is refused ($rc)" [ "$rc" -eq 1 ]
case $out in
*"$tmp/wrun is writable by anyone (mode 0777): refusing"*) ok "and the refusal says why" ;;
*) not_ok "and the refusal says why"; diag "$out" ;;
esac
check "and nothing was made in it" [ -z "$(ls -A "$tmp/wrun")" ]
chmod 1777 "$tmp/wrun"
good_conf=$conf conf=$tmp/wrun.conf
check "a sticky world-writable run directory is fine" start flvd
check "and flvd stops there" stop flvd
conf=$good_conf
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	mkdir "$tmp/orun"
	chown nobody "$tmp/orun"
	sed "s|^rundir = .*|rundir = $tmp/orun|" "$conf" > "$tmp/orun.conf"
	out=$(timeout 10 "$bin/flvd/flvd" -d -f "$tmp/orun.conf" 2>&1); rc=$?
	case "$rc $out" in
	"1 "*"$tmp/orun belongs to uid $(id -u nobody), neither root nor"*)
		ok "a run directory of another user is refused" ;;
	*) not_ok "a run directory of another user is refused"; diag "$rc $out" ;;
	esac
else
	echo "ok $((ntest += 1)) # SKIP not root: cannot give a directory away"
fi
done_testing
