# Shared by the integration tests: TAP output, a private run directory,
# free loopback ports, starting and stopping daemons.  Each test sources it
# and gets a trap that stops everything it started.  tests/run-integration
# gives each file a time limit; bound every client too (timeout, curl -m,
# reap), so that a hang fails one check with its name, not the whole file.
# shellcheck shell=sh

top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${NYON_BUILD:-$top}
tmp=$(mktemp -d /tmp/nyon-test.XXXXXX)
conf=$tmp/nyon.conf
pids=""
ntest=0
# Daemons refuse to run as root unless told whom to become (nyon.conf(5),
# user); tests run as whoever starts them, root in CI containers, and say so.
NYON_ALLOW_ROOT=1
export NYON_ALLOW_ROOT
nfail=0

cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	# One that ignores TERM must not hold the test up: KILL after 5 s.
	for p in $pids; do
		wait_gone "$p" 50 || kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ "$nfail" -eq 0 ] && [ -z "${KEEP_TMP:-}" ]; then
		rm -rf "$tmp"
	else
		echo "# kept $tmp"
	fi
}
trap cleanup EXIT
# Killed (a timeout, Ctrl-C): keep the run directory for a look.
trap 'nfail=$((nfail + 1)); exit 1' INT TERM

ok() {
	ntest=$((ntest + 1))
	echo "ok $ntest - $1"
}
not_ok() {
	ntest=$((ntest + 1))
	nfail=$((nfail + 1))
	echo "not ok $ntest - $1"
}
# check DESCRIPTION COMMAND...: passes when the command succeeds.  One
# command only: in `check DESC [ a ] && [ b ]` the && applies to check's
# result and [ b ] is never asserted (tests/lint-tests refuses that line).
# For several conditions use check_all, or check DESC sh -c '[ a ] && [ b ]'.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
# check_all DESCRIPTION CONDITION...: passes when every CONDITION, a shell
# command line evaluated here (so single-quote it: its variables expand
# now), succeeds; says which one failed.
#   check_all "restart gave a new process" '[ -n "$pid2" ]' \
#       '[ "$pid2" != "$pid" ]' 'kill -0 "$pid2"'
check_all() {
	_desc=$1
	shift
	for _cond in "$@"; do
		if ! eval "$_cond"; then
			not_ok "$_desc"
			diag "failed: $_cond"
			return 1
		fi
	done
	ok "$_desc"
}
done_testing() {
	echo "1..$ntest"
	[ "$nfail" -eq 0 ]
}
diag() {
	echo "$@" | sed 's/^/# /'
}

# A loopback TCP (or UDP with "udp") port nobody has bound right now, from
# below the kernel's ephemeral range: a port the kernel picked (port 0) is
# one it may give the next connection or UDP socket of any test running
# beside this one (Chromium opens dozens) before this test binds it; the
# range below is only ever taken by asking for it.  The ports kept for
# comparisons on the test machines (11080 to 19350) are below 20000.
free_port() {
	perl -MIO::Socket::INET -e '
		my $proto = $ARGV[0] || "tcp";
		my ($eph) = split " ", `cat /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null`;
		my $hi = ($eph || 32768) - 1;
		for (1 .. ($hi > 21000 ? 500 : 0)) {
			my $p = 20000 + int(rand($hi - 20000 + 1));
			my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1",
			    LocalPort => $p, Proto => $proto) or next;
			print "$p\n";
			exit 0;
		}
		my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1",
		    LocalPort => 0, Proto => $proto) or die;
		print $s->sockport, "\n";' "${1:-tcp}"
}

# write_conf [extra lines on stdin]: a config for this test's run directory
write_conf() {
	RTMP_PORT=${RTMP_PORT:-$(free_port)}
	FLV_PORT=${FLV_PORT:-$(free_port)}
	API_PORT=${API_PORT:-$(free_port)}
	SRT_PORT=${SRT_PORT:-$(free_port udp)}
	mkdir -p "$tmp/run" "$tmp/state"
	{
		echo "rundir = $tmp/run"
		echo "statedir = $tmp/state"
		echo "rtmp_listen = ${RTMP_LISTEN:-127.0.0.1:$RTMP_PORT}"
		echo "flv_listen = ${FLV_LISTEN:-127.0.0.1:$FLV_PORT}"
		echo "api_listen = 127.0.0.1:$API_PORT"
		echo "srt_listen = ${SRT_LISTEN:-127.0.0.1:$SRT_PORT}"
		cat
	} > "$conf"
}

# start DAEMON: runs it in the foreground (-d) logging to $tmp/DAEMON.log,
# and waits until its control socket answers.
start() {
	"$bin/$1/$1" -d -f "$conf" >> "$tmp/$1.log" 2>&1 &
	eval "pid_$1=$!"
	pids="$pids $!"
	i=0
	while [ $i -lt 100 ]; do
		if "$bin/ctl/nyonctl" -f "$conf" ping "$1" >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$(eval echo "\$pid_$1")" 2>/dev/null; then
			diag "$1 exited:"; diag "$(cat "$tmp/$1.log")"
			return 1
		fi
		sleep 0.05
		i=$((i + 1))
	done
	diag "$1 did not answer in 5 s"
	return 1
}

# stop DAEMON [SIGNAL]: signals it and waits for it to exit; fails if it
# does not exit within 5 s or exits nonzero.
stop() {
	p=$(eval echo "\$pid_$1")
	kill "-${2:-TERM}" "$p" 2>/dev/null || return 1
	i=0
	while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	kill -0 "$p" 2>/dev/null && return 1
	wait "$p"
}

nyonctl() {
	"$bin/ctl/nyonctl" -f "$conf" "$@"
}

# publish NAME [SIZE] [SECONDS] [URL]: ffmpeg sends a live test pattern
# (H.264, keyframe every second, AAC) over RTMP in the background; its pid
# is in $pub_NAME and its log in $tmp/pub-NAME.log.
publish() {
	_size=${2:-640x360}
	_url=${4:-rtmp://127.0.0.1:$RTMP_PORT/live/$1}
	ffmpeg -hide_banner -nostdin -loglevel warning -re \
	    -f lavfi -i "testsrc2=size=$_size:rate=25" \
	    -f lavfi -i "sine=frequency=440:sample_rate=44100" \
	    -c:v libx264 -preset ultrafast -tune zerolatency -pix_fmt yuv420p \
	    -g 25 -b:v 800k -c:a aac -b:a 64k -t "${3:-60}" \
	    -f flv "$_url" >> "$tmp/pub-$1.log" 2>&1 &
	eval "pub_$1=$!"
	pids="$pids $!"
}

# wait_live NAME: until flvd serves NAME (HEAD 200), at most 10 s
wait_live() {
	i=0
	while [ $i -lt 100 ]; do
		code=$(curl -s -m 2 -o /dev/null -I -w '%{http_code}' \
		    "http://127.0.0.1:$FLV_PORT/live/$1.flv")
		[ "$code" = 200 ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	diag "stream $1 not live after 10 s (HEAD gave $code)"
	return 1
}

# wait_gone PID [TENTHS]: until the process exits, at most TENTHS/10 s
wait_gone() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt "${2:-100}" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	! kill -0 "$1" 2>/dev/null
}

# reap PID [TENTHS]: the exit status of a background child, waiting at most
# TENTHS/10 s (default 10 s); one still running then is killed, and reap
# returns 124 as timeout(1) does.
reap() {
	if wait_gone "$1" "${2:-100}"; then
		wait "$1"
		return
	fi
	diag "pid $1 still running after $((${2:-100} / 10)) s: killed"
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 124
}

# gave_up RC: RC is a client's own failure (a refusal it was told about):
# nonzero, but not 124 (timeout(1) or reap killed it: a client that hung
# was not refused) nor 128+N (killed by a signal).
gave_up() {
	[ "$1" -ne 0 ] && [ "$1" -ne 124 ] && [ "$1" -lt 128 ]
}

flv_url() {
	echo "http://127.0.0.1:$FLV_PORT/live/$1.flv"
}

# file size in bytes (0 if missing)
size_of() {
	if [ -f "$1" ]; then wc -c < "$1" | tr -d ' '; else echo 0; fi
}

# rate_of URL: bytes a viewer receives between its 2nd and 6th second,
# past the fast-start burst, so two viewers can be compared fairly.
rate_of() {
	_f=$tmp/rate.$$.$(date +%s%N)
	curl -s --max-time 8 -o "$_f" "$1" &
	_c=$!
	sleep 2
	_s1=$(size_of "$_f")
	sleep 4
	_s2=$(size_of "$_f")
	kill $_c 2>/dev/null
	wait $_c 2>/dev/null
	rm -f "$_f"
	echo $((_s2 - _s1))
}

# pyjson EXPR: evaluates EXPR over the JSON on stdin (as d) and prints it
pyjson() {
	python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"
}

# publish_key NAME KEY [SECONDS] [proto]: like publish, but to KEY; $pub_NAME
publish_key() {
	publish "$1" 320x240 "${3:-60}" "rtmp://127.0.0.1:$RTMP_PORT/live/$2"
}

# relay_tap FILE: a helper's "ok - WHAT" / "not ok - WHAT" lines (a browser
# script's) as this test's checks, with its "# " notes
relay_tap() {
	while IFS= read -r _line; do
		case $_line in
		"ok - "*) ok "browser: ${_line#ok - }" ;;
		"not ok - "*) not_ok "browser: ${_line#not ok - }" ;;
		"# "*) echo "$_line" ;;
		esac
	done < "$1"
}

# like check, but passes when the command fails
check_fails() {
	desc=$1
	shift
	if "$@"; then not_ok "$desc"; else ok "$desc"; fi
}

# integrity: PRAGMA integrity_check of the test's database says ok
integrity() {
	python3 -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
r = c.execute("PRAGMA integrity_check").fetchone()[0]
sys.exit(0 if r == "ok" else 1)' "$tmp/state/nyon.db"
}

# rtmp_listen NAME PORT: an ffmpeg RTMP server for one publisher (a
# forwarding destination), recording what it gets in $tmp/NAME.flv; its pid
# in $lis_NAME
rtmp_listen() {
	timeout 120 ffmpeg -hide_banner -nostdin -v error -listen 1 \
	    -i "rtmp://127.0.0.1:$2/live/x" -c copy -f flv "$tmp/$1.flv" \
	    > "$tmp/listen-$1.log" 2>&1 &
	eval "lis_$1=$!"
	pids="$pids $!"
}

# fwd_dest ID EXPR: a Python expression over fwdd's status of its
# destination ID (as d; {} when fwdd has none such)
fwd_dest() {
	nyonctl --json status 2>/dev/null | python3 -c "
import json, sys
s = json.load(sys.stdin)
d = [x for x in s['fwdd'].get('destinations', []) if x['id'] == $1]
d = d[0] if d else {}
print($2)" 2>/dev/null
}
