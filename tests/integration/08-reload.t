#!/bin/sh
# Daemon manners: SIGHUP re-reads nyon.conf (a good one takes effect, a
# broken one is refused and the old one kept, a changed listen address is
# logged as needing a restart); root with no user is refused; started as
# root with a user, a daemon becomes that user after binding; the process
# title names the config.
. "$(dirname "$0")/lib.sh"

# wait_log FILE TEXT: until FILE holds TEXT, at most 5 s
wait_log() {
	i=0
	while [ $i -lt 50 ]; do
		grep -qF "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	diag "no '$2' in $1:"; diag "$(tail -5 "$1")"
	return 1
}
# hup DAEMON: SIGHUP, then wait for the reload's verdict in its log
hup() {
	n=$(grep -c 'reload: ' "$tmp/$1.log")
	kill -HUP "$(eval echo "\$pid_$1")"
	i=0
	while [ $i -lt 50 ] && [ "$(grep -c 'reload: ' "$tmp/$1.log")" -eq "$n" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep 0.1
}
http_code() {
	curl -s -o /dev/null -m 3 -w '%{http_code}' "$@"
}

write_conf <<EOF
auth = none
EOF
cp "$conf" "$tmp/base.conf"
check "ingestd starts" start ingestd
check "flvd starts" start flvd

# --- a good config: log_level = debug takes effect -------------------------
nyonctl ping ingestd >/dev/null
check "at log_level info, no debug lines" sh -c "! grep -q 'control: ping' '$tmp/ingestd.log'"
echo "log_level = debug" >> "$conf"
hup ingestd
check "SIGHUP: the new config is in use" grep -q "reload: $conf in use" "$tmp/ingestd.log"
nyonctl ping ingestd >/dev/null
check "log_level = debug now shows debug lines" wait_log "$tmp/ingestd.log" "control: ping from uid"

# --- a runtime limit: max_viewers in flvd ---------------------------------
if command -v ffmpeg >/dev/null 2>&1; then
	publish cam 320x180 30
	check "a stream goes live" wait_live cam
	curl -s -o /dev/null -m 20 "$(flv_url cam)" &
	viewer=$!
	pids="$pids $viewer"
	sleep 0.5
	check "a second viewer is served under the default max_viewers" \
	    [ "$(http_code -m 1 "$(flv_url cam)")" = 200 ]
	echo "max_viewers = 1" >> "$conf"
	hup flvd
	check "after SIGHUP with max_viewers = 1 a second viewer gets 503" \
	    [ "$(http_code "$(flv_url cam)")" = 503 ]
	kill "$viewer" 2>/dev/null
else
	echo "ok $((ntest += 1)) # SKIP ffmpeg not installed"
fi

# --- a broken config is refused --------------------------------------------
cp "$conf" "$tmp/good.conf"
echo "max_streams = lots" >> "$conf"
hup ingestd
check "a broken config is logged with its line" \
    grep -q "reload: $conf:[0-9]*: bad value for max_streams.*keeping the running configuration" "$tmp/ingestd.log"
check "ingestd keeps running" kill -0 "$pid_ingestd"
# nyonctl reads the file too: give it the good one.
check "and answers" "$bin/ctl/nyonctl" -f "$tmp/good.conf" ping ingestd
n=$(grep -c 'control: ping' "$tmp/ingestd.log")
"$bin/ctl/nyonctl" -f "$tmp/good.conf" ping ingestd >/dev/null
check "with the old config (still logging debug)" \
    [ "$(grep -c 'control: ping' "$tmp/ingestd.log")" -gt "$n" ]

# --- a listen address needs a restart ---------------------------------------
cp "$tmp/good.conf" "$conf"
new_port=$(free_port)
sed -i "s/^flv_listen = .*/flv_listen = 127.0.0.1:$new_port/" "$conf"
hup flvd
check "a changed flv_listen is logged as needing a restart" \
    grep -q "reload: flv_listen changed from '127.0.0.1:$FLV_PORT' to '127.0.0.1:$new_port'; that needs a restart" "$tmp/flvd.log"
check "flvd still serves the old address" [ "$(http_code -I "$(flv_url nosuch)")" = 404 ]
check "and not the new one" [ "$(http_code -I "http://127.0.0.1:$new_port/live/nosuch.flv")" = 000 ]
check "the rest of the config was applied" grep -q "reload: $conf in use" "$tmp/flvd.log"
check "ingestd stops cleanly after reloads" stop ingestd
check "flvd stops cleanly after reloads" stop flvd

# --- process title ------------------------------------------------------------
cp "$tmp/base.conf" "$conf"
start ingestd
title=$(tr '\0' ' ' < "/proc/$pid_ingestd/cmdline")
case $title in
"ingestd: $conf"*) ok "the process title names the config" ;;
*) not_ok "the process title names the config"; diag "$title" ;;
esac
stop ingestd

# --- root and user -------------------------------------------------------------
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	out=$(env -u NYON_ALLOW_ROOT timeout 10 "$bin/ingestd/ingestd" -d -f "$conf" 2>&1); rc=$?
	check "root with no user is refused" [ "$rc" -eq 1 ]
	case $out in
	*"refusing to run as root"*"user = nyon"*) ok "the refusal says what to do" ;;
	*) not_ok "the refusal says what to do"; diag "$out" ;;
	esac
	check "no pidfile or socket is left by the refusal" [ ! -e "$tmp/run/ingestd.pid" ]

	# A run directory the daemon creates is handed to the user; the test
	# directory must be traversable for nobody.
	chmod 0755 "$tmp"
	sed -i "s|^rundir = .*|rundir = $tmp/run-nobody|" "$conf"
	echo "user = nobody" >> "$conf"
	check "user = nobody: ingestd starts as root" start ingestd
	uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$pid_ingestd/status")
	gids=$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "/proc/$pid_ingestd/status")
	nuid=$(id -u nobody) ngid=$(id -g nobody)
	check "it runs as nobody: real, effective, saved and fs uid" \
	    [ "$uids" = "$nuid $nuid $nuid $nuid" ]
	check "and nobody's group" [ "$gids" = "$ngid $ngid $ngid $ngid" ]
	check "it said so" grep -q "running as nobody" "$tmp/ingestd.log"
	check "its socket and run directory belong to nobody" \
	    [ "$(stat -c %U "$tmp/run-nobody/ingestd.sock" "$tmp/run-nobody")" = "nobody
nobody" ]
	check "its RTMP port still listens (bound before the switch)" \
	    perl -MIO::Socket::INET -e "IO::Socket::INET->new(PeerAddr => '127.0.0.1:$RTMP_PORT', Timeout => 5) or exit 1"
	check "root's nyonctl still reaches it" nyonctl ping ingestd
	check "it stops" stop ingestd
	check_all "and removed its socket and pidfile as nobody" \
	    '[ ! -e "$tmp/run-nobody/ingestd.sock" ]' \
	    '[ ! -e "$tmp/run-nobody/ingestd.pid" ]'

	sed -i "s/^user = nobody/user = nosuchuser/" "$conf"
	out=$(timeout 10 "$bin/ingestd/ingestd" -n -f "$conf" 2>&1); rc=$?
	check "-n refuses a user that does not exist" [ "$rc" -eq 1 ]
	case $out in
	*"user nosuchuser: no such user"*) ok "and names it" ;;
	*) not_ok "and names it"; diag "$out" ;;
	esac
else
	echo "ok $((ntest += 1)) # SKIP not root, or no user nobody: no privileges to drop"
fi
done_testing
