#!/bin/sh
# The server half of the standard load, for a bench client on another
# machine (BENCHMARKS.md, "With the viewers on another machine").  On
# loopback every viewer's receive work is charged to the server; with the
# client elsewhere, the server's CPU is only its own.
#
#	tests/bench/serve.sh [-m uring|zc|sendfile | -s SRS] ADDRESS [SECONDS]
#
# Starts ingestd and flvd on ADDRESS with run.sh's bench config, on free
# ports; with -m, nyon-floor -c in that mode in flvd's place; with -s, the
# SRS binary SRS (objs/srs of an SRS 6 build) in run.sh's low-latency
# configuration instead.  Prints the nyon-bench command to run on the
# client.  Once the client's publisher is in it lets the viewers join
# (8 s), takes the servers' CPU from /proc over SECONDS (default 30) and
# prints it, then waits for the client to finish and stops everything it
# started.  The client's nyon-bench prints the latency and what was
# missing.  ADDRESS is an IPv4 address of this machine.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
usage="usage: serve.sh [-m uring|zc|sendfile | -s SRS] ADDRESS [SECONDS]"
mode="" srs=""
while getopts m:s: o; do
	case $o in
	m) mode=$OPTARG ;;
	s) srs=$OPTARG ;;
	*) echo "$usage" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "$usage" >&2
	exit 2
fi
addr=$1
secs=${2:-30}
settle=8
case $mode in
'' | uring | zc | sendfile) ;;
*) echo "serve.sh: -m is uring, zc or sendfile (nyon-floor's modes)" >&2; exit 2 ;;
esac
[ -z "$mode" ] || [ -z "$srs" ] || { echo "$usage" >&2; exit 2; }
for c in ss perl; do
	command -v $c >/dev/null || { echo "serve.sh: $c is needed" >&2; exit 1; }
done
if [ -n "$srs" ]; then
	[ -x "$srs" ] || { echo "serve.sh: $srs is not an SRS binary" >&2; exit 1; }
else
	for p in ingestd/ingestd flvd/flvd ctl/nyonctl ${mode:+tests/bench/nyon-floor}; do
		[ -x "$top/$p" ] || { echo "serve.sh: build $p first (make, make bench)" >&2; exit 1; }
	done
fi
# 1000 viewers need as many descriptors
# shellcheck disable=SC3045 # dash and bash both have ulimit -n
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"

NYON_ALLOW_ROOT=1
export NYON_ALLOW_ROOT
d=$(mktemp -d /tmp/nyon-serve.XXXXXX)
pids="" names=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	rm -rf "$d"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# start NAME COMMAND...: in the background, logging to $d/NAME.log, and
# counted among the servers whose CPU is measured
start() {
	_n=$1
	shift
	"$@" >> "$d/$_n.log" 2>&1 &
	pids="$pids $!"
	names="$names $_n"
	sleep 0.3
	kill -0 $! 2>/dev/null || { echo "serve.sh: $_n did not start:" >&2; tail -n 20 "$d/$_n.log" >&2; exit 1; }
}

. "$top/tests/bench/lib.sh"
rtmp_port=$(free_port "$addr")
flv_port=$(free_port "$addr")
if [ -n "$srs" ]; then
	# SRS listens on every address; the client uses ADDRESS
	srs_conf "$rtmp_port" "$flv_port" "$d" > "$d/srs.conf"
	# shellcheck disable=SC2016 # the inner shell expands $1 and $2
	start srs sh -c 'cd "$(dirname "$1")/.." && exec "$1" -c "$2"' sh "$srs" "$d/srs.conf"
else
	conf=$d/nyon.conf
	nyon_conf "$d" "$addr" "$rtmp_port" "$flv_port" > "$conf"
	start ingestd "$top/ingestd/ingestd" -d -f "$conf"
	i=0
	until "$top/ctl/nyonctl" -f "$conf" ping ingestd >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -le 100 ] || { tail -n 20 "$d/ingestd.log" >&2; exit 1; }
		sleep 0.05
	done
	if [ -n "$mode" ]; then
		start nyon-floor-"$mode" "$top/tests/bench/nyon-floor" -c "$conf" "$addr:$flv_port" "$mode"
	else
		start flvd "$top/flvd/flvd" -d -f "$conf"
	fi
fi

# publishing: whether a publisher is connected
publishing() {
	[ -n "$(ss -Htn state established "( sport = :$rtmp_port )")" ]
}

echo "serve.sh: on the client machine, with this checkout built (make bench):"
echo "  tests/bench/nyon-bench --publish rtmp://$addr:$rtmp_port/live/bench \\"
echo "      --play http://$addr:$flv_port/live/bench.flv \\"
echo "      --input build/bench/in-4m.flv --viewers 200 --duration $((secs + settle + 5))"
echo "serve.sh: waiting for the publisher (up to 10 minutes)"
i=0
until publishing; do
	i=$((i + 1))
	[ $i -le 600 ] || { echo "serve.sh: no publisher came" >&2; exit 1; }
	sleep 1
done
echo "serve.sh: publishing; the viewers have $settle s to join, then $secs s measured"
sleep "$settle"

# ticks: each server's user + system CPU so far, in clock ticks
ticks() {
	for p in $pids; do
		sed 's/.*) //' "/proc/$p/stat" | awk '{printf "%d ", $12 + $13}'
	done
}
t0=$(date +%s.%N)
c0=$(ticks)
sleep "$secs"
c1=$(ticks)
t1=$(date +%s.%N)
awk -v names="$names" -v c0="$c0" -v c1="$c1" -v hz="$(getconf CLK_TCK)" \
    -v t0="$t0" -v t1="$t1" 'BEGIN {
	n = split(names, name, " ")
	split(c0, a, " ")
	split(c1, b, " ")
	s = t1 - t0
	line = sprintf("serve.sh: over %.1f s:", s)
	for (i = 1; i <= n; i++) {
		line = line sprintf(" %s %.1f %%,", name[i], 100 * (b[i] - a[i]) / hz / s)
		all += b[i] - a[i]
	}
	printf "%s server %.1f %% of a core\n", line, 100 * all / hz / s
}'
if [ -z "$srs" ] && [ -z "$mode" ]; then
	"$top/ctl/nyonctl" -f "$conf" --json status 2>/dev/null | jq -c \
	    '{viewers: .flvd.viewers, dropped: .flvd.viewers_dropped, skipped: .flvd.viewers_skipped}' \
	    2>/dev/null || true
fi
# the client's report needs the server until its end
echo "serve.sh: waiting for the client to finish"
i=0
while publishing && [ $i -lt 300 ]; do
	i=$((i + 1))
	sleep 1
done
