#!/bin/sh
# Config errors name the file and line; -n checks and exits 0/1.
. "$(dirname "$0")/lib.sh"

write_conf </dev/null
for d in ingestd flvd authd; do
	check "$d -n accepts a good config" "$bin/$d/$d" -n -f "$conf" 2>/dev/null
done

printf 'rundir = %s\n\n# comment\nno_such_key = 1\n' "$tmp/run" > "$tmp/bad1.conf"
out=$("$bin/ingestd/ingestd" -n -f "$tmp/bad1.conf" 2>&1); rc=$?
check "-n exits 1 on an unknown key" [ "$rc" -eq 1 ]
case $out in
*"bad1.conf:4: unknown key 'no_such_key'"*) ok "error names file, line and key" ;;
*) not_ok "error names file, line and key"; diag "$out" ;;
esac

printf 'publish_timeout = -5\n' > "$tmp/bad2.conf"
out=$("$bin/flvd/flvd" -n -f "$tmp/bad2.conf" 2>&1); rc=$?
check "-n exits 1 on a bad value" [ "$rc" -eq 1 ]
case $out in
*"bad2.conf:1: bad value for publish_timeout"*) ok "bad value error names the line" ;;
*) not_ok "bad value error names the line"; diag "$out" ;;
esac

out=$("$bin/authd/authd" -d -f "$tmp/bad2.conf" 2>&1); rc=$?
check "a daemon refuses to start with a bad config" [ "$rc" -eq 1 ]

out=$("$bin/authd/authd" -n -f "$tmp/missing.conf" 2>&1); rc=$?
check "a missing config file is an error" [ "$rc" -eq 1 ]
case $out in
*"missing.conf: No such file"*) ok "missing file is named" ;;
*) not_ok "missing file is named"; diag "$out" ;;
esac

out=$("$bin/ctl/nyonctl" -f "$tmp/bad1.conf" status 2>&1); rc=$?
check "nyonctl reports a bad config with exit 1" [ "$rc" -eq 1 ]

"$bin/ingestd/ingestd" -x >/dev/null 2>&1; rc=$?
check "an unknown flag is a usage error (exit 2)" [ "$rc" -eq 2 ]
done_testing
