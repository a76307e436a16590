#!/bin/sh
# Where a fan-out's time goes (BENCHMARKS.md, "Profile"): runs one load
# with nyon-bench and, in its steady state, counts for the server process
# what perf's software events and syscall tracepoints see, plus the user
# and kernel split of its CPU time from /proc.
#
#	tests/bench/profile.sh [-b BUILD] [-f|-u|-i] [-r] VIEWERS INPUT.flv [SECONDS]
#
# -b BUILD profiles the daemons of another build tree (an older commit's
# checkout, say); -i profiles ingestd rather than flvd; -f profiles
# tests/bench/nyon-floor instead of Nyon, -u its io_uring variant (one
# io_uring_enter per tag for all viewers); -r also records a call graph
# (perf record) and prints the top symbols.
# Needs perf (linux-perf) and root or perf_event_paranoid <= 1.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
build=$top
floor=0
uring=""
record=0
ingest=0
while getopts b:fuir o; do
	case $o in
	b) build=$(cd "$OPTARG" && pwd) ;;
	i) ingest=1 ;;
	f) floor=1 ;;
	u) floor=1 uring=uring ;;
	r) record=1 ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
n=${1:?viewers}
input=${2:?input.flv}
secs=${3:-14}
window=5 # seconds measured, after the viewers settled

command -v perf >/dev/null || { echo "profile.sh: perf is needed" >&2; exit 1; }
# shellcheck disable=SC3045 # dash and bash both have ulimit -n
ulimit -n 8192 2>/dev/null || true
tmp=$(mktemp -d /tmp/nyon-profile.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	if [ -n "${KEEP_TMP:-}" ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

. "$top/tests/bench/lib.sh"
rtmp_port=$(free_port)
flv_port=$(free_port)
NYON_ALLOW_ROOT=1
export NYON_ALLOW_ROOT
if [ $floor = 1 ]; then
	"$top/tests/bench/nyon-floor" "$rtmp_port" "$flv_port" $uring \
	    2> "$tmp/floor.log" &
	server=$!
	pids="$pids $server"
	watch="$server"
	sleep 0.3
else
	{
		nyon_conf "$tmp" 127.0.0.1 "$rtmp_port" "$flv_port"
		echo "${EXTRA_CONF:-}"
	} > "$tmp/nyon.conf"
	"$build/ingestd/ingestd" -d -f "$tmp/nyon.conf" 2> "$tmp/ingestd.log" &
	ingestd=$!
	"$build/flvd/flvd" -d -f "$tmp/nyon.conf" 2> "$tmp/flvd.log" &
	server=$!
	pids="$pids $ingestd $server"
	watch="$ingestd $server"
	[ $ingest = 0 ] || server=$ingestd
	sleep 0.5
fi
pidargs=""
for p in $watch; do pidargs="$pidargs --pid $p"; done
# shellcheck disable=SC2086 # pidargs is a list of options
"$top/tests/bench/nyon-bench" --publish "rtmp://127.0.0.1:$rtmp_port/live/bench" \
    --play "http://127.0.0.1:$flv_port/live/bench.flv" --input "$input" \
    --viewers "$n" --duration "$secs" $pidargs \
    > "$tmp/bench.txt" 2>&1 &
bench=$!
pids="$pids $bench"
sleep $((secs - window - 3))

# ticks of user and system time: fields 14 and 15 of /proc/PID/stat
ticks() {
	awk '{ print $14, $15 }' "/proc/$1/stat"
}
hz=$(getconf CLK_TCK)
read -r u0 s0 <<EOF
$(ticks "$server")
EOF
events=task-clock,context-switches,cpu-migrations,page-faults
for sc in writev sendto sendmsg read readv recvfrom write epoll_wait \
    epoll_ctl futex io_uring_enter; do
	events="$events,syscalls:sys_enter_$sc"
done
perf stat -x, -e "$events" -p "$server" -o "$tmp/stat.csv" -- sleep "$window" \
    2>/dev/null
read -r u1 s1 <<EOF
$(ticks "$server")
EOF
if [ $record = 1 ]; then
	perf record -q -F 1999 -e cpu-clock -g -p "$server" -o "$tmp/perf.data" \
	    -- sleep "$window" > /dev/null 2>&1
fi
wait "$bench" || true

what="flvd of $build"
[ $ingest = 0 ] || what="ingestd of $build"
[ $floor = 0 ] || what=nyon-floor
echo "# profile: $n viewers of $(basename "$input"), server pid $server ($what)"
grep -E "server-added latency|missing|CPU" "$tmp/bench.txt" | sed 's/^/# /'
awk -v u="$((u1 - u0))" -v s="$((s1 - s0))" -v hz="$hz" -v w="$window" \
    -v n="$n" -F, '
	$3 == "task-clock" { printf "cpu %.1f %% of one core (user %.1f %%, kernel %.1f %%)\n", $1 / w / 10, u / hz / w * 100, s / hz / w * 100 }
	$3 ~ /^syscalls:/ { sub("syscalls:sys_enter_", "", $3); if ($1 > 0) printf "%-12s %8.0f /s\n", $3, $1 / w }
	$3 ~ /^(context-switches|cpu-migrations|page-faults)$/ { printf "%-12s %8.0f /s\n", $3, $1 / w }
' "$tmp/stat.csv"
if [ $record = 1 ]; then
	echo "# top symbols (self), kernel and user"
	perf report -i "$tmp/perf.data" --no-children --sort dso,sym --stdio \
	    -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -25
fi
