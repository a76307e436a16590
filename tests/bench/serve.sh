#!/bin/sh
# The server half of the standard load, for a bench client on another
# machine (BENCHMARKS.md, "With the viewers on another machine").  On
# loopback every viewer's receive work is charged to the server; with the
# client elsewhere, the server's CPU is only its own.
#
#	tests/bench/serve.sh [-m MODE] ADDRESS [SECONDS]
#
# Starts ingestd and flvd (or, with -m uring, zc or sendfile, nyon-floor -c
# in that mode in flvd's place) on ADDRESS with run.sh's bench config, on
# free ports, and prints the nyon-bench command to run on the client.  Once
# the client's stream is live it lets the viewers join (8 s), then takes
# each daemon's CPU from /proc over SECONDS (default 30), prints it, waits
# for the client's stream to end, and stops everything it started.  The client's nyon-bench prints the latency
# and what was missing.  ADDRESS is an IPv4 address of this machine.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
mode=""
while getopts m: o; do
	case $o in
	m) mode=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
addr=${1:?usage: serve.sh [-m uring|zc|sendfile] ADDRESS [SECONDS]}
secs=${2:-30}
settle=8
case $mode in
'' | uring | zc | sendfile) ;;
*) echo "serve.sh: -m is uring, zc or sendfile (nyon-floor's modes)" >&2; exit 2 ;;
esac
command -v jq >/dev/null || { echo "serve.sh: jq is needed" >&2; exit 1; }
for p in ingestd/ingestd flvd/flvd ctl/nyonctl; do
	[ -x "$top/$p" ] || { echo "serve.sh: build $p first (make)" >&2; exit 1; }
done
floor=$top/tests/bench/nyon-floor
if [ -n "$mode" ] && [ ! -x "$floor" ]; then
	echo "serve.sh: build $floor first (make bench)" >&2
	exit 1
fi
# 1000 viewers need as many descriptors
# shellcheck disable=SC3045 # dash and bash both have ulimit -n
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"

NYON_ALLOW_ROOT=1
export NYON_ALLOW_ROOT
d=$(mktemp -d /tmp/nyon-serve.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	rm -rf "$d"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# free_port [udp]: a port free on ADDRESS now
free_port() {
	perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(LocalAddr => $ARGV[0],
		    LocalPort => 0, Proto => ($ARGV[1] || "tcp")) or die "$ARGV[0]: $!\n";
		print $s->sockport, "\n";' "$addr" "${1:-tcp}"
}

rtmp_port=$(free_port)
flv_port=$(free_port)
mkdir -p "$d/run" "$d/state"
conf=$d/nyon.conf
cat > "$conf" <<EOF
rundir = $d/run
statedir = $d/state
rtmp_listen = $addr:$rtmp_port
flv_listen = $addr:$flv_port
api_listen = 127.0.0.1:$(addr=127.0.0.1 free_port)
srt_listen = $addr:$(free_port udp)
auth = none
log_level = info
max_viewers = 2000
max_viewers_per_stream = 2000
# every viewer comes from the one client machine
max_viewers_per_address = 5000
max_idle_per_address = 5000
max_requests = 5000
EOF

# start NAME COMMAND...: in the background, logging to $d/NAME.log; its
# pid in $last
start() {
	_n=$1
	shift
	"$@" >> "$d/$_n.log" 2>&1 &
	last=$!
	pids="$pids $last"
}
start ingestd "$top/ingestd/ingestd" -d -f "$conf"
pid_ingestd=$last
i=0
until "$top/ctl/nyonctl" -f "$conf" ping ingestd >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -le 100 ] || { tail -n 20 "$d/ingestd.log" >&2; exit 1; }
	sleep 0.05
done
if [ -n "$mode" ]; then
	start fanout "$floor" -c "$conf" "$addr:$flv_port" "$mode"
else
	start fanout "$top/flvd/flvd" -d -f "$conf"
fi
pid_fanout=$last
sleep 0.5
kill -0 "$pid_fanout" 2>/dev/null || { tail -n 20 "$d/fanout.log" >&2; exit 1; }

echo "serve.sh: on the client machine, with this checkout built (make bench):"
echo "  tests/bench/nyon-bench --publish rtmp://$addr:$rtmp_port/live/bench \\"
echo "      --play http://$addr:$flv_port/live/bench.flv \\"
echo "      --input build/bench/in-4m.flv --viewers 200 --duration $((secs + settle + 5))"
echo "serve.sh: waiting for the stream (up to 10 minutes)"
i=0
until [ "$("$top/ctl/nyonctl" -f "$conf" --json status 2>/dev/null |
    jq -r '.ingestd.live_streams // 0')" -ge 1 ]; do
	i=$((i + 1))
	[ $i -le 600 ] || { echo "serve.sh: no stream came" >&2; exit 1; }
	sleep 1
done
echo "serve.sh: live; the viewers have $settle s to join, then $secs s measured"
sleep "$settle"

# ticks PID: its user + system CPU so far, in clock ticks
ticks() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}
hz=$(getconf CLK_TCK)
i0=$(ticks "$pid_ingestd")
f0=$(ticks "$pid_fanout")
t0=$(date +%s.%N)
sleep "$secs"
i1=$(ticks "$pid_ingestd")
f1=$(ticks "$pid_fanout")
t1=$(date +%s.%N)
awk -v i="$((i1 - i0))" -v f="$((f1 - f0))" -v hz="$hz" -v t0="$t0" -v t1="$t1" \
    -v name="${mode:+nyon-floor $mode}" 'BEGIN {
	s = t1 - t0
	if (name == "") name = "flvd"
	printf "serve.sh: over %.1f s: ingestd %.1f %%, %s %.1f %%, server %.1f %% of a core\n",
	    s, 100 * i / hz / s, name, 100 * f / hz / s, 100 * (i + f) / hz / s
}'
[ -n "$mode" ] || "$top/ctl/nyonctl" -f "$conf" --json status 2>/dev/null |
    jq -c '{viewers: .flvd.viewers, dropped: .flvd.viewers_dropped, skipped: .flvd.viewers_skipped}' 2>/dev/null || true
# the client's report needs the server until its end
echo "serve.sh: waiting for the client to finish"
i=0
while [ "$("$top/ctl/nyonctl" -f "$conf" --json status 2>/dev/null |
    jq -r '.ingestd.live_streams // 0')" -ge 1 ] && [ $i -lt 300 ]; do
	i=$((i + 1))
	sleep 1
done
