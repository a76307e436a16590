#!/bin/sh
# The standard benchmark (BENCHMARKS.md), run by `make bench`.
#
# Makes the inputs with ffmpeg under build/bench/ (once), then for each
# scenario starts a fresh ingestd and flvd on free loopback ports with a
# private config (auth = none), runs tests/bench/nyon-bench against them,
# and stops them.  Prints one table at the end; the raw results are in
# build/bench/results.json (one JSON object per line).
#
#	tests/bench/run.sh [--quick] [SCENARIO...]
#
# --quick runs every scenario for 5 s instead of 15.  SCENARIO names pick
# some of: idle 1m-1 1m-50 1m-200 1m-500 4m-1 4m-200 threads-4m-200
# co10-4m-200 co20-4m-200 floor-4m-200 floor-uring-4m-200 floor-ring-4m-200
# floor-ring-sendfile-4m-200 floor-ring-zc-4m-200 4m-300 1m-1000 threads-1m-1000
# floor-1m-1000 ttfk 50m rtc-100 glass rec-3x1m rec-3x4m.  rtc-100
# is 100 WebRTC viewers of a 2 Mb/s stream (tests/bench/rtc-load.sh); glass
# is the glass-to-glass delay in Chromium, WebRTC against HTTP-FLV through
# the watch page, join by join (tests/bench/glass.sh).  The rec-* scenarios
# record three streams with recd (ffmpeg publishing each input three times
# over) and measure recd's CPU and memory.  The floor-* scenarios run nyon-floor
# (tests/bench/nyon-floor.c) instead of Nyon; the table gives each Nyon
# scenario's CPU as a multiple of its floor's.  With SRS=PATH/objs/srs
# in the environment, srs-4m-200 and srs-1m-1000 run the same loads
# against SRS 6 in its low-latency configuration.
# BENCH_ROUNDS=N runs the load scenarios N times over, interleaved, and adds
# a table of each one's mean server CPU and its spread (one run on a shared
# box moves by a point or more).  KEEP_TMP=1 keeps the run directory
# (configs, daemon logs).  BENCH_PIN=1
# runs the servers on CPU 0 and the bench client on CPU 1 (taskset): on
# loopback the receiver's TCP work is charged to whichever side happens to
# run it, and apart the two cannot trade it (BENCHMARKS.md, fourth round).
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/bench
bench=$top/tests/bench/nyon-bench
secs=15
case ${1:-} in
--quick) secs=5; shift ;;
esac
only="$*"
rounds=${BENCH_ROUNDS:-1}
case $rounds in
'' | *[!0-9]* | 0) echo "run.sh: BENCH_ROUNDS is a number of rounds, 1 or more" >&2; exit 1 ;;
esac
spin="" cpin=""
if [ -n "${BENCH_PIN:-}" ]; then
	command -v taskset >/dev/null || { echo "run.sh: BENCH_PIN needs taskset" >&2; exit 1; }
	[ "$(nproc)" -ge 2 ] || { echo "run.sh: BENCH_PIN needs two CPUs" >&2; exit 1; }
	spin="taskset -c 0" cpin="taskset -c 1"
fi

command -v ffmpeg >/dev/null || { echo "run.sh: ffmpeg is needed" >&2; exit 1; }
command -v jq >/dev/null || { echo "run.sh: jq is needed" >&2; exit 1; }
[ -x "$bench" ] || { echo "run.sh: build $bench first (make bench)" >&2; exit 1; }

# 500 viewers need 500+ descriptors in flvd and in the bench.
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 1100 ]; then
	echo "run.sh: ulimit -n is $(ulimit -n); 500 viewers need more" >&2
	exit 1
fi

NYON_ALLOW_ROOT=1
export NYON_ALLOW_ROOT
tmp=$(mktemp -d /tmp/nyon-bench.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	if [ -z "${KEEP_TMP:-}" ]; then rm -rf "$tmp"; else echo "kept $tmp"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- inputs ---------------------------------------------------------------
# gen FILE SIZE KBIT SECONDS: testsrc2 + noise audio (every tag body differs,
# so the bench can match them), H.264 CBR with filler so the bitrate is what
# it says, a keyframe every second, AAC.
gen() {
	[ -s "$1" ] && return 0
	echo "making $1 ($2, $3 kb/s, $4 s)"
	ffmpeg -hide_banner -nostdin -loglevel error -y \
	    -f lavfi -i "testsrc2=size=$2:rate=25" \
	    -f lavfi -i "anoisesrc=sample_rate=44100:amplitude=0.05" \
	    -t "$4" -c:v libx264 -preset veryfast -pix_fmt yuv420p \
	    -g 25 -keyint_min 25 -sc_threshold 0 \
	    -b:v "${3}k" -minrate "${3}k" -maxrate "${3}k" -bufsize "${3}k" \
	    -x264-params nal-hrd=cbr -c:a aac -b:a 96k -f flv "$1.part"
	mv "$1.part" "$1"
}
mkdir -p "$out"
gen "$out/in-1m.flv" 640x360 900 20
gen "$out/in-4m.flv" 1280x720 3900 20
gen "$out/in-50m.flv" 1920x1080 50000 8

# ---- daemons --------------------------------------------------------------
. "$top/tests/bench/lib.sh"

# up NAME: a fresh config and run directory under $tmp/NAME, ingestd and
# flvd started and answering; sets $conf, $rtmp_port, $flv_port.
up() {
	d=$tmp/$1
	mkdir -p "$d"
	conf=$d/nyon.conf
	rtmp_port=$(free_port)
	flv_port=$(free_port)
	{
		nyon_conf "$d" 127.0.0.1 "$rtmp_port" "$flv_port"
		echo "${conf_extra:-}"
	} > "$conf"
	daemon ingestd
	[ -n "${no_flvd:-}" ] || daemon flvd
}

# daemon NAME: starts it in the foreground, logging to $d/NAME.log, and
# waits for its control socket to answer.
daemon() {
	# shellcheck disable=SC2086 # spin: "" or taskset and its CPU
	$spin "$top/$1/$1" -d -f "$conf" >> "$d/$1.log" 2>&1 &
	eval "pid_$1=$!"
	pids="$pids $!"
	i=0
	until "$top/ctl/nyonctl" -f "$conf" ping "$1" >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$(eval echo "\$pid_$1")" 2>/dev/null; then
			echo "run.sh: $1 did not start:" >&2
			tail -n 20 "$d/$1.log" >&2
			exit 1
		fi
		sleep 0.05
	done
}

down() {
	for n in authd flvd ingestd recd; do
		p=$(eval echo "\${pid_$n:-}")
		[ -n "$p" ] || continue
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
		eval "pid_$n="
	done
}

wanted() {
	[ -z "$only" ] && return 0
	case " $only " in *" $1 "*) return 0 ;; esac
	return 1
}

results=$out/results.json
: > "$results"

# measure INPUT VIEWERS SECONDS LOGS [nyon-bench options...]: nyon-bench
# against $rtmp_port and $flv_port for scenario $name, its result added to
# $results; when it fails, its errors and the end of each of LOGS (files
# in $d).
measure() {
	_input=$1 _n=$2 _s=$3 _logs=$4
	shift 4
	# shellcheck disable=SC2086 # cpin: "" or taskset and its CPU
	if $cpin "$bench" --publish "rtmp://127.0.0.1:$rtmp_port/live/bench" \
	    --play "http://127.0.0.1:$flv_port/live/bench.flv" \
	    --input "$_input" --viewers "$_n" --duration "$_s" --json "$@" \
	    > "$d/result.json" 2> "$d/bench.err"; then
		jq -c --arg name "$name" '{scenario: $name} + .' \
		    "$d/result.json" >> "$results"
	else
		echo "run.sh: $name failed:" >&2
		cat "$d/bench.err" >&2
		for _l in $_logs; do tail -n 5 "$d/$_l" >&2; done
	fi
}

# scenario NAME INPUT VIEWERS SECONDS [nyon-bench options...]
scenario() {
	name=$1 input=$2 n=$3 s=$4
	shift 4
	wanted "$name" || return 0
	echo "== $name: $n viewers of $(basename "$input"), $s s" >&2
	up "$name"
	measure "$input" "$n" "$s" "ingestd.log flvd.log" \
	    --pid "$pid_ingestd" --pid "$pid_flvd" "$@"
	down
}

# threads NAME INPUT VIEWERS SECONDS: a scenario with flvd writing through
# its threads and send() rather than io_uring (flv_io_uring = no)
threads() {
	conf_extra="flv_io_uring = no"
	scenario "$@"
	conf_extra=""
}

# coalesce MS NAME INPUT VIEWERS SECONDS: a scenario with flvd holding each
# fan-out MS milliseconds for the tags that follow (flv_coalesce_ms)
coalesce() {
	conf_extra="flv_coalesce_ms = $1"
	shift
	scenario "$@"
	conf_extra=""
}

# floor NAME INPUT VIEWERS SECONDS: the same load against nyon-floor, the
# least a server can do (one send per viewer per tag, nothing else), so
# the table can say how many times the floor Nyon costs.
floor() {
	name=$1 input=$2 n=$3 s=$4
	shift 4
	wanted "$name" || return 0
	echo "== $name: $n viewers of $(basename "$input"), $s s, nyon-floor" >&2
	d=$tmp/$name
	mkdir -p "$d"
	rtmp_port=$(free_port)
	flv_port=$(free_port)
	# shellcheck disable=SC2086 # floor_mode: "" or uring
	floor_start "$rtmp_port" "$flv_port" ${floor_mode:-}
	measure "$input" "$n" "$s" floor.log --pid "$pid_floor" "$@"
	floor_stop
}

# floor_start ARGS...: nyon-floor ARGS in the background, logging to
# $d/floor.log; floor_stop stops it.
floor_start() {
	# shellcheck disable=SC2086 # spin: "" or taskset and its CPU
	$spin "$top/tests/bench/nyon-floor" "$@" 2> "$d/floor.log" &
	pid_floor=$!
	pids="$pids $pid_floor"
	sleep 0.3
}
floor_stop() {
	kill "$pid_floor" 2>/dev/null || true
	wait "$pid_floor" 2>/dev/null || true
}

# floorring NAME INPUT VIEWERS SECONDS: nyon-floor (io_uring) fed by a real
# ingestd through its ring, in place of flvd: what splitting ingest and
# fan-out into two processes costs, without flvd's own work.  A NAME with
# "sendfile" in it sends chunks of 16 KiB and more by sendfile() from a
# memfd, with no copy per viewer (BENCHMARKS.md, fifth round); one with
# "zc" sends them with io_uring's SEND_ZC.
floorring() {
	name=$1 input=$2 n=$3 s=$4
	shift 4
	wanted "$name" || return 0
	echo "== $name: $n viewers of $(basename "$input"), $s s, ingestd + nyon-floor -c" >&2
	no_flvd=1
	up "$name"
	no_flvd=""
	case $name in
	*sendfile*) ring_mode=sendfile ;;
	*zc*) ring_mode=zc ;;
	*) ring_mode=uring ;;
	esac
	floor_start -c "$conf" "$flv_port" "$ring_mode"
	measure "$input" "$n" "$s" "ingestd.log floor.log" \
	    --pid "$pid_ingestd" --pid "$pid_floor" "$@"
	floor_stop
	down
}

# other NAME INPUT VIEWERS SECONDS: the same load against another server,
# when $SRS names an SRS binary (objs/srs of an SRS 6 build): its
# low-latency configuration (lib.sh) on free loopback ports.
other() {
	name=$1 input=$2 n=$3 s=$4
	shift 4
	wanted "$name" || return 0
	[ -n "${SRS:-}" ] && [ -x "$SRS" ] || return 0
	echo "== $name: $n viewers of $(basename "$input"), $s s, SRS" >&2
	d=$tmp/$name
	mkdir -p "$d"
	rtmp_port=$(free_port)
	flv_port=$(free_port)
	srs_conf "$rtmp_port" "$flv_port" "$d" > "$d/srs.conf"
	# shellcheck disable=SC2086 # spin: "" or taskset and its CPU
	(cd "$(dirname "$SRS")/.." && exec $spin "$SRS" -c "$d/srs.conf") \
	    > "$d/srs.out" 2>&1 &
	pid_other=$!
	pids="$pids $pid_other"
	sleep 1
	measure "$input" "$n" "$s" srs.out --pid "$pid_other" "$@"
	kill "$pid_other" 2>/dev/null || true
	wait "$pid_other" 2>/dev/null || true
}

rss_kib() {
	awk '/^VmRSS/ { print $2 }' "/proc/$1/status"
}
# smaps_kib PID FIELD: Pss, or Private (clean + dirty: what only it uses)
smaps_kib() {
	awk -v f="$2" '$1 == f ":" || (f == "Private" && $1 ~ /^Private_/) \
	    { n += $2 } END { print n + 0 }' "/proc/$1/smaps_rollup"
}

# ---- scenarios ------------------------------------------------------------
if wanted idle; then
	echo "== idle: ingestd + flvd + authd, no publisher" >&2
	up idle
	daemon authd
	sleep 2
	for k in rss pss private; do
		for n in ingestd flvd authd; do
			p=$(eval echo "\$pid_$n")
			case $k in
			rss) v=$(rss_kib "$p") ;;
			pss) v=$(smaps_kib "$p" Pss) ;;
			private) v=$(smaps_kib "$p" Private) ;;
			esac
			eval "${k}_$n=$v"
		done
	done
	jq -cn --argjson i "$rss_ingestd" --argjson f "$rss_flvd" \
	    --argjson a "$rss_authd" --argjson pi "$pss_ingestd" \
	    --argjson pf "$pss_flvd" --argjson pa "$pss_authd" \
	    --argjson ui "$private_ingestd" --argjson uf "$private_flvd" \
	    --argjson ua "$private_authd" \
	    '{scenario: "idle",
	      idle_rss_kib: {ingestd: $i, flvd: $f, authd: $a,
	        total: ($i + $f + $a)},
	      idle_pss_kib: {ingestd: $pi, flvd: $pf, authd: $pa,
	        total: ($pi + $pf + $pa)},
	      idle_private_kib: {ingestd: $ui, flvd: $uf, authd: $ua,
	        total: ($ui + $uf + $ua)}}' >> "$results"
	down
fi
# the load scenarios, BENCH_ROUNDS times over (interleaved, so that the box's
# drift falls on every scenario alike)
loads() {
	scenario 1m-1 "$out/in-1m.flv" 1 "$secs"
	scenario 1m-50 "$out/in-1m.flv" 50 "$secs"
	scenario 1m-200 "$out/in-1m.flv" 200 "$secs"
	scenario 1m-500 "$out/in-1m.flv" 500 "$secs"
	scenario 4m-1 "$out/in-4m.flv" 1 "$secs"
	scenario 4m-200 "$out/in-4m.flv" 200 "$secs"
	threads threads-4m-200 "$out/in-4m.flv" 200 "$secs"
	coalesce 10 co10-4m-200 "$out/in-4m.flv" 200 "$secs"
	coalesce 20 co20-4m-200 "$out/in-4m.flv" 200 "$secs"
	floor floor-4m-200 "$out/in-4m.flv" 200 "$secs"
	floor_mode=uring
	floor floor-uring-4m-200 "$out/in-4m.flv" 200 "$secs"
	floorring floor-ring-4m-200 "$out/in-4m.flv" 200 "$secs"
	floorring floor-ring-sendfile-4m-200 "$out/in-4m.flv" 200 "$secs"
	floorring floor-ring-zc-4m-200 "$out/in-4m.flv" 200 "$secs"
	floor_mode=""
	other srs-4m-200 "$out/in-4m.flv" 200 "$secs"
	scenario 4m-300 "$out/in-4m.flv" 300 "$secs"
	scenario 1m-1000 "$out/in-1m.flv" 1000 "$secs"
	threads threads-1m-1000 "$out/in-1m.flv" 1000 "$secs"
	floor floor-1m-1000 "$out/in-1m.flv" 1000 "$secs"
	other srs-1m-1000 "$out/in-1m.flv" 1000 "$secs"
	# time to first keyframe without a thundering herd: one viewer at a time
	scenario ttfk "$out/in-1m.flv" 20 5 --stagger-ms 400
	scenario 50m "$out/in-50m.flv" 1 "$secs"
}
round=1
while [ "$round" -le "$rounds" ]; do
	[ "$rounds" -eq 1 ] || echo "== round $round of $rounds" >&2
	loads
	round=$((round + 1))
done

# rec NAME INPUT: three streams of INPUT published by ffmpeg (copying, so the
# bench machine's CPU goes to the daemons), all recorded by recd with
# thumbnails every 5 s; recd's CPU over $secs s after 3 s of warm-up, its
# RSS before and at the end, and what it wrote.
rec() {
	name=$1 input=$2
	wanted "$name" || return 0
	echo "== $name: 3 recorded streams of $(basename "$input"), $secs s" >&2
	up "$name"
	printf 'record = yes\nthumbnail_interval = 5\nrecord_min_free = 0\n' >> "$conf"
	daemon recd
	rss0=$(rss_kib "$pid_recd")
	pubs=""
	for i in 1 2 3; do
		ffmpeg -nostdin -loglevel error -re -stream_loop -1 -i "$input" \
		    -c copy -f flv "rtmp://127.0.0.1:$rtmp_port/live/rec$i" \
		    >> "$d/ffmpeg.log" 2>&1 &
		pubs="$pubs $!"
		pids="$pids $!"
	done
	sleep 3
	hz=$(getconf CLK_TCK)
	t0=$(awk '{ print $14 + $15 }' "/proc/$pid_recd/stat")
	w0=$(du -sk "$d/state/recordings" | cut -f1)
	sleep "$secs"
	t1=$(awk '{ print $14 + $15 }' "/proc/$pid_recd/stat")
	w1=$(du -sk "$d/state/recordings" | cut -f1)
	rss1=$(rss_kib "$pid_recd")
	hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid_recd/status")
	rec_n=$("$top/ctl/nyonctl" -f "$conf" --json status |
	    jq '.recd.recording // 0')
	thumbs=$("$top/ctl/nyonctl" -f "$conf" --json status |
	    jq '.recd.thumbnails // 0')
	for p in $pubs; do kill "$p" 2>/dev/null || true; done
	for p in $pubs; do wait "$p" 2>/dev/null || true; done
	jq -cn --arg name "$name" --argjson ticks "$((t1 - t0))" --argjson hz "$hz" \
	    --argjson r0 "$rss0" --argjson r1 "$rss1" --argjson hwm "$hwm" \
	    --argjson kib "$((w1 - w0))" --argjson secs "$secs" \
	    --argjson n "$rec_n" --argjson thumbs "$thumbs" \
	    '{scenario: $name, recording: $n,
	      recd_cpu_pct: ($ticks * 1000 / $hz / $secs | round / 10),
	      recd_rss_kib: {idle: $r0, end: $r1, peak: $hwm},
	      written_mbps: ($kib * 8 / 1024 / $secs), thumbnails: $thumbs}' \
	    >> "$results"
	down
}
rec rec-3x1m "$out/in-1m.flv"
rec rec-3x4m "$out/in-4m.flv"

# ---- WebRTC (rtcd) ----------------------------------------------------------
# Their own output, after the HTTP-FLV table's scenarios: they run their
# own daemons and clients.
rtc_out=""
if wanted rtc-100; then
	echo "== rtc-100"
	rtc_out="$rtc_out$("$top/tests/bench/rtc-load.sh" 100 $((secs * 2)) 2>&1 | grep -v '^ ')
"
fi
if wanted glass; then
	echo "== glass"
	rtc_out="$rtc_out$("$top/tests/bench/glass.sh" $((secs * 2)) 5 2>&1)
"
fi

# ---- the table ------------------------------------------------------------
jq -rs '
def f(x; d): if x == null or x < 0 then "-" else (x * pow(10; d) | round / pow(10; d) | tostring) end;
def proc(n): (.processes // []) | map(select(.name == n)) | .[0];
def cpu: [(.processes // [])[] | .cpu_pct] | add // -1;
(map(select(.scenario | startswith("floor-")) | {key: .scenario, value: cpu}) | from_entries) as $floors |
def floors: $floors;
(["scenario", "viewers", "in Mb/s", "out Mb/s", "lat p50/p90/p99/max ms",
  "viewer mean min/max ms", "connect p50/max ms", "1st tag p50/max ms", "1st key p50/max ms", "missing sum/max",
  "ingestd CPU%", "flvd CPU%", "server CPU%", "x floor", "flvd RSS KiB before/max", "bench CPU%"] | join(" | ")),
(.[] | select(.viewers != null) |
  [.scenario, "\(.viewers_ok)/\(.viewers)", f(.bitrate_in_mbps; 2), f(.delivered_mbps; 1),
   "\(f(.latency_ms.p50; 3))/\(f(.latency_ms.p90; 3))/\(f(.latency_ms.p99; 3))/\(f(.latency_ms.max; 2))",
   "\(f(.viewer_mean_ms.min; 2))/\(f(.viewer_mean_ms.max; 2))",
   "\(f(.connect_ms.p50; 1))/\(f(.connect_ms.max; 1))",
   "\(f(.first_tag_ms.p50; 1))/\(f(.first_tag_ms.max; 1))",
   "\(f(.first_keyframe_ms.p50; 1))/\(f(.first_keyframe_ms.max; 1))",
   "\(.missing.sum)/\(.missing.max)",
   f(proc("ingestd").cpu_pct; 1), f(proc("flvd").cpu_pct; 1),
   f(cpu; 1), (floors["floor-" + (.scenario | sub("^(srs|threads)-"; ""))] as $fl | if $fl == null or $fl == 0 or (.scenario | startswith("floor-")) then "-" else f(cpu / $fl; 2) end),
   "\(proc("flvd").rss_base_kib)/\(proc("flvd").rss_max_kib)",
   f(.bench_cpu_pct; 1)] | join(" | "))
' "$results" | column -t -s '|' -o '|'
if [ "$rounds" -gt 1 ]; then
	echo
	echo "over $rounds rounds:"
	jq -rs '
def f(x; d): if x == null or x < 0 then "-" else (x * pow(10; d) | round / pow(10; d) | tostring) end;
def cpu: [(.processes // [])[] | .cpu_pct] | add // -1;
def span(xs; d): "\(f(xs | min; d))-\(f(xs | max; d))";
map(select(.viewers != null)) as $runs |
(reduce $runs[] as $r ([]; if any(.[]; . == $r.scenario) then . else . + [$r.scenario] end)) as $names |
(["scenario", "runs", "server CPU% mean", "min-max", "lat p50 ms min-max", "p99 ms min-max",
  "missing sum", "bench CPU% mean"] | join(" | ")),
($names[] as $n | [$runs[] | select(.scenario == $n)] |
  [$n, (length | tostring), f(map(cpu) | add / length; 2), span(map(cpu); 1),
   span(map(.latency_ms.p50); 2), span(map(.latency_ms.p99); 2),
   (map(.missing.sum) | add | tostring), f(map(.bench_cpu_pct) | add / length; 1)] | join(" | "))
' "$results" | column -t -s '|' -o '|'
fi
jq -r 'select(.idle_rss_kib != null) | to_entries[] | select(.key != "scenario") |
  .key as $k | .value |
  "\($k) KiB: ingestd \(.ingestd) + flvd \(.flvd) + authd \(.authd) = \(.total) (\(.total / 1024 * 100 | round / 100) MiB)"' "$results"
jq -r 'select(.recd_cpu_pct != null) |
  "\(.scenario): recd records \(.recording) streams (\(.written_mbps * 100 | round / 100) Mb/s to disk, \(.thumbnails) thumbnails): CPU \(.recd_cpu_pct)% of a core, RSS \(.recd_rss_kib.idle) KiB idle, \(.recd_rss_kib.end) KiB recording, peak \(.recd_rss_kib.peak) KiB"' "$results"
echo "raw results: $results"
[ -z "$rtc_out" ] || printf '\n%s' "$rtc_out"
